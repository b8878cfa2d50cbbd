package account_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/web/account"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

func TestPasswordChangeEndsEverySession(t *testing.T) {
	f := webtest.NewFixture(t)
	phone := f.SignIn("pat@example.org")
	laptop := f.SignIn("pat@example.org")
	form := url.Values{"current_password": {webtest.TestPassword}, "new_password": {"maple ferry lantern river"}, "confirm_password": {"maple ferry lantern river"}}

	bad := f.Do("POST", "/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"short"}, "confirm_password": {"x"}}, laptop)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "That is not your current password") || !strings.Contains(bad.Body, "at least 12 characters") {
		t.Fatalf("bad password change = %d, want 422 with a message at each field", bad.Status)
	}
	r := f.Do("POST", "/account/password", form, laptop)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("password change = %d, want 303", r.Status)
	}
	fresh := f.SessionCookie(r)
	if fresh == "" || fresh == laptop {
		t.Fatal("password change did not give this browser a new session id")
	}
	for name, tok := range map[string]string{"other device": phone, "old id of this device": laptop} {
		if r := f.Do("GET", "/portal", nil, tok); r.Status != http.StatusSeeOther {
			t.Errorf("%s after password change = %d, want 303 (ended)", name, r.Status)
		}
	}
	if r := f.Do("GET", "/portal", nil, fresh); r.Status != http.StatusOK {
		t.Errorf("this device after password change = %d, want 200", r.Status)
	}
	if r := f.Login("pat@example.org", webtest.TestPassword, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("old password after change = %d, want 401", r.Status)
	}
	if r := f.Login("pat@example.org", "maple ferry lantern river", ""); r.Status != http.StatusSeeOther {
		t.Errorf("new password = %d, want 303", r.Status)
	}
}

func TestSessionsListAndEnd(t *testing.T) {
	f := webtest.NewFixture(t)
	a := f.SignIn("thea@example.org")
	b := f.SignIn("thea@example.org")
	acct := f.Do("GET", "/account", nil, a)
	ids := regexp.MustCompile(`/account/sessions/([0-9a-z]+)/end`).FindAllStringSubmatch(acct.Body, -1)
	if len(ids) != 2 {
		t.Fatalf("account page lists %d sessions, want 2", len(ids))
	}
	if !strings.Contains(acct.Body, "This device") || !strings.Contains(acct.Body, "Another device") {
		t.Error("account page does not tell this device from the other")
	}
	// End the other one (the one that is not "This device": try both, one is ours).
	other := ids[0][1]
	if strings.Index(acct.Body, "This device") < strings.Index(acct.Body, ids[0][0]) {
		other = ids[1][1]
	}
	if r := f.Do("POST", "/account/sessions/"+other+"/end", url.Values{}, a); r.Status != http.StatusSeeOther {
		t.Fatalf("end other session = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/account", nil, b); r.Status != http.StatusSeeOther {
		t.Errorf("ended session still works: %d", r.Status)
	}
	if r := f.Do("GET", "/account", nil, a); r.Status != http.StatusOK {
		t.Errorf("own session after ending the other = %d, want 200", r.Status)
	}
	// Someone else's session id is not found, and is left alone.
	theo := f.SignIn("theo@example.org")
	theoAcct := f.Do("GET", "/account", nil, theo)
	theoID := regexp.MustCompile(`/account/sessions/([0-9a-z]+)/end`).FindStringSubmatch(theoAcct.Body)[1]
	if r := f.Do("POST", "/account/sessions/"+theoID+"/end", url.Values{}, a); r.Status != http.StatusNotFound {
		t.Errorf("ending another user's session = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/account", nil, theo); r.Status != http.StatusOK {
		t.Errorf("theo's session after thea tried to end it = %d, want 200", r.Status)
	}
	// Sign out everywhere ends every session of the user, and only theirs.
	c := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/account/sessions/end-all", url.Values{}, c); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d, want 303", r.Status)
	}
	for _, tok := range []string{a, c} {
		if r := f.Do("GET", "/account", nil, tok); r.Status != http.StatusSeeOther {
			t.Errorf("thea's session after signing out everywhere = %d, want ended", r.Status)
		}
	}
	if r := f.Do("GET", "/account", nil, theo); r.Status != http.StatusOK {
		t.Errorf("theo's session after thea signed out everywhere = %d, want 200", r.Status)
	}
}

