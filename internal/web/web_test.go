package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

const usCrisis = "If you are in crisis, call or text 988, chat at 988lifeline.org, or call 911 / go to the nearest emergency room"

var cheap = auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}

type fixture struct {
	t     *testing.T
	st    *store.Store
	srv   *Server
	now   time.Time
	logs  *bytes.Buffer
	users map[string]*clinic.User // by email
	pA    *store.Patient          // patient A: on thea's and rex's team
	pB    *store.Patient          // patient B: on theo's team

	remote string // client address of requests, when not httptest's default
}

const testPassword = "a long enough test password"

// Canary names: a response that should not show a patient must not contain theirs.
const (
	canaryA = "Alice Canary-Alpha"
	canaryB = "Bruno Canary-Bravo"
)

// newFixture makes a practice: an admin, therapist thea (owns patient A),
// therapist theo (owns patient B), prescriber rex (on A's team), patients A
// and B with portal accounts, and nomfa, a therapist who has not set up
// two-step verification.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, st: storetest.Open(t), now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), logs: new(bytes.Buffer), users: map[string]*clinic.User{}}
	f.st.Now = func() time.Time { return f.now }
	cfg := DefaultConfig()
	cfg.PasswordParams = cheap
	srv, err := NewServer(cfg, f.st, slog.New(slog.NewJSONHandler(f.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Now = func() time.Time { return f.now }
	f.srv = srv
	ctx := context.Background()
	hash, _ := auth.HashPassword(testPassword, cheap)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	for _, u := range []*clinic.User{
		{Email: "admin@example.org", DisplayName: "Ada Admin", Role: clinic.RoleAdmin, TOTPSecret: secret},
		{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist, TOTPSecret: secret},
		{Email: "theo@example.org", DisplayName: "Theo Therapist", Role: clinic.RoleTherapist, TOTPSecret: secret},
		{Email: "rex@example.org", DisplayName: "Rex Prescriber", Role: clinic.RolePrescriber, TOTPSecret: secret},
		{Email: "nomfa@example.org", DisplayName: "Nomi Newhire", Role: clinic.RoleTherapist},
	} {
		if err := f.st.CreateUser(ctx, store.System, u, hash); err != nil {
			t.Fatal(err)
		}
		f.users[u.Email] = u
	}
	f.pA = f.addPatient(canaryA, "pat@example.org", "thea@example.org")
	f.pB = f.addPatient(canaryB, "bea@example.org", "theo@example.org")
	if err := f.st.AddTeamMember(ctx, f.as("thea@example.org"), f.pA.ID, f.users["rex@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// as is the store actor of a fixture user.
func (f *fixture) as(email string) store.Actor {
	u := f.users[email]
	return store.Actor{UserID: u.ID, Role: u.Role}
}

// addPatient adds a patient owned by therapist and gives them a portal
// account with testPassword, through an invitation.
func (f *fixture) addPatient(name, email, therapist string) *store.Patient {
	f.t.Helper()
	ctx := context.Background()
	p := &store.Patient{DisplayName: name, Email: email}
	if err := f.st.CreatePatient(ctx, f.as(therapist), p, ""); err != nil {
		f.t.Fatal(err)
	}
	tok := &store.AuthToken{Hash: auth.HashToken(email), Purpose: store.TokenInvite, Email: email, DisplayName: name, Role: clinic.RolePatient, PatientID: p.ID}
	if err := f.st.CreateToken(ctx, f.as(therapist), tok); err != nil {
		f.t.Fatal(err)
	}
	hash, _ := auth.HashPassword(testPassword, cheap)
	u := &clinic.User{DisplayName: name}
	if err := f.st.AcceptAccountToken(ctx, store.Actor{}, tok.Hash, store.TokenInvite, u, hash); err != nil {
		f.t.Fatal(err)
	}
	f.users[email] = u
	p.UserID = u.ID
	return p
}

// signIn signs a fixture user in fully (password, then a fresh TOTP code
// for staff) and returns the session cookie.
func (f *fixture) signIn(email string) string {
	f.t.Helper()
	r := f.login(email, testPassword, "")
	tok := f.sessionCookie(r)
	if r.status != http.StatusSeeOther || tok == "" {
		f.t.Fatalf("sign-in of %s = %d, want 303 with a cookie", email, r.status)
	}
	if r.header.Get("Location") == "/login/mfa" {
		f.now = f.now.Add(31 * time.Second) // a code of its own, never a replay
		code, _ := auth.TOTPCode(f.users[email].TOTPSecret, f.now)
		r = f.do("POST", "/login/mfa", url.Values{"code": {code}}, tok)
		tok = f.sessionCookie(r)
		if r.status != http.StatusSeeOther || tok == "" {
			f.t.Fatalf("second factor of %s = %d, want 303 with a cookie", email, r.status)
		}
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request through the whole handler, with cookie if not empty.
func (f *fixture) do(method, target string, form url.Values, cookie string, hdr ...string) response {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: f.srv.CookieName(), Value: cookie})
	}
	if f.remote != "" {
		req.RemoteAddr = f.remote
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return response{rec.Code, rec.Result().Header, rec.Body.String()}
}

// sessionCookie returns the session token the response set, or "".
func (f *fixture) sessionCookie(r response) string {
	v := ""
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == f.srv.CookieName() {
			v = c.Value // the last one is what the browser keeps
		}
	}
	return v
}

func (f *fixture) login(email, password, cookie string, hdr ...string) response {
	return f.do("POST", "/login", url.Values{"email": {email}, "password": {password}}, cookie, hdr...)
}

func checkShell(t *testing.T, what string, r response) {
	t.Helper()
	if !strings.Contains(r.body, usCrisis) {
		t.Errorf("%s: body lacks the crisis footer %q", what, usCrisis)
	}
	for _, link := range []string{`href="tel:988"`, `href="https://988lifeline.org/chat/"`, `href="tel:911"`} {
		if !strings.Contains(r.body, link) {
			t.Errorf("%s: body lacks crisis link %s", what, link)
		}
	}
	checkHeaders(t, what, r.header)
}

func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: Content-Security-Policy = %q, want a policy without unsafe-*", what, csp)
	}
	if !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s: Content-Security-Policy = %q, want frame-ancestors 'none'", what, csp)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
	}
	if got := h.Get("Referrer-Policy"); got == "" {
		t.Errorf("%s: no Referrer-Policy", what)
	}
	if got := h.Get("X-Request-Id"); len(got) != 16 {
		t.Errorf("%s: X-Request-Id = %q, want 16 hex digits", what, got)
	}
}

func TestShellOnNormalPage404And500(t *testing.T) {
	f := newFixture(t)

	home := f.do("GET", "/", nil, "")
	if home.status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", home.status)
	}
	checkShell(t, "home", home)
	// The home page is the public website's: the same for every visitor,
	// kept by caches that ask again before using it (TestPublicPagesCache).
	if got := home.header.Get("Cache-Control"); got != "public, no-cache" {
		t.Errorf("home Cache-Control = %q, want public, no-cache", got)
	}

	nf := f.do("GET", "/no/such/page", nil, "")
	if nf.status != http.StatusNotFound {
		t.Fatalf("GET /no/such/page = %d, want 404", nf.status)
	}
	checkShell(t, "404", nf)
	if !strings.Contains(nf.body, "Page not found") || !strings.Contains(nf.body, nf.header.Get("X-Request-Id")) {
		t.Errorf("404 page lacks its heading or the request id")
	}

	// A handler that fails unexpectedly, behind the real middleware chain.
	boom := f.srv.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret patient detail that must not be shown")
	}))
	rec := httptest.NewRecorder()
	boom.ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	ise := response{rec.Code, rec.Result().Header, rec.Body.String()}
	if ise.status != http.StatusInternalServerError {
		t.Fatalf("panicking handler = %d, want 500", ise.status)
	}
	checkShell(t, "500", ise)
	if strings.Contains(ise.body, "secret patient detail") || strings.Contains(ise.body, "goroutine") {
		t.Errorf("500 page shows the panic or a stack trace")
	}
	if !strings.Contains(ise.body, ise.header.Get("X-Request-Id")) {
		t.Errorf("500 page lacks the request id %s", ise.header.Get("X-Request-Id"))
	}
	if n := strings.Count(f.logs.String(), `"msg":"panic"`); n != 1 {
		t.Errorf("panic logged %d times, want once", n)
	}
}

