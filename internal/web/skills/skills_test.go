package skills_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

const privateCanary = "PRIVATE-skills-web-canary-9931"

var dayRE = regexp.MustCompile(`name="day" value="(\d{4}-\d{2}-\d{2})"`)

// saved posts a skills form and returns the entry's id from the redirect.
func saved(t *testing.T, f *webtest.Fixture, cookie string, form url.Values) string {
	t.Helper()
	r := f.Do("POST", "/portal/skills", form, cookie)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/skills?done=") {
		t.Fatalf("POST %v = %d %q, want 303 to the skills page:\n%s", form, r.Status, loc, r.Body)
	}
	_, id, _ := strings.Cut(loc, "#entry-")
	return id
}

// TestSkillsPortalAndChart: the patient writes each kind; a form that
// cannot be saved keeps what was typed with the error at its field; the
// care team sees shared entries on the chart's skills page (the week,
// the charts with a table, the list) and a private one is 404 even by its
// id; unsharing takes it away; another patient reaches none.
func TestSkillsPortalAndChart(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	thea := f.SignIn("thea@example.org")

	home := f.Do("GET", "/portal/skills", nil, pat)
	if home.Status != http.StatusOK || !strings.Contains(home.Body, `href="/portal/skills/new?kind=emotion"`) || !strings.Contains(home.Body, `href="/portal/skills"`) {
		t.Fatalf("GET /portal/skills = %d, want the tools and the Skills link in the nav:\n%s", home.Status, home.Body)
	}
	webtest.CheckShell(t, "skills", home)

	// A feeling not chosen: 422, the error at the field, the words kept.
	r := f.Do("POST", "/portal/skills", url.Values{"kind": {"emotion"}, "intensity": {"70"}, "message": {"That I need rest & quiet"}}, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="feeling-error"`) || !strings.Contains(r.Body, "That I need rest &amp; quiet</textarea>") ||
		!strings.Contains(r.Body, `value="70"`) {
		t.Fatalf("POST an emotion log without a feeling = %d, want 422 with the error at the feeling and the input kept:\n%s", r.Status, r.Body)
	}
	private := saved(t, f, pat, url.Values{"kind": {"emotion"}, "feeling": {"ashamed"}, "intensity": {"70"}, "message": {privateCanary}})
	shared := saved(t, f, pat, url.Values{"kind": {"cope"}, "situation": {"Thanksgiving with my family"}, "on": {"2099-11-26"}, "hard": {"Questions about work"}, "call": {"Sam"}, "shared": {"yes"}})
	options := saved(t, f, pat, url.Values{"kind": {"options"}, "problem": {"Noise upstairs"}, "choice": {"accept"}, "shared": {"yes"}})

	form := f.Do("GET", "/portal/skills/new?kind=diary", nil, pat)
	m := dayRE.FindStringSubmatch(form.Body)
	if form.Status != http.StatusOK || m == nil || !strings.Contains(form.Body, "Self-harm") || !strings.Contains(form.Body, `name="urge_suicide"`) {
		t.Fatalf("GET the diary card = %d, want today's day and the default urges:\n%s", form.Status, form.Body)
	}
	day := m[1]
	r = f.Do("POST", "/portal/skills", url.Values{"kind": {"diary"}, "day": {day}, "emotion_sadness": {"3"}, "sleep": {"lots"}, "note": {"kept note"}, "skill": {"tipp"}}, pat)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="sleep-error"`) || !strings.Contains(r.Body, "kept note</textarea>") ||
		!strings.Contains(r.Body, `name="emotion_sadness" value="3" checked`) || !strings.Contains(r.Body, `value="tipp" checked`) {
		t.Fatalf("POST a diary card with bad sleep = %d, want 422 at the sleep with the rest kept:\n%s", r.Status, r.Body)
	}
	card := saved(t, f, pat, url.Values{"kind": {"diary"}, "day": {day}, "emotion_sadness": {"3"}, "urge_self_harm": {"2"}, "acted_self_harm": {"no"}, "urge_substance": {"4"}, "acted_substance": {"yes"}, "sleep": {"6.5"}, "skill": {"tipp"}, "shared": {"yes"}})
	if r := f.Do("GET", "/portal/skills/new?kind=diary&day="+day, nil, pat); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/skills/"+card {
		t.Errorf("GET a new card for a day that has one = %d %q, want 303 to it", r.Status, r.Header.Get("Location"))
	}
	week := f.Do("GET", "/portal/skills/week", nil, pat)
	if week.Status != http.StatusOK || !strings.Contains(week.Body, "<td>4, acted on</td>") {
		t.Errorf("the patient's week lacks the card:\n%s", week.Body)
	}

	// The chart's skills page: shared only.
	page := f.Do("GET", "/patients/"+f.PA.ID+"/skills", nil, thea)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Cope ahead: Thanksgiving with my family") || !strings.Contains(page.Body, "Four options: Noise upstairs") ||
		strings.Contains(page.Body, "Feeling ashamed") || strings.Contains(page.Body, privateCanary) ||
		!strings.Contains(page.Body, "<td>4, acted on</td>") || !strings.Contains(page.Body, "<svg") || !strings.Contains(page.Body, "<title") ||
		!strings.Contains(page.Body, "The same numbers as a table") {
		t.Fatalf("GET the chart's skills page = %d, want the shared entries, the week and charts, and nothing private:\n%s", page.Status, page.Body)
	}
	webtest.CheckShell(t, "skills chart", page)
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, `href="/patients/`+f.PA.ID+`/skills"`) {
		t.Errorf("the chart does not link to the skills page")
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/skills/"+private, nil, thea); r.Status != http.StatusNotFound || strings.Contains(r.Body, privateCanary) {
		t.Errorf("GET a private entry as the therapist = %d, want 404 without its text", r.Status)
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/skills/"+shared, nil, thea); r.Status != http.StatusOK || !strings.Contains(r.Body, "Questions about work") {
		t.Errorf("GET a shared entry as the therapist = %d:\n%s", r.Status, r.Body)
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/skills/"+card, nil, thea); !strings.Contains(r.Body, "Sadness 3; Anger 0") || !strings.Contains(r.Body, "Substance use 4, acted on") ||
		!strings.Contains(r.Body, "Cool down my body") || strings.Contains(r.Body, "sadness") {
		t.Errorf("the shared diary card does not read in words:\n%s", r.Body)
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/skills/"+options, nil, thea); !strings.Contains(r.Body, "Tolerate it and accept it") {
		t.Errorf("the four options entry lacks the choice in words:\n%s", r.Body)
	}

	// Unshared later: gone for staff.
	if r := f.Do("POST", "/portal/skills/"+shared+"/share", url.Values{"shared": {"no"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("unshare = %d", r.Status)
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID+"/skills/"+shared, nil, thea); r.Status != http.StatusNotFound {
		t.Errorf("GET an unshared entry as the therapist = %d, want 404", r.Status)
	}

	// Another patient reaches none of A's entries.
	bea := f.SignIn("bea@example.org")
	for _, id := range []string{private, card} {
		if r := f.Do("GET", "/portal/skills/"+id, nil, bea); r.Status != http.StatusNotFound || strings.Contains(r.Body, privateCanary) {
			t.Errorf("GET A's entry as patient B = %d, want 404", r.Status)
		}
		if r := f.Do("POST", "/portal/skills/"+id+"/share", url.Values{"shared": {"yes"}}, bea); r.Status != http.StatusNotFound {
			t.Errorf("share A's entry as patient B = %d, want 404", r.Status)
		}
	}

	// The care team sets the urges; the card asks about them.
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/skills/urges", url.Values{}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose at least one urge") {
		t.Errorf("POST no urges = %d, want 422 at the field", r.Status)
	}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/skills/urges", url.Values{"urge": {"alcohol", "isolate"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("POST urges = %d:\n%s", r.Status, r.Body)
	}
	form = f.Do("GET", "/portal/skills/"+card, nil, pat)
	if !strings.Contains(form.Body, `name="urge_alcohol"`) || strings.Contains(form.Body, `name="urge_suicide"`) {
		t.Errorf("the card after the team chose urges:\n%s", form.Body)
	}
}

