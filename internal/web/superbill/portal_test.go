package superbill_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/superbill"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPortalBillingCreditRefundsSends: the portal's billing page says
// plainly when the patient holds a credit not yet applied to an open
// charge (and applies nothing by being read), lists their refunds with
// the payment each came out of, and links each document the practice
// sent to its download, which covers the period sent.
func TestPortalBillingCreditRefundsSends(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	admin := f.As("admin@example.org")
	pkg := &store.Package{Name: "Two integration sessions", Kind: "integration", Sessions: 2, Cents: 25000}
	if err := f.St.AddPackage(ctx, admin, pkg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SellPackage(ctx, admin, f.PA.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	pay, err := f.St.RecordPayment(ctx, admin, f.PA.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCheck, Reference: "Check 12"})
	if err != nil {
		t.Fatal(err)
	}
	f.Now = f.Now.Add(time.Hour)
	if err := f.St.Refund(ctx, admin, f.PA.ID, pay.ID, 2000, "Overpaid", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SellPackage(ctx, admin, f.PA.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// A statement: a superbill of no service is not sent (issue 21, the walk).
	if _, err := f.St.SendStatement(ctx, admin, f.PA.ID, store.DocStatement, from, from.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	pat := f.SignIn("pat@example.org")
	page := f.Do("GET", "/portal/billing", nil, pat)
	if page.Status != http.StatusOK {
		t.Fatalf("GET /portal/billing = %d:\n%s", page.Status, page.Body)
	}
	for _, want := range []string{
		`<p id="credit">You have a credit of $30.00 from your payments, not yet applied to your open charges of $250.00. The practice will apply it to them: you do not need to pay that part again.</p>`,
		`<h2 id="refunds-title">Refunds</h2>`,
		`<h2 id="packages-title">Your packages</h2>`, // issue 21, the walk
		`Two integration sessions, bought Nov 26, 2026: 0 of 2 sessions used, 2 sessions left.`,
		`<strong>$20.00</strong> refunded <span class="meta">Nov 26, 2026 · from your payment of $300.00 paid by check on Nov 26, 2026</span>`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the portal's billing page lacks %q:\n%s", want, page.Body)
		}
	}
	m := regexp.MustCompile(`<a href="([^"]*)" download><strong>Statement</strong> covering Nov 1, 2026 to Nov 30, 2026 \(PDF\)</a>`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the statement sent is not linked:\n%s", page.Body)
	}
	doc := f.Do("GET", html.UnescapeString(m[1]), nil, pat)
	if cd := doc.Header.Get("Content-Disposition"); doc.Status != http.StatusOK || !strings.Contains(cd, "statement-2026-11-01-to-2026-11-30.pdf") {
		t.Errorf("the link %q downloads %d %q", m[1], doc.Status, cd)
	}
	// Reading the page applied nothing: the credit is still there.
	l, err := f.St.PatientLedger(ctx, admin, f.PA.ID, store.PageKey{}, store.PageKey{})
	if err != nil || l.Balance.Credit != 3000 || l.Balance.Open != 25000 {
		t.Errorf("after reading the page the balance is %+v (%v)", l.Balance, err)
	}
}

// TestCreditWords: said only when there is both a credit and something
// open.
func TestCreditWords(t *testing.T) {
	for _, c := range []struct {
		b    store.Balance
		want string
	}{
		{store.Balance{Open: 100, Credit: 0, Currency: "USD"}, ""},
		{store.Balance{Open: 0, Credit: 100, Currency: "USD"}, ""},
		{store.Balance{}, ""},
		{store.Balance{Open: 25000, Credit: 5000, Currency: "USD"}, "You have a credit of $50.00 from your payments, not yet applied to your open charges of $250.00."},
	} {
		if got := superbill.CreditWords(c.b); c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
			t.Errorf("CreditWords(%+v) = %q, want %q…", c.b, got, c.want)
		}
	}
}