func TestDatabaseDownShowsErrorPage(t *testing.T) {
	f := newFixture(t)
	tok := f.sessionCookie(f.login("pat@example.org", testPassword, ""))
	if tok == "" {
		t.Fatal("patient login set no cookie")
	}
	f.st.Close()
	r := f.do("GET", "/account", nil, tok)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("GET /account with the database closed = %d, want 503", r.status)
	}
	checkShell(t, "503", r)
	if strings.Contains(r.body, "sql:") || strings.Contains(r.body, "database is closed") {
		t.Errorf("error page shows the internal error")
	}
	if ready := f.do("GET", "/readyz", nil, ""); ready.status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database closed = %d, want 503", ready.status)
	}
	if alive := f.do("GET", "/healthz", nil, ""); alive.status != http.StatusOK {
		t.Errorf("GET /healthz with the database closed = %d, want 200 (the process is alive)", alive.status)
	}
}

func TestEveryPageHasTheShell(t *testing.T) {
	f := newFixture(t)
	cookies := []string{""}
	for _, email := range []string{"pat@example.org", "thea@example.org", "admin@example.org"} {
		cookies = append(cookies, f.signIn(email))
	}
	for _, rt := range f.srv.routeTable() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != "GET" || strings.Contains(path, "{") && !strings.HasSuffix(path, "{$}") || path == "/healthz" || path == "/readyz" {
			continue
		}
		path = strings.TrimSuffix(path, "{$}")
		for i, cookie := range cookies {
			r := f.do("GET", path, nil, cookie)
			if ct := r.header.Get("Content-Type"); r.status == http.StatusSeeOther || !strings.HasPrefix(ct, "text/html") {
				continue
			}
			if r.status != http.StatusOK && r.status != http.StatusNotFound {
				t.Errorf("GET %s (user %d) = %d, want 200, 303 or 404", path, i, r.status)
			}
			checkShell(t, "GET "+path, r)
		}
	}
}

