package billing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/billing"
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
	// A service code not shaped like a CPT or HCPCS code (issue 21 walk
	// F7), as the fee's or the add-on's or a package's.
	for _, c := range []struct {
		path, field, id, value string
		form                   url.Values
	}{
		{"/admin/fees/schedule", "code", "fee-code", "ABCDE", url.Values{"kind": {"intake"}, "description": {"Intake"}, "amount": {"150"}}},
		{"/admin/fees/schedule", "add_on_code", "fee-addon", "9078X", url.Values{"kind": {"intake"}, "code": {"90791"}, "description": {"Intake"}, "amount": {"150"}}},
		{"/admin/fees/packages", "code", "pkg-code", "1234", url.Values{"name": {"Two"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}},
	} {
		c.form.Set(c.field, c.value)
		r := f.Do("POST", c.path, c.form, admin)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="`+c.id+`-error">Enter a CPT code (five digits like 90837`) || !strings.Contains(r.Body, `value="`+c.value+`"`) {
			t.Errorf("%s %s=%q = %d, want 422 with the error at the field:\n%s", c.path, c.field, c.value, r.Status, r.Body)
		}
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/admin/fees/schedule", url.Values{"kind": {"dosing"}, "code": {"G2082"}, "description": {"Esketamine session"}, "amount": {"400"}}},
		{"/admin/fees/schedule", url.Values{"kind": {"intake"}, "code": {"90791"}, "description": {"Intake evaluation"}, "amount": {"$1,250.50"}}},
		{"/admin/fees/tiers", url.Values{"name": {"Reduced 75%"}, "percent": {"75"}}},
		{"/admin/fees/packages", url.Values{"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}}},
		{"/admin/fees/policy", url.Values{"late_cancel_hours": {"48"}, "late_cancel_fee": {"75"}, "no_show_fee": {"$100"}}},
	} {
		if r := f.Do("POST", post.path, post.form, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d:\n%s", post.path, r.Status, r.Body)
		}
	}
	if r := f.Do("POST", "/admin/fees/tiers", url.Values{"name": {"reduced 75%"}, "percent": {"70"}}, admin); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `-error">A tier of this name exists already.`) || !strings.Contains(r.Body, `value="reduced 75%"`) {
		t.Errorf("a second tier of one name = %d, want 422 with the error at the name:\n%s", r.Status, r.Body)
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
		"$300.00 recorded; $250.00 applied to Two integration sessions, sold on Nov 26, 2026, $50.00 kept as credit.",
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
	if r := f.Do("GET", base+"?done=refund&payment="+pay, nil, admin); !strings.Contains(r.Body, webtest.CanaryA+" owes nothing.") ||
		!strings.Contains(r.Body, "Refund recorded: $50.00 of the $300.00 paid on Nov 26, 2026 is refunded. Give") {
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

// TestLedgerForms: each of the ledger's forms, by an administrator, with
// the notice it gives and the balance after it: a write-off, a charge
// correction, a payment beyond what is open (the rest kept as credit),
// the credit applied to a later charge, and the patient's tier.
func TestLedgerForms(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	for path, form := range map[string]url.Values{
		"/admin/fees/packages": {"name": {"Two integration sessions"}, "kind": {"integration"}, "sessions": {"2"}, "price": {"250"}},
		"/admin/fees/tiers":    {"name": {"Reduced 75%"}, "percent": {"75"}},
	} {
		if r := f.Do("POST", path, form, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d", path, r.Status)
		}
	}
	page := f.Do("GET", base, nil, admin)
	option := func(body, selectID, text string) string {
		t.Helper()
		sel := between(body, `<select id="`+selectID+`"`, `</select>`)
		i := strings.Index(sel, text)
		if i < 0 {
			t.Fatalf("no %q in #%s:\n%s", text, selectID, sel)
		}
		v := sel[:i]
		v = v[strings.LastIndex(v, `value="`)+len(`value="`):]
		return v[:strings.Index(v, `"`)]
	}
	pkg, tier := option(page.Body, "pk-package", "Two integration"), option(page.Body, "tier-select", "Reduced 75%")
	sell := func() {
		t.Helper()
		if r := f.Do("POST", base+"/packages", url.Values{"package": {pkg}}, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("sell = %d", r.Status)
		}
	}
	sell()
	charge := option(f.Do("GET", base, nil, admin).Body, "wo-charge", "Two integration")
	for _, step := range []struct {
		name, path  string
		form        url.Values
		status      int
		want, owing string
	}{
		{"write-off with no amount", "/write-offs", url.Values{"charge": {charge}, "reason": {"Hardship"}}, 422, "Enter the amount to write off, or choose all that is open.", ""},
		{"write-off of all and an amount", "/write-offs", url.Values{"charge": {charge}, "all": {"yes"}, "amount": {"10"}, "reason": {"Hardship"}}, 422,
			`<p class="field-error" id="wo-amount-error">Either tick all that is open or enter an amount, not both.</p>`, "owes $250.00."},
		{"write-off", "/write-offs", url.Values{"charge": {charge}, "amount": {"50"}, "reason": {"Hardship"}}, 303, "Write-off recorded: Two integration sessions, sold on Nov 26, 2026 has $50.00 written off; $200.00 is open.", "owes $200.00."},
		{"correction below what is settled", "/corrections", url.Values{"charge": {charge}, "amount": {"40"}, "reason": {"Agreed"}}, 422, "Enter at least $50.00: $50.00 of it is written off, and a write-off stays.", ""},
		{"correction", "/corrections", url.Values{"charge": {charge}, "amount": {"240"}, "reason": {"Agreed reduction"}}, 303, "Charge corrected: Two integration sessions, sold on Nov 26, 2026 is now $240.00 ($250.00 as charged); $190.00 is open.", "owes $190.00."},
		{"payment beyond the charge", "/payments", url.Values{"amount": {"200"}, "method": {"card_terminal"}, "reference": {"Receipt 88"}, "apply": {"chosen"}, "charge": {charge}}, 303,
			"$200.00 recorded; $190.00 applied to Two integration sessions, sold on Nov 26, 2026, $10.00 kept as credit.", "owes nothing and has $10.00 of credit"},
		{"correction below what is paid", "/corrections", url.Values{"charge": {charge}, "amount": {"100"}, "reason": {"Agreed"}}, 422,
			"Enter at least $240.00: $190.00 of it is paid and $50.00 written off, and a write-off stays. To go lower, first refund the payment: a refund takes its money back off the charges it paid", ""},
		{"payment received in the future", "/payments", url.Values{"amount": {"5"}, "method": {"cash"}, "received": {"2026-12-30"}}, 422, `<p class="field-error" id="pay-received-error">A payment cannot be received in the future.</p>`, `value="2026-12-30"`},
		{"payment with a date not a date", "/payments", url.Values{"amount": {"5"}, "method": {"cash"}, "received": {"30/12"}}, 422, `<p class="field-error" id="pay-received-error">Enter the date it was received`, `value="30/12"`},
		{"payment to a charge not open", "/payments", url.Values{"amount": {"5"}, "method": {"cash"}, "charge": {"no-such-charge"}}, 422, "Choose charges of this patient that are still open.", `href="#pay-charges"`},
		{"credit", "/credit", url.Values{}, 303, "$10.00 of credit applied to open charges.", "owes $240.00."},
		{"payment received before", "/payments", url.Values{"amount": {"1"}, "method": {"transfer"}, "received": {"2026-11-20"}}, 303, "$1.00 recorded; $1.00 applied to Two integration sessions, sold on Nov 26, 2026.", `<td data-label="Received">Nov 20, 2026</td>`},
		{"tier", "/tier", url.Values{"tier": {tier}}, 303, "Fee tier set.", "Reduced 75% (75% of the fee)"},
	} {
		if step.name == "credit" {
			sell()
		}
		r := f.Do("POST", base+step.path, step.form, admin)
		if r.Status != step.status {
			t.Fatalf("%s = %d, want %d:\n%s", step.name, r.Status, step.status, r.Body)
		}
		body := r.Body
		if r.Status == http.StatusSeeOther {
			loc, _, _ := strings.Cut(r.Header.Get("Location"), "#")
			body = f.Do("GET", loc, nil, admin).Body
		}
		if !strings.Contains(body, step.want) || !strings.Contains(body, step.owing) {
			t.Errorf("%s: the page lacks %q or %q:\n%s", step.name, step.want, step.owing, body)
		}
	}
}

// TestPaymentFormOpenCharges: the payment form offers every open charge
// as a checkbox, the oldest first, not only those on the page of charges
// shown (25); beyond its limit it says more are open; with none ticked
// the payment goes to the oldest first; with no charge open it says the
// payment is kept as credit and offers no choice.
func TestPaymentFormOpenCharges(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	none := f.Do("GET", base, nil, admin)
	if !strings.Contains(none.Body, "No charge is open: the payment is kept as the patient's credit") || strings.Contains(none.Body, `name="apply"`) ||
		strings.Contains(none.Body, `name="charge"`) {
		t.Errorf("with no charge open the form offers a choice:\n%s", between(none.Body, `id="payment"`, `</form>`))
	}
	ctx := context.Background()
	pkg := &store.Package{Name: "One integration session", Kind: "integration", Sessions: 1, Cents: 1000}
	if err := f.St.AddPackage(ctx, f.As("admin@example.org"), pkg); err != nil {
		t.Fatal(err)
	}
	var oldest string
	for i := range 30 {
		f.Now = f.Now.Add(time.Second)
		p, err := f.St.SellPackage(ctx, f.As("admin@example.org"), f.PA.ID, pkg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			oldest = p.ChargeID
		}
	}
	page := f.Do("GET", base, nil, admin)
	form := between(page.Body, `id="payment"`, `</form>`)
	if n := strings.Count(form, `name="charge"`); n != 30 {
		t.Errorf("the payment form offers %d open charges, want all 30", n)
	}
	if !strings.Contains(form, `id="pay-charge-0" value="`+oldest+`"`) || strings.Contains(form, `type="radio" name="apply"`) {
		t.Errorf("the first charge offered is not the oldest, or a one-choice radio is back:\n%s", form)
	}
	if strings.Contains(form, "more are open") {
		t.Errorf("the form says more are open")
	}
	undo := billing.SetOpenChargesLimit(10)
	capped := between(f.Do("GET", base, nil, admin).Body, `id="payment"`, `</form>`)
	undo()
	if n := strings.Count(capped, `name="charge"`); n != 10 || !strings.Contains(capped, "These are the 10 oldest open charges; more are open.") {
		t.Errorf("at a limit of 10 the form offers %d and says:\n%s", n, capped)
	}
	paid := f.Do("POST", base+"/payments", url.Values{"amount": {"15"}, "method": {"cash"}}, admin)
	if paid.Status != http.StatusSeeOther {
		t.Fatalf("pay = %d:\n%s", paid.Status, paid.Body)
	}
	loc, _, _ := strings.Cut(paid.Header.Get("Location"), "#")
	notice := between(f.Do("GET", loc, nil, admin).Body, `<p class="notice" role="status">`, `</p>`)
	if want := fmt.Sprintf("$15.00 recorded; $10.00 applied to One integration session, sold on %s, $5.00 applied to", "Nov 26, 2026"); !strings.HasPrefix(notice, want) {
		t.Errorf("the notice says %q, want it to start %q", notice, want)
	}
}

// TestPaymentFormTwice (issue 21 walk F1): the payment form carries a
// one-time key; posted twice (a double click, a resend), it records one
// payment and both posts land on that payment's notice; the page shown
// again carries a new key, which records a second; a form come back with
// an error keeps its key (nothing was recorded), and one refused for its
// key gets a new one.
func TestPaymentFormTwice(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	keyOf := func(body string) string {
		t.Helper()
		k := between(body, `<input type="hidden" name="form_key" value="`, `"`)
		if k == "" {
			t.Fatalf("the payment form has no key:\n%s", between(body, `id="payment"`, `</form>`))
		}
		return k
	}
	key := keyOf(f.Do("GET", base, nil, thea).Body)
	form := url.Values{"amount": {"1"}, "method": {"cash"}, "form_key": {key}}
	first, second := f.Do("POST", base+"/payments", form, thea), f.Do("POST", base+"/payments", form, thea)
	if first.Status != http.StatusSeeOther || second.Status != http.StatusSeeOther || first.Header.Get("Location") != second.Header.Get("Location") {
		t.Fatalf("the form posted twice = %d %q, %d %q; want both on the first payment", first.Status, first.Header.Get("Location"), second.Status, second.Header.Get("Location"))
	}
	loc, _, _ := strings.Cut(second.Header.Get("Location"), "#")
	page := f.Do("GET", loc, nil, thea).Body
	if !strings.Contains(page, "$1.00 recorded") || !strings.Contains(page, "1 payment<") || strings.Contains(page, "2 payments") {
		t.Errorf("after the form posted twice, want one payment of $1.00:\n%s", between(page, `id="payments"`, `id="payment"`))
	}
	next := keyOf(page)
	if next == key {
		t.Fatalf("the page shown again carries the used key")
	}
	bad := f.Do("POST", base+"/payments", url.Values{"amount": {"x"}, "method": {"cash"}, "form_key": {next}}, thea)
	if bad.Status != http.StatusUnprocessableEntity || keyOf(bad.Body) != next {
		t.Errorf("a form come back with an error = %d, its key changed", bad.Status)
	}
	if r := f.Do("POST", base+"/payments", url.Values{"amount": {"1"}, "method": {"cash"}, "form_key": {next}}, thea); r.Status != http.StatusSeeOther || r.Header.Get("Location") == second.Header.Get("Location") {
		t.Errorf("the page's new key = %d %q, want a second payment", r.Status, r.Header.Get("Location"))
	}
	stale := f.Do("POST", base+"/payments", url.Values{"amount": {"1"}, "method": {"cash"}, "form_key": {"not-a-key"}}, thea)
	if stale.Status != http.StatusUnprocessableEntity || !strings.Contains(stale.Body, "This form is out of date") || keyOf(stale.Body) == "not-a-key" {
		t.Errorf("a bad key = %d, want 422 with a new key:\n%s", stale.Status, between(stale.Body, `id="payment"`, `</form>`))
	}
	if page := f.Do("GET", base, nil, thea).Body; !strings.Contains(page, "2 payments") {
		t.Errorf("want 2 payments in all:\n%s", between(page, `id="payments"`, `id="payment"`))
	}
}

// TestRefundReopens (issue 21 walk F5): a refund beyond the payment's
// credit says which charges it opened again and what is open of them now;
// one out of credit alone says none.
func TestRefundReopens(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	ctx := context.Background()
	pkg := &store.Package{Name: "Two integration sessions", Kind: "integration", Sessions: 2, Cents: 25000}
	if err := f.St.AddPackage(ctx, f.As("admin@example.org"), pkg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SellPackage(ctx, f.As("admin@example.org"), f.PA.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	pay, err := f.St.RecordPayment(ctx, f.As("admin@example.org"), f.PA.ID, store.PaymentInput{Cents: 30000, Method: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		amount, want, not string
	}{
		{"20", "Refund recorded: $20.00 of the $300.00 paid on Nov 26, 2026 is refunded, and $30.00 of it is still credit. Give", "Open again"},
		{"130", "Refund recorded: $150.00 of the $300.00 paid on Nov 26, 2026 is refunded. Open again: Two integration sessions, sold on Nov 26, 2026 ($100.00 taken back off it; $100.00 open now). Give", "still credit"},
	} {
		r := f.Do("POST", base+"/refunds", url.Values{"payment": {pay.ID}, "amount": {c.amount}, "reason": {"Course stopped"}}, admin)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("refund %s = %d:\n%s", c.amount, r.Status, r.Body)
		}
		loc, _, _ := strings.Cut(r.Header.Get("Location"), "#")
		notice := between(f.Do("GET", loc, nil, admin).Body, `<p class="notice" role="status">`, `</p>`)
		if !strings.HasPrefix(notice, c.want) || strings.Contains(notice, c.not) {
			t.Errorf("refund of %s says %q, want it to start %q", c.amount, notice, c.want)
		}
	}
}

// TestLedgerReasons (issue 21 walk F3): the reasons the patient reads on
// their statement are shown on the staff page, with the charge a
// correction or write-off was of and the payment a refund came out of;
// each reason field says the patient sees it.
func TestLedgerReasons(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	base := "/patients/" + f.PA.ID + "/billing"
	ctx := context.Background()
	pkg := &store.Package{Name: "Two integration sessions", Kind: "integration", Sessions: 2, Cents: 25000}
	if err := f.St.AddPackage(ctx, f.As("admin@example.org"), pkg); err != nil {
		t.Fatal(err)
	}
	sold, err := f.St.SellPackage(ctx, f.As("admin@example.org"), f.PA.ID, pkg.ID)
	if err != nil {
		t.Fatal(err)
	}
	page := f.Do("GET", base, nil, admin).Body
	for _, id := range []string{"wo-reason", "co-reason"} {
		if !strings.Contains(between(page, `id="`+id+`-hint">`, `</p>`), "The patient sees this reason on their statement.") {
			t.Errorf("the reason field #%s does not say the patient sees it", id)
		}
	}
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"/corrections", url.Values{"charge": {sold.ChargeID}, "amount": {"230"}, "reason": {"Agreed reduction"}}},
		{"/write-offs", url.Values{"charge": {sold.ChargeID}, "amount": {"30"}, "reason": {"Hardship"}}},
		{"/payments", url.Values{"amount": {"250"}, "method": {"cash"}}},
	} {
		if r := f.Do("POST", base+step.path, step.form, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s = %d:\n%s", step.path, r.Status, r.Body)
		}
	}
	page = f.Do("GET", base, nil, admin).Body
	if !strings.Contains(between(page, `id="rf-reason-hint">`, `</p>`), "The patient sees this reason on their statement.") {
		t.Errorf("the refund's reason field does not say the patient sees it")
	}
	pay := between(between(page, `<select id="rf-payment" name="payment"`, `</select>`), `</option><option value="`, `"`)
	if r := f.Do("POST", base+"/refunds", url.Values{"payment": {pay}, "amount": {"50"}, "reason": {"Overpaid."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("refund = %d:\n%s", r.Status, r.Body)
	}
	page = f.Do("GET", base, nil, admin).Body
	charges, payments := between(page, `id="charges"`, `id="payments"`), between(page, `id="payments"`, `</table>`)
	for _, want := range []string{
		`<span class="meta reason">Corrected to $230.00 on Nov 26, 2026: Agreed reduction.</span>`,
		`<span class="meta reason">Written off $30.00 on Nov 26, 2026: Hardship.</span>`,
	} {
		if !strings.Contains(charges, want) {
			t.Errorf("the charges lack %q:\n%s", want, charges)
		}
	}
	if want := `<span class="meta reason">Refunded $50.00 on Nov 26, 2026: Overpaid.</span>`; !strings.Contains(payments, want) {
		t.Errorf("the payments lack %q:\n%s", want, payments)
	}
}
