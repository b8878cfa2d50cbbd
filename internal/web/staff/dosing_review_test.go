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

// TestDosingPartialRetakeKeepsHold (review H1): after a pre-dose reading
// with pulse 150, a re-take of the blood pressure alone is refused at the
// pulse and SpO₂ fields (both are needed before the dose), and the gate
// stays on hold: each measure is judged by its own latest reading.
func TestDosingPartialRetakeKeepsHold(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.StartDosing("thea@example.org")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	held := webtest.FullGate("")
	held.Set("heart_rate", "150")
	if r := f.Do("POST", path+"/gate", held, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pulse 150 is above the hold threshold (130)") {
		t.Fatalf("pulse 150 = %d, want held", r.Status)
	}
	bpOnly := webtest.FullGate("")
	bpOnly.Set("bp", "124/78")
	bpOnly.Del("heart_rate")
	bpOnly.Del("spo2")
	bpOnly.Set("client_id", "gate-2")
	r := f.Do("POST", path+"/gate", bpOnly, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter the pulse in beats a minute: it is needed before the dose.") ||
		!strings.Contains(r.Body, "SpO₂ %) from the pulse oximeter: it is needed before the dose.") || !strings.Contains(r.Body, `value="124/78"`) {
		t.Fatalf("a blood-pressure-only re-take = %d, want refused at the pulse and SpO₂ fields with the input kept", r.Status)
	}
	d := f.Session(path)
	if len(d.Vitals) != 1 || d.Status != clinic.SessionGate || !strings.Contains(d.Problems["vitals"], "pulse 150") {
		t.Fatalf("after the partial re-take: %d readings, status %s, vitals problem %q; want one reading and still on hold", len(d.Vitals), d.Status, d.Problems["vitals"])
	}
	if r := f.Do("POST", path+"/dose", url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}, thea); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("dose while on hold = %d, want refused", r.Status)
	}
	if page := f.Do("GET", path, nil, thea); strings.Contains(page.Body, `SpO₂ % <span class="optional">`) {
		t.Error("the gate still calls SpO₂ optional")
	}
	// A full re-take with pulse 150 again and a high blood pressure: the
	// prescriber's override names every reading on hold, and is recorded.
	again := webtest.FullGate("")
	again.Set("bp", "170/104")
	again.Set("heart_rate", "88")
	again.Set("client_id", "gate-3")
	f.Do("POST", path+"/gate", again, thea)
	over := webtest.FullGate("")
	for _, k := range []string{"bp", "heart_rate", "spo2"} {
		over.Del(k)
	}
	over.Set("override", "Known hypertension; cardiology letter on file.")
	if r := f.Do("POST", path+"/gate", over, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("override = %d", r.Status)
	}
	d = f.Session(path)
	if got := d.Items["override"].Value; got != clinic.OverrideValue(clinic.PreDoseHolds(d.PreDoseVitals(), d.Thresholds, f.Now)) || !strings.Contains(got, d.Vitals[1].ID) {
		t.Errorf("override = %q, want it to name the readings on hold", got)
	}
}

// TestDosingRouteAgainstPrescription (review H2): 200 mg sublingual
// prescribed, 200 mg intramuscular given: the route differs, so it needs
// the prescriber's written reason like an amount difference, and the
// record says the dose given differs (never that it matches).
func TestDosingRouteAgainstPrescription(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	im := url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"intramuscular"}}
	r := f.Do("POST", path+"/dose", im, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Given intramuscular, but the prescription is sublingual lozenge / troche.") {
		t.Fatalf("200 mg IM by the therapist against 200 mg sublingual = %d, want refused naming the route", r.Status)
	}
	if r := f.Do("POST", path+"/dose", im, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Write your reason") {
		t.Fatalf("the prescriber without a reason = %d, want asked for it", r.Status)
	}
	if d := f.Session(path); d.Status != clinic.SessionReady {
		t.Fatalf("after refused doses: %s", d.Status)
	}
	im.Set("dose_reason", "Could not hold the lozenge last time; IM agreed with the patient.")
	if r := f.Do("POST", path+"/dose", im, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("the prescriber's IM dose with a reason = %d", r.Status)
	}
	d := f.Session(path)
	if d.DoseRoute != clinic.RouteIntramuscular || d.DoseReason == "" || d.DosePrescribed != "200 mg per session, sublingual lozenge / troche" {
		t.Fatalf("dose %s %s prescribed %q reason %q", d.DoseAmount, d.DoseRoute, d.DosePrescribed, d.DoseReason)
	}
	if rows := f.AuditRows("dosing.dose_differs"); len(rows) != 1 || !strings.Contains(rows[0].Detail, "200 mg intramuscular (prescribed 200 mg sublingual)") {
		t.Errorf("audit rows = %+v", rows)
	}
	// Through to discharge: the record says it differs, with the reason.
	dosed := f.Now
	at := func(min int) {
		f.Now = dosed.Add(time.Duration(min) * time.Minute)
		thea = f.SignIn("thea@example.org")
	}
	at(40)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"a40"}, "phase": {"after_dose"}, "bp": {"130/84"}, "heart_rate": {"80"}, "spo2": {"97"}}, thea)
	at(125)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"122/78"}, "heart_rate": {"72"}, "spo2": {"98"}}, thea)
	if r := f.Do("POST", path+"/discharge", allCriteria, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("discharge = %d", r.Status)
	}
	rec := f.Do("GET", path, nil, thea)
	if !strings.Contains(rec.Body, "200 mg per session, sublingual lozenge / troche: the dose given (amount or route) differs") || strings.Contains(rec.Body, "matches") {
		t.Error("the record does not say the dose given differs from the prescription")
	}
}

