package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// TestReminders: a booked appointment emails the patient 48 h and 24 h
// before, saying only that there is an appointment and when; a moved
// appointment's old reminders send nothing (the new ones do); a patient who
// turns reminders off gets none; a cancelled appointment gets none.
func TestReminders(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	mailer := &fakeMailer{}
	f.srv.Config.Mailer = mailer
	start := f.now.Add(72 * time.Hour).Truncate(time.Hour)
	ap := &store.Appointment{Kind: "dosing", StartsAt: start, Minutes: 180}
	f.clearA()
	if err := f.st.CreateAppointment(ctx, f.as("thea@example.org"), f.pA.ID, ap); err != nil {
		t.Fatal(err)
	}
	f.runJobs()
	if len(mailer.sent) != 0 {
		t.Fatalf("reminders sent at once: %q", mailer.sent)
	}
	f.now = start.Add(-47 * time.Hour)
	f.runJobs()
	if len(mailer.sent) != 1 {
		t.Fatalf("%d emails 47 h before, want the 48-hour reminder", len(mailer.sent))
	}
	msg := mailer.sent[0]
	if !strings.HasPrefix(msg, "pat@example.org|Appointment reminder") || !strings.Contains(msg, "you have an appointment") || !strings.Contains(msg, start.Format("January 2, 2006 at 15:04")) {
		t.Errorf("reminder = %q", msg)
	}
	for _, leak := range []string{"osing", "Thea", canaryA, "ketamine"} {
		if strings.Contains(msg, leak) {
			t.Errorf("the reminder contains %q", leak)
		}
	}
	// Moved two days later: the old 24-hour reminder sends nothing.
	moved := start.Add(48 * time.Hour)
	if err := f.st.MoveAppointment(ctx, f.as("thea@example.org"), f.pA.ID, ap.ID, moved, "Patient asked"); err != nil {
		t.Fatal(err)
	}
	f.now = start.Add(-23 * time.Hour)
	f.runJobs()
	if len(mailer.sent) != 1 {
		t.Fatalf("the moved appointment's old reminder was sent: %q", mailer.sent[1:])
	}
	f.now = moved.Add(-47 * time.Hour)
	f.runJobs()
	if len(mailer.sent) != 2 || !strings.Contains(mailer.sent[1], moved.Format("January 2, 2006 at 15:04")) {
		t.Fatalf("the moved appointment's new reminder: %q", mailer.sent)
	}
	// The patient turns reminders off: the 24-hour one is not sent.
	pat := f.signIn("pat@example.org")
	if r := f.do("GET", "/account", nil, pat); !strings.Contains(r.body, "Turn reminders off") {
		t.Fatal("the patient's account page has no reminder switch")
	}
	if r := f.do("POST", "/account/reminders", url.Values{"reminders": {"off"}}, pat); r.status != http.StatusSeeOther {
		t.Fatalf("turn off = %d", r.status)
	}
	f.now = moved.Add(-23 * time.Hour)
	f.runJobs()
	if len(mailer.sent) != 2 {
		t.Fatalf("a reminder went to a patient who turned them off: %q", mailer.sent[2:])
	}
	// On again; a new appointment, cancelled: nothing.
	f.do("POST", "/account/reminders", url.Values{"reminders": {"on"}}, pat)
	other := &store.Appointment{Kind: "integration", StartsAt: moved.Add(72 * time.Hour), Minutes: 50}
	if err := f.st.CreateAppointment(ctx, f.as("thea@example.org"), f.pA.ID, other); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CancelAppointment(ctx, f.as("thea@example.org"), f.pA.ID, other.ID, "Patient unwell"); err != nil {
		t.Fatal(err)
	}
	f.now = other.StartsAt.Add(-time.Hour)
	f.runJobs()
	if len(mailer.sent) != 2 {
		t.Fatalf("a cancelled appointment was reminded: %q", mailer.sent[2:])
	}
	if n := len(f.auditRows("reminder.send")); n != 2 {
		t.Errorf("%d reminder.send audit rows, want 2", n)
	}
}

