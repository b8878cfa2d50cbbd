package mailjob_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestReminders: a booked appointment emails the patient 48 h and 24 h
// before, saying only that there is an appointment and when; a moved
// appointment's old reminders send nothing (the new ones do); a patient who
// turns reminders off gets none; a cancelled appointment gets none.
func TestReminders(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	start := f.Now.Add(72 * time.Hour).Truncate(time.Hour)
	ap := &store.Appointment{Kind: "dosing", StartsAt: start, Minutes: 180}
	f.ClearA()
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap); err != nil {
		t.Fatal(err)
	}
	runJobs(f)
	if len(mailer.sent) != 0 {
		t.Fatalf("reminders sent at once: %q", mailer.sent)
	}
	f.Now = start.Add(-47 * time.Hour)
	runJobs(f)
	if len(mailer.sent) != 1 {
		t.Fatalf("%d emails 47 h before, want the 48-hour reminder", len(mailer.sent))
	}
	msg := mailer.sent[0]
	if !strings.HasPrefix(msg, "pat@example.org|Appointment reminder") || !strings.Contains(msg, "you have an appointment") || !strings.Contains(msg, start.Format("January 2, 2006 at 15:04")) {
		t.Errorf("reminder = %q", msg)
	}
	for _, leak := range []string{"osing", "Thea", webtest.CanaryA, "ketamine"} {
		if strings.Contains(msg, leak) {
			t.Errorf("the reminder contains %q", leak)
		}
	}
	// Moved two days later: the old 24-hour reminder sends nothing.
	moved := start.Add(48 * time.Hour)
	if err := f.St.MoveAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap.ID, moved, "Patient asked"); err != nil {
		t.Fatal(err)
	}
	f.Now = start.Add(-23 * time.Hour)
	runJobs(f)
	if len(mailer.sent) != 1 {
		t.Fatalf("the moved appointment's old reminder was sent: %q", mailer.sent[1:])
	}
	f.Now = moved.Add(-47 * time.Hour)
	runJobs(f)
	if len(mailer.sent) != 2 || !strings.Contains(mailer.sent[1], moved.Format("January 2, 2006 at 15:04")) {
		t.Fatalf("the moved appointment's new reminder: %q", mailer.sent)
	}
	// The patient turns reminders off: the 24-hour one is not sent.
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/account", nil, pat); !strings.Contains(r.Body, "Turn reminders off") {
		t.Fatal("the patient's account page has no reminder switch")
	}
	if r := f.Do("POST", "/account/reminders", url.Values{"reminders": {"off"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("turn off = %d", r.Status)
	}
	f.Now = moved.Add(-23 * time.Hour)
	runJobs(f)
	if len(mailer.sent) != 2 {
		t.Fatalf("a reminder went to a patient who turned them off: %q", mailer.sent[2:])
	}
	// On again; a new appointment, cancelled: nothing.
	f.Do("POST", "/account/reminders", url.Values{"reminders": {"on"}}, pat)
	other := &store.Appointment{Kind: "integration", StartsAt: moved.Add(72 * time.Hour), Minutes: 50}
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, other); err != nil {
		t.Fatal(err)
	}
	if err := f.St.CancelAppointment(ctx, f.As("thea@example.org"), f.PA.ID, other.ID, "Patient unwell"); err != nil {
		t.Fatal(err)
	}
	f.Now = other.StartsAt.Add(-time.Hour)
	runJobs(f)
	if len(mailer.sent) != 2 {
		t.Fatalf("a cancelled appointment was reminded: %q", mailer.sent[2:])
	}
	if n := len(f.AuditRows("reminder.send")); n != 2 {
		t.Errorf("%d reminder.send audit rows, want 2", n)
	}
}

// TestCheckinInvite: a patient with a "before each session" check-in is
// invited a day before a session, with a link to sign in and nothing
// clinical; without such a check-in, no invitation.
func TestCheckinInvite(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	start := f.Now.Add(72 * time.Hour).Truncate(time.Hour)
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "integration", StartsAt: start, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	f.Now = start.Add(-23 * time.Hour)
	runJobs(f)
	for _, m := range mailer.sent {
		if strings.Contains(m, "check-in") {
			t.Fatalf("an invitation without a check-in assigned: %q", m)
		}
	}
	f.Assign("phq9", "before_session")
	later := start.Add(7 * 24 * time.Hour)
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "integration", StartsAt: later, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	mailer.sent = nil
	f.Now = later.Add(-23 * time.Hour)
	runJobs(f)
	var invites []string
	for _, m := range mailer.sent {
		if strings.Contains(m, "|A check-in before your appointment") {
			invites = append(invites, m)
		}
	}
	if len(invites) != 1 || !strings.HasPrefix(invites[0], "pat@example.org|") || !strings.Contains(invites[0], "/portal/checkins") {
		t.Fatalf("invitations = %q, want one to the patient with the portal link", invites)
	}
	for _, leak := range []string{"PHQ", "Patient Health", "ntegration", webtest.CanaryA} {
		if strings.Contains(invites[0], leak) {
			t.Errorf("the invitation contains %q", leak)
		}
	}
}

// TestOutboxWhenNoMailServer: with no SMTP server configured, emails are
// kept in the development outbox, where an administrator reads them (an
// audited look); the log says an email was kept but names no one.
func TestOutboxWhenNoMailServer(t *testing.T) {
	f := webtest.NewFixture(t) // no Mailer: the outbox
	ctx := t.Context()
	start := f.Now.Add(72 * time.Hour).Truncate(time.Hour)
	f.ClearA()
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "dosing", StartsAt: start, Minutes: 180}); err != nil {
		t.Fatal(err)
	}
	admin := f.SignIn("admin@example.org")
	if r := f.Do("GET", "/admin/outbox", nil, admin); r.Status != http.StatusOK || !strings.Contains(r.Body, "No emails yet") {
		t.Fatalf("empty outbox: %d %s", r.Status, r.Body)
	}
	f.Now = start.Add(-47 * time.Hour)
	runJobs(f)
	admin = f.SignIn("admin@example.org") // the first session has timed out
	r := f.Do("GET", "/admin/outbox", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Appointment reminder from") || !strings.Contains(r.Body, "pat@example.org") || !strings.Contains(r.Body, "you have an appointment") {
		t.Fatalf("outbox after the 48-hour reminder: %d %s", r.Status, r.Body)
	}
	if j := f.Do("GET", "/admin/jobs", nil, admin); !strings.Contains(j.Body, "No mail server is set up") || !strings.Contains(j.Body, `href="/admin/outbox"`) {
		t.Errorf("the jobs page does not point to the outbox: %s", j.Body)
	}
	if len(f.AuditRows("outbox.read")) != 2 {
		t.Errorf("outbox looks audited %d times, want 2", len(f.AuditRows("outbox.read")))
	}
	if logs := f.Logs.String(); !strings.Contains(logs, "email kept in the outbox") || strings.Contains(logs, "pat@example.org") {
		t.Errorf("logs: %s", logs)
	}
}
