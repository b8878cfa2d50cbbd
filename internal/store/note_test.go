package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// addAppointment books an appointment of kind for patientID with the
// therapist, at when, and returns its id.
func (pr *rxPractice) addAppointment(t *testing.T, patientID, kind string, when time.Time) string {
	t.Helper()
	id := store.NewID()
	if err := store.ExecForTest(context.Background(), pr.s, `INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, 50, $5, $5, $6)`, id, patientID, kind, when, pr.thea.UserID, when.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return id
}

func dap(data string) store.NoteInput {
	return store.NoteInput{Format: clinic.NoteDAP, Sections: map[string]string{"data": data, "assessment": "Settled.", "plan": "Integration next week."}}
}

// TestNoteDraftSignAddendum walks a note from its first save to signed,
// with an addendum under it, and checks who may do what on the way.
func TestNoteDraftSignAddendum(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "preparation", pr.now.Add(-time.Hour))

	// Not written yet: the kind's template, unsaved.
	n, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || n.ID != "" || n.Version != 0 || n.Format != clinic.NoteDAP || n.Kind != "preparation" {
		t.Fatalf("NoteFor before writing = %+v, %v", n, err)
	}
	// Nobody outside the care team reads or writes notes.
	for name, who := range map[string]store.Actor{"admin": pr.admin, "therapist off the team": pr.theo, "patient": pr.patient, "prescriber off the team": pr.rita} {
		if _, err := s.NoteFor(ctx, who, pr.p.ID, appt); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("NoteFor as %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.SaveNoteDraft(ctx, who, pr.p.ID, appt, dap("x")); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveNoteDraft as %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.Notes(ctx, who, pr.p.ID, 1); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("Notes as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}

	// First save creates the draft, version 1; the next save needs it.
	n, err = s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, dap("Talked about intentions.\r\n"))
	if err != nil || n.Version != 1 || n.Sections["data"] != "Talked about intentions." {
		t.Fatalf("first save = %+v, %v", n, err)
	}
	pr.now = pr.now.Add(time.Minute)
	in := dap("Talked about intentions and music.")
	in.Version = 1
	if n, err = s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in); err != nil || n.Version != 2 {
		t.Fatalf("second save = %+v, %v", n, err)
	}
	// A stale save (from version 1 again) is refused and changes nothing.
	stale := dap("Older text from another window.")
	stale.Version = 1
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, stale); clinic.ErrorCode(err) != clinic.EConflict || !strings.Contains(clinic.ErrorMessage(err), "not saved over it") {
		t.Errorf("stale save = %v, want a conflict that says so", err)
	}
	if got, _ := s.NoteFor(ctx, pr.thea, pr.p.ID, appt); got.Sections["data"] != "Talked about intentions and music." || got.Version != 2 {
		t.Errorf("after the stale save the draft is %+v", got)
	}
	// A second first save (a new note) on an existing draft is stale too.
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, dap("new")); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("save with version 0 on a draft = %v, want conflict", err)
	}
	// Another clinician on the team reads the draft but cannot change or sign it.
	if got, err := s.NoteFor(ctx, pr.rex, pr.p.ID, appt); err != nil || got.Version != 2 {
		t.Errorf("NoteFor as the team's prescriber = %+v, %v", got, err)
	}
	in.Version = 2
	if _, err := s.SaveNoteDraft(ctx, pr.rex, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EForbidden {
		t.Errorf("SaveNoteDraft of another's draft = %v, want forbidden", err)
	}
	in.Attest = true
	if _, err := s.SignNote(ctx, pr.rex, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EForbidden {
		t.Errorf("SignNote of another's draft = %v, want forbidden", err)
	}
	// Bad text: an error at the section, nothing saved.
	bad := dap("a\x00b")
	bad.Version = 2
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, bad); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("control character = %v, want invalid", err)
	}
	// Signing needs the attestation and some text.
	noAttest := in
	noAttest.Attest = false
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, noAttest); fieldErr(err, "attest") == "" {
		t.Errorf("sign without attesting = %v, want an error at attest", err)
	}
	empty := store.NoteInput{Format: clinic.NoteDAP, Sections: map[string]string{"data": "  "}, Version: 2, Attest: true}
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, empty); fieldErr(err, "section_data") == "" {
		t.Errorf("sign an empty note = %v, want an error at the first section", err)
	}

	pr.now = pr.now.Add(time.Minute)
	signed, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, in)
	if err != nil || signed.Status != clinic.NoteSigned || signed.SignedAt == nil || !strings.HasPrefix(signed.ContentHash, "sha256:") {
		t.Fatalf("SignNote = %+v, %v", signed, err)
	}
	got, err := s.NoteFor(ctx, pr.rex, pr.p.ID, appt)
	if err != nil || !got.Verify() || got.SignedByName != "thea" || got.ContentHash != signed.ContentHash {
		t.Fatalf("the signed note as read = %+v, %v; want it to verify", got, err)
	}
	// A tampered copy does not verify.
	tampered := *got
	tampered.Sections = map[string]string{"data": "Something else.", "assessment": "Settled.", "plan": "Integration next week."}
	if tampered.Verify() {
		t.Error("a tampered copy of the note verifies")
	}

	// Every store method that changes a note refuses a signed one.
	in.Version = 3
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("SaveNoteDraft of a signed note = %v, want conflict", err)
	}
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("SignNote of a signed note = %v, want conflict", err)
	}
	for _, v := range []int{0, 1, 2, 3} {
		in.Version = v
		if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in); err == nil {
			t.Errorf("SaveNoteDraft with version %d changed a signed note", v)
		}
	}

	// Addenda: signed, under the original, by any clinician on the team.
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, "rewrite", "x"); fieldErr(err, "kind") == "" {
		t.Errorf("addendum of an unknown kind = %v", err)
	}
	if _, err := s.AddNoteAddendum(ctx, pr.theo, pr.p.ID, appt, clinic.AddendumCorrection, "x"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("addendum by a therapist off the team = %v", err)
	}
	pr.now = pr.now.Add(time.Hour)
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, clinic.AddendumCorrection, "The music was the patient's own playlist."); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Hour)
	if _, err := s.AddNoteAddendum(ctx, pr.rex, pr.p.ID, appt, clinic.AddendumClarification, "No medication change discussed."); err != nil {
		t.Fatal(err)
	}
	got, err = s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || len(got.Addenda) != 2 || got.Addenda[0].AuthorName != "thea" || got.Addenda[1].AuthorName != "rex@" && got.Addenda[1].AuthorName != "rex" {
		t.Fatalf("addenda = %+v, %v", got.Addenda, err)
	}
	for _, a := range got.Addenda {
		if !a.Verified || !strings.HasPrefix(a.ContentHash, "sha256:") {
			t.Errorf("addendum %+v does not verify", a)
		}
	}
	if !got.Verify() || got.Sections["data"] != "Talked about intentions and music." {
		t.Errorf("the original changed with its addenda: %+v", got)
	}

	// The list: this note, signed, with its addenda counted.
	list, err := s.Notes(ctx, pr.rex, pr.p.ID, 1)
	if err != nil || len(list.Notes) != 1 || list.Notes[0].Status != clinic.NoteSigned || list.Notes[0].Addenda != 2 || list.More {
		t.Fatalf("Notes = %+v, %v", list, err)
	}

	// Audited: reads and writes.
	for _, action := range []string{"note.read", "note.draft", "note.sign", "note.addendum", "note.list"} {
		if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = $1 AND patient_id = $2`, action, pr.p.ID); err != nil || n == 0 {
			t.Errorf("%s audited %d times, %v", action, n, err)
		}
	}
}

func fieldErr(err error, field string) string {
	var e *clinic.Error
	if x, ok := err.(*clinic.Error); ok {
		e = x
	}
	if e == nil || e.Code != clinic.EInvalid {
		return ""
	}
	return e.Fields[field]
}

// TestSignedNoteTriggers: the database itself refuses any UPDATE or
// DELETE of a signed note's row, and of any addendum, whoever sends it;
// a draft's row may still change.
func TestSignedNoteTriggers(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-time.Hour))
	draftAppt := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(-2*time.Hour))
	in := dap("Session notes.")
	n, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Version, in.Attest = n.Version, true
	if n, err = s.SignNote(ctx, pr.thea, pr.p.ID, appt, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, clinic.AddendumAmendment, "Added later."); err != nil {
		t.Fatal(err)
	}
	d, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, draftAppt, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE notes SET sections = '{"data":"rewritten"}' WHERE id = $1`,
		`UPDATE notes SET status = 'draft' WHERE id = $1`,
		`UPDATE notes SET content_hash = 'sha256:00' WHERE id = $1`,
		`UPDATE notes SET updated_at = updated_at WHERE id = $1`,
		`DELETE FROM notes WHERE id = $1`,
		`UPDATE note_addenda SET body = 'rewritten' WHERE note_id = $1`,
		`DELETE FROM note_addenda WHERE note_id = $1`,
	} {
		if err := store.ExecForTest(ctx, s, q, n.ID); err == nil {
			t.Errorf("%s: allowed on a signed note", q)
		}
	}
	got, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || !got.Verify() || len(got.Addenda) != 1 || got.Addenda[0].Body != "Added later." {
		t.Fatalf("after the refused SQL the note is %+v, %v", got, err)
	}
	// A draft's row is an ordinary row.
	if err := store.ExecForTest(ctx, s, `UPDATE notes SET updated_at = updated_at WHERE id = $1`, d.ID); err != nil {
		t.Errorf("updating a draft: %v", err)
	}
	// Co-signature's state (a later change) is locked the same way: its
	// content cannot change, though its status may move on to signed.
	if err := store.ExecForTest(ctx, s, `UPDATE notes SET status = 'awaiting_cosign', signed_by = $2, signed_at = $3, content_hash = 'sha256:aa' WHERE id = $1`,
		d.ID, pr.thea.UserID, pr.now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE notes SET sections = '{"plan":"y"}' WHERE id = $1`,
		`UPDATE notes SET status = 'draft' WHERE id = $1`,
		`UPDATE notes SET content_hash = 'sha256:bb' WHERE id = $1`,
		`DELETE FROM notes WHERE id = $1`,
	} {
		if err := store.ExecForTest(ctx, s, q, d.ID); err == nil {
			t.Errorf("%s: allowed on a note awaiting co-signature", q)
		}
	}
	if err := store.ExecForTest(ctx, s, `UPDATE notes SET status = 'signed', cosigner_id = $2, cosigned_at = $3, cosign_hash = 'sha256:cc' WHERE id = $1`,
		d.ID, pr.rex.UserID, pr.now); err != nil {
		t.Errorf("co-signing a note awaiting co-signature: %v", err)
	}
}

// TestNoteDosingSessionLinked: a dosing note reads its session live from
// the session record, by the appointment.
func TestNoteDosingSessionLinked(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "dosing", pr.now.Add(-3*time.Hour))
	if got, err := s.NoteDosingSession(ctx, pr.thea, pr.p.ID, appt); err != nil || got != nil {
		t.Fatalf("no session yet = %+v, %v", got, err)
	}
	id := pr.addDosing(t, pr.p.ID, "discharged", pr.now.Add(-3*time.Hour))
	if err := store.ExecForTest(ctx, s, `UPDATE dosing_sessions SET appointment_id = $1, dose_amount = '150 mg' WHERE id = $2`, appt, id); err != nil {
		t.Fatal(err)
	}
	got, err := s.NoteDosingSession(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || got == nil || got.ID != id || got.DoseAmount != "150 mg" {
		t.Fatalf("NoteDosingSession = %+v, %v", got, err)
	}
	if _, err := s.NoteDosingSession(ctx, pr.admin, pr.p.ID, appt); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("NoteDosingSession as admin = %v", err)
	}
}

// TestNotesPaged: the list pages in SQL, newest appointment first.
func TestNotesPaged(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	total := store.NotePageSize + 3
	for i := range total {
		appt := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(-time.Duration(i+1)*24*time.Hour))
		if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "p"}}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Notes(ctx, pr.thea, pr.p.ID, 1)
	if err != nil || len(first.Notes) != store.NotePageSize || !first.More {
		t.Fatalf("page 1 = %d notes, more %v, %v", len(first.Notes), first.More, err)
	}
	second, err := s.Notes(ctx, pr.thea, pr.p.ID, 2)
	if err != nil || len(second.Notes) != 3 || second.More {
		t.Fatalf("page 2 = %d notes, more %v, %v", len(second.Notes), second.More, err)
	}
	if !first.Notes[0].AppointmentAt.After(first.Notes[1].AppointmentAt) || !first.Notes[len(first.Notes)-1].AppointmentAt.After(second.Notes[0].AppointmentAt) {
		t.Error("notes are not newest first across pages")
	}
	t.Logf("%d notes in 2 pages", total)
}
