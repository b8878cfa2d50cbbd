package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
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
	f := newFixture(t)
	f.dosingReady("sertraline 50 mg")
	path := f.startDosing("thea@example.org")
	thea, rex := f.signIn("thea@example.org"), f.signIn("rex@example.org")
	form := fullGate("sertraline 50 mg")
	form.Set("heart_rate", "150")
	r := f.do("POST", path+"/gate", form, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pulse 150 is above the hold threshold (130)") {
		t.Fatalf("pulse 150 at the gate = %d, want a hold naming it", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionGate || d.Problems["vitals"] == "" {
		t.Fatalf("pulse 150: status %s, problems %v", d.Status, d.Problems)
	}
	form.Set("heart_rate", "72")
	form.Set("spo2", "85")
	form.Set("client_id", "gate-2")
	r = f.do("POST", path+"/gate", form, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "SpO₂ 85% is below the hold threshold (90%)") {
		t.Fatalf("SpO₂ 85 at the gate = %d, want a hold naming it", r.status)
	}
	if dose := f.do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); dose.status != http.StatusUnprocessableEntity {
		t.Fatalf("dose with SpO₂ 85 = %d, want refused", dose.status)
	}
	over := fullGate("sertraline 50 mg")
	over.Del("bp")
	over.Del("heart_rate")
	over.Del("spo2")
	over.Set("override", "Chronic lung disease, 86-88% at rest on every visit; respiratory letter on file.")
	if r := f.do("POST", path+"/gate", over, rex); r.status != http.StatusSeeOther {
		t.Fatalf("prescriber override = %d", r.status)
	}
	if rows := f.auditRows("dosing.override"); len(rows) != 1 || !strings.Contains(rows[0].Detail, "SpO₂ 85%") {
		t.Errorf("the override's audit row does not name the reading: %+v", rows)
	}
	// The dose a minute after the gate (a pre-dose reading taken at or
	// after the dose would count as a reading after it).
	f.now = f.now.Add(time.Minute)
	if r := f.do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.status)
	}
	dosed := f.now
	at := func(min int) {
		f.now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.signIn("thea@example.org")
	}
	vitals := func(id string, v url.Values) {
		t.Helper()
		v.Set("client_id", id)
		if r := f.do("POST", path+"/vitals", v, thea); r.status != http.StatusSeeOther {
			t.Fatalf("vitals %s = %d", id, r.status)
		}
	}
	if b := banner(f.do("GET", path, nil, thea).body); b != "" {
		t.Errorf("a banner before any reading after the dose: %s", b)
	}
	at(20)
	vitals("c20", url.Values{"phase": {"check"}, "spo2": {"85"}})
	page := f.do("GET", path, nil, thea)
	b := banner(page.body)
	if !strings.Contains(b, "SpO₂ 85% is below the hold threshold (90%)") || strings.Index(page.body, "hold-banner") > strings.Index(page.body, `id="prefs-title"`) {
		t.Fatalf("no hold banner at the top of the page for SpO₂ 85: %q", b)
	}
	// A reading that did not measure SpO₂ does not resolve it.
	at(40)
	vitals("a40", url.Values{"phase": {"after_dose"}, "bp": {"134/86"}, "heart_rate": {"84"}})
	if b := banner(f.do("GET", path, nil, thea).body); !strings.Contains(b, "SpO₂ 85%") {
		t.Errorf("the SpO₂ hold is gone after a reading without SpO₂: %q", b)
	}
	at(125)
	vitals("pd", url.Values{"phase": {"pre_discharge"}, "bp": {"124/78"}, "heart_rate": {"150"}, "spo2": {"97"}})
	page = f.do("GET", path, nil, thea)
	if b := banner(page.body); !strings.Contains(b, "pulse 150") || strings.Contains(b, "SpO₂ 85%") {
		t.Errorf("after SpO₂ 97 and pulse 150, the banner reads %q", b)
	}
	if r := f.do("POST", path+"/discharge", allCriteria, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pulse 150 is above the hold threshold") {
		t.Fatalf("discharge with pulse 150 = %d, want refused naming it", r.status)
	}
	at(126)
	vitals("pd2", url.Values{"phase": {"pre_discharge"}, "bp": {"122/78"}, "heart_rate": {"88"}, "spo2": {"96"}})
	if b := banner(f.do("GET", path, nil, thea).body); b != "" {
		t.Errorf("the banner stays after the readings are back: %q", b)
	}
	if r := f.do("POST", path+"/discharge", allCriteria, thea); r.status != http.StatusSeeOther {
		t.Fatalf("discharge = %d", r.status)
	}
}