// TestChartDiaryWeekLongAgo: the chart's "previous week" links go back
// without end; a week from before the charted weeks opens (it was an
// error once more than 26 weeks back: one read spanned too many days).
func TestChartDiaryWeekLongAgo(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	for _, weeks := range []int{1, 30, 60} {
		week := f.Now.AddDate(0, 0, -7*weeks).Format("2006-01-02")
		r := f.Do("GET", "/patients/"+f.PA.ID+"/skills?week="+week, nil, thea)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Diary card") {
			t.Errorf("the diary week %d weeks back = %d", weeks, r.Status)
		}
	}
}

// TestSkillsSavedNotice: the notice after saving says what the entry is
// now, read from the record: a crafted ?done= shows nothing; a diary card
// rating an urge to self-harm puts crisis help and the safety plan at the
// top, a card without one does not.
func TestSkillsSavedNotice(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	form := f.Do("GET", "/portal/skills/new?kind=diary", nil, pat)
	m := dayRE.FindStringSubmatch(form.Body)
	if m == nil {
		t.Fatal("no day on the diary card form")
	}
	for _, path := range []string{"/portal/skills?done=shared", "/portal/skills?done=shared&entry=nope", "/portal/skills?done=private&entry=" + f.PA.ID} {
		if r := f.Do("GET", path, nil, pat); strings.Contains(r.Body, `id="skills-done"`) || strings.Contains(r.Body, `id="skills-harm-urges"`) {
			t.Errorf("GET %s shows a notice for nothing saved", path)
		}
	}
	calm := saved(t, f, pat, url.Values{"kind": {"emotion"}, "feeling": {"calm"}, "intensity": {"30"}, "shared": {"yes"}})
	r := f.Do("GET", "/portal/skills?done=shared&entry="+calm, nil, pat)
	if !strings.Contains(r.Body, "Saved, and shared with your care team. They read shared entries before your next session, not as they arrive.") || strings.Contains(r.Body, `id="skills-harm-urges"`) {
		t.Errorf("after sharing an emotion log: want the shared notice and no crisis card")
	}
	if r := f.Do("GET", "/portal/skills?done=private&entry="+calm, nil, pat); strings.Contains(r.Body, `id="skills-done"`) {
		t.Error("a shared entry is announced as private")
	}
	card := saved(t, f, pat, url.Values{"kind": {"diary"}, "day": {m[1]}, "urge_self_harm": {"2"}, "acted_self_harm": {"no"}, "urge_suicide": {"0"}, "acted_suicide": {"no"}})
	r = f.Do("GET", "/portal/skills?done=private&entry="+card, nil, pat)
	if !strings.Contains(r.Body, `id="skills-harm-urges"`) || !strings.Contains(r.Body, `href="tel:988"`) || !strings.Contains(r.Body, `href="/portal/safety-plan"`) {
		t.Errorf("after a diary card with an urge to self-harm: no crisis help at the top:\n%s", r.Body)
	}
}
