package admin_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	outboxRowRE  = regexp.MustCompile(`<article class="card outbox-email">`)
	outboxNextRE = regexp.MustCompile(`<a href="(/admin/outbox\?after=[^"]+)" rel="next">Older</a>`)
	outboxPrevRE = regexp.MustCompile(`<a href="(/admin/outbox\?before=[^"]+)" rel="prev">Newer</a>`)
	jobsNextRE   = regexp.MustCompile(`<a href="(/admin/jobs\?[^"]*list=waiting[^"]*)" rel="next">`)
	jobRowRE     = regexp.MustCompile(`<td data-label="Kind">`)
)

// TestOutboxPages: the outbox shows a page of emails, the count of all,
// and an Older link keyed by an email id; the older page the rest, with a
// Newer link. An unknown key reads the first page; a therapist gets none.
func TestOutboxPages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	before, err := f.St.PageOutbox(ctx, f.As("admin@example.org"), store.PageKey{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range store.DefaultPageSize + 3 {
		if err := f.St.KeepOutboxEmail(ctx, []string{fmt.Sprintf("p%d@example.org", i)}, "Reminder", "Body"); err != nil {
			t.Fatal(err)
		}
	}
	total := before.Total + store.DefaultPageSize + 3
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/outbox", nil, admin)
	next := outboxNextRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || len(outboxRowRE.FindAllString(r.Body, -1)) != store.DefaultPageSize || next == nil || outboxPrevRE.MatchString(r.Body) ||
		!strings.Contains(r.Body, fmt.Sprintf("Emails <span class=\"meta\">(%d)</span>", total)) {
		t.Fatalf("first outbox page = %d with %d emails, next %v; want %d of %d", r.Status, len(outboxRowRE.FindAllString(r.Body, -1)), next, store.DefaultPageSize, total)
	}
	r = f.Do("GET", html.UnescapeString(next[1]), nil, admin)
	if n := len(outboxRowRE.FindAllString(r.Body, -1)); n != total-store.DefaultPageSize || outboxNextRE.MatchString(r.Body) || !outboxPrevRE.MatchString(r.Body) {
		t.Errorf("older outbox page has %d emails, want %d and a Newer link only", n, total-store.DefaultPageSize)
	}
	r = f.Do("GET", "/admin/outbox?after=00000000000000000000000000", nil, admin)
	if len(outboxRowRE.FindAllString(r.Body, -1)) != store.DefaultPageSize || outboxPrevRE.MatchString(r.Body) {
		t.Errorf("an unknown key: want the first page")
	}
	if r := f.Do("GET", "/admin/outbox", nil, f.SignIn("thea@example.org")); r.Status == http.StatusOK || strings.Contains(r.Body, "p1@example.org") {
		t.Errorf("a therapist's outbox = %d, want refused", r.Status)
	}
}

// TestJobsPages: each list of the jobs page shows its count and first
// page; its next page is that list alone, the others not read.
func TestJobsPages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	before, err := f.St.PageJobs(ctx, store.JobsWaiting, store.PageKey{})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		if _, err := f.St.Enqueue(ctx, "test.paging", "", f.Now.Add(1e12), ""); err != nil {
			t.Fatal(err)
		}
	}
	waiting := before.Total + 30
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/jobs", nil, admin)
	next := jobsNextRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || next == nil || !strings.Contains(r.Body, fmt.Sprintf("Waiting or running <span class=\"meta\">(%d)</span>", waiting)) ||
		!strings.Contains(r.Body, `id="jobs-failed"`) || !strings.Contains(r.Body, `id="jobs-done"`) {
		t.Fatalf("jobs page = %d, next %v; want the three lists with the waiting count %d and a next page", r.Status, next, waiting)
	}
	r = f.Do("GET", html.UnescapeString(next[1]), nil, admin)
	if n := len(jobRowRE.FindAllString(r.Body, -1)); r.Status != http.StatusOK || n != waiting-25 || strings.Contains(r.Body, `id="jobs-failed"`) || !strings.Contains(r.Body, `rel="prev"`) {
		t.Errorf("waiting jobs' next page = %d with %d rows; want %d, that list alone, with a link back", r.Status, n, waiting-25)
	}
	if r := f.Do("GET", "/admin/jobs?list=bogus", nil, admin); r.Status != http.StatusNotFound {
		t.Errorf("an unknown list = %d, want 404", r.Status)
	}
}

