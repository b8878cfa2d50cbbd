package notes_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// pastAppointment inserts an appointment of kind for patient A with Thea,
// an hour before the fixture's now, and returns the note page's path.
func pastAppointment(t *testing.T, f *webtest.Fixture, kind string) string {
	t.Helper()
	id := store.NewID()
	at := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }
	if _, err := f.RawDB().Exec(`INSERT INTO appointments (id, patient_id, kind, starts_at, minutes, clinician_id, created_by, created_at) VALUES ($1, $2, $3, $4, 50, $5, $5, $6)`,
		id, f.PA.ID, kind, at(f.Now.Add(-time.Hour)), f.Users["thea@example.org"].ID, at(f.Now.Add(-48*time.Hour))); err != nil {
		t.Fatal(err)
	}
	return "/patients/" + f.PA.ID + "/appointments/" + id + "/note"
}

func noteForm(version, data string) url.Values {
	return url.Values{"format": {"dap"}, "version": {version}, "section_data": {data}, "section_assessment": {"Ready."}, "section_plan": {"Dosing on Friday."}}
}

// TestNotePage: a therapist writes a note from the appointment, saves it
// without JavaScript and in the background, is refused a stale save with
// both texts shown, signs it with the attestation, and then nothing
// changes it: every route answers without changing it; an addendum shows
// under it with its own signature.
func TestNotePage(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	path := pastAppointment(t, f, "preparation")

	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+path+`">Write note</a>`) || !strings.Contains(chart.Body, `id="notes"`) {
		t.Fatal("the chart has no Write note link on the appointment or no Notes section")
	}
	if day := f.Do("GET", "/calendar?day="+f.Now.Format("2006-01-02"), nil, thea); !strings.Contains(day.Body, `href="`+path+`">Note</a>`) {
		t.Error("the day view has no Note link on the appointment")
	}
	r := f.Do("GET", path, nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("GET note = %d", r.Status)
	}
	webtest.CheckShell(t, "note", r)
	for _, want := range []string{"Preparation note", `<label for="section_data">Data</label>`, "Intentions, fears and expectations", "Sign note", `name="attest"`, "data-note-autosave"} {
		if !strings.Contains(html.UnescapeString(r.Body), want) {
			t.Errorf("note page lacks %q", want)
		}
	}

	// Save draft without JavaScript: 303 back to the note.
	r = f.Do("POST", path, noteForm("0", "Talked about intentions."), thea)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), path+"?done=saved") {
		t.Fatalf("Save draft = %d to %q", r.Status, r.Header.Get("Location"))
	}
	// Autosave: JSON that says saved, with the new version.
	auto := noteForm("1", "Talked about intentions and fears.")
	auto.Set("autosave", "1")
	r = f.Do("POST", path, auto, thea)
	var saved struct {
		Saved   bool
		Version int
		At      string
		Message string
	}
	if err := json.Unmarshal([]byte(r.Body), &saved); err != nil || r.Status != http.StatusOK || !saved.Saved || saved.Version != 2 || saved.At == "" {
		t.Fatalf("autosave = %d %s", r.Status, r.Body)
	}
	// A stale autosave says not saved.
	r = f.Do("POST", path, auto, thea)
	if err := json.Unmarshal([]byte(r.Body), &saved); err != nil || r.Status != http.StatusConflict || saved.Saved || saved.Message == "" {
		t.Errorf("stale autosave = %d %s", r.Status, r.Body)
	}
	// A stale page save: refused, the typed text kept, the saved one shown.
	r = f.Do("POST", path, noteForm("1", "Typed in an old tab."), thea)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Typed in an old tab.") || !strings.Contains(r.Body, "Talked about intentions and fears.") || !strings.Contains(r.Body, `name="version" value="2"`) {
		t.Errorf("stale save = %d; want 409 with both texts and the new version", r.Status)
	}
	// Signing without the attestation: 422 at the box, text kept.
	r = f.Do("POST", path+"/sign", noteForm("2", "Final text."), thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="attest-error"`) || !strings.Contains(r.Body, "Final text.") {
		t.Errorf("sign without attesting = %d", r.Status)
	}
	sign := noteForm("2", "Final text.")
	sign.Set("attest", "yes")
	r = f.Do("POST", path+"/sign", sign, thea)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign = %d %s", r.Status, r.Body)
	}
	r = f.Do("GET", path, nil, thea)
	body := html.UnescapeString(r.Body)
	for _, want := range []string{"Signed by Thea Therapist", "sha256:", "Verified: the note is as signed", "Final text.", "Sign and add the addendum"} {
		if !strings.Contains(body, want) {
			t.Errorf("signed note page lacks %q", want)
		}
	}
	if strings.Contains(body, "<textarea id=\"section_data\"") || strings.Contains(body, "Sign note") {
		t.Error("a signed note still shows its form")
	}

	// Every route that writes a note leaves a signed one as it is.
	for _, try := range []struct {
		path string
		form url.Values
	}{
		{path, noteForm("3", "Changed after signing.")},
		{path, noteForm("2", "Changed after signing.")},
		{path, func() url.Values { v := noteForm("3", "Changed after signing."); v.Set("autosave", "1"); return v }()},
		{path + "/sign", func() url.Values { v := noteForm("3", "Changed after signing."); v.Set("attest", "yes"); return v }()},
		{path + "/addenda", url.Values{"kind": {"rewrite"}, "body": {"Changed after signing."}}},
	} {
		r := f.Do("POST", try.path, try.form, thea)
		if r.Status < 400 {
			t.Errorf("POST %s %v = %d, want a refusal", try.path, try.form, r.Status)
		}
	}
	r = f.Do("GET", path, nil, thea)
	if strings.Contains(r.Body, "Changed after signing.") || !strings.Contains(r.Body, "Verified: the note is as signed") {
		t.Error("a signed note changed")
	}

	// An addendum: under the original, with its own signature.
	rex := f.SignIn("rex@example.org")
	r = f.Do("POST", path+"/addenda", url.Values{"kind": {"clarification"}, "body": {"No medication change was discussed."}}, rex)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("addendum = %d %s", r.Status, r.Body)
	}
	r = f.Do("GET", path, nil, thea)
	body = html.UnescapeString(r.Body)
	orig, add := strings.Index(body, "Final text."), strings.Index(body, "No medication change was discussed.")
	if orig < 0 || add < orig || !strings.Contains(body[add:], "Signed by Rex Prescriber") || strings.Count(body, "sha256:") != 2 {
		t.Error("the addendum is not under the original with its own signature and hash")
	}

	// Nobody outside the care team reads or writes it: admin, a therapist
	// off the team, emergency access, the patient.
	f.InsertEmergencyGrant(f.PA.ID, f.Users["theo@example.org"].ID)
	for _, who := range []string{"admin@example.org", "theo@example.org", "pat@example.org"} {
		tok := f.SignIn(who)
		if r := f.Do("GET", path, nil, tok); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Final text.") {
			t.Errorf("GET note as %s = %d", who, r.Status)
		}
		if r := f.Do("POST", path+"/addenda", url.Values{"kind": {"correction"}, "body": {"x"}}, tok); r.Status != http.StatusNotFound {
			t.Errorf("addendum as %s = %d", who, r.Status)
		}
	}
	// The chart's list shows it, signed, with its addendum.
	chart = f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "note-signed") || !strings.Contains(chart.Body, "1 addendum") || !strings.Contains(chart.Body, ">Open note</a>") {
		t.Error("the chart's Notes section does not list the signed note")
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/notes", nil, thea); r.Status != http.StatusOK || !strings.Contains(r.Body, "note-signed") {
		t.Errorf("notes list = %d", r.Status)
	}
}

// TestNoteDraftCarriedThroughSignIn: a draft posted after the session
// ended is kept through sign-in (password, then the second factor) and
// saved as the clinician's draft, who lands back in the note with the
// text. A changed carried draft is never saved; a caller with no session
// at all is sent to sign in as before.
func TestNoteDraftCarriedThroughSignIn(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	path := pastAppointment(t, f, "follow_up")
	soap := url.Values{"format": {"soap"}, "version": {"0"}, "section_subjective": {"Autosaved before the session ended."}}
	if r := f.Do("POST", path, soap, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}

	// The session ends (idle), and the clinician presses Save draft.
	f.Now = f.Now.Add(f.Srv.Config.IdleStaff + time.Minute)
	typed := url.Values{"format": {"soap"}, "version": {"1"}, "section_subjective": {"Typed after the session ended: keep me."}, "section_plan": {"Plan text."}}
	r := f.Do("POST", path, typed, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="carry"`) || !strings.Contains(r.Body, "you go back to the note") {
		t.Fatalf("draft after the session ended = %d (%q); want the sign-in page carrying it", r.Status, r.Header.Get("Location"))
	}
	if strings.Contains(r.Body, "keep me") {
		t.Error("the sign-in page shows the note's text in clear")
	}
	carry := regexp.MustCompile(`name="carry" value="([^"]+)"`).FindStringSubmatch(r.Body)[1]
	carry = html.UnescapeString(carry)

	// A changed carry opens nowhere: the password step does not pass it on.
	bad := []byte(carry)
	bad[len(bad)-3] ^= 1
	if r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {webtest.TestPassword}, "carry": {string(bad)}}, ""); strings.Contains(r.Body, `name="carry"`) {
		t.Error("a changed carried draft was passed on by the password step")
	}
	// With no cookie at all nothing is carried (review finding 1): the
	// note's form and an empty post are both sent to sign in.
	for _, form := range []url.Values{typed, {}} {
		if r := f.Do("POST", path, form, ""); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" || strings.Contains(r.Body, `name="carry"`) {
			t.Errorf("post with no session = %d to %q", r.Status, r.Header.Get("Location"))
		}
	}

	got := signInCarrying(t, f, carry)
	if got.Status != http.StatusSeeOther || got.Header.Get("Location") != path+"?done=carried#note" {
		t.Fatalf("sign-in carrying the draft = %d to %q", got.Status, got.Header.Get("Location"))
	}
	tok := f.SessionCookie(got)
	r = f.Do("GET", path+"?done=carried", nil, tok)
	if !strings.Contains(r.Body, "Typed after the session ended: keep me.") || !strings.Contains(r.Body, "saved as a draft") || !strings.Contains(r.Body, `name="version" value="2"`) {
		t.Errorf("the note after sign-in lacks the carried text (status %d)", r.Status)
	}
	if n := len(f.AuditRows("note.draft")); n != 2 {
		t.Errorf("note.draft audited %d times, want 2", n)
	}
	// The same carry again (a replayed page): refused, the text shown.
	again := signInCarrying(t, f, carry)
	if again.Status != http.StatusConflict || !strings.Contains(again.Body, "keep me.") || !strings.Contains(again.Body, "already restored once") {
		t.Errorf("replayed carry = %d", again.Status)
	}
}

