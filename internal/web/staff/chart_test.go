package staff_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestIntakeToClearance: a patient completes intake in the portal; the
// therapist and the prescriber see the flags with reasons; nothing moves to
// preparation or dosing before clearance; the prescriber clears with an
// override reason; the audit log holds each step.
func TestIntakeToClearance(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/portal/intake", nil, pat); r.Status != http.StatusOK || !strings.Contains(r.Body, "q_psychosis_history") {
		t.Fatalf("portal intake form = %d, want the questions", r.Status)
	}
	// Save a draft, come back, then send.
	draft := webtest.IntakeForm("save", []string{"mania_history"}, "xanax 0.5mg")
	if r := f.Do("POST", "/portal/intake", draft, pat); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "saved=draft") {
		t.Fatalf("save draft = %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := f.Do("GET", "/portal/intake", nil, pat); !strings.Contains(r.Body, `value="xanax 0.5mg"`) {
		t.Fatal("resumed intake lost the draft's medication")
	}
	thea := f.SignIn("thea@example.org")
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, "No intake submitted yet") {
		t.Error("a draft was screened as if submitted")
	}
	sent := webtest.IntakeForm("submit", []string{"mania_history"}, "Xanax 0.5mg", "Lamictal 100 mg", "sertraline")
	if r := f.Do("POST", "/portal/intake", sent, pat); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "saved=submitted") {
		t.Fatalf("submit = %d to %q", r.Status, r.Header.Get("Location"))
	}

	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	for _, want := range []string{"flag-exclude", "alprazolam", "benzodiazepine", "flag-caution", "lamotrigine", "Source:"} {
		if !strings.Contains(strings.ToLower(chart.Body), strings.ToLower(want)) {
			t.Errorf("therapist's chart lacks %q", want)
		}
	}
	// Screening and medical evaluation are open; preparation needs clearance.
	for _, stage := range []string{"screening", "medical_evaluation"} {
		if r := f.Do("POST", "/patients/"+f.PA.ID+"/stage", url.Values{"stage": {stage}}, thea); r.Status != http.StatusSeeOther {
			t.Fatalf("move to %s = %d", stage, r.Status)
		}
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/stage", url.Values{"stage": {"preparation"}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "evaluation does not yet recommend") {
		t.Fatalf("preparation before the evaluation = %d, want 422 saying why", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/evaluation", url.Values{"recommendation": {"suitable"}, "summary": {"Stable bipolar II since 2021; good support."}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("evaluation = %d", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/stage", url.Values{"stage": {"preparation"}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not cleared") {
		t.Fatalf("preparation before clearance = %d, want 422 saying why", r.Status)
	}
	book := url.Values{"kind": {"dosing"}, "starts_at": {f.Now.Add(72 * time.Hour).Format("2006-01-02T15:04")}, "minutes": {"180"}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", book, thea); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("dosing appointment before clearance = %d, want 422", r.Status)
	}
	if n := len(f.AuditRows("gate.refused")); n != 3 {
		t.Errorf("%d gate.refused audit rows, want 3 (two stage moves and a booking)", n)
	}

	rex := f.SignIn("rex@example.org")
	rchart := f.Do("GET", "/patients/"+f.PA.ID, nil, rex)
	keys := regexp.MustCompile(`name="override_([a-z0-9.-]+)"`).FindAllStringSubmatch(rchart.Body, -1)
	if len(keys) != 2 {
		t.Fatalf("prescriber's clearance form has %d override fields, want 2 (the benzodiazepine and the history of mania)", len(keys))
	}
	noOverride := url.Values{"decision": {"cleared"}, "reason": {"BP 118/76; will hold alprazolam 24 h before dosing."}}
	r := f.Do("POST", "/patients/"+f.PA.ID+"/clearance", noOverride, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "write why this exclusion does not apply") || !strings.Contains(r.Body, "BP 118/76") {
		t.Fatalf("clearing without an override = %d, want 422 at the flag, keeping the reason typed", r.Status)
	}
	oneOverride := url.Values{"decision": {"cleared"}, "reason": {noOverride.Get("reason")}, "override_" + keys[0][1]: {"Low-dose PRN alprazolam; patient agrees to hold it 24 h before and after each session."}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/clearance", oneOverride, rex); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("clearing with one of two overrides = %d, want 422", r.Status)
	}
	withOverride := url.Values{"decision": {"cleared"}, "reason": {noOverride.Get("reason")}, "override_" + keys[0][1]: {oneOverride.Get("override_" + keys[0][1])}, "override_" + keys[1][1]: {"Bipolar II, euthymic since 2021 on lamotrigine; psychiatrist agrees."}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/clearance", withOverride, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("clearance with override = %d, want 303", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/stage", url.Values{"stage": {"preparation"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("preparation after clearance = %d, want 303", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", book, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dosing appointment after clearance = %d, want 303", r.Status)
	}
	// A new intake (a new medication) makes the clearance stale again.
	changed := webtest.IntakeForm("submit", []string{"mania_history"}, "Xanax 0.5mg", "Lamictal 100 mg", "sertraline", "Adderall XR 20mg")
	if r := f.Do("POST", "/portal/intake", changed, pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", book, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "intake changed") {
		t.Fatalf("dosing appointment after a new intake = %d, want 422 (clearance predates it)", r.Status)
	}

	for _, action := range []string{"intake.save", "intake.submit", "chart.read", "course.stage", "evaluation.save", "clearance.record", "clearance.override", "appointment.create"} {
		found := false
		for _, e := range f.AuditRows(action) {
			found = found || (e.PatientID == f.PA.ID && e.Outcome == "success")
		}
		if !found {
			t.Errorf("audit log has no %s row for patient A", action)
		}
	}
	for _, e := range f.AuditRows("") {
		if strings.Contains(e.Detail, "alprazolam") || strings.Contains(e.Detail, "Xanax") {
			t.Errorf("audit row %d holds clinical text: %q", e.Seq, e.Detail)
		}
	}
}

// TestDosingGateInStore: the store refuses a dosing appointment for an
// uncleared patient whatever the caller is, by a direct call.
func TestDosingGateInStore(t *testing.T) {
	f := webtest.NewFixture(t)
	ap := &store.Appointment{Kind: "dosing", StartsAt: f.Now.Add(48 * time.Hour), Minutes: 180}
	err := f.St.CreateAppointment(t.Context(), f.As("thea@example.org"), f.PA.ID, ap)
	if err == nil || !strings.Contains(err.Error(), "clearance gate") {
		t.Fatalf("CreateAppointment(dosing, uncleared) = %v, want refused by the gate", err)
	}
	prep := &store.Appointment{Kind: "preparation", StartsAt: f.Now.Add(48 * time.Hour), Minutes: 60}
	if err := f.St.CreateAppointment(t.Context(), f.As("thea@example.org"), f.PA.ID, prep); err != nil {
		t.Fatalf("preparation appointment without clearance: %v, want allowed", err)
	}
}

func TestChartBadInput(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	long := strings.Repeat("x", 5000)
	form := webtest.IntakeForm("submit", nil, long, `<script>alert("x")</script>`)
	form.Set("goals", `<img src=x onerror=alert(1)>`)
	r := f.Do("POST", "/portal/intake", form, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "use at most 120 characters") {
		t.Fatalf("5,000-character medication = %d, want 422 at the field", r.Status)
	}
	if !strings.Contains(r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") || strings.Contains(r.Body, `<script>alert("x")`) {
		t.Error("script in a medication line is not escaped, or was lost")
	}
	if !strings.Contains(r.Body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("goals text not kept escaped")
	}
	thea := f.SignIn("thea@example.org")
	p, _, _ := f.St.FindPatient(t.Context(), f.As("thea@example.org"), f.PA.ID)
	details := url.Values{"display_name": {webtest.CanaryA}, "version": {"1"}}
	for _, tt := range []struct{ date, msg string }{
		{"2031-01-01", "cannot be in the future"},
		{"1826-01-01", "older than 120"},
		{"01/02/1990", "year-month-day"},
	} {
		details.Set("birth_date", tt.date)
		r := f.Do("POST", "/patients/"+p.ID+"/details", details, thea)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tt.msg) || !strings.Contains(r.Body, `value="`+tt.date+`"`) {
			t.Errorf("birth date %s = %d, want 422 saying %q and keeping it", tt.date, r.Status, tt.msg)
		}
	}
	details.Set("birth_date", "1990-02-01")
	details.Set("phone", "call me maybe")
	if r := f.Do("POST", "/patients/"+p.ID+"/details", details, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter a phone number") {
		t.Errorf("bad phone = %d, want 422", r.Status)
	}
	details.Set("phone", "+1 555 010 2345")
	details.Set("legal_name", `"><script>alert(1)</script>`)
	if r := f.Do("POST", "/patients/"+p.ID+"/details", details, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("good details = %d, want 303", r.Status)
	}
	// A second save from the same stale form is a conflict, not an overwrite.
	if r := f.Do("POST", "/patients/"+p.ID+"/details", details, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Someone else changed") {
		t.Errorf("stale details form = %d, want 422 conflict", r.Status)
	}
	chart := f.Do("GET", "/patients/"+p.ID, nil, thea)
	if strings.Contains(chart.Body, "<script>alert(1)") || !strings.Contains(chart.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("legal name with a script is not escaped on the chart")
	}
}

func TestCaseloadSearchAndConsult(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/patients?q=canary-alp", nil, thea); !strings.Contains(r.Body, webtest.CanaryA) {
		t.Error("search by part of the name (other case) misses patient A")
	}
	if r := f.Do("GET", "/patients?q=%25", nil, thea); strings.Contains(r.Body, webtest.CanaryA) {
		t.Error("a % in the search matched everything")
	}
	if r := f.Do("GET", "/patients?stage=screening", nil, thea); strings.Contains(r.Body, webtest.CanaryA) {
		t.Error("stage filter shows a patient at inquiry")
	}
	if r := f.Do("GET", "/patients?stage=bogus", nil, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown stage filter = %d, want 422", r.Status)
	}
	rex := f.SignIn("rex@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/consult", url.Values{"body": {"Could you check her BP history before clearance?"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("consult post = %d", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, rex); !strings.Contains(r.Body, "1 new consult message") {
		t.Error("prescriber's caseload does not show the new consult message")
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID, nil, rex); !strings.Contains(r.Body, "Could you check her BP history") {
		t.Error("prescriber's chart does not show the consult message")
	}
	if r := f.Do("GET", "/patients", nil, rex); strings.Contains(r.Body, "new consult message") {
		t.Error("consult message still unread after the prescriber opened the chart")
	}
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/portal", nil, pat); strings.Contains(r.Body, "Could you check") {
		t.Error("the patient sees the consult thread")
	}
}

func TestMedicationLookup(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	r := f.Do("GET", "/medications/lookup?q="+url.QueryEscape("Adderall XR 20mg"), nil, pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"recognised":true`) || !strings.Contains(r.Body, `"level":"exclude"`) {
		t.Fatalf("lookup Adderall XR = %d %s", r.Status, r.Body)
	}
	r = f.Do("GET", "/medications/lookup?q=my+blue+pill", nil, pat)
	if !strings.Contains(r.Body, `"recognised":false`) {
		t.Errorf("lookup of junk = %s, want recognised false", r.Body)
	}
	// A mixed line keeps what was not read: a medicine described but not
	// named, and a short code (issue 12, defect 8).
	r = f.Do("GET", "/medications/lookup?q="+url.QueryEscape("Zoloft, water pill"), nil, pat)
	if !strings.Contains(r.Body, `"recognised":true`) || !strings.Contains(r.Body, `"vague":["water pill"]`) {
		t.Errorf("lookup of Zoloft, water pill = %s, want sertraline and vague [water pill]", r.Body)
	}
	r = f.Do("GET", "/medications/lookup?q="+url.QueryEscape("sertraline, MB"), nil, pat)
	if !strings.Contains(r.Body, `"unmatched":["mb"]`) {
		t.Errorf("lookup of sertraline, MB = %s, want unmatched [mb]", r.Body)
	}
	if r := f.Do("GET", "/medications/lookup?q=xanax", nil, ""); r.Status != http.StatusSeeOther {
		t.Errorf("lookup signed out = %d, want 303", r.Status)
	}
}

// TestIntakeMixedMedicationLines: words that were not read on a mixed
// medication line (issue 12, defect 8) reach the care team: the chart's
// flags and the staff's intake page name them, and the patient is asked
// which medicine a vague one is.
func TestIntakeMixedMedicationLines(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	sent := webtest.IntakeForm("submit", nil, "Zoloft, water pill", "sertraline, MB", "Lexapro 10 mg and procarbazine")
	if r := f.Do("POST", "/portal/intake", sent, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("submit = %d", r.Status)
	}
	if r := f.Do("GET", "/portal/intake", nil, pat); !strings.Contains(r.Body, "Recognised: sertraline; which medicine is “water pill”?") {
		t.Error("the patient's form does not ask which medicine the water pill is")
	}
	thea := f.SignIn("thea@example.org")
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	for _, want := range []string{
		"&#34;water pill&#34; does not say which medicine: ask which one",
		"&#34;mb&#34; not recognised: review it",
		"&#34;procarbazine&#34; not recognised: review it",
	} {
		if !strings.Contains(chart.Body, want) {
			t.Errorf("the chart lacks the flag %q", want)
		}
	}
	page := f.Do("GET", "/patients/"+f.PA.ID+"/intake", nil, thea)
	for _, want := range []string{
		"sertraline; not named: ask which medicine “water pill” is",
		"sertraline; not recognised: “mb”",
		"escitalopram; not recognised: “procarbazine”",
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the staff intake page lacks %q", want)
		}
	}
}

// TestIntakeFrequencyScreened: a medicine typed in a medication's
// frequency field reaches the chart's flags (H4).
func TestIntakeFrequencyScreened(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	sent := webtest.IntakeForm("submit", nil, "Lexapro", "Sertraline")
	sent.Set("med_dose_0", "10 mg")
	sent.Set("med_frequency_0", "daily, and Xanax at night")
	sent.Set("med_frequency_1", "every other day")
	if r := f.Do("POST", "/portal/intake", sent, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("submit = %d", r.Status)
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("thea@example.org"))
	if want := "&#34;Lexapro 10 mg daily, and Xanax at night&#34; is alprazolam (N05BA12), a benzodiazepine"; !strings.Contains(chart.Body, want) {
		t.Errorf("the chart lacks the flag %q", want)
	}
	if strings.Contains(chart.Body, "not recognised") || strings.Contains(chart.Body, "does not say which medicine") {
		t.Error("a frequency raised a flag it should not")
	}
}

// TestIntakeSafetyAnswer: answering yes to current thoughts of ending one's
// life shows crisis help at once (even in a draft), raises an alert for the
// care team that stays open until a clinician acknowledges it with what they
// did, and the team sees an exclude flag on the chart.
func TestIntakeSafetyAnswer(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	thea := f.SignIn("thea@example.org")
	theo := f.SignIn("theo@example.org")
	if r := f.Do("GET", "/patients", nil, thea); strings.Contains(r.Body, "Safety alerts") {
		t.Fatal("alert shown before any answer")
	}
	draft := f.Do("POST", "/portal/intake", webtest.IntakeForm("save", []string{"suicidal_now"}), pat)
	if draft.Status != http.StatusOK || !strings.Contains(draft.Body, "Thank you for telling us") {
		t.Fatalf("safety answer in a draft = %d, want the crisis page", draft.Status)
	}
	rex := f.SignIn("rex@example.org")
	for who, tok := range map[string]string{"thea": thea, "rex": rex} {
		if r := f.Do("GET", "/patients", nil, tok); !strings.Contains(r.Body, "Safety alerts") || !strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("%s's caseload does not show the safety alert", who)
		}
	}
	if r := f.Do("GET", "/patients", nil, theo); strings.Contains(r.Body, "Safety alerts") {
		t.Error("a therapist outside the team sees the alert")
	}
	r := f.Do("POST", "/portal/intake", webtest.IntakeForm("submit", []string{"suicidal_now"}), pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for telling us") || !strings.Contains(r.Body, webtest.USCrisis) || !strings.Contains(r.Body, `href="tel:988"`) {
		t.Fatalf("safety answer = %d, want the crisis page at once", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != 1 {
		t.Errorf("%d alert.raise rows, want 1 (one open alert, not one per save)", n)
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "flag-exclude") || !strings.Contains(chart.Body, "Answered yes: In the past 2 weeks") {
		t.Error("the therapist's chart does not flag the safety answer")
	}
	id := regexp.MustCompile(`/alerts/([0-9a-z]+)/acknowledge`).FindStringSubmatch(chart.Body)
	if id == nil {
		t.Fatal("chart has no acknowledge form")
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/alerts/"+id[1]+"/acknowledge", url.Values{"ack_note": {" "}}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("acknowledging without saying what was done = %d, want 422", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/alerts/"+id[1]+"/acknowledge", url.Values{"ack_note": {"Called her at 14:10; safe, plan reviewed, follow-up tomorrow."}, "seen": {webtest.SeenOf(chart.Body)}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("acknowledge = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, rex); strings.Contains(r.Body, "Safety alerts") {
		t.Error("the alert is still open after a clinician acknowledged it")
	}
	if n := len(f.AuditRows("alert.acknowledge")); n != 1 {
		t.Errorf("%d alert.acknowledge rows, want 1", n)
	}
}

// TestSafetyAnswerWithInvalidForm: a yes to current suicidal thoughts is
// acted on even when another field stops the form being saved.
func TestSafetyAnswerWithInvalidForm(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	form := webtest.IntakeForm("submit", []string{"suicidal_now"})
	form.Set("med_dose_0", "10mg") // a dose with no name: invalid
	r := f.Do("POST", "/portal/intake", form, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="safety-block"`) || !strings.Contains(r.Body, webtest.USCrisis) {
		t.Fatalf("invalid form with a safety answer = %d, want 422 with the crisis block", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != 1 {
		t.Fatalf("%d alerts raised, want 1 although the form was not saved", n)
	}
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/patients", nil, thea); !strings.Contains(r.Body, "Safety alerts") {
		t.Error("the care team does not see the alert")
	}
}

// TestGateRecomputesFlags: after clearance, a change that adds an exclusion
// (a date of birth under 18), an open safety alert, or a blank answer on
// sending each stop dosing.
func TestGateRecomputesFlags(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA("sertraline")
	thea := f.SignIn("thea@example.org")
	if r := f.BookDosing(thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dosing after clearance = %d, want 303", r.Status)
	}
	// A minor's date of birth: a new exclude flag the clearance did not override.
	p, _, _ := f.St.FindPatient(t.Context(), f.As("thea@example.org"), f.PA.ID)
	minor := url.Values{"display_name": {p.DisplayName}, "email": {p.Email}, "birth_date": {f.Now.AddDate(-16, 0, 0).Format("2006-01-02")}, "version": {"1"}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/details", minor, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("details = %d", r.Status)
	}
	if r := f.BookDosing(thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "new exclusion appeared") {
		t.Fatalf("dosing after a new exclusion = %d, want 422", r.Status)
	}
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, "On hold") {
		t.Error("chart does not show dosing on hold")
	}
	// An open safety alert holds dosing too.
	g := webtest.NewFixture(t)
	g.ClearA("sertraline")
	pat := g.SignIn("pat@example.org")
	g.Do("POST", "/portal/intake", webtest.IntakeForm("save", []string{"suicidal_now"}), pat) // a draft: the clearance stays on the sent intake
	gt := g.SignIn("thea@example.org")
	if r := g.BookDosing(gt); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "safety alert is open") {
		t.Fatalf("dosing with an open safety alert = %d, want 422", r.Status)
	}
	// Sending with questions left blank is refused at each question.
	blank := url.Values{"action": {"submit"}}
	r := g.Do("POST", "/portal/intake", blank, pat)
	// (Each at its question; the error summary at the top lists it once.)
	if r.Status != http.StatusUnprocessableEntity || strings.Count(r.Body, ">Please answer yes, no or not sure.</p>") != len(screening.Questions()) {
		t.Fatalf("blank intake sent = %d with %d question errors, want 422 with %d", r.Status, strings.Count(r.Body, ">Please answer yes, no or not sure.</p>"), len(screening.Questions()))
	}
	if r := g.Do("POST", "/portal/intake", url.Values{"action": {"save"}}, pat); r.Status != http.StatusSeeOther {
		t.Errorf("blank draft saved = %d, want 303 (drafts may be partial)", r.Status)
	}
	if r := g.Do("POST", "/patients/"+g.PA.ID+"/alerts/nope/acknowledge", url.Values{"ack_note": {"x"}}, gt); r.Status != http.StatusNotFound {
		t.Errorf("acknowledging an unknown alert = %d, want 404", r.Status)
	}
}

// TestDetailsConflictResolves: after a conflict the form carries the saved
// version, so saving again keeps what this person typed.
func TestDetailsConflictResolves(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	rex := f.SignIn("rex@example.org")
	base := url.Values{"display_name": {webtest.CanaryA}, "version": {"1"}}
	theirs := url.Values{"display_name": {webtest.CanaryA}, "version": {"1"}, "pronouns": {"she/her"}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/details", theirs, rex); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	mine := url.Values{"display_name": {webtest.CanaryA}, "version": base["version"], "phone": {"+1 555 010 2345"}}
	r := f.Do("POST", "/patients/"+f.PA.ID+"/details", mine, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Saved now") || !strings.Contains(r.Body, "she/her") || !strings.Contains(r.Body, `name="version" value="2"`) {
		t.Fatalf("conflict = %d, want 422 showing the saved record and carrying version 2", r.Status)
	}
	mine.Set("version", "2")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/details", mine, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("saving again after the conflict = %d, want 303", r.Status)
	}
}

// TestAppointmentConflicts: a clinician or a patient cannot be booked twice
// at once; back to back is fine; the refusal is at the field, keeps the
// form, and names no other patient.
func TestAppointmentConflicts(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	thea := f.As("thea@example.org")
	pC := f.AddPatient("Casey Canary-C", "cee@example.org", "thea@example.org")
	at := f.Now.Add(48 * time.Hour)
	book := func(actor store.Actor, patientID string, start time.Time, minutes int) error {
		return f.St.CreateAppointment(ctx, actor, patientID, &store.Appointment{Kind: "preparation", StartsAt: start, Minutes: minutes})
	}
	if err := book(thea, f.PA.ID, at, 180); err != nil {
		t.Fatal(err)
	}
	// Thea again, another patient, overlapping: refused, without naming A.
	err := book(thea, pC.ID, at.Add(2*time.Hour), 60)
	if clinic.ErrorCode(err) != clinic.EInvalid || !strings.Contains(err.Error(), "You already have an appointment") || strings.Contains(err.Error(), webtest.CanaryA) {
		t.Fatalf("clinician double-booked: %v", err)
	}
	// Rex, the same patient, overlapping: refused.
	err = book(f.As("rex@example.org"), f.PA.ID, at.Add(-30*time.Minute), 60)
	if clinic.ErrorCode(err) != clinic.EInvalid || !strings.Contains(err.Error(), "This patient already has an appointment (preparation)") {
		t.Fatalf("patient double-booked: %v", err)
	}
	// Back to back, and an appointment that ends as the booked one starts.
	if err := book(thea, pC.ID, at.Add(3*time.Hour), 60); err != nil {
		t.Fatalf("back-to-back after: %v", err)
	}
	if err := book(f.As("rex@example.org"), f.PA.ID, at.Add(-time.Hour), 60); err != nil {
		t.Fatalf("back-to-back before: %v", err)
	}
	// Through the page: 422 at the field, the typed time kept.
	form := url.Values{"kind": {"preparation"}, "starts_at": {at.Add(time.Hour).Format("2006-01-02T15:04")}, "minutes": {"50"}}
	r := f.Do("POST", "/patients/"+pC.ID+"/appointments", form, f.SignIn("thea@example.org"))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "You already have an appointment") || !strings.Contains(r.Body, form.Get("starts_at")) {
		t.Fatalf("double booking through the page = %d, want 422 with the message and the typed time", r.Status)
	}
}

// TestAppointmentSeries: "every two weeks, 12 times" from the chart books
// real, separate appointments at the same New York wall-clock time across
// the March 2027 spring-forward change, places the rest when one date
// clashes, and lists the clash.
func TestAppointmentSeries(t *testing.T) {
	f := webtest.NewFixture(t)
	ny, _ := time.LoadLocation("America/New_York")
	pC := f.AddPatient("Casey Canary-C", "cee@example.org", "thea@example.org")
	// Thea is busy with patient C on the fourth date (Jan 14, 2027, 10:00).
	busy := time.Date(2027, 1, 14, 10, 0, 0, 0, ny)
	if err := f.St.CreateAppointment(t.Context(), f.As("thea@example.org"), pC.ID, &store.Appointment{Kind: "other", StartsAt: busy, Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	if err := f.St.SetSetting(t.Context(), store.System, "time_zone", "America/New_York"); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	form := url.Values{"kind": {"integration"}, "starts_at": {"2026-12-03T10:00"}, "minutes": {"50"}, "repeat": {"14"}, "times": {"12"}}
	r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Booked 11 of 12 appointments") || !strings.Contains(r.Body, "Thu Jan 14, 10:00: You already have an appointment") {
		t.Fatalf("series with a clash = %d, want 11 of 12 booked and the clash listed", r.Status)
	}
	list, err := f.St.Appointments(t.Context(), f.As("thea@example.org"), f.PA.ID)
	if err != nil || len(list) != 11 {
		t.Fatalf("%d appointments, %v; want 11", len(list), err)
	}
	var utcHours []int
	for _, ap := range list {
		l := ap.StartsAt.In(ny)
		if l.Hour() != 10 || l.Minute() != 0 || l.Weekday() != time.Thursday {
			t.Errorf("appointment at %s New York time, want Thursday 10:00", l)
		}
		utcHours = append(utcHours, ap.StartsAt.UTC().Hour())
	}
	if utcHours[0] != 15 || utcHours[len(utcHours)-1] != 14 {
		t.Errorf("UTC hours %v: want 15 in winter (EST) and 14 after March 14 (EDT)", utcHours)
	}
	// Bad input: at the field, with what was typed kept.
	form.Set("times", "40")
	r = f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "from 2 to 12") || !strings.Contains(r.Body, `value="40"`) {
		t.Errorf("40 times = %d, want 422 at the field keeping 40", r.Status)
	}
	// No clash: redirect with a notice.
	form = url.Values{"kind": {"preparation"}, "starts_at": {"2026-12-04T09:00"}, "minutes": {"50"}, "repeat": {"7"}, "times": {"3"}}
	r = f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=series") {
		t.Errorf("clean series = %d %s, want a redirect", r.Status, r.Header.Get("Location"))
	}
	// A series whose first date clashes (Dec 18, 09:00 is the last of
	// those three) still places the others and lists the first.
	form = url.Values{"kind": {"follow_up"}, "starts_at": {"2026-12-18T09:00"}, "minutes": {""}, "repeat": {"7"}, "times": {"3"}}
	r = f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Booked 2 of 3 appointments") || !strings.Contains(r.Body, "Fri Dec 18, 09:00: This patient already has an appointment (preparation)") {
		t.Errorf("series with the first date taken = %d, want 2 of 3 booked and Dec 18 listed", r.Status)
	}
}