func TestCountryChangesCrisisResources(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	cfg.Country = "GB"
	srv, err := NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), "Samaritans free on 116 123") || strings.Contains(rec.Body.String(), "988") {
		t.Fatal("country GB: page does not show UK crisis lines (or still shows 988)")
	}
	cfg.Country = "ZZ"
	if _, err := NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("NewServer with an unknown country succeeded, want an error")
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t)
	home := f.do("GET", "/", nil, "")
	m := regexp.MustCompile(`href="(/static/[0-9a-f]{12}/style\.css)"`).FindStringSubmatch(home.body)
	if m == nil {
		t.Fatal("home page links no content-hashed style.css")
	}
	css := f.do("GET", m[1], nil, "")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s = %d %s, want 200 text/css", m[1], css.status, css.header.Get("Content-Type"))
	}
	if got := css.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("stylesheet Cache-Control = %q, want a year, immutable", got)
	}
	checkHeaders(t, "stylesheet", css.header)
	for _, bad := range []string{"/static/000000000000/style.css", "/static/" + strings.Split(m[1], "/")[2] + "/nope.css", "/static/x/..%2f..%2fgo.mod", "/static/x/%2e%2e/%2e%2e/go.mod", "/static/style.css"} {
		if r := f.do("GET", bad, nil, ""); r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, r.status)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"email": {"pat@example.org"}, "password": {testPassword}}
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r := f.do("POST", "/login", form, "", hdr...)
		if r.status != http.StatusForbidden {
			t.Errorf("POST /login with %s: %s = %d, want 403", hdr[0], hdr[1], r.status)
		}
		if f.sessionCookie(r) != "" {
			t.Errorf("cross-origin POST /login set a session cookie")
		}
		checkShell(t, "403", r)
	}
	if r := f.do("POST", "/login", form, "", "Sec-Fetch-Site", "same-origin"); r.status != http.StatusSeeOther {
		t.Errorf("same-origin POST /login = %d, want 303", r.status)
	}
}

