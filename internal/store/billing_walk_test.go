package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// TestSuperbillWrittenOff (issue 21, the walk): what was written off a
// service shows on its superbill line and in the totals, and the balance
// on the services is net of it. Hand-worked: a $200 integration corrected
// to $230; $250 paid ($230 applied, $20 credit); $50 refunded ($20 of the
// credit, $30 un-applied: $200 paid, $30 open); the $30 written off. The
// superbill used to say paid $200 of $230, "Balance on these services
// $30.00", while the statement said the patient owes nothing. A package's
// write-off is spread over its sessions like its payments.
func TestSuperbillWrittenOff(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	ap := pr.attend(t, "integration", day, "attended")
	ch := chargeFor(t, pr.ledger(t), ap.ID)
	if err := pr.s.CorrectCharge(ctx, pr.admin, pr.p.ID, ch.ID, 23000, "Longer session"); err != nil {
		t.Fatal(err)
	}
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 25000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, pay.ID, 5000, "Paid too much", ""); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, ch.ID, 3000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Lines) != 1 || sb.Lines[0].Fee != 23000 || sb.Lines[0].Paid != 20000 || sb.Lines[0].WrittenOff != 3000 {
		t.Fatalf("superbill lines %+v; want fee 230.00, paid 200.00, written off 30.00", sb.Lines)
	}
	if sb.TotalFee-sb.TotalPaid-sb.TotalWrittenOff != 0 || sb.TotalWrittenOff != 3000 {
		t.Errorf("totals fee %d paid %d written off %d: want a balance of 0", sb.TotalFee, sb.TotalPaid, sb.TotalWrittenOff)
	}

	// A package of 3 at $300, $100 paid, $200 written off, two sessions.
	sold := pr.sellPackage(t, 3, 30000)
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 10000, Method: billing.MethodCash, ChargeIDs: []string{sold.ChargeID}}); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, sold.ChargeID, 20000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	later := day.AddDate(0, 0, 7)
	for i := range 2 {
		pr.attend(t, "integration", later.AddDate(0, 0, 7*i), "attended")
	}
	sb, err = pr.s.Superbill(ctx, pr.admin, pr.p.ID, later.AddDate(0, 0, -1), later.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var fees, paid, off []int64
	for _, l := range sb.Lines {
		fees, paid, off = append(fees, l.Fee), append(paid, l.Paid), append(off, l.WrittenOff)
	}
	if !reflect.DeepEqual(fees, []int64{10000, 10000}) || !reflect.DeepEqual(paid, []int64{3334, 3333}) || !reflect.DeepEqual(off, []int64{6666, 6667}) {
		t.Errorf("package sessions: fees %v paid %v written off %v; want [10000 10000] [3334 3333] [6666 6667]", fees, paid, off)
	}
}

