// Package mailjob holds the background jobs that send email: the safety
// alert to a care team, appointment reminders, check-in invitations and
// self-service password reset links;
// and the audit witness, which sends each signed checkpoint of the audit
// log off the machine by email and/or HTTP(S) POST. A
// job.Runner runs them (cmd/kapstone wires them in); the web layer only
// queues them, through the store. It imports the store, job and notify,
// never the web packages.
package mailjob

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/notify"
	"github.com/kapstone/kapstone/internal/store"
)

// Sender sends the emails that background jobs ask for.
type Sender struct {
	Store  *store.Store
	Mailer notify.Mailer
	// BaseURL is where the emails' links point, e.g. https://care.example.org.
	BaseURL string
	// Crisis is the crisis-resources sentence that ends a patient's email.
	Crisis string
	// PracticeName returns the practice's name, as the pages show it.
	PracticeName func(context.Context) string
	// HTTP posts checkpoints to an audit witness collector; nil means a
	// client with WitnessTimeout that follows no redirect.
	HTTP *http.Client
	// KeepsEmail is set when Mailer keeps emails where staff read them
	// (the development outbox) instead of sending them: no usable link
	// may go into one.
	KeepsEmail bool
}

// Handlers returns the email jobs by job kind, for a job.Runner. Every
// handler is idempotent in effect: a job run twice (a crash between sending
// and recording) repeats at most one email.
func (s *Sender) Handlers() map[string]job.Handler {
	return map[string]job.Handler{
		store.JobAlertEmail:    s.sendAlertEmail,
		store.JobReminder:      s.sendReminder,
		store.JobCheckinInvite: s.sendCheckinInvite,
		store.JobCopeReminder:  s.sendCopeReminder,
		store.JobWitnessEmail:  s.sendWitness,
		store.JobWitnessHTTP:   s.sendWitness,

		store.JobPasswordResetEmail: s.sendPasswordReset,
		store.JobMessageEmail:       s.sendMessageEmail,
		store.JobStatementEmail:     s.sendStatementEmail,
	}
}

// sendAlertEmail emails the care team that a safety alert waits for them.
// The alert itself is already on the caseload (it was committed with the
// answer); this only makes sure someone looks. The message carries no
// patient information. An alert acknowledged before the email went out
// needs no email.
func (s *Sender) sendAlertEmail(ctx context.Context, j store.Job) error {
	var p struct {
		Alert string `json:"alert"`
	}
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.Alert == "" {
		return fmt.Errorf("alert email: unreadable payload")
	}
	emails, open, err := s.Store.AlertEmailRecipients(ctx, p.Alert)
	if err != nil {
		return fmt.Errorf("alert email: %w", err)
	}
	if !open || len(emails) == 0 {
		return nil
	}
	// How soon (today, or within a working day) is on the caseload, not in
	// the email: an alert that becomes urgent sends a second one.
	body := "A patient on your care team gave an answer in kapstone that needs a clinician's attention.\n\n" +
		"Open your caseload to see the safety alert, how soon it needs review, and acknowledge it: " + s.BaseURL + "/patients\n\n" +
		"This email carries no patient information. If you are not the right person, tell your practice."
	if err := s.Mailer.Send(ctx, emails, "A safety alert needs your attention in kapstone", body); err != nil {
		return fmt.Errorf("alert email failed (the alert is on the caseload): %w", err)
	}
	return nil
}

// sendMessageEmail tells the other side of a conversation that a new
// secure message waits: the patient when a clinician wrote, the care team
// when the patient wrote. It holds no content: not the message, not its
// subject, not the patient's name, only the practice's name and where to
// sign in.
func (s *Sender) sendMessageEmail(ctx context.Context, j store.Job) error {
	m, err := s.Store.MessageEmailToSend(ctx, j.Payload)
	if err != nil || m == nil {
		return err
	}
	subject, body := MessageEmail(s.PracticeName(ctx), s.BaseURL, m.ToPatient, s.Crisis)
	if err := s.Mailer.Send(ctx, m.To, subject, body); err != nil {
		return fmt.Errorf("message email failed: %w", err)
	}
	return nil
}

// MessageEmail is the subject and body of the email that says a new
// message waits from practice: no message text, no patient name. A
// patient's link is to their portal's messages (and the email ends with
// crisis, the crisis sentence); a clinician's to the shared inbox.
func MessageEmail(practice, baseURL string, toPatient bool, crisis string) (subject, body string) {
	subject = "You have a new message from " + practice
	if toPatient {
		return subject, "Hello,\n\nYou have a new message from " + practice + ". To read it, sign in to your portal: " + baseURL + "/portal/messages\n\n" +
			"Messages are not for emergencies. " + crisis
	}
	subject = "You have a new message in " + practice + "'s inbox"
	return subject, "A patient on your care team wrote a new message in kapstone. To read it, sign in: " + baseURL + "/messages\n\n" +
		"This email carries no patient information."
}

// sendStatementEmail tells a patient that their practice sent them a
// superbill or statement, which waits in their portal. No content: no
// amounts, no dates of service, no name, only the practice's name and
// where to sign in.
func (s *Sender) sendStatementEmail(ctx context.Context, j store.Job) error {
	email, err := s.Store.StatementEmailToSend(ctx, j.Payload)
	if err != nil || email == "" {
		return err
	}
	subject, body := StatementEmail(s.PracticeName(ctx), s.BaseURL, s.Crisis)
	if err := s.Mailer.Send(ctx, []string{email}, subject, body); err != nil {
		return fmt.Errorf("statement email failed: %w", err)
	}
	return nil
}

