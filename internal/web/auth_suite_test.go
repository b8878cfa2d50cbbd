package web_test

import (
	"context"
	"fmt"
	"github.com/kapstone/kapstone/internal/suitelog"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/job"
	"github.com/kapstone/kapstone/internal/mailjob"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/account"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestAuthAttacks is the sessions-and-auth part of the attack suite (issue
// 14, suite item 3): session fixation, replay of a session cookie after
// sign-out, TOTP code replay, reset-link reuse, Host-header poisoning of
// links and emails, password spraying from one address, and the lockouts an
// attacker could cause (finding 4). Each case runs in its own practice, in
// parallel; the test prints how many checks of each kind it made.
func TestAuthAttacks(t *testing.T) {
	counts := &authCounts{n: map[string]int{}}
	t.Cleanup(func() {
		kinds := make([]string, 0, len(counts.n))
		total := 0
		for k, n := range counts.n {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			total += n
		}
		slices.Sort(kinds)
		suitelog.Count(t, "auth attack suite: %d checks (%s)", total, strings.Join(kinds, ", "))
	})
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *checker)
	}{
		{"fixation", attackFixation},
		{"replay-after-sign-out", attackReplayAfterSignOut},
		{"totp-replay", attackTOTPReplay},
		{"reset-link-reuse", attackResetLinks},
		{"host-header", attackHostHeader},
		{"password-spraying", attackSpraying},
		{"lockout-address-limit-spares-known-device", lockoutAddressLimit},
		{"lockout-wrong-codes-spare-owner", lockoutWrongCodes},
		{"lockout-wrong-passwords-spare-owner", lockoutWrongPasswords},
		{"lockout-known-device-own-failures", lockoutOwnFailures},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, &checker{t: t, kind: tc.name, counts: counts})
		})
	}
}

type authCounts struct {
	mu sync.Mutex
	n  map[string]int
}

// checker counts the checks of one case and fails the test on a false one.
type checker struct {
	t      *testing.T
	kind   string
	counts *authCounts
}

func (c *checker) check(ok bool, format string, args ...any) bool {
	c.t.Helper()
	c.counts.mu.Lock()
	c.counts.n[c.kind]++
	c.counts.mu.Unlock()
	if !ok {
		c.t.Errorf(format, args...)
	}
	return ok
}

// must is check that stops the case when false.
func (c *checker) must(ok bool, format string, args ...any) {
	c.t.Helper()
	if !c.check(ok, format, args...) {
		c.t.FailNow()
	}
}

// client is one browser: its own cookie jar and client address.
type client struct {
	t    *testing.T
	f    *webtest.Fixture
	addr string
	jar  map[string]string
	hdr  []string // headers sent with every request ("Host" sets the request's host)
}

func newClient(t *testing.T, f *webtest.Fixture, addr string) *client {
	return &client{t: t, f: f, addr: addr, jar: map[string]string{}}
}

