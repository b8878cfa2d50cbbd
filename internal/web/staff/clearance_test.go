package staff_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestChartClearanceOutOfDate: when the patient sends an intake that
// changes their medications after the prescriber's clearance, the chart
// says "Clearance out of date" with what changed and when, at once, and
// the caseload of the prescriber and the therapist shows a badge; dosing
// is on hold. A re-save that changes nothing does neither. Clearing again
// from the chart makes it current.
func TestChartClearanceOutOfDate(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA("Sertraline", "Vitamin D")
	// Sessions time out while the clock moves on: each step signs in anew.
	const pat, thea, rex = "pat@example.org", "thea@example.org", "rex@example.org"
	chart := func(who string) string {
		t.Helper()
		r := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn(who))
		if r.Status != http.StatusOK {
			t.Fatalf("chart = %d", r.Status)
		}
		return r.Body
	}
	caseload := func(who string) string {
		t.Helper()
		r := f.Do("GET", "/patients", nil, f.SignIn(who))
		if r.Status != http.StatusOK {
			t.Fatalf("caseload = %d", r.Status)
		}
		return r.Body
	}
	send := func(form url.Values) {
		t.Helper()
		if r := f.Do("POST", "/portal/intake", form, f.SignIn(pat)); r.Status != http.StatusSeeOther {
			t.Fatalf("send intake = %d", r.Status)
		}
	}

	// The same intake sent again (medications re-typed in another order).
	f.Now = f.Now.Add(time.Hour)
	send(webtest.IntakeForm("submit", nil, "vitamin d", "SERTRALINE"))
	for name, tok := range map[string]string{"prescriber": rex, "therapist": thea} {
		if body := chart(tok); strings.Contains(body, "Clearance out of date") || !strings.Contains(body, "May go ahead") {
			t.Errorf("%s's chart after a re-save with no change: out of date or on hold, want cleared and going ahead", name)
		}
		if body := caseload(tok); strings.Contains(body, "Clearance out of date") {
			t.Errorf("%s's caseload after a re-save with no change shows the badge", name)
		}
	}

	// A new medication.
	f.Now = f.Now.Add(90 * time.Minute)
	send(webtest.IntakeForm("submit", nil, "Sertraline", "Vitamin D", "Adderall XR 20mg"))
	when := f.Now.UTC().Format("Mon Jan 2, 2006, 15:04 MST")
	for name, tok := range map[string]string{"prescriber": rex, "therapist": thea} {
		body := chart(tok)
		if !strings.Contains(body, "Clearance out of date:</strong> new medication: Adderall XR 20mg (intake sent "+when+").") {
			t.Errorf("%s's chart after a new medication lacks \"Clearance out of date: new medication: Adderall XR 20mg (intake sent %s).\"", name, when)
		}
		if !strings.Contains(body, "On hold</strong><span class=\"meta\">Clearance out of date (see Medical clearance): the prescriber must review the changes and clear again.</span>") {
			t.Errorf("%s's chart after a new medication does not hold dosing, naming the out-of-date clearance", name)
		}
		if strings.Contains(body, `decision-cleared">Cleared<`) {
			t.Errorf("%s's chart still says Cleared", name)
		}
		if body := caseload(tok); !strings.Contains(body, "Clearance out of date") || !strings.Contains(body, "1 change to the intake since the clearance, the latest "+when) {
			t.Errorf("%s's caseload lacks the out-of-date badge with the change's time", name)
		}
	}
	if body := caseload("theo@example.org"); strings.Contains(body, "Clearance out of date") {
		t.Error("a therapist off the team sees the badge")
	}
	if r := f.BookDosing(f.SignIn(thea)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Clearance out of date") {
		t.Errorf("booking dosing with an out-of-date clearance = %d, want 422 saying so", r.Status)
	}

	// The prescriber clears again from the chart.
	f.Now = f.Now.Add(time.Hour)
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/clearance", url.Values{"decision": {"cleared"}, "reason": {"Adderall held 24 h before each session."}, "override_" + adderallKey(t, chart(rex)): {"Held 24 h before and after each session."}}, f.SignIn(rex)); r.Status != http.StatusSeeOther {
		t.Fatalf("clear again = %d: %s", r.Status, r.Body[:min(600, len(r.Body))])
	}
	if body := chart(rex); strings.Contains(body, "Clearance out of date") || !strings.Contains(body, "May go ahead") {
		t.Error("the chart is still out of date after clearing again")
	}
	if body := caseload(rex); strings.Contains(body, "Clearance out of date") {
		t.Error("the caseload still shows the badge after clearing again")
	}
}

// adderallKey finds the override field's key for the stimulant flag on
// the prescriber's clearance form.
func adderallKey(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `name="override_`)
	if i < 0 {
		t.Fatal("the clearance form has no override field")
	}
	rest := body[i+len(`name="override_`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestChartTimesInPracticeZone: staff read every time in the practice's
// zone: the chart's intake, evaluation, clearance, timeline and consult
// times and the caseload's alert lines are in it, not in UTC.
func TestChartTimesInPracticeZone(t *testing.T) {
	f := webtest.NewFixture(t)
	if err := f.St.SetSetting(t.Context(), store.System, "time_zone", "America/New_York"); err != nil {
		t.Fatal(err)
	}
	f.ClearA("Sertraline")
	zoned := regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} \d+, \d{4}, \d\d:\d\d E[SD]T`)
	utc := regexp.MustCompile(`\d\d:\d\d UTC`)
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("rex@example.org")).Body
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`From intake version 1, ` + zoned.String()),
		regexp.MustCompile(`Suitable for KAP</strong> · [^<]*, ` + zoned.String()),
		regexp.MustCompile(`decision-cleared">Cleared</strong> · [^<]*, ` + zoned.String()),
		regexp.MustCompile(`stage-[a-z_]+">[^<]*</span> <span class="meta">` + zoned.String()),
	} {
		if !want.MatchString(chart) {
			t.Errorf("the chart lacks %s", want)
		}
	}
	if m := utc.FindAllString(chart, -1); len(m) > 0 {
		i := utc.FindStringIndex(chart)
		t.Errorf("the chart shows times in UTC: %q (%s)", m, chart[max(0, i[0]-300):i[1]])
	}

	// A safety answer raises an alert: the caseload line is in the zone.
	f.Now = f.Now.Add(time.Hour)
	if r := f.Do("POST", "/portal/intake", webtest.IntakeForm("save", []string{"suicidal_now"}, "Sertraline"), f.SignIn("pat@example.org")); r.Status != http.StatusOK {
		t.Fatalf("intake = %d", r.Status)
	}
	caseload := f.Do("GET", "/patients", nil, f.SignIn("thea@example.org")).Body
	if want := regexp.MustCompile(`\(raised ` + zoned.String()); !want.MatchString(caseload) {
		t.Errorf("the caseload's alert line lacks %s", want)
	}
	if m := utc.FindAllString(caseload, -1); len(m) > 0 {
		t.Errorf("the caseload shows times in UTC: %q", m)
	}
}
