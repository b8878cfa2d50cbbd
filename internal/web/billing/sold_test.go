package billing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPackageSoldOn: a package's price is shown as sold on its day, not
// as a date of service, on the patient's billing page (its row, the lists
// to choose a charge from) and on the portal's billing page.
func TestPackageSoldOn(t *testing.T) {
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
	page := f.Do("GET", "/patients/"+f.PA.ID+"/billing", nil, f.SignIn("admin@example.org")).Body
	for _, want := range []string{
		`<th scope="col">Date</th><th scope="col">Service</th>`,
		`<td data-label="Date">sold on Nov 26, 2026</td>`,
		`> Two integration sessions, sold on Nov 26, 2026 ($250.00 open)</label>`,
		`>Two integration sessions, sold on Nov 26, 2026 ($250.00 open)</option>`,
		`>Two integration sessions, sold on Nov 26, 2026 ($250.00)</option>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the billing page lacks %q", want)
		}
	}
	if strings.Contains(page, "Date of service") {
		t.Errorf("the billing page calls a sale's day a date of service")
	}
	portal := f.Do("GET", "/portal/billing", nil, f.SignIn("pat@example.org")).Body
	if want := `<span class="meta">sold on Nov 26, 2026 · still to pay: $250.00</span>`; !strings.Contains(portal, want) {
		t.Errorf("the portal lacks %q:\n%s", want, portal)
	}
}