// do sends one request with the jar's cookies and keeps the cookies the
// answer sets (a cookie set to expire is removed).
func (c *client) do(method, target string, form url.Values) webtest.Response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, v := range c.jar {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	req.RemoteAddr = c.addr
	for i := 0; i+1 < len(c.hdr); i += 2 {
		if c.hdr[i] == "Host" {
			req.Host = c.hdr[i+1]
		} else {
			req.Header.Set(c.hdr[i], c.hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	c.f.Srv.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck.Value
		}
	}
	return webtest.Response{Status: rec.Code, Header: res.Header, Body: rec.Body.String()}
}

func (c *client) session() string { return c.jar[c.f.Srv.CookieName()] }
func (c *client) device() string  { return c.jar[c.f.Srv.DeviceCookieName()] }

func (c *client) login(email, pw string) webtest.Response {
	c.t.Helper()
	return c.do("POST", "/login", url.Values{"email": {email}, "password": {pw}})
}

func (c *client) mfa(code string) webtest.Response {
	c.t.Helper()
	return c.do("POST", "/login/mfa", url.Values{"code": {code}})
}

// freshCode moves the clock to the next TOTP step and returns email's code
// for it, so it was never used.
func freshCode(f *webtest.Fixture, email string) string {
	f.Now = f.Now.Add(31 * time.Second)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	return code
}

// signIn signs email in fully on c (password, then a fresh code for staff)
// and returns the last answer.
func (c *client) signIn(email string) webtest.Response {
	c.t.Helper()
	r := c.login(email, webtest.TestPassword)
	if r.Header.Get("Location") == "/login/mfa" {
		r = c.mfa(freshCode(c.f, email))
	}
	return r
}

func location(r webtest.Response) string { return r.Header.Get("Location") }

// signedOut reports whether r is what a request without a live session
// gets on a signed-in page: a redirect to the sign-in page.
func signedOut(r webtest.Response) bool {
	return r.Status == http.StatusSeeOther && strings.HasPrefix(location(r), "/login")
}

// attackFixation: a session id set before sign-in is never the one after,
// and the planted or pre-authentication values do not work afterwards.
func attackFixation(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	for _, planted := range []string{"attacker-chosen-token", auth.NewToken()} {
		victim := newClient(t, f, "192.0.2.20:1000")
		victim.jar[f.Srv.CookieName()] = planted
		r := victim.login("pat@example.org", webtest.TestPassword)
		c.must(r.Status == http.StatusSeeOther && location(r) == "/portal", "patient sign-in with a planted cookie = %d to %q", r.Status, location(r))
		c.check(victim.session() != "" && victim.session() != planted, "sign-in kept the planted session id")
		attacker := newClient(t, f, "203.0.113.5:1000")
		attacker.jar[f.Srv.CookieName()] = planted
		c.check(signedOut(attacker.do("GET", "/portal", nil)), "the planted session id works after the victim signed in")
		c.check(!strings.Contains(attacker.do("GET", "/account", nil).Body, webtest.CanaryA), "the planted session id shows the victim's account")
	}
	// Staff: the half-signed-in (password only) id is replaced at the
	// second factor; the old value opens nothing, not even the code form.
	staff := newClient(t, f, "192.0.2.21:1000")
	staff.jar[f.Srv.CookieName()] = "planted-before-staff-sign-in"
	r := staff.login("thea@example.org", webtest.TestPassword)
	half := staff.session()
	c.must(location(r) == "/login/mfa" && half != "" && half != "planted-before-staff-sign-in", "staff password step = %d to %q", r.Status, location(r))
	r = staff.mfa(freshCode(f, "thea@example.org"))
	full := staff.session()
	c.must(r.Status == http.StatusSeeOther && location(r) == "/patients", "second factor = %d to %q", r.Status, location(r))
	c.check(full != "" && full != half, "completing the second factor kept the pre-authentication session id")
	old := newClient(t, f, "203.0.113.5:1000")
	old.jar[f.Srv.CookieName()] = half
	c.check(signedOut(old.do("GET", "/patients", nil)), "the pre-authentication session id opens /patients")
	r = old.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusSeeOther && old.session() == "", "the pre-authentication session id, given a right code, = %d with cookie %q: want no session", r.Status, old.session())
	// A device token is not a session: sent as the session cookie it opens nothing.
	c.must(staff.device() != "", "a full staff sign-in left no device cookie")
	dev := newClient(t, f, "203.0.113.5:1000")
	dev.jar[f.Srv.CookieName()] = staff.device()
	c.check(signedOut(dev.do("GET", "/patients", nil)), "the device token works as a session id")
}

