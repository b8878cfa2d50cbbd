package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestEmergencySearch: a therapist whose search finds a patient outside
// their care teams sees the name only, with the break-glass form, audited
// as a search under that patient; the partner prescriber (no emergency
// access) and a query shorter than three letters find no one outside.
func TestEmergencySearch(t *testing.T) {
	f := webtest.NewFixture(t)
	theo := f.SignIn("theo@example.org") // owns B, not on A's team
	q := "/patients?q=" + url.QueryEscape("canary-alp")
	// The caseload search looks at theo's own patients only: no names
	// from outside, nothing in anyone's access report, and the offer of
	// the practice-wide search.
	first := f.Do("GET", q, nil, theo)
	if first.Status != http.StatusOK || strings.Contains(first.Body, webtest.CanaryA) || !strings.Contains(first.Body, `href="/patients?q=canary-alp&amp;all=1`) || !strings.Contains(first.Body, "This search is recorded") {
		t.Fatalf("caseload search = %d, shows A = %v; want 200 without A, with the link to search all patients and its warning", first.Status, strings.Contains(first.Body, webtest.CanaryA))
	}
	if n := len(f.AuditRows("patient.search")); n != 0 {
		t.Fatalf("patient.search rows after a caseload search = %d, want 0", n)
	}
	r := f.Do("GET", q+"&all=1", nil, theo)
	if r.Status != http.StatusOK {
		t.Fatalf("search = %d, want 200", r.Status)
	}
	for _, want := range []string{webtest.CanaryA, "not on your care teams", `action="/patients/` + f.PA.ID + `/emergency"`, `name="reason"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("therapist's search outside the team lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `href="/patients/`+f.PA.ID+`"`) || strings.Contains(r.Body, "No patients match") {
		t.Error("out-of-team match links to the chart or says no patient matches")
	}
	rows := f.AuditRows("patient.search")
	if len(rows) != 1 || rows[0].PatientID != f.PA.ID || rows[0].ActorID != f.Users["theo@example.org"].ID || strings.Contains(rows[0].Detail, "alp") {
		t.Fatalf("patient.search audit rows = %+v, want one for theo on A without the query", rows)
	}
	// The form opens the chart with the reason.
	reason := "Patient called the front desk in crisis; Thea is on leave."
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/emergency", url.Values{"reason": {reason}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("emergency access from the search = %d, want 303", r.Status)
	}

	// Too short a query: nothing outside the team, and a hint.
	short := f.Do("GET", "/patients?q=al&all=1", nil, f.SignIn("theo@example.org"))
	if strings.Contains(short.Body, webtest.CanaryA) || !strings.Contains(short.Body, "at least 3 letters") {
		t.Errorf("two-letter search: shows A = %v, hint = %v; want no name and the hint", strings.Contains(short.Body, webtest.CanaryA), strings.Contains(short.Body, "at least 3 letters"))
	}

	// The partner prescriber may not break glass: no out-of-team names.
	rex := f.SignIn("rex@example.org") // on A's team, not B's
	pr := f.Do("GET", "/patients?q="+url.QueryEscape("canary-bra")+"&all=1", nil, rex)
	if pr.Status != http.StatusOK || strings.Contains(pr.Body, webtest.CanaryB) || strings.Contains(pr.Body, "/emergency") || strings.Contains(pr.Body, "Search all patients of the practice") {
		t.Errorf("prescriber's search = %d, shows B = %v; want 200 without B or the form", pr.Status, strings.Contains(pr.Body, webtest.CanaryB))
	}
	if n := len(f.AuditRows("patient.search")); n != 1 {
		t.Errorf("patient.search rows after the short and the prescriber's search = %d, want still 1", n)
	}
	t.Logf("searches checked: therapist, short query, prescriber")

	// Past the limit: a clear message, not a 500, and no names.
	for i := range store.EmergencySearchesPer - 1 { // the first was the search above
		r := f.Do("GET", "/patients?q="+url.QueryEscape("zzz-nobody")+"&all=1", nil, theo)
		if r.Status != http.StatusOK {
			t.Fatalf("practice-wide search %d = %d, want 200", i+2, r.Status)
		}
	}
	over := f.Do("GET", q+"&all=1", nil, theo)
	if over.Status != http.StatusTooManyRequests || strings.Contains(over.Body, webtest.CanaryA) || !strings.Contains(over.Body, "times in the last hour") {
		t.Errorf("search past the limit = %d, shows A = %v; want 429 with the message and no names", over.Status, strings.Contains(over.Body, webtest.CanaryA))
	}
	if n := len(f.AuditRows("patient.search")); n != 1 {
		t.Errorf("patient.search rows after the refused search = %d, want still 1", n)
	}
}
