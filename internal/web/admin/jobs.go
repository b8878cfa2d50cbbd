package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/kapstone/kapstone/internal/store"
)

type jobsData struct {
	Failed, Waiting, Done []store.Job
	Notice                string
	Outbox                bool // no SMTP server: emails are kept in the outbox
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
	lists := map[string][]store.Job{}
	for status, n := range map[string]int{store.JobFailed: 100, store.JobRunning: 100, store.JobPending: 100, store.JobDone: 20} {
		list, err := s.Store.ListJobs(ctx, status, n)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		lists[status] = list
	}
	d := jobsData{Failed: lists[store.JobFailed], Waiting: append(lists[store.JobRunning], lists[store.JobPending]...), Done: lists[store.JobDone], Outbox: s.OutboxOnly}
	if n, err := strconv.Atoi(r.URL.Query().Get("retried")); err == nil {
		d.Notice = fmt.Sprintf("%d jobs will be tried again now.", n)
	}
	s.Render(w, r, http.StatusOK, "jobs", "Background jobs", d)
}

type outboxData struct {
	Active bool // no SMTP server configured, so emails land here
	Emails []store.OutboxEmail
}

// Outbox shows administrators the emails kept instead of sent, newest
// first.
func (s *Handlers) Outbox(w http.ResponseWriter, r *http.Request) {
	emails, err := s.Store.OutboxEmails(r.Context(), s.Actor(r), 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "outbox", "Email outbox", outboxData{Active: s.OutboxOnly, Emails: emails})
}
