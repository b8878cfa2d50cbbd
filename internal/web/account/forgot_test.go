package account_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/account"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// runMailJobs runs the queued email jobs once, as the job runner does.
func runMailJobs(t *testing.T, f *webtest.Fixture) {
	t.Helper()
	sender := &mailjob.Sender{Store: f.St, Mailer: f.Srv.Config.Mailer, BaseURL: f.Srv.LinkBase(nil), Crisis: f.Srv.Crisis.Sentence, PracticeName: f.Srv.PracticeName}
	runner := &job.Runner{Store: f.St, Worker: "test", Handlers: sender.Handlers(), Log: f.Srv.Log}
	for i := 0; i < 5; i++ {
		if n, err := runner.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			return
		}
	}
}

var resetLink = regexp.MustCompile(`https?://[^\s]+(/reset/[A-Za-z0-9_-]+)`)

// outboxLinks returns the reset links emailed to each address, from the outbox.
func outboxLinks(t *testing.T, f *webtest.Fixture) map[string][]string {
	t.Helper()
	mails, err := f.St.OutboxEmails(context.Background(), f.As("admin@example.org"), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range mails {
		if l := resetLink.FindStringSubmatch(m.Body); l != nil {
			out[strings.Join(m.Recipients, ",")] = append(out[strings.Join(m.Recipients, ",")], l[1])
		}
	}
	return out
}

// TestForgotPassword is the self-service reset (issue 15): a link on the
// sign-in page; the same answer, status and work for an address with an
// account and one without; a single-use link that lives 30 minutes, emailed
// through the mail job; a reset that ends every session and still asks for
// the second factor.
func TestForgotPassword(t *testing.T) {
	f := webtest.NewFixture(t)
	// As with a mail server set up; the emails still land in the outbox,
	// where this test reads them.
	f.Srv.OutboxOnly = false
	if r := f.Do("GET", "/login", nil, ""); !strings.Contains(r.Body, `href="/login/forgot"`) {
		t.Fatal("the sign-in page has no forgot-password link")
	}
	form := f.Do("GET", "/login/forgot", nil, "")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `action="/login/forgot"`) {
		t.Fatalf("forgot form = %d", form.Status)
	}
	webtest.CheckShell(t, "forgot form", form)

	thea := f.SignIn("thea@example.org")
	known := f.Do("POST", "/login/forgot", url.Values{"email": {"Thea@Example.org"}}, "")
	unknown := f.Do("POST", "/login/forgot", url.Values{"email": {"thea.nobody@example.org"}}, "")
	if known.Status != http.StatusOK || unknown.Status != known.Status {
		t.Fatalf("forgot: known = %d, unknown = %d, want 200 both", known.Status, unknown.Status)
	}
	norm := func(b string) string {
		return strings.NewReplacer("Thea@Example.org", "ADDR", "thea.nobody@example.org", "ADDR").Replace(regexp.MustCompile(`nonce="[^"]*"|name="csrf[^"]*" value="[^"]*"`).ReplaceAllString(b, ""))
	}
	if norm(known.Body) != norm(unknown.Body) {
		t.Error("the answer for an address with an account differs from one without (account enumeration)")
	}
	if !strings.Contains(known.Body, "If an account exists for Thea@Example.org, we have sent it an email") {
		t.Error("the answer does not say in general terms what happens")
	}

	runMailJobs(t, f)
	links := outboxLinks(t, f)
	if len(links["thea@example.org"]) != 1 || len(links) != 1 {
		t.Fatalf("reset emails in the outbox = %v, want one to thea and none to the unknown address", links)
	}
	link := links["thea@example.org"][0]

	// The link sets the password once; every session ends; TOTP is still asked.
	const newPW = "quiet harbour lantern seven"
	if r := f.Do("GET", link, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("reset link = %d, want the form", r.Status)
	}
	if r := f.Do("POST", link, url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reset = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, thea); r.Status != http.StatusSeeOther {
		t.Errorf("thea's session after a self-service reset = %d, want ended", r.Status)
	}
	r := f.Login("thea@example.org", newPW, "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa" {
		t.Errorf("sign-in after reset goes to %q, want /login/mfa (two-step kept)", r.Header.Get("Location"))
	}
	if r := f.Do("GET", "/patients", nil, f.SessionCookie(r)); r.Status == http.StatusOK {
		t.Error("a password alone, after a reset, opened the staff app")
	}
	if r := f.Do("POST", link, url.Values{"new_password": {"another long password"}, "confirm_password": {"another long password"}}, ""); r.Status != http.StatusNotFound {
		t.Errorf("second use of the link = %d, want 404", r.Status)
	}

	// A link older than 30 minutes no longer works.
	f.Do("POST", "/login/forgot", url.Values{"email": {"pat@example.org"}}, "")
	runMailJobs(t, f)
	pl := outboxLinks(t, f)["pat@example.org"]
	if len(pl) != 1 {
		t.Fatalf("reset emails to pat = %d, want 1", len(pl))
	}
	f.Now = f.Now.Add(31 * time.Minute)
	if r := f.Do("GET", pl[0], nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("reset link after 31 minutes = %d, want 404", r.Status)
	}

	// Rate limits: the same answer for an account and for no account, and
	// nothing more queued past the limit.
	for i := 0; i < account.ForgotLimit.PerAccount; i++ {
		f.Do("POST", "/login/forgot", url.Values{"email": {"bea@example.org"}}, "")
		f.Do("POST", "/login/forgot", url.Values{"email": {"nobody@example.org"}}, "")
	}
	a := f.Do("POST", "/login/forgot", url.Values{"email": {"bea@example.org"}}, "")
	b := f.Do("POST", "/login/forgot", url.Values{"email": {"nobody@example.org"}}, "")
	if a.Status != http.StatusTooManyRequests || b.Status != a.Status {
		t.Errorf("past the per-address limit: account = %d, no account = %d, want 429 both", a.Status, b.Status)
	}
	runMailJobs(t, f)
	if n := len(outboxLinks(t, f)["bea@example.org"]); n != account.ForgotLimit.PerAccount {
		t.Errorf("reset emails to bea = %d, want %d (the limit)", n, account.ForgotLimit.PerAccount)
	}
	if r := f.Do("POST", "/login/forgot", url.Values{"email": {"not an address"}}, ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `aria-invalid="true"`) {
		t.Errorf("forgot with a bad address = %d, want 422 at the field", r.Status)
	}
}

type sentMail struct {
	mu   sync.Mutex
	sent []string
}

func (m *sentMail) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+body)
	return nil
}