var (
	accountRowRE      = regexp.MustCompile(`<span class="meta">pt\d+@example.org</span>`)
	accountsNextRE    = regexp.MustCompile(`<a href="(/admin/users\?[^"]*list=patients[^"]*)" rel="next">Next</a>`)
	accountsPrevRE    = regexp.MustCompile(`<a href="(/admin/users\?[^"]*list=patients[^"]*)" rel="prev">Previous</a>`)
	accountsSearchRE  = regexp.MustCompile(`<form method="post" action="/admin/users/search"><input type="hidden" name="list" value="patients"><input type="hidden" name="q" value="Patient"><input type="hidden" name="after" value="([^"]+)">`)
	accountsStaffRows = regexp.MustCompile(`<a href="/admin/users/[^"]+">`)
)

// TestAccountsPages: the accounts page lists the staff's accounts apart
// from the patients', which come a page at a time by name with their count
// and a Next link keyed by a user id (no name in the URL), then a Previous
// link back; a search is posted (a patient's name stays out of the URL),
// and so are its further pages.
func TestAccountsPages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	_, before, err := f.St.Accounts(ctx, f.As("admin@example.org"), "", store.PageKey{}, store.PageKey{})
	if err != nil {
		t.Fatal(err)
	}
	const made = store.DefaultPageSize + 5
	for i := range made {
		u := &clinic.User{Email: fmt.Sprintf("pt%02d@example.org", i), DisplayName: fmt.Sprintf("Zed Patient %02d", i), Role: clinic.RolePatient}
		if err := f.St.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	total := before.Total + made
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/users", nil, admin)
	next := accountsNextRE.FindStringSubmatch(r.Body)
	shown := len(accountRowRE.FindAllString(r.Body, -1))
	if r.Status != http.StatusOK || next == nil || accountsPrevRE.MatchString(r.Body) || accountsStaffRows.FindString(r.Body) == "" ||
		!strings.Contains(r.Body, fmt.Sprintf("Patients&#39; accounts <span class=\"meta\">(%d, %d on this page, by name)", total, store.DefaultPageSize)) {
		t.Fatalf("first accounts page = %d, next %v, %d of our patients shown; want the staff, then %d patients' accounts of %d", r.Status, next, shown, store.DefaultPageSize, total)
	}
	if strings.Contains(next[1], "Zed") || strings.Contains(next[1], "example.org") {
		t.Errorf("a page link carries a name or email: %s", next[1])
	}
	r = f.Do("GET", html.UnescapeString(next[1]), nil, admin)
	if n := len(accountRowRE.FindAllString(r.Body, -1)); n != total-store.DefaultPageSize || accountsNextRE.MatchString(r.Body) || !accountsPrevRE.MatchString(r.Body) {
		t.Errorf("the next page shows %d of our patients, want %d and a Previous link only", n, total-store.DefaultPageSize)
	}

	// A search: posted, and so is its next page.
	r = f.Do("POST", "/admin/users/search", url.Values{"q": {"Patient"}}, admin)
	after := accountsSearchRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || after == nil || len(accountRowRE.FindAllString(r.Body, -1)) != store.DefaultPageSize {
		t.Fatalf("search = %d, next %v", r.Status, after)
	}
	r = f.Do("POST", "/admin/users/search", url.Values{"q": {"Patient"}, "list": {"patients"}, "after": {after[1]}}, admin)
	if n := len(accountRowRE.FindAllString(r.Body, -1)); r.Status != http.StatusOK || n != made-store.DefaultPageSize {
		t.Errorf("the search's next page = %d with %d of our patients, want %d", r.Status, n, made-store.DefaultPageSize)
	}
	if r := f.Do("POST", "/admin/users/search", url.Values{"q": {strings.Repeat("x", 101)}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at most 100 characters") {
		t.Errorf("a long search = %d, want 422 with the field's error", r.Status)
	}
	if r := f.Do("POST", "/admin/users/search", url.Values{"q": {"Zed"}}, f.SignIn("thea@example.org")); r.Status == http.StatusOK || strings.Contains(r.Body, "pt01@example.org") {
		t.Errorf("a therapist's account search = %d, want refused", r.Status)
	}
}
