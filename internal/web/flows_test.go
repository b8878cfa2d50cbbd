package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	adminface "github.com/kapstone/kapstone/internal/web/admin"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/account"
)

// auditRows returns every audit row with action, oldest first.
func (f *fixture) auditRows(action string) []audit.Event {
	f.t.Helper()
	rows, _, err := f.st.FindAudit(context.Background(), store.AuditFilter{Action: action, Sort: "oldest", Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	return rows
}

func TestPasswordChangeEndsEverySession(t *testing.T) {
	f := newFixture(t)
	phone := f.signIn("pat@example.org")
	laptop := f.signIn("pat@example.org")
	form := url.Values{"current_password": {testPassword}, "new_password": {"maple ferry lantern river"}, "confirm_password": {"maple ferry lantern river"}}

	bad := f.do("POST", "/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"short"}, "confirm_password": {"x"}}, laptop)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "That is not your current password") || !strings.Contains(bad.body, "at least 12 characters") {
		t.Fatalf("bad password change = %d, want 422 with a message at each field", bad.status)
	}
	r := f.do("POST", "/account/password", form, laptop)
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change = %d, want 303", r.status)
	}
	fresh := f.sessionCookie(r)
	if fresh == "" || fresh == laptop {
		t.Fatal("password change did not give this browser a new session id")
	}
	for name, tok := range map[string]string{"other device": phone, "old id of this device": laptop} {
		if r := f.do("GET", "/portal", nil, tok); r.status != http.StatusSeeOther {
			t.Errorf("%s after password change = %d, want 303 (ended)", name, r.status)
		}
	}
	if r := f.do("GET", "/portal", nil, fresh); r.status != http.StatusOK {
		t.Errorf("this device after password change = %d, want 200", r.status)
	}
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusUnauthorized {
		t.Errorf("old password after change = %d, want 401", r.status)
	}
	if r := f.login("pat@example.org", "maple ferry lantern river", ""); r.status != http.StatusSeeOther {
		t.Errorf("new password = %d, want 303", r.status)
	}
}

func TestSessionsListAndEnd(t *testing.T) {
	f := newFixture(t)
	a := f.signIn("thea@example.org")
	b := f.signIn("thea@example.org")
	acct := f.do("GET", "/account", nil, a)
	ids := regexp.MustCompile(`/account/sessions/([0-9a-z]+)/end`).FindAllStringSubmatch(acct.body, -1)
	if len(ids) != 2 {
		t.Fatalf("account page lists %d sessions, want 2", len(ids))
	}
	if !strings.Contains(acct.body, "This device") || !strings.Contains(acct.body, "Another device") {
		t.Error("account page does not tell this device from the other")
	}
	// End the other one (the one that is not "This device": try both, one is ours).
	other := ids[0][1]
	if strings.Index(acct.body, "This device") < strings.Index(acct.body, ids[0][0]) {
		other = ids[1][1]
	}
	if r := f.do("POST", "/account/sessions/"+other+"/end", url.Values{}, a); r.status != http.StatusSeeOther {
		t.Fatalf("end other session = %d, want 303", r.status)
	}
	if r := f.do("GET", "/account", nil, b); r.status != http.StatusSeeOther {
		t.Errorf("ended session still works: %d", r.status)
	}
	if r := f.do("GET", "/account", nil, a); r.status != http.StatusOK {
		t.Errorf("own session after ending the other = %d, want 200", r.status)
	}
	// Someone else's session id is not found, and is left alone.
	theo := f.signIn("theo@example.org")
	theoAcct := f.do("GET", "/account", nil, theo)
	theoID := regexp.MustCompile(`/account/sessions/([0-9a-z]+)/end`).FindStringSubmatch(theoAcct.body)[1]
	if r := f.do("POST", "/account/sessions/"+theoID+"/end", url.Values{}, a); r.status != http.StatusNotFound {
		t.Errorf("ending another user's session = %d, want 404", r.status)
	}
	if r := f.do("GET", "/account", nil, theo); r.status != http.StatusOK {
		t.Errorf("theo's session after thea tried to end it = %d, want 200", r.status)
	}
	// Sign out everywhere ends every session of the user, and only theirs.
	c := f.signIn("thea@example.org")
	if r := f.do("POST", "/account/sessions/end-all", url.Values{}, c); r.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d, want 303", r.status)
	}
	for _, tok := range []string{a, c} {
		if r := f.do("GET", "/account", nil, tok); r.status != http.StatusSeeOther {
			t.Errorf("thea's session after signing out everywhere = %d, want ended", r.status)
		}
	}
	if r := f.do("GET", "/account", nil, theo); r.status != http.StatusOK {
		t.Errorf("theo's session after thea signed out everywhere = %d, want 200", r.status)
	}
}

