package store_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// timelineFixture gives pr's patient one item of every timeline kind at
// the same moment (at), and things that must never be on the timeline: a
// private journal entry, a draft note, a psychotherapy note, an appointment
// not attended, another patient's items. It returns the ids expected, by
// kind.
func timelineFixture(t *testing.T, pr *rxPractice, at time.Time) map[string]string {
	t.Helper()
	s, ctx := pr.s, context.Background()
	want := map[string]string{}
	pr.now = at
	if _, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"stood_out": journalPrivateCanary}}); err != nil {
		t.Fatal(err)
	}
	id, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"carry": "Walking   in the morning."}, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	want["journal"] = id
	today := at.Format(time.DateOnly)
	if _, err := s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillEmotion, Today: today,
		Form: url.Values{"feeling": {"ashamed"}, "intensity": {"70"}, "message": {journalPrivateCanary}}}); err != nil {
		t.Fatal(err)
	}
	if want["skill"], err = s.SaveSkillEntry(ctx, pr.patient, pr.p.ID, store.SkillInput{Kind: clinic.SkillOptions, Today: today, Shared: true,
		Form: url.Values{"problem": {"The neighbour's music at night"}, "choice": {"solve"}, "first_step": {"Knock on Sunday"}}}); err != nil {
		t.Fatal(err)
	}
	want["checkin"] = store.NewID()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := store.ExecForTest(ctx, s, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO checkins (id, patient_id, instrument, status, answers, total, band, author_id, started_at, completed_at) VALUES ($1, $2, 'phq9', 'complete', '{}', 12, 'Moderate', $3, $4, $4)`,
		want["checkin"], pr.p.ID, pr.patient.UserID, at)
	exec(`INSERT INTO checkins (id, patient_id, instrument, status, answers, author_id, started_at) VALUES ($1, $2, 'gad7', 'in_progress', '{}', $3, $4)`,
		store.NewID(), pr.p.ID, pr.patient.UserID, at)
	want["dosing"] = pr.addDosing(t, pr.p.ID, "discharged", at)
	want["appointment"] = store.NewID()
	noShow, noted, draft := store.NewID(), store.NewID(), store.NewID()
	for _, a := range []struct{ id, outcome string }{{want["appointment"], "attended"}, {noShow, "no_show"}, {noted, "attended"}, {draft, ""}} {
		exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at, outcome) VALUES ($1, $2, 'integration', $3, 50, $4, $4, $3, $5)`,
			a.id, pr.p.ID, at.Add(-time.Hour), pr.thea.UserID, a.outcome)
	}
	// The attended appointment of the note is an hour earlier; move the
	// one under test to at.
	exec(`UPDATE appointments SET starts_at = $1 WHERE id = $2`, at, want["appointment"])
	want["note"] = store.NewID()
	exec(`INSERT INTO notes (id, patient_id, appointment_id, kind, format, author_id, status, signed_by, signed_at, content_hash, created_at, updated_at) VALUES ($1, $2, $3, 'integration', 'soap', $4, 'signed', $4, $5, 'h', $5, $5)`,
		want["note"], pr.p.ID, noted, pr.thea.UserID, at)
	exec(`INSERT INTO notes (id, patient_id, appointment_id, kind, format, author_id, status, created_at, updated_at) VALUES ($1, $2, $3, 'integration', 'soap', $4, 'draft', $5, $5)`,
		store.NewID(), pr.p.ID, draft, pr.thea.UserID, at)
	exec(`INSERT INTO psychotherapy_notes (id, patient_id, author_id, body_sealed, created_at, updated_at) VALUES ($1, $2, $3, 'seal1:x', $4, $4)`,
		"psychnote-"+store.NewID(), pr.p.ID, pr.thea.UserID, at)
	// Another patient's item at the same moment.
	pr.addDosing(t, pr.q.ID, "discharged", at)
	return want
}

