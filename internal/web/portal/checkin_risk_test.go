package portal_test

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/web/portal"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// crisisShown reports whether a page shows the crisis lines.
func crisisShown(body string) bool {
	return strings.Contains(body, `href="tel:988"`) && strings.Contains(body, "Thank you for telling us") && !strings.Contains(body, `id="autosave-crisis" hidden`)
}

// TestRiskScreenSkippedAnswerAlerts (defect 1): "Q1 yes, Q2 no, Q5 yes"
// on the portal is stored whole, scored high, alerts urgently, and the page
// says so in words that match; before, Q5 was dropped, the screen stored
// low with no alert while the page said the team was alerted.
func TestRiskScreenSkippedAnswerAlerts(t *testing.T) {
	f := webtest.NewFixture(t)
	f.WordInstruments()
	f.Assign("risk", "once")
	pat := f.SignIn("pat@example.org")
	r := f.Do("POST", "/portal/checkins/risk", url.Values{"action": {"complete"}, "risk_1": {"1"}, "risk_2": {"0"}, "risk_5": {"1"}, "risk_6": {"0"}}, pat)
	if r.Status != http.StatusOK || !crisisShown(r.Body) || !strings.Contains(r.Body, "care team has been alerted as urgent") {
		t.Fatalf("Q1 yes, Q2 no, Q5 yes = %d, want the crisis page saying the team was alerted as urgent", r.Status)
	}
	m, _ := f.St.FindMeasures(context.Background(), f.As("thea@example.org"), f.PA.ID)
	if len(m.Checkins) != 1 || m.Checkins[0].Risk != "high" || m.Checkins[0].Answers["risk_5"] != 1 {
		t.Fatalf("stored = %+v, want one check-in, high, with question 5 kept", m.Checkins)
	}
	caseload := f.Do("GET", "/patients", nil, f.SignIn("thea@example.org"))
	if !strings.Contains(caseload.Body, "Safety alerts") || !strings.Contains(caseload.Body, webtest.CanaryA) || !strings.Contains(caseload.Body, "question 5 (a plan, with intent to carry it out): yes") {
		t.Error("the caseload does not show the open alert naming question 5")
	}
}

// TestRiskScreenLowAlerts (defect 2): yes to "wish to be dead" alone opens
// an alert to review within a working day, the patient sees crisis help and
// is told so; before, nothing was raised.
func TestRiskScreenLowAlerts(t *testing.T) {
	f := webtest.NewFixture(t)
	f.WordInstruments()
	f.Assign("risk", "weekly")
	pat := f.SignIn("pat@example.org")
	r := f.Do("POST", "/portal/checkins/risk", url.Values{"action": {"complete"}, "risk_1": {"1"}, "risk_2": {"0"}, "risk_6": {"0"}}, pat)
	if r.Status != http.StatusOK || !crisisShown(r.Body) || !strings.Contains(r.Body, "has been alerted: they are asked to look at your answers within a working day") {
		t.Fatalf("Q1 yes = %d, want the crisis page saying within a working day", r.Status)
	}
	if open := f.OpenAlerts(); len(open) != 1 || open[0].Urgency != measure.UrgencyWorkingDay {
		t.Fatalf("open alerts = %+v, want one to review within a working day", open)
	}
	thea := f.SignIn("thea@example.org")
	if c := f.Do("GET", "/patients", nil, thea); !strings.Contains(c.Body, "review within a working day") {
		t.Error("the caseload does not say the alert's urgency")
	}
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(c.Body, "Contact "+webtest.CanaryA+" within a working day") {
		t.Error("the chart does not say to contact the patient within a working day")
	}
}

