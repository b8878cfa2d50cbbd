package notes_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// The review of the draft carried through sign-in (issue 16, item 2):
// a carried draft is minted only for the user whose session just ended,
// saved only for that user, once, and shown (not lost, not claimed saved)
// when it cannot be saved.

var carryRE = regexp.MustCompile(`name="carry" value="([^"]+)"`)

// carryOf is the carried draft in a page, or "".
func carryOf(body string) string {
	m := carryRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// signInAs signs email in through the password and second-factor steps
// with carry in the forms (as the pages pass it on), and returns the last
// answer.
func signInAs(t *testing.T, f *webtest.Fixture, email, carry string) webtest.Response {
	t.Helper()
	r := f.Do("POST", "/login", url.Values{"email": {email}, "password": {webtest.TestPassword}, "carry": {carry}}, "")
	f.Now = f.Now.Add(31 * time.Second)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	return f.Do("POST", "/login/mfa", url.Values{"code": {code}, "carry": {carryOf(r.Body)}}, f.SessionCookie(r))
}

// endedCarry saves Thea's draft, lets her session end (idle), posts text
// with her ended session's cookie, and returns the note's path and the
// carried draft of the sign-in page.
func endedCarry(t *testing.T, f *webtest.Fixture, text string) (path, carry string) {
	return endedCarryAt(t, f, text, true)
}

// endedCarryAt is endedCarry, with a draft saved first only when saved.
func endedCarryAt(t *testing.T, f *webtest.Fixture, text string, saved bool) (path, carry string) {
	t.Helper()
	thea := f.SignIn("thea@example.org")
	path = pastAppointment(t, f, "integration")
	version := "0"
	if saved {
		if r := f.Do("POST", path, noteForm("0", "Thea's real words."), thea); r.Status != http.StatusSeeOther {
			t.Fatalf("save = %d", r.Status)
		}
		version = "1"
	}
	f.Now = f.Now.Add(f.Srv.Config.IdleStaff + time.Minute)
	r := f.Do("POST", path, noteForm(version, text), thea)
	if carry = carryOf(r.Body); r.Status != http.StatusOK || carry == "" {
		t.Fatalf("post after the session ended = %d to %q, want the sign-in page carrying it", r.Status, r.Header.Get("Location"))
	}
	return path, carry
}

// noteData is the data section of the note at path, as the store has it.
func noteData(t *testing.T, f *webtest.Fixture, path string) (author, data string) {
	t.Helper()
	n, err := f.St.NoteFor(context.Background(), f.As("thea@example.org"), f.PA.ID, strings.Split(path, "/")[4])
	if err != nil {
		t.Fatal(err)
	}
	return n.AuthorName, n.Sections["data"]
}

// TestCarryNoCookieMintsNothing (review finding 1): a client with no
// cookie, or a cookie of no session, posting a note's form gets the
// ordinary sign-in redirect and no carried draft; nothing it typed reaches
// the note of whoever signs in next.
func TestCarryNoCookieMintsNothing(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	path := pastAppointment(t, f, "integration")
	if r := f.Do("POST", path, noteForm("0", "Thea's real words."), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}
	for _, cookie := range []string{"", "not-a-session-token-0000000000000000000000"} {
		r := f.Do("POST", path, noteForm("1", "ATTACKER TEXT"), cookie)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") || carryOf(r.Body) != "" {
			t.Errorf("post with cookie %q = %d to %q, carry %v; want the sign-in redirect and no carry", cookie, r.Status, r.Header.Get("Location"), carryOf(r.Body) != "")
		}
		got := signInAs(t, f, "thea@example.org", carryOf(r.Body))
		if got.Status != http.StatusSeeOther || got.Header.Get("Location") != "/patients" {
			t.Errorf("sign-in after it = %d to %q", got.Status, got.Header.Get("Location"))
		}
	}
	if _, data := noteData(t, f, path); data != "Thea's real words." {
		t.Errorf("Thea's draft is now %q", data)
	}
}

