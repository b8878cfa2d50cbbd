package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const journalPrivateCanary = "PRIVATE-journal-canary-7731"

// TestJournalPrivateNeverToStaff: staff read only entries whose latest
// version is shared; a private entry is never returned to anyone but the
// patient; the patient's own list and entries are refused to staff.
func TestJournalPrivateNeverToStaff(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()

	private, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"stood_out": journalPrivateCanary}})
	if err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Hour)
	shared, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"carry": "Walking in the morning."}, Shared: true})
	if err != nil {
		t.Fatal(err)
	}

	for name, who := range map[string]store.Actor{"therapist": pr.thea, "prescriber": pr.rex} {
		got, err := s.SharedJournal(ctx, who, pr.p.ID)
		if err != nil || len(got) != 1 || got[0].ID != shared {
			t.Fatalf("SharedJournal as the %s = %+v, %v; want the shared entry only", name, got, err)
		}
		if strings.Contains(strings.Join(journalTexts(got), " "), journalPrivateCanary) {
			t.Errorf("SharedJournal as the %s shows the private text", name)
		}
		if _, err := s.JournalEntries(ctx, who, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("JournalEntries as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.JournalEntry(ctx, who, pr.p.ID, private); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("JournalEntry(private) as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.PendingJournalSessions(ctx, who, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("PendingJournalSessions as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.SaveJournalEntry(ctx, who, pr.p.ID, store.JournalInput{EntryID: shared, Answers: map[string]string{"carry": "edited by staff"}, Shared: true}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveJournalEntry as the %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	for name, who := range map[string]store.Actor{"admin": pr.admin, "therapist off the team": pr.theo, "another patient": pr.other} {
		if _, err := s.SharedJournal(ctx, who, pr.p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SharedJournal as %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if _, err := s.JournalEntry(ctx, who, pr.p.ID, shared); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("JournalEntry as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
	// Emergency access opens the chart but not the journal.
	if _, err := s.GrantEmergencyAccess(ctx, pr.theo, pr.p.ID, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SharedJournal(ctx, pr.theo, pr.p.ID); err != nil || len(got) != 0 {
		t.Errorf("SharedJournal by emergency access = %+v, %v; want nothing", got, err)
	}

	// The patient sees both, newest first.
	own, err := s.JournalEntries(ctx, pr.patient, pr.p.ID)
	if err != nil || len(own) != 2 || own[0].ID != shared || own[1].ID != private || own[1].Shared || !own[0].Shared {
		t.Fatalf("JournalEntries as the patient = %+v, %v; want both, newest first", own, err)
	}

	// Unsharing: a new private version hides the entry from staff; the
	// shared text stays in the earlier version, never shown again.
	pr.now = pr.now.Add(time.Hour)
	if _, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{EntryID: shared, Answers: map[string]string{"carry": "Walking, and calling my sister."}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SharedJournal(ctx, pr.thea, pr.p.ID); err != nil || len(got) != 0 {
		t.Errorf("SharedJournal after the patient made the entry private = %+v, %v; want nothing", got, err)
	}
	e, err := s.JournalEntry(ctx, pr.patient, pr.p.ID, shared)
	if err != nil || e.Version != 2 || e.Shared || journalAnswerTo(e, "carry") != "Walking, and calling my sister." || !e.UpdatedAt.Equal(pr.now) {
		t.Errorf("the entry after editing = %+v, %v; want version 2, private, the new text", e, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM journal_versions WHERE entry_id = $1`, shared); err != nil || n != 2 {
		t.Errorf("versions of the edited entry = %d, %v; want 2 (nothing lost)", n, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'journal.read' AND actor_id = $1 AND outcome = 'success'`, pr.thea.UserID); err != nil || n != 2 {
		t.Errorf("journal.read audit rows for the therapist = %d, %v; want 2", n, err)
	}

	// Nothing written is refused at the first prompt; a long answer at its own.
	_, err = s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"body": "  \n "}})
	if ce, ok := err.(*clinic.Error); !ok || ce.Code != clinic.EInvalid || ce.Fields["answer_stood_out"] == "" {
		t.Errorf("an empty entry = %v, want a field error at the first prompt", err)
	}
	_, err = s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"body": strings.Repeat("x", store.MaxJournalAnswer+1)}})
	if ce, ok := err.(*clinic.Error); !ok || ce.Code != clinic.EInvalid || ce.Fields["answer_body"] == "" {
		t.Errorf("an over-long answer = %v, want a field error at it", err)
	}
}

// TestJournalPendingSessions: a discharged dosing session with no entry is
// offered to write about; writing one about it takes it off the list; the
// same form sent twice makes a second version, not a second entry; other
// patients' and unfinished sessions are not offered and cannot be linked.
func TestJournalPendingSessions(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	older := pr.addDosing(t, pr.p.ID, "discharged", pr.now.Add(-14*24*time.Hour))
	newer := pr.addDosing(t, pr.p.ID, "discharged", pr.now.Add(-24*time.Hour))
	dosed := pr.addDosing(t, pr.p.ID, "dosed", pr.now.Add(-2*time.Hour))
	foreign := pr.addDosing(t, pr.q.ID, "discharged", pr.now.Add(-24*time.Hour))

	got, err := s.PendingJournalSessions(ctx, pr.patient, pr.p.ID)
	if err != nil || len(got) != 2 || got[0].ID != newer || got[1].ID != older || !got[0].At.Equal(pr.now.Add(-24*time.Hour+30*time.Minute)) {
		t.Fatalf("PendingJournalSessions = %+v, %v; want the two discharged sessions, newest first", got, err)
	}
	for _, id := range []string{dosed, foreign, "no-such-session"} {
		if _, _, err := s.JournalSessionFor(ctx, pr.patient, pr.p.ID, id); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("JournalSessionFor(%s) = %v, want %s", id, err, clinic.ENotFound)
		}
		if _, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{SessionID: id, Answers: map[string]string{"stood_out": "x"}}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("SaveJournalEntry about session %s = %v, want %s", id, err, clinic.ENotFound)
		}
	}

	id, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{SessionID: newer, Answers: map[string]string{"stood_out": "The music."}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.PendingJournalSessions(ctx, pr.patient, pr.p.ID)
	if err != nil || len(got) != 1 || got[0].ID != older {
		t.Errorf("PendingJournalSessions after writing = %+v, %v; want the older session only", got, err)
	}
	if js, entry, err := s.JournalSessionFor(ctx, pr.patient, pr.p.ID, newer); err != nil || js != nil || entry != id {
		t.Errorf("JournalSessionFor a session with an entry = %+v, %q, %v; want its entry %s", js, entry, err, id)
	}
	again, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{SessionID: newer, Answers: map[string]string{"stood_out": "The music, again."}})
	if err != nil || again != id {
		t.Fatalf("the same new entry sent twice = %q, %v; want a new version of %s", again, err, id)
	}
	e, err := s.JournalEntry(ctx, pr.patient, pr.p.ID, id)
	if err != nil || e.Version != 2 || e.SessionID != newer || e.SessionAt == nil || journalAnswerTo(e, "stood_out") != "The music, again." {
		t.Errorf("the entry = %+v, %v; want version 2 about the session", e, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM journal_entries WHERE session_id = $1`, newer); err != nil || n != 1 {
		t.Errorf("entries about the session = %d, %v; want 1", n, err)
	}
	// The patient's entry cannot be reached through another patient.
	if _, err := s.JournalEntry(ctx, pr.other, pr.q.ID, id); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another patient's JournalEntry of this entry = %v, want %s", err, clinic.ENotFound)
	}
	if _, err := s.SaveJournalEntry(ctx, pr.other, pr.q.ID, store.JournalInput{EntryID: id, Answers: map[string]string{"stood_out": "x"}}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("another patient editing this entry = %v, want %s", err, clinic.ENotFound)
	}
	for _, q := range []string{
		`UPDATE journal_versions SET body = '[]' WHERE entry_id = $1`,
		`DELETE FROM journal_versions WHERE entry_id = $1`,
		`UPDATE journal_entries SET session_id = NULL WHERE id = $1`,
		`DELETE FROM journal_entries WHERE id = $1`,
	} {
		if err := store.ExecForTest(ctx, s, q, id); err == nil {
			t.Errorf("%s succeeded, want refused", q)
		}
	}
}

// TestJournalPromptsKeptWithEntry: an entry keeps the prompts it was
// written to, so an edit shows the same questions.
func TestJournalPromptsKeptWithEntry(t *testing.T) {
	e := &store.JournalEntry{Answers: []store.JournalAnswer{{PromptID: "old", Prompt: "An older question?", Answer: "kept"}}}
	got := store.JournalFormPrompts(e)
	if len(got) != len(store.JournalPrompts)+1 || got[0].Prompt != "An older question?" || got[0].Answer != "kept" {
		t.Errorf("JournalFormPrompts = %+v, want the entry's own prompt first, then today's", got)
	}
	if got := store.JournalFormPrompts(nil); len(got) != len(store.JournalPrompts) || got[0].Answer != "" {
		t.Errorf("JournalFormPrompts(nil) = %+v, want today's prompts, empty", got)
	}
}

func journalTexts(list []store.JournalEntry) []string {
	var out []string
	for _, e := range list {
		for _, a := range e.Answers {
			out = append(out, a.Answer)
		}
	}
	return out
}

func journalAnswerTo(e *store.JournalEntry, prompt string) string {
	for _, a := range e.Answers {
		if a.PromptID == prompt {
			return a.Answer
		}
	}
	return ""
}
