package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestLockedRowsRefuseReplace: a signed note, its addenda, a published
// consent and the audit log cannot be rewritten by an insert that replaces
// the row either. SQLite's INSERT OR REPLACE deletes the old row without
// firing DELETE triggers unless recursive_triggers is on (found by review,
// issue 16); PostgreSQL's INSERT ... ON CONFLICT DO UPDATE fires the UPDATE
// triggers.
func TestLockedRowsRefuseReplace(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	appt := pr.addAppointment(t, pr.p.ID, "integration", pr.now.Add(-time.Hour))
	in := dap("Session notes.")
	n, err := s.SaveNoteDraft(ctx, pr.thea, pr.p.ID, appt, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Version, in.Attest = n.Version, true
	if _, err = s.SignNote(ctx, pr.thea, pr.p.ID, appt, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNoteAddendum(ctx, pr.thea, pr.p.ID, appt, clinic.AddendumAmendment, "Added later."); err != nil {
		t.Fatal(err)
	}
	replace := func(table, key string) string {
		if s.Engine() == store.EnginePostgres {
			return `INSERT INTO ` + table + ` SELECT * FROM ` + table + ` WHERE ` + key + ` = (SELECT min(` + key + `) FROM ` + table + `) ON CONFLICT (` + key + `) DO UPDATE SET ` + key + ` = excluded.` + key
		}
		return `INSERT OR REPLACE INTO ` + table + ` SELECT * FROM ` + table + ` WHERE ` + key + ` = (SELECT min(` + key + `) FROM ` + table + `)`
	}
	if _, err := s.SealAudit(ctx); err != nil { // PostgreSQL: chain the pending audit rows, so audit_events has rows to replace
		t.Fatal(err)
	}
	for _, c := range []struct{ table, key string }{
		{"notes", "id"}, {"note_addenda", "id"}, {"consent_documents", "id"}, {"audit_events", "seq"}, {"preparations", "id"},
	} {
		if c.table == "preparations" {
			if err := s.SavePreparation(ctx, pr.thea, pr.p.ID, store.Preparation{SupportName: "Sam Lee", SupportPhone: "+1 555 010 2345"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.ExecForTest(ctx, s, replace(c.table, c.key)); err == nil {
			t.Errorf("%s: a replacing insert rewrote a locked row", c.table)
		}
	}
	got, err := s.NoteFor(ctx, pr.thea, pr.p.ID, appt)
	if err != nil || !got.Verify() || got.Status != "signed" || len(got.Addenda) != 1 {
		t.Fatalf("after the refused SQL the note is %+v, %v", got, err)
	}
}