// TestCarryOtherUserNotSaved (review finding 1): Thea's text carried from
// her ended session is not saved when Rex signs in on that page, nor shown
// to him; Thea's draft is unchanged, and he is told why.
func TestCarryOtherUserNotSaved(t *testing.T) {
	f := webtest.NewFixture(t)
	path, carry := endedCarryAt(t, f, "Thea's words, session expired: canary-4410.", false)
	got := signInAs(t, f, "rex@example.org", carry)
	if got.Status == http.StatusSeeOther || strings.Contains(got.Body, "canary-4410") || !strings.Contains(got.Body, "not saved under your name") {
		t.Errorf("Rex signing in with Thea's carried draft = %d to %q", got.Status, got.Header.Get("Location"))
	}
	if author, data := noteData(t, f, path); author != "" || data != "" {
		t.Errorf("the note after Rex signed in: author %q, data %q; want no note", author, data)
	}
	if n := len(f.AuditRows("carry.refused")); n != 1 {
		t.Errorf("carry.refused audited %d times, want 1", n)
	}
}

// TestCarryReplayRefused (review finding 1): a carried draft applied once
// is never saved again, even by its own user after a newer draft: the
// text is shown, marked not saved.
func TestCarryReplayRefused(t *testing.T) {
	f := webtest.NewFixture(t)
	path, carry := endedCarry(t, f, "Carried once.")
	first := signInAs(t, f, "thea@example.org", carry)
	if first.Status != http.StatusSeeOther || first.Header.Get("Location") != path+"?done=carried#note" {
		t.Fatalf("first apply = %d to %q", first.Status, first.Header.Get("Location"))
	}
	tok := f.SessionCookie(first)
	r := f.Do("GET", path, nil, tok)
	v := versionRE.FindStringSubmatch(r.Body)
	if v == nil {
		t.Fatal("no version on the note page")
	}
	if r := f.Do("POST", path, noteForm(v[1], "Newer words."), tok); r.Status != http.StatusSeeOther {
		t.Fatalf("newer save = %d", r.Status)
	}
	// The carried draft's version would be stale: make the replay
	// otherwise valid, so only the single use refuses it.
	again := signInAs(t, f, "thea@example.org", carry)
	if again.Status != http.StatusConflict || !strings.Contains(again.Body, "already restored once") || !strings.Contains(again.Body, "Carried once.") {
		t.Errorf("replay = %d to %q", again.Status, again.Header.Get("Location"))
	}
	if _, data := noteData(t, f, path); data != "Newer words." {
		t.Errorf("after the replay the draft is %q", data)
	}
	if n := len(f.AuditRows("carry.replay")); n != 1 {
		t.Errorf("carry.replay audited %d times, want 1", n)
	}
}

// TestCarryLoginDoesNotEcho (review finding 1): the sign-in page passes on
// only a carried draft this server made for a user: an unbound one (the
// old format) or any text is not re-emitted when the credentials are
// empty or wrong.
func TestCarryLoginDoesNotEcho(t *testing.T) {
	f := webtest.NewFixture(t)
	path := pastAppointment(t, f, "integration")
	b, _ := json.Marshal(map[string]any{"path": path, "form": noteForm("1", "ATTACKER TEXT"), "expires": f.Now.Add(time.Hour)})
	unbound, err := f.St.Keyring().SealString(string(b), "kapstone:draft-carry:v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{unbound, "hello", "u1." + unbound} {
		for _, pw := range []string{"", "wrong password"} {
			r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {pw}, "carry": {c}}, "")
			if carryOf(r.Body) != "" || strings.Contains(r.Body, "you go back to the note") {
				t.Errorf("POST /login (password %q) re-emitted the carry %.20q", pw, c)
			}
		}
	}
	// A carried draft the server made is kept on a failed attempt.
	_, carry := endedCarry(t, f, "Keep me through a typo.")
	r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {""}, "carry": {carry}}, "")
	if carryOf(r.Body) != carry {
		t.Error("a failed attempt dropped the carried draft")
	}
}

