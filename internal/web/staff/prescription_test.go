package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPrescriptionRecordOnChart: the prescriber records, adjusts (with a
// reason) and ends a prescription from the chart; errors come back at the
// field with the input kept; the therapist sees it read-only and cannot
// change it; sessions used count dosed and discharged sessions.
func TestPrescriptionRecordOnChart(t *testing.T) {
	f := webtest.NewFixture(t)
	rex, thea := f.SignIn("rex@example.org"), f.SignIn("thea@example.org")
	chart := "/patients/" + f.PA.ID
	base := chart + "/prescription"

	r := f.Do("GET", chart, nil, rex)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="prescription"`) || !strings.Contains(r.Body, "No current prescription.") ||
		!strings.Contains(r.Body, `value="ketamine (racemic)"`) || !strings.Contains(r.Body, "are the prescriber&#39;s decision") ||
		!strings.Contains(r.Body, "Sublingual lozenge / troche") {
		t.Fatalf("the chart as the prescriber = %d, want the record form with the default drug and the note on doses:\n%s", r.Status, r.Body)
	}
	r = f.Do("GET", chart, nil, thea)
	if strings.Contains(r.Body, `action="`+base+`"`) || !strings.Contains(r.Body, "shown here read-only") {
		t.Errorf("the chart as the therapist offers the prescription form, or does not say it is read-only")
	}

	// A field error comes back at the field, with everything typed.
	form := url.Values{"rx_drug": {"ketamine (racemic)"}, "rx_route": {"sublingual"}, "rx_strength": {"100 mg RDT"}, "rx_dose": {"200 mg"}, "rx_sessions_authorised": {"30"}}
	r = f.Do("POST", base, form, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="rx-sessions-error"`) ||
		!strings.Contains(r.Body, "from 1 to 24") || !strings.Contains(r.Body, `name="rx_dose" type="text" maxlength="100" value="200 mg"`) ||
		!strings.Contains(r.Body, `value="sublingual" checked`) {
		t.Fatalf("POST with 30 sessions = %d, want 422 with the error at sessions and the input kept:\n%s", r.Status, r.Body)
	}

	// The therapist cannot record, whatever the page showed.
	form.Set("rx_sessions_authorised", "6")
	if r := f.Do("POST", base, form, thea); r.Status != http.StatusNotFound {
		t.Errorf("POST the prescription as the therapist = %d, want 404", r.Status)
	}
	r = f.Do("POST", base, form, rex)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != chart+"?done=prescription#prescription" {
		t.Fatalf("POST the prescription = %d %q, want 303 to the section", r.Status, r.Header.Get("Location"))
	}
	f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(time.Hour))
	f.InsertDosingSession(f.PA.ID, "dosed", f.Now.Add(2*time.Hour))
	f.InsertDosingSession(f.PA.ID, "stopped", f.Now.Add(3*time.Hour))
	f.InsertDosingSession(f.PA.ID, "discharged", f.Now.Add(-time.Hour)) // before the prescription
	r = f.Do("GET", chart+"?done=prescription", nil, rex)
	if !strings.Contains(r.Body, "Prescription recorded.") || !strings.Contains(r.Body, "2 of 6 sessions used") || !strings.Contains(r.Body, "Record the adjustment") {
		t.Fatalf("the chart after recording lacks the notice, the sessions used or the adjust form:\n%s", r.Body)
	}
	rx, err := f.St.FindPrescriptions(f.T.Context(), f.As("rex@example.org"), f.PA.ID)
	if err != nil || rx.Current == nil {
		t.Fatalf("FindPrescriptions = %+v, %v", rx, err)
	}
	id := rx.Current.ID

	// An adjustment without a reason is refused at the reason, keeping the dose typed.
	r = f.Do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {" "}}, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="adj-reason-error"`) ||
		!strings.Contains(r.Body, "Give the reason for changing the dose.") || !strings.Contains(r.Body, `name="adj_dose" type="text" maxlength="100" value="250 mg"`) {
		t.Fatalf("POST an adjustment without a reason = %d, want 422 at the reason with the dose kept:\n%s", r.Status, r.Body)
	}
	if r := f.Do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {"Little effect."}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("POST an adjustment as the therapist = %d, want 404", r.Status)
	}
	if r := f.Do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {"Done."}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("POST the end as the therapist = %d, want 404", r.Status)
	}
	r = f.Do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"250 mg"}, "adj_reason": {"Little effect at 200 mg."}}, rex)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST the adjustment = %d", r.Status)
	}
	r = f.Do("GET", chart, nil, thea)
	if !strings.Contains(r.Body, "first prescribed as 200 mg") || !strings.Contains(r.Body, "Little effect at 200 mg.") || !strings.Contains(r.Body, "<dd>250 mg<span") ||
		strings.Contains(r.Body, "Record the adjustment") {
		t.Errorf("the chart as the therapist lacks the adjusted dose, or offers to adjust it:\n%s", r.Body)
	}

	// Ending needs a reason; then a new prescription may be recorded.
	r = f.Do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {""}}, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Give the reason for ending this prescription.") || !strings.Contains(r.Body, `<details class="inline-details" open><summary>End this prescription`) {
		t.Errorf("POST the end without a reason = %d, want 422 at the reason, its form open", r.Status)
	}
	if r := f.Do("POST", base+"/end", url.Values{"prescription": {id}, "end_reason": {"Initial course complete."}}, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("POST the end = %d", r.Status)
	}
	// A stale adjust form gets the conflict at the form, not a 500.
	r = f.Do("POST", base+"/adjust", url.Values{"prescription": {id}, "adj_dose": {"300 mg"}, "adj_reason": {"Stale tab."}}, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "no longer current") {
		t.Errorf("POST an adjustment to the ended prescription = %d, want 422 saying it is no longer current", r.Status)
	}
	r = f.Do("GET", chart+"?done=prescription-ended", nil, rex)
	if !strings.Contains(r.Body, "Prescription ended.") || !strings.Contains(r.Body, "Earlier prescriptions (1)") || !strings.Contains(r.Body, "Initial course complete.") ||
		!strings.Contains(r.Body, "Record the prescription") {
		t.Errorf("the chart after ending lacks the notice, the earlier prescription or the record form:\n%s", r.Body)
	}
}