func TestPatientLoginAndLogout(t *testing.T) {
	f := newFixture(t)
	planted := "attacker-chosen-token"
	r := f.login("PAT@example.org", testPassword, planted)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal" {
		t.Fatalf("patient login = %d to %q, want 303 to /portal", r.status, r.header.Get("Location"))
	}
	tok := f.sessionCookie(r)
	if tok == "" || tok == planted || len(tok) < 43 {
		t.Fatalf("login cookie = %q, want a new token of at least 256 bits", tok)
	}
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		ck = c
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", ck)
	}
	acct := f.do("GET", "/account", nil, tok)
	if acct.status != http.StatusOK || !strings.Contains(acct.body, canaryA) {
		t.Fatalf("GET /account = %d, want 200 with the patient's name", acct.status)
	}
	if r := f.do("GET", "/account", nil, planted); r.status != http.StatusSeeOther {
		t.Errorf("GET /account with the planted token = %d, want 303 to sign in", r.status)
	}

	// A second login replaces the session it came with: the old token is dead.
	r2 := f.login("pat@example.org", testPassword, tok)
	tok2 := f.sessionCookie(r2)
	if tok2 == "" || tok2 == tok {
		t.Fatalf("second login cookie = %q, want a new token", tok2)
	}
	if r := f.do("GET", "/account", nil, tok); r.status != http.StatusSeeOther {
		t.Errorf("old token after re-login = %d, want 303 (dead)", r.status)
	}

	out := f.do("POST", "/logout", url.Values{}, tok2)
	if out.status != http.StatusSeeOther || !strings.HasPrefix(out.header.Get("Location"), "/login") {
		t.Fatalf("POST /logout = %d to %q, want 303 to /login", out.status, out.header.Get("Location"))
	}
	if r := f.do("GET", "/account", nil, tok2); r.status != http.StatusSeeOther {
		t.Errorf("GET /account after logout = %d, want 303", r.status)
	}
}

func TestLoginErrorsKeepInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, email, password string
		status                int
		msg                   string
	}{
		{"empty", "", "", http.StatusUnprocessableEntity, "Enter your email and your password."},
		{"wrong password", "pat@example.org", "not the password", http.StatusUnauthorized, "do not match an account"},
		{"unknown email", "nobody@example.org", testPassword, http.StatusUnauthorized, "do not match an account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.login(tt.email, tt.password, "")
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d", r.status, tt.status)
			}
			if !strings.Contains(r.body, tt.msg) {
				t.Errorf("body lacks %q", tt.msg)
			}
			if tt.email != "" && !strings.Contains(r.body, `value="`+tt.email+`"`) {
				t.Errorf("form does not keep the email typed")
			}
			if tt.password != "" && strings.Contains(r.body, tt.password) {
				t.Errorf("form echoes the password")
			}
			if f.sessionCookie(r) != "" {
				t.Errorf("failed login set a session cookie")
			}
			checkShell(t, tt.name, r)
		})
	}
	if strings.Contains(f.logs.String(), "pat@example.org") || strings.Contains(f.logs.String(), testPassword) || strings.Contains(f.logs.String(), canaryA) {
		t.Error("log holds an email address or a password")
	}
}

