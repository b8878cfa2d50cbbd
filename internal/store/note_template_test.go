package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestNoteTemplates: an admin's template for a kind is what a note started
// afterwards uses; a note already started keeps its format; only admins
// change templates; reset restores kapstone's default; each change is
// audited.
func TestNoteTemplates(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	old := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-2*time.Hour))
	if _, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, old, dap("Started before the change.")); err != nil {
		t.Fatal(err)
	}
	soap := clinic.NoteTemplate{Kind: "integration", Format: clinic.NoteSOAP, Prompts: map[string]string{"subjective": "What the patient brought back, in their words."}}
	for name, who := range map[string]store.Actor{"therapist": pr.thea, "prescriber": pr.rex, "patient": pr.patient} {
		if err := s.SaveNoteTemplate(ctx, who, soap); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveNoteTemplate as %s = %v", name, err)
		}
		if err := s.ResetNoteTemplate(ctx, who, "integration"); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("ResetNoteTemplate as %s = %v", name, err)
		}
	}
	if err := s.SaveNoteTemplate(ctx, pr.admin, clinic.NoteTemplate{Kind: "integration", Format: "essay"}); fieldErr(err, "format") == "" {
		t.Errorf("unknown format = %v", err)
	}
	if err := s.SaveNoteTemplate(ctx, pr.admin, clinic.NoteTemplate{Kind: "séance", Format: clinic.NoteSOAP}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("unknown kind = %v", err)
	}
	if err := s.SaveNoteTemplate(ctx, pr.admin, soap); err != nil {
		t.Fatal(err)
	}
	fresh := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-time.Hour))
	n, err := s.NoteFor(ctx, pr.thea, pr.p.ID, fresh)
	if err != nil || n.Format != clinic.NoteSOAP || n.Template().Prompt(clinic.NoteSOAP, "subjective") != soap.Prompts["subjective"] {
		t.Fatalf("a note started after the change = format %q, prompt %q, %v", n.Format, n.Template().Prompt(clinic.NoteSOAP, "subjective"), err)
	}
	// The general prompt where the practice gave none.
	if got, want := n.Template().Prompt(clinic.NoteSOAP, "plan"), clinic.NoteFormats[0].Sections[3].Prompt; got != want {
		t.Errorf("plan prompt = %q, want the format's %q", got, want)
	}
	o, err := s.NoteFor(ctx, pr.thea, pr.p.ID, old)
	if err != nil || o.Format != clinic.NoteDAP || o.Sections["data"] != "Started before the change." {
		t.Errorf("the note started before = %+v, %v", o, err)
	}
	list, err := s.NoteTemplates(ctx, pr.admin)
	if err != nil || len(list) != len(clinic.AppointmentTypes) {
		t.Fatalf("NoteTemplates = %v, %v", list, err)
	}
	for _, x := range list {
		if x.Custom != (x.Kind == "integration") {
			t.Errorf("%s custom = %v", x.Kind, x.Custom)
		}
	}
	if err := s.ResetNoteTemplate(ctx, pr.admin, "integration"); err != nil {
		t.Fatal(err)
	}
	reset := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-30*time.Minute))
	if n, _ := s.NoteFor(ctx, pr.thea, pr.p.ID, reset); n.Format != clinic.NoteDAP {
		t.Errorf("after reset a new note starts in %q", n.Format)
	}
	if k, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'setting.change' AND object_id = 'note_template.integration'`); err != nil || k != 2 {
		t.Errorf("template changes audited %d times, %v", k, err)
	}
}