// TestDosingMinimumObservation (issue 12, defect 6): the reported case, a
// discharge 6 minutes after the dose with 158/99, pulse 138, SpO₂ 82 %, is
// refused with the reason; only a prescriber can allow an earlier
// discharge, with a written reason (audited, on the record), and never
// past a hold or without a recent reading.
func TestDosingMinimumObservation(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	path := f.passGate("")
	thea := f.signIn("thea@example.org")
	if r := f.do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.status != http.StatusSeeOther {
		t.Fatalf("dose = %d", r.status)
	}
	dosed := f.now
	at := func(min int) {
		f.now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.signIn("thea@example.org")
	}
	at(5)
	f.do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "bp": {"158/99"}, "heart_rate": {"138"}, "spo2": {"82"}}, thea)
	at(6)
	r := f.do("POST", path+"/discharge", allCriteria, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "The patient was dosed 6 minutes ago: the minimum observation time is 120 minutes") {
		t.Fatalf("discharge 6 minutes after the dose = %d, want refused with the reason", r.status)
	}
	if !strings.Contains(r.body, "Reading 5 min after the dose") && !strings.Contains(r.body, "Before discharge (5 min after the dose)") {
		t.Error("the reading is not labelled by its time after the dose")
	}
	if d := f.session(path); d.Status != clinic.SessionDosed {
		t.Fatalf("after the refused discharge: %s", d.Status)
	}
	early := url.Values{"criteria": allCriteria["criteria"], "early_reason": {"Patient must leave for a family emergency; partner driving; advised to call."}}
	if r := f.do("POST", path+"/discharge", early, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only a prescriber can allow an earlier discharge") {
		t.Fatalf("therapist's early reason = %d, want refused", r.status)
	}
	rex := f.signIn("rex@example.org")
	if page := f.do("GET", path, nil, rex); !strings.Contains(page.body, `name="early_reason"`) {
		t.Error("the prescriber is not offered the earlier discharge")
	}
	if r := f.do("POST", path+"/discharge", early, rex); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pulse 138 is above the hold threshold") {
		t.Fatalf("prescriber's early discharge past a hold = %d, want refused", r.status)
	}
	at(8)
	f.do("POST", path+"/vitals", url.Values{"client_id": {"pd2"}, "phase": {"pre_discharge"}, "bp": {"128/82"}, "heart_rate": {"84"}, "spo2": {"97"}}, thea)
	at(30)
	rex = f.signIn("rex@example.org")
	if r := f.do("POST", path+"/discharge", early, rex); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "taken 22 minutes ago") {
		t.Fatalf("discharge with a 22-minute-old reading = %d, want refused", r.status)
	}
	f.do("POST", path+"/vitals", url.Values{"client_id": {"pd3"}, "phase": {"pre_discharge"}, "bp": {"126/80"}, "heart_rate": {"80"}, "spo2": {"98"}}, thea)
	if r := f.do("POST", path+"/discharge", early, rex); r.status != http.StatusSeeOther {
		t.Fatalf("prescriber's early discharge = %d", r.status)
	}
	d := f.session(path)
	if d.Status != clinic.SessionDischarged || d.Minutes() >= 35 || !strings.Contains(d.EarlyReason, "family emergency") || d.EarlyReasonBy == "" {
		t.Fatalf("after the early discharge: %s, %d min, %q by %q", d.Status, d.Minutes(), d.EarlyReason, d.EarlyReasonBy)
	}
	if rows := f.auditRows("dosing.discharge_early"); len(rows) != 1 || rows[0].ActorID != f.users["rex@example.org"].ID {
		t.Errorf("early discharge audit rows = %+v", rows)
	}
	if rec := f.do("GET", path, nil, thea); !strings.Contains(rec.body, "Earlier discharge") || !strings.Contains(rec.body, "family emergency") {
		t.Error("the record does not show the prescriber's reason for the earlier discharge")
	}
}

