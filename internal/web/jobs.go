package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/store"
)

// JobHandlers returns the background work the web layer defines, by job
// kind, for a job.Runner. Every handler is idempotent in effect: a job run
// twice (a crash between sending and recording) repeats at most one email.
func (s *Server) JobHandlers() map[string]job.Handler {
	return map[string]job.Handler{
		store.JobAlertEmail:    s.sendAlertEmail,
		store.JobReminder:      s.sendReminder,
		store.JobCheckinInvite: s.sendCheckinInvite,
	}
}

// sendAlertEmail emails the care team that a safety alert waits for them.
// The alert itself is already on the caseload (it was committed with the
// answer); this only makes sure someone looks. The message carries no
// patient information. An alert acknowledged before the email went out
// needs no email.
func (s *Server) sendAlertEmail(ctx context.Context, j store.Job) error {
	var p struct {
		Alert string `json:"alert"`
	}
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.Alert == "" {
		return fmt.Errorf("alert email: unreadable payload")
	}
	emails, open, err := s.store.AlertEmailRecipients(ctx, p.Alert)
	if err != nil {
		return fmt.Errorf("alert email: %w", err)
	}
	if !open || len(emails) == 0 {
		return nil
	}
	// How soon (today, or within a working day) is on the caseload, not in
	// the email: an alert that becomes urgent sends a second one.
	body := "A patient on your care team gave an answer in kapstone that needs a clinician's attention.\n\n" +
		"Open your caseload to see the safety alert, how soon it needs review, and acknowledge it: " + s.linkBase(nil) + "/patients\n\n" +
		"This email carries no patient information. If you are not the right person, tell your practice."
	if err := s.cfg.Mailer.Send(ctx, emails, "A safety alert needs your attention in kapstone", body); err != nil {
		return fmt.Errorf("alert email failed (the alert is on the caseload): %w", err)
	}
	return nil
}

// sendReminder emails a patient that they have an appointment. It says
// when, and nothing clinical: not the kind, not the clinician. A reminder
// for an appointment since cancelled or moved, or for a patient who turned
// reminders off, sends nothing.
func (s *Server) sendReminder(ctx context.Context, j store.Job) error {
	rem, err := s.store.ReminderToSend(ctx, j.Payload)
	if err != nil || rem == nil {
		return err
	}
	when := rem.StartsAt.UTC().Format("Monday, January 2, 2006 at 15:04 UTC")
	if loc, lerr := time.LoadLocation(rem.Zone); rem.Zone != "" && lerr == nil {
		when = rem.StartsAt.In(loc).Format("Monday, January 2, 2006 at 15:04 MST")
	}
	practice := s.practiceName(ctx)
	body := "Hello,\n\nThis is a reminder that you have an appointment with " + practice + " on " + when + ".\n\n" +
		"To see how to prepare, or to ask for a change, sign in to your portal: " + s.linkBase(nil) + "/portal/appointments\n\n" +
		"You can turn these reminders off under Your account in the portal.\n\n" +
		s.crisis.Sentence
	if err := s.cfg.Mailer.Send(ctx, []string{rem.Email}, "Appointment reminder from "+practice, body); err != nil {
		return fmt.Errorf("reminder email failed: %w", err)
	}
	return nil
}

// sendCheckinInvite asks a patient, a day before a session, to fill in the
// check-ins due before it, with a link to sign in. No clinical detail: it
// names neither the session's kind nor the questionnaires.
func (s *Server) sendCheckinInvite(ctx context.Context, j store.Job) error {
	rem, err := s.store.CheckinInviteToSend(ctx, j.Payload)
	if err != nil || rem == nil {
		return err
	}
	practice := s.practiceName(ctx)
	body := "Hello,\n\nBefore your appointment with " + practice + " tomorrow, please take a few minutes to fill in your check-in. " +
		"Sign in to your portal to start: " + s.linkBase(nil) + "/portal/checkins\n\n" +
		"You can turn these emails off under Your account in the portal.\n\n" +
		s.crisis.Sentence
	if err := s.cfg.Mailer.Send(ctx, []string{rem.Email}, "A check-in before your appointment with "+practice, body); err != nil {
		return fmt.Errorf("check-in invitation email failed: %w", err)
	}
	return nil
}

type jobsData struct {
	Failed, Waiting, Done []store.Job
	Notice                string
	Outbox                bool // no SMTP server: emails are kept in the outbox
}

// handleJobsRetry makes failed and backing-off jobs due now (after the
// cause, such as the mail server, is fixed).
func (s *Server) handleJobsRetry(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.RetryJobsNow(r.Context(), s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/jobs?retried="+strconv.Itoa(n), http.StatusSeeOther)
}

// handleJobs shows admins the background work: what failed (with the last
// error), what waits or runs, and what finished lately. Jobs carry ids,
// never patient information.
func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lists := map[string][]store.Job{}
	for status, n := range map[string]int{store.JobFailed: 100, store.JobRunning: 100, store.JobPending: 100, store.JobDone: 20} {
		list, err := s.store.ListJobs(ctx, status, n)
		if err != nil {
			s.error(w, r, err)
			return
		}
		lists[status] = list
	}
	d := jobsData{Failed: lists[store.JobFailed], Waiting: append(lists[store.JobRunning], lists[store.JobPending]...), Done: lists[store.JobDone], Outbox: s.outbox}
	if n, err := strconv.Atoi(r.URL.Query().Get("retried")); err == nil {
		d.Notice = fmt.Sprintf("%d jobs will be tried again now.", n)
	}
	s.render(w, r, http.StatusOK, "jobs", "Background jobs", d)
}

// outboxMailer is the development sender, used when no SMTP server is
// configured: it keeps each email in the database, where administrators
// read it on the Email outbox page, instead of sending it.
type outboxMailer struct {
	store *store.Store
	log   *slog.Logger
}

// Send keeps the email in the outbox.
func (m outboxMailer) Send(ctx context.Context, to []string, subject, body string) error {
	if err := m.store.KeepOutboxEmail(ctx, to, subject, body); err != nil {
		return err
	}
	m.log.Info("email kept in the outbox: no SMTP server configured", "recipients", len(to))
	return nil
}

type outboxData struct {
	Active bool // no SMTP server configured, so emails land here
	Emails []store.OutboxEmail
}

// handleOutbox shows administrators the emails kept instead of sent, newest
// first.
func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) {
	emails, err := s.store.OutboxEmails(r.Context(), s.actor(r), 100)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "outbox", "Email outbox", outboxData{Active: s.outbox, Emails: emails})
}
