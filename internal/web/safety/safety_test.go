package safety_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// planForm is a posted plan: base version and the sections' text.
func planForm(base string, kv ...string) url.Values {
	v := url.Values{"base_version": {base}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestSafetyPlanBuiltTogether: the therapist starts the plan from the
// chart, the patient adds to it in the portal; each save is a version
// with who saved it; the page lists the crisis lines and the practice's
// number as links to call or text, a friend's number as a link to call,
// and is never stored by the browser's HTTP cache.
func TestSafetyPlanBuiltTogether(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	ps, err := f.St.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps.Phone = "+1 555 010 9999"
	if ps.TimeZone == "" {
		ps.TimeZone = "America/New_York"
	}
	if err := f.St.SavePractice(ctx, f.As("admin@example.org"), ps); err != nil {
		t.Fatal(err)
	}
	thea, pat := f.SignIn("thea@example.org"), f.SignIn("pat@example.org")
	chart := "/patients/" + f.PA.ID + "/safety-plan"

	empty := f.Do("GET", "/portal/safety-plan", nil, pat)
	webtest.CheckShell(t, "empty plan", empty)
	if empty.Status != http.StatusOK || !strings.Contains(empty.Body, "No plan saved yet") || !strings.Contains(empty.Body, `href="/portal/safety-plan/edit"`) {
		t.Fatalf("the empty plan = %d:\n%s", empty.Status, empty.Body)
	}
	r := f.Do("POST", chart, planForm("0", clinic.PlanWarningSigns, "I stop answering texts\nI can't sleep", clinic.PlanPeople, "Sam (sister) 555 010 2345"), thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != chart+"?saved=1" {
		t.Fatalf("thea's first save = %d to %q, want 303 to the plan with saved=1", r.Status, r.Header.Get("Location"))
	}
	form := f.Do("GET", "/portal/safety-plan/edit", nil, pat)
	if !strings.Contains(form.Body, `name="base_version" value="1"`) || !strings.Contains(form.Body, "I stop answering texts\nI can&#39;t sleep</textarea>") {
		t.Fatalf("the patient's form lacks version 1's text:\n%s", form.Body)
	}
	r = f.Do("POST", "/portal/safety-plan", planForm("1", clinic.PlanWarningSigns, "I stop answering texts\nI can't sleep", clinic.PlanPeople, "Sam (sister) 555 010 2345", clinic.PlanReasons, "My dog, Biscuit"), pat)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/safety-plan?saved=2" {
		t.Fatalf("the patient's save = %d to %q", r.Status, r.Header.Get("Location"))
	}
	page := f.Do("GET", "/portal/safety-plan?saved=2", nil, pat)
	for _, want := range []string{
		"Saved as version 2.", "My dog, Biscuit", `Sam (sister) <a href="tel:5550102345" class="plan-call">555 010 2345</a>`,
		`href="tel:&#43;15550109999"`, `href="tel:988" class="plan-call">Call <strong>988</strong>`, `href="sms:988"`, `href="sms:741741?body=HOME"`, `href="tel:911"`,
		"My therapist: Thea Therapist", "Version 2, saved", "by you.", `href="/portal/safety-plan/history"`, "data-print",
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the patient's plan lacks %q:\n%s", want, page.Body)
		}
	}
	if got := page.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the plan's Cache-Control = %q, want no-store (the service worker's copy is the only one)", got)
	}
	staff := f.Do("GET", chart, nil, thea)
	if staff.Status != http.StatusOK || !strings.Contains(staff.Body, "My dog, Biscuit") || !strings.Contains(staff.Body, "by the patient.") {
		t.Errorf("the chart's plan = %d, want the patient's version 2:\n%s", staff.Status, staff.Body)
	}
	hist := f.Do("GET", chart+"/history", nil, thea)
	for _, want := range []string{"Version 2</strong> (current)", "Version 1</strong>", "by Thea Therapist (Therapist)"} {
		if !strings.Contains(hist.Body, want) {
			t.Errorf("the chart's history lacks %q:\n%s", want, hist.Body)
		}
	}
	if h := f.Do("GET", "/portal/safety-plan/history", nil, pat); !strings.Contains(h.Body, "Version 1</strong>") {
		t.Errorf("the patient's history lacks version 1")
	}
	// The same plan again: nothing saved, and the page says so.
	r = f.Do("POST", "/portal/safety-plan", planForm("2", clinic.PlanWarningSigns, "I stop answering texts\nI can't sleep", clinic.PlanPeople, "Sam (sister) 555 010 2345", clinic.PlanReasons, "My dog, Biscuit"), pat)
	if r.Header.Get("Location") != "/portal/safety-plan?unchanged=1" {
		t.Errorf("an unchanged save went to %q", r.Header.Get("Location"))
	}
	if p := f.Do("GET", "/portal/safety-plan?unchanged=1", nil, pat); !strings.Contains(p.Body, "no new version was saved") || strings.Contains(p.Body, "Saved as") {
		t.Errorf("the unchanged notice is missing or claims a save")
	}
	if n := len(f.AuditRows("safety_plan.save")); n != 3 {
		t.Errorf("safety_plan.save audit rows = %d, want 3", n)
	}
	// The patient's access report says in words who read and saved it.
	access := f.Do("GET", "/portal/access", nil, pat)
	for _, want := range []string{"Read your safety plan", "Saved a new version of your safety plan"} {
		if !strings.Contains(access.Body, want) {
			t.Errorf("the access report lacks %q", want)
		}
	}
}

