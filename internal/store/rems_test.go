package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
	"github.com/kapstone/kapstone/internal/rems"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// remsSession doses pr's patient 56 mg of a REMS product (lot S-77) by rex,
// takes readings at 40 and 115 minutes and discharges at 125 minutes; it
// returns the session's id and the dose time.
func (pr *rxPractice) remsSession(t *testing.T) (string, time.Time) {
	t.Helper()
	ctx := context.Background()
	p := store.CSProduct{Name: "Esketamine nasal spray", Strength: "28 mg", Form: "device", Unit: cslog.UnitMg, Schedule: "III", REMS: true}
	if err := pr.s.AddCSProduct(ctx, pr.rex, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.ReceiveCS(ctx, pr.rex, store.CSReceipt{ProductID: p.ID, Location: "Main office", Entry: cslog.Entry{Kind: cslog.Receipt,
		Quantity: 280000, Party: "Specialty distributor", Invoice: "INV-S77", Lot: "S-77", Expiry: pr.now.AddDate(1, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	lots, err := pr.s.CSLots(ctx, pr.rex, true)
	if err != nil || len(lots) != 1 {
		t.Fatalf("lots %v, %v", lots, err)
	}
	pr.readyForDosing(t)
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	d := pr.fullGate(t)
	pr.now = pr.now.Add(2 * time.Minute)
	dosed := pr.now
	if err := pr.s.RecordDose(ctx, pr.rex, pr.p.ID, d.ID, store.Dose{Amount: "56", Unit: "mg", Route: clinic.RouteIntranasal, CSLot: lots[0].ID,
		Reason: "Esketamine per the REMS protocol."}); err != nil {
		t.Fatalf("%v %v", err, err.(*clinic.Error).Fields)
	}
	n := func(v int) *int { return &v }
	for _, r := range []struct {
		min      int
		phase    string
		sys, dia int
		spo2     int
		moaas    int
		diss     bool
	}{{40, clinic.PhaseAfterDose, 142, 91, 96, 4, true}, {115, clinic.PhasePreDischarge, 126, 82, 95, 5, false}} {
		pr.now = dosed.Add(time.Duration(r.min) * time.Minute)
		if _, err := pr.s.RecordVitals(ctx, pr.thea, pr.p.ID, d.ID, store.Vitals{ClientID: store.NewID(), Phase: r.phase, Systolic: n(r.sys), Diastolic: n(r.dia), HeartRate: n(80), SpO2: n(r.spo2),
			MOAAS: n(r.moaas), Dissociation: &r.diss}); err != nil {
			t.Fatal(err)
		}
	}
	pr.now = dosed.Add(125 * time.Minute)
	var all []string
	for _, c := range clinic.DischargeCriteria {
		all = append(all, c.Key)
	}
	if err := pr.s.DischargeSession(ctx, pr.thea, pr.p.ID, d.ID, all, ""); err != nil {
		t.Fatal(err)
	}
	return d.ID, dosed
}

// TestREMSForm: a session dosed from a REMS product's lot has a form
// filled from the record; the prescriber confirms, signs (after which
// neither the store nor the database lets it change), records its
// submission; a correction is a new version keeping the signed one; the
// unsubmitted list shows it oldest first. Both engines.
func TestREMSForm(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	id, dosed := pr.remsSession(t)

	forms, _, err := pr.s.REMSFormFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil || len(forms) != 1 || forms[0].ID != "" {
		t.Fatalf("unsaved form %+v, %v", forms, err)
	}
	f := forms[0].Fields
	if f.DoseMg != 56 || f.Lot != "S-77" || f.Clinician != "thea" || f.BPBefore != "124/80" || f.BPForty != "142/91" || f.BPDischarge != "126/82" || f.SpO2 != "95" ||
		rems.TotalMinutes(f.Start, f.End) != 125 || !f.Start.Equal(dosed) || !f.ReadyAt.Equal(f.End) {
		t.Errorf("filled from the session: %+v", f)
	}
	// Sedation (MOAA/S 4, then 5) and dissociation (present, then absent)
	// are answered from the readings; respiratory depression was never
	// recorded, so it is the prescriber's to answer.
	if f.Sedation != rems.Yes || f.SedationGone != rems.Yes || f.Dissociation != rems.Yes || f.DissociationGone != rems.Yes || f.RespDepression != "" || f.RespGone != "" {
		t.Errorf("sedation answers from the readings: %+v", f)
	}
	// Only a prescriber fills in and signs.
	if _, err := pr.s.SaveREMSForm(ctx, pr.thea, pr.p.ID, id, store.REMSConfirm{Sedation: rems.No}); fieldOf(err, "form") == "" {
		t.Errorf("a therapist saves: %v", err)
	}
	if _, err := pr.s.SaveREMSForm(ctx, pr.rex, pr.p.ID, id, store.REMSConfirm{Sedation: "maybe"}); fieldOf(err, rems.FSedation) == "" {
		t.Errorf("a bad answer: %v", err)
	}
	if err := pr.s.SignREMSForm(ctx, pr.rex, pr.p.ID, id); fieldOf(err, rems.FResp) == "" {
		t.Errorf("signing with answers missing: %v", err)
	}
	c := store.REMSConfirm{ReadyAt: f.End, Sedation: rems.Yes, SedationGone: rems.Yes, Dissociation: rems.Yes, DissociationGone: rems.Yes,
		RespDepression: rems.No, SpO2: "95", SAE: rems.No}
	if _, err := pr.s.SaveREMSForm(ctx, pr.rex, pr.p.ID, id, c); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.RefreshREMSForm(ctx, pr.rex, pr.p.ID, id); err != nil {
		t.Fatal(err)
	}
	page, err := pr.s.REMSUnsubmitted(ctx, pr.rex, store.PageKey{})
	if err != nil || len(page.Rows) != 1 || page.Rows[0].SessionID != id {
		t.Fatalf("unsubmitted %+v, %v", page, err)
	}
	if _, err := pr.s.REMSUnsubmitted(ctx, pr.thea, store.PageKey{}); err == nil {
		t.Errorf("a therapist lists the forms")
	}
	if p, err := pr.s.REMSUnsubmitted(ctx, pr.rita, store.PageKey{}); err != nil || len(p.Rows) != 0 {
		t.Errorf("a prescriber not on the team sees %+v, %v", p, err)
	}
	if err := pr.s.MarkREMSSubmitted(ctx, pr.rex, pr.p.ID, id, store.RemsFax, time.Time{}); fieldOf(err, "form") == "" {
		t.Errorf("submitted before signing: %v", err)
	}
	if err := pr.s.SignREMSForm(ctx, pr.rex, pr.p.ID, id); err != nil {
		t.Fatal(err)
	}
	// Signed: the store refuses a change, and so does the database.
	if _, err := pr.s.SaveREMSForm(ctx, pr.rex, pr.p.ID, id, c); fieldOf(err, "form") == "" {
		t.Errorf("saving a signed form: %v", err)
	}
	if err := pr.s.RefreshREMSForm(ctx, pr.rex, pr.p.ID, id); fieldOf(err, "form") == "" {
		t.Errorf("refreshing a signed form: %v", err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE rems_forms SET fields = '{}' WHERE session_id = $1`, id); err == nil {
		t.Errorf("the database let a signed form change")
	}
	if err := store.ExecForTest(ctx, pr.s, `DELETE FROM rems_forms WHERE session_id = $1`, id); err == nil {
		t.Errorf("the database let a form be deleted")
	}
	if err := pr.s.MarkREMSSubmitted(ctx, pr.rex, pr.p.ID, id, "email", time.Time{}); fieldOf(err, "how") == "" {
		t.Errorf("submitted by email: %v", err)
	}
	pr.now = pr.now.Add(time.Hour)
	if err := pr.s.MarkREMSSubmitted(ctx, pr.rex, pr.p.ID, id, store.RemsPortal, pr.now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.MarkREMSSubmitted(ctx, pr.rex, pr.p.ID, id, store.RemsPortal, time.Time{}); fieldOf(err, "form") == "" {
		t.Errorf("submitted twice: %v", err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE rems_forms SET submitted_how = 'fax' WHERE session_id = $1`, id); err == nil {
		t.Errorf("the database let a submitted form change")
	}
	if page, err := pr.s.REMSUnsubmitted(ctx, pr.rex, store.PageKey{}); err != nil || len(page.Rows) != 0 {
		t.Errorf("after submission the list shows %+v, %v", page, err)
	}
	// A correction: a new draft version; the signed one is kept.
	if err := pr.s.CorrectREMSForm(ctx, pr.rex, pr.p.ID, id); err != nil {
		t.Fatal(err)
	}
	forms, _, err = pr.s.REMSFormFor(ctx, pr.thea, pr.p.ID, id)
	if err != nil || len(forms) != 2 || forms[0].Version != 2 || forms[0].Signed() || !forms[1].Signed() || forms[1].SubmittedHow != store.RemsPortal ||
		forms[0].ReplacesID != forms[1].ID || forms[0].Fields.Sedation != rems.Yes {
		t.Fatalf("after the correction %+v, %v", forms, err)
	}
	if page, err := pr.s.REMSUnsubmitted(ctx, pr.rex, store.PageKey{}); err != nil || len(page.Rows) != 1 || page.Rows[0].Version != 2 {
		t.Errorf("the correction is not yet submitted: %+v, %v", page, err)
	}
}

// TestREMSNotForOtherSessions: a session dosed from a lot of a product not
// marked REMS has no form.
func TestREMSNotForOtherSessions(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	_, l1, _ := pr.csLog(t)
	pr.readyForDosing(t)
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	d := pr.fullGate(t)
	if err := pr.s.RecordDose(ctx, pr.rex, pr.p.ID, d.ID, store.Dose{Amount: "200", Unit: "mg", Route: clinic.RouteSublingual, CSLot: l1}); err != nil {
		t.Fatal(err)
	}
	if forms, _, err := pr.s.REMSFormFor(ctx, pr.rex, pr.p.ID, d.ID); err != nil || len(forms) != 0 {
		t.Errorf("a ketamine lozenge session's REMS form: %v, %v", forms, err)
	}
	if _, err := pr.s.SaveREMSForm(ctx, pr.rex, pr.p.ID, d.ID, store.REMSConfirm{}); fieldOf(err, "form") != store.NoREMSForm {
		t.Errorf("saving one: %v", err)
	}
}