// TestDosingThresholdsBelongToThePrescriber (issue 12, defect 10): the
// thresholds and observation time are changed by a prescriber, within
// bounds, audited; an administrator only sees them; the admin's practice
// page no longer sets them.
func TestDosingThresholdsBelongToThePrescriber(t *testing.T) {
	f := newFixture(t)
	admin, rex := f.signIn("admin@example.org"), f.signIn("rex@example.org")
	if p := f.do("GET", "/admin/practice", nil, admin); strings.Contains(p.body, `name="bp_hold"`) || !strings.Contains(p.body, "/settings/dosing") {
		t.Error("the admin's practice page still sets the blood-pressure hold, or does not link to the prescriber's settings")
	}
	if r := f.do("POST", "/admin/practice", url.Values{"name": {"Willow"}, "time_zone": {"America/New_York"}, "reminder_hours": {"48, 24"}, "bp_hold": {"260/160"},
		"minutes_intake": {"60"}}, admin); r.status >= 500 {
		t.Fatalf("practice save = %d", r.status)
	}
	if th, _ := f.st.Thresholds(t.Context(), f.as("rex@example.org")); th.BPHold != clinic.DefaultBPHold {
		t.Fatalf("an admin moved the hold to %v", th.BPHold)
	}
	view := f.do("GET", "/settings/dosing", nil, admin)
	if view.status != http.StatusOK || !strings.Contains(view.body, `value="160/100"`) || !strings.Contains(view.body, "readonly") || strings.Contains(view.body, ">Save</button>") {
		t.Errorf("the admin's view = %d, want the values read-only", view.status)
	}
	if r := f.do("POST", "/settings/dosing", url.Values{"bp_hold": {"150/95"}}, admin); r.status != http.StatusNotFound {
		t.Errorf("admin saves thresholds = %d, want 404", r.status)
	}
	page := f.do("GET", "/settings/dosing", nil, rex)
	if !strings.Contains(page.body, `href="/settings/dosing"`) || !strings.Contains(page.body, ">Save</button>") || !strings.Contains(page.body, "clinical choice") {
		t.Error("the prescriber's page is not in their navigation, cannot be saved, or does not say the pulse defaults are a clinical choice")
	}
	form := url.Values{}
	for k, v := range map[string]string{"bp_caution": "140/90", "bp_hold": "200/120", "pulse_high_caution": "110", "pulse_high_hold": "120",
		"pulse_low_caution": "50", "pulse_low_hold": "40", "spo2_caution": "94", "spo2_hold": "90", "observation_minutes": "45"} {
		form.Set(k, v)
	}
	r := f.do("POST", "/settings/dosing", form, rex)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "never above 180/110") || !strings.Contains(r.body, "never below 60") || !strings.Contains(r.body, `value="200/120"`) {
		t.Fatalf("out-of-bounds thresholds = %d, want refused at the fields with the input kept", r.status)
	}
	if len(f.auditRows("setting.change")) != 0 {
		t.Error("a refused save wrote audit rows")
	}
	form.Set("bp_hold", "150/95")
	form.Set("observation_minutes", "90")
	if r := f.do("POST", "/settings/dosing", form, rex); r.status != http.StatusSeeOther {
		t.Fatalf("save = %d: %s", r.status, r.body[:min(300, len(r.body))])
	}
	th, _ := f.st.Thresholds(t.Context(), f.as("rex@example.org"))
	if th.BPHold != (clinic.BP{Systolic: 150, Diastolic: 95}) || th.PulseHighHold != 120 || th.ObservationMinutes != 90 {
		t.Fatalf("saved thresholds = %+v", th)
	}
	rows := f.auditRows("setting.change")
	if len(rows) == 0 || rows[0].ActorID != f.users["rex@example.org"].ID {
		t.Errorf("setting audit rows = %+v", rows)
	}
	// The new thresholds apply at the gate.
	f.dosingReady()
	path := f.startDosing("thea@example.org")
	g := fullGate("")
	g.Set("heart_rate", "125")
	if r := f.do("POST", path+"/gate", g, f.signIn("thea@example.org")); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pulse 125 is above the hold threshold (120)") {
		t.Errorf("pulse 125 with the prescriber's hold above 120 = %d", r.status)
	}
}