// TestLoginRateLimit: 20 wrong passwords for one account from one address.
// Later tries get 429 with Retry-After, even with the right password; after
// the window the right password works; every attempt is in the audit log.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	limited := 0
	for i := 0; i < 20; i++ {
		f.now = f.now.Add(10 * time.Second)
		r := f.login("pat@example.org", "wrong password number "+string(rune('a'+i)), "")
		switch r.status {
		case http.StatusUnauthorized:
			if limited > 0 {
				t.Fatalf("try %d = 401 after a 429: the limit lifted too soon", i+1)
			}
		case http.StatusTooManyRequests:
			limited++
			if r.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			if !strings.Contains(r.body, "Too many attempts") || !strings.Contains(r.body, `value="pat@example.org"`) {
				t.Errorf("429 page does not explain, or loses the email typed")
			}
		default:
			t.Fatalf("try %d = %d, want 401 or 429", i+1, r.status)
		}
	}
	if limited != 20-account.LoginLimit.PerAccount {
		t.Errorf("%d of 20 tries limited, want %d", limited, 20-account.LoginLimit.PerAccount)
	}
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusTooManyRequests {
		t.Errorf("right password while limited = %d, want 429", r.status)
	}
	// Another account from another address is not affected.
	f.remote = "203.0.113.9:5555"
	if r := f.login("bea@example.org", testPassword, ""); r.status != http.StatusSeeOther {
		t.Errorf("other account while pat is limited = %d, want 303", r.status)
	}
	f.remote = ""
	f.now = f.now.Add(account.LoginLimit.Window)
	if r := f.login("pat@example.org", testPassword, ""); r.status != http.StatusSeeOther {
		t.Fatalf("right password after the window = %d, want 303", r.status)
	}
	pat := f.users["pat@example.org"].ID
	count := func(action string) int {
		n := 0
		for _, e := range f.auditRows(action) {
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
	f := newFixture(t)
	// nomfa has no second factor yet: after the password she reaches only the set-up page.
	r := f.login("nomfa@example.org", testPassword, "")
	if r.header.Get("Location") != "/login/mfa/setup" {
		t.Fatalf("staff without TOTP after password goes to %q, want /login/mfa/setup", r.header.Get("Location"))
	}
	half := f.sessionCookie(r)
	for _, p := range []string{"/patients", "/account", "/admin/users", "/portal"} {
		if r := f.do("GET", p, nil, half); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login/mfa") {
			t.Errorf("half-signed-in GET %s = %d to %q, want the second-factor page", p, r.status, r.header.Get("Location"))
		}
	}
	setup := f.do("GET", "/login/mfa/setup", nil, half)
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`).FindStringSubmatch(setup.body)
	if setup.status != http.StatusOK || m == nil || !strings.Contains(setup.body, `src="data:image/png;base64,`) {
		t.Fatalf("set-up page = %d, want 200 with a QR image and the key", setup.status)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if again := f.do("GET", "/login/mfa/setup", nil, half); !strings.Contains(again.body, m[1]) {
		t.Error("reloading the set-up page changed the key")
	}
	if r := f.do("POST", "/login/mfa/setup", url.Values{"code": {"123456"}}, half); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "does not match") {
		t.Fatalf("wrong set-up code = %d, want 422 with a message", r.status)
	}
	code, _ := auth.TOTPCode(secret, f.now)
	done := f.do("POST", "/login/mfa/setup", url.Values{"code": {code}}, half)
	codes := regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`).FindAllStringSubmatch(done.body, -1)
	if done.status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("set-up = %d with %d recovery codes, want 200 with %d", done.status, len(codes), auth.RecoveryCodeCount)
	}
	full := f.sessionCookie(done)
	if r := f.do("GET", "/patients", nil, full); r.status != http.StatusOK {
		t.Fatalf("after set-up GET /patients = %d, want 200", r.status)
	}

	// Five wrong codes, then the limit: even a right code waits.
	f.now = f.now.Add(time.Minute)
	half = f.sessionCookie(f.login("nomfa@example.org", testPassword, ""))
	for i := 0; i < account.MFALimit.PerAccount; i++ {
		if r := f.do("POST", "/login/mfa", url.Values{"code": {"000000"}}, half); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d, want 401", i+1, r.status)
		}
	}
	good, _ := auth.TOTPCode(secret, f.now)
	if r := f.do("POST", "/login/mfa", url.Values{"code": {good}}, half); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("right code after %d wrong ones = %d, want 429 with Retry-After", account.MFALimit.PerAccount, r.status)
	}
	f.now = f.now.Add(account.MFALimit.Window)
	// A recovery code works once, in any case and spacing.
	half = f.sessionCookie(f.login("nomfa@example.org", testPassword, ""))
	rc := codes[3][1]
	if r := f.do("POST", "/login/mfa", url.Values{"code": {strings.ToUpper(strings.Replace(rc, "-", " ", 1))}}, half); r.status != http.StatusSeeOther || r.header.Get("Location") != "/patients" {
		t.Fatalf("recovery code = %d to %q, want 303 to /patients", r.status, r.header.Get("Location"))
	}
	half2 := f.sessionCookie(f.login("nomfa@example.org", testPassword, ""))
	if r := f.do("POST", "/login/mfa", url.Values{"code": {rc}}, half2); r.status != http.StatusUnauthorized {
		t.Fatalf("used recovery code again = %d to %q, want 401", r.status, r.header.Get("Location"))
	}
}

func TestInvitationsAndReset(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin@example.org")
	bad := f.do("POST", "/admin/users", url.Values{"email": {"not an email"}, "display_name": {""}, "role": {"patient"}}, admin)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `value="not an email"`) {
		t.Fatalf("bad invitation = %d, want 422 keeping the input", bad.status)
	}
	r := f.do("POST", "/admin/users", url.Values{"email": {"kim@example.org"}, "display_name": {"Alex Kim, LMFT"}, "role": {"therapist"}}, admin)
	link := regexp.MustCompile(`value="(https?://[^"]+/invite/[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || link == nil {
		t.Fatalf("invitation = %d, want 200 with a link", r.status)
	}
	path := link[1][strings.Index(link[1], "/invite/"):]
	if page := f.do("GET", path, nil, ""); page.status != http.StatusOK || !strings.Contains(page.body, `value="kim@example.org"`) {
		t.Fatalf("invitation page = %d, want 200 showing the email", page.status)
	}
	weak := f.do("POST", path, url.Values{"display_name": {"Alex Kim, LMFT"}, "new_password": {"password1234"}, "confirm_password": {"password1234"}}, "")
	if weak.status != http.StatusUnprocessableEntity || !strings.Contains(weak.body, "list of passwords") {
		t.Fatalf("common password = %d, want 422 naming the reason", weak.status)
	}
	pw := "quiet harbor violet stone"
	if r := f.do("POST", path, url.Values{"display_name": {"Alex Kim, LMFT"}, "new_password": {pw}, "confirm_password": {pw}}, ""); r.status != http.StatusSeeOther {
		t.Fatalf("accept invitation = %d, want 303", r.status)
	}
	if r := f.do("GET", path, nil, ""); r.status != http.StatusNotFound {
		t.Errorf("used invitation = %d, want 404", r.status)
	}
	if r := f.login("kim@example.org", pw, ""); r.header.Get("Location") != "/login/mfa/setup" {
		t.Errorf("new therapist's first sign-in goes to %q, want /login/mfa/setup", r.header.Get("Location"))
	}

	// A reset link changes the password and keeps the second factor.
	thea := f.users["thea@example.org"]
	rr := f.do("POST", "/admin/users/"+thea.ID+"/reset-password", url.Values{}, admin)
	reset := regexp.MustCompile(`value="https?://[^"]+(/reset/[A-Za-z0-9_-]+)"`).FindStringSubmatch(rr.body)
	if reset == nil {
		t.Fatal("reset gave no link")
	}
	old := f.signIn("thea@example.org")
	newPW := "copper meadow kettle drum"
	if r := f.do("POST", reset[1], url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, ""); r.status != http.StatusSeeOther {
		t.Fatalf("reset = %d, want 303", r.status)
	}
	if r := f.do("GET", "/patients", nil, old); r.status != http.StatusSeeOther {
		t.Errorf("thea's session after reset = %d, want ended", r.status)
	}
	if r := f.login("thea@example.org", newPW, ""); r.header.Get("Location") != "/login/mfa" {
		t.Errorf("after reset, sign-in goes to %q, want /login/mfa (two-step kept)", r.header.Get("Location"))
	}
	if r := f.do("POST", reset[1], url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, ""); r.status != http.StatusNotFound {
		t.Errorf("reset link used twice = %d, want 404", r.status)
	}
	// Expired: a fresh link 31 minutes later.
	rr = f.do("POST", "/admin/users/"+thea.ID+"/reset-password", url.Values{}, admin)
	reset = regexp.MustCompile(`value="https?://[^"]+(/reset/[A-Za-z0-9_-]+)"`).FindStringSubmatch(rr.body)
	f.now = f.now.Add(31 * time.Minute)
	if r := f.do("GET", reset[1], nil, ""); r.status != http.StatusNotFound {
		t.Errorf("reset link after 31 minutes = %d, want 404", r.status)
	}
}

