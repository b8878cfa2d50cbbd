package billing_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// otherDates are the ways of writing a day the billing pages used before
// they wrote every day one way ("Nov 26, 2026", shell.Day): "26 Nov 2026",
// "November 26, 2026", "2026-11-26", "11/26/2026".
var otherDates = regexp.MustCompile(`\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b|\b(?:January|February|March|April|June|July|August|September|October|November|December) \d{1,2}, \d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{2}/\d{2}/\d{4}\b`)

// visible is what a reader sees of a page: no scripts, styles or tags.
func visible(body string) string {
	body = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(body), " ")
}

// TestBillingDatesOneFormat: the patient's billing page, the superbills
// and statements page, the billing reports and the portal's billing page
// write every day one way, "Nov 26, 2026" (they used four).
func TestBillingDatesOneFormat(t *testing.T) {
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
	pay, err := f.St.RecordPayment(ctx, admin, f.PA.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.St.Refund(ctx, admin, f.PA.ID, pay.ID, 1000, "Overpaid", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.St.SendStatement(ctx, admin, f.PA.ID, store.DocStatement, f.Now.AddDate(0, -1, 0), f.Now); err != nil {
		t.Fatal(err)
	}
	staff, pat := f.SignIn("admin@example.org"), f.SignIn("pat@example.org")
	for _, p := range []struct{ cookie, path string }{
		{staff, "/patients/" + f.PA.ID + "/billing"},
		{staff, "/patients/" + f.PA.ID + "/billing?done=refund&payment=" + pay.ID},
		{staff, "/patients/" + f.PA.ID + "/statements"},
		{staff, "/billing/reports"},
		{staff, "/billing/reports?preset=this-year"},
		{pat, "/portal/billing"},
	} {
		r := f.Do("GET", p.path, nil, p.cookie)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s = %d", p.path, r.Status)
		}
		text := visible(r.Body)
		if !strings.Contains(text, "Nov 26, 2026") && !strings.Contains(text, "Nov 1, 2026") && !strings.Contains(text, "Jan 1, 2026") {
			t.Errorf("GET %s shows no day at all:\n%s", p.path, text)
		}
		for _, m := range otherDates.FindAllStringIndex(text, 5) {
			t.Errorf("GET %s writes a day as %q: …%s…", p.path, text[m[0]:m[1]], text[max(0, m[0]-60):min(len(text), m[1]+60)])
		}
	}
}