func TestStaffNeedsTOTP(t *testing.T) {
	f := newFixture(t)
	thea := f.users["thea@example.org"]
	r := f.login("thea@example.org", testPassword, "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/mfa" {
		t.Fatalf("staff login = %d to %q, want 303 to /login/mfa", r.status, r.header.Get("Location"))
	}
	half := f.sessionCookie(r)
	for _, path := range []string{"/account", "/login"} {
		if r := f.do("GET", path, nil, half); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/mfa" {
			t.Errorf("half-signed-in GET %s = %d to %q, want 303 to /login/mfa", path, r.status, r.header.Get("Location"))
		}
	}
	if r := f.do("GET", "/", nil, half); strings.Contains(r.body, "Thea Therapist") {
		t.Error("home page shows a half-signed-in user as signed in")
	}
	bad := f.do("POST", "/login/mfa", url.Values{"code": {"000000"}}, half)
	if bad.status != http.StatusUnauthorized || !strings.Contains(bad.body, "That code is not right") {
		t.Fatalf("wrong TOTP = %d, want 401 with a message", bad.status)
	}
	code, _ := auth.TOTPCode(thea.TOTPSecret, f.now)
	ok := f.do("POST", "/login/mfa", url.Values{"code": {code[:3] + " " + code[3:]}}, half)
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/patients" {
		t.Fatalf("right TOTP = %d to %q, want 303 to /patients", ok.status, ok.header.Get("Location"))
	}
	full := f.sessionCookie(ok)
	if full == "" || full == half {
		t.Fatal("completing MFA did not issue a new session id")
	}
	if r := f.do("GET", "/account", nil, half); r.status != http.StatusSeeOther {
		t.Errorf("half session after MFA = %d, want dead (303)", r.status)
	}
	if r := f.do("GET", "/account", nil, full); r.status != http.StatusOK {
		t.Fatalf("GET /account after MFA = %d, want 200", r.status)
	}

	// The same code cannot be used again, even within its 30 seconds.
	half2 := f.sessionCookie(f.login("thea@example.org", testPassword, ""))
	replay := f.do("POST", "/login/mfa", url.Values{"code": {code}}, half2)
	if replay.status != http.StatusUnauthorized || !strings.Contains(replay.body, "already been used") {
		t.Fatalf("replayed TOTP = %d, want 401 'already been used'", replay.status)
	}
	f.now = f.now.Add(30 * time.Second)
	next, _ := auth.TOTPCode(thea.TOTPSecret, f.now)
	if r := f.do("POST", "/login/mfa", url.Values{"code": {next}}, half2); r.status != http.StatusSeeOther {
		t.Fatalf("next TOTP code = %d, want 303", r.status)
	}
}

func TestIdleAndAbsoluteTimeout(t *testing.T) {
	f := newFixture(t)
	tok := f.sessionCookie(f.login("pat@example.org", testPassword, ""))
	f.now = f.now.Add(29 * time.Minute)
	if r := f.do("GET", "/account", nil, tok); r.status != http.StatusOK {
		t.Fatalf("patient after 29 idle minutes = %d, want 200", r.status)
	}
	f.now = f.now.Add(30 * time.Minute)
	r := f.do("GET", "/account", nil, tok)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?ended=1" {
		t.Fatalf("patient after 30 idle minutes = %d to %q, want 303 to /login?ended=1", r.status, r.header.Get("Location"))
	}
	if page := f.do("GET", "/login?ended=1", nil, ""); !strings.Contains(page.body, "Your session ended") {
		t.Error("sign-in page does not say the session ended")
	}

	// Used every 10 minutes, a session still ends 12 hours after sign-in.
	tok = f.sessionCookie(f.login("pat@example.org", testPassword, ""))
	start := f.now
	for f.now.Sub(start) < 12*time.Hour-10*time.Minute {
		f.now = f.now.Add(10 * time.Minute)
		if r := f.do("GET", "/account", nil, tok); r.status != http.StatusOK {
			t.Fatalf("active session %v after sign-in = %d, want 200", f.now.Sub(start), r.status)
		}
	}
	f.now = start.Add(12 * time.Hour)
	if r := f.do("GET", "/account", nil, tok); r.status != http.StatusSeeOther {
		t.Fatalf("session 12 h after sign-in = %d, want 303 (ended)", r.status)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t)
	big := url.Values{"email": {"pat@example.org"}, "password": {strings.Repeat("x", 2<<20)}}
	r := f.login(big.Get("email"), big.Get("password"), "")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB login form = %d, want 413", r.status)
	}
	checkShell(t, "413", r)
	req := httptest.NewRequest("POST", "/login", strings.NewReader("email=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("malformed form = %d, want 400", rec.Code)
	}
}

func TestAccessLogNamesRoute(t *testing.T) {
	f := newFixture(t)
	tok := f.signIn("thea@example.org")
	f.logs.Reset()
	f.do("GET", "/patients/"+f.pA.ID, nil, tok)
	if !strings.Contains(f.logs.String(), `"route":"GET /patients/{patient}"`) {
		t.Errorf("access log = %s, want the route pattern (not the path with its id)", f.logs.String())
	}
	if strings.Contains(f.logs.String(), f.pA.ID) {
		t.Errorf("access log holds the patient id from the path")
	}
}