func TestDisableEndsSessions(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin@example.org")
	thea := f.signIn("thea@example.org")
	if r := f.do("POST", "/admin/users/"+f.users["thea@example.org"].ID+"/disable", url.Values{}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("disable = %d, want 303", r.status)
	}
	if r := f.do("GET", "/patients", nil, thea); r.status != http.StatusSeeOther {
		t.Errorf("disabled user's session = %d, want ended", r.status)
	}
	if r := f.login("thea@example.org", testPassword, ""); r.status != http.StatusUnauthorized {
		t.Errorf("disabled user signing in = %d, want 401", r.status)
	}
	if r := f.do("POST", "/admin/users/"+f.users["admin@example.org"].ID+"/disable", url.Values{}, admin); r.status != http.StatusUnprocessableEntity {
		t.Errorf("admin disabling themself = %d, want 422", r.status)
	}
}

// TestBreakGlass: a therapist outside the team reads a chart only after
// typing a reason; the access lasts an hour, is audited as emergency access,
// shows on the admin's review list and in the patient's access report.
func TestBreakGlass(t *testing.T) {
	f := newFixture(t)
	theo := f.signIn("theo@example.org")
	chart := "/patients/" + f.pA.ID
	miss := f.do("GET", chart, nil, theo)
	if miss.status != http.StatusNotFound || !strings.Contains(miss.body, "Request emergency access") || strings.Contains(miss.body, canaryA) {
		t.Fatalf("chart outside the team = %d, want 404 offering emergency access without the name", miss.status)
	}
	if r := f.do("POST", chart+"/emergency", url.Values{"reason": {"  "}}, theo); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Say why") {
		t.Fatalf("emergency access without a reason = %d, want 422", r.status)
	}
	reason := "Patient called the front desk in crisis; Thea is on leave."
	if r := f.do("POST", chart+"/emergency", url.Values{"reason": {reason}}, theo); r.status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d, want 303", r.status)
	}
	open := f.do("GET", chart, nil, theo)
	if open.status != http.StatusOK || !strings.Contains(open.body, canaryA) || !strings.Contains(open.body, "Emergency access.") {
		t.Fatalf("chart with emergency access = %d, want 200 with a banner", open.status)
	}
	if rows := f.auditRows("emergency.grant"); len(rows) != 1 || rows[0].PatientID != f.pA.ID || rows[0].ActorID != f.users["theo@example.org"].ID {
		t.Fatalf("emergency.grant audit rows = %+v, want one for theo on A", rows)
	}
	var reads int
	for _, e := range f.auditRows("chart.read") {
		if e.ActorID == f.users["theo@example.org"].ID && e.Detail == "emergency" {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("emergency reads audited = %d, want 1", reads)
	}
	f.now = f.now.Add(61 * time.Minute)
	theo = f.signIn("theo@example.org")
	if r := f.do("GET", chart, nil, theo); r.status != http.StatusNotFound {
		t.Errorf("chart 61 minutes after emergency access = %d, want 404", r.status)
	}
	admin := f.signIn("admin@example.org")
	list := f.do("GET", "/admin/emergency", nil, admin)
	if !strings.Contains(list.body, reason) || !strings.Contains(list.body, "Theo Therapist") || !strings.Contains(list.body, "Mark reviewed") {
		t.Fatal("admin review list lacks the grant")
	}
	grant := regexp.MustCompile(`/admin/emergency/([0-9a-z]+)/review`).FindStringSubmatch(list.body)[1]
	if r := f.do("POST", "/admin/emergency/"+grant+"/review", url.Values{"note": {"Confirmed with Thea."}}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("review = %d, want 303", r.status)
	}
	if r := f.do("POST", "/admin/emergency/"+grant+"/review", url.Values{}, admin); r.status != http.StatusConflict {
		t.Errorf("second review = %d, want 409", r.status)
	}
	pat := f.signIn("pat@example.org")
	report := f.do("GET", "/portal/access", nil, pat)
	if !strings.Contains(report.body, "Theo Therapist") || !strings.Contains(report.body, "emergency access") {
		t.Error("patient's access report does not show the emergency access")
	}
	if strings.Contains(report.body, reason) {
		t.Error("patient's access report shows the clinician's free-text reason")
	}
}

