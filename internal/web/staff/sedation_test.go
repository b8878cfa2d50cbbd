package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestDosingSedationForm (issue 20, part 2): the vitals form takes MOAA/S
// (the six levels' wording), dissociation (non-validated) and
// respiratory signs; bad input is a field error and keeps what was typed;
// a reading is on the session's timeline; MOAA/S 2 holds discharge until
// a return to 5.
func TestDosingSedationForm(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", path+"/gate", webtest.FullGate("sertraline 50 mg"), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate = %d", r.Status)
	}
	f.Now = f.Now.Add(time.Minute)
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.Status)
	}
	dosed := f.Now
	at := func(min int) {
		f.Now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.SignIn("thea@example.org")
	}
	page := f.Do("GET", path, nil, thea).Body
	for _, want := range []string{"Sedation (MOAA/S)", "Responds readily to name spoken in normal tone", "Responds only after painful trapezius squeeze", "No response",
		`name="moaas" id="v-moaas-0" value="0"`, "Non-validated", "Intensity, 0–10 (non-validated)", "Pauses in breathing"} {
		if !strings.Contains(page, want) {
			t.Errorf("the vitals form lacks %q", want)
		}
	}
	// Bad input: intensity 12 with dissociation absent; the form keeps it all.
	at(40)
	bad := url.Values{"client_id": {"s1"}, "phase": {"after_dose"}, "bp": {"130/84"}, "heart_rate": {"80"}, "spo2": {"97"},
		"moaas": {"3"}, "dissociation": {"yes"}, "dissociation_intensity": {"12"}, "dissociation_note": {"Far away feeling"}, "resp_depression": {"no"}}
	r := f.Do("POST", path+"/vitals", bad, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter an intensity from 0 to 10.") {
		t.Fatalf("intensity 12 = %d, want a field error", r.Status)
	}
	for _, kept := range []string{`value="3" checked`, `value="12"`, "Far away feeling", `name="dissociation" id="v-diss-yes" value="yes" checked`, `value="130/84"`} {
		if !strings.Contains(r.Body, kept) {
			t.Errorf("the form did not keep %q", kept)
		}
	}
	bad.Set("moaas", "seven")
	if r := f.Do("POST", path+"/vitals", bad, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose one of the MOAA/S levels.") {
		t.Fatalf("moaas seven = %d, want a field error", r.Status)
	}
	if d := f.Session(path); len(d.Vitals) != 1 { // the gate's reading only
		t.Fatalf("bad input kept a reading: %d", len(d.Vitals))
	}
	ok := url.Values{"client_id": {"s2"}, "phase": {"after_dose"}, "bp": {"130/84"}, "heart_rate": {"80"}, "spo2": {"97"},
		"moaas": {"2"}, "dissociation": {"yes"}, "dissociation_intensity": {"6"}, "dissociation_note": {"Far away feeling"}, "resp_depression": {"no"}}
	if r := f.Do("POST", path+"/vitals", ok, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("vitals = %d", r.Status)
	}
	page = f.Do("GET", path, nil, thea).Body
	for _, want := range []string{"MOAA/S 2", "dissociation present 6/10", "no respiratory depression", "dissociation note (non-validated): Far away feeling"} {
		if !strings.Contains(page, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	all := allCriteria
	pre := func(id, moaas string) {
		t.Helper()
		if r := f.Do("POST", path+"/vitals", url.Values{"client_id": {id}, "phase": {"pre_discharge"}, "bp": {"124/78"}, "heart_rate": {"72"}, "spo2": {"98"}, "moaas": {moaas}}, thea); r.Status != http.StatusSeeOther {
			t.Fatalf("pre-discharge vitals = %d", r.Status)
		}
	}
	at(121)
	pre("s3", "4")
	if r := f.Do("POST", path+"/discharge", all, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Sedation has not resolved") {
		t.Fatalf("discharge at MOAA/S 4 = %d, want refused", r.Status)
	}
	at(123)
	pre("s4", "5")
	if r := f.Do("POST", path+"/discharge", all, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("discharge at MOAA/S 5 = %d: %s", r.Status, banner(r.Body))
	}
}

// TestSedationSettings: the settings page shows the sedation levels with
// their source and says the cut-offs are a clinical choice; a hold level
// below 2 is refused at its field with the input kept; a stricter hold
// (3) is saved and used.
func TestSedationSettings(t *testing.T) {
	f := webtest.NewFixture(t)
	rex := f.SignIn("rex@example.org")
	page := f.Do("GET", "/settings/dosing", nil, rex).Body
	for _, want := range []string{`id="s-sedation_hold"`, "Sedation: hold at MOAA/S or below", "Chernik", "the cut-offs (caution at 4 or lower, hold at 2 or lower) are a clinical choice"} {
		if !strings.Contains(page, want) {
			t.Errorf("the settings page lacks %q", want)
		}
	}
	form := url.Values{}
	for k, v := range map[string]string{"bp_caution": "140/90", "bp_hold": "160/100", "pulse_high_caution": "110", "pulse_high_hold": "130",
		"pulse_low_caution": "50", "pulse_low_hold": "40", "spo2_caution": "94", "spo2_hold": "90", "observation_minutes": "120", "sedation_caution": "4", "sedation_hold": "1"} {
		form.Set(k, v)
	}
	r := f.Do("POST", "/settings/dosing", form, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "a score of 2 or lower always holds") || !strings.Contains(r.Body, `name="sedation_hold" type="text" inputmode="numeric" maxlength="7" value="1"`) {
		t.Fatalf("sedation hold 1 = %d, want refused at the field with the input kept", r.Status)
	}
	form.Set("sedation_hold", "3")
	if r := f.Do("POST", "/settings/dosing", form, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}
	if th, _ := f.St.Thresholds(t.Context(), f.As("rex@example.org")); th.SedationHold != 3 || th.SedationCaution != 4 {
		t.Errorf("saved sedation levels = %d/%d", th.SedationCaution, th.SedationHold)
	}
}

// TestDosingSedationBaseline: a MOAA/S of 4 taken at the gate is the
// patient's baseline; discharge at 4 is then allowed.
func TestDosingSedationBaseline(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea := f.SignIn("thea@example.org")
	if !strings.Contains(f.Do("GET", path, nil, thea).Body, `id="g-moaas-4"`) {
		t.Fatal("the gate does not ask for the MOAA/S baseline")
	}
	g := webtest.FullGate("sertraline 50 mg")
	g.Set("moaas", "4")
	if r := f.Do("POST", path+"/gate", g, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate = %d", r.Status)
	}
	f.Now = f.Now.Add(time.Minute)
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.Status)
	}
	dosed := f.Now
	for i, m := range []int{40, 121} {
		f.Now = dosed.Add(time.Duration(m) * time.Minute)
		thea = f.SignIn("thea@example.org")
		phase := map[int]string{0: "after_dose", 1: "pre_discharge"}[i]
		if r := f.Do("POST", path+"/vitals", url.Values{"client_id": {phase}, "phase": {phase}, "bp": {"124/78"}, "heart_rate": {"72"}, "spo2": {"98"}, "moaas": {"4"}}, thea); r.Status != http.StatusSeeOther {
			t.Fatalf("vitals = %d", r.Status)
		}
	}
	if r := f.Do("POST", path+"/discharge", allCriteria, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("discharge at the baseline MOAA/S 4 = %d: %s", r.Status, banner(r.Body))
	}
}
