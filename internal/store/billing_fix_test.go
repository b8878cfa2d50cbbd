package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// TestBillingApplyCreditNamed: credit held by two payments applied to one
// named charge that the first payment closes stops there (it used to go on
// to the second payment, find the named charge closed and fail); a named
// charge that is not open is refused with nothing applied and 0 returned.
func TestBillingApplyCreditNamed(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	for _, cents := range []int64{25000, 10000} {
		if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: cents, Method: billing.MethodCash}); err != nil {
			t.Fatal(err)
		}
		pr.now = pr.now.Add(time.Minute)
	}
	intake := pr.attend(t, "intake", day, "attended")                       // $250
	integ := pr.attend(t, "integration", day.Add(48*time.Hour), "attended") // $200
	l := pr.ledger(t)
	integID := chargeFor(t, l, integ.ID).ID
	n, err := pr.s.ApplyCredit(ctx, pr.thea, pr.p.ID, []string{integID})
	if err != nil || n != 20000 {
		t.Fatalf("ApplyCredit(integration) = %d, %v; want 20000, nil", n, err)
	}
	l = pr.ledger(t)
	if chargeFor(t, l, integ.ID).Open != 0 || chargeFor(t, l, intake.ID).Open != 25000 || l.Balance.Credit != 15000 {
		t.Errorf("after applying to the integration: %+v", l.Balance)
	}
	// Named and already closed: refused, 0.
	n, err = pr.s.ApplyCredit(ctx, pr.thea, pr.p.ID, []string{chargeFor(t, l, intake.ID).ID, integID})
	if fieldOf(err, "charges") == "" || n != 0 {
		t.Errorf("ApplyCredit(a closed charge) = %d, %v; want 0 and a field error", n, err)
	}
	if l = pr.ledger(t); chargeFor(t, l, intake.ID).Open != 25000 {
		t.Errorf("a refused ApplyCredit applied something: %+v", l.Balance)
	}
	// Two payments' credit named to one charge the first cannot close:
	// 50 left of the first, 100 of the second, onto the intake's 250.
	n, err = pr.s.ApplyCredit(ctx, pr.thea, pr.p.ID, []string{chargeFor(t, l, intake.ID).ID})
	if err != nil || n != 15000 {
		t.Fatalf("ApplyCredit(intake) = %d, %v; want 15000", n, err)
	}
	if l = pr.ledger(t); chargeFor(t, l, intake.ID).Open != 10000 || l.Balance.Credit != 0 {
		t.Errorf("after applying to the intake: %+v", l.Balance)
	}
	pr.checkTotals(t, 10000, 0)
}

// TestBillingTierToNothing: a tiny fee that the patient's tier rounds to
// 0 cents makes no charge (it used to break the charges' amount > 0 check:
// the outcome could not be saved); one cent left is charged.
func TestBillingTierToNothing(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	if err := pr.s.SetFee(ctx, pr.admin, &store.FeeEntry{Kind: "follow_up", Code: "99212", Description: "A token fee", Cents: 1}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		percent int
		want    int64 // 0: no charge
	}{{40, 0}, {50, 1}} {
		tier := store.Tier{Name: "Tier " + string(rune('A'+i)), Percent: c.percent}
		if err := pr.s.AddTier(ctx, pr.admin, &tier); err != nil {
			t.Fatal(err)
		}
		if err := pr.s.SetPatientTier(ctx, pr.thea, pr.p.ID, tier.ID); err != nil {
			t.Fatal(err)
		}
		ap := pr.attend(t, "follow_up", day.Add(time.Duration(i)*48*time.Hour), "attended")
		got := chargeFor(t, pr.ledger(t), ap.ID)
		switch {
		case c.want == 0 && got != nil:
			t.Errorf("%d%% of 1 cent: charge %+v, want none", c.percent, got)
		case c.want != 0 && (got == nil || got.Cents != c.want):
			t.Errorf("%d%% of 1 cent: charge %+v, want %d cents", c.percent, got, c.want)
		}
	}
	pr.checkTotals(t, 1, 0)
}

// TestBillingSuperbillPackagePaid: a package session's line on the
// superbill shows its share of the package's price after corrections,
// and as paid its share of what payments really applied to the package
// (the remainder on the first session), never of a write-off. It used to
// show the share of the price at sale, and the full share as paid as soon
// as nothing was open on the package, written off or not. Hand-worked:
// $1,000.00 over 6, $400.00 paid: 66.70 + 66.66 paid on the first two.
func TestBillingSuperbillPackagePaid(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	pkg := store.Package{Name: "Six integration sessions", Kind: "integration", Sessions: 6, Cents: 100000, Code: "90837"}
	if err := pr.s.AddPackage(ctx, pr.admin, &pkg); err != nil {
		t.Fatal(err)
	}
	sold, err := pr.s.SellPackage(ctx, pr.thea, pr.p.ID, pkg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 40000, Method: billing.MethodCash, ChargeIDs: []string{sold.ChargeID}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		pr.attend(t, "integration", day.AddDate(0, 0, 7*i), "attended")
	}
	lines := func(step string, fees, paid []int64) {
		t.Helper()
		sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		var gotFees, gotPaid []int64
		for _, l := range sb.Lines {
			gotFees, gotPaid = append(gotFees, l.Fee), append(gotPaid, l.Paid)
		}
		if !reflect.DeepEqual(gotFees, fees) || !reflect.DeepEqual(gotPaid, paid) {
			t.Errorf("%s: superbill fees %v paid %v, want %v and %v", step, gotFees, gotPaid, fees, paid)
		}
	}
	lines("$400 paid", []int64{16670, 16666}, []int64{6670, 6666})
	// The price corrected down to $700: the shares of $700.
	if err := pr.s.CorrectCharge(ctx, pr.admin, pr.p.ID, sold.ChargeID, 70000, "Price agreed at sale"); err != nil {
		t.Fatal(err)
	}
	lines("corrected to $700", []int64{11670, 11666}, []int64{6670, 6666})
	// The other $300 written off: nothing is open, but only $400 was paid.
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, sold.ChargeID, 30000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	lines("the rest written off", []int64{11670, 11666}, []int64{6670, 6666})
	pr.checkTotals(t, 0, 0)
}
