package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// keyed is a row of a keyset-paged list as the tests order it: its time,
// then its id.
type keyed struct {
	at time.Time
	id string
}

// newestFirst sorts rows as the newest-first lists read them.
func newestFirst(rows []keyed) []string {
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].at.Equal(rows[j].at) {
			return rows[i].at.After(rows[j].at)
		}
		return rows[i].id > rows[j].id
	})
	var out []string
	for _, r := range rows {
		out = append(out, r.id)
	}
	return out
}

// walkPages reads every page of a list forward (After) from the first,
// then back (Before) from the last, checking that both walks see want in
// order, that the links stop at the ends, and that each total is len(want).
func walkPages(t *testing.T, name string, want []string, read func(store.PageKey) ([]string, int, string, string, error)) {
	t.Helper()
	var got []string
	var pages [][]string
	k := store.PageKey{Limit: 3}
	for i := 0; ; i++ {
		ids, total, next, prev, err := read(k)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, i, err)
		}
		if total != len(want) {
			t.Errorf("%s page %d: total %d, want %d", name, i, total, len(want))
		}
		if (i == 0) != (prev == "") {
			t.Errorf("%s page %d: prev %q", name, i, prev)
		}
		got, pages = append(got, ids...), append(pages, ids)
		if next == "" {
			break
		}
		if i > len(want) {
			t.Fatalf("%s: more pages than rows", name)
		}
		k = store.PageKey{After: next, Limit: 3}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s forward = %v, want %v", name, got, want)
	}
	// Back from the last page: the pages before it, the same rows.
	last := pages[len(pages)-1]
	if len(last) == 0 {
		return
	}
	k = store.PageKey{Before: last[0], Limit: 3}
	for i := len(pages) - 2; i >= 0; i-- {
		ids, _, next, prev, err := read(k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, pages[i]) || next == "" || (i == 0) != (prev == "") {
			t.Fatalf("%s back to page %d = %v (next %q prev %q), want %v", name, i, ids, next, prev, pages[i])
		}
		k = store.PageKey{Before: prev, Limit: 3}
	}
}

func TestPageInquiriesKeyset(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)
	lena, admin := who["lena"], who["admin"]

	// Eleven inquiries: five share one time (ties broken by id), one is
	// closed, one is possible spam, two carry "Rivera" in name or email.
	var open, all []keyed
	for i := range 11 {
		q := goodInquiry()
		q.Name, q.Email = fmt.Sprintf("Visitor %d", i), fmt.Sprintf("v%d@example.org", i)
		switch i {
		case 3:
			q.Name = "Maria Rivera"
		case 8:
			q.Email = "jo.rivera@example.org"
		case 9:
			q.SpamReason = store.SpamTooFast
		}
		if err := s.CreateInquiry(ctx, store.Actor{}, q, fmt.Sprintf("addr-%d", i)); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			if err := s.SetInquiryStatus(ctx, lena, q.ID, store.InquiryClosed, ""); err != nil {
				t.Fatal(err)
			}
		}
		if i != 9 {
			all = append(all, keyed{now, q.ID})
			if i != 5 {
				open = append(open, keyed{now, q.ID})
			}
		}
		if i < 2 || i > 6 {
			now = now.Add(time.Minute)
		}
	}
	page := func(f store.InquiryFilter) func(store.PageKey) ([]string, int, string, string, error) {
		return func(k store.PageKey) ([]string, int, string, string, error) {
			p, err := s.PageInquiries(ctx, admin, f, k)
			if err != nil {
				return nil, 0, "", "", err
			}
			var ids []string
			for _, q := range p.Rows {
				ids = append(ids, q.ID)
			}
			return ids, p.Total, p.Next, p.Prev, nil
		}
	}
	walkPages(t, "open", newestFirst(open), page(store.InquiryFilter{}))
	walkPages(t, "all", newestFirst(all), page(store.InquiryFilter{Status: "all"}))

	for _, tt := range []struct {
		name  string
		f     store.InquiryFilter
		names []string
	}{
		{"search by name, any case", store.InquiryFilter{Status: "all", Query: "rIVERA"}, []string{"Visitor 8", "Maria Rivera"}},
		{"search by email", store.InquiryFilter{Status: "all", Query: "v4@"}, []string{"Visitor 4"}},
		{"closed", store.InquiryFilter{Status: store.InquiryClosed}, []string{"Visitor 5"}},
		{"closed and searched elsewhere", store.InquiryFilter{Status: store.InquiryClosed, Query: "Rivera"}, nil},
		{"spam apart", store.InquiryFilter{Status: store.InquirySpam}, []string{"Visitor 9"}},
		{"wildcards are literal", store.InquiryFilter{Status: "all", Query: "%"}, nil},
	} {
		p, err := s.PageInquiries(ctx, lena, tt.f, store.PageKey{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var names []string
		for _, q := range p.Rows {
			names = append(names, q.Name)
		}
		if !slices.Equal(names, tt.names) || p.Total != len(tt.names) {
			t.Errorf("%s = %v (total %d), want %v", tt.name, names, p.Total, tt.names)
		}
	}

	// A key outside the filter reads the first page; a bad filter is a
	// field error; others may not list at all.
	spam, _ := s.PageInquiries(ctx, admin, store.InquiryFilter{Status: store.InquirySpam}, store.PageKey{})
	first, _ := s.PageInquiries(ctx, admin, store.InquiryFilter{}, store.PageKey{Limit: 3})
	if p, err := s.PageInquiries(ctx, admin, store.InquiryFilter{}, store.PageKey{After: spam.Rows[0].ID, Limit: 3}); err != nil || p.Prev != "" || p.Rows[0].ID != first.Rows[0].ID {
		t.Errorf("a key outside the filter read %v, %v; want the first page", p, err)
	}
	if _, err := s.PageInquiries(ctx, admin, store.InquiryFilter{Status: "bogus"}, store.PageKey{}); fields(err)["status"] == "" {
		t.Errorf("bogus filter = %v, want an error at status", err)
	}
	for _, a := range []store.Actor{who["rex"], who["pat"], {}} {
		if _, err := s.PageInquiries(ctx, a, store.InquiryFilter{}, store.PageKey{}); code(err) != clinic.ENotFound {
			t.Errorf("PageInquiries as %q = %v, want not found", a.Role, err)
		}
	}
	// Each look is one audited inquiry.list, which never holds the search words.
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'inquiry.list' AND detail LIKE '%search=1%'`); err != nil || n != 4 {
		t.Errorf("searched inquiry.list rows = %d, %v; want 4", n, err)
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE detail LIKE '%ivera%'`); err != nil || n != 0 {
		t.Errorf("audit rows holding the search words = %d, %v; want none", n, err)
	}
}

