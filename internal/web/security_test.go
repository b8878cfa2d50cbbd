package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/account"
)

var linkRE = regexp.MustCompile(`value="https?://[^"]+(/(?:invite|reset)/[A-Za-z0-9_-]+)"`)

// TestPatientLinksOnlyFromTheOwner: a link to a patient's account makes
// its holder the patient, so only the therapist who owns the case makes
// one (not a prescriber on the team, not an admin, not emergency access),
// and the patient sees when one was used.
func TestPatientLinksOnlyFromTheOwner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	avery := &store.Patient{DisplayName: "Avery NoPortal", Email: "avery@example.org"}
	if err := f.st.CreatePatient(ctx, f.as("thea@example.org"), avery, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddTeamMember(ctx, f.as("thea@example.org"), avery.ID, f.users["rex@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	theo := f.signIn("theo@example.org")
	if r := f.do("POST", "/patients/"+avery.ID+"/emergency", url.Values{"reason": {"Crisis call while Thea is away today."}}, theo); r.status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d", r.status)
	}
	for _, who := range []string{"theo", "rex", "admin"} {
		tok := f.signIn(actorEmail[who])
		if page := f.do("GET", "/patients/"+avery.ID, nil, tok); strings.Contains(page.body, "/invite\"") {
			t.Errorf("%s sees the invitation button", who)
		}
		if r := f.do("POST", "/patients/"+avery.ID+"/invite", url.Values{}, tok); r.status != http.StatusNotFound {
			t.Errorf("invitation by %s = %d, want 404", who, r.status)
		}
	}
	thea := f.signIn("thea@example.org")
	r := f.do("POST", "/patients/"+avery.ID+"/invite", url.Values{}, thea)
	m := linkRE.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("invitation by the owner = %d, want 200 with a link", r.status)
	}
	pw := "seven orchard lanterns"
	if r := f.do("POST", m[1], url.Values{"display_name": {"Someone Else"}, "new_password": {pw}, "confirm_password": {pw}}, ""); r.status != http.StatusSeeOther {
		t.Fatalf("accepting the invitation = %d", r.status)
	}
	u, _, err := f.st.FindUserByEmail(ctx, "avery@example.org")
	if err != nil || u.DisplayName != "Avery NoPortal" {
		t.Fatalf("account made from the invitation = %+v, %v; want the name the invitation fixed", u, err)
	}
	f.users["avery@example.org"] = u

	// Admins do not reset patients' passwords or second factors; the owner does.
	admin := f.signIn("admin@example.org")
	for _, p := range []string{"reset-password", "reset-mfa"} {
		if r := f.do("POST", "/admin/users/"+u.ID+"/"+p, url.Values{"confirm": {"yes"}}, admin); r.status != http.StatusUnprocessableEntity || linkRE.MatchString(r.body) {
			t.Errorf("admin %s of a patient = %d, want 422 with no link", p, r.status)
		}
	}
	r = f.do("POST", "/patients/"+avery.ID+"/reset-password", url.Values{}, thea)
	m = linkRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("reset by the owner = %d, want a link", r.status)
	}
	pw2 := "eleven quiet harbours"
	if r := f.do("POST", m[1], url.Values{"new_password": {pw2}, "confirm_password": {pw2}}, ""); r.status != http.StatusSeeOther {
		t.Fatalf("reset = %d", r.status)
	}
	tok := f.sessionCookie(f.login("avery@example.org", pw2, ""))
	report := f.do("GET", "/portal/access", nil, tok)
	for _, want := range []string{"Joined the portal", "Made your portal invitation", "Made a password reset link", "Changed your password with a reset link", "Someone using a link", "Theo Therapist", "in an emergency"} {
		if !strings.Contains(report.body, want) {
			t.Errorf("patient's access report lacks %q", want)
		}
	}
}

// TestKnownAddressNotLockedOut: failures from elsewhere do not stop a
// person signing in from an address where they signed in before.
func TestKnownAddressNotLockedOut(t *testing.T) {
	f := newFixture(t)
	f.remote = "192.0.2.10:1000" // home
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	f.remote = "203.0.113.66:1000" // someone else
	for i := 0; i < account.LoginLimit.PerAccount+2; i++ {
		f.login("pat@example.org", "guessing and guessing", "")
	}
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusTooManyRequests {
		t.Errorf("right password from the attacker's address = %d, want 429", r.status)
	}
	f.remote = "198.51.100.7:1000" // a new place
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusTooManyRequests {
		t.Errorf("right password from a new address while limited = %d, want 429", r.status)
	}
	f.remote = "192.0.2.10:1000"
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusSeeOther {
		t.Errorf("right password from home while limited elsewhere = %d, want 303", r.status)
	}
}

func TestTrustedProxies(t *testing.T) {
	f := newFixture(t)
	f.remote = "10.0.0.5:443"
	f.login("nobody@example.org", "xxxxxxxxxxxx", "", "X-Forwarded-For", "198.51.100.23, 10.0.0.9")
	rows := f.auditRows("login.failure")
	if got := rows[len(rows)-1].ClientAddr; got != "10.0.0.5" {
		t.Errorf("untrusted proxy: address = %s, want the connection's 10.0.0.5", got)
	}
	cfg := DefaultConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	srv, err := NewServer(cfg, f.st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.login("nobody@example.org", "xxxxxxxxxxxx", "", "X-Forwarded-For", "203.0.113.1, 198.51.100.23, 10.0.0.9")
	rows = f.auditRows("login.failure")
	if got := rows[len(rows)-1].ClientAddr; got != "198.51.100.23" {
		t.Errorf("trusted proxy: address = %s, want the last untrusted hop 198.51.100.23", got)
	}
	if oid := rows[len(rows)-1].ObjectID; !regexp.MustCompile(`^email:[0-9a-f]{32}$`).MatchString(oid) {
		t.Errorf("unknown-email rate-limit key = %q, want a keyed hash", oid)
	}
}

func TestReauthLimit(t *testing.T) {
	f := newFixture(t)
	tok := f.signIn("pat@example.org")
	form := url.Values{"current_password": {"not it at all"}, "new_password": {"seven orchard lanterns"}, "confirm_password": {"seven orchard lanterns"}}
	for i := 0; i < account.ReauthLimit.PerAccount; i++ {
		if r := f.do("POST", "/account/password", form, tok); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password %d = %d, want 422", i+1, r.status)
		}
	}
	form.Set("current_password", testPassword)
	if r := f.do("POST", "/account/password", form, tok); r.status != http.StatusTooManyRequests {
		t.Fatalf("right current password after %d wrong = %d, want 429", account.ReauthLimit.PerAccount, r.status)
	}
	f.now = f.now.Add(account.ReauthLimit.Window)
	tok = f.signIn("pat@example.org")
	if r := f.do("POST", "/account/password", form, tok); r.status != http.StatusSeeOther {
		t.Fatalf("after the window = %d, want 303", r.status)
	}
}