// TestSafetyPlanStaleEditShowsBoth: the therapist's form was opened on
// version 1; the patient saved version 2 meanwhile. The therapist's save
// is refused (422) with both texts on the page, nothing lost, and the
// form now starts from version 2 so saving again works.
func TestSafetyPlanStaleEditShowsBoth(t *testing.T) {
	f := webtest.NewFixture(t)
	thea, pat := f.SignIn("thea@example.org"), f.SignIn("pat@example.org")
	chart := "/patients/" + f.PA.ID + "/safety-plan"
	if r := f.Do("POST", "/portal/safety-plan", planForm("0", clinic.PlanCoping, "Walk the dog"), pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	if r := f.Do("POST", "/portal/safety-plan", planForm("1", clinic.PlanCoping, "Walk the dog\nPatient-Newer-Line"), pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	r := f.Do("POST", chart, planForm("1", clinic.PlanCoping, "Walk the dog\nTherapist-Typed-Line"), thea)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("stale save = %d, want 422", r.Status)
	}
	for _, want := range []string{"Someone saved a newer version", "The newer version, saved meanwhile", "Patient-Newer-Line", "Therapist-Typed-Line</textarea>", `name="base_version" value="2"`, "Save my version"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the refused save's page lacks %q", want)
		}
	}
	if r := f.Do("POST", chart, planForm("2", clinic.PlanCoping, "Walk the dog\nPatient-Newer-Line\nTherapist-Typed-Line"), thea); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?saved=3") {
		t.Errorf("saving again from version 2 = %d to %q, want version 3", r.Status, r.Header.Get("Location"))
	}
	// A form whose version cannot be read saves nothing over the plan.
	if r := f.Do("POST", chart, planForm("x", clinic.PlanCoping, "over"), thea); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a form without a readable version = %d, want 422", r.Status)
	}
	// Bad input: 422 at the section, the text kept.
	bad := f.Do("POST", "/portal/safety-plan", planForm("3", clinic.PlanReasons, strings.Repeat("a", clinic.PlanMaxLineRune+1)), pat)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="reasons-error"`) || !strings.Contains(bad.Body, `aria-invalid="true"`) {
		t.Errorf("a too-long line = %d, want 422 with the error at the section", bad.Status)
	}
}

// TestSafetyPlanAccess: another patient's plan is never reachable: patient
// B's portal shows only B's own; theo (not on A's team), an admin, and
// A's path with B's session get 404.
func TestSafetyPlanAccess(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/safety-plan", planForm("0", clinic.PlanReasons, "Alpha-Reason-Canary"), pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	bea := f.SignIn("bea@example.org")
	if r := f.Do("GET", "/portal/safety-plan", nil, bea); strings.Contains(r.Body, "Alpha-Reason-Canary") || !strings.Contains(r.Body, "No plan saved yet") {
		t.Errorf("patient B's portal plan shows A's plan")
	}
	chart := "/patients/" + f.PA.ID + "/safety-plan"
	for _, who := range []string{"theo@example.org", "admin@example.org", "bea@example.org"} {
		c := f.SignIn(who)
		for _, path := range []string{chart, chart + "/edit", chart + "/history"} {
			if r := f.Do("GET", path, nil, c); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Alpha-Reason-Canary") {
				t.Errorf("%s GET %s = %d, want 404", who, path, r.Status)
			}
		}
		if r := f.Do("POST", chart, planForm("1", clinic.PlanReasons, "overwritten"), c); r.Status != http.StatusNotFound {
			t.Errorf("%s POST the plan = %d, want 404", who, r.Status)
		}
	}
}

// TestCrisisPageAndWorker: the crisis page is public, linked from every
// page's crisis footer; the service worker is JavaScript served from the
// root, keeps only the plan and the crisis page (and their static files),
// and the CSP lets our own worker run. Signing out tells the browser to
// drop its cache.
func TestCrisisPageAndWorker(t *testing.T) {
	f := webtest.NewFixture(t)
	c := f.Do("GET", "/crisis", nil, "")
	webtest.CheckShell(t, "crisis page", c)
	for _, want := range []string{"Help right now", `href="sms:741741?body=HOME"`, `href="tel:988"`, `href="sms:988"`, `href="https://988lifeline.org/chat/"`, `href="tel:911"`, `<a href="/crisis">`} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("the crisis page lacks %q", want)
		}
	}
	if strings.Contains(c.Body, `href="/portal/safety-plan"`) {
		t.Error("the public crisis page links a plan nobody signed in has")
	}
	if p := f.Do("GET", "/crisis", nil, f.SignIn("pat@example.org")); !strings.Contains(p.Body, "Open my safety plan") {
		t.Error("the crisis page does not link a signed-in patient's plan")
	}
	sw := f.Do("GET", "/sw.js", nil, "")
	if sw.Status != http.StatusOK || !strings.HasPrefix(sw.Header.Get("Content-Type"), "application/javascript") || sw.Header.Get("Service-Worker-Allowed") != "/" {
		t.Fatalf("/sw.js = %d %q allowed %q", sw.Status, sw.Header.Get("Content-Type"), sw.Header.Get("Service-Worker-Allowed"))
	}
	css, _ := f.Srv.Assets.URL("style.css")
	for _, want := range []string{`var PLAN = "/portal/safety-plan";`, `var CRISIS = "/crisis";`, `"` + css + `"`} {
		if !strings.Contains(sw.Body, want) {
			t.Errorf("/sw.js lacks %q:\n%s", want, sw.Body)
		}
	}
	if !strings.Contains(sw.Header.Get("Content-Security-Policy"), "worker-src 'self'") {
		t.Errorf("CSP = %q, want worker-src 'self'", sw.Header.Get("Content-Security-Policy"))
	}
	out := f.Do("POST", "/logout", url.Values{}, f.SignIn("pat@example.org"))
	if out.Status != http.StatusSeeOther || out.Header.Get("Clear-Site-Data") != `"cache"` {
		t.Errorf("sign-out = %d with Clear-Site-Data %q, want the cache cleared", out.Status, out.Header.Get("Clear-Site-Data"))
	}
	// The patient's navigation links the plan (so the portal's script
	// registers the worker); staff navigation does not.
	if h := f.Do("GET", "/portal", nil, f.SignIn("pat@example.org")); !strings.Contains(h.Body, `href="/portal/safety-plan"`) {
		t.Error("the portal's navigation lacks My safety plan")
	}
	if h := f.Do("GET", "/patients", nil, f.SignIn("thea@example.org")); strings.Contains(h.Body, `href="/portal/safety-plan"`) {
		t.Error("staff navigation links the portal's plan")
	}
}

// TestSafetyPlanLinked: the plan is one tap away where it is needed: the
// crisis help after a check-in answer of self-harm (PHQ-9 item 9), the
// chart's index and its open safety alert.
func TestSafetyPlanLinked(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 2), pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `<a href="/portal/safety-plan" id="checkin-safety-plan">`) {
		t.Errorf("the crisis help after item 9 = %d, want a link to the plan", r.Status)
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("thea@example.org"))
	link := `href="/patients/` + f.PA.ID + `/safety-plan"`
	if n := strings.Count(chart.Body, link); n != 2 {
		t.Errorf("the chart links the plan %d times, want 2 (its index and the open alert)", n)
	}
}

// TestSafetyPlanEmergencyReadOnly (review finding 2): theo, a therapist
// off the care team with an emergency grant, reads the plan but is told it
// is read-only and is offered no Edit link; the edit form answers 404 (so
// nobody types into a form whose save would be refused) and a posted
// version is refused with nothing saved.
func TestSafetyPlanEmergencyReadOnly(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/safety-plan", planForm("0", clinic.PlanReasons, "My dog, Biscuit"), pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	f.InsertEmergencyGrant(f.PA.ID, f.Users["theo@example.org"].ID)
	theo := f.SignIn("theo@example.org")
	chart := "/patients/" + f.PA.ID + "/safety-plan"
	page := f.Do("GET", chart, nil, theo)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "My dog, Biscuit") {
		t.Fatalf("emergency access reads the plan = %d, want 200 with the plan", page.Status)
	}
	if strings.Contains(page.Body, `href="`+chart+`/edit"`) {
		t.Error("the plan offers emergency access an Edit link")
	}
	if !strings.Contains(page.Body, "read-only") {
		t.Errorf("the plan does not say it is read-only through emergency access:\n%s", page.Body)
	}
	if r := f.Do("GET", chart+"/edit", nil, theo); r.Status != http.StatusNotFound || strings.Contains(r.Body, "My dog, Biscuit") {
		t.Errorf("emergency access GET the edit form = %d, want 404", r.Status)
	}
	denied := 0
	for _, e := range f.AuditRows("route.denied") {
		if strings.Contains(e.Detail, "safety-plan/edit") && strings.Contains(e.Detail, string(auth.PermSafetyPlanEdit)) {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("route.denied audit rows for the edit form = %d, want 1", denied)
	}
	if r := f.Do("POST", chart, planForm("1", clinic.PlanReasons, "Emergency-Typed-Line"), theo); r.Status != http.StatusNotFound {
		t.Errorf("emergency access POST the plan = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/portal/safety-plan", nil, pat); strings.Contains(r.Body, "Emergency-Typed-Line") || !strings.Contains(r.Body, "Version 1,") {
		t.Error("emergency access saved a version")
	}
	// The care team still sees Edit.
	if r := f.Do("GET", chart, nil, f.SignIn("thea@example.org")); !strings.Contains(r.Body, `href="`+chart+`/edit"`) || strings.Contains(r.Body, "read-only") {
		t.Error("the care team's plan lacks its Edit link or says read-only")
	}
}

// TestSafetyPlanSavedNoticeTrustsNoURL (review finding 3): "Saved as
// version N." shows only when N is the plan's current version and the
// viewer saved it; a crafted ?saved= (a version that does not exist, an
// older one, or one someone else saved) shows no notice.
func TestSafetyPlanSavedNoticeTrustsNoURL(t *testing.T) {
	f := webtest.NewFixture(t)
	pat, thea := f.SignIn("pat@example.org"), f.SignIn("thea@example.org")
	chart := "/patients/" + f.PA.ID + "/safety-plan"
	if r := f.Do("GET", "/portal/safety-plan?saved=9", nil, pat); strings.Contains(r.Body, "Saved as") {
		t.Error("with no plan saved, ?saved=9 says it was saved")
	}
	if r := f.Do("POST", "/portal/safety-plan", planForm("0", clinic.PlanReasons, "My dog, Biscuit"), pat); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	if r := f.Do("POST", chart, planForm("1", clinic.PlanReasons, "My dog, Biscuit\nThe sea"), thea); r.Status != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	for _, c := range []struct{ who, path string }{
		{pat, "/portal/safety-plan?saved=9"}, {pat, "/portal/safety-plan?saved=1"}, {pat, "/portal/safety-plan?saved=2"},
		{thea, chart + "?saved=1"}, {thea, chart + "?saved=3"},
	} {
		if r := f.Do("GET", c.path, nil, c.who); r.Status != http.StatusOK || strings.Contains(r.Body, "Saved as") {
			t.Errorf("GET %s = %d, shows a save notice it cannot vouch for", c.path, r.Status)
		}
	}
	if r := f.Do("GET", chart+"?saved=2", nil, thea); !strings.Contains(r.Body, "Saved as version 2.") {
		t.Error("thea's own save of the current version has no notice")
	}
}
