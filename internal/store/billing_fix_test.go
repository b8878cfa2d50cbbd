package store_test

import (
	"context"
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