// StatementEmail is the subject and body of the email that says a
// document from practice waits in the patient's portal.
func StatementEmail(practice, baseURL, crisis string) (subject, body string) {
	return "A document from " + practice + " is ready in your portal",
		"Hello,\n\n" + practice + " has put a billing document in your portal for you. To see and download it, sign in: " + baseURL + "/portal/billing\n\n" + crisis
}

// sendReminder emails a patient that they have an appointment. It says
// when, and nothing clinical: not the kind, not the clinician. A reminder
// for an appointment since cancelled or moved, or for a patient who turned
// reminders off, sends nothing.
func (s *Sender) sendReminder(ctx context.Context, j store.Job) error {
	rem, err := s.Store.ReminderToSend(ctx, j.Payload)
	if err != nil || rem == nil {
		return err
	}
	when := rem.StartsAt.UTC().Format("Monday, January 2, 2006 at 15:04 UTC")
	if loc, lerr := time.LoadLocation(rem.Zone); rem.Zone != "" && lerr == nil {
		when = rem.StartsAt.In(loc).Format("Monday, January 2, 2006 at 15:04 MST")
	}
	practice := s.PracticeName(ctx)
	body := "Hello,\n\nThis is a reminder that you have an appointment with " + practice + " on " + when + ".\n\n" +
		"To see how to prepare, or to ask for a change, sign in to your portal: " + s.BaseURL + "/portal/appointments\n\n" +
		"You can turn these reminders off under Your account in the portal.\n\n" +
		s.Crisis
	if err := s.Mailer.Send(ctx, []string{rem.Email}, "Appointment reminder from "+practice, body); err != nil {
		return fmt.Errorf("reminder email failed: %w", err)
	}
	return nil
}

// sendCopeReminder emails a patient the day before a situation they made
// a cope-ahead plan for. It says only that there is a reminder from the
// practice, with a link to sign in: nothing of the plan, not even that
// there is one.
func (s *Sender) sendCopeReminder(ctx context.Context, j store.Job) error {
	email, err := s.Store.CopeReminderToSend(ctx, j.Payload)
	if err != nil || email == "" {
		return err
	}
	practice := s.PracticeName(ctx)
	body := "Hello,\n\nYou have a reminder from " + practice + ". Sign in to see it: " + s.BaseURL + "/portal/skills\n"
	if err := s.Mailer.Send(ctx, []string{email}, "A reminder from "+practice, body); err != nil {
		return fmt.Errorf("cope-ahead reminder email failed: %w", err)
	}
	return nil
}

// sendCheckinInvite asks a patient, a day before a session, to fill in the
// check-ins due before it, with a link to sign in. No clinical detail: it
// names neither the session's kind nor the questionnaires.
func (s *Sender) sendCheckinInvite(ctx context.Context, j store.Job) error {
	rem, err := s.Store.CheckinInviteToSend(ctx, j.Payload)
	if err != nil || rem == nil {
		return err
	}
	practice := s.PracticeName(ctx)
	body := "Hello,\n\nBefore your appointment with " + practice + " tomorrow, please take a few minutes to fill in your check-in. " +
		"Sign in to your portal to start: " + s.BaseURL + "/portal/checkins\n\n" +
		"You can turn these emails off under Your account in the portal.\n\n" +
		s.Crisis
	if err := s.Mailer.Send(ctx, []string{rem.Email}, "A check-in before your appointment with "+practice, body); err != nil {
		return fmt.Errorf("check-in invitation email failed: %w", err)
	}
	return nil
}

// sendPasswordReset emails an account holder the reset link they asked for
// on the sign-in page. The link is made here, at sending (the job's payload
// names the account only), and works once, for 30 minutes. A disabled or
// deleted account gets nothing. A retried job makes a new link and the
// older one stops working.
func (s *Sender) sendPasswordReset(ctx context.Context, j store.Job) error {
	var p struct {
		User string `json:"user"`
	}
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || p.User == "" {
		return fmt.Errorf("reset email: unreadable payload")
	}
	if s.KeepsEmail {
		// A reset link in the outbox would let whoever reads the outbox
		// (an administrator, or a copy of the database) take the account.
		// The request page no longer queues this job without SMTP; one
		// queued before SMTP was removed makes no link.
		return nil
	}
	token := auth.NewToken()
	u, err := s.Store.CreateSelfServiceReset(ctx, p.User, auth.HashToken(token))
	if err != nil || u == nil {
		return err
	}
	practice := s.PracticeName(ctx)
	body := "Hello,\n\nSomeone asked to reset the password of your account with " + practice + ". " +
		"To choose a new password, open this link within 30 minutes. It works once:\n\n" +
		s.BaseURL + "/reset/" + token + "\n\n" +
		"If it was not you, ignore this email: your password stays as it is. " +
		"A new password does not turn off two-step verification: if you sign in with a code from an authenticator app, you will still need it."
	if err := s.Mailer.Send(ctx, []string{u.Email}, "Reset your password for "+practice, body); err != nil {
		return fmt.Errorf("reset email failed: %w", err)
	}
	return nil
}
