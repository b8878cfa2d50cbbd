package account_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var clientIDRE = regexp.MustCompile(`Its client_id is (app_[A-Za-z0-9_-]+)\.`)

// smartFlow drives SMART App Launch 2 through the whole web server.
type smartFlow struct {
	t    *testing.T
	f    *webtest.Fixture
	aud  string // the FHIR base
	tok  string // the token endpoint
	auth string // the authorization endpoint's path
}

func newSMARTFlow(t *testing.T) *smartFlow {
	f := webtest.NewFixture(t)
	sf := &smartFlow{t: t, f: f}
	r := f.Do("GET", "/fhir/.well-known/smart-configuration", nil, "")
	var conf map[string]any
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &conf) != nil {
		t.Fatalf("discovery = %d %s", r.Status, r.Body)
	}
	sf.tok = conf["token_endpoint"].(string)
	sf.aud = strings.TrimSuffix(sf.tok, "/token")
	au, _ := url.Parse(conf["authorization_endpoint"].(string))
	sf.auth = au.Path
	if root := f.Do("GET", "/.well-known/smart-configuration", nil, ""); root.Status != http.StatusOK || root.Body != r.Body {
		t.Errorf("GET /.well-known/smart-configuration = %d, want the same document", root.Status)
	}
	for _, want := range []string{`"S256"`, `"client_credentials"`, `"ES384"`, `"permission-v2"`, `/fhir/revoke"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("discovery lacks %s", want)
		}
	}
	if strings.Contains(r.Body, `"plain"`) {
		t.Error("discovery offers PKCE plain")
	}
	return sf
}

// register registers an app as the admin and returns its client_id.
func (sf *smartFlow) register(admin string, form url.Values) string {
	sf.t.Helper()
	r := sf.f.Do("POST", "/admin/apps", form, admin)
	m := clientIDRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		sf.t.Fatalf("register %v = %d", form, r.Status)
	}
	return m[1]
}

func (sf *smartFlow) authorizeURL(client, verifier string, mod func(v url.Values)) string {
	v := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {"https://app.example/cb"},
		"scope": {"launch/patient patient/*.rs openid fhirUser"}, "state": {"st-42"}, "aud": {sf.aud},
		"code_challenge": {smart.Challenge(verifier)}, "code_challenge_method": {"S256"}}
	if mod != nil {
		mod(v)
	}
	return sf.auth + "?" + v.Encode()
}

// consent opens the authorization URL as the signed-in cookie and allows
// (or denies) it; it returns the redirect's query.
func (sf *smartFlow) consent(cookie, authURL, decision string) url.Values {
	sf.t.Helper()
	page := sf.f.Do("GET", authURL, nil, cookie)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Allow Mood Diary to use your kapstone data?") {
		sf.t.Fatalf("consent page = %d", page.Status)
	}
	u, _ := url.Parse(authURL)
	form := u.Query()
	form.Set("decision", decision)
	r := sf.f.Do("POST", "/oauth/authorize", form, cookie)
	return sf.redirected(r)
}

// redirected is the query of a 303 to the app's redirect URI.
func (sf *smartFlow) redirected(r webtest.Response) url.Values {
	sf.t.Helper()
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://app.example/cb?") {
		sf.t.Fatalf("answer = %d to %q, want 303 to the app", r.Status, loc)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// token posts to the token endpoint.
func (sf *smartFlow) token(form url.Values) (int, map[string]any, http.Header) {
	sf.t.Helper()
	r := sf.f.Do("POST", "/fhir/token", form, "")
	var out map[string]any
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		sf.t.Fatalf("token endpoint answered %d non-JSON %q", r.Status, r.Body)
	}
	return r.Status, out, r.Header
}

func (sf *smartFlow) fhir(path, token string) int {
	sf.t.Helper()
	return sf.f.Do("GET", "/fhir"+path, nil, "", "Authorization", "Bearer "+token).Status
}

// TestSMARTAuthorizationCode: an administrator registers an app; a patient
// not signed in is sent to sign in and brought back to the consent page;
// allowing gives a code the app swaps (with its PKCE verifier) for a token
// whose patient context is the patient's own record; the token reads that
// Patient and gets 404 for another's. PKCE, redirect, aud, state, code
// reuse and expiry negatives; denial; every step audited.
func TestSMARTAuthorizationCode(t *testing.T) {
	sf := newSMARTFlow(t)
	f := sf.f
	admin := f.SignIn("admin@example.org")
	if r := f.Do("GET", "/admin/apps", nil, admin); r.Status != http.StatusOK || !strings.Contains(r.Body, "Register an app") {
		t.Fatalf("GET /admin/apps = %d", r.Status)
	}
	if r := f.Do("GET", "/admin/apps", nil, f.SignIn("thea@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("a therapist's GET /admin/apps = %d, want 404", r.Status)
	}
	bad := f.Do("POST", "/admin/apps", url.Values{"name": {"Mood Diary"}, "kind": {"public"}, "redirect_uris": {"http://evil.example/cb"}, "scopes": {"patient/*.rs"}}, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "absolute https URL") {
		t.Errorf("an http redirect URI = %d, want 422 with its message", bad.Status)
	}
	client := sf.register(admin, url.Values{"name": {"Mood Diary"}, "kind": {"public"}, "redirect_uris": {"https://app.example/cb"}, "scopes": {"launch/patient patient/*.rs user/*.rs"}})
	verifier := strings.Repeat("v3r1f1er-", 6)

	// Not signed in: to sign in, and back.
	authURL := sf.authorizeURL(client, verifier, nil)
	r := f.Do("GET", authURL, nil, "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("authorize signed out = %d %q, want 303 /login", r.Status, r.Header.Get("Location"))
	}
	var ret string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "kapstone_oauth_return" {
			ret = c.Name + "=" + c.Value
		}
	}
	login := f.Do("POST", "/login", url.Values{"email": {"pat@example.org"}, "password": {webtest.TestPassword}}, "", "Cookie", ret)
	if login.Status != http.StatusSeeOther || login.Header.Get("Location") != authURL {
		t.Fatalf("sign-in = %d to %q, want back to %q", login.Status, login.Header.Get("Location"), authURL)
	}
	pat := f.SessionCookie(login)
	page := f.Do("GET", authURL, nil, pat)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "of your own record") || !strings.Contains(page.Header.Get("Content-Security-Policy"), "form-action 'self' https://app.example") {
		t.Fatalf("consent page = %d (CSP %q)", page.Status, page.Header.Get("Content-Security-Policy"))
	}
	q := sf.consent(pat, authURL, "allow")
	code := q.Get("code")
	if code == "" || q.Get("state") != "st-42" {
		t.Fatalf("allow redirected with %v, want a code and the state", q)
	}
	exchange := func(mod func(v url.Values)) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/cb"}, "client_id": {client}, "code_verifier": {verifier}}
		if mod != nil {
			mod(v)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		mod  func(v url.Values)
		err  string
	}{
		{"wrong verifier", func(v url.Values) { v.Set("code_verifier", verifier+"x") }, "invalid_grant"},
		{"plain verifier (the challenge itself)", func(v url.Values) { v.Set("code_verifier", smart.Challenge(verifier)) }, "invalid_grant"},
		{"missing verifier", func(v url.Values) { v.Del("code_verifier") }, "invalid_request"},
		{"redirect_uri mismatch", func(v url.Values) { v.Set("redirect_uri", "https://app.example/other") }, "invalid_grant"},
		{"another client", func(v url.Values) { v.Set("client_id", "app_nope") }, "invalid_grant"},
		{"unknown grant type", func(v url.Values) { v.Set("grant_type", "password") }, "unsupported_grant_type"},
	} {
		status, out, _ := sf.token(exchange(tc.mod))
		if status != http.StatusBadRequest || out["error"] != tc.err {
			t.Errorf("%s: %d %v, want 400 %s", tc.name, status, out, tc.err)
		}
	}
	status, out, hdr := sf.token(exchange(nil))
	if status != http.StatusOK || out["token_type"] != "Bearer" || out["patient"] != f.PA.ID || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("exchange = %d %v (Cache-Control %q)", status, out, hdr.Get("Cache-Control"))
	}
	if out["scope"] != "launch/patient patient/*.rs user/*.rs" && out["scope"] != "launch/patient patient/*.rs" {
		t.Errorf("granted scope %q", out["scope"])
	}
	access := out["access_token"].(string)
	if s := sf.fhir("/Patient/"+f.PA.ID, access); s != http.StatusOK {
		t.Errorf("the token's own Patient = %d, want 200", s)
	}
	if s := sf.fhir("/Patient/"+f.PB.ID, access); s != http.StatusNotFound {
		t.Errorf("another patient's Patient = %d, want 404", s)
	}
	// Reuse: refused, and the token it gave is revoked.
	if status, out, _ := sf.token(exchange(nil)); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("code reuse = %d %v, want invalid_grant", status, out)
	}
	if s := sf.fhir("/Patient/"+f.PA.ID, access); s != http.StatusUnauthorized {
		t.Errorf("the token of a reused code = %d, want 401 (revoked)", s)
	}

	// A code lives a minute.
	q = sf.consent(pat, authURL, "allow")
	code = q.Get("code")
	f.Now = f.Now.Add(2 * time.Minute)
	if status, out, _ := sf.token(exchange(nil)); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("an expired code = %d %v, want invalid_grant", status, out)
	}

	// A scope limits the types: patient/Observation.rs cannot read Patient.
	q = sf.consent(pat, sf.authorizeURL(client, verifier, func(v url.Values) { v.Set("scope", "launch/patient patient/Observation.rs") }), "allow")
	code = q.Get("code")
	status, out, _ = sf.token(exchange(nil))
	if status != http.StatusOK || out["scope"] != "launch/patient patient/Observation.rs" {
		t.Fatalf("narrow exchange = %d %v", status, out)
	}
	if s := sf.fhir("/Patient/"+f.PA.ID, out["access_token"].(string)); s != http.StatusForbidden {
		t.Errorf("patient/Observation.rs reading Patient = %d, want 403", s)
	}
	if s := sf.fhir("/Observation?patient="+f.PA.ID, out["access_token"].(string)); s != http.StatusOK {
		t.Errorf("patient/Observation.rs searching Observation = %d, want 200", s)
	}
	for path, want := range map[string]int{"/Observation": http.StatusOK, "/Observation?patient=" + f.PB.ID: http.StatusNotFound} {
		if s := sf.fhir(path, out["access_token"].(string)); s != want {
			t.Errorf("patient-context token GET %s = %d, want %d", path, s, want)
		}
	}
	// Revocation (RFC 7009): 200 either way; only the app's own token ends.
	narrow := out["access_token"].(string)
	for _, tc := range []struct {
		client string
		live   int
	}{{"app_other", http.StatusOK}, {client, http.StatusUnauthorized}} {
		if r := f.Do("POST", "/fhir/revoke", url.Values{"token": {narrow}, "client_id": {tc.client}}, ""); r.Status != http.StatusOK {
			t.Errorf("revoke as %s = %d, want 200", tc.client, r.Status)
		}
		if s := sf.fhir("/Observation?patient="+f.PA.ID, narrow); s != tc.live {
			t.Errorf("after a revocation by %s the token = %d, want %d", tc.client, s, tc.live)
		}
	}
	if n := len(f.AuditRows("smart.revoke")); n != 1 {
		t.Errorf("smart.revoke rows = %d, want 1", n)
	}

	// Denied.
	if q := sf.consent(pat, authURL, "deny"); q.Get("error") != "access_denied" || q.Get("state") != "st-42" || q.Get("code") != "" {
		t.Errorf("deny redirected with %v", q)
	}
	// Faults sent back to the app; untrusted redirects answered here.
	for _, tc := range []struct {
		name string
		mod  func(v url.Values)
		err  string
	}{
		{"PKCE plain", func(v url.Values) { v.Set("code_challenge_method", "plain"); v.Set("code_challenge", verifier) }, "invalid_request"},
		{"PKCE missing", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request"},
		{"aud mismatch", func(v url.Values) { v.Set("aud", "https://other.example/fhir") }, "invalid_request"},
		{"no state", func(v url.Values) { v.Del("state") }, "invalid_request"},
		{"response_type token", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"a scope kapstone does not grant", func(v url.Values) { v.Set("scope", "patient/*.d") }, "invalid_scope"},
	} {
		if q := sf.redirected(f.Do("GET", sf.authorizeURL(client, verifier, tc.mod), nil, pat)); q.Get("error") != tc.err {
			t.Errorf("%s: redirected with %v, want %s", tc.name, q, tc.err)
		}
	}
	for _, mod := range []func(v url.Values){
		func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
		func(v url.Values) { v.Set("client_id", "app_unknown") },
	} {
		if r := f.Do("GET", sf.authorizeURL(client, verifier, mod), nil, pat); r.Status == http.StatusSeeOther || r.Status == http.StatusOK {
			t.Errorf("an untrusted request = %d to %q, want an error page here", r.Status, r.Header.Get("Location"))
		}
	}
	if n := len(f.AuditRows("smart.authorize")); n != 3 {
		t.Errorf("smart.authorize rows = %d, want 3 (every allow)", n)
	}
	if n := len(f.AuditRows("smart.token")); n != 3 {
		t.Errorf("smart.token rows = %d, want 3 (2 tokens issued and 1 code reuse)", n)
	}
	if n := len(f.AuditRows("smartclient.create")); n != 1 {
		t.Errorf("smartclient.create rows = %d, want 1", n)
	}
}

// TestSMARTBackendServices: client_credentials with an ES384 and an RS384
// key; the token acts as the account the client was registered for (its
// care team only); jti replay, expired and wrong-aud assertions refused;
// withdrawing the client ends its tokens.
func TestSMARTBackendServices(t *testing.T) {
	sf := newSMARTFlow(t)
	f := sf.f
	admin := f.SignIn("admin@example.org")
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := string(smart.PublicJWKS([]string{"ec-1", "rsa-1"}, []crypto.Signer{ec, rk}))
	client := sf.register(admin, url.Values{"name": {"Outcomes sync"}, "kind": {"backend"}, "jwks": {jwks}, "scopes": {"system/*.rs"}, "user_email": {"thea@example.org"}})
	n := 0
	assertion := func(key crypto.Signer, kid string, mod func(m map[string]any)) string {
		n++
		m := map[string]any{"iss": client, "sub": client, "aud": sf.tok, "exp": f.Now.Add(4 * time.Minute).Unix(), "jti": "jti-" + string(rune('a'+n))}
		if mod != nil {
			mod(m)
		}
		s, err := smart.Sign(key, kid, m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	grant := func(a string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"}, "client_assertion_type": {smart.AssertionType}, "client_assertion": {a}}
	}
	var tokens []string
	for _, key := range []struct {
		k   crypto.Signer
		kid string
	}{{ec, "ec-1"}, {rk, "rsa-1"}} {
		a := assertion(key.k, key.kid, nil)
		status, out, _ := sf.token(grant(a))
		if status != http.StatusOK || out["scope"] != "system/*.rs" || out["expires_in"].(float64) > 300 {
			t.Fatalf("%s: %d %v", key.kid, status, out)
		}
		tokens = append(tokens, out["access_token"].(string))
		if status, out, _ := sf.token(grant(a)); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("%s: a replayed jti = %d %v, want 401 invalid_client", key.kid, status, out)
		}
	}
	for _, tc := range []struct {
		name string
		a    string
	}{
		{"expired", assertion(ec, "ec-1", func(m map[string]any) { m["exp"] = f.Now.Add(-5 * time.Minute).Unix() })},
		{"wrong aud", assertion(ec, "ec-1", func(m map[string]any) { m["aud"] = sf.aud })},
		{"unknown kid", assertion(ec, "ec-9", nil)},
		{"another client's iss", assertion(ec, "ec-1", func(m map[string]any) { m["iss"], m["sub"] = "app_other", "app_other" })},
	} {
		if status, out, _ := sf.token(grant(tc.a)); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("%s: %d %v, want 401 invalid_client", tc.name, status, out)
		}
	}
	if status, out, _ := sf.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"patient/*.rs"}, "client_assertion_type": {smart.AssertionType}, "client_assertion": {assertion(ec, "ec-1", nil)}}); status != http.StatusBadRequest || out["error"] != "invalid_scope" {
		t.Errorf("a backend asking patient/ scopes = %d %v, want invalid_scope", status, out)
	}
	// Thea's care team: patient A, not B.
	if s := sf.fhir("/Patient/"+f.PA.ID, tokens[0]); s != http.StatusOK {
		t.Errorf("backend token, thea's patient = %d, want 200", s)
	}
	if s := sf.fhir("/Patient/"+f.PB.ID, tokens[1]); s != http.StatusNotFound {
		t.Errorf("backend token, another team's patient = %d, want 404", s)
	}
	// What backend services are for: a bulk export of the account's
	// patients (system/*.rs), kicked off and polled with the same token.
	kick := f.Do("GET", "/fhir/Patient/$export", nil, "", "Authorization", "Bearer "+tokens[0],
		"Prefer", "respond-async", "Accept", "application/fhir+json")
	loc := kick.Header.Get("Content-Location")
	if kick.Status != http.StatusAccepted || !strings.Contains(loc, "/fhir/bulk-status/") {
		t.Errorf("backend token, Patient/$export = %d, Content-Location %q; want 202 and a status URL", kick.Status, loc)
	} else if s := sf.fhir(strings.TrimPrefix(loc[strings.Index(loc, "/fhir/"):], "/fhir"), tokens[0]); s != http.StatusAccepted && s != http.StatusOK {
		t.Errorf("backend token, export status = %d, want 202 or 200", s)
	}
	if n := len(f.AuditRows("smart.token")); n != 4 {
		t.Errorf("smart.token rows = %d, want 4 (2 issued, 2 replays)", n)
	}
	// Withdrawn: its tokens end.
	if r := f.Do("POST", "/admin/apps/"+client+"/revoke", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw = %d", r.Status)
	}
	if s := sf.fhir("/Patient/"+f.PA.ID, tokens[0]); s != http.StatusUnauthorized {
		t.Errorf("a withdrawn client's token = %d, want 401", s)
	}
	if n := len(f.AuditRows("smartclient.revoke")); n != 1 {
		t.Errorf("smartclient.revoke rows = %d, want 1", n)
	}
	// Refused clients are audited (2 replays, 4 bad assertions, the
	// withdrawn token) and limited by address: past 20 in 15 minutes, 429.
	if n := len(f.AuditRows("apitoken.failure")); n != 7 {
		t.Errorf("apitoken.failure rows = %d, want 7", n)
	}
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		r := f.Do("POST", "/fhir/token", grant(assertion(ec, "ec-9", nil)), "")
		limited = r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") != ""
	}
	if !limited {
		t.Error("refused client assertions from one address were never limited (429)")
	}
	if n := len(f.AuditRows("apitoken.failure")); n != 20 {
		t.Errorf("apitoken.failure rows past the limit = %d, want 20 (none written past it)", n)
	}
}

// TestSMARTStaffThroughMFA: a clinician sent to sign in by an app comes
// back to the consent page after the second factor; the app gets user/
// scopes and no patient context, and reads what the clinician may read:
// their care team's patient, not another team's.
func TestSMARTStaffThroughMFA(t *testing.T) {
	sf := newSMARTFlow(t)
	f := sf.f
	client := sf.register(f.SignIn("admin@example.org"), url.Values{"name": {"Mood Diary"}, "kind": {"public"}, "redirect_uris": {"https://app.example/cb"}, "scopes": {"launch/patient patient/*.rs user/*.rs"}})
	verifier := strings.Repeat("staff-verifier-", 4)
	authURL := sf.authorizeURL(client, verifier, func(v url.Values) { v.Set("scope", "launch/patient user/*.rs") })
	r := f.Do("GET", authURL, nil, "")
	ret := ""
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "kapstone_oauth_return" {
			ret = c.Name + "=" + c.Value
		}
	}
	login := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {webtest.TestPassword}}, "", "Cookie", ret)
	half := f.SessionCookie(login)
	if login.Header.Get("Location") != "/login/mfa" || half == "" {
		t.Fatalf("password step = %d to %q", login.Status, login.Header.Get("Location"))
	}
	// Before the second factor the app's request goes to it, not on.
	if r := f.Do("GET", authURL, nil, half); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa" {
		t.Errorf("authorize half signed in = %d to %q, want /login/mfa", r.Status, r.Header.Get("Location"))
	}
	f.Now = f.Now.Add(31 * time.Second)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	mfa := f.Do("POST", "/login/mfa", url.Values{"code": {code}}, "", "Cookie", f.Srv.CookieName()+"="+half+"; "+ret)
	thea := f.SessionCookie(mfa)
	if mfa.Status != http.StatusSeeOther || mfa.Header.Get("Location") != authURL || thea == "" {
		t.Fatalf("second factor = %d to %q, want back to the app's request", mfa.Status, mfa.Header.Get("Location"))
	}
	q := sf.consent(thea, authURL, "allow")
	status, out, _ := sf.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"https://app.example/cb"}, "client_id": {client}, "code_verifier": {verifier}})
	if status != http.StatusOK || out["scope"] != "user/*.rs" || out["patient"] != nil {
		t.Fatalf("exchange = %d %v, want user/*.rs and no patient", status, out)
	}
	tok := out["access_token"].(string)
	if s := sf.fhir("/Patient/"+f.PA.ID, tok); s != http.StatusOK {
		t.Errorf("thea's patient = %d, want 200", s)
	}
	if s := sf.fhir("/Patient/"+f.PB.ID, tok); s != http.StatusNotFound {
		t.Errorf("another team's patient = %d, want 404", s)
	}
}
