package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// TestPaymentRecorded: what a payment paid when it was recorded, charge
// by charge, oldest first; its credit applied later is not part of it;
// the prescriber on the team may not read it.
func TestPaymentRecorded(t *testing.T) {
	pr := newRxPractice(t)
	pr.billingSetup(t)
	ctx := context.Background()
	first := pr.attend(t, "integration", time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), "attended")
	second := pr.attend(t, "integration", time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), "attended")
	pay := func(cents int64) *store.Payment {
		t.Helper()
		p, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: cents, Method: billing.MethodCash})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := pay(30000)
	pr.now = pr.now.Add(time.Minute)
	p2 := pay(15000) // $100 to the second session, $50 credit
	pr.now = pr.now.Add(2 * time.Hour)
	pr.attend(t, "integration", time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC), "attended")
	if n, err := pr.s.ApplyCredit(ctx, pr.thea, pr.p.ID, nil); err != nil || n != 5000 {
		t.Fatalf("ApplyCredit = %d, %v", n, err)
	}
	for _, c := range []struct {
		p    *store.Payment
		want []int64
		ids  []string
	}{
		{p1, []int64{20000, 10000}, []string{chargeFor(t, pr.ledger(t), first.ID).ID, chargeFor(t, pr.ledger(t), second.ID).ID}},
		{p2, []int64{10000}, []string{chargeFor(t, pr.ledger(t), second.ID).ID}},
	} {
		got, apps, err := pr.s.PaymentRecorded(ctx, pr.admin, pr.p.ID, c.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cents != c.p.Cents || len(apps) != len(c.want) {
			t.Fatalf("payment of %d: %d, %+v", c.p.Cents, got.Cents, apps)
		}
		for i, a := range apps {
			if a.Cents != c.want[i] || a.ChargeID != c.ids[i] || a.Code != "90837" {
				t.Errorf("payment of %d, application %d = %+v, want %d to %s", c.p.Cents, i, a, c.want[i], c.ids[i])
			}
		}
	}
	if _, _, err := pr.s.PaymentRecorded(ctx, pr.rex, pr.p.ID, p1.ID); err == nil {
		t.Errorf("the prescriber read a payment")
	}
	if _, _, err := pr.s.PaymentRecorded(ctx, pr.admin, pr.q.ID, p1.ID); err == nil {
		t.Errorf("a payment was read as another patient's")
	}
}
