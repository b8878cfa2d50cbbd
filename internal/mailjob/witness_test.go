package mailjob_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// collector is a witness collector for tests: it keeps every body POSTed
// to it, and answers with status (200 unless set).
type collector struct {
	mu     sync.Mutex
	bodies []string
	status atomic.Int32
	srv    *httptest.Server
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.status.Store(200)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			http.Error(w, "want a text POST", 400)
			return
		}
		st := int(c.status.Load())
		if st == 200 {
			c.mu.Lock()
			c.bodies = append(c.bodies, string(b))
			c.mu.Unlock()
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bodies...)
}

// TestCheckWitness: the witness settings take one plain email address and
// an https URL (http only to this machine), and say what is wrong at the
// field otherwise.
func TestCheckWitness(t *testing.T) {
	tests := []struct {
		email, url string
		bad        []string
	}{
		{"", "", nil},
		{" audit@practice.example ", "https://logs.practice.example/kapstone?token=abc", nil},
		{"", "http://127.0.0.1:9000/in", nil},
		{"", "http://localhost/in", nil},
		{"", "http://[::1]:8080/", nil},
		{"not an email", "", []string{"witness_email"}},
		{"Ada <ada@practice.example>", "", []string{"witness_email"}},
		{"a@practice.example, b@practice.example", "", []string{"witness_email"}},
		{"a@practice.example\r\nBcc: x@evil.example", "", []string{"witness_email"}},
		{"", "http://logs.practice.example/in", []string{"witness_url"}},
		{"", "http://10.0.0.5/in", []string{"witness_url"}},
		{"", "ftp://logs.practice.example/", []string{"witness_url"}},
		{"", "https://user:pw@logs.practice.example/", []string{"witness_url"}},
		{"", "logs.practice.example/in", []string{"witness_url"}},
		{"", "javascript:alert(1)", []string{"witness_url"}},
	}
	for _, tt := range tests {
		ws := store.WitnessSettings{Email: tt.email, URL: tt.url}
		fe := store.CheckWitness(&ws)
		if len(fe) != len(tt.bad) {
			t.Errorf("CheckWitness(%q, %q) = %v, want errors at %v", tt.email, tt.url, fe, tt.bad)
			continue
		}
		for _, f := range tt.bad {
			if fe[f] == "" {
				t.Errorf("CheckWitness(%q, %q) = %v, want an error at %s", tt.email, tt.url, fe, f)
			}
		}
	}
}