// TestCheckinNextSaves (defect 3, without JavaScript): each question's
// Next is a submit that saves and goes on to the next question; a Next
// after a positive item 9 alerts and shows crisis help with a way to go on.
// With JavaScript the page posts autosave=1 and reads JSON (see
// TestCheckinAutosave and the browser test).
func TestCheckinNextSaves(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	form := f.Do("GET", "/portal/checkins/phq9", nil, pat)
	if !strings.Contains(form.Body, `<button type="submit" name="step" value="1"`) || strings.Contains(form.Body, `<a href="#q-1">Next</a>`) {
		t.Fatal("the first question's Next is not a submit")
	}
	r := f.Do("POST", "/portal/checkins/phq9", url.Values{"step": {"2"}, "phq9_1": {"1"}, "phq9_2": {"2"}}, pat)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/checkins/phq9#q-2" {
		t.Fatalf("Next = %d to %q, want 303 to the next question", r.Status, r.Header.Get("Location"))
	}
	if resumed := f.Do("GET", "/portal/checkins/phq9", nil, pat); !regexp.MustCompile(`name="phq9_2" value="2" checked`).MatchString(resumed.Body) {
		t.Error("Next did not save the answer")
	}
	r = f.Do("POST", "/portal/checkins/phq9", url.Values{"step": {"9"}, "phq9_1": {"1"}, "phq9_2": {"2"}, "phq9_9": {"1"}}, pat)
	if r.Status != http.StatusOK || !crisisShown(r.Body) || !strings.Contains(r.Body, `href="/portal/checkins/phq9#q-9"`) || !strings.Contains(r.Body, "alerted as urgent") {
		t.Fatalf("Next after item 9 = %d, want the crisis page with a way back to the questions", r.Status)
	}
	if open := f.OpenAlerts(); len(open) != 1 || open[0].Urgency != measure.UrgencyUrgent {
		t.Fatalf("open alerts = %+v, want one urgent", open)
	}
}

// TestCheckinAutosave (defect 3, with JavaScript): the script's background
// save stores the answer and answers JSON saying what was stored and
// raised; a positive item 9 raises the alert at once.
func TestCheckinAutosave(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	post := func(v url.Values) (int, portal.CheckinSaved) {
		t.Helper()
		v.Set("action", "save")
		v.Set("autosave", "1")
		r := f.Do("POST", "/portal/checkins/phq9", v, pat)
		var out portal.CheckinSaved
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("autosave answered %d %q, want JSON", r.Status, r.Body)
		}
		return r.Status, out
	}
	status, out := post(url.Values{"phq9_1": {"1"}})
	if status != http.StatusOK || !out.Saved || out.Crisis || out.Alerted {
		t.Fatalf("autosave item 1 = %d %+v, want saved, no crisis", status, out)
	}
	status, out = post(url.Values{"phq9_1": {"1"}, "phq9_9": {"2"}})
	if status != http.StatusOK || !out.Saved || !out.Crisis || !out.Alerted || out.Urgency != "urgent" || !strings.Contains(out.Message, "alerted as urgent") {
		t.Fatalf("autosave item 9 = %d %+v, want saved, crisis, alerted as urgent", status, out)
	}
	if open := f.OpenAlerts(); len(open) != 1 {
		t.Fatalf("%d open alerts, want 1", len(open))
	}
	// Coming back to the draft, crisis help is there from the start.
	if r := f.Do("GET", "/portal/checkins/phq9", nil, pat); !strings.Contains(r.Body, `id="autosave-crisis">`) {
		t.Error("a resumed draft with item 9 does not show crisis help")
	}
	status, out = post(url.Values{"phq9_3": {"7"}})
	if status != http.StatusOK || !out.Saved || out.Errors["phq9_3"] == "" || !out.Crisis {
		t.Errorf("autosave off the scale = %d %+v, want saved, the error at phq9_3, crisis still shown", status, out)
	}
	// Not offered and no risk answer: not found, nothing claimed.
	r := f.Do("POST", "/portal/checkins/gad7", url.Values{"action": {"save"}, "autosave": {"1"}, "gad7_1": {"1"}}, pat)
	if r.Status != http.StatusNotFound || strings.Contains(r.Body, `"saved":true`) {
		t.Errorf("autosave of an unassigned GAD-7 = %d %s, want 404, not saved", r.Status, r.Body)
	}
}