// attackReplayAfterSignOut: a session cookie copied before sign-out (or
// before "end session" / "sign out everywhere") is refused afterwards.
func attackReplayAfterSignOut(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	for _, email := range []string{"pat@example.org", "thea@example.org"} {
		b := newClient(t, f, "192.0.2.30:1000")
		b.signIn(email)
		stolen := b.session()
		r := b.do("POST", "/logout", url.Values{})
		c.check(signedOut(r) && b.session() == "", "%s sign-out = %d, cookie %q: want 303 to /login and the cookie cleared", email, r.Status, b.session())
		thief := newClient(t, f, "203.0.113.6:1000")
		thief.jar[f.Srv.CookieName()] = stolen
		for _, p := range []string{"/account", "/portal", "/patients"} {
			c.check(signedOut(thief.do("GET", p, nil)), "%s: the cookie replayed after sign-out opens %s", email, p)
		}
		form := url.Values{"current_password": {webtest.TestPassword}, "new_password": {"seven orchard lanterns"}, "confirm_password": {"seven orchard lanterns"}}
		c.check(signedOut(thief.do("POST", "/account/password", form)), "%s: the cookie replayed after sign-out changes the password", email)
	}
	// Ending one session, and signing out everywhere.
	a, b := newClient(t, f, "192.0.2.31:1000"), newClient(t, f, "192.0.2.32:1000")
	a.signIn("pat@example.org")
	f.Now = f.Now.Add(time.Minute) // b is the newer session, listed first
	b.signIn("pat@example.org")
	copyB := b.session()
	acct := a.do("GET", "/account", nil)
	ids := regexp.MustCompile(`/account/sessions/([0-9a-z]+)/end`).FindAllStringSubmatch(acct.Body, -1)
	c.must(len(ids) == 2, "account page lists %d sessions, want 2", len(ids))
	for _, id := range ids {
		a.do("POST", "/account/sessions/"+id[1]+"/end", url.Values{}) // one of them is a's own: it ends last
	}
	thief := newClient(t, f, "203.0.113.6:1000")
	thief.jar[f.Srv.CookieName()] = copyB
	c.check(signedOut(thief.do("GET", "/account", nil)), "an ended session's cookie still works")
	a.signIn("pat@example.org")
	b.signIn("pat@example.org")
	copyA, copyB := a.session(), b.session()
	c.check(signedOut(a.do("POST", "/account/sessions/end-all", url.Values{})), "sign out everywhere did not sign out")
	for _, tok := range []string{copyA, copyB} {
		thief.jar[f.Srv.CookieName()] = tok
		c.check(signedOut(thief.do("GET", "/account", nil)), "a session's cookie works after signing out everywhere")
	}
}

// attackTOTPReplay: a code is accepted once per account, even from another
// session within its 30 seconds, and an older code is refused after a newer
// one was used.
func attackTOTPReplay(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	secret := webtest.TOTPSecret
	code := freshCode(f, "thea@example.org")
	earlier, _ := auth.TOTPCode(secret, f.Now.Add(-30*time.Second)) // still inside the ±1-step window
	first := newClient(t, f, "192.0.2.40:1000")
	first.login("thea@example.org", webtest.TestPassword)
	r := first.mfa(code)
	c.must(r.Status == http.StatusSeeOther && location(r) == "/patients", "first use of a code = %d to %q", r.Status, location(r))
	for _, addr := range []string{"192.0.2.40:1000", "203.0.113.7:1000"} {
		other := newClient(t, f, addr)
		other.login("thea@example.org", webtest.TestPassword)
		r := other.mfa(code)
		c.check(r.Status == http.StatusUnauthorized && strings.Contains(r.Body, "already been used"), "the same code from another session (%s) = %d, want 401 'already been used'", addr, r.Status)
		r = other.mfa(earlier)
		c.check(r.Status == http.StatusUnauthorized, "an older code after a newer one was used = %d, want 401", r.Status)
		c.check(signedOut(other.do("GET", "/patients", nil)) || location(other.do("GET", "/patients", nil)) == "/login/mfa", "a replayed code signed the session in")
	}
	f.Now = f.Now.Add(15 * time.Minute) // past the failure window the replays above counted in
	next := newClient(t, f, "203.0.113.7:1000")
	next.login("thea@example.org", webtest.TestPassword)
	r = next.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusSeeOther, "the next code = %d, want 303", r.Status)
	// Another account's use of the same code (same secret, as in the
	// fixture) does not spend it for thea, nor thea's for them.
	theo := newClient(t, f, "192.0.2.41:1000")
	theo.login("theo@example.org", webtest.TestPassword)
	code, _ = auth.TOTPCode(secret, f.Now)
	c.check(theo.mfa(code).Status == http.StatusSeeOther, "theo's code was spent by thea's use of the same code")
}

var resetLinkRE = regexp.MustCompile(`value="(https?://[^"]+)(/(?:invite|reset)/[A-Za-z0-9_-]+)"`)

