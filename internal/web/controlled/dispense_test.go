package controlled_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestControlledDispense: a take-home dose dispensed to a patient from
// the log. The prescriber reaches the form from the patient's chart
// ("Dispense from the log") or by finding the patient by name, only
// among patients they may reach; the lot is chosen by its label and the
// prescriber by name; a bad amount, a missing prescriber or date is a
// field error that keeps what was typed; the dispensing log (PDF and
// CSV) shows the entry with its prescriber. A prescriber not on the
// patient's care team is refused, by the page and by the form.
func TestControlledDispense(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.PrescribeA()
	rex := f.SignIn("rex@example.org")
	r := f.Do("POST", "/controlled/products", url.Values{"name": {"Ketamine"}, "strength": {"100 mg"}, "form": {"lozenge"}, "unit": {"each"}, "unit_mg": {"100"}, "schedule": {"III"}}, rex)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("product = %d", r.Status)
	}
	products, err := f.St.CSProducts(ctx, f.As("rex@example.org"))
	if err != nil || len(products) != 1 {
		t.Fatalf("products %v, %v", products, err)
	}
	if r := f.Do("POST", "/controlled/receipts", url.Values{"product": {products[0].ID}, "kind": {"receipt"}, "party": {"Compounding Pharmacy"}, "invoice": {"INV-9"},
		"location": {"Main office"}, "lot": {"LOT-TH"}, "expiry": {"2027-12-31"}, "quantity": {"20"}}, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("receipt = %d", r.Status)
	}
	lots, err := f.St.CSLots(ctx, f.As("rex@example.org"), false)
	if err != nil || len(lots) != 1 {
		t.Fatalf("lots %v, %v", lots, err)
	}
	balance := func() int64 {
		t.Helper()
		l, err := f.St.CSLots(ctx, f.As("rex@example.org"), true)
		if err != nil || len(l) != 1 {
			t.Fatalf("lots %v, %v", l, err)
		}
		return l[0].Balance
	}

	// From the chart: the prescription section links to the form.
	form := "/controlled?patient=" + f.PA.ID + "#dispense"
	if r := f.Do("GET", "/patients/"+f.PA.ID, nil, rex); !strings.Contains(r.Body, `href="`+strings.ReplaceAll(form, "&", "&amp;")+`"`) {
		t.Errorf("the chart (%d) does not link to dispensing", r.Status)
	}
	if r := f.Do("GET", "/patients/"+f.PA.ID, nil, f.SignIn("thea@example.org")); r.Status != http.StatusOK || strings.Contains(r.Body, "Dispense from the log") {
		t.Errorf("thea (not designated) is offered dispensing on the chart: %d", r.Status)
	}
	// By name: patient A is found; patient B (not on rex's team) is not.
	for _, find := range []string{"canary", "Bruno"} {
		r := f.Do("GET", "/controlled?find="+url.QueryEscape(find), nil, rex)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="d-find"`) || strings.Contains(r.Body, webtest.CanaryB) {
			t.Errorf("find %q = %d, or shows patient B", find, r.Status)
		}
		if strings.Contains(r.Body, `href="/controlled?patient=`+f.PA.ID+`#dispense"`) != (find == "canary") {
			t.Errorf("find %q: patient A's link shown = %v", find, !(find == "canary"))
		}
	}
	page := f.Do("GET", "/controlled?patient="+f.PA.ID, nil, rex)
	for _, want := range []string{webtest.CanaryA, `action="/controlled/dispense#dispense"`, "lot LOT-TH · Main office · 20 units left", `value="` + f.Users["rex@example.org"].ID + `" selected>Rex Prescriber`, `value="2026-11-26"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the dispensing form (%d) lacks %q", page.Status, want)
		}
	}

	// Field errors keep what was typed.
	post := url.Values{"patient": {f.PA.ID}, "lot": {lots[0].ID}, "quantity": {"three"}, "prescriber": {f.Users["rex@example.org"].ID}, "date": {"2026-11-25"}, "time": {"16:40"}}
	for _, c := range []struct{ key, value, want string }{
		{"quantity", "three", "Enter a whole number of units."},
		{"quantity", "25", "units"}, // more than the lot holds
		{"prescriber", "", "Choose the prescriber who ordered it."},
		{"prescriber", f.Users["thea@example.org"].ID, "Choose a prescriber."},
		{"date", "yesterday", "Enter the date and time it was dispensed"},
		{"lot", "nope", "Choose the lot it was dispensed from."},
	} {
		v := url.Values{}
		for k, vs := range post {
			v[k] = vs
		}
		v.Set("quantity", "3")
		v.Set(c.key, c.value)
		r := f.Do("POST", "/controlled/dispense", v, rex)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.want) || !strings.Contains(r.Body, `value="16:40"`) || !strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("%s=%q: %d, want 422 with %q and what was typed", c.key, c.value, r.Status, c.want)
		}
	}
	if b := balance(); b != 20 {
		t.Fatalf("refused dispensings changed the balance: %d", b)
	}
	post.Set("quantity", "3")
	if r := f.Do("POST", "/controlled/dispense", post, rex); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/controlled?done=dispense") {
		t.Fatalf("dispense = %d %s", r.Status, r.Header.Get("Location"))
	}
	if b := balance(); b != 17 {
		t.Errorf("balance after dispensing 3 = %d, want 17", b)
	}
	if r := f.Do("GET", "/controlled?done=dispense", nil, rex); !strings.Contains(r.Body, "Dispensing recorded.") || !strings.Contains(r.Body, "Dispensed") || !strings.Contains(r.Body, "Ordered by Rex Prescriber.") {
		t.Errorf("the log page after dispensing = %d", r.Status)
	}

	// The dispensing log shows it, with who ordered it.
	q := "/controlled/reports?report=dispensing&from=2026-11-25&to=2026-11-26&format="
	text := pdftest.Flat(pdftest.Text(t, []byte(f.Do("GET", q+"pdf", nil, rex).Body)))
	for _, want := range []string{webtest.CanaryA, "LOT-TH", "3 units", "Dispensed", "Ordered by", "Rex Prescriber"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dispensing log PDF lacks %q:\n%s", want, text)
		}
	}
	csv := f.Do("GET", q+"csv", nil, rex).Body
	if !strings.Contains(csv, "2026-11-25 16:40,"+webtest.CanaryA+" (no address on record),Ketamine 100 mg lozenge (Schedule III),3 units,LOT-TH,Dispensed,Rex Prescriber,Rex Prescriber") {
		t.Errorf("the dispensing log CSV lacks the row with the missing address said:\n%s", csv)
	}
	// 21 CFR 1304.22(c): the patient's name and address.
	if err := f.St.SavePatientAddress(ctx, f.As("rex@example.org"), f.PA.ID, clinic.Address{Line1: "1 Elm St", City: "Springfield", State: "IL", PostalCode: "62702"}); err != nil {
		t.Fatal(err)
	}
	csv = f.Do("GET", q+"csv", nil, rex).Body
	if !strings.Contains(csv, `2026-11-25 16:40,"`+webtest.CanaryA+`, 1 Elm St, Springfield, IL 62702",Ketamine`) {
		t.Errorf("the dispensing log CSV lacks the patient's address:\n%s", csv)
	}

	// A prescriber not on the patient's care team: patient B is neither
	// shown nor dispensed to.
	if r := f.Do("GET", "/controlled?patient="+f.PB.ID, nil, rex); r.Status != http.StatusOK || strings.Contains(r.Body, webtest.CanaryB) || strings.Contains(r.Body, `action="/controlled/dispense`) ||
		!strings.Contains(r.Body, "That patient is not one you can reach") {
		t.Errorf("rex's form for patient B = %d", r.Status)
	}
	post.Set("patient", f.PB.ID)
	if r := f.Do("POST", "/controlled/dispense", post, rex); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, webtest.CanaryB) || !strings.Contains(r.Body, "Choose a patient on your care team.") {
		t.Errorf("rex dispenses to patient B = %d", r.Status)
	}
	if b := balance(); b != 17 {
		t.Errorf("the refused dispensing changed the balance: %d", b)
	}
	// Someone who does not keep the log reaches neither.
	if r := f.Do("POST", "/controlled/dispense", post, f.SignIn("theo@example.org")); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
		t.Errorf("theo dispenses = %d", r.Status)
	}
}