func TestPageOutboxKeyset(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	who := sitePeople(t, s)
	for i := range 8 {
		if err := s.KeepOutboxEmail(ctx, []string{fmt.Sprintf("p%d@example.org", i)}, "Subject", "Body"); err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 {
			now = now.Add(time.Second)
		}
	}
	whole, err := s.PageOutbox(ctx, who["admin"], store.PageKey{Limit: 100})
	if err != nil || len(whole.Rows) != 8 || whole.Next != "" {
		t.Fatalf("whole outbox %+v, %v", whole, err)
	}
	var ks []keyed
	for _, e := range whole.Rows {
		ks = append(ks, keyed{e.CreatedAt, e.ID})
	}
	rows := newestFirst(slices.Clone(ks))
	for i, e := range whole.Rows {
		if e.ID != rows[i] {
			t.Fatalf("outbox not newest first, then by id: %v", ks)
		}
	}
	walkPages(t, "outbox", rows, func(k store.PageKey) ([]string, int, string, string, error) {
		p, err := s.PageOutbox(ctx, who["admin"], k)
		if err != nil {
			return nil, 0, "", "", err
		}
		var ids []string
		for _, e := range p.Rows {
			ids = append(ids, e.ID)
		}
		return ids, p.Total, p.Next, p.Prev, nil
	})
	for _, a := range []store.Actor{who["lena"], who["pat"], {}} {
		if _, err := s.PageOutbox(ctx, a, store.PageKey{}); code(err) != clinic.ENotFound {
			t.Errorf("PageOutbox as %q = %v, want not found", a.Role, err)
		}
	}
	if n, err := store.CountForTest(ctx, s, `SELECT count(*) FROM audit_events WHERE action = 'outbox.read'`); err != nil || n < 3 {
		t.Errorf("outbox.read audit rows = %d, %v; want one a page", n, err)
	}
}