// attackResetLinks: a used or superseded link is refused, for reading and
// for posting; a reset never signs anyone in, and never bypasses the
// second factor.
func attackResetLinks(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	admin := newClient(t, f, "192.0.2.50:1000")
	admin.signIn("admin@example.org")
	thea := f.Users["thea@example.org"]
	link := func() string {
		m := resetLinkRE.FindStringSubmatch(admin.do("POST", "/admin/users/"+thea.ID+"/reset-password", url.Values{}).Body)
		c.must(m != nil, "reset gave no link")
		return m[2]
	}
	pw := func(p string) url.Values {
		return url.Values{"new_password": {p}, "confirm_password": {p}}
	}
	superseded, current := link(), link()
	holder := newClient(t, f, "198.51.100.50:1000")
	c.check(holder.do("GET", superseded, nil).Status == http.StatusNotFound, "a superseded reset link still opens")
	c.check(holder.do("POST", superseded, pw("copper meadow kettle drum")).Status == http.StatusNotFound, "a superseded reset link still sets a password")
	r := holder.do("POST", current, pw("copper meadow kettle drum"))
	c.must(r.Status == http.StatusSeeOther, "reset = %d, want 303", r.Status)
	c.check(holder.session() == "", "a reset link signed its holder in")
	c.check(holder.do("GET", current, nil).Status == http.StatusNotFound, "a used reset link opens again")
	c.check(holder.do("POST", current, pw("another fine long phrase")).Status == http.StatusNotFound, "a used reset link sets a password again")
	if _, hash, err := f.St.FindUserByID(context.Background(), thea.ID); err == nil {
		c.check(auth.CheckPassword(hash, "copper meadow kettle drum"), "the reused link changed the password")
	}
	// The new password leads to the second factor, not past it.
	r = holder.login("thea@example.org", "copper meadow kettle drum")
	c.check(location(r) == "/login/mfa", "after a reset, sign-in goes to %q, want /login/mfa", location(r))
	for _, p := range []string{"/patients", "/account", "/admin/users"} {
		c.check(location(holder.do("GET", p, nil)) == "/login/mfa", "after a reset, password alone opens %s", p)
	}
	// An invitation link, too, works once.
	m := resetLinkRE.FindStringSubmatch(admin.do("POST", "/admin/users", url.Values{"email": {"kim@example.org"}, "display_name": {"Alex Kim"}, "role": {"therapist"}}).Body)
	c.must(m != nil, "invitation gave no link")
	form := url.Values{"display_name": {"Alex Kim"}, "new_password": {"quiet harbor violet stone"}, "confirm_password": {"quiet harbor violet stone"}}
	invitee := newClient(t, f, "198.51.100.51:1000")
	c.check(invitee.do("POST", m[2], form).Status == http.StatusSeeOther, "accepting the invitation failed")
	c.check(invitee.do("POST", m[2], form).Status == http.StatusNotFound, "a used invitation link works again")
	c.check(invitee.do("GET", m[2], nil).Status == http.StatusNotFound, "a used invitation link opens again")
}