// TestCheckinMilderAnswerKeepsAlert (defect 4) on the pages: a milder
// later answer leaves the caseload's alert at the highest answer, and the
// chart lists every answer with its time.
func TestCheckinMilderAnswerKeepsAlert(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	f.Do("POST", "/portal/checkins/phq9", url.Values{"action": {"save"}, "phq9_9": {"3"}}, pat)
	f.Now = f.Now.Add(5 * time.Minute)
	r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 0, 1), pat)
	if r.Status != http.StatusOK || !crisisShown(r.Body) {
		t.Fatalf("milder answer = %d, want the crisis page", r.Status)
	}
	thea := f.SignIn("thea@example.org")
	if c := f.Do("GET", "/patients", nil, thea); !strings.Contains(c.Body, "nearly every day") || strings.Contains(c.Body, "item 9 (thoughts that they would be better off dead, or of hurting themselves): several days") {
		t.Error("the caseload's alert was lowered by the milder answer")
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "Every answer on this alert (2)") || !strings.Contains(chart.Body, "several days") {
		t.Error("the chart does not list both answers on the alert")
	}
}

// TestCheckinOfferedNotDue (defect 5): a questionnaire the portal lists
// under "Also asked of you" is accepted and kept, with no 409; the list
// never says "saved" or "with your care team" unless it is.
func TestCheckinOfferedNotDue(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Assign("gad7", "once")
	pat := f.SignIn("pat@example.org")
	all := func(v string) url.Values {
		f := url.Values{"action": {"complete"}}
		for i := 1; i <= 7; i++ {
			f.Set("gad7_"+strconv.Itoa(i), v)
		}
		return f
	}
	if r := f.Do("POST", "/portal/checkins/gad7", all("1"), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("first GAD-7 = %d", r.Status)
	}
	if list := f.Do("GET", "/portal/checkins", nil, pat); !strings.Contains(list.Body, "Also asked of you") || !strings.Contains(list.Body, "/portal/checkins/gad7") {
		t.Fatal("the done once-only GAD-7 is not offered under Also asked of you")
	}
	r := f.Do("POST", "/portal/checkins/gad7", all("2"), pat)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/portal/checkins?done=gad7" {
		t.Fatalf("offered, not due GAD-7 = %d, want 303 (accepted)", r.Status)
	}
	m, _ := f.St.FindMeasures(context.Background(), f.As("thea@example.org"), f.PA.ID)
	if len(m.Checkins) != 2 || m.Checkins[1].Total != 14 {
		t.Fatalf("completed = %+v, want both kept, the second scored 14", m.Checkins)
	}
	if list := f.Do("GET", "/portal/checkins?done=gad7", nil, pat); !strings.Contains(list.Body, "Your answers are with your care team") {
		t.Error("no thank-you after a kept check-in")
	}
	for _, q := range []string{"?done=phq9", "?saved=gad7", "?saved=phq9"} {
		if list := f.Do("GET", "/portal/checkins"+q, nil, pat); strings.Contains(list.Body, `id="checkin-done"`) {
			t.Errorf("%s: the list claims a save that did not happen", q)
		}
	}
}

