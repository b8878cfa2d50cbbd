package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestNoteSupervisor: only an administrator names a supervisor, who must
// be another clinician with an enabled account; a change is audited.
func TestNoteSupervisor(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	thea := pr.thea.UserID
	if err := s.SetNoteSupervisor(ctx, pr.thea, thea, pr.theo.UserID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist names her own supervisor: %v, want %s", err, clinic.ENotFound)
	}
	for name, c := range map[string]struct{ user, sup string }{
		"themselves":            {thea, thea},
		"an admin":              {thea, pr.admin.UserID},
		"a patient":             {thea, pr.patient.UserID},
		"no such user":          {thea, "nobody"},
		"an admin's own notes":  {pr.admin.UserID, pr.theo.UserID},
		"a patient's own notes": {pr.patient.UserID, pr.theo.UserID},
	} {
		if err := s.SetNoteSupervisor(ctx, pr.admin, c.user, c.sup); fieldErr(err, "supervisor_id") == "" {
			t.Errorf("supervisor %s: %v, want an error at supervisor_id", name, err)
		}
	}
	if err := s.SetNoteSupervisor(ctx, pr.admin, "nobody", pr.theo.UserID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("supervisee that does not exist: %v", err)
	}
	if err := s.SetNoteSupervisor(ctx, pr.admin, thea, pr.theo.UserID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NoteSupervisor(ctx, pr.admin, thea); err != nil || got != pr.theo.UserID {
		t.Errorf("NoteSupervisor = %q, %v", got, err)
	}
	// Each other's supervisor: refused.
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.theo.UserID, thea); fieldErr(err, "supervisor_id") == "" {
		t.Errorf("mutual supervision: %v", err)
	}
	choices, err := s.SupervisorChoices(ctx, pr.admin, thea)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range choices {
		names = append(names, c.Name)
	}
	if len(choices) != 3 { // theo, rex, rita: not thea, the admin or patients
		t.Errorf("SupervisorChoices = %v", names)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'user.supervisor' AND object_id = $1`, thea); err != nil || n != 1 {
		t.Errorf("user.supervisor audited %d times, %v", n, err)
	}
	if err := s.SetNoteSupervisor(ctx, pr.admin, thea, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.NoteSupervisor(ctx, pr.admin, thea); got != "" {
		t.Errorf("after removing, supervisor = %q", got)
	}
}

// TestNoteCosignFlow: a supervisee's signature waits for the supervisor;
// the note is locked meanwhile (store and SQL); only the supervisor, who
// is not on the care team, reads it and co-signs or returns it.
func TestNoteCosignFlow(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-time.Hour))
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.thea.UserID, pr.theo.UserID); err != nil {
		t.Fatal(err)
	}
	sign := func(text string) *store.Note {
		t.Helper()
		n, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
		if err != nil {
			t.Fatal(err)
		}
		in := dap(text)
		in.Version, in.Attest = n.Version, true
		n, err = s.SignNote(ctx, pr.thea, pr.p.ID, appt, in)
		if err != nil {
			t.Fatalf("SignNote: %v", err)
		}
		return n
	}
	n := sign("First version.")
	if n.Status != clinic.NoteAwaitingCosign || n.CosignerID != pr.theo.UserID || !n.Verify() {
		t.Fatalf("signed by the supervisee: %+v", n)
	}

	// Locked: the store refuses a save, a second signature and addenda.
	in := dap("Changed after signing.")
	in.Version = n.Version
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("save while awaiting = %v, want conflict", err)
	}
	in.Attest = true
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("sign while awaiting = %v, want conflict", err)
	}
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, clinic.AddendumAmendment, "More."); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("addendum while awaiting = %v, want conflict", err)
	}
	// ... and so does the database.
	for _, q := range []string{
		`UPDATE notes SET sections = '{"data":"rewritten"}' WHERE id = $1`,
		`UPDATE notes SET format = 'soap' WHERE id = $1`,
		`UPDATE notes SET signed_at = NULL WHERE id = $1`,
		`UPDATE notes SET status = 'draft' WHERE id = $1`,
		`UPDATE notes SET status = 'signed' WHERE id = $1`,
		`UPDATE notes SET status = 'draft', signed_by = '', signed_at = NULL, content_hash = '', cosigner_id = '', sections = '{"data":"x"}' WHERE id = $1`,
		`DELETE FROM notes WHERE id = $1`,
	} {
		if err := store.ExecForTest(ctx, s, q, n.ID); err == nil {
			t.Errorf("%s: allowed on a note awaiting co-signature", q)
		}
	}

	// Not the supervisor: nobody else reads, co-signs or returns it, even
	// on the care team; the supervisor reaches this note and not the chart.
	for name, who := range map[string]store.Actor{"the author": pr.thea, "a prescriber on the team": pr.rex, "another prescriber": pr.rita, "admin": pr.admin, "patient": pr.patient} {
		if _, err := s.NoteForCosign(ctx, who, n.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("NoteForCosign as %s = %v", name, err)
		}
		if _, err := s.CosignNote(ctx, who, n.ID, true); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("CosignNote as %s = %v", name, err)
		}
		if err := s.ReturnNote(ctx, who, n.ID, "Redo."); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("ReturnNote as %s = %v", name, err)
		}
	}
	if _, err := s.NoteFor(ctx, pr.theo, pr.p.ID, appt); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("the supervisor reads the chart's note page: %v", err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'note.cosign' AND outcome = 'denied' AND object_id = $1`, n.ID); err != nil || n < 3 { // the clinicians; an admin or patient is stopped by role before any note is read
		t.Errorf("refused co-signatures audited %d times, %v", n, err)
	}
	list, err := s.NotesAwaitingCosign(ctx, pr.theo, 1)
	if err != nil || len(list.Notes) != 1 || list.Notes[0].NoteID != n.ID || list.Notes[0].PatientName != "Pat" || list.Notes[0].AuthorName != "thea" {
		t.Fatalf("NotesAwaitingCosign = %+v, %v", list, err)
	}
	if c, _ := s.CountAwaitingCosign(ctx, pr.theo); c != 1 {
		t.Errorf("CountAwaitingCosign(theo) = %d", c)
	}
	if l, _ := s.NotesAwaitingCosign(ctx, pr.rex, 1); len(l.Notes) != 0 {
		t.Errorf("another clinician's list = %+v", l)
	}
	got, err := s.NoteForCosign(ctx, pr.theo, n.ID)
	if err != nil || got.Sections["data"] != "First version." || got.PatientName != "Pat" {
		t.Fatalf("NoteForCosign as the supervisor = %+v, %v", got, err)
	}

	// Returned with a comment: a draft again, the comment shown to the author.
	if err := s.ReturnNote(ctx, pr.theo, n.ID, "  "); fieldErr(err, "comment") == "" {
		t.Errorf("return without a comment = %v", err)
	}
	pr.now = pr.now.Add(time.Hour)
	if err := s.ReturnNote(ctx, pr.theo, n.ID, "Please add the risk assessment."); err != nil {
		t.Fatal(err)
	}
	back, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || back.Status != clinic.NoteDraft || back.Returned == nil || back.Returned.Comment != "Please add the risk assessment." ||
		back.Returned.ContentHash != n.ContentHash || back.SignedAt != nil || back.Version != n.Version+1 || back.Sections["data"] != "First version." {
		t.Fatalf("returned note = %+v (returned %+v), %v", back, back.Returned, err)
	}
	if _, err := s.NoteForCosign(ctx, pr.theo, n.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("the supervisor still reads a returned draft: %v", err)
	}
	if _, err := s.CosignNote(ctx, pr.theo, n.ID, true); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("co-signing a returned draft: %v", err)
	}
	if err := store.ExecForTest(ctx, s, `DELETE FROM note_returns WHERE note_id = $1`, n.ID); err == nil {
		t.Error("a return's record was deleted")
	}

	// Signed again; co-signed, with the attestation.
	pr.now = pr.now.Add(time.Hour)
	n = sign("Second version, with the risk assessment.")
	if _, err := s.CosignNote(ctx, pr.theo, n.ID, false); fieldErr(err, "attest") == "" {
		t.Errorf("co-sign without the attestation = %v", err)
	}
	pr.now = pr.now.Add(time.Hour)
	c, err := s.CosignNote(ctx, pr.theo, n.ID, true)
	if err != nil || c.Status != clinic.NoteSigned || !c.CosignVerified() {
		t.Fatalf("CosignNote = %+v, %v", c, err)
	}
	final, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || final.Status != clinic.NoteSigned || !final.Verify() || !final.CosignVerified() ||
		final.SignedByName != "thea" || final.CosignerName != "theo" || final.CosignedAt == nil || !final.CosignedAt.Equal(pr.now) {
		t.Fatalf("co-signed note = %+v, %v", final, err)
	}
	// The co-signature covers the note's hash: a different note hash fails.
	if (clinic.SignedCosign{NoteID: final.ID, NoteHash: "sha256:00", CosignerID: final.CosignerID, SignedAt: *final.CosignedAt}).Verify(final.CosignHash) {
		t.Error("the co-signature verifies over another note hash")
	}
	for _, q := range []string{`UPDATE notes SET cosign_hash = 'sha256:00' WHERE id = $1`, `UPDATE notes SET cosigner_id = '' WHERE id = $1`} {
		if err := store.ExecForTest(ctx, s, q, n.ID); err == nil {
			t.Errorf("%s: allowed on a co-signed note", q)
		}
	}
	if _, err := s.CosignNote(ctx, pr.theo, n.ID, true); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("co-signing twice = %v", err)
	}
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, clinic.AddendumClarification, "After co-signature."); err != nil {
		t.Errorf("addendum on a co-signed note: %v", err)
	}
	for _, action := range []string{"note.cosign", "note.return", "note.cosign.list"} {
		if k, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = $1 AND outcome <> 'denied'`, action); err != nil || k == 0 {
			t.Errorf("%s audited %d times, %v", action, k, err)
		}
	}
}

// TestNoteCosignSupervisorChanges: notes waiting move to a new supervisor;
// removing the supervisor while notes wait is refused; a disabled
// supervisor stops a signature rather than leaving the note stuck.
func TestNoteCosignSupervisorChanges(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(-time.Hour))
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.thea.UserID, pr.theo.UserID); err != nil {
		t.Fatal(err)
	}
	in := store.NoteInput{Format: clinic.NoteSOAP, Sections: map[string]string{"plan": "Next week."}, Attest: true}
	n, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt, in)
	if err != nil || n.Status != clinic.NoteAwaitingCosign {
		t.Fatalf("SignNote = %+v, %v", n, err)
	}
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.thea.UserID, ""); fieldErr(err, "supervisor_id") == "" {
		t.Errorf("removing the supervisor with a note waiting = %v", err)
	}
	if err := s.SetNoteSupervisor(ctx, pr.admin, pr.thea.UserID, pr.rita.UserID); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.NotesAwaitingCosign(ctx, pr.theo, 1); len(l.Notes) != 0 {
		t.Errorf("the old supervisor still has %d notes", len(l.Notes))
	}
	if _, err := s.CosignNote(ctx, pr.rita, n.ID, true); err != nil {
		t.Errorf("the new supervisor co-signs: %v", err)
	}
	// A disabled supervisor: the signature is refused, the text kept as a draft is untouched.
	appt2 := pr.addAppointment(t, pr.p.ID, "follow_up", pr.now.Add(-2*time.Hour))
	if err := store.ExecForTest(ctx, s, `UPDATE users SET disabled_at = $1 WHERE id = $2`, pr.now, pr.rita.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignNote(ctx, pr.thea, pr.p.ID, appt2, in); clinic.ErrorCode(err) != clinic.EConflict {
		t.Errorf("signing with a disabled supervisor = %v, want conflict", err)
	}
}