// attackHostHeader: links a page shows (reset, invitation, calendar feed)
// and links in emails use the configured public URL, whatever Host,
// X-Forwarded-Host or Forwarded the request carries, even from a trusted
// proxy.
func attackHostHeader(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	const base, evil = "https://care.example.org", "evil.example.net"
	cfg := web.DefaultConfig()
	cfg.PasswordParams = webtest.Cheap
	cfg.PublicURL = base
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	mailer := &recordingMailer{}
	cfg.Mailer = mailer
	srv, err := web.NewServer(cfg, f.St, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.must(err == nil, "server: %v", err)
	srv.Now = func() time.Time { return f.Now }
	f.Srv = srv
	poisoned := []string{"Host", evil, "X-Forwarded-Host", evil, "X-Forwarded-Proto", "http", "Forwarded", "host=" + evil + ";proto=http", "X-Original-Host", evil}
	browser := func(email string) *client {
		b := newClient(t, f, "10.0.0.5:443") // through the trusted proxy
		b.hdr = append(poisoned, "X-Forwarded-For", "198.51.100.60")
		b.signIn(email)
		return b
	}
	seen := func(what string, r webtest.Response) {
		c.check(!strings.Contains(r.Body, evil) && !strings.Contains(r.Header.Get("Location"), evil), "%s: the answer carries the poisoned host", what)
	}
	admin := browser("admin@example.org")
	for what, r := range map[string]webtest.Response{
		"staff reset link":  admin.do("POST", "/admin/users/"+f.Users["theo@example.org"].ID+"/reset-password", url.Values{}),
		"staff invitation":  admin.do("POST", "/admin/users", url.Values{"email": {"kim@example.org"}, "display_name": {"Alex Kim"}, "role": {"therapist"}}),
		"sign-in page":      admin.do("GET", "/login", nil),
		"home page":         admin.do("GET", "/", nil),
		"staff accounts":    admin.do("GET", "/admin/users", nil),
		"patient reset":     browser("thea@example.org").do("POST", "/patients/"+f.PA.ID+"/reset-password", url.Values{}),
		"calendar feed URL": browser("thea@example.org").do("POST", "/account/calendar", url.Values{}),
	} {
		seen(what, r)
		if strings.Contains(what, "reset") || what == "staff invitation" {
			m := resetLinkRE.FindStringSubmatch(r.Body)
			c.check(m != nil && m[1] == base, "%s = %d with link base %v, want %s", what, r.Status, m, base)
		}
		if what == "calendar feed URL" {
			c.check(strings.Contains(r.Body, `value="`+base+`/calendar/`), "calendar feed link does not start with %s", base)
		}
	}
	// An email a poisoned request causes: the patient's item-9 answer
	// emails the care team, run as the server's job runner runs it.
	f.Assign("phq9", "weekly")
	pat := browser("pat@example.org")
	seen("check-in", pat.do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 2)))
	sender := &mailjob.Sender{Store: f.St, Mailer: srv.Config.Mailer, BaseURL: srv.LinkBase(nil), Crisis: srv.Crisis.Sentence, PracticeName: srv.PracticeName}
	runner := &job.Runner{Store: f.St, Worker: "test", Handlers: sender.Handlers(), Log: srv.Log}
	for i := 0; i < 5; i++ {
		if n, err := runner.RunOnce(context.Background()); err != nil || n == 0 {
			break
		}
	}
	mailer.mu.Lock()
	defer mailer.mu.Unlock()
	// The staff invitation is emailed when it is made, the alert by the job.
	c.must(len(mailer.sent) == 2, "%d emails, want the staff invitation and the alert email", len(mailer.sent))
	c.check(strings.HasPrefix(mailer.sent[0], "kim@example.org|") && strings.Contains(mailer.sent[0], base+"/invite/") && !strings.Contains(mailer.sent[0], evil), "invitation email links elsewhere than %s: %q", base, mailer.sent[0])
	c.check(strings.Contains(mailer.sent[1], base+"/patients") && !strings.Contains(mailer.sent[1], evil), "alert email links elsewhere than %s: %q", base, mailer.sent[1])
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []string
}

func (m *recordingMailer) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+subject+"|"+body)
	return nil
}

// addAccounts makes n therapist accounts spray00@... with the test
// password and second factor, for spraying.
func addAccounts(t *testing.T, f *webtest.Fixture, n int) []string {
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	var emails []string
	for i := 0; i < n; i++ {
		u := &clinic.User{Email: fmt.Sprintf("spray%02d@example.org", i), DisplayName: fmt.Sprintf("Sprayed %02d", i), Role: clinic.RoleTherapist}
		if err := f.St.CreateUserWithTOTP(context.Background(), store.System, u, hash, webtest.TOTPSecret); err != nil {
			t.Fatal(err)
		}
		f.Users[u.Email] = u
		emails = append(emails, u.Email)
	}
	return emails
}

