package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web"
	"github.com/kapstone/kapstone/internal/web/account"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var linkRE = regexp.MustCompile(`value="https?://[^"]+(/(?:invite|reset)/[A-Za-z0-9_-]+)"`)

// TestPatientLinksOnlyFromTheOwner: a link to a patient's account makes
// its holder the patient, so only the therapist who owns the case makes
// one (not a prescriber on the team, not an admin, not emergency access),
// and the patient sees when one was used.
func TestPatientLinksOnlyFromTheOwner(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	avery := &store.Patient{DisplayName: "Avery NoPortal", Email: "avery@example.org"}
	if err := f.St.CreatePatient(ctx, f.As("thea@example.org"), avery, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.St.AddTeamMember(ctx, f.As("thea@example.org"), avery.ID, f.Users["rex@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	theo := f.SignIn("theo@example.org")
	if r := f.Do("POST", "/patients/"+avery.ID+"/emergency", url.Values{"reason": {"Crisis call while Thea is away today."}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d", r.Status)
	}
	for _, who := range []string{"theo", "rex", "admin"} {
		tok := f.SignIn(webtest.ActorEmail[who])
		if page := f.Do("GET", "/patients/"+avery.ID, nil, tok); strings.Contains(page.Body, "/invite\"") {
			t.Errorf("%s sees the invitation button", who)
		}
		if r := f.Do("POST", "/patients/"+avery.ID+"/invite", url.Values{}, tok); r.Status != http.StatusNotFound {
			t.Errorf("invitation by %s = %d, want 404", who, r.Status)
		}
	}
	thea := f.SignIn("thea@example.org")
	r := f.Do("POST", "/patients/"+avery.ID+"/invite", url.Values{}, thea)
	m := linkRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("invitation by the owner = %d, want 200 with a link", r.Status)
	}
	pw := "seven orchard lanterns"
	if r := f.Do("POST", m[1], url.Values{"display_name": {"Someone Else"}, "new_password": {pw}, "confirm_password": {pw}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("accepting the invitation = %d", r.Status)
	}
	u, _, err := f.St.FindUserByEmail(ctx, "avery@example.org")
	if err != nil || u.DisplayName != "Avery NoPortal" {
		t.Fatalf("account made from the invitation = %+v, %v; want the name the invitation fixed", u, err)
	}
	f.Users["avery@example.org"] = u

	// Admins do not reset patients' passwords or second factors; the owner does.
	admin := f.SignIn("admin@example.org")
	for _, p := range []string{"reset-password", "reset-mfa"} {
		if r := f.Do("POST", "/admin/users/"+u.ID+"/"+p, url.Values{"confirm": {"yes"}}, admin); r.Status != http.StatusUnprocessableEntity || linkRE.MatchString(r.Body) {
			t.Errorf("admin %s of a patient = %d, want 422 with no link", p, r.Status)
		}
	}
	r = f.Do("POST", "/patients/"+avery.ID+"/reset-password", url.Values{}, thea)
	m = linkRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("reset by the owner = %d, want a link", r.Status)
	}
	pw2 := "eleven quiet harbours"
	if r := f.Do("POST", m[1], url.Values{"new_password": {pw2}, "confirm_password": {pw2}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reset = %d", r.Status)
	}
	tok := f.SessionCookie(f.Login("avery@example.org", pw2, ""))
	report := f.Do("GET", "/portal/access", nil, tok)
	for _, want := range []string{"Joined the portal", "Made your portal invitation", "Made a password reset link", "Changed your password with a reset link", "Someone using a link", "Theo Therapist", "in an emergency"} {
		if !strings.Contains(report.Body, want) {
			t.Errorf("patient's access report lacks %q", want)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Remote = "10.0.0.5:443"
	f.Login("nobody@example.org", "xxxxxxxxxxxx", "", "X-Forwarded-For", "198.51.100.23, 10.0.0.9")
	rows := f.AuditRows("login.failure")
	if got := rows[len(rows)-1].ClientAddr; got != "10.0.0.5" {
		t.Errorf("untrusted proxy: address = %s, want the connection's 10.0.0.5", got)
	}
	cfg := web.DefaultConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	srv, err := web.NewServer(cfg, f.St, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f.Srv = srv
	f.Login("nobody@example.org", "xxxxxxxxxxxx", "", "X-Forwarded-For", "203.0.113.1, 198.51.100.23, 10.0.0.9")
	rows = f.AuditRows("login.failure")
	if got := rows[len(rows)-1].ClientAddr; got != "198.51.100.23" {
		t.Errorf("trusted proxy: address = %s, want the last untrusted hop 198.51.100.23", got)
	}
	if oid := rows[len(rows)-1].ObjectID; !regexp.MustCompile(`^email:[0-9a-f]{32}$`).MatchString(oid) {
		t.Errorf("unknown-email rate-limit key = %q, want a keyed hash", oid)
	}
}

func TestReauthLimit(t *testing.T) {
	f := webtest.NewFixture(t)
	tok := f.SignIn("pat@example.org")
	form := url.Values{"current_password": {"not it at all"}, "new_password": {"seven orchard lanterns"}, "confirm_password": {"seven orchard lanterns"}}
	for i := 0; i < account.ReauthLimit.PerAccount; i++ {
		if r := f.Do("POST", "/account/password", form, tok); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password %d = %d, want 422", i+1, r.Status)
		}
	}
	form.Set("current_password", webtest.TestPassword)
	if r := f.Do("POST", "/account/password", form, tok); r.Status != http.StatusTooManyRequests {
		t.Fatalf("right current password after %d wrong = %d, want 429", account.ReauthLimit.PerAccount, r.Status)
	}
	f.Now = f.Now.Add(account.ReauthLimit.Window)
	tok = f.SignIn("pat@example.org")
	if r := f.Do("POST", "/account/password", form, tok); r.Status != http.StatusSeeOther {
		t.Fatalf("after the window = %d, want 303", r.Status)
	}
}

// TestAbandonedRequestIsNotAServerError: a request whose client gave up
// (its context cancelled) while the store worked answers a calm 503 and is
// logged as abandoned, not as a failure of the server (under load these
// were logged as 500 "sqlite3: interrupted").
func TestAbandonedRequestIsNotAServerError(t *testing.T) {
	f := webtest.NewFixture(t)
	cookie := f.SignIn("thea@example.org")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/patients/"+f.PA.ID, nil).WithContext(ctx)
	req.AddCookie(&http.Cookie{Name: f.Srv.CookieName(), Value: cookie})
	rec := httptest.NewRecorder()
	f.Srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("an abandoned request = %d, want 503", rec.Code)
	}
	if logs := f.Logs.String(); strings.Contains(logs, "request failed") || !strings.Contains(logs, "request abandoned by its client") {
		t.Errorf("an abandoned request was logged as a failure, or not at all: %s", logs)
	}
}
