package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestPatientOpenCharges: every open charge of the patient, the oldest
// first, up to the limit with "more" said; a settled charge and another
// patient's are left out; the patient, the care team's therapist and an
// admin may read them, a therapist not on the team is told there is no
// such patient; each read is audited.
func TestPatientOpenCharges(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	var aps []*store.Appointment
	for i := range 4 {
		aps = append(aps, pr.attend(t, "intake", day.AddDate(0, 0, i), "attended"))
	}
	// The oldest is paid in full: three stay open.
	if _, err := pr.s.RecordPayment(ctx, pr.admin, pr.p.ID, store.PaymentInput{Cents: 25000, Method: billing.MethodCash}); err != nil {
		t.Fatal(err)
	}
	l := pr.ledger(t)
	want := []string{chargeFor(t, l, aps[1].ID).ID, chargeFor(t, l, aps[2].ID).ID, chargeFor(t, l, aps[3].ID).ID}
	before := auditCount(t, pr.s, pr.admin, "billing.open_charges", store.OutcomeSuccess)
	for _, c := range []struct {
		limit int
		ids   []string
		more  bool
	}{
		{0, want, false}, // 0: the store's cap
		{3, want, false},
		{2, want[:2], true},
		{1, want[:1], true},
		{store.OpenChargesLimit + 5, want, false},
	} {
		got, more, err := pr.s.PatientOpenCharges(ctx, pr.thea, pr.p.ID, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range got {
			ids = append(ids, x.ID)
			if x.Open != 25000 {
				t.Errorf("charge %s open %d, want 25000", x.ID, x.Open)
			}
		}
		if len(ids) != len(c.ids) || more != c.more {
			t.Fatalf("limit %d: %v more %v, want %v more %v", c.limit, ids, more, c.ids, c.more)
		}
		for i := range ids {
			if ids[i] != c.ids[i] {
				t.Errorf("limit %d: charge %d is %s, want %s (oldest first)", c.limit, i, ids[i], c.ids[i])
			}
		}
	}
	if n := auditCount(t, pr.s, pr.admin, "billing.open_charges", store.OutcomeSuccess) - before; n != 5 {
		t.Errorf("%d reads audited, want 5", n)
	}
	for _, c := range []struct {
		who string
		a   store.Actor
		ok  bool
	}{
		{"the patient", pr.patient, true}, {"an admin", pr.admin, true},
		{"a therapist not on the team", pr.theo, false}, {"the prescriber", pr.rex, false}, {"another patient", pr.other, false},
	} {
		_, _, err := pr.s.PatientOpenCharges(ctx, c.a, pr.p.ID, 10)
		if c.ok && err != nil || !c.ok && clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads the open charges: %v", c.who, err)
		}
	}
	if got, _, err := pr.s.PatientOpenCharges(ctx, pr.admin, pr.q.ID, 10); err != nil || len(got) != 0 {
		t.Errorf("another patient's open charges: %v %v", got, err)
	}
}

// TestPatientRefunds: a patient's refunds, the newest first, each with
// the payment it came out of, up to the limit with "more" said; a
// therapist not on the team is refused.
func TestPatientRefunds(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	pay, err := pr.s.RecordPayment(ctx, pr.admin, pr.p.ID, store.PaymentInput{Cents: 10000, Method: billing.MethodCheck, Reference: "Check 7"})
	if err != nil {
		t.Fatal(err)
	}
	for i, cents := range []int64{1000, 2500} {
		pr.now = pr.now.Add(time.Duration(i+1) * time.Hour)
		if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, pay.ID, cents, "Overpaid", ""); err != nil {
			t.Fatal(err)
		}
	}
	got, more, err := pr.s.PatientRefunds(ctx, pr.patient, pr.p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || more || got[0].Cents != 2500 || got[1].Cents != 1000 || got[0].PaymentID != pay.ID || got[0].PaymentCents != 10000 ||
		got[0].PaymentMethod != billing.MethodCheck || got[0].Currency != "USD" || !got[0].RecordedAt.Equal(pr.now) {
		t.Fatalf("refunds %+v more %v", got, more)
	}
	if one, more, err := pr.s.PatientRefunds(ctx, pr.patient, pr.p.ID, 1); err != nil || len(one) != 1 || !more || one[0].Cents != 2500 {
		t.Errorf("limit 1: %+v %v %v", one, more, err)
	}
	if _, _, err := pr.s.PatientRefunds(ctx, pr.theo, pr.p.ID, 10); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist not on the team reads the refunds: %v", err)
	}
	if none, _, err := pr.s.PatientRefunds(ctx, pr.admin, pr.q.ID, 10); err != nil || len(none) != 0 {
		t.Errorf("another patient's refunds: %v %v", none, err)
	}
}

// TestStatementPackageSold: on a statement a package's price is the day
// it was sold ("Package sold: …"), not a session's date of service; a
// session's charge keeps its description, and the sums are unchanged.
func TestStatementPackageSold(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	pkg := &store.Package{Name: "Two integration sessions", Kind: "integration", Sessions: 2, Cents: 30000}
	if err := pr.s.AddPackage(ctx, pr.admin, pkg); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	pr.attend(t, "intake", day, "attended")
	if _, err := pr.s.SellPackage(ctx, pr.admin, pr.p.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	st, err := pr.s.StatementFor(ctx, pr.admin, pr.p.ID, day.AddDate(0, -1, 0), day.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var descs []string
	for _, l := range st.Lines {
		descs = append(descs, l.Kind+": "+l.Description)
	}
	got := strings.Join(descs, "; ")
	if !strings.Contains(got, "charge: Package sold: Two integration sessions") || !strings.Contains(got, "charge: Psychiatric diagnostic evaluation") {
		t.Errorf("the statement's lines: %s", got)
	}
	if st.Charges != 55000 || st.Closing != 55000 {
		t.Errorf("charges %d closing %d, want 55000 each", st.Charges, st.Closing)
	}
}
