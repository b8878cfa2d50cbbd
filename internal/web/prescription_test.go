package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func init() {
	for k, v := range prescriptionPolicy {
		policy[k] = v
	}
}

// prescriptionPolicy is the prescription record's rows of the route
// matrix: only rex, the prescriber on patient A's team, may write; an
// empty form is refused at its fields (422), and thea, A's therapist, gets
// the same 404 as anyone else.
//
//	anon half pA   pB   thea theo rex  admin
var prescriptionPolicy = map[string]map[string]int{
	"POST /patients/{patient}/prescription":        m(303, 303, 404, 404, 404, 404, 422, 404),
	"POST /patients/{patient}/prescription/adjust": m(303, 303, 404, 404, 404, 404, 422, 404),
	"POST /patients/{patient}/prescription/end":    m(303, 303, 404, 404, 404, 404, 422, 404),
}

// TestPrescriptionRecordOnChart: the prescriber records, adjusts (with a
// reason) and ends a prescription from the chart; errors come back at the
// field with the input kept; the therapist sees it read-only and cannot
// change it; sessions used count dosed and discharged sessions.
func TestPrescriptionRecordOnChart(t *testing.T) {
	f := newFixture(t)
	rex, thea := f.signIn("rex@example.org"), f.signIn("thea@example.org")
	chart := "/patients/" + f.pA.ID
	base := chart + "/prescription"

	r := f.do("GET", chart, nil, rex)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="prescription"`) || !strings.Contains(r.body, "No current prescription.") ||
		!strings.Contains(r.body, `value="ketamine (racemic)"`) || !strings.Contains(r.body, "are the prescriber&#39;s decision") ||
		!strings.Contains(r.body, "Sublingual lozenge / troche") {
		t.Fatalf("the chart as the prescriber = %d, want the record form with the default drug and the note on doses:\n%s", r.status, r.body)
	}
	r = f.do("GET", chart, nil, thea)
	if strings.Contains(r.body, `action="`+base+`"`) || !strings.Contains(r.body, "shown here read-only") {
		t.Errorf("the chart as the therapist offers the prescription form, or does not say it is read-only")
	}

	// A field error comes back at the field, with everything typed.
	form := url.Values{"rx_drug": {"ketamine (racemic)"}, "rx_route": {"sublingual"}, "rx_strength": {"100 mg RDT"}, "rx_dose": {"200 mg"}, "rx_sessions_authorised": {"30"}}
	r = f.do("POST", base, form, rex)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `aria-invalid="true" aria-describedby="rx-sessions-error"`) ||
		!strings.Contains(r.body, "from 1 to 24") || !strings.Contains(r.body, `name="rx_dose" type="text" maxlength="100" value="200 mg"`) ||
		!strings.Contains(r.body, `value="sublingual" checked`) {
		t.Fatalf("POST with 30 sessions = %d, want 422 with the error at sessions and the input kept:\n%s", r.status, r.body)
	}

	// The therapist cannot record, whatever the page showed.
	form.Set("rx_sessions_authorised", "6")
	if r := f.do("POST", base, form, thea); r.status != http.StatusNotFound {
		t.Errorf("POST the prescription as the therapist = %d, want 404", r.status)
	}
	r = f.do("POST", base, form, rex)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != chart+"?done=prescription#prescription" {
		t.Fatalf("POST the prescription = %d %q, want 303 to the section", r.status, r.header.Get("Location"))
	}
	f.insertDosingSession(f.pA.ID, "discharged", f.now.Add(time.Hour))
	f.insertDosingSession(f.pA.ID, "dosed", f.now.Add(2*time.Hour))
	f.insertDosingSession(f.pA.ID, "stopped", f.now.Add(3*time.Hour))
	f.insertDosingSession(f.pA.ID, "discharged", f.now.Add(-time.Hour)) // before the prescription
	r = f.do("GET", chart+"?done=prescription", nil, rex)
	if !strings.Contains(r.body, "Prescription recorded.") || !strings.Contains(r.body, "2 of 6 sessions used") || !strings.Contains(r.body, "Record the adjustment") {
		t.Fatalf("the chart after recording lacks the notice, the sessions used or the adjust form:\n%s", r.body)
	}
	rx, err := f.st.FindPrescriptions(f.t.Context(), f.as("rex@example.org"), f.pA.ID)
	if err != nil || rx.Current == nil {
		t.Fatalf("FindPrescriptions = %+v, %v", rx, err)
	}
	id := rx.Current.ID

	// An adjustment without a reason is refused at the reason, keeping the dose typed.
	r = f.do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {" "}}, rex)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `aria-invalid="true" aria-describedby="adj-reason-error"`) ||
		!strings.Contains(r.body, "Give the reason for changing the dose.") || !strings.Contains(r.body, `name="adj_dose" type="text" maxlength="100" value="250 mg"`) {
		t.Fatalf("POST an adjustment without a reason = %d, want 422 at the reason with the dose kept:\n%s", r.status, r.body)
	}
	if r := f.do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {"Little effect."}}, thea); r.status != http.StatusNotFound {
		t.Errorf("POST an adjustment as the therapist = %d, want 404", r.status)
	}
	if r := f.do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {"Done."}}, thea); r.status != http.StatusNotFound {
		t.Errorf("POST the end as the therapist = %d, want 404", r.status)
	}
	r = f.do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {"Little effect at 200 mg."}}, rex)
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST the adjustment = %d", r.status)
	}
	r = f.do("GET", chart, nil, thea)
	if !strings.Contains(r.body, "first prescribed as 200 mg") || !strings.Contains(r.body, "Little effect at 200 mg.") || !strings.Contains(r.body, "<dd>250 mg<span") ||
		strings.Contains(r.body, "Record the adjustment") {
		t.Errorf("the chart as the therapist lacks the adjusted dose, or offers to adjust it:\n%s", r.body)
	}

	// Ending needs a reason; then a new prescription may be recorded.
	r = f.do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {""}}, rex)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Give the reason for ending this prescription.") || !strings.Contains(r.body, `<details class="inline-details" open><summary>End this prescription`) {
		t.Errorf("POST the end without a reason = %d, want 422 at the reason, its form open", r.status)
	}
	if r := f.do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {"Initial course complete."}}, rex); r.status != http.StatusSeeOther {
		t.Fatalf("POST the end = %d", r.status)
	}
	// A stale adjust form gets the conflict at the form, not a 500.
	r = f.do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"300 mg"}, "adj_reason": {"Stale tab."}}, rex)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no longer current") {
		t.Errorf("POST an adjustment to the ended prescription = %d, want 422 saying it is no longer current", r.status)
	}
	r = f.do("GET", chart+"?done=prescription-ended", nil, rex)
	if !strings.Contains(r.body, "Prescription ended.") || !strings.Contains(r.body, "Earlier prescriptions (1)") || !strings.Contains(r.body, "Initial course complete.") ||
		!strings.Contains(r.body, "Record the prescription") {
		t.Errorf("the chart after ending lacks the notice, the earlier prescription or the record form:\n%s", r.body)
	}
}
