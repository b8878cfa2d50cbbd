package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// TestBillingPaymentFormKey (issue 21 walk F1): the payment form posted
// twice with its one-time key records one payment, and the second post is
// answered with the first payment; another form's key records another;
// no key (the API, the demo) records each time; one patient's key posted
// for another patient, or a key not made by FormKey, is refused at the
// form with nothing recorded.
func TestBillingPaymentFormKey(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	key := store.FormKey()
	pay := func(patientID, key string) (*store.Payment, error) {
		return pr.s.RecordPayment(ctx, pr.admin, patientID, store.PaymentInput{Cents: 100, Method: billing.MethodCash, FormKey: key})
	}
	first, err := pay(pr.p.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pay(pr.p.ID, key)
	if err != nil || again.ID != first.ID || again.Cents != 100 || again.Unapplied != 100 {
		t.Fatalf("the same form again = %+v, %v; want the first payment %s", again, err, first.ID)
	}
	if n := pr.ledger(t).Payments.Total; n != 1 {
		t.Fatalf("%d payments after one form posted twice, want 1", n)
	}
	other, err := pay(pr.p.ID, store.FormKey())
	if err != nil || other.ID == first.ID {
		t.Fatalf("another form = %+v, %v; want a new payment", other, err)
	}
	for range 2 {
		if _, err := pay(pr.p.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := pr.ledger(t).Payments.Total; n != 4 {
		t.Errorf("%d payments, want 4 (one form twice, another, two without a key)", n)
	}
	for _, c := range []struct{ name, patient, key string }{
		{"another patient's key", pr.q.ID, key},
		{"a key not made by FormKey", pr.p.ID, "x'; --"},
	} {
		if p, err := pay(c.patient, c.key); fieldOf(err, "form") == "" {
			t.Errorf("%s = %+v, %v; want a field error at the form", c.name, p, err)
		}
	}
	if n := pr.ledger(t).Payments.Total; n != 4 {
		t.Errorf("%d payments after the refusals, want 4", n)
	}
	l, err := pr.s.PatientLedger(ctx, pr.admin, pr.q.ID, store.PageKey{}, store.PageKey{})
	if err != nil || l.Payments.Total != 0 {
		t.Errorf("the other patient's payments: %+v, %v; want none", l, err)
	}
}

// TestSendStatementFormKey (issue 21 walk F1): a send form posted twice
// with its one-time key sends once (one send, one email queued) and the
// second post returns the first send; the other form's key sends again;
// another patient's key, or a key not made by FormKey, is refused at
// "send" with nothing queued.
func TestSendStatementFormKey(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	pr.attend(t, "intake", pr.now.Add(2*time.Hour), "attended") // something to send
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET email = 'pat@example.org' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	from, to := pr.now.AddDate(0, -1, 0), pr.now.Add(time.Hour)
	jobs := func() int {
		n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM jobs WHERE kind = $1`, store.JobStatementEmail)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	key := store.FormKey()
	first, err := pr.s.SendStatementOnce(ctx, pr.thea, pr.p.ID, store.DocStatement, from, to, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pr.s.SendStatementOnce(ctx, pr.thea, pr.p.ID, store.DocStatement, from, to, key)
	if err != nil || again == nil || again.ID != first.ID || again.Kind != store.DocStatement || !again.From.Equal(first.From) {
		t.Fatalf("the same form again = %+v, %v; want the first send %+v", again, err, first)
	}
	if n := jobs(); n != 1 {
		t.Fatalf("%d emails queued by one form posted twice, want 1", n)
	}
	if other, err := pr.s.SendStatementOnce(ctx, pr.thea, pr.p.ID, store.DocStatement, from, to, store.FormKey()); err != nil || other.ID == first.ID {
		t.Fatalf("another form = %+v, %v; want a new send", other, err)
	}
	for _, c := range []struct{ name, patient, key string }{
		{"another patient's key", pr.q.ID, key},
		{"a key not made by FormKey", pr.p.ID, "not a key"},
	} {
		if x, err := pr.s.SendStatementOnce(ctx, pr.admin, c.patient, store.DocStatement, from, to, c.key); fieldOf(err, "send") == "" {
			t.Errorf("%s = %+v, %v; want a field error at send", c.name, x, err)
		}
	}
	if n := jobs(); n != 2 {
		t.Errorf("%d emails queued, want 2", n)
	}
}
