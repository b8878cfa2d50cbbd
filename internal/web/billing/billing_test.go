package billing_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestFeesPage: an administrator sets a fee, a tier, a package and the
// charge policy; an amount typed wrongly is kept with its error at the
// field; a therapist is told the page does not exist.
func TestFeesPage(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	page := f.Do("GET", "/admin/fees", nil, admin)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "No fees yet.") || !strings.Contains(page.Body, `href="/admin/fees"`) {
		t.Fatalf("GET /admin/fees = %d:\n%s\n%s", page.Status, page.Body, f.Logs)
	}
	webtest.CheckShell(t, "fees", page)

	bad := f.Do("POST", "/admin/fees/schedule", url.Values{"kind": {"intake"}, "code": {"90791"}, "description": {"Intake"}, "amount": {"150.555"}}, admin)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `value="150.555"`) || !strings.Contains(bad.Body, `aria-describedby="fee-amount-hint fee-amount-error"`) ||
		!strings.Contains(bad.Body, "at most two digits after the decimal point") || !strings.Contains(bad.Body, `value="90791"`) {
		t.Fatalf("a bad amount = %d, want 422 with what was typed and the error at the field:\n%s", bad.Status, bad.Body)
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/admin/fees/schedule", url.Values{"kind": {"intake"}, "code": {"90791"}, "description": {"Intake evaluation"}, "amount": {"$1,250.50"}}},
		{"/admin/fees/tiers", url.Values{"name": {"Reduced 75%"}, "percent": {"75"}}},
		{"/admin/fees/packages", url.Values{"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}},
		{"/admin/fees/policy", url.Values{"late_cancel_hours": {"48"}, "late_cancel_fee": {"75"}, "no_show_fee": {"$100"}}},
	} {
		if r := f.Do("POST", post.path, post.form, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d:\n%s", post.path, r.Status, r.Body)
		}
	}
	after := f.Do("GET", "/admin/fees?done=policy", nil, admin)
	for _, want := range []string{"$1,250.50", "Intake evaluation", "Reduced 75%", "Two integration sessions", `value="48"`, `value="75.00"`, `value="100.00"`, "Charge policy saved."} {
		if !strings.Contains(after.Body, want) {
			t.Errorf("the fees page lacks %q", want)
		}
	}
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/admin/fees", nil, thea); r.Status != http.StatusNotFound {
		t.Errorf("GET /admin/fees as a therapist = %d, want 404", r.Status)
	}
}