// TestLoginRateLimit: 20 wrong passwords for one account from one address.
// Later tries get 429 with Retry-After, even with the right password; after
// the window the right password works; every attempt is in the audit log.
func TestLoginRateLimit(t *testing.T) {
	f := webtest.NewFixture(t)
	limited := 0
	for i := 0; i < 20; i++ {
		f.Now = f.Now.Add(10 * time.Second)
		r := f.Login("pat@example.org", "wrong password number "+string(rune('a'+i)), "")
		switch r.Status {
		case http.StatusUnauthorized:
			if limited > 0 {
				t.Fatalf("try %d = 401 after a 429: the limit lifted too soon", i+1)
			}
		case http.StatusTooManyRequests:
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			if !strings.Contains(r.Body, "Too many attempts") || !strings.Contains(r.Body, `value="pat@example.org"`) {
				t.Errorf("429 page does not explain, or loses the email typed")
			}
		default:
			t.Fatalf("try %d = %d, want 401 or 429", i+1, r.Status)
		}
	}
	if limited != 20-account.LoginLimit.PerAccount {
		t.Errorf("%d of 20 tries limited, want %d", limited, 20-account.LoginLimit.PerAccount)
	}
	if r := f.Login("pat@example.org", webtest.TestPassword, ""); r.Status != http.StatusTooManyRequests {
		t.Errorf("right password while limited = %d, want 429", r.Status)
	}
	// Another account from another address is not affected.
	f.Remote = "203.0.113.9:5555"
	if r := f.Login("bea@example.org", webtest.TestPassword, ""); r.Status != http.StatusSeeOther {
		t.Errorf("other account while pat is limited = %d, want 303", r.Status)
	}
	f.Remote = ""
	f.Now = f.Now.Add(account.LoginLimit.Window)
	if r := f.Login("pat@example.org", webtest.TestPassword, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("right password after the window = %d, want 303", r.Status)
	}
	pat := f.Users["pat@example.org"].ID
	count := func(action string) int {
		n := 0
		for _, e := range f.AuditRows(action) {
			if e.ObjectID == pat || e.ActorID == pat {
				n++
			}
		}
		return n
	}
	if got := count("login.failure"); got != account.LoginLimit.PerAccount {
		t.Errorf("audit has %d login.failure rows, want %d", got, account.LoginLimit.PerAccount)
	}
	if got := count("login.throttled"); got != 20-account.LoginLimit.PerAccount+1 {
		t.Errorf("audit has %d login.throttled rows, want %d", got, 20-account.LoginLimit.PerAccount+1)
	}
	if got := count("login.success"); got != 2 { // invitation acceptance is not a login; the fixture and the final sign-in
		if got < 1 {
			t.Errorf("audit has %d login.success rows for pat, want the final sign-in", got)
		}
	}
}

