package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestPagePatientsKeyset: the caseload read a page at a time (keyset
// paging) lists every patient the whole list does, once each and in the
// same order, forwards and backwards, for every search and stage filter,
// with the count of every match; another therapist's patients never show;
// a page key naming no patient reads the first page.
func TestPagePatientsKeyset(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	// Names chosen to tie and to differ in case only, so the order needs
	// its id tie-break, and wildcards that must match literally.
	names := []string{"Sam Lee", "sam lee", "SAM LEE", "Alex Park", "alex park", "Zoë Ng", "Ana_Maria", "100% Ana", "Bo", "Bo"}
	for i := range 27 {
		names = append(names, fmt.Sprintf("Patient %02d Ana", i))
	}
	stages := []clinic.Stage{clinic.Stages[0], clinic.Stages[1], clinic.Stages[2]}
	for i, n := range names {
		p := f.patient(t, n)
		if err := store.ExecForTest(ctx, f.s, `UPDATE patients SET stage = $1 WHERE id = $2`, string(stages[i%len(stages)]), p.ID); err != nil {
			t.Fatal(err)
		}
	}
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	otto := store.Actor{UserID: other.ID, Role: other.Role}
	if err := f.s.CreatePatient(ctx, otto, &store.Patient{DisplayName: "Ana Outsider"}, ""); err != nil {
		t.Fatal(err)
	}
	ids := func(ps []*store.Patient) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	pages := 0
	for _, who := range []struct {
		name  string
		actor store.Actor
	}{{"therapist", f.therapist}, {"admin", f.admin}} {
		for _, filter := range []store.PatientFilter{{}, {Query: "ana"}, {Query: "SAM"}, {Query: "_"}, {Query: "%"}, {Stage: stages[1]}, {Query: "ana", Stage: stages[2]}, {Query: "nobody"}} {
			want, err := f.s.ListPatients(ctx, who.actor, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{2, 50} {
				label := fmt.Sprintf("%s %+v limit %d", who.name, filter, limit)
				var got []*store.Patient
				var last *store.PatientPage
				for key := ""; ; {
					pg, err := f.s.PagePatients(ctx, who.actor, filter, store.PageKey{After: key, Limit: limit})
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					pages++
					if pg.Total != len(want) || len(pg.Patients) > limit {
						t.Fatalf("%s: total %d, %d on a page; want total %d, at most %d", label, pg.Total, len(pg.Patients), len(want), limit)
					}
					if (key == "") != (pg.Prev == "") {
						t.Errorf("%s: page after %q has previous %q", label, key, pg.Prev)
					}
					got, last = append(got, pg.Patients...), pg
					if pg.Next == "" {
						break
					}
					key = pg.Next
					if len(got) > len(want) {
						t.Fatalf("%s: more rows paged than exist", label)
					}
				}
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("%s: paged forwards %v, want %v", label, ids(got), ids(want))
				}
				// And back from the last page to the first.
				back := slices.Clone(last.Patients)
				for key := last.Prev; key != ""; {
					pg, err := f.s.PagePatients(ctx, who.actor, filter, store.PageKey{Before: key, Limit: limit})
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					pages++
					if len(pg.Patients) == 0 || pg.Next == "" {
						t.Fatalf("%s: a page before %s is empty or has no next", label, key)
					}
					back, key = append(slices.Clone(pg.Patients), back...), pg.Prev
				}
				if !slices.Equal(ids(back), ids(want)) {
					t.Errorf("%s: paged backwards %v, want %v", label, ids(back), ids(want))
				}
			}
		}
	}
	mine, _ := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{Query: "outsider"}, store.PageKey{})
	if mine.Total != 0 || len(mine.Patients) != 0 {
		t.Errorf("another therapist's patient shows in the caseload: %+v", mine)
	}
	first, _ := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{}, store.PageKey{Limit: 3})
	gone, err := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{}, store.PageKey{After: store.NewID(), Limit: 3})
	if err != nil || !slices.Equal(ids(gone.Patients), ids(first.Patients)) || gone.Prev != "" {
		t.Errorf("a key naming no patient = %v, %v; want the first page", gone, err)
	}
	t.Logf("%d pages read, %d patients", pages, len(names))
}

