package demo_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoBilling: the demo has a fee schedule, a tier and a package, and
// two patients with charges made by their attended sessions: Jordan Lee
// paid in full, Riley Chen (on the 75% tier) paid part and owes $100.
func TestDemoBilling(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	u, _, err := st.FindUserByEmail(ctx, "admin@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{UserID: u.ID, Role: clinic.RoleAdmin}
	fees, err := st.FeeSchedule(ctx, admin)
	if err != nil || len(fees) != 6 {
		t.Errorf("fee schedule %d entries, %v", len(fees), err)
	}
	if p, err := st.Packages(ctx, admin); err != nil || len(p) != 1 || p[0].Sessions != 6 {
		t.Errorf("packages %+v, %v", p, err)
	}
	for name, want := range map[string]store.Balance{
		"Jordan Lee": {Open: 0, Credit: 0, Balance: 0, Currency: "USD"},
		"Riley Chen": {Open: 10000, Credit: 0, Balance: 10000, Currency: "USD"},
	} {
		pts, err := st.ListPatients(ctx, admin, store.PatientFilter{Query: name})
		if err != nil || len(pts) != 1 {
			t.Fatalf("%s: %v, %v", name, pts, err)
		}
		l, err := st.PatientLedger(ctx, admin, pts[0].ID, store.PageKey{}, store.PageKey{})
		if err != nil {
			t.Fatal(err)
		}
		if l.Balance != want || len(l.Charges.Rows) == 0 || len(l.Payments.Rows) != 1 {
			t.Errorf("%s: balance %+v, %d charges, %d payments", name, l.Balance, len(l.Charges.Rows), len(l.Payments.Rows))
		}
	}
	tot, err := st.PracticeLedgerTotals(ctx, admin)
	if err != nil || !tot.Balances() {
		t.Errorf("totals %+v, %v", tot, err)
	}
}
