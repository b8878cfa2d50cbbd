package account_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	apiTokenRE  = regexp.MustCompile(`id="api-token-value" type="text" readonly value="(kap_[A-Za-z0-9_-]{43})"`)
	anyTokenRE  = regexp.MustCompile(`kap_[A-Za-z0-9_-]{43}`)
	revokeURLRE = regexp.MustCompile(`action="(/account/api-tokens/([0-9a-z]{26})/revoke)#api-tokens"`)
)

// TestAPITokensPage: through the real handlers, the account page's API
// tokens section makes a token (shown once, never again), lists it with
// its label, scope, dates and last use, and revokes it; bad input gets an
// error summary and a message at each field with what was typed kept;
// the current password is needed; another person cannot revoke it (404);
// the page's other sections stay; every step is audited.
func TestAPITokensPage(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")

	acct := f.Do("GET", "/account", nil, thea)
	for _, want := range []string{`id="api-tokens"`, "You have no API tokens", "Make the token", "Where you are signed in", "Remembered devices", "Calendar feed", "Working hours"} {
		if !strings.Contains(acct.Body, want) {
			t.Errorf("the account page lacks %q", want)
		}
	}
	if !strings.Contains(acct.Body, `<option value="30" selected>30 days</option>`) || !strings.Contains(acct.Body, `value="read" id="api-token-scope-read" checked`) {
		t.Error("the new-token form does not default to read only for 30 days")
	}

	// Nothing filled in, and choices that were not offered.
	bad := f.Do("POST", "/account/api-tokens", url.Values{"label": {" "}, "scope": {"admin"}, "ttl": {"9"}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "There is a problem") {
		t.Fatalf("empty form = %d, want 422 with an error summary", bad.Status)
	}
	for _, want := range []string{
		`href="#api-token-label"`, `href="#api-token-scope-read"`, `href="#api-token-ttl"`, `href="#api-token-password"`,
		`id="api-token-label-error"`, `id="api-token-scope-error"`, `id="api-token-ttl-error"`, `id="api-token-password-error"`,
		"Give the token a name", "Choose read, or read and write.", "Choose when the token expires.", "Enter your current password",
	} {
		if !strings.Contains(bad.Body, want) {
			t.Errorf("empty form's answer lacks %q", want)
		}
	}
	if bad.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", bad.Header.Get("Cache-Control"))
	}
	// A wrong password: what was typed is kept (escaped), the password
	// is not; nothing is made; the failure is audited.
	label := `Weekly <export> "script"`
	wrong := f.Do("POST", "/account/api-tokens", url.Values{"label": {label}, "scope": {"write"}, "ttl": {"7"}, "current_password": {"not it"}}, thea)
	if wrong.Status != http.StatusUnprocessableEntity || !strings.Contains(wrong.Body, "That is not your current password") {
		t.Fatalf("wrong password = %d, want 422 with the message", wrong.Status)
	}
	for _, want := range []string{`value="` + html.EscapeString(label) + `"`, `value="write" id="api-token-scope-write" checked`, `<option value="7" selected>7 days</option>`} {
		if !strings.Contains(wrong.Body, want) {
			t.Errorf("wrong password's answer does not keep %q", want)
		}
	}
	if strings.Contains(wrong.Body, "not it") || anyTokenRE.MatchString(wrong.Body) {
		t.Error("the answer shows the typed password or a token")
	}
	if n := len(f.AuditRows("reauth.failure")); n != 1 {
		t.Errorf("reauth.failure rows = %d, want 1", n)
	}
	if n := len(f.AuditRows("apitoken.create")); n != 0 {
		t.Fatalf("refused forms made %d tokens", n)
	}

	// Made: shown once, on this answer only.
	made := f.Do("POST", "/account/api-tokens", url.Values{"label": {label}, "scope": {"write"}, "ttl": {"7"}, "current_password": {webtest.TestPassword}}, thea)
	m := apiTokenRE.FindStringSubmatch(made.Body)
	if made.Status != http.StatusOK || m == nil {
		t.Fatalf("make a token = %d, no token shown", made.Status)
	}
	tok := m[1]
	if made.Header.Get("Cache-Control") != "no-store" || !strings.Contains(made.Body, "it will not be shown again") {
		t.Error("the token's page may be stored, or does not warn it is shown once")
	}
	c, err := f.St.AuthenticateAPIToken(t.Context(), tok)
	if err != nil || c.Actor.UserID != f.Users["thea@example.org"].ID || c.Scope != store.ScopeWrite {
		t.Fatalf("the token shown = %+v, %v; want thea's, read and write", c, err)
	}
	list, err := f.St.ListAPITokens(t.Context(), f.As("thea@example.org"), 10)
	if err != nil || len(list) != 1 || !list[0].ExpiresAt.Equal(f.Now.Add(7*24*time.Hour)) || list[0].Label != label {
		t.Fatalf("thea's tokens = %+v, %v; want one, expiring in 7 days", list, err)
	}
	f.Now = f.Now.Add(2 * time.Minute)
	acct = f.Do("GET", "/account", nil, thea)
	if anyTokenRE.MatchString(acct.Body) {
		t.Error("the account page shows the token again")
	}
	for _, want := range []string{html.EscapeString(label), "Read and write", "last used", "expires", "Calendar feed"} {
		if !strings.Contains(acct.Body, want) {
			t.Errorf("the token list lacks %q", want)
		}
	}
	rm := revokeURLRE.FindStringSubmatch(acct.Body)
	if rm == nil || rm[2] != list[0].ID {
		t.Fatalf("no revoke button for the token")
	}

	// Another person cannot revoke it: the answer for a missing token.
	theo := f.SignIn("theo@example.org")
	if r := f.Do("POST", rm[1], url.Values{}, theo); r.Status != http.StatusNotFound {
		t.Errorf("theo revokes thea's token = %d, want 404", r.Status)
	}
	if _, err := f.St.AuthenticateAPIToken(t.Context(), tok); err != nil {
		t.Fatalf("thea's token after theo's try: %v", err)
	}
	// Nor a post from another site (CSRF).
	if r := f.Do("POST", rm[1], url.Values{}, thea, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site revoke = %d, want 403", r.Status)
	}
	if r := f.Do("POST", "/account/api-tokens", url.Values{"label": {"x"}, "scope": {"read"}, "ttl": {"30"}, "current_password": {webtest.TestPassword}}, thea, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden || anyTokenRE.MatchString(r.Body) {
		t.Errorf("cross-site create = %d, want 403 and no token", r.Status)
	}

	// thea revokes it: after the redirect, a notice in the section.
	r := f.Do("POST", rm[1], url.Values{}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?done=api-token-revoked#api-tokens" {
		t.Fatalf("revoke = %d to %q", r.Status, r.Header.Get("Location"))
	}
	acct = f.Do("GET", "/account?done=api-token-revoked", nil, thea)
	if !strings.Contains(acct.Body, `id="api-tokens-notice"`) || !strings.Contains(acct.Body, "no longer works") || !strings.Contains(acct.Body, "You have no API tokens") {
		t.Error("after revoking: no notice in the section, or the token is still listed")
	}
	if _, err := f.St.AuthenticateAPIToken(t.Context(), tok); !store.ErrAPITokenNotValid(err) {
		t.Errorf("the revoked token = %v, want not valid", err)
	}
	if n := len(f.AuditRows("apitoken.create")); n != 1 {
		t.Errorf("apitoken.create rows = %d, want 1", n)
	}
	if rows := f.AuditRows("apitoken.revoke"); len(rows) != 1 || rows[0].ActorID != f.Users["thea@example.org"].ID || rows[0].ObjectID != list[0].ID {
		t.Errorf("apitoken.revoke rows = %+v, want thea's one", rows)
	}

	// A patient makes one too (their second factor is optional).
	pat := f.SignIn("pat@example.org")
	r = f.Do("POST", "/account/api-tokens", url.Values{"label": {"My health app"}, "scope": {"read"}, "ttl": {"365"}, "current_password": {webtest.TestPassword}}, pat)
	m = apiTokenRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("patient makes a token = %d, none shown", r.Status)
	}
	if c, err := f.St.AuthenticateAPIToken(t.Context(), m[1]); err != nil || c.Actor.UserID != f.Users["pat@example.org"].ID || c.Scope != store.ScopeRead {
		t.Errorf("the patient's token = %+v, %v", c, err)
	}
}