// TestCarryThroughEnrolment (review finding 2): a clinician who must set
// up a second factor after the password keeps the carried draft through
// the set-up page and the recovery codes, and lands back in the saved note.
func TestCarryThroughEnrolment(t *testing.T) {
	f := webtest.NewFixture(t)
	path, carry := endedCarry(t, f, "Typed before enrolment: canary-5521.")
	thea := f.Users["thea@example.org"]
	if err := f.St.SetTOTP(context.Background(), f.As("admin@example.org"), thea.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {webtest.TestPassword}, "carry": {carry}}, "")
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || carryOf(r.Body) != carry {
		t.Fatalf("password step of a clinician without a second factor = %d to %q, want the set-up page carrying the draft", r.Status, r.Header.Get("Location"))
	}
	half := f.SessionCookie(r)
	code, _ := auth.TOTPCode(strings.ReplaceAll(m[1], " ", ""), f.Now)
	done := f.Do("POST", "/login/mfa/setup", url.Values{"code": {code}, "carry": {carry}}, half)
	if done.Status != http.StatusOK || carryOf(done.Body) != carry || !strings.Contains(done.Body, `action="/login/carry"`) {
		t.Fatalf("set-up = %d, want the recovery codes carrying the draft", done.Status)
	}
	full := f.SessionCookie(done)
	got := f.Do("POST", "/login/carry", url.Values{"carry": {carry}}, full)
	if got.Status != http.StatusSeeOther || got.Header.Get("Location") != path+"?done=carried#note" {
		t.Fatalf("after the codes = %d to %q", got.Status, got.Header.Get("Location"))
	}
	if _, data := noteData(t, f, path); data != "Typed before enrolment: canary-5521." {
		t.Errorf("the draft after enrolment is %q", data)
	}
}

// TestCarryExpiredShown (review finding 2): a carried draft past its time
// is not saved, and its user is shown the text with a clear message,
// never a silent landing on the home page.
func TestCarryExpiredShown(t *testing.T) {
	f := webtest.NewFixture(t)
	path, carry := endedCarry(t, f, "Typed late: canary-6631.")
	f.Now = f.Now.Add(13 * time.Hour)
	got := signInAs(t, f, "thea@example.org", carry)
	if got.Status != http.StatusConflict || !strings.Contains(got.Body, "canary-6631") || !strings.Contains(got.Body, "Not saved yet") {
		t.Errorf("expired carry = %d to %q, want the note with the text, not saved", got.Status, got.Header.Get("Location"))
	}
	if _, data := noteData(t, f, path); data != "Thea's real words." {
		t.Errorf("the expired carry changed the draft to %q", data)
	}
	// One that does not open at all says so.
	bad := []byte(carry)
	bad[len(bad)-3] ^= 1
	r := f.Do("POST", "/login/carry", url.Values{"carry": {string(bad)}}, f.SessionCookie(got))
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "could not be restored") {
		t.Errorf("a carry that does not open, posted after sign-in = %d to %q, want a page saying so", r.Status, r.Header.Get("Location"))
	}
}

// TestCarryHalfSignedIn (review finding 2): a note posted by a session
// that has the password but not yet the second factor is carried through
// the second step, and saved for that user after it.
func TestCarryHalfSignedIn(t *testing.T) {
	f := webtest.NewFixture(t)
	path := pastAppointment(t, f, "integration")
	r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {webtest.TestPassword}}, "")
	half := f.SessionCookie(r)
	posted := f.Do("POST", path, noteForm("0", "Posted half signed in: canary-7712."), half)
	carry := carryOf(posted.Body)
	if posted.Status != http.StatusOK || carry == "" || !strings.Contains(posted.Body, `action="/login/mfa"`) {
		t.Fatalf("half-signed-in post = %d to %q, want the second step carrying it", posted.Status, posted.Header.Get("Location"))
	}
	f.Now = f.Now.Add(31 * time.Second)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	got := f.Do("POST", "/login/mfa", url.Values{"code": {code}, "carry": {carry}}, half)
	if got.Status != http.StatusSeeOther || got.Header.Get("Location") != path+"?done=carried#note" {
		t.Fatalf("second step = %d to %q", got.Status, got.Header.Get("Location"))
	}
	if _, data := noteData(t, f, path); data != "Posted half signed in: canary-7712." {
		t.Errorf("the draft is %q", data)
	}
}