// TestChartTimelineSourcesAndPaging: every source's item is on the
// timeline, newest first, and nothing private, draft, author-only or
// another patient's; paging two at a time through items with the same
// time loses and repeats none; the read is audited as chart.read; only
// the care team reads it.
func TestChartTimelineSourcesAndPaging(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	want := timelineFixture(t, pr, at)
	// An older and a newer item, so the order is not only the tie-break.
	pr.now = at.Add(-48 * time.Hour)
	older := pr.addDosing(t, pr.p.ID, "stopped", pr.now)
	pr.now = at.Add(48 * time.Hour)
	newer, err := s.SaveJournalEntry(ctx, pr.patient, pr.p.ID, store.JournalInput{Answers: map[string]string{"body": "Lighter."}, Shared: true})
	if err != nil {
		t.Fatal(err)
	}

	all, err := s.ChartTimeline(ctx, pr.thea, pr.p.ID, store.TimelineCursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if all.Next != nil {
		t.Errorf("one page of 50 has a next page: %+v", all.Next)
	}
	got := map[string]string{}
	var order []string
	for _, it := range all.Items {
		order = append(order, it.Kind+":"+it.ID)
		if it.At.Equal(at) {
			got[it.Kind] = it.ID
		}
		if strings.Contains(it.Summary+it.Title, journalPrivateCanary) || strings.HasPrefix(it.ID, "psychnote-") {
			t.Errorf("the timeline shows private or author-only content: %+v", it)
		}
		if !strings.HasPrefix(it.Link, "/patients/"+pr.p.ID) {
			t.Errorf("item %s links to %q", it.Kind, it.Link)
		}
	}
	t.Logf("timeline: %d items: %v", len(all.Items), order)
	// Every kind's item, the noted appointment (attended, an hour
	// earlier), the older session and the newer entry.
	if len(all.Items) != len(want)+3 {
		t.Errorf("timeline has %d items, want %d: %v", len(all.Items), len(want)+3, order)
	}
	for kind, id := range want {
		if got[kind] != id {
			t.Errorf("timeline's %s item = %q, want %q", kind, got[kind], id)
		}
	}
	if first, last := all.Items[0], all.Items[len(all.Items)-1]; first.ID != newer || last.ID != older {
		t.Errorf("timeline starts with %s and ends with %s; want the newest journal entry first and the oldest session last", first.ID, last.ID)
	}
	for _, it := range all.Items {
		switch it.Kind {
		case "checkin":
			if it.Title != "PHQ-9" || it.Summary != "Score 12 · Moderate" {
				t.Errorf("check-in item = %q / %q", it.Title, it.Summary)
			}
		case "journal":
			if it.ID == want["journal"] && it.Summary != "Walking in the morning." {
				t.Errorf("journal item summary = %q", it.Summary)
			}
		case "skill":
			if it.Title != "Four options: The neighbour's music at night" || it.Link != "/patients/"+pr.p.ID+"/skills/"+want["skill"] {
				t.Errorf("skills item = %+v", it)
			}
		case "note":
			if !strings.HasSuffix(it.Link, "/note") || it.Summary != "Signed" {
				t.Errorf("note item = %+v", it)
			}
		}
	}

	// Paging two at a time gives the same list.
	var paged []string
	cursor := store.TimelineCursor{}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		p, err := s.ChartTimeline(ctx, pr.rex, pr.p.ID, store.ParseTimelineCursor(cursor.String()), 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			paged = append(paged, it.Kind+":"+it.ID)
		}
		if p.Next == nil {
			break
		}
		cursor = *p.Next
	}
	if fmt.Sprint(paged) != fmt.Sprint(order) {
		t.Errorf("paged by two:\n%v\nwant\n%v", paged, order)
	}

	// A kind filter.
	only, err := s.ChartTimeline(ctx, pr.thea, pr.p.ID, store.TimelineCursor{}, 50, "dosing")
	if err != nil || len(only.Items) != 2 || only.Items[0].Kind != "dosing" || len(only.Kinds) != len(store.TimelineSources) {
		t.Errorf("dosing only = %+v, %v", only, err)
	}

	// A cursor of an unknown kind (a hand-made URL), or of a kind the
	// filter leaves out, pages by time alone (it was a 500 on PostgreSQL:
	// an argument the statement did not use).
	for _, c := range []struct {
		kind  string
		kinds []string
	}{{"nope", nil}, {"journal", []string{"dosing"}}} {
		got, err := s.ChartTimeline(ctx, pr.thea, pr.p.ID, store.TimelineCursor{At: at.Add(time.Hour), Kind: c.kind, ID: "x"}, 50, c.kinds...)
		if err != nil || len(got.Items) == 0 || got.Items[0].At.After(at.Add(time.Hour)) {
			t.Errorf("a %s cursor (filter %v) = %+v, %v; want the items before it", c.kind, c.kinds, got, err)
		}
	}

	// Audited as a chart read, one row per page.
	n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'chart.read' AND object_type = 'timeline' AND patient_id = $1 AND actor_id = $2`, pr.p.ID, pr.thea.UserID)
	if err != nil || n != 4 {
		t.Errorf("chart.read timeline audit rows for thea = %d, %v; want 4", n, err)
	}
	// The rows name what each page showed, by kind and id.
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'chart.read' AND object_type = 'timeline' AND detail LIKE $1`, "%skill:"+want["skill"]+"%"); err != nil || n == 0 {
		t.Errorf("no timeline audit row names the shared skills entry shown (%v)", err)
	}

	// Nobody off the care team reads it: not an admin, another therapist,
	// the patient, nor emergency access.
	if _, err := s.GrantEmergencyAccess(ctx, pr.theo, pr.p.ID, "Patient called in crisis; the team is away."); err != nil {
		t.Fatal(err)
	}
	for name, who := range map[string]store.Actor{"admin": pr.admin, "emergency access": pr.theo, "the patient": pr.patient, "another patient": pr.other, "prescriber off the team": pr.rita} {
		if _, err := s.ChartTimeline(ctx, who, pr.p.ID, store.TimelineCursor{}, 10); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("ChartTimeline as %s = %v, want %s", name, err, clinic.ENotFound)
		}
		if err := s.MarkDiscussed(ctx, who, pr.p.ID, "journal", want["journal"]); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("MarkDiscussed as %s = %v, want %s", name, err, clinic.ENotFound)
		}
	}
}

