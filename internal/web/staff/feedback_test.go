package staff_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// formActions are the actions of a page's post forms under /patients/.
var formActions = regexp.MustCompile(`<form method="post" action="(/patients/[^"]*)"`)

// summaryOf is the error summary of the section with id section in body
// ("" when none): the text from the section's opening to its first form.
func summaryOf(t *testing.T, body, section string) string {
	t.Helper()
	i := strings.Index(body, `id="`+section+`"`)
	if i < 0 {
		t.Fatalf("no section %q on the page", section)
	}
	rest := body[i:]
	j := strings.Index(rest, "<form")
	if j < 0 {
		j = len(rest)
	}
	k := strings.Index(rest[:j], "data-error-summary")
	if k < 0 {
		return ""
	}
	return rest[k:j]
}

// checkSummary fails unless body holds the error summary of section, with
// role alert, the heading, and a link to each of fields, each an element
// on the page marked invalid.
func checkSummary(t *testing.T, what, body, section string, fields ...string) {
	t.Helper()
	sum := summaryOf(t, body, section)
	if sum == "" {
		t.Errorf("%s: no error summary at the top of #%s", what, section)
		return
	}
	if !strings.Contains(body, `class="error-summary" role="alert"`) || !strings.Contains(sum, "There is a problem") {
		t.Errorf("%s: the summary lacks role=alert or its heading: %s", what, sum)
	}
	for _, id := range fields {
		if !strings.Contains(sum, `href="#`+id+`"`) {
			t.Errorf("%s: the summary does not link to #%s: %s", what, id, sum)
		}
		if !regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*aria-describedby="` + regexp.QuoteMeta(id) + `-error" aria-invalid="true"`).MatchString(body) {
			t.Errorf("%s: field #%s is missing, or not marked invalid with its error", what, id)
		}
	}
	if n := strings.Count(body, "data-error-summary"); n != 1 {
		t.Errorf("%s: %d error summaries on the page, want 1 (at the form posted)", what, n)
	}
}

// TestChartFormsLandAtTheirForm: every form on the chart carries its
// section's id as a fragment (so the browser lands there on a 422 or a
// 303), and the section exists. A booking clash answers 422 with the error
// summary at the top of the booking form, linking to the field, the input
// kept; a good booking redirects to the booking form with its notice
// there. A clearance without its override reasons answers 422 with the
// summary at the clearance form linking to each override field, the reason
// kept, and nothing shown at the stage form's own "reason" field (before,
// the clearance's error showed there too). Issue 15.
func TestChartFormsLandAtTheirForm(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/intake", webtest.IntakeForm("submit", []string{"mania_history"}, "Xanax 0.5mg"), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("intake = %d", r.Status)
	}
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	base := "/patients/" + f.PA.ID
	checked := 0
	for who, tok := range map[string]string{"therapist": thea, "prescriber": rex} {
		page := f.Do("GET", base, nil, tok)
		actions := formActions.FindAllStringSubmatch(page.Body, -1)
		if len(actions) < 5 {
			t.Fatalf("%s's chart has %d forms, want the chart's forms", who, len(actions))
		}
		for _, a := range actions {
			_, frag, ok := strings.Cut(a[1], "#")
			if !ok || !strings.Contains(page.Body, `id="`+frag+`"`) {
				t.Errorf("%s's chart: form %q does not land at a section of the page", who, a[1])
			}
			checked++
		}
		for _, id := range []string{"screening", "clearance", "team", "stage", "appointments", "measures", "consult"} {
			if !strings.Contains(page.Body, `<a href="#`+id+`">`) {
				t.Errorf("%s's chart: the section index has no link to #%s", who, id)
			}
		}
	}
	t.Logf("%d chart forms checked", checked)

	// A booking, then the same time again: a clash.
	at := f.Now.Add(72 * time.Hour).Format("2006-01-02T15:04")
	book := url.Values{"kind": {"follow_up"}, "starts_at": {at}}
	r := f.Do("POST", base+"/appointments", book, thea)
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != base+"?done=appointments#book" {
		t.Fatalf("booking = %d to %q, want 303 to the booking form", r.Status, loc)
	}
	done := f.Do("GET", strings.TrimSuffix(r.Header.Get("Location"), "#book"), nil, thea)
	if i, j := strings.Index(done.Body, `id="book"`), strings.Index(done.Body, `<p class="notice form-notice" role="status" id="book-notice">Appointment booked.</p>`); i < 0 || j < i || strings.Contains(done.Body[:i], "Appointment booked.") {
		t.Error("the booking's notice is not at the booking form (alone)")
	}
	r = f.Do("POST", base+"/appointments", book, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This patient already has") {
		t.Fatalf("a clash = %d, want 422 saying why", r.Status)
	}
	checkSummary(t, "booking clash", r.Body, "book", "ap-start")
	if !strings.Contains(r.Body, `id="ap-start" name="starts_at" aria-describedby="ap-start-error" aria-invalid="true" type="datetime-local" value="`+at+`"`) || !strings.Contains(r.Body, `<option value="follow_up" data-minutes="50" selected>`) {
		t.Error("the clash lost what was typed")
	}

	// The clearance without the override reasons.
	reason := "BP 118/76; will hold alprazolam 24 h before dosing."
	r = f.Do("POST", base+"/clearance", url.Values{"decision": {"cleared"}, "reason": {reason}}, rex)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("clearance without overrides = %d, want 422", r.Status)
	}
	keys := regexp.MustCompile(`name="override_([a-z0-9.-]+)"`).FindAllStringSubmatch(r.Body, -1)
	if len(keys) != 2 {
		t.Fatalf("%d override fields, want 2", len(keys))
	}
	checkSummary(t, "clearance without overrides", r.Body, "clear", "o-"+keys[0][1], "o-"+keys[1][1])
	if !strings.Contains(r.Body, `name="reason" rows="3">`+reason+`</textarea>`) {
		t.Error("the clearance's reason is not kept")
	}
	if strings.Contains(r.Body, `id="stage-reason-error"`) || strings.Contains(r.Body, `name="reason" rows="2" aria-`) || strings.Contains(r.Body, `rows="2">`+reason) {
		t.Error("the clearance's error or input shows at the stage form's reason too")
	}
	// A clearance with no reason: the summary links to the reason.
	r = f.Do("POST", base+"/clearance", url.Values{"decision": {"cleared"}}, rex)
	checkSummary(t, "clearance without a reason", r.Body, "clear", "clear-reason")
	if stage := r.Body[strings.Index(r.Body, `id="stage"`):strings.Index(r.Body, `id="appointments"`)]; strings.Contains(stage, "field-error") {
		t.Error("the clearance's missing reason is reported at the stage form too")
	}

	// With the overrides: recorded, the notice at the clearance form, and
	// each override shown with its flag.
	form := url.Values{"decision": {"cleared"}, "reason": {reason},
		"override_" + keys[0][1]: {"Low-dose PRN alprazolam; patient agrees to hold it 24 h before and after each session."},
		"override_" + keys[1][1]: {"Bipolar II, euthymic since 2021 on lamotrigine; psychiatrist agrees."}}
	r = f.Do("POST", base+"/clearance", form, rex)
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != base+"?done=clearance#clear" {
		t.Fatalf("clearance = %d to %q, want 303 to the clearance form", r.Status, loc)
	}
	if p := f.Do("GET", base+"?done=clearance", nil, rex); !strings.Contains(p.Body, `id="clear-notice">Clearance decision recorded.`) {
		t.Error("the clearance's notice is not at the clearance form")
	}
	for who, tok := range map[string]string{"therapist": thea, "prescriber": rex} {
		page := f.Do("GET", base, nil, tok).Body
		flags := page[strings.Index(page, `<ul class="flags">`):]
		flags = flags[:strings.Index(flags, "</ul>")]
		for _, k := range keys {
			why := form.Get("override_" + k[1])
			li := regexp.MustCompile(`<li class="flag flag-exclude">(?:[^<]|<[^/]|</[^l])*?` + regexp.QuoteMeta(why)).FindString(flags)
			if li == "" || !strings.Contains(li, "Overridden</strong> by Rex") {
				t.Errorf("%s's chart: the override %q is not shown with its flag, by the prescriber: %s", who, why, flags)
			}
		}
	}
}

// TestDosingSavesLandAtTheirForm: each form of the session page carries its
// section's fragment; a vitals entry redirects back to the vitals form
// with its notice there, and a refused one answers 422 with the summary at
// the vitals form linking to the field. Issue 15.
func TestDosingSavesLandAtTheirForm(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.PassGate("sertraline 50 mg")
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200 mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusSeeOther || r.Header.Get("Location") != path+"?done=dose#session" {
		t.Fatalf("dose = %d to %q", r.Status, r.Header.Get("Location"))
	}
	page := f.Do("GET", path+"?done=dose", nil, thea).Body
	for _, a := range formActions.FindAllStringSubmatch(page, -1) {
		if _, frag, ok := strings.Cut(a[1], "#"); !ok || !strings.Contains(page, `id="`+frag+`"`) {
			t.Errorf("session form %q does not land at a section of the page", a[1])
		}
	}
	if !strings.Contains(page, `class="session-bar" id="session"`) || !strings.Contains(page, `href="#vitals"`) || !strings.Contains(page, `id="session-notice">Dose recorded.`) {
		t.Error("the session bar (with the way to the vitals) or the dose's notice is missing")
	}
	if i, j := strings.Index(page, `id="vitals"`), strings.Index(page, `class="card prefs"`); i < 0 || j < i {
		t.Error("the vitals form is not near the top of the session page")
	}
	r := f.Do("POST", path+"/vitals", url.Values{"phase": {"after_dose"}, "bp": {"138/88"}, "heart_rate": {"84"}, "client_id": {"v-1"}}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != path+"?done=vitals#vitals" {
		t.Fatalf("vitals = %d to %q, want 303 back to the vitals form", r.Status, r.Header.Get("Location"))
	}
	if p := f.Do("GET", path+"?done=vitals", nil, thea).Body; !strings.Contains(p, `id="vitals-notice">Vitals saved.`) {
		t.Error("the vitals' notice is not at the vitals form")
	}
	r = f.Do("POST", path+"/vitals", url.Values{"phase": {"after_dose"}, "bp": {"1380/88"}, "client_id": {"v-2"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(summaryOf(t, r.Body, "vitals"), `href="#v-bp"`) || !strings.Contains(r.Body, `value="1380/88"`) {
		t.Errorf("a refused reading = %d, want 422 with the summary at the vitals form, linking to the field, input kept", r.Status)
	}
}

// TestIntakeAndSettingsSummaries: the staff intake and the session safety
// settings, refused, open with the error summary linking to each field in
// error (an existing element on the page). Issue 15.
func TestIntakeAndSettingsSummaries(t *testing.T) {
	f := webtest.NewFixture(t)
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	form := webtest.IntakeForm("submit", nil)
	var missing string
	for k := range form {
		if strings.HasPrefix(k, "q_") {
			missing = k
			break
		}
	}
	form.Del(missing)
	r := f.Do("POST", "/patients/"+f.PA.ID+"/intake", form, thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("intake without %s = %d, want 422", missing, r.Status)
	}
	sum := summaryOf(t, r.Body, "intake-form")
	if sum == "" {
		// The summary sits just above the form.
		i := strings.Index(r.Body, "data-error-summary")
		if i < 0 || i > strings.Index(r.Body, `id="intake-form"`) {
			t.Fatal("the refused intake has no error summary above its form")
		}
		sum = r.Body[i:strings.Index(r.Body, `id="intake-form"`)]
	}
	if !strings.Contains(sum, `href="#`+missing+`"`) || !strings.Contains(r.Body, `id="`+missing+`"`) {
		t.Errorf("the intake's summary does not link to the unanswered question %s: %s", missing, sum)
	}
	r = f.Do("POST", "/settings/dosing", url.Values{"bp_hold": {"abc"}}, rex)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("settings with a bad number = %d, want 422", r.Status)
	}
	if sum := summaryOf(t, r.Body, "settings"); !regexp.MustCompile(`href="#s-[a-z_]+"`).MatchString(sum) {
		t.Errorf("the settings' summary does not link to a field: %s", sum)
	}
}

// TestPreparationSummary: a refused preparation record on the chart opens
// with the error summary in the preparation section, linking to the field.
func TestPreparationSummary(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	r := f.Do("POST", "/patients/"+f.PA.ID+"/preparation", url.Values{"support_phone": {"call my sister"}, "touch": {"none"}}, thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("preparation with a bad phone = %d, want 422", r.Status)
	}
	sum := summaryOf(t, r.Body, "preparation")
	m := regexp.MustCompile(`href="#([a-z-]*support-phone)"`).FindStringSubmatch(sum)
	if m == nil || !strings.Contains(r.Body, `id="`+m[1]+`"`) {
		t.Errorf("the preparation's summary does not link to the phone field: %s", sum)
	}
}