// attackSpraying: one wrong password for each of many accounts from one
// address (no account reaches its own limit) hits the per-address limit;
// the accounts still work from elsewhere.
func attackSpraying(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	n := account.LoginLimit.PerAddr
	emails := addAccounts(t, f, n+2)
	sprayer := newClient(t, f, "203.0.113.80:1000")
	for i, e := range emails[:n] {
		r := sprayer.login(e, "Winter2026!")
		c.check(r.Status == http.StatusUnauthorized, "spray %d (%s) = %d, want 401", i+1, e, r.Status)
	}
	r := sprayer.login(emails[n], "Winter2026!")
	c.check(r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") != "", "spray %d = %d, want 429 with Retry-After", n+1, r.Status)
	c.check(strings.Contains(r.Body, "Too many attempts") && !strings.Contains(r.Body, "do not match"), "the limited answer is not the generic one")
	r = sprayer.login(emails[n+1], webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "the right password of an unsprayed account from the spraying address = %d, want 429", r.Status)
	r = newClient(t, f, "203.0.113.80:2000").login("nobody@example.org", "Winter2026!")
	c.check(r.Status == http.StatusTooManyRequests, "an unknown email from the spraying address = %d, want 429 (no enumeration)", r.Status)
	elsewhere := newClient(t, f, "198.51.100.81:1000")
	r = elsewhere.login(emails[0], webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther && location(r) == "/login/mfa", "a sprayed account from another address = %d to %q, want the second factor", r.Status, location(r))
	got := 0
	for _, e := range f.AuditRows("login.failure") {
		if e.ClientAddr == "203.0.113.80" {
			got++
		}
	}
	c.check(got == n, "%d login.failure rows from the spraying address, want %d", got, n)
	f.Now = f.Now.Add(account.LoginLimit.Window)
	r = sprayer.login(emails[n+1], webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther, "after the window, the spraying address = %d, want 303", r.Status)
}

// lockoutAddressLimit (finding 4, a): after the per-address limit is
// reached, a person whose browser signed in there before signs in with
// their own password (and second factor); a new browser at that address is
// still limited, and so is the known browser for another account.
func lockoutAddressLimit(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	const office = "192.0.2.90:1000"
	pat, thea := newClient(t, f, office), newClient(t, f, office)
	c.must(location(pat.signIn("pat@example.org")) == "/portal" && pat.device() != "", "pat's first sign-in left no device cookie")
	c.must(location(thea.signIn("thea@example.org")) == "/patients" && thea.device() != "", "thea's first sign-in left no device cookie")
	pat.do("POST", "/logout", url.Values{})
	thea.do("POST", "/logout", url.Values{})
	c.check(pat.device() != "" && thea.device() != "", "signing out dropped the device cookie")

	attacker := newClient(t, f, office) // same address, e.g. behind the office's NAT
	// Wrong passwords for many accounts, and a few unknown emails (each of
	// those costs a full password hash, so only a few).
	emails := append(addAccounts(t, f, account.LoginLimit.PerAddr), "nobody1@example.org", "nobody2@example.org")
	for i := 0; i < account.LoginLimit.PerAddr+5; i++ {
		attacker.login(emails[(i+len(emails)-2)%len(emails)], "guess number "+fmt.Sprint(i))
	}
	// bea has never signed in from this address: with her right password,
	// a browser here is still limited.
	r := attacker.login("bea@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "the attacking browser with a right password for an account new to this address = %d, want 429", r.Status)
	newcomer := newClient(t, f, office)
	newcomer.jar[f.Srv.DeviceCookieName()] = auth.NewToken() + ".not-a-token"
	r = newcomer.login("bea@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "a new browser (forged device cookie) at the limited address = %d, want 429", r.Status)

	r = pat.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther && location(r) == "/portal", "pat's known browser at the limited address = %d to %q, want 303 to /portal", r.Status, location(r))
	r = thea.login("thea@example.org", webtest.TestPassword)
	c.check(location(r) == "/login/mfa", "thea's known browser, password = %d to %q, want the second factor", r.Status, location(r))
	r = thea.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusSeeOther && location(r) == "/patients", "thea's known browser, code = %d to %q, want 303 to /patients", r.Status, location(r))
	c.check(strings.Contains(thea.do("GET", "/account", nil).Body, "Remembered devices"), "the account page does not list remembered devices")

	// pat in a browser that kept no cookie (a private window, cookies
	// cleared) at the office where she signed in before: the address is
	// known to her account, so the address's limit spares her; the
	// account's own limit still counts.
	private := newClient(t, f, office)
	r = private.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther && location(r) == "/portal", "pat without a device cookie at her known, limited address = %d to %q, want 303 to /portal", r.Status, location(r))
	guesser := newClient(t, f, office)
	for i := 0; i < account.LoginLimit.PerAccount; i++ {
		guesser.login("pat@example.org", "wrong guess "+fmt.Sprint(i))
	}
	r = guesser.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "at pat's known address, after the account's limit of wrong passwords = %d, want 429", r.Status)
	r = pat.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther && location(r) == "/portal", "pat's known browser after others' guesses on her account = %d to %q, want 303 to /portal", r.Status, location(r))

	// A device is known to its own account only.
	borrowed := newClient(t, f, office)
	borrowed.jar[f.Srv.DeviceCookieName()] = pat.device()
	r = borrowed.login("bea@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "pat's device cookie used for bea at the limited address = %d, want 429", r.Status)
	c.check(attacker.login("bea@example.org", webtest.TestPassword).Status == http.StatusTooManyRequests, "the attacker is no longer limited")

	// Forgotten, pat's device is counted with everyone else again: the
	// account's limit, reached by the guesser, now stops her too.
	c.must(pat.session() != "", "pat is not signed in")
	r = pat.do("POST", "/account/devices/forget-all", url.Values{})
	c.check(r.Status == http.StatusSeeOther, "forget every device = %d", r.Status)
	pat.do("POST", "/logout", url.Values{})
	r = pat.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests, "a forgotten device, the account's limit reached = %d, want 429", r.Status)
	rows := f.AuditRows("device.forget")
	c.check(len(rows) == 1 && rows[0].ObjectID == f.Users["pat@example.org"].ID, "device.forget audit rows = %+v", rows)
}

