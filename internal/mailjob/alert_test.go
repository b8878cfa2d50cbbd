package mailjob_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// handlers wires the email jobs to the fixture's server as cmd/kapstone
// does: its mailer, its links and its practice name.
func handlers(f *webtest.Fixture) map[string]job.Handler {
	m := &mailjob.Sender{Store: f.St, Mailer: f.Srv.Config.Mailer, BaseURL: f.Srv.LinkBase(nil), Crisis: f.Srv.Crisis.Sentence, PracticeName: f.Srv.PracticeName}
	return m.Handlers()
}

// runJobs runs the background jobs that are due, as the server's runner would.
func runJobs(f *webtest.Fixture) {
	f.T.Helper()
	r := &job.Runner{Store: f.St, Worker: "test", Handlers: handlers(f), Log: f.Srv.Log}
	for i := 0; i < 10; i++ {
		n, err := r.RunOnce(context.Background())
		if err != nil {
			f.T.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// fakeMailer records notifications, or fails every one (email down).
type fakeMailer struct {
	mu   sync.Mutex
	sent []string // "to|subject|body"
	fail bool
}

func (m *fakeMailer) Send(ctx context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("smtp: connection refused")
	}
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+subject+"|"+body)
	return nil
}

// TestAlertEmail: an item-9 answer emails the care team (no patient
// information in it); with email down, the crisis page and the alert are
// exactly the same.
func TestAlertEmail(t *testing.T) {
	for _, down := range []bool{false, true} {
		f := webtest.NewFixture(t)
		f.Assign("phq9", "weekly")
		mailer := &fakeMailer{fail: down}
		f.Srv.Config.Mailer = mailer
		pat := f.SignIn("pat@example.org")
		r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 2), pat)
		// A second risk answer while the alert is open updates it and
		// sends no second email.
		f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 3), pat)
		runJobs(f)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="tel:988"`) {
			t.Fatalf("email down %v: item 9 = %d, want the crisis page", down, r.Status)
		}
		if n := len(f.AuditRows("alert.raise")); n != 1 {
			t.Fatalf("email down %v: %d alerts, want 1", down, n)
		}
		thea := f.SignIn("thea@example.org")
		if c := f.Do("GET", "/patients", nil, thea); !strings.Contains(c.Body, "Safety alerts") {
			t.Fatalf("email down %v: caseload lacks the alert", down)
		}
		if down {
			if !strings.Contains(f.Logs.String(), "alert email failed") {
				t.Error("a failed alert email is not logged")
			}
			// The email waits in the outbox with its error, and goes out
			// once email works again.
			jobs, _ := f.St.ListJobs(context.Background(), store.JobPending, 10)
			if len(jobs) != 1 || !strings.Contains(jobs[0].LastError, "connection refused") {
				t.Fatalf("email down: pending jobs = %+v, want the alert email with its error", jobs)
			}
			if a := f.Do("GET", "/admin/jobs", nil, f.SignIn("admin@example.org")); !strings.Contains(a.Body, "connection refused") || !strings.Contains(a.Body, "Safety alert email to the care team") || strings.Contains(a.Body, "alert.email") {
				t.Errorf("admin jobs page does not show the waiting email (in words, not its code name) and its error")
			}
			mailer.mu.Lock()
			mailer.fail = false
			mailer.mu.Unlock()
			// The admin retries once mail works: it goes out now.
			if r := f.Do("POST", "/admin/jobs/retry", nil, f.SignIn("admin@example.org")); r.Status != http.StatusSeeOther {
				t.Fatalf("retry = %d", r.Status)
			}
			runJobs(f)
		}
		if len(mailer.sent) != 1 || !strings.Contains(mailer.sent[0], "rex@example.org") || !strings.Contains(mailer.sent[0], "thea@example.org") {
			t.Fatalf("emails = %q, want one to thea and rex", mailer.sent)
		}
		if strings.Contains(mailer.sent[0], webtest.CanaryA) || strings.Contains(mailer.sent[0], f.PA.ID) || strings.Contains(mailer.sent[0], "pat@example.org") {
			t.Errorf("alert email carries patient information: %q", mailer.sent[0])
		}
	}
}
