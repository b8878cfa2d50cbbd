package portal_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPortalHomeNextStepsAndContact (issue 15): the portal home shows the
// next appointment with what to prepare for it (the dosing-day checklist
// and the patient's own plan from their preparation record) and the
// check-ins due, each with a button to start it; the practice's phone and
// email (practice settings) are tel: and mailto: links where a patient is
// told to contact the care team to change an appointment.
func TestPortalHomeNextStepsAndContact(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	home := f.Do("GET", "/portal", nil, pat)
	if home.Status != http.StatusOK || !strings.Contains(home.Body, "Nothing booked yet") || !strings.Contains(home.Body, "Nothing to do right now") {
		t.Fatalf("an empty portal home = %d without its empty states", home.Status)
	}

	f.ClearA()
	thea := f.SignIn("thea@example.org")
	if r := f.BookDosing(thea); r.Status != http.StatusSeeOther {
		t.Fatalf("book dosing = %d", r.Status)
	}
	f.Assign("phq9", "weekly")
	pat = f.SignIn("pat@example.org")
	prep := url.Values{"prep_version": {"0"}, "intentions": {"To be kinder to myself."}, "ride_home": {"My sister Rosa drives me home."},
		"support_name": {"Rosa"}, "support_phone": {"+1 555 010 3344"}}
	if r := f.Do("POST", "/portal/preparation", prep, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("preparation = %d: %s", r.Status, r.Body)
	}
	home = f.Do("GET", "/portal", nil, pat)
	next, rest, _ := strings.Cut(home.Body, `id="checkins-due"`)
	_, next, _ = strings.Cut(next, `id="next-appointment"`)
	for _, want := range []string{"Dosing session", "Arrange a ride home", "My sister Rosa drives me home.", "To be kinder to myself.", `href="/portal/preparation"`} {
		if !strings.Contains(next, want) {
			t.Errorf("the next appointment on the portal home lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<a class="button" href="/portal/checkins/phq9"[^>]*>Start</a>`).MatchString(rest) {
		t.Error("the check-in due has no Start button on the portal home")
	}
	if !strings.Contains(next, "To change an appointment, contact your care team") || strings.Contains(next, "tel:") {
		t.Error("without a practice phone, the home says whom to contact and gives no empty tel: link")
	}

	// The administrator gives the practice's phone and email; a bad one comes back at the field.
	admin := f.SignIn("admin@example.org")
	form := url.Values{"name": {"Riverside KAP"}, "time_zone": {"America/Chicago"}, "reminder_hours": {"48, 24"},
		"phone": {"call us"}, "email": {"office@example.org?bcc=x@evil.example"}}
	for _, k := range []string{"intake", "medical_evaluation", "preparation", "dosing", "integration", "follow_up", "other"} {
		form.Set("minutes_"+k, "60")
	}
	r := f.Do("POST", "/admin/practice", form, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="p-phone-error"`) || !strings.Contains(r.Body, `id="p-email-error"`) || !strings.Contains(r.Body, "call us") {
		t.Fatalf("practice settings with a bad phone and email = %d, want 422 at both fields, input kept", r.Status)
	}
	form.Set("phone", "+1 (555) 010-2000")
	form.Set("email", "office@riverside.example")
	if r := f.Do("POST", "/admin/practice", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("practice settings = %d: %s", r.Status, r.Body)
	}
	if r := f.Do("GET", "/admin/practice", nil, admin); !strings.Contains(r.Body, `value="&#43;1 (555) 010-2000"`) || !strings.Contains(r.Body, `value="office@riverside.example"`) {
		t.Error("the practice page does not show the saved phone and email")
	}
	for _, page := range []string{"/portal", "/portal/appointments"} {
		b := f.Do("GET", page, nil, pat).Body
		if !strings.Contains(b, `call <a href="tel:&#43;15550102000">&#43;1 (555) 010-2000</a> or write to <a href="mailto:office@riverside.example">office@riverside.example</a>`) {
			t.Errorf("%s: 'to change an appointment' lacks the practice's tel: and mailto: links", page)
		}
	}
}

// TestPortalNavigation (issue 15): Journal and Preparation are in the
// portal's navigation, and the current section is marked (aria-current)
// on its sub-pages too.
func TestPortalNavigation(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	current := regexp.MustCompile(`<nav class="sections"[\s\S]*?</nav>`)
	for path, want := range map[string]string{
		"/portal":               `<a href="/portal" aria-current="page">Home</a>`,
		"/portal/preparation":   `<a href="/portal/preparation" aria-current="page">Preparation</a>`,
		"/portal/journal":       `<a href="/portal/journal" aria-current="page">Journal</a>`,
		"/portal/journal/new":   `<a href="/portal/journal" aria-current="page">Journal</a>`,
		"/portal/checkins/phq9": `<a href="/portal/checkins" aria-current="page">Check-ins</a>`,
		"/portal/appointments":  `<a href="/portal/appointments" aria-current="page">Appointments</a>`,
	} {
		r := f.Do("GET", path, nil, pat)
		nav := current.FindString(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(nav, want) || strings.Count(nav, `aria-current="page"`) != 1 {
			t.Errorf("%s = %d, navigation %q, want exactly %s current", path, r.Status, nav, want)
		}
	}
}

// TestHomePagePromisesOnlyWhatExists: the public home page does not
// promise messaging, which kapstone does not have yet (issue 15).
func TestHomePagePromisesOnlyWhatExists(t *testing.T) {
	f := webtest.NewFixture(t)
	r := f.Do("GET", "/", nil, "")
	if r.Status != http.StatusOK || strings.Contains(strings.ToLower(r.Body), "messages to your care team") {
		t.Errorf("the home page = %d and promises messages to the care team", r.Status)
	}
}

// TestPortalHomeBringsItTogether (issue 17): the portal home has one-tap
// crisis help (988 by call and text, 911), the latest check-in score in
// plain words with a link to the progress page, the journal, the
// messages card with how many are new, and the safety plan beside the
// crisis lines once there is one (never a placeholder).
func TestPortalHomeBringsItTogether(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	home := f.Do("GET", "/portal", nil, pat)
	for _, want := range []string{`href="tel:988"`, `href="sms:988"`, `href="tel:911"`, "Once you have done a check-in", `href="/portal/progress"`, `href="/portal/journal"`} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("the portal home lacks %q", want)
		}
	}
	if strings.Contains(home.Body, `id="home-safety-plan"`) || strings.Contains(strings.ToLower(home.Body), "coming soon") {
		t.Error("the portal home offers a safety plan before there is one")
	}
	// The KAP informed consent, never signed, is asked for; once signed,
	// no longer.
	if !strings.Contains(home.Body, `id="home-consents"`) || !strings.Contains(home.Body, `href="/portal/consents/`+clinic.ConsentKAP+`"`) {
		t.Error("the portal home does not ask for the unsigned KAP informed consent")
	}
	f.SignConsentA()
	if r := f.Do("GET", "/portal", nil, pat); strings.Contains(r.Body, `id="home-consents"`) {
		t.Error("the portal home still asks for a consent that holds")
	}
	// A new version that asks for consent again is asked for.
	if _, err := f.St.PublishConsent(t.Context(), f.As("admin@example.org"), store.PublishInput{Kind: clinic.ConsentKAP, Body: "# KAP consent\n\nThe second version.", RequiresReconsent: true, After: 1}); err != nil {
		t.Fatal(err)
	}
	if r := f.Do("GET", "/portal", nil, pat); !strings.Contains(r.Body, "the practice has a new version and asks for your consent again") {
		t.Error("the portal home does not ask for consent to the new version")
	}
	if !strings.Contains(home.Body, `id="home-messages"`) || !strings.Contains(home.Body, "Write to your care team between sessions.") {
		t.Error("the portal home has no messages card")
	}
	// A message from the care team and a safety plan show on the home.
	ctx := t.Context()
	th, err := f.St.StartThread(ctx, f.As("pat@example.org"), f.PA.ID, store.MessageInput{Subject: "Sleep", Body: "Sleeping badly this week."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.ReplyMessage(ctx, f.As("thea@example.org"), f.PA.ID, th.ThreadID, store.MessageInput{Body: "Thank you for telling me; let us talk on Tuesday."}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.St.SaveSafetyPlan(ctx, f.As("thea@example.org"), f.PA.ID, 0, map[string][]string{clinic.PlanReasons: {"My sister"}}); err != nil {
		t.Fatal(err)
	}
	home = f.Do("GET", "/portal", nil, pat)
	if !strings.Contains(home.Body, "You have 1 new message from your care team.") || !strings.Contains(home.Body, `id="home-safety-plan" href="/portal/safety-plan"`) {
		_, crisis, _ := strings.Cut(home.Body, "<main")
		t.Errorf("the portal home lacks the new message or the safety plan:\n%.1500s", crisis)
	}
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 0), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("complete the PHQ-9 = %d", r.Status)
	}
	home = f.Do("GET", "/portal", nil, pat)
	if !regexp.MustCompile(`Your most recent PHQ-9, on [A-Z][a-z]+day, [A-Z][a-z]+ [0-9]+, came to <strong>8</strong>: in the <strong>mild</strong> range\.`).MatchString(home.Body) {
		_, progress, _ := strings.Cut(home.Body, `id="home-progress"`)
		t.Errorf("the portal home does not give the latest score in words:\n%.600s", progress)
	}
	webtest.CheckShell(t, "portal home", home)
}