// TestForgotPasswordWithSMTP: with a mail server set up, the answer says an
// email was sent if the account exists, the same for every address, and
// the link goes to the account's own address; a disabled account gets none.
func TestForgotPasswordWithSMTP(t *testing.T) {
	f := webtest.NewFixture(t)
	m := &sentMail{}
	f.Srv.Config.Mailer, f.Srv.OutboxOnly = m, false
	if err := f.St.SetUserDisabled(context.Background(), f.As("admin@example.org"), f.Users["theo@example.org"].ID, true); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, e := range []string{"rex@example.org", "theo@example.org", "ghost@example.org"} {
		r := f.Do("POST", "/login/forgot", url.Values{"email": {e}}, "")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "If an account exists for "+e+", we have sent it an email") {
			t.Errorf("forgot for %s = %d without the general answer", e, r.Status)
		}
		bodies = append(bodies, strings.ReplaceAll(regexp.MustCompile(`nonce="[^"]*"`).ReplaceAllString(r.Body, ""), e, "ADDR"))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Error("answers differ between an account, a disabled account and no account")
	}
	runMailJobs(t, f)
	if len(m.sent) != 1 || !strings.HasPrefix(m.sent[0], "rex@example.org|") || !resetLink.MatchString(m.sent[0]) {
		t.Fatalf("emails = %q, want one reset link to rex only", m.sent)
	}
	rows := f.AuditRows(store.ForgotAction)
	if len(rows) != 3 {
		t.Errorf("%d %s audit rows, want 3", len(rows), store.ForgotAction)
	}
}

// TestForgotPasswordWithoutEmail: a practice that sends no email (the
// development outbox) makes no self-service link at all, since one kept in
// the outbox would let whoever reads it (an administrator, a copy of the
// database) take the account. The page tells the person to ask the
// practice, the same for every address; a reset job queued earlier makes
// no link either.
func TestForgotPasswordWithoutEmail(t *testing.T) {
	f := webtest.NewFixture(t)
	if !f.Srv.OutboxOnly {
		t.Fatal("the fixture is expected to keep emails in the outbox")
	}
	form := f.Do("GET", "/login/forgot", nil, "")
	if form.Status != http.StatusOK || strings.Contains(form.Body, `action="/login/forgot"`) || !strings.Contains(form.Body, "Ask your practice for a reset link") {
		t.Fatalf("without email, the forgot page = %d, offers a form or does not say to ask the practice", form.Status)
	}
	var bodies []string
	for _, e := range []string{"pat@example.org", "thea@example.org", "ghost@example.org"} {
		r := f.Do("POST", "/login/forgot", url.Values{"email": {e}}, "")
		if r.Status != http.StatusOK || strings.Contains(r.Body, e) {
			t.Errorf("forgot for %s = %d, or the answer names the address", e, r.Status)
		}
		bodies = append(bodies, r.Body)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Error("the answers differ between addresses")
	}
	// A job queued while email was being sent, run now: no link made.
	if err := f.St.RequestPasswordReset(context.Background(), store.Actor{}, f.Users["pat@example.org"].ID, f.Users["pat@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	sender := &mailjob.Sender{Store: f.St, Mailer: f.Srv.Config.Mailer, BaseURL: f.Srv.LinkBase(nil), Crisis: f.Srv.Crisis.Sentence, PracticeName: f.Srv.PracticeName, KeepsEmail: true}
	runner := &job.Runner{Store: f.St, Worker: "test", Handlers: sender.Handlers(), Log: f.Srv.Log}
	if _, err := runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if links := outboxLinks(t, f); len(links) != 0 {
		t.Errorf("reset links in the outbox without email: %v", links)
	}
}
