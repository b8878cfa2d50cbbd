package web_test

import (
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
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

func TestShellOnNormalPage404And500(t *testing.T) {
	f := webtest.NewFixture(t)

	home := f.Do("GET", "/", nil, "")
	if home.Status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", home.Status)
	}
	webtest.CheckShell(t, "home", home)
	// The home page is the public website's: the same for every visitor,
	// kept by caches that ask again before using it (TestPublicPagesCache).
	if got := home.Header.Get("Cache-Control"); got != "public, no-cache" {
		t.Errorf("home Cache-Control = %q, want public, no-cache", got)
	}

	nf := f.Do("GET", "/no/such/page", nil, "")
	if nf.Status != http.StatusNotFound {
		t.Fatalf("GET /no/such/page = %d, want 404", nf.Status)
	}
	webtest.CheckShell(t, "404", nf)
	if !strings.Contains(nf.Body, "Page not found") || !strings.Contains(nf.Body, nf.Header.Get("X-Request-Id")) {
		t.Errorf("404 page lacks its heading or the request id")
	}

	// A handler that fails unexpectedly, behind the real middleware chain.
	boom := f.Srv.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret patient detail that must not be shown")
	}))
	rec := httptest.NewRecorder()
	boom.ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	ise := webtest.Response{Status: rec.Code, Header: rec.Result().Header, Body: rec.Body.String()}
	if ise.Status != http.StatusInternalServerError {
		t.Fatalf("panicking handler = %d, want 500", ise.Status)
	}
	webtest.CheckShell(t, "500", ise)
	if strings.Contains(ise.Body, "secret patient detail") || strings.Contains(ise.Body, "goroutine") {
		t.Errorf("500 page shows the panic or a stack trace")
	}
	if !strings.Contains(ise.Body, ise.Header.Get("X-Request-Id")) {
		t.Errorf("500 page lacks the request id %s", ise.Header.Get("X-Request-Id"))
	}
	if n := strings.Count(f.Logs.String(), `"msg":"panic"`); n != 1 {
		t.Errorf("panic logged %d times, want once", n)
	}
}

func TestDatabaseDownShowsErrorPage(t *testing.T) {
	f := webtest.NewFixture(t)
	tok := f.SessionCookie(f.Login("pat@example.org", webtest.TestPassword, ""))
	if tok == "" {
		t.Fatal("patient login set no cookie")
	}
	f.St.Close()
	r := f.Do("GET", "/account", nil, tok)
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("GET /account with the database closed = %d, want 503", r.Status)
	}
	webtest.CheckShell(t, "503", r)
	if strings.Contains(r.Body, "sql:") || strings.Contains(r.Body, "database is closed") {
		t.Errorf("error page shows the internal error")
	}
	if ready := f.Do("GET", "/readyz", nil, ""); ready.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database closed = %d, want 503", ready.Status)
	}
	if alive := f.Do("GET", "/healthz", nil, ""); alive.Status != http.StatusOK {
		t.Errorf("GET /healthz with the database closed = %d, want 200 (the process is alive)", alive.Status)
	}
}

func TestEveryPageHasTheShell(t *testing.T) {
	f := webtest.NewFixture(t)
	cookies := []string{""}
	for _, email := range []string{"pat@example.org", "thea@example.org", "admin@example.org"} {
		cookies = append(cookies, f.SignIn(email))
	}
	for _, rt := range f.Srv.RouteTable() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method != "GET" || strings.Contains(path, "{") && !strings.HasSuffix(path, "{$}") || path == "/healthz" || path == "/readyz" {
			continue
		}
		path = strings.TrimSuffix(path, "{$}")
		for i, cookie := range cookies {
			r := f.Do("GET", path, nil, cookie)
			if ct := r.Header.Get("Content-Type"); r.Status == http.StatusSeeOther || !strings.HasPrefix(ct, "text/html") {
				continue
			}
			if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
				t.Errorf("GET %s (user %d) = %d, want 200, 303 or 404", path, i, r.Status)
			}
			webtest.CheckShell(t, "GET "+path, r)
		}
	}
}

func TestCountryChangesCrisisResources(t *testing.T) {
	st := storetest.Open(t)
	cfg := web.DefaultConfig()
	cfg.Country = "GB"
	srv, err := web.NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), "Samaritans free on 116 123") || strings.Contains(rec.Body.String(), "988") {
		t.Fatal("country GB: page does not show UK crisis lines (or still shows 988)")
	}
	cfg.Country = "ZZ"
	if _, err := web.NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("NewServer with an unknown country succeeded, want an error")
	}
}