func TestPageJobsKeyset(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	// Seven pending jobs, three of them due at the same time.
	var due []keyed
	for i := range 7 {
		at := now.Add(time.Duration(i%4) * time.Minute)
		id, err := s.Enqueue(ctx, "test", "", at, "")
		if err != nil {
			t.Fatal(err)
		}
		due = append(due, keyed{at, id})
	}
	want := newestFirst(due)
	slices.Reverse(want) // soonest first
	for _, list := range []string{store.JobsWaiting, store.JobPending} {
		walkPages(t, list, want, func(k store.PageKey) ([]string, int, string, string, error) {
			p, err := s.PageJobs(ctx, list, k)
			if err != nil {
				return nil, 0, "", "", err
			}
			var ids []string
			for _, j := range p.Rows {
				ids = append(ids, j.ID)
			}
			return ids, p.Total, p.Next, p.Prev, nil
		})
	}
	if p, err := s.PageJobs(ctx, store.JobFailed, store.PageKey{After: want[0]}); err != nil || p.Total != 0 || len(p.Rows) != 0 || p.Prev != "" {
		t.Errorf("failed jobs = %+v, %v; want none", p, err)
	}
	if _, err := s.PageJobs(ctx, "bogus", store.PageKey{}); code(err) != clinic.EInvalid {
		t.Errorf("PageJobs(bogus) = %v, want invalid", err)
	}
}

// TestCalendarScheduleWindowBounded: a window lists its first limit
// appointments by time and counts them all; one clinician's window
// counts theirs only; limit 0 is ScheduleMax.
func TestCalendarScheduleWindowBounded(t *testing.T) {
	pr := newRxPractice(t)
	s, ctx := pr.s, context.Background()
	day := pr.now.Add(72 * time.Hour).Truncate(24 * time.Hour)
	for i, b := range []struct {
		who     store.Actor
		patient string
		hour    int
	}{{pr.thea, pr.p.ID, 13}, {pr.theo, pr.q.ID, 9}, {pr.thea, pr.p.ID, 10}, {pr.theo, pr.q.ID, 15}, {pr.thea, pr.p.ID, 16}} {
		at := day.Add(time.Duration(b.hour) * time.Hour)
		if err := s.CreateAppointment(ctx, b.who, b.patient, &store.Appointment{Kind: "integration", StartsAt: at, Minutes: 50}); err != nil {
			t.Fatalf("appointment %d: %v", i, err)
		}
	}
	for _, tt := range []struct {
		name      string
		clinician string
		limit     int
		hours     []int
		wantTotal int
	}{
		{"everyone, bounded", "", 2, []int{9, 10}, 5},
		{"everyone, limit 0 is the most", "", 0, []int{9, 10, 13, 15, 16}, 5},
		{"one clinician", pr.theo.UserID, 1, []int{9}, 2},
	} {
		got, total, err := s.ScheduleWindow(ctx, pr.thea, day, day.Add(24*time.Hour), tt.clinician, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var hours []int
		for _, e := range got {
			hours = append(hours, e.StartsAt.Hour())
		}
		if !slices.Equal(hours, tt.hours) || total != tt.wantTotal {
			t.Errorf("%s = %v of %d, want %v of %d", tt.name, hours, total, tt.hours, tt.wantTotal)
		}
	}
	if _, _, err := s.ScheduleWindow(ctx, pr.patient, day, day.Add(24*time.Hour), "", 2); code(err) != clinic.ENotFound {
		t.Errorf("a patient's calendar window = %v, want not found", err)
	}
}

// TestPostsKeyset: the blog's editors' list reads the posts the most
// recently saved first (ties by id) a page at a time by key, both ways,
// with the count of all, tags and all; a patient gets none.
func TestPostsKeyset(t *testing.T) {
	f := newBlogFixture(t)
	var all []keyed
	for i := range 8 {
		p := f.save(f.thea, &store.Post{Title: fmt.Sprintf("Post %d", i), Status: store.PostDraft, Tags: []string{"skills"}})
		all = append(all, keyed{f.now, p.ID})
		if i%3 == 2 { // some share a time
			f.now = f.now.Add(time.Minute)
		}
	}
	// Saving an old post again moves it to the front.
	f.now = f.now.Add(time.Minute)
	first, err := f.s.Post(f.ctx, f.thea, all[0].id)
	if err != nil {
		t.Fatal(err)
	}
	first.Title = "Post 0, revised"
	f.save(f.thea, first)
	all[0].at = f.now
	walkPages(t, "posts", newestFirst(all), func(k store.PageKey) ([]string, int, string, string, error) {
		p, err := f.s.Posts(f.ctx, f.theo, k)
		if err != nil {
			return nil, 0, "", "", err
		}
		var ids []string
		for _, x := range p.Rows {
			if len(x.Tags) != 1 || x.Tags[0] != "skills" {
				t.Errorf("post %s tags = %v", x.ID, x.Tags)
			}
			ids = append(ids, x.ID)
		}
		return ids, p.Total, p.Next, p.Prev, nil
	})
	if _, err := f.s.Posts(f.ctx, f.pat, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("Posts for a patient = %v, want ENotFound", err)
	}
}
