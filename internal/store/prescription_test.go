package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// rxPractice is a small practice for store tests: therapist thea owns patient
// p (who has a portal account) with prescriber rex on the team; rita is a
// prescriber and theo a therapist, neither on the team; q is theo's patient.
type rxPractice struct {
	s                     *store.Store
	now                   time.Time
	thea, theo, rex, rita store.Actor
	admin, patient, other store.Actor
	p, q                  *store.Patient
}

func newRxPractice(t *testing.T) *rxPractice {
	t.Helper()
	ctx := context.Background()
	pr := &rxPractice{s: storetest.Open(t), now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	pr.s.Now = func() time.Time { return pr.now }
	for _, u := range []struct {
		email string
		role  clinic.Role
		into  *store.Actor
	}{
		{"thea@example.org", clinic.RoleTherapist, &pr.thea}, {"theo@example.org", clinic.RoleTherapist, &pr.theo},
		{"rex@example.org", clinic.RolePrescriber, &pr.rex}, {"rita@example.org", clinic.RolePrescriber, &pr.rita},
		{"admin@example.org", clinic.RoleAdmin, &pr.admin},
		{"pat@example.org", clinic.RolePatient, &pr.patient}, {"quin@example.org", clinic.RolePatient, &pr.other},
	} {
		cu := &clinic.User{Email: u.email, DisplayName: u.email[:4], Role: u.role}
		if err := pr.s.CreateUser(ctx, store.System, cu, "hash"); err != nil {
			t.Fatal(err)
		}
		*u.into = store.Actor{UserID: cu.ID, Role: u.role}
	}
	pr.p = &store.Patient{DisplayName: "Pat"}
	if err := pr.s.CreatePatient(ctx, pr.thea, pr.p, ""); err != nil {
		t.Fatal(err)
	}
	pr.q = &store.Patient{DisplayName: "Quin"}
	if err := pr.s.CreatePatient(ctx, pr.theo, pr.q, ""); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.AddTeamMember(ctx, pr.thea, pr.p.ID, pr.rex.UserID); err != nil {
		t.Fatal(err)
	}
	for _, link := range []struct{ user, patient string }{{pr.patient.UserID, pr.p.ID}, {pr.other.UserID, pr.q.ID}} {
		if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET user_id = $1 WHERE id = $2`, link.user, link.patient); err != nil {
			t.Fatal(err)
		}
	}
	return pr
}

// addDosing inserts a dosing session for patientID with status, begun at
// created (and dosed then, for a dosed or discharged one), and returns its id.
func (pr *rxPractice) addDosing(t *testing.T, patientID, status string, created time.Time) string {
	t.Helper()
	id := store.NewID()
	var doseAt any
	if status == "dosed" || status == "discharged" {
		doseAt = created.Add(30 * time.Minute)
	}
	if err := store.ExecForTest(context.Background(), pr.s, `INSERT INTO dosing_sessions (id, patient_id, clinician_id, status, created_at, dose_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, patientID, pr.thea.UserID, status, created, doseAt, created); err != nil {
		t.Fatal(err)
	}
	return id
}

func rxInput(sessions int) clinic.PrescriptionInput {
	return clinic.PrescriptionInput{Drug: clinic.DefaultDrug, Route: clinic.RouteSublingual, Strength: "100 mg RDT", Dose: "200 mg", SessionsAuthorised: sessions}
}

// TestPrescriptionOnlyByTeamPrescriber: only a prescriber on the care team
// records, adjusts or ends a prescription; therapists read it; patients,
// admins and clinicians off the team do neither. Refusals are audited.
func TestPrescriptionOnlyByTeamPrescriber(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()

	for name, who := range map[string]store.Actor{"therapist on the team": pr.thea, "prescriber off the team": pr.rita, "admin": pr.admin, "patient": pr.patient, "other therapist": pr.theo} {
		if _, err := s.RecordPrescription(ctx, who, pr.p.ID, rxInput(6)); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("RecordPrescription as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	// The partner prescriber may not ask for emergency access, and a grant
	// made before that rule (inserted here) lets her neither prescribe nor
	// read.
	if _, err := s.GrantEmergencyAccess(ctx, pr.rita, pr.p.ID, "Patient called in crisis; the team is away."); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Fatalf("GrantEmergencyAccess by the partner prescriber = %v, want %s", err, clinic.ENotFound)
	}
	if err := store.ExecForTest(ctx, s, `INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ('old-grant', $1, $2, 'Granted before the rule.', $3, $4)`,
		pr.p.ID, pr.rita.UserID, pr.now.Add(-time.Minute), pr.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPrescription(ctx, pr.rita, pr.p.ID, rxInput(6)); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("RecordPrescription by emergency access = %v, want %s", err, clinic.ENotFound)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM prescriptions`); err != nil || n != 0 {
		t.Fatalf("prescriptions after refused records = %d, %v; want 0", n, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'prescription.record' AND outcome = 'denied'`); err != nil || n != 6 {
		t.Errorf("denied prescription.record audit rows = %d, %v; want 6", n, err)
	}

	id, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6))
	if err != nil {
		t.Fatalf("RecordPrescription by the team's prescriber: %v", err)
	}
	if err := s.AdjustDose(ctx, pr.thea, pr.p.ID, id, "250 mg", "Little effect at 200 mg."); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("AdjustDose by the therapist = %v, want %s", err, clinic.ENotFound)
	}
	if err := s.EndPrescription(ctx, pr.thea, pr.p.ID, id, "Course finished."); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("EndPrescription by the therapist = %v, want %s", err, clinic.ENotFound)
	}

	got, err := s.FindPrescriptions(ctx, pr.thea, pr.p.ID)
	if err != nil || got.Current == nil || got.Current.ID != id || got.CanPrescribe {
		t.Fatalf("FindPrescriptions as the therapist = %+v, %v; want the prescription, read-only", got, err)
	}
	if got.Current.Dose != "200 mg" || len(got.Current.Adjustments) != 0 || got.Current.EndedAt != nil {
		t.Errorf("after refused changes the prescription = %+v, want it unchanged", got.Current)
	}
	if got, err := s.FindPrescriptions(ctx, pr.rex, pr.p.ID); err != nil || !got.CanPrescribe {
		t.Errorf("FindPrescriptions as the prescriber = %+v, %v; want CanPrescribe", got, err)
	}
	for name, who := range map[string]store.Actor{"patient": pr.patient, "admin": pr.admin, "other therapist": pr.theo, "prescriber with an old emergency grant": pr.rita} {
		if _, err := s.FindPrescriptions(ctx, who, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("FindPrescriptions as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	// A therapist's emergency grant reads the prescription, never writes it.
	if _, err := s.GrantEmergencyAccess(ctx, pr.theo, pr.p.ID, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindPrescriptions(ctx, pr.theo, pr.p.ID); err != nil || got.CanPrescribe || got.Current == nil {
		t.Errorf("FindPrescriptions by emergency access = %+v, %v; want it readable, not writable", got, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'prescription.read' AND outcome = 'success' AND patient_id = $1`, pr.p.ID); err != nil || n != 3 {
		t.Errorf("prescription.read audit rows = %d, %v; want 3", n, err)
	}
}

// TestPrescriptionAdjustAndEnd: the dose changes only by adjustments with a
// reason (the latest counts, the original is kept); ending needs a reason;
// a new prescription needs the old one ended; a stale form is a conflict.
func TestPrescriptionAdjustAndEnd(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()

	bad := []struct {
		name  string
		in    clinic.PrescriptionInput
		field string
	}{
		{"no route", clinic.PrescriptionInput{Drug: "ketamine", Strength: "100 mg", Dose: "200 mg", SessionsAuthorised: 6}, "route"},
		{"unknown route", clinic.PrescriptionInput{Drug: "ketamine", Route: "rectal", Strength: "100 mg", Dose: "200 mg", SessionsAuthorised: 6}, "route"},
		{"no drug", clinic.PrescriptionInput{Route: "oral", Strength: "100 mg", Dose: "200 mg", SessionsAuthorised: 6}, "drug"},
		{"drug too long", clinic.PrescriptionInput{Drug: string(make([]byte, 101)), Route: "oral", Strength: "100 mg", Dose: "200 mg", SessionsAuthorised: 6}, "drug"},
		{"no dose", clinic.PrescriptionInput{Drug: "ketamine", Route: "oral", Strength: "100 mg", SessionsAuthorised: 6}, "dose"},
		{"no strength", clinic.PrescriptionInput{Drug: "ketamine", Route: "oral", Dose: "200 mg", SessionsAuthorised: 6}, "strength"},
		{"no sessions", clinic.PrescriptionInput{Drug: "ketamine", Route: "oral", Strength: "100 mg", Dose: "200 mg"}, "sessions_authorised"},
		{"25 sessions", clinic.PrescriptionInput{Drug: "ketamine", Route: "oral", Strength: "100 mg", Dose: "200 mg", SessionsAuthorised: 25}, "sessions_authorised"},
	}
	for _, tt := range bad {
		_, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, tt.in)
		if e, ok := err.(*clinic.Error); !ok || e.Code != clinic.EInvalid || e.Fields[tt.field] == "" {
			t.Errorf("RecordPrescription with %s = %v, want a field error at %s", tt.name, err, tt.field)
		}
	}
	// A dose per kilogram is a dose like any other, kept as written; no
	// dose is checked against a reported range.
	iv := clinic.PrescriptionInput{Drug: " ketamine (racemic) ", Route: clinic.RouteIntravenous, Strength: "50 mg/mL", Dose: "0.5 mg/kg", SessionsAuthorised: 6}
	id, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, iv)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := s.FindPrescriptions(ctx, pr.rex, pr.p.ID)
	if c := cur.Current; c == nil || c.Drug != "ketamine (racemic)" || c.Dose != "0.5 mg/kg" || c.DoseMg != nil || c.PrescriberName != "rex@" || !c.At.Equal(pr.now) {
		t.Fatalf("current prescription = %+v, want the IV one, dose per kg without mg", cur.Current)
	}
	if _, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6)); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("a second prescription while one is current = %v, want %s", err, clinic.EInvalid)
	}
	if err := s.EndPrescription(ctx, pr.rex, pr.p.ID, id, "Changing to lozenges."); err != nil {
		t.Fatal(err)
	}

	pr.now = pr.now.Add(time.Hour)
	id2, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6))
	if err != nil {
		t.Fatal(err)
	}
	// An adjustment without a reason, or without a new dose, is refused at
	// the field.
	for _, tt := range []struct{ dose, reason, field string }{
		{"300 mg", "  ", "reason"},
		{"", "Stronger effect wanted.", "dose"},
		{"200 MG", "Same again.", "dose"},
	} {
		err := s.AdjustDose(ctx, pr.rex, pr.p.ID, id2, tt.dose, tt.reason)
		if e, ok := err.(*clinic.Error); !ok || e.Code != clinic.EInvalid || e.Fields[tt.field] == "" {
			t.Errorf("AdjustDose(%q, %q) = %v, want a field error at %s", tt.dose, tt.reason, err, tt.field)
		}
	}
	if err := s.AdjustDose(ctx, pr.rex, pr.p.ID, id, "300 mg", "Stale form."); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("AdjustDose on the ended prescription = %v, want %s", err, clinic.EConflict)
	}
	pr.now = pr.now.Add(time.Hour)
	if err := s.AdjustDose(ctx, pr.rex, pr.p.ID, id2, "300 mg", "Little effect at 200 mg."); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Hour)
	if err := s.AdjustDose(ctx, pr.rex, pr.p.ID, id2, "250 mg", "Nausea at 300 mg."); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindPrescriptions(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Current
	if c == nil || c.ID != id2 || c.Dose != "250 mg" || c.OriginalDose != "200 mg" || c.DoseMg == nil || *c.DoseMg != 250 || c.SessionsAuthorised != 6 {
		t.Fatalf("current prescription = %+v, want the lozenges at 250 mg", c)
	}
	if len(c.Adjustments) != 2 || c.Adjustments[0].Dose != "300 mg" || c.Adjustments[1].Reason != "Nausea at 300 mg." || c.Adjustments[1].ByName != "rex@" {
		t.Errorf("adjustments = %+v, want 300 mg then 250 mg, oldest first", c.Adjustments)
	}
	if len(got.Past) != 1 || got.Past[0].ID != id || got.Past[0].EndReason != "Changing to lozenges." || got.Past[0].EndedAt == nil {
		t.Errorf("past prescriptions = %+v, want the ended IV one", got.Past)
	}
	if err := s.EndPrescription(ctx, pr.rex, pr.p.ID, id2, ""); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("EndPrescription without a reason = %v, want %s", err, clinic.EInvalid)
	}
}

// TestPrescriptionSessionsUsed: sessions used are the patient's dosed and
// discharged dosing sessions since the prescription was recorded (until it
// ended); sessions before it, stopped or not yet dosed ones, and other
// patients' do not count.
func TestPrescriptionSessionsUsed(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	start := pr.now
	pr.addDosing(t, pr.p.ID, "discharged", start.Add(-48*time.Hour)) // before the prescription
	id, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6))
	if err != nil {
		t.Fatal(err)
	}
	pr.addDosing(t, pr.p.ID, "discharged", start.Add(24*time.Hour))
	pr.addDosing(t, pr.p.ID, "discharged", start.Add(14*24*time.Hour))
	pr.addDosing(t, pr.p.ID, "discharged", start.Add(28*24*time.Hour))
	pr.addDosing(t, pr.p.ID, "stopped", start.Add(29*24*time.Hour))
	pr.addDosing(t, pr.p.ID, "gate", start.Add(30*24*time.Hour))    // a patient has one open session at most
	pr.addDosing(t, pr.q.ID, "discharged", start.Add(24*time.Hour)) // another patient

	got, err := s.FindPrescriptions(ctx, pr.rex, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Current.SessionsUsed != 3 || got.Current.SessionsLeft() != 3 {
		t.Errorf("sessions used = %d (left %d), want 3 of 6 (3 left)", got.Current.SessionsUsed, got.Current.SessionsLeft())
	}
	// The store's own reader, for the dosing session's code, agrees.
	if cur, err := store.CurrentPrescriptionForTest(ctx, s, pr.p.ID); err != nil || cur == nil || cur.ID != id || cur.SessionsUsed != 3 || cur.Dose != "200 mg" {
		t.Errorf("currentPrescriptionIn = %+v, %v; want the prescription with 3 sessions used", cur, err)
	}

	pr.now = start.Add(40 * 24 * time.Hour)
	if err := s.EndPrescription(ctx, pr.rex, pr.p.ID, id, "Initial course complete."); err != nil {
		t.Fatal(err)
	}
	pr.now = start.Add(41 * 24 * time.Hour)
	if _, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(2)); err != nil {
		t.Fatal(err)
	}
	pr.addDosing(t, pr.p.ID, "discharged", start.Add(45*24*time.Hour))
	got, err = s.FindPrescriptions(ctx, pr.rex, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Current.SessionsUsed != 1 || len(got.Past) != 1 || got.Past[0].SessionsUsed != 3 {
		t.Errorf("after a new prescription: current used %d, past %+v; want 1, and 3 for the ended one", got.Current.SessionsUsed, got.Past)
	}
}

// TestPrescriptionAppendOnly: the database refuses to change or delete a
// prescription, an adjustment or an end, on both engines.
func TestPrescriptionAppendOnly(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	id, err := s.RecordPrescription(ctx, pr.rex, pr.p.ID, rxInput(6))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AdjustDose(ctx, pr.rex, pr.p.ID, id, "250 mg", "Tolerated well; little effect."); err != nil {
		t.Fatal(err)
	}
	if err := s.EndPrescription(ctx, pr.rex, pr.p.ID, id, "Course complete."); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE prescriptions SET dose = '900 mg' WHERE id = $1`,
		`DELETE FROM prescriptions WHERE id = $1`,
		`UPDATE prescription_adjustments SET dose = '900 mg' WHERE prescription_id = $1`,
		`DELETE FROM prescription_adjustments WHERE prescription_id = $1`,
		`UPDATE prescription_ends SET reason = 'x' WHERE prescription_id = $1`,
		`DELETE FROM prescription_ends WHERE prescription_id = $1`,
	} {
		if err := store.ExecForTest(ctx, s, q, id); err == nil {
			t.Errorf("%s succeeded, want refused", q)
		}
	}
}