// TestLedgerPage: the care team's therapist records a payment and is told
// exactly where it went, and the balance says it in words; a bad amount
// keeps what was typed with the error at the field; a therapist of
// another team, the prescriber on the team and a therapist with emergency
// access are told the page does not exist; an administrator acts.
func TestLedgerPage(t *testing.T) {
	f := webtest.NewFixture(t)
	admin, thea := f.SignIn("admin@example.org"), f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	if r := f.Do("POST", "/admin/fees/packages", url.Values{"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("add package = %d", r.Status)
	}
	chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	if !strings.Contains(chart.Body, `href="`+base+`">Billing</a>`) || !strings.Contains(chart.Body, `href="/patients/`+f.PA.ID+`/statements">Superbills and statements</a>`) {
		t.Errorf("the chart does not link to billing and statements")
	}
	empty := f.Do("GET", base, nil, thea)
	if empty.Status != http.StatusOK || !strings.Contains(empty.Body, webtest.CanaryA+" owes nothing.") || !strings.Contains(empty.Body, "No charges yet.") {
		t.Fatalf("GET billing = %d:\n%s", empty.Status, empty.Body)
	}
	webtest.CheckShell(t, "billing", empty)
	pkg := between(empty.Body, `<select id="pk-package" name="package"`, `</select>`)
	id := pkg[:max(strings.Index(pkg, `">Two`), 0)]
	id = id[strings.LastIndex(id, `"`)+1:]
	if id == "" {
		t.Fatalf("no package to sell:\n%s", pkg)
	}
	// The administrator sells it: one charge of $250.00.
	if r := f.Do("POST", base+"/packages", url.Values{"package": {id}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("sell package = %d:\n%s", r.Status, r.Body)
	}
	owes := f.Do("GET", base, nil, thea)
	if !strings.Contains(owes.Body, webtest.CanaryA+" owes $250.00.") {
		t.Fatalf("after the sale:\n%s", owes.Body)
	}

	bad := f.Do("POST", base+"/payments", url.Values{"amount": {"12,34"}, "method": {"cash"}, "reference": {"4111 1111 1111 1111"}, "apply": {"oldest"}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `value="12,34"`) || !strings.Contains(bad.Body, `id="pay-amount-error"`) ||
		!strings.Contains(bad.Body, "This looks like a card number.") || !strings.Contains(bad.Body, `aria-invalid="true"`) {
		t.Fatalf("a bad payment = %d, want 422 with the input kept and the errors at the fields:\n%s", bad.Status, bad.Body)
	}
	paid := f.Do("POST", base+"/payments", url.Values{"amount": {"$300"}, "method": {"check"}, "reference": {"Check 1042"}, "apply": {"oldest"}}, thea)
	if paid.Status != http.StatusSeeOther || !strings.HasPrefix(paid.Header.Get("Location"), base+"?done=payment&payment=") {
		t.Fatalf("record payment = %d %q:\n%s", paid.Status, paid.Header.Get("Location"), paid.Body)
	}
	loc, _, _ := strings.Cut(paid.Header.Get("Location"), "#") // as a browser asks for it
	shown := f.Do("GET", loc, nil, thea)
	for _, want := range []string{
		"$300.00 recorded; $250.00 applied to 26 Nov 2026 Two integration sessions, $50.00 kept as credit.",
		webtest.CanaryA + " owes nothing and has $50.00 of credit",
		"Check 1042",
	} {
		if !strings.Contains(shown.Body, want) {
			t.Errorf("after the payment the page lacks %q:\n%s", want, shown.Body[:min(len(shown.Body), 9000)])
		}
	}
	// A refund of the credit, by the administrator.
	pay := between(between(shown.Body, `<select id="rf-payment" name="payment"`, `</select>`), `</option><option value="`, `"`)
	if r := f.Do("POST", base+"/refunds", url.Values{"payment": {pay}, "amount": {"50"}, "reason": {"Overpaid"}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("refund = %d:\n%s", r.Status, r.Body)
	}
	if r := f.Do("GET", base, nil, admin); !strings.Contains(r.Body, webtest.CanaryA+" owes nothing.") {
		t.Errorf("after the refund:\n%s", r.Body)
	}

	refused := func(who, cookie string) {
		t.Helper()
		if r := f.Do("GET", base, nil, cookie); r.Status != http.StatusNotFound || strings.Contains(r.Body, webtest.CanaryA) {
			t.Errorf("GET as %s = %d, want 404 without the patient", who, r.Status)
		}
		if r := f.Do("POST", base+"/payments", url.Values{"amount": {"10"}, "method": {"cash"}}, cookie); r.Status != http.StatusNotFound {
			t.Errorf("POST as %s = %d, want 404", who, r.Status)
		}
	}
	theo, rex := f.SignIn("theo@example.org"), f.SignIn("rex@example.org")
	refused("another team's therapist", theo)
	refused("the prescriber on the team", rex)
	if c := f.Do("GET", "/patients/"+f.PA.ID, nil, rex); strings.Contains(c.Body, `href="`+base+`"`) {
		t.Errorf("the prescriber's chart links to billing")
	}
	f.InsertEmergencyGrant(f.PA.ID, f.Users["theo@example.org"].ID)
	refused("a therapist with emergency access", theo)
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	j := strings.Index(s, to)
	if j < 0 {
		return ""
	}
	return s[:j]
}