// TestDosingDoseAgainstPrescription (issue 12, defect 11): the dose is an
// amount and a unit compared with the prescription; a different dose needs
// the prescriber's written reason, from their own sign-in, audited and
// shown with the session.
func TestDosingDoseAgainstPrescription(t *testing.T) {
	f := newFixture(t)
	f.dosingReady()
	path := f.passGate("")
	thea := f.signIn("thea@example.org")
	dose := url.Values{"amount": {"150"}, "unit": {"mg"}, "route": {"sublingual"}}
	r := f.do("POST", path+"/dose", dose, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "150 mg differs from the prescribed 200 mg per session") || !strings.Contains(r.body, `value="150"`) {
		t.Fatalf("a different dose by the therapist = %d, want refused with the input kept", r.status)
	}
	if r := f.do("POST", path+"/dose", url.Values{"amount": {"two"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "as a number") {
		t.Errorf("a dose in words = %d", r.status)
	}
	withReason := url.Values{"amount": {"150"}, "unit": {"mg"}, "route": {"sublingual"}, "dose_reason": {"Nausea last time; step down."}}
	if r := f.do("POST", path+"/dose", withReason, thea); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only a prescriber can give a reason") {
		t.Errorf("a therapist's reason = %d, want refused", r.status)
	}
	rex := f.signIn("rex@example.org")
	if r := f.do("POST", path+"/dose", dose, rex); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Write your reason for giving it differently from the prescription") {
		t.Errorf("the prescriber without a reason = %d", r.status)
	}
	if d := f.session(path); d.Status != clinic.SessionReady {
		t.Fatalf("after refused doses: %s", d.Status)
	}
	if r := f.do("POST", path+"/dose", withReason, rex); r.status != http.StatusSeeOther {
		t.Fatalf("the prescriber's different dose = %d", r.status)
	}
	d := f.session(path)
	if d.DoseAmount != "150 mg" || d.DosePrescribed != "200 mg per session, sublingual lozenge / troche" || d.DoseReason != "Nausea last time; step down." || d.DoseReasonBy == "" {
		t.Fatalf("dose %q prescribed %q reason %q by %q", d.DoseAmount, d.DosePrescribed, d.DoseReason, d.DoseReasonBy)
	}
	if rows := f.auditRows("dosing.dose_differs"); len(rows) != 1 || !strings.Contains(rows[0].Detail, "150 mg sublingual (prescribed 200 mg sublingual)") {
		t.Errorf("audit rows = %+v", rows)
	}
	if page := f.do("GET", path, nil, thea); !strings.Contains(page.body, "Differs from the prescription (200 mg per session, sublingual lozenge / troche)") || !strings.Contains(page.body, "Nausea last time") {
		t.Error("the session does not show the difference and the reason")
	}
}