// TestPackageSuperbillOnlyItsSessions (issue 21, the walk): a package's
// superbill holds only that package's sessions; an unrelated service in
// its dates (an intake between two package sessions) is left out of it,
// and stays on a superbill of the same dates.
func TestPackageSuperbillOnlyItsSessions(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	sold := pr.sellPackage(t, 3, 30000)
	day := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	pr.attend(t, "integration", day, "attended")
	pr.attend(t, "intake", day.AddDate(0, 0, 2), "attended")
	pr.attend(t, "integration", day.AddDate(0, 0, 4), "attended")
	from, to := day.AddDate(0, 0, -1), day.AddDate(0, 0, 5)
	codes := func(doc *store.SuperbillDoc) []string {
		var out []string
		for _, l := range doc.Lines {
			out = append(out, l.Code)
		}
		return out
	}
	pkg, err := pr.s.PackageSuperbillDocument(ctx, pr.patient, pr.p.ID, sold.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(pkg); !reflect.DeepEqual(got, []string{"90837", "90837"}) || pkg.TotalFee != 20000 {
		t.Errorf("the package's superbill lists %v (fees %d), want its two sessions (200.00)", got, pkg.TotalFee)
	}
	all, err := pr.s.SuperbillDocument(ctx, pr.patient, pr.p.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(all); !reflect.DeepEqual(got, []string{"90837", "90791", "90837"}) {
		t.Errorf("the superbill of the dates lists %v, want the intake too", got)
	}
}

// TestSuperbillHasServices: whether a period's superbill lists anything,
// for the page to say so before it is downloaded or sent (issue 21, the
// walk: an empty one said "No service in this period." and was sent).
func TestSuperbillHasServices(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	pr.attend(t, "integration", day, "attended")
	pr.attend(t, "intake", day.AddDate(0, 0, 7), "no_show")
	for _, c := range []struct {
		from, to time.Time
		want     bool
	}{
		{day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), true},
		{day.AddDate(0, 0, 1), day.AddDate(0, 0, 30), false}, // a missed appointment is no service
		{day.AddDate(0, -2, 0), day.AddDate(0, -1, 0), false},
	} {
		got, err := pr.s.SuperbillHasServices(ctx, pr.patient, pr.p.ID, "", c.from, c.to)
		if err != nil || got != c.want {
			t.Errorf("%v to %v: %v, %v; want %v", c.from, c.to, got, err, c.want)
		}
	}
}

// TestPatientPackages (issue 21, the walk): a patient reads their
// packages, newest first, with the sessions used and left, and whether
// one was closed; bounded by the limit.
func TestPatientPackages(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	first := pr.sellPackage(t, 2, 20000)
	if err := pr.s.ClosePackage(ctx, pr.admin, pr.p.ID, first.ID, "Refunded"); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Hour)
	second := pr.sellPackage(t, 3, 30000)
	pr.attend(t, "integration", pr.now.Add(24*time.Hour), "attended")
	list, more, err := pr.s.PatientPackages(ctx, pr.patient, pr.p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if more || len(list) != 2 {
		t.Fatalf("packages %+v (more %v), want 2", list, more)
	}
	if p := list[0]; p.ID != second.ID || p.Closed || p.Sessions != 3 || p.Used != 1 || p.Left() != 2 {
		t.Errorf("the open package: %+v, want 1 of 3 used, 2 left", p)
	}
	if p := list[1]; p.ID != first.ID || !p.Closed || p.ClosedAt.IsZero() || p.Left() != 0 {
		t.Errorf("the closed package: %+v, want closed with none left", p)
	}
	if list, more, err = pr.s.PatientPackages(ctx, pr.patient, pr.p.ID, 1); err != nil || !more || len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("limit 1: %+v more %v, %v", list, more, err)
	}
}

// TestLedgerEntriesDetail (issue 21, the walk): the accountant's ledger
// gives each entry's clinician (a charge's, and its correction's and
// write-off's), a payment's and refund's reference, the reason of a
// correction, refund or write-off, and the charges an entry concerns: a
// payment's (with what is applied to each after a refund un-applied
// part of it) and a correction's or write-off's.
func TestLedgerEntriesDetail(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	ap := pr.attend(t, "integration", day, "attended")
	ch := chargeFor(t, pr.ledger(t), ap.ID)
	pr.now = day.Add(2 * time.Hour)
	if err := pr.s.CorrectCharge(ctx, pr.admin, pr.p.ID, ch.ID, 23000, "Longer session"); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 25000, Method: billing.MethodCheck, Reference: "Check 1042"})
	if err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, pay.ID, 5000, "Paid too much", "Check 77"); err != nil {
		t.Fatal(err)
	}
	pr.now = pr.now.Add(time.Minute)
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, ch.ID, 3000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	got, err := pr.s.LedgerEntries(ctx, pr.admin, day.AddDate(0, 0, -1), day.AddDate(0, 0, 2), time.Time{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Kind, Clinician, Reference, Reason string
		Charges                            []store.LedgerCharge
	}
	var rows []row
	for _, e := range got {
		rows = append(rows, row{e.Kind, e.Clinician, e.Reference, e.Reason, e.Charges})
	}
	charge := store.LedgerCharge{Code: "90837", ServiceDate: day}
	applied := charge
	applied.Cents = 20000 // 230.00 applied, 30.00 un-applied by the refund
	want := []row{
		{"charge", "thea", "", "", nil},
		{"correction", "thea", "", "Longer session", []store.LedgerCharge{charge}},
		{"payment", "", "Check 1042", "", []store.LedgerCharge{applied}},
		{"refund", "", "Check 77", "Paid too much", nil},
		{"write_off", "thea", "", "Hardship", []store.LedgerCharge{charge}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("ledger entries\n%+v\nwant\n%+v", rows, want)
	}
}