// TestReadsAreAudited: opening a chart writes one chart.read row with the
// patient's id, and a refused look writes a denied row.
func TestReadsAreAudited(t *testing.T) {
	f := newFixture(t)
	thea := f.signIn("thea@example.org")
	before := len(f.auditRows("chart.read"))
	f.do("GET", "/patients/"+f.pA.ID, nil, thea)
	rows := f.auditRows("chart.read")
	if len(rows) != before+1 {
		t.Fatalf("chart.read rows %d -> %d, want one more", before, len(rows))
	}
	last := rows[len(rows)-1]
	if last.PatientID != f.pA.ID || last.ActorID != f.users["thea@example.org"].ID || last.Outcome != "success" || last.RequestID == "" || last.ClientAddr == "" {
		t.Errorf("audit row = %+v, want thea reading A with request id and address", last)
	}
	f.do("GET", "/patients/"+f.pB.ID, nil, thea)
	rows = f.auditRows("chart.read")
	if last := rows[len(rows)-1]; last.Outcome != "denied" || last.ObjectID != f.pB.ID {
		t.Errorf("refused look audited as %+v, want a denied row for B", last)
	}
	for _, e := range f.auditRows("") {
		for _, field := range []string{e.Detail, e.ObjectID, e.PatientID} {
			if strings.Contains(field, "Canary") || strings.Contains(field, "@") {
				t.Errorf("audit row %d holds a name or an email: %+v", e.Seq, e)
			}
		}
	}
	if p, n, err := f.st.VerifyAudit(context.Background(), nil); err != nil || p != nil || n == 0 {
		t.Errorf("VerifyAudit after the flows = %v, %d rows, %v; want intact", p, n, err)
	}
}