// signInCarrying signs Thea in through the password and second-factor
// steps with carry in the forms, and returns the last answer.
func signInCarrying(t *testing.T, f *webtest.Fixture, carry string) webtest.Response {
	t.Helper()
	r := f.Do("POST", "/login", url.Values{"email": {"thea@example.org"}, "password": {webtest.TestPassword}, "carry": {carry}}, "")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="carry"`) {
		t.Fatalf("password step carrying = %d", r.Status)
	}
	f.Now = f.Now.Add(31 * time.Second)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	return f.Do("POST", "/login/mfa", url.Values{"code": {code}, "carry": {carry}}, f.SessionCookie(r))
}

// TestNoteLinksItsRecords: a dosing note shows the session's dose, vitals
// and duration live from the session record (not copied into the note);
// an integration note shows the journal entries the patient shared, with
// a button to quote one, and never a private one.
func TestNoteLinksItsRecords(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	dosing := pastAppointment(t, f, "dosing")
	apptID := strings.Split(dosing, "/")[4]
	session := f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(-time.Hour))
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET appointment_id = $1, dose_amount = '175 mg', dose_route = 'sublingual' WHERE id = $2`, apptID, session); err != nil {
		t.Fatal(err)
	}
	r := f.Do("GET", dosing, nil, thea)
	body := html.UnescapeString(r.Body)
	for _, want := range []string{"Session record", "175 mg", "not copied into the note", `href="/patients/` + f.PA.ID + `/dosing/` + session + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dosing note page lacks %q", want)
		}
	}
	if ta := body[strings.Index(body, `<textarea id="section_objective"`):]; strings.Contains(ta[:strings.Index(ta, "</textarea>")], "175 mg") {
		t.Error("the dose was copied into the note's text")
	}
	// The session record changes; the note page shows the record as it is now.
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET dose_amount = '150 mg' WHERE id = $1`, session); err != nil {
		t.Fatal(err)
	}
	if r := f.Do("GET", dosing, nil, thea); !strings.Contains(r.Body, "150 mg") {
		t.Error("the dosing note does not read the session record live")
	}

	integration := pastAppointment(t, f, "integration")
	pat := f.As("pat@example.org")
	if _, err := f.St.SaveJournalEntry(t.Context(), pat, f.PA.ID, store.JournalInput{Answers: map[string]string{"stood_out": "PRIVATE-canary-5512"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SaveJournalEntry(t.Context(), pat, f.PA.ID, store.JournalInput{Answers: map[string]string{"carry": "The light on the water."}, Shared: true}); err != nil {
		t.Fatal(err)
	}
	r = f.Do("GET", integration, nil, thea)
	body = html.UnescapeString(r.Body)
	if !strings.Contains(body, "Shared from the journal") || !strings.Contains(body, "The light on the water.") || !strings.Contains(body, `data-quote="data"`) {
		t.Error("the integration note does not show the shared entry with its quote button")
	}
	if strings.Contains(body, "PRIVATE-canary-5512") {
		t.Error("the integration note shows a private journal entry")
	}
}