// TestDosingDueBeforeDischargeIsRecent (review H6): the session's due list
// ticks "Vitals before discharge" only for a reading recent enough to
// discharge on, by the same rule as discharge.
func TestDosingDueBeforeDischargeIsRecent(t *testing.T) {
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
	const due = "Vitals before discharge (within 15 minutes of it)"
	at(100)
	f.Do("POST", path+"/vitals", url.Values{"client_id": {"pd"}, "phase": {"pre_discharge"}, "moaas": {"5"}, "bp": {"122/78"}, "heart_rate": {"72"}, "spo2": {"98"}}, thea)
	if page := f.Do("GET", path, nil, thea); !strings.Contains(page.Body, "✓ "+due) {
		t.Fatalf("a reading just taken is not ticked")
	}
	at(130)
	if page := f.Do("GET", path, nil, thea); strings.Contains(page.Body, "✓ "+due) || !strings.Contains(page.Body, due) {
		t.Error("a reading 30 minutes old is ticked as the vitals before discharge")
	}
}

// TestDosingGateNoneLine: a medication line that says there are none
// ("None currently", "N/A") is read with screening's rule, not only the
// exact word "none": it is not kept as a medication.
func TestDosingGateNoneLine(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.PassGate("None currently\nN/A")
	if d := f.Session(path); len(d.Medications) != 0 {
		t.Errorf("medications = %q, want none", d.Medications)
	}
}

// TestSafetyChangeRejudgesShownReadings (review): a threshold change
// applies at once to open sessions, and the pre-dose reading on the gate
// shows its level by the thresholds in force, not the one stored when it
// was taken; the settings page says so.
func TestSafetyChangeRejudgesShownReadings(t *testing.T) {
	f := webtest.NewFixture(t)
	f.DosingReady()
	path := f.StartDosing("thea@example.org")
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	g := webtest.FullGate("")
	g.Set("bp", "150/95")
	if r := f.Do("POST", path+"/gate", g, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("gate with a caution reading = %d", r.Status)
	}
	if page := f.Do("GET", path, nil, thea); !strings.Contains(page.Body, `class="vitals-read level-caution"`) {
		t.Fatal("the caution reading is not shown as a caution")
	}
	form := url.Values{}
	for k, v := range map[string]string{"bp_caution": "140/90", "bp_hold": "145/92", "pulse_high_caution": "110", "pulse_high_hold": "130",
		"pulse_low_caution": "50", "pulse_low_hold": "40", "spo2_caution": "94", "spo2_hold": "90", "observation_minutes": "120", "sedation_caution": "4", "sedation_hold": "2"} {
		form.Set(k, v)
	}
	if r := f.Do("POST", "/settings/dosing", form, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("save thresholds = %d", r.Status)
	}
	if r := f.Do("GET", "/settings/dosing?done=saved", nil, rex); !strings.Contains(r.Body, "including readings already taken in sessions still open") {
		t.Error("the saved notice does not say open sessions are judged again")
	}
	if rows := f.AuditRows("setting.change"); len(rows) != 1 || rows[0].ObjectID != "bp_hold" || rows[0].Detail != "160/100 → 145/92" {
		t.Errorf("audit rows = %+v, want one for bp_hold with its old and new value", rows)
	}
	page := f.Do("GET", path, nil, thea)
	if !strings.Contains(page.Body, `class="vitals-read level-hold"`) || !strings.Contains(page.Body, "blood pressure 150/95 is above the hold threshold (145/92)") {
		t.Error("after the hold moved to 145/92, the gate's 150/95 is not shown at the hold level")
	}
}

// TestPrescriptionDoseIsOneAmount (review): the prescription's dose per
// session is read with the parser the dose given is read with, at the
// field, so a free-text dose ("200 mg sublingual") that would differ from
// every dose given is refused with the input kept.
func TestPrescriptionDoseIsOneAmount(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA()
	rex := f.SignIn("rex@example.org")
	form := url.Values{"rx_drug": {"ketamine (racemic)"}, "rx_route": {"sublingual"}, "rx_strength": {"100 mg RDT"}, "rx_dose": {"200 mg sublingual"}, "rx_sessions_authorised": {"6"}}
	r := f.Do("POST", "/patients/"+f.PA.ID+"/prescription", form, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "as one amount and its unit") || !strings.Contains(r.Body, `value="200 mg sublingual"`) {
		t.Fatalf("a free-text dose = %d, want refused at the field with the input kept", r.Status)
	}
	form.Set("rx_dose", "200 mg")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/prescription", form, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("200 mg = %d", r.Status)
	}
}