func TestStaticAssets(t *testing.T) {
	f := webtest.NewFixture(t)
	home := f.Do("GET", "/", nil, "")
	m := regexp.MustCompile(`href="(/static/[0-9a-f]{12}/style\.css)"`).FindStringSubmatch(home.Body)
	if m == nil {
		t.Fatal("home page links no content-hashed style.css")
	}
	css := f.Do("GET", m[1], nil, "")
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s = %d %s, want 200 text/css", m[1], css.Status, css.Header.Get("Content-Type"))
	}
	if got := css.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("stylesheet Cache-Control = %q, want a year, immutable", got)
	}
	webtest.CheckHeaders(t, "stylesheet", css.Header)
	for _, bad := range []string{"/static/000000000000/style.css", "/static/" + strings.Split(m[1], "/")[2] + "/nope.css", "/static/x/..%2f..%2fgo.mod", "/static/x/%2e%2e/%2e%2e/go.mod", "/static/style.css"} {
		if r := f.Do("GET", bad, nil, ""); r.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, r.Status)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	f := webtest.NewFixture(t)
	form := url.Values{"email": {"pat@example.org"}, "password": {webtest.TestPassword}}
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r := f.Do("POST", "/login", form, "", hdr...)
		if r.Status != http.StatusForbidden {
			t.Errorf("POST /login with %s: %s = %d, want 403", hdr[0], hdr[1], r.Status)
		}
		if f.SessionCookie(r) != "" {
			t.Errorf("cross-origin POST /login set a session cookie")
		}
		webtest.CheckShell(t, "403", r)
	}
	if r := f.Do("POST", "/login", form, "", "Sec-Fetch-Site", "same-origin"); r.Status != http.StatusSeeOther {
		t.Errorf("same-origin POST /login = %d, want 303", r.Status)
	}
}

func TestPatientLoginAndLogout(t *testing.T) {
	f := webtest.NewFixture(t)
	planted := "attacker-chosen-token"
	r := f.Login("PAT@example.org", webtest.TestPassword, planted)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal" {
		t.Fatalf("patient login = %d to %q, want 303 to /portal", r.Status, r.Header.Get("Location"))
	}
	tok := f.SessionCookie(r)
	if tok == "" || tok == planted || len(tok) < 43 {
		t.Fatalf("login cookie = %q, want a new token of at least 256 bits", tok)
	}
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		ck = c
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", ck)
	}
	acct := f.Do("GET", "/account", nil, tok)
	if acct.Status != http.StatusOK || !strings.Contains(acct.Body, webtest.CanaryA) {
		t.Fatalf("GET /account = %d, want 200 with the patient's name", acct.Status)
	}
	if r := f.Do("GET", "/account", nil, planted); r.Status != http.StatusSeeOther {
		t.Errorf("GET /account with the planted token = %d, want 303 to sign in", r.Status)
	}

	// A second login replaces the session it came with: the old token is dead.
	r2 := f.Login("pat@example.org", webtest.TestPassword, tok)
	tok2 := f.SessionCookie(r2)
	if tok2 == "" || tok2 == tok {
		t.Fatalf("second login cookie = %q, want a new token", tok2)
	}
	if r := f.Do("GET", "/account", nil, tok); r.Status != http.StatusSeeOther {
		t.Errorf("old token after re-login = %d, want 303 (dead)", r.Status)
	}

	out := f.Do("POST", "/logout", url.Values{}, tok2)
	if out.Status != http.StatusSeeOther || !strings.HasPrefix(out.Header.Get("Location"), "/login") {
		t.Fatalf("POST /logout = %d to %q, want 303 to /login", out.Status, out.Header.Get("Location"))
	}
	if r := f.Do("GET", "/account", nil, tok2); r.Status != http.StatusSeeOther {
		t.Errorf("GET /account after logout = %d, want 303", r.Status)
	}
}

func TestLoginErrorsKeepInput(t *testing.T) {
	f := webtest.NewFixture(t)
	tests := []struct {
		name, email, password string
		status                int
		msg                   string
	}{
		{"empty", "", "", http.StatusUnprocessableEntity, "Enter your email and your password."},
		{"wrong password", "pat@example.org", "not the password", http.StatusUnauthorized, "do not match an account"},
		{"unknown email", "nobody@example.org", webtest.TestPassword, http.StatusUnauthorized, "do not match an account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.Login(tt.email, tt.password, "")
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d", r.Status, tt.status)
			}
			if !strings.Contains(r.Body, tt.msg) {
				t.Errorf("body lacks %q", tt.msg)
			}
			if tt.email != "" && !strings.Contains(r.Body, `value="`+tt.email+`"`) {
				t.Errorf("form does not keep the email typed")
			}
			if tt.password != "" && strings.Contains(r.Body, tt.password) {
				t.Errorf("form echoes the password")
			}
			if f.SessionCookie(r) != "" {
				t.Errorf("failed login set a session cookie")
			}
			webtest.CheckShell(t, tt.name, r)
		})
	}
	if strings.Contains(f.Logs.String(), "pat@example.org") || strings.Contains(f.Logs.String(), webtest.TestPassword) || strings.Contains(f.Logs.String(), webtest.CanaryA) {
		t.Error("log holds an email address or a password")
	}
}

