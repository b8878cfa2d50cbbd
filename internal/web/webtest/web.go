package webtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
	"github.com/kapstone/kapstone/internal/web"
)

const USCrisis = "If you are in crisis, call or text 988, chat at 988lifeline.org, or call 911 / go to the nearest emergency room"

var Cheap = auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}

type Fixture struct {
	T     *testing.T
	St    *store.Store
	Srv   *web.Server
	Now   time.Time
	Logs  *bytes.Buffer
	Users map[string]*clinic.User // by email
	PA    *store.Patient          // patient A: on thea's and rex's team
	PB    *store.Patient          // patient B: on theo's team

	Remote string // client address of requests, when not httptest's default
}

const TestPassword = "a long enough test password"

// TOTPSecret is the second factor of every fixture staff user who has one
// (the store keeps it sealed; tests make codes from this copy).
const TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// Canary names: a response that should not show a patient must not contain theirs.
const (
	CanaryA = "Alice Canary-Alpha"
	CanaryB = "Bruno Canary-Bravo"
)

// NewFixture makes a practice: an admin, therapist thea (owns patient A),
// therapist theo (owns patient B), prescriber rex (on A's team), patients A
// and B with portal accounts, and nomfa, a therapist who has not set up
// two-step verification.
func NewFixture(t *testing.T) *Fixture {
	t.Helper()
	f := &Fixture{T: t, St: storetest.Open(t), Now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Logs: new(bytes.Buffer), Users: map[string]*clinic.User{}}
	f.St.Now = func() time.Time { return f.Now }
	cfg := web.DefaultConfig()
	cfg.PasswordParams = Cheap
	srv, err := web.NewServer(cfg, f.St, slog.New(slog.NewJSONHandler(f.Logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Now = func() time.Time { return f.Now }
	f.Srv = srv
	ctx := context.Background()
	hash, _ := auth.HashPassword(TestPassword, Cheap)
	for _, u := range []*clinic.User{
		{Email: "admin@example.org", DisplayName: "Ada Admin", Role: clinic.RoleAdmin, HasTOTP: true},
		{Email: "thea@example.org", DisplayName: "Thea Therapist", Role: clinic.RoleTherapist, HasTOTP: true},
		{Email: "theo@example.org", DisplayName: "Theo Therapist", Role: clinic.RoleTherapist, HasTOTP: true},
		{Email: "rex@example.org", DisplayName: "Rex Prescriber", Role: clinic.RolePrescriber, HasTOTP: true},
		{Email: "nomfa@example.org", DisplayName: "Nomi Newhire", Role: clinic.RoleTherapist},
	} {
		secret := ""
		if u.HasTOTP {
			secret = TOTPSecret
		}
		if err := f.St.CreateUserWithTOTP(ctx, store.System, u, hash, secret); err != nil {
			t.Fatal(err)
		}
		f.Users[u.Email] = u
	}
	f.PA = f.AddPatient(CanaryA, "pat@example.org", "thea@example.org")
	f.PB = f.AddPatient(CanaryB, "bea@example.org", "theo@example.org")
	if err := f.St.AddTeamMember(ctx, f.As("thea@example.org"), f.PA.ID, f.Users["rex@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// As is the store actor of a fixture user.
func (f *Fixture) As(email string) store.Actor {
	u := f.Users[email]
	return store.Actor{UserID: u.ID, Role: u.Role}
}

// AddPatient adds a patient owned by therapist and gives them a portal
// account with TestPassword, through an invitation.
func (f *Fixture) AddPatient(name, email, therapist string) *store.Patient {
	f.T.Helper()
	ctx := context.Background()
	p := &store.Patient{DisplayName: name, Email: email}
	if err := f.St.CreatePatient(ctx, f.As(therapist), p, ""); err != nil {
		f.T.Fatal(err)
	}
	tok := &store.AuthToken{Hash: auth.HashToken(email), Purpose: store.TokenInvite, Email: email, DisplayName: name, Role: clinic.RolePatient, PatientID: p.ID}
	if err := f.St.CreateToken(ctx, f.As(therapist), tok); err != nil {
		f.T.Fatal(err)
	}
	hash, _ := auth.HashPassword(TestPassword, Cheap)
	u := &clinic.User{DisplayName: name}
	if err := f.St.AcceptAccountToken(ctx, store.Actor{}, tok.Hash, store.TokenInvite, u, hash); err != nil {
		f.T.Fatal(err)
	}
	f.Users[email] = u
	p.UserID = u.ID
	return p
}

// SignIn signs a fixture user in fully (password, then a fresh TOTP code
// for staff) and returns the session cookie.
func (f *Fixture) SignIn(email string) string {
	f.T.Helper()
	r := f.Login(email, TestPassword, "")
	tok := f.SessionCookie(r)
	if r.Status != http.StatusSeeOther || tok == "" {
		f.T.Fatalf("sign-in of %s = %d, want 303 with a cookie", email, r.Status)
	}
	if r.Header.Get("Location") == "/login/mfa" {
		f.Now = f.Now.Add(31 * time.Second) // a code of its own, never a replay
		code, _ := auth.TOTPCode(TOTPSecret, f.Now)
		r = f.Do("POST", "/login/mfa", url.Values{"code": {code}}, tok)
		tok = f.SessionCookie(r)
		if r.Status != http.StatusSeeOther || tok == "" {
			f.T.Fatalf("second factor of %s = %d, want 303 with a cookie", email, r.Status)
		}
	}
	return tok
}

type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends one request through the whole handler, with cookie if not empty.
func (f *Fixture) Do(method, target string, form url.Values, cookie string, hdr ...string) Response {
	f.T.Helper()
	return f.DoContext(context.Background(), method, target, form, cookie, hdr...)
}

// DoContext is Do with the request's context ctx (say, one already
// cancelled: a client that went away).
func (f *Fixture) DoContext(ctx context.Context, method, target string, form url.Values, cookie string, hdr ...string) Response {
	f.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequestWithContext(ctx, method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: f.Srv.CookieName(), Value: cookie})
	}
	if f.Remote != "" {
		req.RemoteAddr = f.Remote
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	return Response{rec.Code, rec.Result().Header, rec.Body.String()}
}

// SessionCookie returns the session token the response set, or "".
func (f *Fixture) SessionCookie(r Response) string {
	v := ""
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == f.Srv.CookieName() {
			v = c.Value // the last one is what the browser keeps
		}
	}
	return v
}

func (f *Fixture) Login(email, password, cookie string, hdr ...string) Response {
	return f.Do("POST", "/login", url.Values{"email": {email}, "password": {password}}, cookie, hdr...)
}

func CheckShell(t *testing.T, what string, r Response) {
	t.Helper()
	if !strings.Contains(r.Body, USCrisis) {
		t.Errorf("%s: body lacks the crisis footer %q", what, USCrisis)
	}
	for _, link := range []string{`href="tel:988"`, `href="https://988lifeline.org/chat/"`, `href="tel:911"`} {
		if !strings.Contains(r.Body, link) {
			t.Errorf("%s: body lacks crisis link %s", what, link)
		}
	}
	CheckHeaders(t, what, r.Header)
}

func CheckHeaders(t *testing.T, what string, h http.Header) {
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