// TestCheckinInvite: a patient with a "before each session" check-in is
// invited a day before a session, with a link to sign in and nothing
// clinical; without such a check-in, no invitation.
func TestCheckinInvite(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	mailer := &fakeMailer{}
	f.srv.Config.Mailer = mailer
	start := f.now.Add(72 * time.Hour).Truncate(time.Hour)
	if err := f.st.CreateAppointment(ctx, f.as("thea@example.org"), f.pA.ID, &store.Appointment{Kind: "integration", StartsAt: start, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	f.now = start.Add(-23 * time.Hour)
	f.runJobs()
	for _, m := range mailer.sent {
		if strings.Contains(m, "check-in") {
			t.Fatalf("an invitation without a check-in assigned: %q", m)
		}
	}
	f.assign("phq9", "before_session")
	later := start.Add(7 * 24 * time.Hour)
	if err := f.st.CreateAppointment(ctx, f.as("thea@example.org"), f.pA.ID, &store.Appointment{Kind: "integration", StartsAt: later, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	mailer.sent = nil
	f.now = later.Add(-23 * time.Hour)
	f.runJobs()
	var invites []string
	for _, m := range mailer.sent {
		if strings.Contains(m, "|A check-in before your appointment") {
			invites = append(invites, m)
		}
	}
	if len(invites) != 1 || !strings.HasPrefix(invites[0], "pat@example.org|") || !strings.Contains(invites[0], "/portal/checkins") {
		t.Fatalf("invitations = %q, want one to the patient with the portal link", invites)
	}
	for _, leak := range []string{"PHQ", "Patient Health", "ntegration", canaryA} {
		if strings.Contains(invites[0], leak) {
			t.Errorf("the invitation contains %q", leak)
		}
	}
}

// TestOutboxWhenNoMailServer: with no SMTP server configured, emails are
// kept in the development outbox, where an administrator reads them (an
// audited look); the log says an email was kept but names no one.
func TestOutboxWhenNoMailServer(t *testing.T) {
	f := newFixture(t) // no Mailer: the outbox
	ctx := t.Context()
	start := f.now.Add(72 * time.Hour).Truncate(time.Hour)
	f.clearA()
	if err := f.st.CreateAppointment(ctx, f.as("thea@example.org"), f.pA.ID, &store.Appointment{Kind: "dosing", StartsAt: start, Minutes: 180}); err != nil {
		t.Fatal(err)
	}
	admin := f.signIn("admin@example.org")
	if r := f.do("GET", "/admin/outbox", nil, admin); r.status != http.StatusOK || !strings.Contains(r.body, "No emails yet") {
		t.Fatalf("empty outbox: %d %s", r.status, r.body)
	}
	f.now = start.Add(-47 * time.Hour)
	f.runJobs()
	admin = f.signIn("admin@example.org") // the first session has timed out
	r := f.do("GET", "/admin/outbox", nil, admin)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Appointment reminder from") || !strings.Contains(r.body, "pat@example.org") || !strings.Contains(r.body, "you have an appointment") {
		t.Fatalf("outbox after the 48-hour reminder: %d %s", r.status, r.body)
	}
	if j := f.do("GET", "/admin/jobs", nil, admin); !strings.Contains(j.body, "No mail server is set up") || !strings.Contains(j.body, `href="/admin/outbox"`) {
		t.Errorf("the jobs page does not point to the outbox: %s", j.body)
	}
	if len(f.auditRows("outbox.read")) != 2 {
		t.Errorf("outbox looks audited %d times, want 2", len(f.auditRows("outbox.read")))
	}
	if logs := f.logs.String(); !strings.Contains(logs, "email kept in the outbox") || strings.Contains(logs, "pat@example.org") {
		t.Errorf("logs: %s", logs)
	}
}