// TestParseLocalInSpringForwardGap: a time that never shows on the clock
// (02:30 on the US spring-forward day) is read as the same time a series or
// working hours would give it, 03:30 EDT, not 01:30 EST.
func TestParseLocalInSpringForwardGap(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	got, ok := shell.ParseLocal("2027-03-14T02:30", ny)
	if want := time.Date(2027, 3, 14, 7, 30, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("parseLocal in the gap = %v, want %v (03:30 EDT)", got, want)
	}
	if got, ok := shell.ParseLocal("2027-11-07T01:30", ny); !ok || !got.Equal(time.Date(2027, 11, 7, 5, 30, 0, 0, time.UTC)) {
		t.Errorf("parseLocal in the repeated hour = %v, want the first 01:30 (EDT)", got)
	}
	if _, ok := shell.ParseLocal("next tuesday", ny); ok {
		t.Error("parseLocal read nonsense")
	}
}

// TestAppointmentChanges: cancel (reason required, shown at that
// appointment), move (checked like a booking), and record attended or
// did-not-attend once it has started; each audited; the calendar feed
// marks the cancelled one so calendar apps drop it.
func TestAppointmentChanges(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	thea := f.SignIn("thea@example.org")
	book := func(at time.Time) string {
		ap := &store.Appointment{Kind: "preparation", StartsAt: at, Minutes: 50}
		if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
		return ap.ID
	}
	later := book(f.Now.Add(48 * time.Hour))
	other := book(f.Now.Add(72 * time.Hour))
	base := "/patients/" + f.PA.ID + "/appointments/"

	// Cancel without a reason: refused at that appointment's form.
	r := f.Do("POST", base+later+"/cancel", url.Values{"reason": {"  "}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why") {
		t.Fatalf("cancel without reason = %d", r.Status)
	}
	// Move onto the other one: a clash, the typed time kept.
	clash := f.Now.Add(72 * time.Hour).Format("2006-01-02T15:04")
	r = f.Do("POST", base+later+"/move", url.Values{"starts_at": {clash}, "reason": {"Patient asked"}, "which": {"move"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This patient already has") || !strings.Contains(r.Body, clash) || !strings.Contains(r.Body, "Patient asked") {
		t.Fatalf("move onto a clash = %d, want 422 keeping the input: %v %v %v", r.Status, strings.Contains(r.Body, "This patient already has"), strings.Contains(r.Body, clash), strings.Contains(r.Body, "Patient asked"))
	}
	// A good move.
	moved := f.Now.Add(96 * time.Hour).Truncate(time.Minute)
	if r = f.Do("POST", base+later+"/move", url.Values{"starts_at": {moved.Format("2006-01-02T15:04")}, "reason": {"Patient asked by phone"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("move = %d", r.Status)
	}
	if loc := r.Header.Get("Location"); loc != "/patients/"+f.PA.ID+"?done=moved#appointments" {
		t.Errorf("after a move, redirect to %q", loc)
	} else if page := f.Do("GET", strings.TrimSuffix(loc, "#appointments"), nil, thea); !strings.Contains(page.Body, "Appointment moved.") || strings.Contains(page.Body, "Appointment booked.") {
		t.Error("a move is not confirmed as a move")
	}
	// Cancel the other one with a reason.
	if r = f.Do("POST", base+other+"/cancel", url.Values{"reason": {"Therapist unwell"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel = %d", r.Status)
	}
	if page := f.Do("GET", strings.TrimSuffix(r.Header.Get("Location"), "#appointments"), nil, thea); !strings.Contains(page.Body, "Appointment cancelled.") {
		t.Error("a cancellation is not confirmed as one")
	}
	list, err := f.St.Appointments(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil || len(list) != 1 || list[0].ID != later || !list[0].StartsAt.Equal(moved) {
		t.Fatalf("after move and cancel: %+v, %v (later %s other %s)", list, err, later, other)
	}
	// Outcome: not before it starts; then did not attend.
	if r = f.Do("POST", base+later+"/outcome", url.Values{"outcome": {"no_show"}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not started yet") {
		t.Errorf("no-show before the start = %d", r.Status)
	}
	f.Now = moved.Add(10 * time.Minute)
	thea = f.SignIn("thea@example.org")
	if r = f.Do("POST", base+later+"/outcome", url.Values{"outcome": {"no_show"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("no-show = %d", r.Status)
	}
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(c.Body, "did not attend") {
		t.Error("the chart does not show the no-show")
	}
	if err := f.St.CancelAppointment(ctx, f.As("thea@example.org"), f.PA.ID, later, "too late"); err == nil {
		t.Error("an appointment with an outcome was cancelled")
	}
	for _, a := range []string{"appointment.cancel", "appointment.move", "appointment.outcome"} {
		if len(f.AuditRows(a)) == 0 {
			t.Errorf("no %s audit row", a)
		}
	}
	// Another therapist cannot touch it.
	if r = f.Do("POST", base+later+"/cancel", url.Values{"reason": {"x"}}, f.SignIn("theo@example.org")); r.Status != http.StatusNotFound {
		t.Errorf("theo cancels thea's patient's appointment: %d", r.Status)
	}
	// The feed shows the cancelled one as cancelled, with a higher sequence.
	_, _, err = f.St.CalendarFeedEvents(ctx, "no-feed")
	if err == nil {
		t.Fatal("a feed without a token answered")
	}
	if err := f.St.CreateCalendarFeed(ctx, f.As("thea@example.org"), "hash-1"); err != nil {
		t.Fatal(err)
	}
	_, events, err := f.St.CalendarFeedEvents(ctx, "hash-1")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]store.FeedEvent{}
	for _, ev := range events {
		seen[ev.ID] = ev
	}
	if ev := seen[other]; !ev.Cancelled || ev.Sequence != 1 {
		t.Errorf("cancelled appointment in the feed = %+v", ev)
	}
	if ev := seen[later]; ev.Cancelled || ev.Sequence != 1 {
		t.Errorf("moved appointment in the feed = %+v", ev)
	}
}

// TestRoomConflicts: an admin adds rooms; a room cannot be booked twice at
// once (by two clinicians for two patients); a dosing session needs a room
// set up for dosing; the chart shows the room.
func TestRoomConflicts(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	admin := f.SignIn("admin@example.org")
	if r := f.Do("POST", "/admin/rooms", url.Values{"name": {"  "}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Give the room a name") {
		t.Fatalf("room without a name = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/rooms", url.Values{"name": {"Garden room"}, "dosing": {"yes"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("add room = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/rooms", url.Values{"name": {"Office 2"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("add room = %d", r.Status)
	}
	if r := f.Do("POST", "/admin/rooms", url.Values{"name": {"Office 2"}}, admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already a room") {
		t.Fatalf("duplicate room name = %d", r.Status)
	}
	rooms, err := f.St.Rooms(ctx)
	if err != nil || len(rooms) != 2 {
		t.Fatalf("rooms = %v, %v", rooms, err)
	}
	garden, office := rooms[0], rooms[1]
	at := f.Now.Add(48 * time.Hour).Truncate(time.Hour)
	// Thea books A in the garden room.
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "preparation", StartsAt: at, Minutes: 50, RoomID: garden.ID}); err != nil {
		t.Fatal(err)
	}
	// Theo, patient B, same room, overlapping: refused at the room field.
	theo := f.SignIn("theo@example.org")
	form := url.Values{"kind": {"integration"}, "starts_at": {at.Add(30 * time.Minute).Format("2006-01-02T15:04")}, "minutes": {"50"}, "room": {garden.ID}}
	r := f.Do("POST", "/patients/"+f.PB.ID+"/appointments", form, theo)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "That room is booked") || strings.Contains(r.Body, webtest.CanaryA) {
		t.Fatalf("room double-booked = %d", r.Status)
	}
	// Another room is fine.
	form.Set("room", office.ID)
	if r = f.Do("POST", "/patients/"+f.PB.ID+"/appointments", form, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("other room = %d", r.Status)
	}
	// Dosing needs a dosing room.
	f.ClearA()
	err = f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "dosing", StartsAt: at.Add(24 * time.Hour), Minutes: 180, RoomID: office.ID})
	if e, ok := err.(*clinic.Error); !ok || !strings.Contains(e.Fields["room"], "not set up for dosing") {
		t.Fatalf("dosing in a talk room: %v", err)
	}
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "dosing", StartsAt: at.Add(24 * time.Hour), Minutes: 180, RoomID: garden.ID}); err != nil {
		t.Fatalf("dosing in the dosing room: %v", err)
	}
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("thea@example.org")); !strings.Contains(c.Body, "· Garden room") || !strings.Contains(c.Body, `<option value="`+garden.ID+`">Garden room (dosing)</option>`) {
		t.Error("the chart does not show or offer the rooms")
	}
	// A room taken out of use cannot be booked.
	if r := f.Do("POST", "/admin/rooms/"+office.ID+"/archive", nil, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("archive = %d", r.Status)
	}
	err = f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "integration", StartsAt: at.Add(72 * time.Hour), Minutes: 50, RoomID: office.ID})
	if clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("booking an archived room: %v", err)
	}
}

// TestRemoteAppointments: a remote appointment needs an https video link
// and no room; a remote dosing session needs the in-person adult's name
// (REFERENCE.md section 3); the patient sees the link.
func TestRemoteAppointments(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA()
	thea := f.SignIn("thea@example.org")
	at := f.Now.Add(72 * time.Hour).Format("2006-01-02T15:04")
	form := url.Values{"kind": {"dosing"}, "starts_at": {at}, "minutes": {"180"}, "where": {"remote"}, "video_link": {"http://meet.example/x"}}
	r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "starting with https://") || !strings.Contains(r.Body, "needs an adult with the patient in person") || !strings.Contains(r.Body, "http://meet.example/x") {
		t.Fatalf("remote dosing without https link or chaperone = %d", r.Status)
	}
	form.Set("video_link", "https://meet.example/kap-session")
	form.Set("chaperone", "Sam Lee (partner)")
	if r = f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("remote dosing = %d", r.Status)
	}
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(c.Body, "by video, with Sam Lee (partner) in person") {
		t.Error("the chart does not show the remote session and chaperone")
	}
	p := f.Do("GET", "/portal/appointments", nil, f.SignIn("pat@example.org"))
	if !strings.Contains(p.Body, `href="https://meet.example/kap-session"`) || !strings.Contains(p.Body, "Sam Lee (partner) will be with you in person") {
		t.Error("the patient does not see the video link and who is with them")
	}
}

// TestIntakeUnsureSafetyAnswer: "not sure" about thoughts of ending one's
// life is read the most conservative way: crisis help at once and an alert
// that says it was "not sure", never dropped as a no.
func TestIntakeUnsureSafetyAnswer(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	form := webtest.IntakeForm("save", nil)
	form.Set("q_suicidal_now", "unsure")
	r := f.Do("POST", "/portal/intake", form, pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for telling us") || !strings.Contains(r.Body, `href="tel:988"`) {
		t.Fatalf("unsure safety answer = %d, want the crisis page", r.Status)
	}
	if n := len(f.AuditRows("alert.raise")); n != 1 {
		t.Fatalf("%d alert.raise rows, want 1", n)
	}
	thea := f.SignIn("thea@example.org")
	if c := f.Do("GET", "/patients", nil, thea); !strings.Contains(c.Body, "not sure about thoughts of ending their life") {
		t.Error("the caseload's alert does not say the answer was not sure")
	}
}