// TestCaseloadScoresPageOnly: the caseload's scores are read for the
// patients asked about only (a page's), at most CaseloadSparkPoints each,
// the latest of them, oldest first; a patient not on the caller's care
// teams gets nothing even when asked about.
func TestCaseloadScoresPageOnly(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	a, b := f.patient(t, "Ana On Page"), f.patient(t, "Bo Off Page")
	start := f.now.Add(-60 * 7 * 24 * time.Hour)
	n := store.CaseloadSparkPoints + 4
	for i := range n {
		f.score(t, a, start, float64(i), i%24)
	}
	f.score(t, b, start, 1, 9)
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.CaseloadScores(ctx, f.therapist, "phq9", []string{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[a.ID]) != store.CaseloadSparkPoints {
		t.Fatalf("scores for a page of one = %d patients, %d points; want 1 patient, %d points", len(got), len(got[a.ID]), store.CaseloadSparkPoints)
	}
	pts := got[a.ID]
	for i, p := range pts {
		if want := (n - store.CaseloadSparkPoints + i) % 24; p.Total != want || (i > 0 && !p.At.After(pts[i-1].At)) {
			t.Errorf("point %d = %+v, want total %d, oldest first", i, p, want)
		}
	}
	if got, err := f.s.CaseloadScores(ctx, store.Actor{UserID: other.ID, Role: other.Role}, "phq9", []string{a.ID, b.ID}); err != nil || len(got) != 0 {
		t.Errorf("another therapist asking about these patients = %v, %v; want nothing", got, err)
	}
	if got, err := f.s.CaseloadScores(ctx, f.therapist, "phq9", nil); err != nil || len(got) != 0 {
		t.Errorf("an empty page's scores = %v, %v", got, err)
	}
}

// TestFindAuditKeyset: the audit log paged by key (After, then Before
// back) lists every row once, in both sort orders, the same rows as one
// read of the whole log.
func TestFindAuditKeyset(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	for i := range 12 {
		f.patient(t, fmt.Sprintf("Audit Person %d", i))
	}
	for _, sort := range []string{"newest", "oldest"} {
		all, _, err := f.s.FindAudit(ctx, f.admin, store.AuditFilter{Sort: sort, Action: "patient.", Limit: 500})
		if err != nil || len(all) < 12 {
			t.Fatalf("%s: the whole log = %d rows, %v", sort, len(all), err)
		}
		seqs := func(es []audit.Event) (out []int64) {
			for _, e := range es {
				out = append(out, e.Seq)
			}
			return out
		}
		var got []audit.Event
		var after int64
		for {
			page, more, err := f.s.FindAudit(ctx, f.admin, store.AuditFilter{Sort: sort, Action: "patient.", Limit: 5, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if !more {
				break
			}
			after = page[len(page)-1].Seq
		}
		if !slices.Equal(seqs(got), seqs(all)) {
			t.Errorf("%s: paged by key %v, want %v", sort, seqs(got), seqs(all))
		}
		// Back from the last page.
		back := all[len(all)-2:]
		for before := back[0].Seq; ; {
			page, more, err := f.s.FindAudit(ctx, f.admin, store.AuditFilter{Sort: sort, Action: "patient.", Limit: 5, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			back = append(slices.Clone(page), back...)
			if !more {
				break
			}
			before = page[0].Seq
		}
		if !slices.Equal(seqs(back), seqs(all)) {
			t.Errorf("%s: paged back by key %v, want %v", sort, seqs(back), seqs(all))
		}
	}
}

// TestPageKeyOutsideScope: a page key naming a patient the actor may not
// list (another therapist's) reads the first page, as an unknown id does:
// where that patient's name would fall in one's own caseload is not an
// answer one can get by putting a foreign id in the link.
func TestPageKeyOutsideScope(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	for _, n := range []string{"Ann", "Bea", "Cal", "Dee", "Eve"} {
		f.patient(t, n)
	}
	other := &clinic.User{Email: "o@example.org", DisplayName: "Otto", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, other, "h"); err != nil {
		t.Fatal(err)
	}
	foreign := &store.Patient{DisplayName: "Cara Foreign"}
	if err := f.s.CreatePatient(ctx, store.Actor{UserID: other.ID, Role: other.Role}, foreign, ""); err != nil {
		t.Fatal(err)
	}
	first, err := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{}, store.PageKey{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []store.PageKey{{After: foreign.ID, Limit: 2}, {Before: foreign.ID, Limit: 2}} {
		got, err := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{}, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Patients) != 2 || got.Patients[0].ID != first.Patients[0].ID || got.Patients[1].ID != first.Patients[1].ID || got.Prev != "" {
			t.Errorf("key %+v (another therapist's patient): page %v prev %q, want the first page", k, got.Patients, got.Prev)
		}
	}
	// The admin's directory lists every patient: the same id is a key there.
	got, err := f.s.PagePatients(ctx, f.admin, store.PatientFilter{}, store.PageKey{After: foreign.ID, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Patients) == 0 || got.Patients[0].DisplayName != "Dee" {
		t.Errorf("admin's page after %s = %v, want it to start at Dee", foreign.DisplayName, got.Patients)
	}
}

// TestUnreadConsultsOfPage: a caseload page asks for its own rows' unread
// consult messages only (UnreadConsultsOf): the same counts as the whole
// caseload's for those rows, nothing for patients not asked about or not
// on the caller's care teams, and none for an empty page.
func TestUnreadConsultsOfPage(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	// Rex (prescriber on p's team) writes twice to Thea; Theo writes on
	// his own patient q.
	for _, body := range []string{"BP was high today.", "Please call me."} {
		if err := s.PostConsult(ctx, pr.rex, pr.p.ID, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PostConsult(ctx, pr.theo, pr.q.ID, "Note for the team."); err != nil {
		t.Fatal(err)
	}
	all, err := s.UnreadConsults(ctx, pr.thea)
	if err != nil || all[pr.p.ID] != 2 || len(all) != 1 {
		t.Fatalf("thea's unread consults = %v, %v; want 2 on p", all, err)
	}
	for _, c := range []struct {
		name string
		ids  []string
		want map[string]int
	}{
		{"the page with p", []string{pr.q.ID, pr.p.ID}, map[string]int{pr.p.ID: 2}},
		{"a page without p", []string{pr.q.ID, store.NewID()}, map[string]int{}},
		{"an empty page", nil, map[string]int{}},
	} {
		got, err := s.UnreadConsultsOf(ctx, pr.thea, c.ids)
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("%s: unread consults = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestPagePatientsReadsApart: a caseload page reads its rows in a read
// transaction (so pages read side by side, not queued behind the one
// writer) and writes only its audit row, committed before the page is
// returned: one read transaction, one write, one patient.list row.
func TestPagePatientsReadsApart(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	for i := range 3 {
		f.patient(t, fmt.Sprintf("Page %d", i))
	}
	before, _, err := f.s.CountAudit(ctx, "patient.list", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r0, w0 := f.s.Transactions()
	pg, err := f.s.PagePatients(ctx, f.therapist, store.PatientFilter{}, store.PageKey{Limit: 2})
	if err != nil || len(pg.Patients) != 2 || pg.Next == "" {
		t.Fatalf("page = %+v, %v; want 2 patients and a next page", pg, err)
	}
	r1, w1 := f.s.Transactions()
	if r1-r0 != 1 || w1-w0 != 1 {
		t.Errorf("a caseload page began %d read and %d write transactions, want 1 and 1", r1-r0, w1-w0)
	}
	if after, _, err := f.s.CountAudit(ctx, "patient.list", "", "", time.Time{}); err != nil || after != before+1 {
		t.Errorf("patient.list audit rows %d -> %d, %v; want one more", before, after, err)
	}
}
