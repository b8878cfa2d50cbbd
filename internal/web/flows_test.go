package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/web/account"
	adminface "github.com/kapstone/kapstone/internal/web/admin"
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
	r := f.Do("POST", "/admin/users", url.Values{"email": {"kim@example.org"}, "display_name": {"Alex Kim, LMFT"}, "role": {"therapist"}}, admin)
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

func TestDisableEndsSessions(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/admin/users/"+f.Users["thea@example.org"].ID+"/disable", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("disable = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, thea); r.Status != http.StatusSeeOther {
		t.Errorf("disabled user's session = %d, want ended", r.Status)
	}
	if r := f.Login("thea@example.org", webtest.TestPassword, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled user signing in = %d, want 401", r.Status)
	}
	if r := f.Do("POST", "/admin/users/"+f.Users["admin@example.org"].ID+"/disable", url.Values{}, admin); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("admin disabling themself = %d, want 422", r.Status)
	}
}

// TestBreakGlass: a therapist outside the team reads a chart only after
// typing a reason; the access lasts an hour, is audited as emergency access,
// shows on the admin's review list and in the patient's access report.
func TestBreakGlass(t *testing.T) {
	f := webtest.NewFixture(t)
	theo := f.SignIn("theo@example.org")
	chart := "/patients/" + f.PA.ID
	miss := f.Do("GET", chart, nil, theo)
	if miss.Status != http.StatusNotFound || !strings.Contains(miss.Body, "Request emergency access") || strings.Contains(miss.Body, webtest.CanaryA) {
		t.Fatalf("chart outside the team = %d, want 404 offering emergency access without the name", miss.Status)
	}
	if r := f.Do("POST", chart+"/emergency", url.Values{"reason": {"  "}}, theo); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why") {
		t.Fatalf("emergency access without a reason = %d, want 422", r.Status)
	}
	reason := "Patient called the front desk in crisis; Thea is on leave."
	if r := f.Do("POST", chart+"/emergency", url.Values{"reason": {reason}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d, want 303", r.Status)
	}
	open := f.Do("GET", chart, nil, theo)
	if open.Status != http.StatusOK || !strings.Contains(open.Body, webtest.CanaryA) || !strings.Contains(open.Body, "Emergency access.") {
		t.Fatalf("chart with emergency access = %d, want 200 with a banner", open.Status)
	}
	if rows := f.AuditRows("emergency.grant"); len(rows) != 1 || rows[0].PatientID != f.PA.ID || rows[0].ActorID != f.Users["theo@example.org"].ID {
		t.Fatalf("emergency.grant audit rows = %+v, want one for theo on A", rows)
	}
	var reads int
	for _, e := range f.AuditRows("chart.read") {
		if e.ActorID == f.Users["theo@example.org"].ID && e.Detail == "emergency" {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("emergency reads audited = %d, want 1", reads)
	}
	f.Now = f.Now.Add(61 * time.Minute)
	theo = f.SignIn("theo@example.org")
	if r := f.Do("GET", chart, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("chart 61 minutes after emergency access = %d, want 404", r.Status)
	}
	admin := f.SignIn("admin@example.org")
	list := f.Do("GET", "/admin/emergency", nil, admin)
	if !strings.Contains(list.Body, reason) || !strings.Contains(list.Body, "Theo Therapist") || !strings.Contains(list.Body, "Mark reviewed") {
		t.Fatal("admin review list lacks the grant")
	}
	grant := regexp.MustCompile(`/admin/emergency/([0-9a-z]+)/review`).FindStringSubmatch(list.Body)[1]
	if r := f.Do("POST", "/admin/emergency/"+grant+"/review", url.Values{"note": {"Confirmed with Thea."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("review = %d, want 303", r.Status)
	}
	if r := f.Do("POST", "/admin/emergency/"+grant+"/review", url.Values{}, admin); r.Status != http.StatusConflict {
		t.Errorf("second review = %d, want 409", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	report := f.Do("GET", "/portal/access", nil, pat)
	if !strings.Contains(report.Body, "Theo Therapist") || !strings.Contains(report.Body, "emergency access") {
		t.Error("patient's access report does not show the emergency access")
	}
	if strings.Contains(report.Body, reason) {
		t.Error("patient's access report shows the clinician's free-text reason")
	}
}

// TestReadsAreAudited: opening a chart writes one chart.read row with the
// patient's id, and a refused look writes a denied row.
func TestReadsAreAudited(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	before := len(f.AuditRows("chart.read"))
	f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	rows := f.AuditRows("chart.read")
	if len(rows) != before+1 {
		t.Fatalf("chart.read rows %d -> %d, want one more", before, len(rows))
	}
	last := rows[len(rows)-1]
	if last.PatientID != f.PA.ID || last.ActorID != f.Users["thea@example.org"].ID || last.Outcome != "success" || last.RequestID == "" || last.ClientAddr == "" {
		t.Errorf("audit row = %+v, want thea reading A with request id and address", last)
	}
	f.Do("GET", "/patients/"+f.PB.ID, nil, thea)
	rows = f.AuditRows("chart.read")
	if last := rows[len(rows)-1]; last.Outcome != "denied" || last.ObjectID != f.PB.ID {
		t.Errorf("refused look audited as %+v, want a denied row for B", last)
	}
	for _, e := range f.AuditRows("") {
		for _, field := range []string{e.Detail, e.ObjectID, e.PatientID} {
			if strings.Contains(field, "Canary") || strings.Contains(field, "@") {
				t.Errorf("audit row %d holds a name or an email: %+v", e.Seq, e)
			}
		}
	}
	if p, n, err := f.St.VerifyAudit(context.Background(), nil); err != nil || p != nil || n == 0 {
		t.Errorf("VerifyAudit after the flows = %v, %d rows, %v; want intact", p, n, err)
	}
}

func TestAuditViewer(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/audit?action=login.&sort=oldest", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "login.success") || strings.Contains(r.Body, "<code>patient.create</code>") {
		t.Fatalf("audit filtered by prefix login. = %d, want only login rows", r.Status)
	}
	byPatient := f.Do("GET", "/admin/audit?patient="+f.PA.ID, nil, admin)
	if !strings.Contains(byPatient.Body, "patient.create") || strings.Contains(byPatient.Body, f.PB.ID) {
		t.Error("audit filtered by patient A shows other patients' rows or misses A's")
	}
	for _, q := range []string{"sort=seq%3B+DROP+TABLE+users", "action=x'+OR+'1'%3D'1", "from=yesterday", "patient=%27+OR+%271%27%3D%271", "actor=Jordan+Lee"} {
		r := f.Do("GET", "/admin/audit?"+q, nil, admin)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("audit with %s = %d, want 422", q, r.Status)
		}
		webtest.CheckShell(t, "audit "+q, r)
	}
	// Paging: with more than a page of rows, there is a next page, and its rows differ.
	for i := 0; i < adminface.AuditPageSize; i++ {
		f.Do("GET", "/admin/users", nil, admin)
	}
	p1 := f.Do("GET", "/admin/audit", nil, admin)
	if !strings.Contains(p1.Body, `rel="next"`) {
		t.Fatal("audit page 1 has no next page link")
	}
	p2 := f.Do("GET", "/admin/audit?page=2", nil, admin)
	first := func(body string) string {
		m := regexp.MustCompile(`<tr class="outcome-\w+">\s*<td>(\d+)</td>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if first(p1.Body) == "" || first(p1.Body) == first(p2.Body) {
		t.Errorf("page 1 starts at row %q and page 2 at %q, want different rows", first(p1.Body), first(p2.Body))
	}
}
