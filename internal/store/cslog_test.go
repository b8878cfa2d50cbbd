package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/cslog"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// csLog gives pr a lozenge product (100 mg each) kept by the prescriber
// rex, with lot L1 (20) and L2 (10) received at the main office.
func (pr *rxPractice) csLog(t *testing.T) (store.CSProduct, string, string) {
	t.Helper()
	ctx := context.Background()
	p := store.CSProduct{Name: "Ketamine", Strength: "100 mg", Form: "lozenge", Unit: cslog.UnitEach, UnitMcg: 100000, Schedule: "III"}
	if err := pr.s.AddCSProduct(ctx, pr.rex, &p); err != nil {
		t.Fatal(err)
	}
	for i, q := range []int64{20, 10} {
		lot := "L" + string(rune('1'+i))
		if _, err := pr.s.ReceiveCS(ctx, pr.rex, store.CSReceipt{ProductID: p.ID, Location: "Main office", Entry: cslog.Entry{Kind: cslog.Receipt,
			Quantity: q, Party: "Compounding Pharmacy", Invoice: "INV-" + lot, Lot: lot, Expiry: pr.now.AddDate(1, 0, 0)}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := pr.s.CSLots(ctx, pr.rex, true)
	if err != nil || len(all) != 2 {
		t.Fatalf("lots %v, %v", all, err)
	}
	return p, all[0].ID, all[1].ID
}

func (pr *rxPractice) csBalances(t *testing.T) map[string]int64 {
	t.Helper()
	all, err := pr.s.CSLots(context.Background(), pr.rex, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range all {
		out[l.Lot] = l.Balance
	}
	return out
}

// TestCSLogBalance runs a sequence of receipts, a dose, waste, a count and
// the other entries on both engines and checks each lot's balance, and
// that what the rules refuse is refused by the store: a negative balance,
// waste without a witness (or witnessed by oneself, or by someone not
// allowed), an administration without a session, an entry by someone not
// designated, a count's difference without a reason.
func TestCSLogBalance(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	// A therapist not designated cannot keep the log.
	if err := pr.s.AddCSProduct(ctx, pr.thea, &store.CSProduct{Name: "K", Strength: "1", Form: "vial", Unit: cslog.UnitMg, Schedule: "III"}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("undesignated therapist adds a product: %v", err)
	}
	_, l1, l2 := pr.csLog(t)
	if got := pr.csBalances(t); got["L1"] != 20 || got["L2"] != 10 {
		t.Fatalf("after receipts %v", got)
	}
	// A second receipt of L1 with another expiry is refused.
	p, _ := pr.s.CSProducts(ctx, pr.rex)
	_, err := pr.s.ReceiveCS(ctx, pr.rex, store.CSReceipt{ProductID: p[0].ID, Location: "Main office", Entry: cslog.Entry{Kind: cslog.Receipt,
		Quantity: 5, Party: "X", Invoice: "I", Lot: "L1", Expiry: pr.now.AddDate(2, 0, 0)}})
	if fieldOf(err, "expiry") == "" {
		t.Errorf("receipt of L1 with another expiry: %v", err)
	}

	// The dose is drawn from L1 in its own transaction.
	pr.readyForDosing(t)
	storetest.SignPaper(t, pr.s, pr.thea, pr.p.ID)
	d := pr.fullGate(t)
	dose := store.Dose{Amount: "200", Unit: "mg", Route: clinic.RouteSublingual}
	if err := pr.s.RecordDose(ctx, pr.rex, pr.p.ID, d.ID, dose); fieldOf(err, "cs_lot") == "" {
		t.Errorf("a dose without a lot while the log is kept: %v", err)
	}
	dose.CSLot = l1
	if err := pr.s.RecordDose(ctx, pr.thea, pr.p.ID, d.ID, dose); fieldOf(err, "cs_lot") == "" {
		t.Errorf("a dose recorded by an undesignated therapist: %v", err)
	}
	if err := pr.s.SetCSDesignated(ctx, pr.thea, pr.thea.UserID, true); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist designates herself: %v", err)
	}
	if err := pr.s.SetCSDesignated(ctx, pr.admin, pr.thea.UserID, true); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.RecordDose(ctx, pr.thea, pr.p.ID, d.ID, dose); err != nil {
		t.Fatal(err)
	}
	if got := pr.csBalances(t); got["L1"] != 18 {
		t.Fatalf("after the dose %v, want L1 18", got)
	}
	if d, err := pr.s.DosingSessionFor(ctx, pr.thea, pr.p.ID, d.ID); err != nil || d.DoseLot != "L1" {
		t.Errorf("the session's lot %q, %v", d.DoseLot, err)
	}

	rec := func(who store.Actor, lot string, e cslog.Entry) error {
		pr.now = pr.now.Add(time.Second) // the log's order is its recording time's
		_, err := pr.s.RecordCS(ctx, who, lot, e, time.Time{})
		return err
	}
	// Refused, each leaving the balance as it was.
	for _, c := range []struct {
		name  string
		who   store.Actor
		e     cslog.Entry
		field string
	}{
		{"waste without a witness", pr.rex, cslog.Entry{Kind: cslog.Waste, Quantity: 1, Reason: "dropped"}, "witness"},
		{"waste witnessed by oneself", pr.rex, cslog.Entry{Kind: cslog.Waste, Quantity: 1, Reason: "dropped", WitnessID: pr.rex.UserID}, "witness"},
		{"waste witnessed by someone not allowed", pr.rex, cslog.Entry{Kind: cslog.Waste, Quantity: 1, Reason: "dropped", WitnessID: pr.theo.UserID}, "witness"},
		{"waste witnessed by a patient", pr.rex, cslog.Entry{Kind: cslog.Waste, Quantity: 1, Reason: "dropped", WitnessID: pr.patient.UserID}, "witness"},
		{"administration without a session", pr.rex, cslog.Entry{Kind: cslog.Administer, Quantity: 1, PatientID: pr.p.ID}, "kind"},
		{"more than the lot holds", pr.rex, cslog.Entry{Kind: cslog.Dispense, Quantity: 19, PatientID: pr.p.ID, PrescriberID: pr.rex.UserID}, "quantity"},
		{"dispensed with no prescriber", pr.rex, cslog.Entry{Kind: cslog.Dispense, Quantity: 1, PatientID: pr.p.ID}, "prescriber"},
		{"dispensed on a therapist's order", pr.rex, cslog.Entry{Kind: cslog.Dispense, Quantity: 1, PatientID: pr.p.ID, PrescriberID: pr.thea.UserID}, "prescriber"},
		{"dispensed to a patient not on the team", pr.rex, cslog.Entry{Kind: cslog.Dispense, Quantity: 1, PatientID: pr.q.ID, PrescriberID: pr.rex.UserID}, "patient"},
		{"count differing without reason", pr.rex, cslog.Entry{Kind: cslog.Count, Quantity: 17}, "reason"},
		{"correction of another lot's entry", pr.rex, cslog.Entry{Kind: cslog.Correction, Quantity: 1, CorrectsID: "nope", Reason: "x"}, "corrects"},
	} {
		err := rec(c.who, l1, c.e)
		if fieldOf(err, c.field) == "" {
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		}
	}
	if err := rec(pr.theo, l1, cslog.Entry{Kind: cslog.Count, Quantity: 18}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a count by an undesignated therapist: %v", err)
	}
	if got := pr.csBalances(t); got["L1"] != 18 {
		t.Fatalf("after refusals %v, want L1 18", got)
	}

	// Allowed: L1 18 → waste 1 (17) → count 16 (16) → loss 1 (15) →
	// transfer out 5 (10) → return 1 (9) → correction +1 (10) → dispense 2
	// (8); L2 10 → count 10 (10).
	if err := rec(pr.rex, l1, cslog.Entry{Kind: cslog.Waste, Quantity: 1, Reason: "Taken out, not given; destroyed.", WitnessID: pr.rita.UserID}); err != nil {
		t.Fatal(err)
	}
	if err := rec(pr.thea, l1, cslog.Entry{Kind: cslog.Count, Quantity: 16, Reason: "One missing: reported."}); err != nil {
		t.Fatal(err)
	}
	lossID, err := pr.s.RecordCS(ctx, pr.rex, l1, cslog.Entry{Kind: cslog.Loss, Quantity: 1, LossType: "Other", DiscoveredAt: pr.now, Reason: "Crushed."}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []cslog.Entry{
		{Kind: cslog.TransferOut, Quantity: 5, Party: "North office"},
		{Kind: cslog.Return, Quantity: 1, Party: "Reverse distributor", Reason: "Form 41"},
		{Kind: cslog.Correction, Quantity: 1, CorrectsID: lossID, Reason: "The crushed lozenge was found whole."},
		{Kind: cslog.Dispense, Quantity: 2, PatientID: pr.p.ID, PrescriberID: pr.rex.UserID},
	} {
		if err := rec(pr.rex, l1, e); err != nil {
			t.Fatalf("%s: %v %v", e.Kind, err, err.(*clinic.Error).Fields)
		}
	}
	if err := rec(pr.rex, l2, cslog.Entry{Kind: cslog.Count, Quantity: 10}); err != nil {
		t.Fatal(err, err.(*clinic.Error).Fields)
	}
	if got := pr.csBalances(t); got["L1"] != 8 || got["L2"] != 10 {
		t.Fatalf("balances %v, want L1 8, L2 10", got)
	}
	page, err := pr.s.CSEntries(ctx, pr.thea, l1, store.PageKey{Limit: 3})
	if err != nil || page.Total != 9 || len(page.Rows) != 3 || page.Rows[0].Kind != cslog.Dispense || page.Rows[0].Lot.Balance != 8 || page.Next == "" {
		t.Fatalf("entries page: %+v, %v", page, err)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'cs.waste' AND detail LIKE $1`, "%witness="+pr.rita.UserID); err != nil || n != 1 {
		t.Errorf("waste audited %d times, %v", n, err)
	}

	// Reports.
	from, to := pr.now.AddDate(0, 0, -1), pr.now.AddDate(0, 0, 1)
	log, err := pr.s.CSDispensingLog(ctx, pr.rex, from, to)
	if err != nil || len(log) != 2 || log[0].Kind != cslog.Administer || log[0].PatientName != "Pat" || log[0].SessionID != d.ID || log[0].Shown(log[0].Quantity) != "2 units" ||
		log[1].Kind != cslog.Dispense || log[1].PrescriberName != "rex@" || log[0].PrescriberName != "rex@" {
		t.Fatalf("dispensing log %+v, %v", log, err)
	}
	rec1, err := pr.s.CSReconciliation(ctx, pr.thea, from, to)
	if err != nil || len(rec1) != 2 {
		t.Fatalf("reconciliation %+v, %v", rec1, err)
	}
	r := rec1[0]
	if r.Lot.Lot != "L1" || r.Opening != 0 || r.In != 20 || r.Given != 4 || r.Wasted != 1 || r.Out != 6 || r.Lost != 1 || r.Counted != -1 || r.Corrected != 1 || r.Closing != 8 || r.Lot.Balance != 8 {
		t.Errorf("L1 reconciled %+v", r)
	}
	for _, who := range []store.Actor{pr.theo, pr.admin, pr.patient} {
		if _, err := pr.s.CSDispensingLog(ctx, who, from, to); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s (not designated) reads the dispensing log: %v", who.Role, err)
		}
	}
}

// TestCSLogDatabaseRefuses: the database itself refuses what the store
// never writes: an edit or deletion of an entry, a lot or a product; an
// entry leaving the lot below zero or carrying a balance that does not
// follow from the lot's entries; waste without a witness or witnessed by
// its recorder; an administration without a session or of another
// patient's session; a count expecting another balance.
func TestCSLogDatabaseRefuses(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	p, l1, _ := pr.csLog(t)
	sess := pr.addDosing(t, pr.p.ID, "dosed", pr.now)
	ins := func(kind string, quantity, delta, balance int64, extra string, args ...any) error {
		cols, vals := "", ""
		if extra != "" {
			k, v, _ := strings.Cut(extra, "=")
			cols, vals = ", "+k, ", "+v
		}
		a := append([]any{store.NewID(), l1, kind, quantity, delta, balance, pr.rex.UserID, pr.now}, args...)
		return store.ExecForTest(ctx, pr.s, `INSERT INTO cs_entries (id, lot_id, kind, quantity, delta, balance, recorded_by, occurred_at, recorded_at`+cols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8`+vals+`)`, a...)
	}
	// The control: a well-formed administration is accepted.
	if err := ins("administer", 1, -1, 19, "session_id, patient_id=$9, $10", sess, pr.p.ID); err != nil {
		t.Fatalf("a well-formed entry: %v", err)
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"update an entry", store.ExecForTest(ctx, pr.s, `UPDATE cs_entries SET quantity = 2 WHERE lot_id = $1`, l1)},
		{"delete an entry", store.ExecForTest(ctx, pr.s, `DELETE FROM cs_entries WHERE lot_id = $1`, l1)},
		{"update a lot", store.ExecForTest(ctx, pr.s, `UPDATE cs_lots SET lot = 'X' WHERE id = $1`, l1)},
		{"delete a lot", store.ExecForTest(ctx, pr.s, `DELETE FROM cs_lots WHERE id = $1`, l1)},
		{"update a product", store.ExecForTest(ctx, pr.s, `UPDATE cs_products SET strength = '1 mg' WHERE id = $1`, p.ID)},
		{"below zero", ins("dispense", 20, -20, -1, "patient_id=$9", pr.p.ID)},
		{"a balance that does not follow", ins("receipt", 1, 1, 100, "")},
		{"a delta against its kind", ins("receipt", 1, -1, 18, "")},
		{"waste without a witness", ins("waste", 1, -1, 18, "reason=$9", "x")},
		{"waste witnessed by its recorder", ins("waste", 1, -1, 18, "reason, witness_id=$9, $10", "x", pr.rex.UserID)},
		{"administration without a session", ins("administer", 1, -1, 18, "patient_id=$9", pr.p.ID)},
		{"administration of another patient's session", ins("administer", 1, -1, 18, "session_id, patient_id=$9, $10", sess, pr.q.ID)},
		{"administration of no session", ins("administer", 1, -1, 18, "session_id, patient_id=$9, $10", "nope", pr.p.ID)},
		{"a count expecting another balance", ins("count", 19, 0, 19, "expected=$9", int64(20))},
		{"a count differing without reason", ins("count", 18, -1, 18, "expected=$9", int64(19))},
		{"a correction of nothing", ins("correction", 1, 1, 20, "reason=$9", "x")},
	} {
		if c.err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if testing.Verbose() {
			t.Logf("%s: %v", c.name, c.err)
		}
	}
	if got := pr.csBalances(t); got["L1"] != 19 {
		t.Errorf("balances %v, want L1 19", got)
	}
}

// TestCSLogConcurrentEntries: two dispensings from one lot at the same
// moment, which together need more than it holds: one is recorded, the
// other refused with a field error (on PostgreSQL the lot's row lock
// makes them take turns), and the balance never goes below zero.
func TestCSLogConcurrentEntries(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	_, _, l2 := pr.csLog(t) // L2 holds 10
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := pr.s.RecordCS(ctx, pr.rex, l2, cslog.Entry{Kind: cslog.Dispense, Quantity: 6, PatientID: pr.p.ID, PrescriberID: pr.rex.UserID}, time.Time{})
			errs <- err
		}()
	}
	ok, refused := 0, 0
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case fieldOf(err, "quantity") != "":
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("%d recorded, %d refused; want one each", ok, refused)
	}
	if got := pr.csBalances(t); got["L2"] != 4 {
		t.Errorf("L2 = %d, want 4", got["L2"])
	}
}
