package portal_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/portal"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestAutosaveAfterSignInEnded: a background save from a page whose
// sign-in has ended (30 minutes idle) is answered 401 with JSON saying
// nothing was saved, not a redirect to the sign-in page (which the page's
// fetch followed, so it could not tell, and crisis help stayed hidden).
func TestAutosaveAfterSignInEnded(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	f.Now = f.Now.Add(31 * time.Minute)
	r := f.Do("POST", "/portal/checkins/phq9", url.Values{"action": {"save"}, "autosave": {"1"}, "phq9_9": {"3"}}, pat)
	if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("Location") != "" {
		t.Fatalf("autosave after the sign-in ended = %d %q to %q, want 401 JSON", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Location"))
	}
	var out portal.CheckinSaved
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || out.Saved || !out.SignedOut || !strings.Contains(out.Message, "not saved") {
		t.Fatalf("autosave after the sign-in ended answered %q (%v), want not saved, signed out", r.Body, err)
	}
	if n := len(f.OpenAlerts()); n != 0 {
		t.Errorf("%d open alerts from a signed-out save", n)
	}
	// A page posted the ordinary way still goes to the sign-in page.
	if r := f.Do("POST", "/portal/checkins/phq9", url.Values{"action": {"save"}, "phq9_9": {"3"}}, pat); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("form post after the sign-in ended = %d to %q, want 303 to sign in", r.Status, r.Header.Get("Location"))
	}
}

// TestAutosaveDatabaseFailure: a background save that the database fails
// is 503 (try again), not 500, and its JSON says nothing was saved while
// still asking for crisis help for a risk answer.
func TestAutosaveDatabaseFailure(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	key := f.St.AuditKey()
	f.St.SetAuditKey(nil) // every audited write now fails
	r := f.Do("POST", "/portal/checkins/phq9", url.Values{"action": {"save"}, "autosave": {"1"}, "phq9_9": {"2"}}, pat)
	f.St.SetAuditKey(key)
	var out portal.CheckinSaved
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("autosave with the database failing answered %d %q, want JSON", r.Status, r.Body)
	}
	if r.Status != http.StatusServiceUnavailable || out.Saved || out.Alerted || !out.Crisis || !strings.Contains(out.Message, "could not save") {
		t.Fatalf("autosave with the database failing = %d %+v, want 503, not saved, crisis help", r.Status, out)
	}
}

// TestCheckinFormMarksRiskAnswers: every choice that is a risk answer (the
// rule Signal applies) carries data-risk, and no other choice does; every
// question with one shows crisis help beside it, the risk screen's too.
func TestCheckinFormMarksRiskAnswers(t *testing.T) {
	f := webtest.NewFixture(t)
	f.WordInstruments()
	f.Assign("phq9", "weekly")
	f.Assign("risk", "weekly")
	pat := f.SignIn("pat@example.org")
	marked := regexp.MustCompile(`name="([a-z0-9_]+)" value="(\d+)"[^>]*data-risk`)
	for _, c := range []struct {
		inst  string
		want  []string
		hints int
	}{
		{"phq9", []string{"phq9_9=1", "phq9_9=2", "phq9_9=3"}, 1},
		{"risk", []string{"risk_1=1", "risk_2=1", "risk_3=1", "risk_4=1", "risk_5=1", "risk_6=1", "risk_6_recent=1"}, 7},
	} {
		r := f.Do("GET", "/portal/checkins/"+c.inst, nil, pat)
		var got []string
		for _, m := range marked.FindAllStringSubmatch(r.Body, -1) {
			got = append(got, m[1]+"="+m[2])
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s marks %v as risk answers, want %v", c.inst, got, c.want)
		}
		if n := strings.Count(r.Body, `class="field-hint crisis-inline"`); n != c.hints {
			t.Errorf("%s shows crisis help beside %d questions, want %d", c.inst, n, c.hints)
		}
	}
}

// TestIntakeRiskAnswerNotSaved: when the intake cannot be saved for a
// reason other than a wrong field, an answer of yes to thoughts of ending
// their life still shows crisis help (503), saying plainly that nothing was
// saved and no one was alerted, never the generic error page.
func TestIntakeRiskAnswerNotSaved(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	key := f.St.AuditKey()
	f.St.SetAuditKey(nil) // every audited write now fails
	r := f.Do("POST", "/portal/intake", webtest.IntakeForm("submit", []string{"suicidal_now"}), pat)
	f.St.SetAuditKey(key)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Thank you for telling us") || !strings.Contains(r.Body, `href="tel:988"`) {
		t.Fatalf("intake with a risk answer, database failing = %d, want 503 with crisis help", r.Status)
	}
	if !strings.Contains(r.Body, "could not save your answers, so your care team has not been alerted") || strings.Contains(r.Body, "Your answers are saved") {
		t.Error("the crisis page claims a save or an alert that did not happen")
	}
	if n := len(f.OpenAlerts()); n != 0 {
		t.Errorf("%d open alerts, want none (nothing was saved)", n)
	}
	// Saved, the same page says so.
	r = f.Do("POST", "/portal/intake", webtest.IntakeForm("submit", []string{"suicidal_now"}), pat)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Your answers are saved and your care team has been alerted") {
		t.Fatalf("intake with a risk answer = %d, want the crisis page saying it was saved and alerted", r.Status)
	}
}