func TestMFARateLimitAndRecoveryCodes(t *testing.T) {
	f := webtest.NewFixture(t)
	// nomfa has no second factor yet: after the password she reaches only the set-up page.
	r := f.Login("nomfa@example.org", webtest.TestPassword, "")
	if r.Header.Get("Location") != "/login/mfa/setup" {
		t.Fatalf("staff without TOTP after password goes to %q, want /login/mfa/setup", r.Header.Get("Location"))
	}
	half := f.SessionCookie(r)
	for _, p := range []string{"/patients", "/account", "/admin/users", "/portal"} {
		if r := f.Do("GET", p, nil, half); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login/mfa") {
			t.Errorf("half-signed-in GET %s = %d to %q, want the second-factor page", p, r.Status, r.Header.Get("Location"))
		}
	}
	setup := f.Do("GET", "/login/mfa/setup", nil, half)
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`).FindStringSubmatch(setup.Body)
	if setup.Status != http.StatusOK || m == nil || !strings.Contains(setup.Body, `src="data:image/png;base64,`) {
		t.Fatalf("set-up page = %d, want 200 with a QR image and the key", setup.Status)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if again := f.Do("GET", "/login/mfa/setup", nil, half); !strings.Contains(again.Body, m[1]) {
		t.Error("reloading the set-up page changed the key")
	}
	if r := f.Do("POST", "/login/mfa/setup", url.Values{"code": {"123456"}}, half); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "does not match") {
		t.Fatalf("wrong set-up code = %d, want 422 with a message", r.Status)
	}
	code, _ := auth.TOTPCode(secret, f.Now)
	done := f.Do("POST", "/login/mfa/setup", url.Values{"code": {code}}, half)
	codes := regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`).FindAllStringSubmatch(done.Body, -1)
	if done.Status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("set-up = %d with %d recovery codes, want 200 with %d", done.Status, len(codes), auth.RecoveryCodeCount)
	}
	full := f.SessionCookie(done)
	if r := f.Do("GET", "/patients", nil, full); r.Status != http.StatusOK {
		t.Fatalf("after set-up GET /patients = %d, want 200", r.Status)
	}

	// Five wrong codes, then the limit: even a right code waits.
	f.Now = f.Now.Add(time.Minute)
	half = f.SessionCookie(f.Login("nomfa@example.org", webtest.TestPassword, ""))
	for i := 0; i < account.MFALimit.PerAccount; i++ {
		if r := f.Do("POST", "/login/mfa", url.Values{"code": {"000000"}}, half); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d, want 401", i+1, r.Status)
		}
	}
	good, _ := auth.TOTPCode(secret, f.Now)
	if r := f.Do("POST", "/login/mfa", url.Values{"code": {good}}, half); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right code after %d wrong ones = %d, want 429 with Retry-After", account.MFALimit.PerAccount, r.Status)
	}
	f.Now = f.Now.Add(account.MFALimit.Window)
	// A recovery code works once, in any case and spacing.
	half = f.SessionCookie(f.Login("nomfa@example.org", webtest.TestPassword, ""))
	rc := codes[3][1]
	if r := f.Do("POST", "/login/mfa", url.Values{"code": {strings.ToUpper(strings.Replace(rc, "-", " ", 1))}}, half); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/patients" {
		t.Fatalf("recovery code = %d to %q, want 303 to /patients", r.Status, r.Header.Get("Location"))
	}
	half2 := f.SessionCookie(f.Login("nomfa@example.org", webtest.TestPassword, ""))
	if r := f.Do("POST", "/login/mfa", url.Values{"code": {rc}}, half2); r.Status != http.StatusUnauthorized {
		t.Fatalf("used recovery code again = %d to %q, want 401", r.Status, r.Header.Get("Location"))
	}
}

func TestInvitationsAndReset(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	bad := f.Do("POST", "/admin/users", url.Values{"email": {"not an email"}, "display_name": {""}, "role": {"patient"}}, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `value="not an email"`) {
		t.Fatalf("bad invitation = %d, want 422 keeping the input", bad.Status)
	}
	r := f.Do("POST", "/admin/users", url.Values{"email": {"kim@example.org"}, "display_name": {"Alex Kim"}, "credentials": {"LMFT"}, "role": {"therapist"}}, admin)
	link := regexp.MustCompile(`value="(https?://[^"]+/invite/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || link == nil {
		t.Fatalf("invitation = %d, want 200 with a link", r.Status)
	}
	path := link[1][strings.Index(link[1], "/invite/"):]
	if page := f.Do("GET", path, nil, ""); page.Status != http.StatusOK || !strings.Contains(page.Body, `value="kim@example.org"`) {
		t.Fatalf("invitation page = %d, want 200 showing the email", page.Status)
	}
	weak := f.Do("POST", path, url.Values{"display_name": {"Alex Kim, LMFT"}, "new_password": {"password1234"}, "confirm_password": {"password1234"}}, "")
	if weak.Status != http.StatusUnprocessableEntity || !strings.Contains(weak.Body, "list of passwords") {
		t.Fatalf("common password = %d, want 422 naming the reason", weak.Status)
	}
	pw := "quiet harbor violet stone"
	if r := f.Do("POST", path, url.Values{"display_name": {"Alex Kim, LMFT"}, "new_password": {pw}, "confirm_password": {pw}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("accept invitation = %d, want 303", r.Status)
	}
	if r := f.Do("GET", path, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("used invitation = %d, want 404", r.Status)
	}
	if r := f.Login("kim@example.org", pw, ""); r.Header.Get("Location") != "/login/mfa/setup" {
		t.Errorf("new therapist's first sign-in goes to %q, want /login/mfa/setup", r.Header.Get("Location"))
	}
	if u, _, err := f.St.FindUserByEmail(t.Context(), "kim@example.org"); err != nil || u.DisplayName != "Alex Kim" || u.Credentials != "LMFT" {
		t.Errorf("invited account = %+v, %v; want the name Alex Kim and the credentials LMFT apart", u, err)
	}

	// A reset link changes the password and keeps the second factor.
	thea := f.Users["thea@example.org"]
	rr := f.Do("POST", "/admin/users/"+thea.ID+"/reset-password", url.Values{}, admin)
	reset := regexp.MustCompile(`value="https?://[^"]+(/reset/[A-Za-z0-9_-]+)"`).FindStringSubmatch(rr.Body)
	if reset == nil {
		t.Fatal("reset gave no link")
	}
	old := f.SignIn("thea@example.org")
	newPW := "copper meadow kettle drum"
	if r := f.Do("POST", reset[1], url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("reset = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, old); r.Status != http.StatusSeeOther {
		t.Errorf("thea's session after reset = %d, want ended", r.Status)
	}
	if r := f.Login("thea@example.org", newPW, ""); r.Header.Get("Location") != "/login/mfa" {
		t.Errorf("after reset, sign-in goes to %q, want /login/mfa (two-step kept)", r.Header.Get("Location"))
	}
	if r := f.Do("POST", reset[1], url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, ""); r.Status != http.StatusNotFound {
		t.Errorf("reset link used twice = %d, want 404", r.Status)
	}
	// Expired: a fresh link 31 minutes later.
	rr = f.Do("POST", "/admin/users/"+thea.ID+"/reset-password", url.Values{}, admin)
	reset = regexp.MustCompile(`value="https?://[^"]+(/reset/[A-Za-z0-9_-]+)"`).FindStringSubmatch(rr.Body)
	f.Now = f.Now.Add(31 * time.Minute)
	if r := f.Do("GET", reset[1], nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("reset link after 31 minutes = %d, want 404", r.Status)
	}
}

// TestInviteKeepsCredentialsApart: the invitation form asks for the name and
// the credentials in two fields, with an example that has no credentials in
// the name; credentials typed after the name are refused at the field, with
// the input kept; the accounts list shows the credentials once.
func TestInviteKeepsCredentialsApart(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	form := f.Do("GET", "/admin/users/new", nil, admin)
	if !strings.Contains(form.Body, `name="credentials"`) || !strings.Contains(form.Body, `placeholder="e.g. Alex Kim"`) || strings.Contains(form.Body, "Name and credentials") {
		t.Errorf("invitation form: want a separate credentials field and a name example without credentials")
	}
	bad := f.Do("POST", "/admin/users", url.Values{"email": {"sam@example.org"}, "display_name": {"Sam Whitaker, LCSW"}, "credentials": {"LCSW"}, "role": {"therapist"}}, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "Write the name only, and LCSW as the credentials.") || !strings.Contains(bad.Body, `value="Sam Whitaker, LCSW"`) {
		t.Errorf("credentials in the name = %d, want 422 with the error at the name and the input kept", bad.Status)
	}
	ok := f.Do("POST", "/admin/users", url.Values{"email": {"sam@example.org"}, "display_name": {"Sam Whitaker"}, "credentials": {"LCSW"}, "role": {"therapist"}}, admin)
	if ok.Status != http.StatusOK || !strings.Contains(ok.Body, "Invitation for Sam Whitaker, LCSW (Therapist)") {
		t.Fatalf("invitation = %d, want 200 naming Sam Whitaker, LCSW", ok.Status)
	}
	// The link's notice, its copy button and the pending list name her,
	// each with LCSW once.
	if strings.Count(ok.Body, "LCSW") != strings.Count(ok.Body, "Sam Whitaker, LCSW") || strings.Contains(ok.Body, "LCSW, LCSW") {
		t.Errorf("the invitation page shows LCSW doubled or apart from her name")
	}
}
