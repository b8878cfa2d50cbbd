package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kapstone/kapstone/internal/store"
)

// jobsSection is one list of the jobs page, a page at a time: its jobs,
// how many it holds in all, and the links to its neighbouring pages ("" when
// there is none).
type jobsSection struct {
	List             string // store.JobFailed, store.JobsWaiting or store.JobDone
	Jobs             []store.Job
	Total            int
	NextURL, PrevURL string
}

type jobsData struct {
	Failed, Waiting, Done jobsSection
	// List is the one list shown, when paging one ("" shows the three, each
	// its first page).
	List   string
	Notice string
	Outbox bool // no SMTP server: emails are kept in the outbox
}

// jobsPageSize is how many jobs a list of the jobs page shows at a time.
const jobsPageSize = 25

func jobsPageURL(list, dir, key string) string {
	if key == "" {
		return ""
	}
	return "/admin/jobs?" + url.Values{"list": {list}, dir: {key}}.Encode()
}

// JobsRetry makes failed and backing-off jobs due now (after the
// cause, such as the mail server, is fixed).
func (s *Handlers) JobsRetry(w http.ResponseWriter, r *http.Request) {
	n, err := s.Store.RetryJobsNow(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/jobs?retried="+strconv.Itoa(n), http.StatusSeeOther)
}

// Jobs shows admins the background work: what failed (with the last
// error), what waits or runs, and what finished lately. Jobs carry ids,
// never patient information.
func (s *Handlers) Jobs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	d := jobsData{Outbox: s.OutboxOnly, List: q.Get("list")}
	switch d.List {
	case "", store.JobFailed, store.JobsWaiting, store.JobDone:
	default:
		s.NotFound(w, r)
		return
	}
	d.Failed.List, d.Waiting.List, d.Done.List = store.JobFailed, store.JobsWaiting, store.JobDone
	for _, sec := range []*jobsSection{&d.Failed, &d.Waiting, &d.Done} {
		k := store.PageKey{Limit: jobsPageSize}
		if sec.List == d.List {
			k.After, k.Before = idKey(q.Get("after")), idKey(q.Get("before"))
		}
		page, err := s.Store.PageJobs(ctx, sec.List, k)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		sec.Jobs, sec.Total = page.Rows, page.Total
		sec.NextURL, sec.PrevURL = jobsPageURL(sec.List, "after", page.Next), jobsPageURL(sec.List, "before", page.Prev)
	}
	if n, err := strconv.Atoi(q.Get("retried")); err == nil {
		d.Notice = fmt.Sprintf("%d jobs will be tried again now.", n)
	}
	s.Render(w, r, http.StatusOK, "jobs", "Background jobs", d)
}

// idKey is a page key as a URL carries it (a row id), or "" when it
// cannot be one (the first page is shown).
func idKey(v string) string {
	if !store.ValidID(v) {
		return ""
	}
	return v
}

type outboxData struct {
	Active           bool // no SMTP server configured, so emails land here
	Emails           []store.OutboxEmail
	Total            int
	NextURL, PrevURL string
}

// Outbox shows administrators the emails kept instead of sent, newest
// first, a page at a time (keyed by an email's id).
func (s *Handlers) Outbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := s.Store.PageOutbox(r.Context(), s.Actor(r), store.PageKey{After: idKey(q.Get("after")), Before: idKey(q.Get("before"))})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := outboxData{Active: s.OutboxOnly, Emails: page.Rows, Total: page.Total}
	if page.Next != "" {
		d.NextURL = "/admin/outbox?after=" + url.QueryEscape(page.Next)
	}
	if page.Prev != "" {
		d.PrevURL = "/admin/outbox?before=" + url.QueryEscape(page.Prev)
	}
	s.Render(w, r, http.StatusOK, "outbox", "Email outbox", d)
}