// lockoutWrongCodes (finding 4, b): someone with a staff password enters
// wrong codes up to and past the limit; the owner, on their known browser,
// then signs in; the attacker stays locked.
func lockoutWrongCodes(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	owner := newClient(t, f, "192.0.2.100:1000")
	c.must(location(owner.signIn("thea@example.org")) == "/patients" && owner.device() != "", "owner's first sign-in left no device cookie")
	owner.do("POST", "/logout", url.Values{})

	attacker := newClient(t, f, "203.0.113.100:1000")
	r := attacker.login("thea@example.org", webtest.TestPassword)
	c.must(location(r) == "/login/mfa", "attacker's password step = %d to %q", r.Status, location(r))
	for i := 0; i < account.MFALimit.PerAccount+3; i++ {
		r := attacker.mfa(fmt.Sprintf("%06d", 111111*(i%9+1)))
		want := http.StatusUnauthorized
		if i >= account.MFALimit.PerAccount {
			want = http.StatusTooManyRequests
		}
		c.check(r.Status == want, "attacker's wrong code %d = %d, want %d", i+1, r.Status, want)
	}
	// The owner, on the known browser, completes sign-in.
	r = owner.login("thea@example.org", webtest.TestPassword)
	c.check(location(r) == "/login/mfa", "owner's password = %d to %q", r.Status, location(r))
	r = owner.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusSeeOther && location(r) == "/patients", "owner's code after the attacker's wrong codes = %d to %q, want 303 to /patients", r.Status, location(r))
	c.check(owner.do("GET", "/patients", nil).Status == http.StatusOK, "the owner is not signed in")
	// The attacker is still locked, even with a right code and a new session.
	r = attacker.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusTooManyRequests, "attacker with a right code = %d, want 429", r.Status)
	again := newClient(t, f, "203.0.113.101:1000")
	again.login("thea@example.org", webtest.TestPassword)
	r = again.mfa("000000")
	c.check(r.Status == http.StatusTooManyRequests && strings.Contains(r.Body, "Too many wrong codes"), "attacker from a new address = %d, want 429", r.Status)
	// The owner's codes were not counted with the attacker's.
	rows := f.AuditRows("mfa.failure")
	c.check(len(rows) == account.MFALimit.PerAccount, "%d mfa.failure rows, want the attacker's %d", len(rows), account.MFALimit.PerAccount)
	c.check(len(f.AuditRows("mfa.throttled")) >= 3, "the attacker's refused tries are not audited")
}

// lockoutWrongPasswords: password guesses for a patient from elsewhere
// lock the untrusted bucket, not the patient's known browser (the case the
// old known-address exemption covered, now bound to the browser).
func lockoutWrongPasswords(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	home := newClient(t, f, "192.0.2.110:1000")
	c.must(location(home.signIn("pat@example.org")) == "/portal", "pat's first sign-in")
	home.do("POST", "/logout", url.Values{})
	guesser := newClient(t, f, "203.0.113.110:1000")
	for i := 0; i < account.LoginLimit.PerAccount+2; i++ {
		guesser.login("pat@example.org", "guessing and guessing "+fmt.Sprint(i))
	}
	c.check(guesser.login("pat@example.org", webtest.TestPassword).Status == http.StatusTooManyRequests, "the guesser with the right password is not limited")
	c.check(newClient(t, f, "198.51.100.110:1000").login("pat@example.org", webtest.TestPassword).Status == http.StatusTooManyRequests, "a new browser elsewhere is not limited while the account is")
	sameAddr := newClient(t, f, "192.0.2.110:1000")
	c.check(sameAddr.login("pat@example.org", webtest.TestPassword).Status == http.StatusTooManyRequests, "a new browser at pat's usual address is exempt: the address is no credential")
	r := home.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther && location(r) == "/portal", "pat's known browser while limited elsewhere = %d to %q, want 303 to /portal", r.Status, location(r))
	moved := newClient(t, f, "198.51.100.111:1000") // the known browser, on another network
	moved.jar = home.jar
	moved.do("POST", "/logout", url.Values{})
	r = moved.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusSeeOther, "pat's known browser from a new network = %d, want 303", r.Status)
}

