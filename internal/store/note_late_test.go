package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestLateNotes: attended appointments whose note is not signed more than
// N days after them, in the practice's zone, for the clinician's own
// appointments and, for an admin, the practice's; a signed note drops
// off; the setting is the admin's.
func TestLateNotes(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	if err := s.SetSetting(ctx, pr.admin, "time_zone", "America/New_York"); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	// Now: Friday 4 December 2026, 00:30 in New York (05:30 UTC).
	pr.now = time.Date(2026, 12, 4, 0, 30, 0, 0, ny).UTC()
	book := func(patientID, clinicianID string, at time.Time, outcome string) string {
		id := store.NewID()
		if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, outcome)
			VALUES ($1, $2, 'integration', $3, 50, $4, $4, $5, $6)`, id, patientID, at.UTC(), clinicianID, at.UTC().Add(-48*time.Hour), outcome); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Monday 30 November 23:30 New York is 1 December 04:30 UTC: by the
	// practice's calendar it is Monday, so late from Friday 00:00.
	monday := book(pr.p.ID, pr.thea.UserID, time.Date(2026, 11, 30, 23, 30, 0, 0, ny), "attended")
	// Tuesday 1 December 00:30 New York: on time until the end of Friday.
	tuesday := book(pr.p.ID, pr.thea.UserID, time.Date(2026, 12, 1, 0, 30, 0, 0, ny), "attended")
	book(pr.p.ID, pr.thea.UserID, time.Date(2026, 11, 20, 10, 0, 0, 0, ny), "no_show") // not attended
	book(pr.p.ID, pr.thea.UserID, time.Date(2026, 11, 20, 11, 0, 0, 0, ny), "")        // no outcome recorded
	draft := book(pr.p.ID, pr.thea.UserID, time.Date(2026, 11, 20, 12, 0, 0, 0, ny), "attended")
	signed := book(pr.p.ID, pr.thea.UserID, time.Date(2026, 11, 20, 13, 0, 0, 0, ny), "attended")
	theos := book(pr.q.ID, pr.theo.UserID, time.Date(2026, 11, 19, 9, 0, 0, 0, ny), "attended")
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, draft, dap("Draft text that must not be listed.")); err != nil {
		t.Fatal(err)
	}
	in := dap("Signed.")
	in.Attest = true
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, signed, in); err != nil {
		t.Fatal(err)
	}
	ids := func(l *store.LateNoteList) string {
		var out []string
		for _, n := range l.Notes {
			out = append(out, n.AppointmentID)
		}
		return strings.Join(out, ",")
	}
	list, err := s.LateNotes(ctx, pr.thea, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(list), draft+","+monday; got != want || list.Days != clinic.DefaultNoteLateDays || list.Practice {
		t.Fatalf("thea's late notes = %s, want %s (draft, then Monday's); %+v", got, want, list)
	}
	if l := list.Notes[0]; l.Status != clinic.NoteDraft || l.DaysLate != 11 || l.PatientName != "Pat" || l.ClinicianName != "thea" {
		t.Errorf("draft's line = %+v", l)
	}
	if l := list.Notes[1]; l.Status != "" || l.DaysLate != 1 {
		t.Errorf("Monday's line = %+v", l)
	}
	// A minute before midnight it was not late yet; the next day Tuesday's is.
	pr.now = time.Date(2026, 12, 3, 23, 59, 0, 0, ny).UTC()
	if l, _ := s.LateNotes(ctx, pr.thea, 1); ids(l) != draft {
		t.Errorf("at 23:59 on Thursday the late notes are %s, want only the draft", ids(l))
	}
	pr.now = time.Date(2026, 12, 5, 0, 0, 0, 0, ny).UTC()
	if l, _ := s.LateNotes(ctx, pr.thea, 1); ids(l) != draft+","+monday+","+tuesday {
		t.Errorf("on Saturday the late notes are %s", ids(l))
	}
	if c, err := s.CountLateNotes(ctx, pr.thea); err != nil || c != 3 {
		t.Errorf("CountLateNotes(thea) = %d, %v", c, err)
	}
	// Another clinician sees only their own; the admin the practice's; a patient nothing.
	if l, _ := s.LateNotes(ctx, pr.theo, 1); ids(l) != theos {
		t.Errorf("theo's late notes = %s", ids(l))
	}
	all, err := s.LateNotes(ctx, pr.admin, 1)
	if err != nil || !all.Practice || ids(all) != theos+","+draft+","+monday+","+tuesday {
		t.Errorf("the practice's late notes = %s, %v", ids(all), err)
	}
	if _, err := s.LateNotes(ctx, pr.patient, 1); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a patient's late notes = %v", err)
	}
	// Signing drops it off the list.
	in.Version = 1
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, draft, in); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.LateNotes(ctx, pr.thea, 1); ids(l) != monday+","+tuesday {
		t.Errorf("after signing, the late notes are %s", ids(l))
	}
	// The practice's setting: only admins, audited; 7 days takes them all off.
	if err := s.SetNoteLateDays(ctx, pr.thea, "7"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist sets the days: %v", err)
	}
	if err := s.SetNoteLateDays(ctx, pr.admin, "0"); fieldErr(err, "late_days") == "" {
		t.Errorf("0 days: %v", err)
	}
	if err := s.SetNoteLateDays(ctx, pr.admin, "7"); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.LateNotes(ctx, pr.thea, 1); len(l.Notes) != 0 || l.Days != 7 {
		t.Errorf("with 7 days the late notes are %s (days %d)", ids(l), l.Days)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'setting.change' AND object_id = 'note_late_days'`); err != nil || n != 1 {
		t.Errorf("the setting's change audited %d times, %v", n, err)
	}
}

// TestLateNotesPaged: pages of NotePageSize, in SQL, oldest first.
func TestLateNotesPaged(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	total := store.NotePageSize + 3
	for i := range total {
		if err := store.ExecForTest(ctx, s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, outcome)
			VALUES ($1, $2, 'follow_up', $3, 50, $4, $4, $3, 'attended')`, store.NewID(), pr.p.ID, pr.now.Add(-time.Duration(10+i)*24*time.Hour), pr.thea.UserID); err != nil {
			t.Fatal(err)
		}
	}
	one, err := s.LateNotes(ctx, pr.thea, 1)
	if err != nil || len(one.Notes) != store.NotePageSize || !one.More {
		t.Fatalf("page 1 = %d notes, more %v, %v", len(one.Notes), one.More, err)
	}
	two, err := s.LateNotes(ctx, pr.thea, 2)
	if err != nil || len(two.Notes) != 3 || two.More || !two.Notes[0].AppointmentAt.After(one.Notes[len(one.Notes)-1].AppointmentAt) {
		t.Fatalf("page 2 = %+v, %v", two, err)
	}
	t.Logf("%d late notes in 2 pages", total)
}
