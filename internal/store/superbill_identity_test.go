package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// billingPractice is alertPractice with an administrator, a prescriber on
// the patient's care team and a therapist of another team.
func billingPractice(t *testing.T) (s *store.Store, th, rx, other, admin store.Actor, p *store.Patient) {
	t.Helper()
	s, th, p = alertPractice(t)
	ctx := context.Background()
	mk := func(email string, role clinic.Role) store.Actor {
		u := &clinic.User{Email: email, DisplayName: email[:1], Role: role}
		if err := s.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		return store.Actor{UserID: u.ID, Role: role}
	}
	rx, other, admin = mk("rx@example.org", clinic.RolePrescriber), mk("o@example.org", clinic.RoleTherapist), mk("a@example.org", clinic.RoleAdmin)
	if err := s.AddTeamMember(ctx, th, p.ID, rx.UserID); err != nil {
		t.Fatal(err)
	}
	return s, th, rx, other, admin, p
}

func auditCount(t *testing.T, s *store.Store, admin store.Actor, action, outcome string) int {
	t.Helper()
	rows, _, err := s.FindAudit(context.Background(), admin, store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// TestPracticeSuperbillSettings: the practice's address, EIN and NPI are
// saved with the other settings and read back; wrong ones are field
// errors.
func TestPracticeSuperbillSettings(t *testing.T) {
	s, _, _, _, admin, _ := billingPractice(t)
	ctx := context.Background()
	ps, err := s.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ps.Address.Empty() || ps.TaxID != "" || ps.NPI != "" {
		t.Fatalf("a new practice has %+v, want no superbill block", ps)
	}
	ps.TimeZone = "America/New_York"
	ps.Address = clinic.Address{Line1: "100 Example Ave", Line2: "Suite 5", City: "Springfield", State: "il", PostalCode: "62701"}
	ps.TaxID, ps.NPI = "123456789", " 2000000002 "
	if err := s.SavePractice(ctx, admin, ps); err != nil {
		t.Fatal(err)
	}
	got, err := s.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := clinic.Address{Line1: "100 Example Ave", Line2: "Suite 5", City: "Springfield", State: "IL", PostalCode: "62701"}
	if got.Address != want || got.TaxID != "12-3456789" || got.NPI != "2000000002" {
		t.Errorf("saved %+v %q %q, want %+v 12-3456789 2000000002", got.Address, got.TaxID, got.NPI, want)
	}
	tests := []struct {
		name  string
		set   func(*store.PracticeSettings)
		field string
	}{
		{"npi check digit", func(p *store.PracticeSettings) { p.NPI = "2000000003" }, "npi"},
		{"a person's npi", func(p *store.PracticeSettings) { p.NPI = "1234567893" }, "npi"},
		{"npi length", func(p *store.PracticeSettings) { p.NPI = "20000" }, "npi"},
		{"ein", func(p *store.PracticeSettings) { p.TaxID = "1-23456789" }, "tax_id"},
		{"state", func(p *store.PracticeSettings) { p.Address.State = "Illinois" }, "address_state"},
		{"zip", func(p *store.PracticeSettings) { p.Address.PostalCode = "627" }, "address_postal_code"},
		{"no street", func(p *store.PracticeSettings) { p.Address.Line1 = "" }, "address_line1"},
	}
	for _, tt := range tests {
		bad := got
		tt.set(&bad)
		err := s.SavePractice(ctx, admin, bad)
		if e, ok := err.(*clinic.Error); !ok || e.Fields[tt.field] == "" || len(e.Fields) != 1 {
			t.Errorf("%s: %v, want one error on %s", tt.name, err, tt.field)
		}
	}
}

// TestStaffNPI: an administrator sets anyone's NPI, a clinician their
// own; others are refused; a bad number is a field error.
func TestStaffNPI(t *testing.T) {
	s, th, rx, other, admin, _ := billingPractice(t)
	ctx := context.Background()
	if err := s.SetStaffNPI(ctx, admin, th.UserID, "1234567893"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStaffNPI(ctx, rx, rx.UserID, " 1000000004 "); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who    store.Actor
		userID string
		want   string
	}{{th, th.UserID, "1234567893"}, {admin, th.UserID, "1234567893"}, {admin, rx.UserID, "1000000004"}, {rx, rx.UserID, "1000000004"}} {
		if got, err := s.StaffNPI(ctx, c.who, c.userID); err != nil || got != c.want {
			t.Errorf("StaffNPI by %s = %q, %v; want %q", c.who.Role, got, err, c.want)
		}
	}
	if _, err := s.StaffNPI(ctx, other, th.UserID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another therapist reads the NPI: %v", err)
	}
	if err := s.SetStaffNPI(ctx, other, th.UserID, "1234567893"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another therapist sets the NPI: %v", err)
	}
	for _, bad := range []string{"1234567890", "2000000002", "12345", "abc"} {
		err := s.SetStaffNPI(ctx, th, th.UserID, bad)
		if e, ok := err.(*clinic.Error); !ok || e.Fields["npi"] == "" {
			t.Errorf("SetStaffNPI(%q) = %v, want a field error", bad, err)
		}
	}
	if got, _ := s.StaffNPI(ctx, th, th.UserID); got != "1234567893" {
		t.Errorf("after refusals the NPI is %q", got)
	}
	if n := auditCount(t, s, admin, "user.npi", store.OutcomeSuccess); n != 2 {
		t.Errorf("%d user.npi rows, want 2", n)
	}
}

// TestPatientAddress: the care team and administrators save the address,
// the chart shows it, another team cannot; audited like the details.
func TestPatientAddress(t *testing.T) {
	s, th, rx, other, admin, p := billingPractice(t)
	ctx := context.Background()
	a := clinic.Address{Line1: " 1 Elm St ", City: "Portland", State: "or", PostalCode: "97201-1234"}
	if err := s.SavePatientAddress(ctx, th, p.ID, a); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.FindPatient(ctx, th, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Address.Lines(), " / ") != "1 Elm St / Portland, OR 97201-1234" {
		t.Errorf("address %+v", got.Address)
	}
	if err := s.SavePatientAddress(ctx, other, p.ID, a); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another team's therapist saved it: %v", err)
	}
	err = s.SavePatientAddress(ctx, rx, p.ID, clinic.Address{City: "Portland"})
	if e, ok := err.(*clinic.Error); !ok || e.Fields["line1"] == "" || e.Fields["state"] == "" || e.Fields["postal_code"] == "" {
		t.Errorf("a partial address: %v, want field errors", err)
	}
	if err := s.SavePatientAddress(ctx, admin, p.ID, clinic.Address{}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.FindPatient(ctx, th, p.ID); !got.Address.Empty() {
		t.Errorf("cleared address is %+v", got.Address)
	}
	if n := auditCount(t, s, admin, "patient.update", store.OutcomeSuccess); n != 2 {
		t.Errorf("%d patient.update rows, want 2", n)
	}
	if n := auditCount(t, s, admin, "patient.update", store.OutcomeDenied); n != 1 {
		t.Errorf("%d denied patient.update rows, want 1", n)
	}
}

func diagnosisCodes(ds []store.Diagnosis) string {
	var out []string
	for _, d := range ds {
		c := d.Code
		if d.RemovedAt != nil {
			c = "-" + c
		}
		out = append(out, c)
	}
	return strings.Join(out, " ")
}

// TestDiagnoses: the care team's clinicians add, rank and remove
// diagnoses; the list keeps the removed ones as history; the prescriber on
// the team reads it, another team and administrators do not; codes are
// checked against the shipped list.
func TestDiagnoses(t *testing.T) {
	s, th, rx, other, admin, p := billingPractice(t)
	ctx := context.Background()
	list := func(a store.Actor) string {
		t.Helper()
		ds, err := s.Diagnoses(ctx, a, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return diagnosisCodes(ds)
	}
	f33, err := s.AddDiagnosis(ctx, th, p.ID, "f331")
	if err != nil {
		t.Fatal(err)
	}
	if f33.Code != "F33.1" || f33.Text != "Major depressive disorder, recurrent, moderate" || f33.Rank != 1 {
		t.Errorf("added %+v", f33)
	}
	f41, err := s.AddDiagnosis(ctx, rx, p.ID, "F41.1")
	if err != nil {
		t.Fatal(err)
	}
	z, err := s.AddDiagnosis(ctx, th, p.ID, "Z63.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := list(rx); got != "F33.1 F41.1 Z63.0" {
		t.Errorf("list = %q", got)
	}
	if err := s.MakePrimaryDiagnosis(ctx, th, p.ID, z.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(th); got != "Z63.0 F33.1 F41.1" {
		t.Errorf("after making Z63.0 primary: %q", got)
	}
	if err := s.RemoveDiagnosis(ctx, rx, p.ID, f33.ID); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Diagnoses(ctx, th, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := diagnosisCodes(ds); got != "Z63.0 F41.1 -F33.1" {
		t.Errorf("after removing F33.1: %q", got)
	}
	if ds[1].Rank != 2 || ds[2].RemovedBy != "r" || ds[2].AddedBy != "Thea" {
		t.Errorf("ranks and history: %+v", ds)
	}
	// Added again after removal: a new row, the old stays as history.
	if _, err := s.AddDiagnosis(ctx, th, p.ID, "F33.1"); err != nil {
		t.Fatal(err)
	}
	if got := list(th); got != "Z63.0 F41.1 F33.1 -F33.1" {
		t.Errorf("after adding F33.1 again: %q", got)
	}
	if err := s.RemoveDiagnosis(ctx, th, p.ID, f33.ID); err != nil {
		t.Errorf("removing a removed diagnosis again (a second click): %v", err)
	}
	if err := s.MakePrimaryDiagnosis(ctx, th, p.ID, f33.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("making a removed diagnosis primary: %v", err)
	}
	for _, c := range []struct{ code, msg string }{
		{"F41.1", "already"}, {"F33", "heading"}, {"F99.9", "not in"}, {"", "Choose"},
	} {
		_, err := s.AddDiagnosis(ctx, th, p.ID, c.code)
		if e, ok := err.(*clinic.Error); !ok || !strings.Contains(e.Fields["code"], c.msg) {
			t.Errorf("AddDiagnosis(%q) = %v, want a field error saying %q", c.code, err, c.msg)
		}
	}
	// Another team's therapist and administrators: not this chart.
	for _, a := range []store.Actor{other, admin} {
		if _, err := s.Diagnoses(ctx, a, p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("Diagnoses by %s: %v", a.Role, err)
		}
		if _, err := s.AddDiagnosis(ctx, a, p.ID, "F43.10"); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("AddDiagnosis by %s: %v", a.Role, err)
		}
		if err := s.RemoveDiagnosis(ctx, a, p.ID, f41.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("RemoveDiagnosis by %s: %v", a.Role, err)
		}
		if err := s.MakePrimaryDiagnosis(ctx, a, p.ID, f41.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("MakePrimaryDiagnosis by %s: %v", a.Role, err)
		}
	}
	// A diagnosis of another patient is not found through this one.
	q := &store.Patient{DisplayName: "Q", Email: "q@example.org"}
	if err := s.CreatePatient(ctx, other, q, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDiagnosis(ctx, other, q.ID, f41.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("removing another patient's diagnosis: %v", err)
	}
	if err := s.RemoveDiagnosis(ctx, other, q.ID, f33.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("removing another patient's removed diagnosis: %v", err)
	}
	for action, want := range map[string]int{"diagnosis.add": 4, "diagnosis.remove": 2, "diagnosis.primary": 1} {
		if n := auditCount(t, s, admin, action, store.OutcomeSuccess); n != want {
			t.Errorf("%d %s rows, want %d", n, action, want)
		}
	}
	if n := auditCount(t, s, admin, "diagnosis.read", store.OutcomeSuccess); n != 4 {
		t.Errorf("%d diagnosis.read rows, want one per read", n)
	}
}

// TestDiagnosesLimit: at most MaxDiagnoses current diagnoses.
func TestDiagnosesLimit(t *testing.T) {
	s, th, _, _, _, p := billingPractice(t)
	ctx := context.Background()
	codes := []string{"F32.0", "F32.1", "F32.2", "F32.3", "F32.4", "F32.5", "F32.81", "F32.89", "F32.9", "F32.A", "F33.0", "F33.1"}
	for _, c := range codes[:store.MaxDiagnoses] {
		if _, err := s.AddDiagnosis(ctx, th, p.ID, c); err != nil {
			t.Fatal(c, err)
		}
	}
	_, err := s.AddDiagnosis(ctx, th, p.ID, "F41.1")
	if e, ok := err.(*clinic.Error); !ok || !strings.Contains(e.Fields["code"], "at most") {
		t.Errorf("a thirteenth: %v", err)
	}
}

// TestDiagnosesHistoryKept: the database itself refuses to delete a
// diagnosis, to change what was added or by whom, or to change one
// removed; a current one's rank may change.
func TestDiagnosesHistoryKept(t *testing.T) {
	s, th, _, _, _, p := billingPractice(t)
	ctx := context.Background()
	d, err := s.AddDiagnosis(ctx, th, p.ID, "F33.1")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.AddDiagnosis(ctx, th, p.ID, "F41.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDiagnosis(ctx, th, p.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.ExecForTest(ctx, s, `UPDATE patient_diagnoses SET rank = 2 WHERE id = $1`, d.ID); err != nil {
		t.Errorf("changing a current diagnosis's rank: %v", err)
	}
	for _, c := range []struct{ what, q, id string }{
		{"delete", `DELETE FROM patient_diagnoses WHERE id = $1`, d.ID},
		{"change the code", `UPDATE patient_diagnoses SET code = 'F41.1' WHERE id = $1`, d.ID},
		{"change the text", `UPDATE patient_diagnoses SET text = 'x' WHERE id = $1`, d.ID},
		{"change who added", `UPDATE patient_diagnoses SET added_by = removed_by WHERE id = $1`, gone.ID},
		{"restore a removed one", `UPDATE patient_diagnoses SET removed_at = NULL, removed_by = NULL WHERE id = $1`, gone.ID},
		{"rank a removed one", `UPDATE patient_diagnoses SET rank = 7 WHERE id = $1`, gone.ID},
	} {
		if err := store.ExecForTest(ctx, s, c.q, c.id); err == nil {
			t.Errorf("%s: the database allowed it", c.what)
		}
	}
}
