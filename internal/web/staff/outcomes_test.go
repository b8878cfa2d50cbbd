package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// badges returns the outcome badges of one instrument's section of a
// chart page.
func badges(body, instrument string) string {
	m := regexp.MustCompile(`(?s)<h2 id="p-` + instrument + `">.*?<p class="outcome-badges">(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestNoResponseBadgesBelowCaseness: a PHQ-9 course that started at 8 (below
// caseness) and fell to 2 shows no Response or Remission badge on the
// chart, no response line on its graph, and no "remission" in the
// patient's words; a GAD-7 course that started at 10 and fell to 2 shows
// both.
func TestNoResponseBadgesBelowCaseness(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Paper("phq9", 8, f.Now.Add(-6*7*24*time.Hour))
	f.Paper("phq9", 2, f.Now.Add(-time.Hour))
	f.Paper("gad7", 10, f.Now.Add(-6*7*24*time.Hour))
	f.Paper("gad7", 2, f.Now.Add(-time.Hour))
	thea := f.SignIn("thea@example.org")
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("chart = %d", r.Status)
	}
	phq, gad := badges(r.Body, "phq9"), badges(r.Body, "gad7")
	if !strings.Contains(phq, "Baseline 8") || strings.Contains(phq, ">Response<") || strings.Contains(phq, ">Remission<") || !strings.Contains(phq, "Reliable improvement") {
		t.Errorf("PHQ-9 badges from a baseline of 8 = %q; want no Response or Remission (reliable improvement still shown)", phq)
	}
	if !strings.Contains(r.Body, "is below 10 (not a clinical case): response and remission are not rated") {
		t.Error("the chart does not say why response and remission are not rated")
	}
	if !strings.Contains(gad, ">Response<") || !strings.Contains(gad, ">Remission<") {
		t.Errorf("GAD-7 badges from a baseline of 10 = %q; want Response and Remission", gad)
	}
	phqChart := regexp.MustCompile(`(?s)<h2 id="p-phq9">.*?</svg>`).FindString(r.Body)
	if strings.Contains(phqChart, ">Response<") || !strings.Contains(phqChart, "Baseline") {
		t.Error("the PHQ-9 graph from a baseline of 8 draws a response line (or lacks its baseline)")
	}
	pat := f.SignIn("pat@example.org")
	p := f.Do("GET", "/portal/progress", nil, pat)
	plain := regexp.MustCompile(`(?s)<h2 id="p-phq9">.*?<p>(.*?)</p>`).FindStringSubmatch(p.Body)
	if plain == nil || !strings.Contains(plain[1], "6 points lower than your first score of 8") || strings.Contains(plain[1], "remission") || strings.Contains(plain[1], "half-way") {
		t.Errorf("the patient's PHQ-9 words = %q; want the change without remission or response", plain)
	}
	if !strings.Contains(p.Body, "range of remission") {
		t.Error("the patient's GAD-7 words from a baseline of 10 do not name the remission")
	}
}

// TestChartSecondCourseBaseline: after a closed course and a return, the
// chart's baseline is the new course's first score, not the first ever.
func TestChartSecondCourseBaseline(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.As("thea@example.org")
	f.Paper("phq9", 20, f.Now.Add(-30*7*24*time.Hour))
	f.Paper("phq9", 6, f.Now.Add(-24*7*24*time.Hour))
	if err := f.St.ChangeStage(ctx, thea, f.PA.ID, clinic.StageClosed, "Series complete."); err != nil {
		t.Fatal(err)
	}
	f.Now = f.Now.Add(time.Minute)
	if err := f.St.ChangeStage(ctx, thea, f.PA.ID, clinic.StageScreening, "Returned after a relapse."); err != nil {
		t.Fatal(err)
	}
	f.Now = f.Now.Add(time.Hour)
	f.Paper("phq9", 15, f.Now.Add(-30*time.Minute))
	f.Now = f.Now.Add(6 * 7 * 24 * time.Hour)
	f.Paper("phq9", 12, f.Now.Add(-time.Minute))
	r := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("thea@example.org"))
	if b := badges(r.Body, "phq9"); !strings.Contains(b, "Baseline 15 → latest 12 (-3)") {
		t.Errorf("PHQ-9 badges after a second course = %q; want Baseline 15 → latest 12 (-3), the new course's own baseline", b)
	}
	if !strings.Contains(r.Body, "Scores from 2 courses of treatment") || !strings.Contains(r.Body, "New course") {
		t.Error("the chart does not say the scores span two courses")
	}
	p := f.Do("GET", "/portal/progress", nil, f.SignIn("pat@example.org"))
	if !strings.Contains(p.Body, "3 points lower than 15, your first score this course") {
		t.Error("the patient's words do not compare with this course's first score")
	}
}

// TestOutcomeWindowForm: an admin sets the follow-up window on the
// dashboard; a window that ends before it starts is refused at the field
// with the input kept; a clinician sees the window but no form.
func TestOutcomeWindowForm(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/outcomes", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="from_weeks"`) || !strings.Contains(r.Body, "latest score 4 to 12 weeks after") {
		t.Fatalf("dashboard for an admin = %d; want the window form and the default 4–12 weeks", r.Status)
	}
	r = f.Do("POST", "/outcomes/window", url.Values{"from_weeks": {"12"}, "to_weeks": {"4"}}, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The window must end after it starts.") ||
		!regexp.MustCompile(`name="from_weeks"[^>]*value="12"`).MatchString(r.Body) || !regexp.MustCompile(`name="to_weeks"[^>]*value="4"`).MatchString(r.Body) {
		t.Errorf("a window ending before it starts = %d; want 422 at the field with 12 and 4 kept", r.Status)
	}
	r = f.Do("POST", "/outcomes/window", url.Values{"from_weeks": {"four"}, "to_weeks": {"12"}}, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter whole weeks") {
		t.Errorf("a window of words = %d; want 422 at the field", r.Status)
	}
	r = f.Do("POST", "/outcomes/window", url.Values{"from_weeks": {"17"}, "to_weeks": {"35"}}, admin)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("saving 17–35 weeks = %d, want 303", r.Status)
	}
	r = f.Do("GET", "/outcomes?done=window", nil, admin)
	if !strings.Contains(r.Body, "Follow-up window saved.") || !strings.Contains(r.Body, "latest score 17 to 35 weeks after") {
		t.Error("the dashboard does not show the saved window")
	}
	thea := f.Do("GET", "/outcomes", nil, f.SignIn("thea@example.org"))
	if !strings.Contains(thea.Body, "17 to 35 weeks") || strings.Contains(thea.Body, `name="from_weeks"`) {
		t.Error("a therapist should see the window but not its form")
	}
}
