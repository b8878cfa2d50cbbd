package controlled_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestControlledLog runs the log through the web: a product and a
// receipt, then a dosing session's dose drawn from the lot (the form
// offers it and refuses a dose without it), the dispensing log as PDF
// (pdftotext) and CSV showing the dose, waste refused without the
// witness's signature and recorded with it, and who may reach the page.
func TestControlledLog(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.DosingReady("sertraline 50 mg")
	rex := f.SignIn("rex@example.org")

	// A product: a missing name is a field error, what was typed kept.
	r := f.Do("POST", "/controlled/products", url.Values{"name": {""}, "strength": {"100 mg"}, "form": {"lozenge"}, "unit": {"each"}, "unit_mg": {"100"}, "schedule": {"III"}}, rex)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter the product&#39;s name") || !strings.Contains(r.Body, `value="lozenge"`) {
		t.Fatalf("product without a name = %d", r.Status)
	}
	r = f.Do("POST", "/controlled/products", url.Values{"name": {"Ketamine"}, "strength": {"100 mg"}, "form": {"lozenge"}, "unit": {"each"}, "unit_mg": {"100"}, "schedule": {"III"}}, rex)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("product = %d: %s", r.Status, r.Body)
	}
	products, err := f.St.CSProducts(ctx, f.As("rex@example.org"))
	if err != nil || len(products) != 1 {
		t.Fatalf("products %v, %v", products, err)
	}
	receipt := url.Values{"product": {products[0].ID}, "kind": {"receipt"}, "party": {"Compounding Pharmacy"}, "invoice": {"INV-55"},
		"location": {"Main office"}, "lot": {"LOT-7Q"}, "expiry": {"2027-12-31"}, "quantity": {"twenty"}}
	if r := f.Do("POST", "/controlled/receipts", receipt, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter a whole number of units.") || !strings.Contains(r.Body, `value="INV-55"`) {
		t.Fatalf("receipt of twenty = %d", r.Status)
	}
	receipt.Set("quantity", "20")
	if r := f.Do("POST", "/controlled/receipts", receipt, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("receipt = %d: %s", r.Status, r.Body)
	}
	lots, err := f.St.CSLots(ctx, f.As("rex@example.org"), false)
	if err != nil || len(lots) != 1 || lots[0].Balance != 20 {
		t.Fatalf("lots %v, %v", lots, err)
	}

	// The dose is drawn from the lot.
	path := f.PassGate("sertraline 50 mg")
	page := f.Do("GET", path, nil, rex)
	if !strings.Contains(page.Body, "Drawn from (controlled-substance log)") || !strings.Contains(page.Body, "lot LOT-7Q · Main office · 20 units left") {
		t.Fatalf("the dose form offers no lot: %d", page.Status)
	}
	dose := url.Values{"amount": {"200"}, "unit": {"mg"}, "route": {"sublingual"}}
	if r := f.Do("POST", path+"/dose", dose, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose the lot the dose was drawn from") {
		t.Fatalf("dose without a lot = %d", r.Status)
	}
	dose.Set("cs_lot", lots[0].ID)
	if r := f.Do("POST", path+"/dose", dose, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("dose = %d: %s", r.Status, r.Body)
	}
	if d := f.Session(path); d.DoseLot != "LOT-7Q" {
		t.Errorf("the session's lot = %q", d.DoseLot)
	}

	// The dispensing log shows it.
	q := "/controlled/reports?report=dispensing&from=2026-11-25&to=2026-11-26&format="
	pdf := f.Do("GET", q+"pdf", nil, rex)
	if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("dispensing log PDF = %d %s", pdf.Status, pdf.Header.Get("Content-Type"))
	}
	_, pages := pdftest.Read(t, "controlled-dispensing", []byte(pdf.Body))
	if len(pages) != 1 || pdftest.Ink(pages[0]) == 0 {
		t.Errorf("the dispensing log PDF has %d pages, want one drawn", len(pages))
	}
	text := pdftest.Flat(pdftest.Text(t, []byte(pdf.Body)))
	for _, want := range []string{"dispensing log", webtest.CanaryA, "Ketamine 100 mg lozenge", "LOT-7Q", "2 units", "Rex Prescriber", "21 CFR 1304.22(c)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dispensing log PDF lacks %q:\n%s", want, text)
		}
	}
	csv := f.Do("GET", q+"csv", nil, rex)
	if csv.Status != http.StatusOK || !strings.Contains(csv.Body, "LOT-7Q") || !strings.Contains(csv.Body, webtest.CanaryA) {
		t.Errorf("dispensing log CSV = %d:\n%s", csv.Status, csv.Body)
	}
	for _, rep := range []string{"inventory", "reconciliation"} {
		r := f.Do("GET", "/controlled/reports?report="+rep+"&from=2026-11-25&to=2026-11-26&format=pdf", nil, rex)
		if r.Status != http.StatusOK || !strings.Contains(pdftest.Flat(pdftest.Text(t, []byte(r.Body))), "18 units") {
			t.Errorf("%s PDF = %d, want the lot's 18 units", rep, r.Status)
		}
	}
	if r := f.Do("GET", "/controlled/reports?report=dispensing&from=2026-11-26&to=2026-11-25&format=pdf", nil, rex); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a report ending before it starts = %d", r.Status)
	}

	// Waste: refused without the witness's signature, or with a wrong
	// one; recorded with thea's (designated by the admin).
	theaPage := "/admin/users/" + f.Users["thea@example.org"].ID
	adminCookie := f.SignIn("admin@example.org")
	if r := f.Do("GET", theaPage, nil, adminCookie); !strings.Contains(r.Body, "keeps the controlled-substance log</label>") || strings.Contains(r.Body, `name="designated" value="yes" checked`) {
		t.Fatalf("thea's account page = %d, want the designation unticked", r.Status)
	}
	if r := f.Do("POST", theaPage+"/controlled", url.Values{"designated": {"yes"}}, f.SignIn("theo@example.org")); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
		t.Errorf("theo designates thea = %d", r.Status)
	}
	if r := f.Do("POST", theaPage+"/controlled", url.Values{"designated": {"yes"}}, adminCookie); r.Status != http.StatusSeeOther {
		t.Fatalf("the admin designates thea = %d", r.Status)
	}
	if r := f.Do("GET", theaPage, nil, adminCookie); !strings.Contains(r.Body, `name="designated" value="yes" checked`) {
		t.Errorf("thea's account page does not show her designated")
	}
	waste := url.Values{"lot": {lots[0].ID}, "kind": {"waste"}, "quantity": {"1"}, "reason": {"Dropped; destroyed in the disposal container."}}
	if r := f.Do("POST", "/controlled/entries", waste, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Waste is witnessed") || !strings.Contains(r.Body, "Dropped; destroyed") {
		t.Fatalf("waste without a witness = %d", r.Status)
	}
	f.Now = f.Now.Add(2 * time.Minute)
	code, _ := auth.TOTPCode(webtest.TOTPSecret, f.Now)
	waste.Set("witness_email", "thea@example.org")
	waste.Set("witness_password", webtest.TestPassword)
	waste.Set("witness_code", code)
	// An entry with a problem of its own is refused before the witness's
	// signature is checked: the code is not spent.
	waste.Set("reason", "")
	if r := f.Do("POST", "/controlled/entries", waste, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say what was wasted and how") {
		t.Fatalf("waste without a reason = %d", r.Status)
	}
	waste.Set("reason", "Dropped; destroyed in the disposal container.")
	waste.Set("witness_password", "wrong password entirely")
	if r := f.Do("POST", "/controlled/entries", waste, rex); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "do not sign as a staff member") {
		t.Fatalf("waste with a wrong password = %d", r.Status)
	}
	if len(f.AuditRows("cs.witness")) != 1 {
		t.Error("the wrong witness signature is not audited")
	}
	waste.Set("witness_password", webtest.TestPassword)
	if r := f.Do("POST", "/controlled/entries", waste, rex); r.Status != http.StatusSeeOther {
		t.Fatalf("witnessed waste = %d: %s", r.Status, r.Body)
	}
	if r := f.Do("POST", "/controlled/entries", waste, rex); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("the witness's code used twice = %d", r.Status)
	}
	page = f.Do("GET", "/controlled", nil, rex)
	if !strings.Contains(page.Body, "Witness: Thea Therapist") || !strings.Contains(page.Body, "17 units") {
		t.Errorf("the log does not show the witnessed waste")
	}

	// Who reaches the page: theo and the admin (not designated) do not,
	// neither the page nor its reports nor its forms.
	for _, who := range []string{"theo@example.org", "admin@example.org"} {
		c := f.SignIn(who)
		if r := f.Do("GET", "/controlled", nil, c); r.Status != http.StatusNotFound || strings.Contains(r.Body, "LOT-7Q") {
			t.Errorf("%s's GET /controlled = %d, want 404", who, r.Status)
		}
		if r := f.Do("GET", q+"csv", nil, c); r.Status != http.StatusNotFound || strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("%s's dispensing log = %d, want 404", who, r.Status)
		}
		if r := f.Do("POST", "/controlled/receipts", receipt, c); r.Status != http.StatusNotFound {
			t.Errorf("%s's receipt = %d, want 404", who, r.Status)
		}
	}
	// Thea, designated, reads the page and keeps the log.
	if r := f.Do("GET", "/controlled", nil, f.SignIn("thea@example.org")); r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/controlled/entries"`) {
		t.Errorf("thea's GET /controlled = %d", r.Status)
	}
}
