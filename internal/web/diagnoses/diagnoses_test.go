package diagnoses_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestDiagnosesPage: the care team searches the shipped list with a plain
// GET form, adds codes, makes one primary and removes one, all without
// JavaScript; the prescriber on the team reads and changes the list; a
// therapist of another team and administrators are told the page does not
// exist; a refused code is shown at the search.
func TestDiagnosesPage(t *testing.T) {
	f := webtest.NewFixture(t)
	thea, rex := f.SignIn("thea@example.org"), f.SignIn("rex@example.org")
	base := "/patients/" + f.PA.ID + "/diagnoses"

	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+base+`">Diagnoses</a>`) {
		t.Errorf("the chart does not link to the diagnoses")
	}
	page := f.Do("GET", base, nil, thea)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "No diagnosis yet.") || !strings.Contains(page.Body, `<label for="q">`) {
		t.Fatalf("GET diagnoses = %d:\n%s", page.Status, page.Body)
	}
	webtest.CheckShell(t, "diagnoses", page)

	found := f.Do("GET", base+"?q="+url.QueryEscape("recurrent moderate"), nil, thea)
	if !strings.Contains(found.Body, "<strong>F33.1</strong> Major depressive disorder, recurrent, moderate") || !strings.Contains(found.Body, `aria-label="Add F33.1, Major depressive disorder, recurrent, moderate"`) {
		t.Fatalf("search lacks F33.1 with an add button:\n%s", found.Body)
	}
	for _, code := range []string{"F33.1", "F41.1"} {
		if r := f.Do("POST", base, url.Values{"code": {code}}, thea); r.Status != http.StatusSeeOther || r.Header.Get("Location") != base+"?done=added#current" {
			t.Fatalf("add %s = %d %q", code, r.Status, r.Header.Get("Location"))
		}
	}
	bad := f.Do("POST", base, url.Values{"code": {"F33"}, "q": {"F33"}}, rex)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "F33 is a heading") || !strings.Contains(bad.Body, `value="F33"`) {
		t.Errorf("a heading = %d, want 422 with the reason and the search kept:\n%s\n%s", bad.Status, bad.Body, f.Logs)
	}
	list := f.Do("GET", base+"?q=F41", nil, rex)
	if list.Status != http.StatusOK || strings.Index(list.Body, "<strong>F33.1</strong>") > strings.Index(list.Body, "<strong>F41.1</strong> Generalized") ||
		!strings.Contains(list.Body, `<span class="badge-soft">Primary</span>`) || !strings.Contains(list.Body, "On the list already.") {
		t.Fatalf("list as the prescriber:\n%s", list.Body)
	}
	// The second one's buttons: make primary, then remove the other.
	ids := diagnosisIDs(list.Body, f.PA.ID)
	if len(ids) != 2 {
		t.Fatalf("diagnosis ids %v", ids)
	}
	if r := f.Do("POST", base+"/"+ids[1]+"/primary", url.Values{}, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("make primary = %d", r.Status)
	}
	if r := f.Do("POST", base+"/"+ids[1]+"/remove", url.Values{}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("remove = %d", r.Status)
	}
	after := f.Do("GET", base, nil, thea)
	cur := after.Body[strings.Index(after.Body, `id="current"`):strings.Index(after.Body, `id="add"`)]
	if !strings.Contains(cur, "F33.1") || strings.Contains(cur, "F41.1") || !strings.Contains(after.Body[strings.Index(after.Body, `id="history"`):], "F41.1") {
		t.Errorf("after make-primary and remove:\n%s", after.Body)
	}
	for _, who := range []string{"theo@example.org", "admin@example.org"} {
		c := f.SignIn(who)
		if r := f.Do("GET", base, nil, c); r.Status != http.StatusNotFound {
			t.Errorf("GET as %s = %d, want 404", who, r.Status)
		}
		if r := f.Do("POST", base, url.Values{"code": {"F43.10"}}, c); r.Status != http.StatusNotFound {
			t.Errorf("POST as %s = %d, want 404", who, r.Status)
		}
	}
}

// diagnosisIDs are the ids in the page's remove forms, in order.
func diagnosisIDs(body, patientID string) []string {
	var out []string
	prefix := `action="/patients/` + patientID + `/diagnoses/`
	for rest := body; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return out
		}
		rest = rest[i+len(prefix):]
		id, tail, _ := strings.Cut(rest, "/")
		if strings.HasPrefix(tail, "remove") {
			out = append(out, id)
		}
	}
}

// TestAddressPage: whoever may change the details saves the address, with
// field messages for a wrong one, and the chart shows it.
func TestAddressPage(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID + "/address"
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+base+`">Edit address</a>`) {
		t.Errorf("the chart does not link to the address form")
	}
	form := f.Do("GET", base, nil, thea)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `<label for="postal_code">ZIP code</label>`) {
		t.Fatalf("GET address = %d:\n%s", form.Status, form.Body)
	}
	webtest.CheckShell(t, "address", form)
	bad := f.Do("POST", base, url.Values{"line1": {"1 Elm St"}, "city": {"Portland"}, "state": {"Oregon"}, "postal_code": {"972"}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="state-error"`) || !strings.Contains(bad.Body, `id="postal_code-error"`) ||
		!strings.Contains(bad.Body, `value="1 Elm St"`) {
		t.Errorf("a wrong address = %d, want 422 with field messages and the input kept:\n%s", bad.Status, bad.Body)
	}
	ok := f.Do("POST", base, url.Values{"line1": {"1 Elm St"}, "line2": {"Apt 4"}, "city": {"Portland"}, "state": {"or"}, "postal_code": {"97201"}}, thea)
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("save = %d:\n%s", ok.Status, ok.Body)
	}
	chart = f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, "1 Elm St<br>Apt 4<br>Portland, OR 97201<br>") {
		t.Errorf("the chart does not show the address:\n%s", chart.Body)
	}
	theo := f.SignIn("theo@example.org")
	if r := f.Do("GET", base, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("another team's therapist = %d, want 404", r.Status)
	}
	if r := f.Do("POST", base, url.Values{"line1": {"x"}}, theo); r.Status != http.StatusNotFound {
		t.Errorf("another team's therapist posts = %d, want 404", r.Status)
	}
}