// lockoutOwnFailures (finding 4, c): failures from a known browser still
// lock that browser (guessing with a stolen device cookie stays bounded),
// for passwords and for codes, and are audited without the token.
func lockoutOwnFailures(t *testing.T, c *checker) {
	f := webtest.NewFixture(t)
	pat, other := newClient(t, f, "192.0.2.120:1000"), newClient(t, f, "192.0.2.121:1000")
	pat.signIn("pat@example.org")
	other.signIn("pat@example.org")
	pat.do("POST", "/logout", url.Values{})
	other.do("POST", "/logout", url.Values{})
	for i := 0; i < account.LoginLimit.PerAccount; i++ {
		r := pat.login("pat@example.org", "wrong from the known browser "+fmt.Sprint(i))
		c.check(r.Status == http.StatusUnauthorized, "known browser's wrong password %d = %d, want 401", i+1, r.Status)
	}
	r := pat.login("pat@example.org", webtest.TestPassword)
	c.check(r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") != "", "known browser after %d wrong passwords = %d, want 429", account.LoginLimit.PerAccount, r.Status)
	c.check(location(other.login("pat@example.org", webtest.TestPassword)) == "/portal", "pat's other known browser is locked by the first one's failures")
	c.check(newClient(t, f, "198.51.100.120:1000").login("pat@example.org", webtest.TestPassword).Status == http.StatusSeeOther, "the known browser's failures locked the account everywhere")
	f.Now = f.Now.Add(account.LoginLimit.Window)
	c.check(location(pat.login("pat@example.org", webtest.TestPassword)) == "/portal", "the known browser after the window is still locked")

	thea := newClient(t, f, "192.0.2.122:1000")
	thea.signIn("thea@example.org")
	thea.do("POST", "/logout", url.Values{})
	thea.login("thea@example.org", webtest.TestPassword)
	for i := 0; i < account.MFALimit.PerAccount; i++ {
		r := thea.mfa("000000")
		c.check(r.Status == http.StatusUnauthorized, "known browser's wrong code %d = %d, want 401", i+1, r.Status)
	}
	r = thea.mfa(freshCode(f, "thea@example.org"))
	c.check(r.Status == http.StatusTooManyRequests, "known browser's right code after %d wrong = %d, want 429", account.MFALimit.PerAccount, r.Status)

	// Audited per device, without the token or its hash.
	rows := append(f.AuditRows("login.device.failure"), f.AuditRows("mfa.device.failure")...)
	c.check(len(rows) == account.LoginLimit.PerAccount+account.MFALimit.PerAccount, "%d device failure rows, want %d", len(rows), account.LoginLimit.PerAccount+account.MFALimit.PerAccount)
	for _, e := range rows {
		c.check(e.ObjectType == "device" && e.ObjectID != "" && e.ActorID != "", "device failure row %+v does not name the device and account", e)
	}
	secrets := []string{pat.device(), thea.device()}
	for _, tok := range slices.Clone(secrets) {
		for _, part := range strings.Split(tok, ".") {
			secrets = append(secrets, part, auth.HashToken(part))
		}
	}
	all := append(f.AuditRows("device.remember"), rows...)
	c.check(len(f.AuditRows("device.remember")) == 4, "%d device.remember rows, want 4 (three browsers of pat, one of thea)", len(f.AuditRows("device.remember")))
	for _, e := range all {
		leak := slices.ContainsFunc(secrets, func(s string) bool { return s != "" && strings.Contains(e.Detail+e.ObjectID, s) })
		c.check(!leak, "audit row %s carries a device token or its hash", e.Action)
	}
}