// TestAuditWitness: an admin sets a witness email and collector URL (bad
// input comes back at its field); every new checkpoint then goes to both,
// the signed line verbatim and nothing about any patient; email is paced to
// the hour, the newest checkpoint sent at the hour's end; a failing
// collector shows on the admin page ("failing since") and in the job's
// error, and clears once it works; "send a checkpoint now" sends at once.
func TestAuditWitness(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	mailer := &fakeMailer{}
	f.Srv.Config.Mailer = mailer
	f.Srv.OutboxOnly = false // a real mail server, as with KAPSTONE_SMTP_URL
	col := newCollector(t)
	admin := f.SignIn("admin@example.org")

	if a := f.Do("GET", "/admin/audit", nil, admin); !strings.Contains(a.Body, "No audit witness is set") {
		t.Errorf("the audit log page does not say no witness is set")
	}
	page := f.Do("GET", "/admin/audit/witness", nil, admin)
	if page.Status != 200 || !strings.Contains(page.Body, "No witness is set") {
		t.Fatalf("witness page = %d, want the unset notice: %s", page.Status, page.Body)
	}
	if r := f.Do("GET", "/admin/audit/witness", nil, f.SignIn("thea@example.org")); r.Status != 404 {
		t.Errorf("a therapist sees the witness page: %d", r.Status)
	}
	bad := f.Do("POST", "/admin/audit/witness", url.Values{"action": {"save"}, "witness_email": {"audit at practice"}, "witness_url": {"http://logs.example.org/in"}}, admin)
	if bad.Status != 422 || !strings.Contains(bad.Body, "Enter one email address") || !strings.Contains(bad.Body, "Use https://") || !strings.Contains(bad.Body, `value="audit at practice"`) {
		t.Fatalf("bad witness settings = %d, want 422 with both fields' errors and the input kept", bad.Status)
	}
	if ws, _ := f.St.Witness(ctx); ws != (store.WitnessSettings{}) {
		t.Fatalf("bad settings were saved: %+v", ws)
	}
	r := f.Do("POST", "/admin/audit/witness", url.Values{"action": {"save"}, "witness_email": {"audit@practice.example"}, "witness_url": {col.srv.URL + "/in"}}, admin)
	if r.Status != 303 {
		t.Fatalf("save witness = %d", r.Status)
	}
	rows, _, err := f.St.FindAudit(ctx, f.As("admin@example.org"), store.AuditFilter{Action: "setting.change"})
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range rows {
		if strings.HasPrefix(e.ObjectID, "audit_witness_") && e.Detail == "set" {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("%d audited witness settings, want 2 (email and URL)", audited)
	}

	// A checkpoint: both witnesses get it at once.
	cp1, err := f.St.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runJobs(f)
	if len(mailer.sent) != 1 || len(col.got()) != 1 {
		t.Fatalf("after a checkpoint: %d emails, %d posts; want one each", len(mailer.sent), len(col.got()))
	}
	if col.got()[0] != cp1.String()+"\n" {
		t.Errorf("posted %q, want the signed line %q", col.got()[0], cp1.String())
	}
	msg := mailer.sent[0]
	if !strings.HasPrefix(msg, "audit@practice.example|Audit log checkpoint of ") || !strings.Contains(msg, "\n"+cp1.String()+"\n") {
		t.Errorf("witness email = %q, want the signed line verbatim on a line of its own", msg)
	}
	for _, leak := range []string{webtest.CanaryA, webtest.CanaryB, "pat@example.org", "bea@example.org", f.PA.ID, f.PB.ID} {
		if strings.Contains(msg, leak) || strings.Contains(col.got()[0], leak) {
			t.Errorf("the witness carries %q", leak)
		}
	}
	if got := audit.ScanWitness(msg).Found; len(got) != 1 || got[0].String() != cp1.String() {
		t.Errorf("the email as a witness file reads as %v", got)
	}
	page = f.Do("GET", "/admin/audit/witness", nil, admin)
	if strings.Count(page.Body, "Last witnessed:") != 2 || strings.Contains(page.Body, "Failing since") {
		t.Errorf("witness page after sending does not show both witnessed: %s", page.Body)
	}

	// More rows and a checkpoint in the same hour: the collector's period
	// (five minutes) and the email's (an hour) already sent; both wait for
	// the period's end, then send the newest.
	f.Now = f.Now.Add(time.Minute)
	f.St.Audit(ctx, f.As("admin@example.org"), store.Entry{Action: "test.row", ObjectType: "test"})
	if _, err := f.St.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	runJobs(f)
	if len(mailer.sent) != 1 || len(col.got()) != 1 {
		t.Fatalf("a second checkpoint in the same period was sent at once: %d emails, %d posts", len(mailer.sent), len(col.got()))
	}
	f.Now = f.Now.Add(time.Minute)
	f.St.Audit(ctx, f.As("admin@example.org"), store.Entry{Action: "test.row", ObjectType: "test"})
	cp3, err := f.St.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.Now = f.Now.Truncate(5 * time.Minute).Add(5 * time.Minute)
	runJobs(f)
	if len(col.got()) != 2 || col.got()[1] != cp3.String()+"\n" || len(mailer.sent) != 1 {
		t.Fatalf("at the collector's period end: posts %q, %d emails; want the newest checkpoint posted, no email yet", col.got(), len(mailer.sent))
	}
	f.Now = f.Now.Truncate(time.Hour).Add(time.Hour)
	runJobs(f)
	if len(mailer.sent) != 2 || !strings.Contains(mailer.sent[1], cp3.String()) {
		t.Fatalf("at the hour's end: %d emails, want the newest checkpoint emailed", len(mailer.sent))
	}

	// The collector fails: the page says so, and the job's error too.
	col.status.Store(503)
	f.Now = f.Now.Add(time.Minute)
	admin = f.SignIn("admin@example.org") // the clock moved past the session's idle limit
	failedAt := f.Now
	if r := f.Do("POST", "/admin/audit/witness", url.Values{"action": {"test"}}, admin); r.Status != 303 || !strings.Contains(r.Header.Get("Location"), "done=test") {
		t.Fatalf("send now = %d %q", r.Status, r.Header.Get("Location"))
	}
	runJobs(f)
	page = f.Do("GET", "/admin/audit/witness", nil, admin)
	if !strings.Contains(page.Body, "Failing since") || !strings.Contains(page.Body, "answered 503") {
		t.Errorf("witness page with a failing collector: %s", page.Body)
	}
	if a := f.Do("GET", "/admin/audit", nil, admin); !strings.Contains(a.Body, "The audit witness (http) is failing since") {
		t.Errorf("the audit log page does not show the failing witness")
	}
	// The new hour's first checkpoint and the test both send; when their
	// jobs run at once, both emails go out, else the later finds the
	// newest checkpoint already sent.
	if n := len(mailer.sent); n < 3 || n > 4 || !strings.Contains(mailer.sent[n-1], "\nkapstone-audit-checkpoint-v1 ") {
		t.Errorf("send now: %d emails, want a third (or a fourth)", n)
	}
	sts, _ := f.St.WitnessStatuses(ctx, f.As("admin@example.org"))
	if len(sts) != 2 || sts[1].Channel != store.WitnessHTTP || !sts[1].FailingSince.Equal(failedAt) || !sts[0].FailingSince.IsZero() {
		t.Errorf("statuses = %+v, want the collector failing since %v and email fine", sts, failedAt)
	}
	jobs, _ := f.St.ListJobs(ctx, store.JobPending, 50)
	var jobErr string
	for _, j := range jobs {
		if j.Kind == store.JobWitnessHTTP && j.LastError != "" {
			jobErr = j.LastError
		}
	}
	if !strings.Contains(jobErr, "answered 503") || strings.Contains(jobErr, col.srv.URL) {
		t.Errorf("failing witness job's error = %q, want the status and not the URL", jobErr)
	}
	// Back again: the retry sends, and the failure clears.
	col.status.Store(200)
	f.Now = f.Now.Add(2 * time.Hour)
	runJobs(f)
	page = f.Do("GET", "/admin/audit/witness", nil, f.SignIn("admin@example.org"))
	if page.Status != 200 || strings.Contains(page.Body, "Failing since") || !strings.Contains(page.Body, "Last witnessed:") {
		t.Errorf("witness still failing after the collector came back: %d posts", len(col.got()))
	}
	// Without a mail server the emails stay in the outbox on this machine:
	// the page says they witness nothing, not that they were witnessed.
	f.Srv.OutboxOnly = true
	page = f.Do("GET", "/admin/audit/witness", nil, f.SignIn("admin@example.org"))
	if !strings.Contains(page.Body, "so they witness nothing") || strings.Count(page.Body, "Last witnessed:") != 1 {
		t.Errorf("witness page with emails kept in the outbox: %s", page.Body)
	}
	t.Logf("%d witness emails, %d posts to the collector", len(mailer.sent), len(col.got()))
}