func TestAuditViewer(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin@example.org")
	r := f.do("GET", "/admin/audit?action=login.&sort=oldest", nil, admin)
	if r.status != http.StatusOK || !strings.Contains(r.body, "login.success") || strings.Contains(r.body, "<code>patient.create</code>") {
		t.Fatalf("audit filtered by prefix login. = %d, want only login rows", r.status)
	}
	byPatient := f.do("GET", "/admin/audit?patient="+f.pA.ID, nil, admin)
	if !strings.Contains(byPatient.body, "patient.create") || strings.Contains(byPatient.body, f.pB.ID) {
		t.Error("audit filtered by patient A shows other patients' rows or misses A's")
	}
	for _, q := range []string{"sort=seq%3B+DROP+TABLE+users", "action=x'+OR+'1'%3D'1", "from=yesterday", "patient=%27+OR+%271%27%3D%271", "actor=Jordan+Lee"} {
		r := f.do("GET", "/admin/audit?"+q, nil, admin)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("audit with %s = %d, want 422", q, r.status)
		}
		checkShell(t, "audit "+q, r)
	}
	// Paging: with more than a page of rows, there is a next page, and its rows differ.
	for i := 0; i < adminface.AuditPageSize; i++ {
		f.do("GET", "/admin/users", nil, admin)
	}
	p1 := f.do("GET", "/admin/audit", nil, admin)
	if !strings.Contains(p1.body, `rel="next"`) {
		t.Fatal("audit page 1 has no next page link")
	}
	p2 := f.do("GET", "/admin/audit?page=2", nil, admin)
	first := func(body string) string {
		m := regexp.MustCompile(`<tr class="outcome-\w+">\s*<td>(\d+)</td>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if first(p1.body) == "" || first(p1.body) == first(p2.body) {
		t.Errorf("page 1 starts at row %q and page 2 at %q, want different rows", first(p1.body), first(p2.body))
	}
}