func TestStaffNeedsTOTP(t *testing.T) {
	f := webtest.NewFixture(t)
	r := f.Login("thea@example.org", webtest.TestPassword, "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa" {
		t.Fatalf("staff login = %d to %q, want 303 to /login/mfa", r.Status, r.Header.Get("Location"))
	}
	half := f.SessionCookie(r)
	for _, path := range []string{"/account", "/login"} {
		if r := f.Do("GET", path, nil, half); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa" {
			t.Errorf("half-signed-in GET %s = %d to %q, want 303 to /login/mfa", path, r.Status, r.Header.Get("Location"))
		}
	}
	if r := f.Do("GET", "/", nil, half); strings.Contains(r.Body, "Thea Therapist") {
		t.Error("home page shows a half-signed-in user as signed in")
	}
	bad := f.Do("POST", "/login/mfa", url.Values{"code": {"000000"}}, half)
	if bad.Status != http.StatusUnauthorized || !strings.Contains(bad.Body, "That code is not right") {
		t.Fatalf("wrong TOTP = %d, want 401 with a message", bad.Status)
	}
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	ok := f.Do("POST", "/login/mfa", url.Values{"code": {code[:3] + " " + code[3:]}}, half)
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/patients" {
		t.Fatalf("right TOTP = %d to %q, want 303 to /patients", ok.Status, ok.Header.Get("Location"))
	}
	full := f.SessionCookie(ok)
	if full == "" || full == half {
		t.Fatal("completing MFA did not issue a new session id")
	}
	if r := f.Do("GET", "/account", nil, half); r.Status != http.StatusSeeOther {
		t.Errorf("half session after MFA = %d, want dead (303)", r.Status)
	}
	if r := f.Do("GET", "/account", nil, full); r.Status != http.StatusOK {
		t.Fatalf("GET /account after MFA = %d, want 200", r.Status)
	}

	// The same code cannot be used again, even within its 30 seconds.
	half2 := f.SessionCookie(f.Login("thea@example.org", webtest.TestPassword, ""))
	replay := f.Do("POST", "/login/mfa", url.Values{"code": {code}}, half2)
	if replay.Status != http.StatusUnauthorized || !strings.Contains(replay.Body, "already been used") {
		t.Fatalf("replayed TOTP = %d, want 401 'already been used'", replay.Status)
	}
	f.Now = f.Now.Add(30 * time.Second)
	next, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	if r := f.Do("POST", "/login/mfa", url.Values{"code": {next}}, half2); r.Status != http.StatusSeeOther {
		t.Fatalf("next TOTP code = %d, want 303", r.Status)
	}
}

func TestIdleAndAbsoluteTimeout(t *testing.T) {
	f := webtest.NewFixture(t)
	tok := f.SessionCookie(f.Login("pat@example.org", webtest.TestPassword, ""))
	f.Now = f.Now.Add(29 * time.Minute)
	if r := f.Do("GET", "/account", nil, tok); r.Status != http.StatusOK {
		t.Fatalf("patient after 29 idle minutes = %d, want 200", r.Status)
	}
	f.Now = f.Now.Add(30 * time.Minute)
	r := f.Do("GET", "/account", nil, tok)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?ended=1" {
		t.Fatalf("patient after 30 idle minutes = %d to %q, want 303 to /login?ended=1", r.Status, r.Header.Get("Location"))
	}
	if page := f.Do("GET", "/login?ended=1", nil, ""); !strings.Contains(page.Body, "Your session ended") {
		t.Error("sign-in page does not say the session ended")
	}

	// Used every 10 minutes, a session still ends 12 hours after sign-in.
	tok = f.SessionCookie(f.Login("pat@example.org", webtest.TestPassword, ""))
	start := f.Now
	for f.Now.Sub(start) < 12*time.Hour-10*time.Minute {
		f.Now = f.Now.Add(10 * time.Minute)
		if r := f.Do("GET", "/account", nil, tok); r.Status != http.StatusOK {
			t.Fatalf("active session %v after sign-in = %d, want 200", f.Now.Sub(start), r.Status)
		}
	}
	f.Now = start.Add(12 * time.Hour)
	if r := f.Do("GET", "/account", nil, tok); r.Status != http.StatusSeeOther {
		t.Fatalf("session 12 h after sign-in = %d, want 303 (ended)", r.Status)
	}
}

func TestBodyLimit(t *testing.T) {
	f := webtest.NewFixture(t)
	big := url.Values{"email": {"pat@example.org"}, "password": {strings.Repeat("x", 2<<20)}}
	r := f.Login(big.Get("email"), big.Get("password"), "")
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB login form = %d, want 413", r.Status)
	}
	webtest.CheckShell(t, "413", r)
	req := httptest.NewRequest("POST", "/login", strings.NewReader("email=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("malformed form = %d, want 400", rec.Code)
	}
}

func TestAccessLogNamesRoute(t *testing.T) {
	f := webtest.NewFixture(t)
	tok := f.SignIn("thea@example.org")
	f.Logs.Reset()
	f.Do("GET", "/patients/"+f.PA.ID, nil, tok)
	if !strings.Contains(f.Logs.String(), `"route":"GET /patients/{patient}"`) {
		t.Errorf("access log = %s, want the route pattern (not the path with its id)", f.Logs.String())
	}
	if strings.Contains(f.Logs.String(), f.PA.ID) {
		t.Errorf("access log holds the patient id from the path")
	}
}
