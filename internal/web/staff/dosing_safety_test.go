package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var allCriteria = url.Values{"criteria": {"vitals", "oriented", "gait", "nausea", "escort", "aftercare"}}

// banner is the hold banner's text on a page, or "".
func banner(body string) string {
	i := strings.Index(body, `class="hold-banner"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</div>")
	return body[i : i+j]
}

// TestDosingPulseAndSpO2Hold (issue 12, defect 7): pulse 150 or SpO₂ 85
// holds the gate; the prescriber's override names the reading; during the
// session a hold-level reading shows as a banner at the top of the page
// until a later reading of it is not at hold, and blocks discharge.
func TestDosingPulseAndSpO2Hold(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady("sertraline 50 mg")
	path := f.StartDosing("thea@example.org")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	form := webtest.FullGate("sertraline 50 mg")
	form.Set("heart_rate", "150")
	r := f.Do("POST", path+"/gate", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pulse 150 is above the hold threshold (130)") {
		t.Fatalf("pulse 150 at the gate = %d, want a hold naming it", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionGate || d.Problems["vitals"] == "" {
		t.Fatalf("pulse 150: status %s, problems %v", d.Status, d.Problems)
	}
	form.Set("heart_rate", "72")
	form.Set("spo2", "85")
	form.Set("client_id", "gate-2")
	r = f.Do("POST", path+"/gate", form, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "SpO₂ 85% is below the hold threshold (90%)") {
		t.Fatalf("SpO₂ 85 at the gate = %d, want a hold naming it", r.Status)
	}
	if dose := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); dose.Status != http.StatusUnprocessableEntity {
		t.Fatalf("dose with SpO₂ 85 = %d, want refused", dose.Status)
	}
	over := webtest.FullGate("sertraline 50 mg")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "Chronic lung disease, 86-88% at rest on every visit; respiratory letter on file.")
	if r := f.Do("POST", path+"/gate", over, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("prescriber override = %d", r.Status)
	}
	if rows := f.AuditRows("dosing.override"); len(rows) != 1 || !strings.Contains(rows[0].Detail, "SpO₂ 85%") {
		t.Errorf("the override's audit row does not name the reading: %+v", rows)
	}
	// The dose a minute after the gate (a pre-dose reading taken at or
	// after the dose would count as a reading after it).
	f.Now = f.Now.Add(time.Minute)
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.Status)
	}
	dosed := f.Now
	at := func(min int) {
		f.Now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.SignIn("thea@example.org")
	}
	vitals := func(id string, v url.Values) {
		t.Helper()
		v.Set("client_id", id)
		if r := f.Do("POST", path+"/vitals", v, thea); r.Status != http.StatusSeeOther {
			t.Fatalf("vitals %s = %d", id, r.Status)
		}
	}
	if b := banner(f.Do("GET", path, nil, thea).Body); b != "" {
		t.Errorf("a banner before any reading after the dose: %s", b)
	}
	at(20)
	vitals("c20", url.Values{"phase": {"check"}, "spo2": {"85"}})
	page := f.Do("GET", path, nil, thea)
	b := banner(page.Body)
	if !strings.Contains(b, "SpO₂ 85% is below the hold threshold (90%)") || strings.Index(page.Body, "hold-banner") > strings.Index(page.Body, `id="prefs-title"`) {
		t.Fatalf("no hold banner at the top of the page for SpO₂ 85: %q", b)
	}
	// A reading that did not measure SpO₂ does not resolve it.
	at(40)
	vitals("a40", url.Values{"phase": {"after_dose"}, "bp": {"134/86"}, "heart_rate": {"84"}})
	if b := banner(f.Do("GET", path, nil, thea).Body); !strings.Contains(b, "SpO₂ 85%") {
		t.Errorf("the SpO₂ hold is gone after a reading without SpO₂: %q", b)
	}
	at(125)
	vitals("pd", url.Values{"phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"124/78"}, "heart_rate": {"150"}, "spo2": {"97"}})
	page = f.Do("GET", path, nil, thea)
	if b := banner(page.Body); !strings.Contains(b, "pulse 150") || strings.Contains(b, "SpO₂ 85%") {
		t.Errorf("after SpO₂ 97 and pulse 150, the banner reads %q", b)
	}
	if r := f.Do("POST", path+"/discharge", allCriteria, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pulse 150 is above the hold threshold") {
		t.Fatalf("discharge with pulse 150 = %d, want refused naming it", r.Status)
	}
	at(126)
	vitals("pd2", url.Values{"phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"122/78"}, "heart_rate": {"88"}, "spo2": {"96"}})
	if b := banner(f.Do("GET", path, nil, thea).Body); b != "" {
		t.Errorf("the banner stays after the readings are back: %q", b)
	}
	if r := f.Do("POST", path+"/discharge", allCriteria, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("discharge = %d", r.Status)
	}
}

// TestDosingMinimumObservation (issue 12, defect 6): the reported case, a
// discharge 6 minutes after the dose with 158/99, pulse 138, SpO₂ 82 %, is
// refused with the reason; only a prescriber can allow an earlier
// discharge, with a written reason (audited, on the record), and never
// past a hold or without a recent reading.
func TestDosingMinimumObservation(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("")
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.Status)
	}
	dosed := f.Now
	at := func(min int) {
		f.Now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.SignIn("thea@example.org")
	}
	at(5)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"158/99"}, "heart_rate": {"138"}, "spo2": {"82"}}, thea)
	at(6)
	r := f.Do("POST", path+"/discharge", allCriteria, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The patient was dosed 6 minutes ago: the minimum observation time is 120 minutes") {
		t.Fatalf("discharge 6 minutes after the dose = %d, want refused with the reason", r.Status)
	}
	if !strings.Contains(r.Body, "Reading 5 min after the dose") && !strings.Contains(r.Body, "Before discharge (5 min after the dose)") {
		t.Error("the reading is not labelled by its time after the dose")
	}
	if d := f.Session(path); d.Status != clinic.SessionDosed {
		t.Fatalf("after the refused discharge: %s", d.Status)
	}
	early := url.Values{"criteria": allCriteria["criteria"], "early_reason": {"Patient must leave for a family emergency; partner driving; advised to call."}}
	if r := f.Do("POST", path+"/discharge", early, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Only a prescriber can allow an earlier discharge") {
		t.Fatalf("therapist's early reason = %d, want refused", r.Status)
	}
	rex := f.SignIn("rex@example.org")
	if page := f.Do("GET", path, nil, rex); !strings.Contains(page.Body, `name="early_reason"`) {
		t.Error("the prescriber is not offered the earlier discharge")
	}
	if r := f.Do("POST", path+"/discharge", early, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pulse 138 is above the hold threshold") {
		t.Fatalf("prescriber's early discharge past a hold = %d, want refused", r.Status)
	}
	at(8)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd2"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"128/82"}, "heart_rate": {"84"}, "spo2": {"97"}}, thea)
	at(30)
	rex = f.SignIn("rex@example.org")
	if r := f.Do("POST", path+"/discharge", early, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "taken 22 minutes ago") {
		t.Fatalf("discharge with a 22-minute-old reading = %d, want refused", r.Status)
	}
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd3"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"126/80"}, "heart_rate": {"80"}, "spo2": {"98"}}, thea)
	if r := f.Do("POST", path+"/discharge", early, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("prescriber's early discharge = %d", r.Status)
	}
	d := f.Session(path)
	if d.Status != clinic.SessionDischarged || d.Minutes() >= 35 || !strings.Contains(d.EarlyReason, "family emergency") || d.EarlyReasonBy == "" {
		t.Fatalf("after the early discharge: %s, %d min, %q by %q", d.Status, d.Minutes(), d.EarlyReason, d.EarlyReasonBy)
	}
	if rows := f.AuditRows("dosing.discharge_early"); len(rows) != 1 || rows[0].ActorID != f.Users["rex@example.org"].ID {
		t.Errorf("early discharge audit rows = %+v", rows)
	}
	if rec := f.Do("GET", path, nil, thea); !strings.Contains(rec.Body, "Earlier discharge") || !strings.Contains(rec.Body, "family emergency") {
		t.Error("the record does not show the prescriber's reason for the earlier discharge")
	}
}

// TestDosingThresholdsBelongToThePrescriber (issue 12, defect 10): the
// thresholds and observation time are changed by a prescriber, within
// bounds, audited; an administrator only sees them; the admin's practice
// page no longer sets them.
func TestDosingThresholdsBelongToThePrescriber(t *testing.T) {
	f := webtest.NewFixture(t)
	admin, rex := f.SignIn("admin@example.org"), f.SignIn("rex@example.org")
	if p := f.Do("GET", "/admin/practice", nil, admin); strings.Contains(p.Body, `name="bp_hold"`) || !strings.Contains(p.Body, "/settings/dosing") {
		t.Error("the admin's practice page still sets the blood-pressure hold, or does not link to the prescriber's settings")
	}
	if r := f.Do("POST", "/admin/practice", url.Values{"name": {"Willow"}, "time_zone": {"America/New_York"}, "reminder_hours": {"48, 24"}, "bp_hold": {"260/160"},
		"minutes_intake": {"60"}}, admin); r.Status >= 500 {
		t.Fatalf("practice save = %d", r.Status)
	}
	if th, _ := f.St.Thresholds(t.Context(), f.As("rex@example.org")); th.BPHold != clinic.DefaultBPHold {
		t.Fatalf("an admin moved the hold to %v", th.BPHold)
	}
	view := f.Do("GET", "/settings/dosing", nil, admin)
	if view.Status != http.StatusOK || !strings.Contains(view.Body, `value="160/100"`) || !strings.Contains(view.Body, "readonly") || strings.Contains(view.Body, ">Save</button>") {
		t.Errorf("the admin's view = %d, want the values read-only", view.Status)
	}
	if r := f.Do("POST", "/settings/dosing", url.Values{"bp_hold": {"150/95"}}, admin); r.Status != http.StatusNotFound {
		t.Errorf("admin saves thresholds = %d, want 404", r.Status)
	}
	page := f.Do("GET", "/settings/dosing", nil, rex)
	if !strings.Contains(page.Body, `href="/settings/dosing"`) || !strings.Contains(page.Body, ">Save</button>") || !strings.Contains(page.Body, "clinical choice") {
		t.Error("the prescriber's page is not in their navigation, cannot be saved, or does not say the pulse defaults are a clinical choice")
	}
	form := url.Values{}
	for k, v := range map[string]string{"bp_caution": "140/90", "bp_hold": "200/120", "pulse_high_caution": "110", "pulse_high_hold": "120",
		"pulse_low_caution": "50", "pulse_low_hold": "40", "spo2_caution": "94", "spo2_hold": "90", "observation_minutes": "45", "sedation_caution": "4", "sedation_hold": "2"} {
		form.Set(k, v)
	}
	r := f.Do("POST", "/settings/dosing", form, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "never above 180/110") || !strings.Contains(r.Body, "never below 60") || !strings.Contains(r.Body, `value="200/120"`) {
		t.Fatalf("out-of-bounds thresholds = %d, want refused at the fields with the input kept", r.Status)
	}
	if len(f.AuditRows("setting.change")) != 0 {
		t.Error("a refused save wrote audit rows")
	}
	form.Set("bp_hold", "150/95")
	form.Set("observation_minutes", "90")
	if r := f.Do("POST", "/settings/dosing", form, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d: %s", r.Status, r.Body[:min(300, len(r.Body))])
	}
	th, _ := f.St.Thresholds(t.Context(), f.As("rex@example.org"))
	if th.BPHold != (clinic.BP{Systolic: 150, Diastolic: 95}) || th.PulseHighHold != 120 || th.ObservationMinutes != 90 {
		t.Fatalf("saved thresholds = %+v", th)
	}
	rows := f.AuditRows("setting.change")
	if len(rows) == 0 || rows[0].ActorID != f.Users["rex@example.org"].ID {
		t.Errorf("setting audit rows = %+v", rows)
	}
	// The new thresholds apply at the gate.
	f.DosingReady()
	path := f.StartDosing("thea@example.org")
	g := webtest.FullGate("")
	g.Set("heart_rate", "125")
	if r := f.Do("POST", path+"/gate", g, f.SignIn("thea@example.org")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pulse 125 is above the hold threshold (120)") {
		t.Errorf("pulse 125 with the prescriber's hold above 120 = %d", r.Status)
	}
}

// TestDosingDoseAgainstPrescription (issue 12, defect 11): the dose is an
// amount and a unit compared with the prescription; a different dose needs
// the prescriber's written reason, from their own sign-in, audited and
// shown with the session.
func TestDosingDoseAgainstPrescription(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("")
	thea := f.SignIn("thea@example.org")
	dose := url.Values{"amount": {"150"}, "unit": {"mg"}, "route": {"sublingual"}}
	r := f.Do("POST", path+"/dose", dose, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "150 mg differs from the prescribed 200 mg per session") || !strings.Contains(r.Body, `value="150"`) {
		t.Fatalf("a different dose by the therapist = %d, want refused with the input kept", r.Status)
	}
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"two"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "as a number") {
		t.Errorf("a dose in words = %d", r.Status)
	}
	withReason := url.Values{"amount": {"150"}, "unit": {"mg"}, "route": {"sublingual"}, "dose_reason": {"Nausea last time; step down."}}
	if r := f.Do("POST", path+"/dose", withReason, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Only a prescriber can give a reason") {
		t.Errorf("a therapist's reason = %d, want refused", r.Status)
	}
	rex := f.SignIn("rex@example.org")
	if r := f.Do("POST", path+"/dose", dose, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Write your reason for giving it differently from the prescription") {
		t.Errorf("the prescriber without a reason = %d", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionReady {
		t.Fatalf("after refused doses: %s", d.Status)
	}
	if r := f.Do("POST", path+"/dose", withReason, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("the prescriber's different dose = %d", r.Status)
	}
	d := f.Session(path)
	if d.DoseAmount != "150 mg" || d.DosePrescribed != "200 mg per session, sublingual lozenge / troche" || d.DoseReason != "Nausea last time; step down." || d.DoseReasonBy == "" {
		t.Fatalf("dose %q prescribed %q reason %q by %q", d.DoseAmount, d.DosePrescribed, d.DoseReason, d.DoseReasonBy)
	}
	if rows := f.AuditRows("dosing.dose_differs"); len(rows) != 1 || !strings.Contains(rows[0].Detail, "150 mg sublingual (prescribed 200 mg sublingual)") {
		t.Errorf("audit rows = %+v", rows)
	}
	if page := f.Do("GET", path, nil, thea); !strings.Contains(page.Body, "Differs from the prescription (200 mg per session, sublingual lozenge / troche)") || !strings.Contains(page.Body, "Nausea last time") {
		t.Error("the session does not show the difference and the reason")
	}
}