// TestCheckinRiskProperty: about 40 random answer sets per
// instrument, partial and complete, sent through the real handler as the
// page would (save, Next, complete, autosave): the response shows crisis
// help exactly when the stored answers hold a risk signal, and then an
// alert is open; every answer given is stored.
func TestCheckinRiskProperty(t *testing.T) {
	f := webtest.NewFixture(t)
	f.WordInstruments()
	rng := rand.New(rand.NewPCG(12, 5))
	ctx := context.Background()
	// About 40 sets per instrument through the web: the web package runs
	// twice under -race in CI with a 10-minute limit. The pure property test
	// (measure's TestSignalProperties) runs thousands of sets per instrument.
	n := 40
	if testing.Short() {
		n = 15
	}
	for _, inst := range measure.All() {
		f.Assign(inst.ID, "weekly")
		pat := f.SignIn("pat@example.org")
		for i := range n {
			form := url.Values{}
			given := measure.Answers{}
			for _, it := range inst.Items {
				switch k := rng.IntN(10); {
				case k < 3:
				case k == 3:
					form.Set(it.ID, []string{"9", "-1", "x"}[rng.IntN(3)])
				default:
					v := it.Options[rng.IntN(len(it.Options))].Value
					form.Set(it.ID, strconv.Itoa(v))
					given[it.ID] = v
				}
			}
			how := []string{"save", "complete", "step", "autosave"}[rng.IntN(4)]
			switch how {
			case "step":
				form.Set("step", strconv.Itoa(1+rng.IntN(len(inst.Items))))
			case "autosave":
				form.Set("action", "save")
				form.Set("autosave", "1")
			default:
				form.Set("action", how)
			}
			f.Now = f.Now.Add(time.Minute)
			r := f.Do("POST", "/portal/checkins/"+inst.ID, form, pat)
			if r.Status >= 500 {
				t.Fatalf("%s #%d (%s): %d", inst.ID, i, how, r.Status)
			}
			// The answers as stored: the newest check-in of this instrument.
			m, err := f.St.FindMeasures(ctx, f.As("thea@example.org"), f.PA.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The unfinished check-in if there is one, else the newest completed.
			var stored measure.Answers
			for _, c := range m.Checkins {
				if c.Instrument == inst.ID {
					stored = c.Answers
				}
			}
			for _, c := range m.InProgress {
				if c.Instrument == inst.ID {
					stored = c.Answers
				}
			}
			for id, v := range given {
				if got, ok := stored[id]; !ok || got != v {
					t.Fatalf("%s #%d (%s): given %s=%d, stored %v", inst.ID, i, how, id, v, stored)
				}
			}
			positive := measure.Signal(inst, stored).Positive()
			var shown bool
			if how == "autosave" {
				var out portal.CheckinSaved
				if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
					t.Fatalf("%s #%d: autosave answered %q", inst.ID, i, r.Body)
				}
				shown = out.Crisis && out.Alerted
			} else {
				shown = crisisShown(r.Body) && strings.Contains(r.Body, "care team has been alerted")
			}
			open := f.OpenAlerts()
			if shown != positive || (len(open) > 0) != positive {
				t.Fatalf("%s #%d (%s) stored %v: signal %v, crisis shown %v, open alerts %d", inst.ID, i, how, stored, positive, shown, len(open))
			}
			// The clinician acknowledges, so the next set starts with none open.
			for _, a := range open {
				if err := f.St.AcknowledgeSafetyAlert(ctx, f.As("thea@example.org"), f.PA.ID, a.ID, "Called.", a.LastSignal); err != nil {
					t.Fatal(err)
				}
			}
			// A check-in left unfinished keeps its answers for the next set:
			// finish it sometimes, so sets are not all merged into one.
			if how != "complete" && rng.IntN(3) == 0 {
				full := maps.Clone(stored)
				for _, it := range inst.Items {
					if _, ok := full[it.ID]; !ok {
						full[it.ID] = 0
					}
				}
				v := url.Values{"action": {"complete"}}
				for id, x := range full {
					v.Set(id, strconv.Itoa(x))
				}
				f.Do("POST", "/portal/checkins/"+inst.ID, v, pat)
				for _, a := range f.OpenAlerts() {
					f.St.AcknowledgeSafetyAlert(ctx, f.As("thea@example.org"), f.PA.ID, a.ID, "Called.", a.LastSignal)
				}
			}
		}
	}
}
