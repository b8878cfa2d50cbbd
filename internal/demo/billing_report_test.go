package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoBillingReports: the reports on the demo practice, worked by
// hand from its ledger (TestDemoBilling): Jordan Lee's sessions charged
// $200.00 and paid by card; Riley Chen's (on the 75% tier) charged
// $300.00 and $200.00 paid by check; Morgan Ellis and Robin Alvarez each
// attended a follow-up ($160.00, 90834), unpaid. So the ledger holds
// $820.00 of charges, $400.00 of payments, all applied, no refund or
// write-off: $420.00 outstanding, no credit, and it balances; the
// payments were received at the seed's time, so the months hold $400.00
// from 2 payments; the outstanding balances list, by name, Morgan Ellis
// ($160.00), Riley Chen ($100.00) and Robin Alvarez ($160.00); the ledger
// export holds the $400.00 of payments.
func TestDemoBillingReports(t *testing.T) {
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
	tot, err := st.PracticeLedgerTotals(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.LedgerTotals{Charges: 82000, Payments: 40000, Applied: 40000, Outstanding: 42000, Currency: tot.Currency}); tot != want || !tot.Balances() {
		t.Errorf("totals %+v, want %+v, balancing", tot, want)
	}
	from, to := st.Now().AddDate(-1, 0, 0), st.Now().AddDate(0, 0, 1)
	months, err := st.IncomeByMonth(ctx, admin, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var received int64
	var payments int
	for _, m := range months {
		received += m.Cents
		payments += m.Count
	}
	if received != 40000 || payments != 2 {
		t.Errorf("income by month %+v: %d from %d payments, want 40000 from 2", months, received, payments)
	}
	out, err := st.OutstandingBalances(ctx, admin, store.PageKey{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		balance int64
	}{{"Morgan Ellis", 16000}, {"Riley Chen", 10000}, {"Robin Alvarez", 16000}}
	if out.Total != len(want) || len(out.Rows) != len(want) {
		t.Fatalf("outstanding %+v", out)
	}
	for i, w := range want {
		if r := out.Rows[i]; r.DisplayName != w.name || r.Balance != w.balance || r.Open != w.balance || r.Credit != 0 {
			t.Errorf("outstanding row %d: %+v, want %s owing %d", i, r, w.name, w.balance)
		}
	}
	entries, err := st.LedgerEntries(ctx, admin, from, to, time.Time{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var paid int64
	for _, e := range entries {
		if e.Kind == "payment" {
			paid += e.Cents
		}
	}
	if paid != 40000 {
		t.Errorf("the ledger export's payments sum to %d, want 40000", paid)
	}
}

// TestScaleBilling: a scaled practice (kapstone demo --scale) has charges
// for its attended sessions and payments for most; its ledger balances,
// and the outstanding balances (kept by migration 0063's triggers as the
// bulk rows are written) add up, page by page, to the ledger's
// outstanding amount and credit.
func TestScaleBilling(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
	if _, err := demo.Seed(ctx, st, t.TempDir(), params); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Scale(ctx, st, 40, params, 1, nil); err != nil {
		t.Fatal(err)
	}
	u, _, err := st.FindUserByEmail(ctx, "admin@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{UserID: u.ID, Role: clinic.RoleAdmin}
	tot, err := st.PracticeLedgerTotals(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !tot.Balances() || tot.Charges <= 82000 || tot.Payments <= 40000 || tot.Outstanding <= 42000 {
		t.Errorf("a scaled practice's totals %+v: want more than the demo's, balancing", tot)
	}
	var open, credit int64
	var rows int
	k := store.PageKey{Limit: 7}
	for range 1000 {
		page, err := st.OutstandingBalances(ctx, admin, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			open, credit, rows = open+r.Open, credit+r.Credit, rows+1
		}
		if rows > page.Total {
			t.Fatalf("%d rows read, the count says %d", rows, page.Total)
		}
		if page.Next == "" {
			break
		}
		k.After = page.Next
	}
	if open != tot.Outstanding || credit != tot.Credit || rows <= 3 {
		t.Errorf("the outstanding balances sum to %d open and %d credit over %d patients; the ledger says %d and %d", open, credit, rows, tot.Outstanding, tot.Credit)
	}
}

// BenchmarkOutstandingBalances: a page of the outstanding balances, the
// first and a later one, of a scaled demo practice of 10 and of 3,000
// patients: the same work at each size (TestOutstandingBalancesPlans in
// the store shows why: the page walks an index from its key and reads a
// kept count).
func BenchmarkOutstandingBalances(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 3000} {
		b.Run(fmt.Sprintf("patients=%d", n), func(b *testing.B) {
			st := storetest.Open(b)
			params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}
			if _, err := demo.Seed(ctx, st, b.TempDir(), params); err != nil {
				b.Fatal(err)
			}
			if _, err := demo.Scale(ctx, st, n, params, 1, nil); err != nil {
				b.Fatal(err)
			}
			u, _, err := st.FindUserByEmail(ctx, "admin@willowcreek.example")
			if err != nil {
				b.Fatal(err)
			}
			admin := store.Actor{UserID: u.ID, Role: clinic.RoleAdmin}
			first, err := st.OutstandingBalances(ctx, admin, store.PageKey{Limit: 5})
			if err != nil || first.Next == "" {
				b.Fatalf("first page %+v, %v", first, err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := st.OutstandingBalances(ctx, admin, store.PageKey{Limit: 50, After: first.Next}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
