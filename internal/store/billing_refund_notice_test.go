package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// TestBillingRefundReopened (issue 21 walk F5): the charges the newest
// refund of a payment opened again, with the part taken back off each and
// what is open of it now; none for a refund out of credit alone, or a
// payment never refunded.
func TestBillingRefundReopened(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	intake := pr.attend(t, "intake", day, "attended")                       // $250
	integ := pr.attend(t, "integration", day.Add(48*time.Hour), "attended") // $200
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 50000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	got, err := pr.s.RefundReopened(ctx, pr.thea, pr.p.ID, pay.ID)
	if err != nil || len(got) != 0 {
		t.Fatalf("before any refund: %+v, %v", got, err)
	}
	// $50 of credit first: nothing opened again.
	if err := pr.s.Refund(ctx, pr.thea, pr.p.ID, pay.ID, 5000, "Overpaid", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := pr.s.RefundReopened(ctx, pr.thea, pr.p.ID, pay.ID); err != nil || len(got) != 0 {
		t.Fatalf("a refund out of credit reopened %+v, %v", got, err)
	}
	// Then $300, with no credit left: all of it taken back off the two
	// charges (which first is the store's rule, not this test's): each
	// was paid in full, so what is open of it is what was taken back.
	if err := pr.s.Refund(ctx, pr.thea, pr.p.ID, pay.ID, 30000, "Course stopped", ""); err != nil {
		t.Fatal(err)
	}
	got, err = pr.s.RefundReopened(ctx, pr.thea, pr.p.ID, pay.ID)
	if err != nil || len(got) == 0 {
		t.Fatalf("the second refund reopened %+v, %v", got, err)
	}
	l := pr.ledger(t)
	ids := map[string]bool{chargeFor(t, l, intake.ID).ID: true, chargeFor(t, l, integ.ID).ID: true}
	var sum int64
	for i, x := range got {
		sum += x.Cents
		if !ids[x.ChargeID] || x.Cents <= 0 || x.Open != x.Cents {
			t.Errorf("reopened %d: %+v; want one of the two charges, open by what was taken back", i, x)
		}
		if i > 0 && x.ServiceDate.Before(got[i-1].ServiceDate) {
			t.Errorf("not the oldest charge first: %+v", got)
		}
	}
	if sum != 30000 || l.Balance.Open != 30000 {
		t.Errorf("taken back %d in all, %d open; want 30000", sum, l.Balance.Open)
	}
	// The ledger shows the refunds' reasons with their payment (F3).
	if p := l.Payments.Rows[0]; len(p.Reasons) != 2 || p.Reasons[0].Reason != "Overpaid" || p.Reasons[1].Reason != "Course stopped" ||
		p.Reasons[1].Kind != "refund" || p.Reasons[1].Cents != 30000 {
		t.Errorf("the payment's reasons: %+v", p.Reasons)
	}
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, chargeFor(t, l, intake.ID).ID, 1000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, chargeFor(t, l, intake.ID).ID, 24000, "Shortened"); err != nil {
		t.Fatal(err)
	}
	if r := chargeFor(t, pr.ledger(t), intake.ID).Reasons; len(r) != 2 || r[0] != (store.LedgerReason{Kind: "write_off", Cents: 1000, Reason: "Hardship", At: r[0].At}) ||
		r[1] != (store.LedgerReason{Kind: "correction", Cents: 24000, Reason: "Shortened", At: r[1].At}) || !r[1].At.After(r[0].At) {
		t.Errorf("the intake's reasons: %+v", r)
	}
	if r := chargeFor(t, pr.ledger(t), integ.ID).Reasons; len(r) != 0 {
		t.Errorf("the integration's reasons: %+v, want none", r)
	}
	if _, err := pr.s.RefundReopened(ctx, pr.rex, pr.p.ID, pay.ID); err == nil {
		t.Error("the prescriber read the refund")
	}
}