// TestDiscussedMarks: a mark shows on its item with who made it; undoing
// keeps the mark's row with who cleared it; marking again makes a new mark;
// an item not on this patient's timeline cannot be marked; marks and
// undos are audited; the caseload badge counts shared entries not yet
// discussed.
func TestDiscussedMarks(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	want := timelineFixture(t, pr, at)

	texts := func(cs []store.CaseloadCount) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Text)
		}
		return strings.Join(out, "; ")
	}
	counts, err := s.CaseloadCounts(ctx, pr.thea, []string{pr.p.ID, pr.q.ID})
	if err != nil || texts(counts[pr.p.ID]) != "1 new shared entry; 1 new shared skills entry" || len(counts[pr.q.ID]) != 0 {
		t.Fatalf("CaseloadCounts before = %+v, %v; want a new shared journal entry and skills entry for Pat", counts, err)
	}
	// A caseload longer than one batch: the patient at the end is counted.
	long := make([]string, store.MaxCaseloadBatch+100)
	for i := range long {
		long[i] = store.NewID()
	}
	long[len(long)-1] = pr.p.ID
	if c, err := s.CaseloadCounts(ctx, pr.thea, long); err != nil || len(c[pr.p.ID]) != 2 {
		t.Errorf("CaseloadCounts over %d patients = %+v, %v", len(long), c, err)
	}
	// Not on Pat's team (Theo): no counts for Pat even when asked; admins none.
	if c, err := s.CaseloadCounts(ctx, pr.theo, []string{pr.p.ID}); err != nil || len(c) != 0 {
		t.Errorf("CaseloadCounts of Pat as Theo (not on her team) = %+v, %v; want none", c, err)
	}
	if c, err := s.CaseloadCounts(ctx, pr.admin, []string{pr.p.ID}); err != nil || len(c) != 0 {
		t.Errorf("CaseloadCounts as admin = %+v, %v", c, err)
	}

	pr.now = at.Add(time.Hour)
	if err := s.MarkDiscussed(ctx, pr.thea, pr.p.ID, "journal", want["journal"]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDiscussed(ctx, pr.rex, pr.p.ID, "journal", want["journal"]); err != nil { // already marked: kept
		t.Fatal(err)
	}
	if err := s.MarkDiscussed(ctx, pr.thea, pr.p.ID, "skill", want["skill"]); err != nil {
		t.Fatal(err)
	}
	page, err := s.ChartTimeline(ctx, pr.rex, pr.p.ID, store.TimelineCursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		marked := it.Kind == "journal" && it.ID == want["journal"] || it.Kind == "skill"
		if marked != (it.Discussed != nil) {
			t.Errorf("item %s:%s discussed = %+v", it.Kind, it.ID, it.Discussed)
		}
		if marked && (it.Discussed.By != pr.thea.UserID || it.Discussed.ByName != "thea" || !it.Discussed.At.Equal(pr.now)) {
			t.Errorf("mark = %+v, want thea's at %v", it.Discussed, pr.now)
		}
	}
	if counts, _ := s.CaseloadCounts(ctx, pr.thea, []string{pr.p.ID}); len(counts[pr.p.ID]) != 0 {
		t.Errorf("CaseloadCounts after marking = %+v, want none", counts)
	}

	pr.now = pr.now.Add(time.Hour)
	if err := s.UndoDiscussed(ctx, pr.rex, pr.p.ID, "journal", want["journal"]); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.CaseloadCounts(ctx, pr.thea, []string{pr.p.ID}); texts(counts[pr.p.ID]) != "1 new shared entry" {
		t.Errorf("CaseloadCounts after undo = %+v, want the journal entry again", counts)
	}
	kept, err := store.CountForTest(ctx, s, `SELECT count(*) FROM timeline_marks WHERE item_id = $1 AND cleared_by = $2 AND cleared_at IS NOT NULL AND marked_by = $3`, want["journal"], pr.rex.UserID, pr.thea.UserID)
	if err != nil || kept != 1 {
		t.Errorf("cleared marks kept = %d, %v; want 1", kept, err)
	}
	if err := s.MarkDiscussed(ctx, pr.rex, pr.p.ID, "checkin", want["checkin"]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDiscussed(ctx, pr.rex, pr.p.ID, "journal", want["journal"]); err != nil {
		t.Fatal(err)
	}
	rows, err := store.CountForTest(ctx, s, `SELECT count(*) FROM timeline_marks WHERE patient_id = $1`, pr.p.ID)
	if err != nil || rows != 4 {
		t.Errorf("timeline_marks rows = %d, %v; want 4 (one cleared)", rows, err)
	}

	// Not this patient's item, no such kind, a private entry, or a
	// psychotherapy note: not found.
	other := pr.addDosing(t, pr.q.ID, "stopped", at)
	privateID, err := store.StringForTest(ctx, s, `SELECT j.id FROM journal_entries j JOIN journal_versions v ON v.entry_id = j.id WHERE j.patient_id = $1 AND NOT v.shared`, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	psych, err := store.StringForTest(ctx, s, `SELECT id FROM psychotherapy_notes WHERE patient_id = $1`, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	privateSkill, err := store.StringForTest(ctx, s, `SELECT id FROM skill_entries WHERE patient_id = $1 AND NOT shared`, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ kind, id string }{{"dosing", other}, {"psychnote", psych}, {"note", psych}, {"journal", privateID}, {"skill", privateSkill}, {"journal", "nope"}} {
		if err := s.MarkDiscussed(ctx, pr.thea, pr.p.ID, c.kind, c.id); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("MarkDiscussed(%s, %s) = %v, want %s", c.kind, c.id, err, clinic.ENotFound)
		}
	}

	for action, want := range map[string]int{"timeline.discussed": 5, "timeline.undiscussed": 1} {
		n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = $1 AND outcome = 'success' AND patient_id = $2`, action, pr.p.ID)
		if err != nil || n != want {
			t.Errorf("%s audit rows = %d, %v; want %d", action, n, err, want)
		}
	}
}
