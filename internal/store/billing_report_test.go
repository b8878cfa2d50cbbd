package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// ledgerBalances is, per patient with a ledger row, the open amount and
// credit summed straight from the ledger's tables (the report's query
// before migration 0063 kept them).
const ledgerBalances = `SELECT pt.id, pt.display_name,
	COALESCE((SELECT SUM(c.amount_cents) FROM charges c WHERE c.patient_id = pt.id), 0)
	+ COALESCE((SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.patient_id = pt.id), 0)
	- COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = pt.id), 0)
	- COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.patient_id = pt.id), 0),
	COALESCE((SELECT SUM(p.amount_cents) FROM payments p WHERE p.patient_id = pt.id), 0)
	- COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = pt.id), 0)
	- COALESCE((SELECT SUM(r.amount_cents) FROM refunds r WHERE r.patient_id = pt.id), 0)
	FROM patients pt ORDER BY lower(pt.display_name), pt.id`

// checkKeptBalances compares the outstanding balances report, read a page
// of two at a time forwards, with the ledger's own sums: the same
// patients (those who owe or hold a credit), in name order, with the same
// amounts, and the same total.
func checkKeptBalances(t *testing.T, s *store.Store, admin store.Actor) {
	t.Helper()
	ctx := context.Background()
	var want []store.PatientBalance
	if err := store.QueryRowsForTest(ctx, s, ledgerBalances, func(scan func(...any) error) error {
		var b store.PatientBalance
		if err := scan(&b.PatientID, &b.DisplayName, &b.Open, &b.Credit); err != nil {
			return err
		}
		if b.Open != 0 || b.Credit != 0 {
			b.Balance = billing.Balance(b.Open, b.Credit)
			want = append(want, b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []store.PatientBalance
	k := store.PageKey{Limit: 2}
	for range 100 {
		page, err := s.OutstandingBalances(ctx, admin, k)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(want) {
			t.Errorf("the report counts %d patients; the ledger has %d who owe or hold a credit", page.Total, len(want))
		}
		got = append(got, page.Rows...)
		if page.Next == "" {
			break
		}
		k.After = page.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the report's balances\n%v\nthe ledger's\n%v", got, want)
	}
}

// TestBillingBalancesOracle: the balances the outstanding report reads
// (billing_balances, kept by triggers, migration 0063) equal the
// ledger's sums after the migration's backfill of an older database and
// after each kind of ledger write (a charge, a payment applied and left
// as credit, a refund, a write-off, a correction, an application of
// credit) to two patients, and after a patient is renamed (the order
// follows); a patient whose balance comes back to zero drops out, and is
// counted out.
func TestBillingBalancesOracle(t *testing.T) {
	ctx := context.Background()
	pr := newRxPractice(t)
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	check := func() { t.Helper(); checkKeptBalances(t, pr.s, pr.admin) }

	intake := pr.attend(t, "intake", day, "attended")
	check()
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	check() // $50 credit
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, pay.ID, 5000, "Overpaid", ""); err != nil {
		t.Fatal(err)
	}
	check() // settled: no longer listed
	page, err := pr.s.OutstandingBalances(ctx, pr.admin, store.PageKey{})
	if err != nil || page.Total != 0 || len(page.Rows) != 0 {
		t.Fatalf("a settled practice lists %+v, %v", page, err)
	}
	// Quin owes a no-show fee, Pat an integration session.
	ap := &store.Appointment{Kind: "integration", StartsAt: day.AddDate(0, 0, 7), Minutes: 50}
	pr.now = ap.StartsAt.Add(-time.Hour)
	if err := pr.s.CreateAppointment(ctx, pr.theo, pr.q.ID, ap); err != nil {
		t.Fatal(err)
	}
	pr.now = ap.StartsAt.Add(time.Hour)
	if err := pr.s.RecordAppointmentOutcome(ctx, pr.theo, pr.q.ID, ap.ID, "no_show"); err != nil {
		t.Fatal(err)
	}
	check()
	seventh := pr.attend(t, "integration", day.AddDate(0, 0, 14), "attended")
	c := chargeFor(t, pr.ledger(t), seventh.ID)
	check()
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, c.ID, 5000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	check()
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 18000, "Shorter session"); err != nil {
		t.Fatal(err)
	}
	check()
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 20000, Method: billing.MethodCheck, ChargeIDs: []string{}}); err != nil {
		t.Fatal(err)
	}
	check()
	if _, err := pr.s.ApplyCredit(ctx, pr.admin, pr.p.ID, nil); err != nil {
		t.Fatal(err)
	}
	check()
	// Renamed: Pat becomes "zed", after Quin.
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET display_name = $1 WHERE id = $2`, "zed", pr.p.ID); err != nil {
		t.Fatal(err)
	}
	check()
	page, err = pr.s.OutstandingBalances(ctx, pr.admin, store.PageKey{})
	if err != nil || len(page.Rows) != 2 || page.Rows[0].PatientID != pr.q.ID || page.Rows[1].DisplayName != "zed" {
		t.Fatalf("after the rename %+v, %v", page, err)
	}
	_ = intake

	// The ledger export, read two entries at a time, lists every charge,
	// correction, payment, refund and write-off once, oldest first, with
	// amounts signed as they move what patients owe or hold.
	var entries []store.LedgerEntry
	var at time.Time
	var after string
	for range 50 {
		got, err := pr.s.LedgerEntries(ctx, pr.admin, day.AddDate(0, -1, 0), day.AddDate(0, 2, 0), at, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, got...)
		if len(got) < 2 {
			break
		}
		at, after = got[len(got)-1].At, got[len(got)-1].ID
	}
	kinds := map[string]int64{}
	for i, e := range entries {
		kinds[e.Kind] += e.Cents
		if i > 0 && e.At.Before(entries[i-1].At) {
			t.Errorf("entry %d (%s) comes before the one above it", i, e.Kind)
		}
	}
	want := map[string]int64{"charge": 25000 + 10000 + 20000, "payment": 30000 + 20000, "refund": -5000, "write_off": -5000, "correction": -2000}
	if fmt.Sprint(kinds) != fmt.Sprint(want) || len(entries) != 8 {
		t.Errorf("ledger entries %d, sums %v; want 8, %v", len(entries), kinds, want)
	}
	for _, e := range entries {
		if e.Kind == "payment" && e.Method == "" || e.Kind == "charge" && e.Cents == 25000 && e.Code != "90791" || e.PatientName == "" {
			t.Errorf("entry %+v lacks its method, code or patient (a no-show fee has no service code)", e)
		}
	}
	none, err := pr.s.LedgerEntries(ctx, pr.admin, day.AddDate(1, 0, 0), day.AddDate(1, 1, 0), time.Time{}, "", 0)
	if err != nil || len(none) != 0 {
		t.Errorf("a range with no entries: %v, %v", none, err)
	}
	if _, err := pr.s.LedgerEntries(ctx, pr.thea, day, day.AddDate(0, 1, 0), time.Time{}, "", 0); err == nil {
		t.Error("a therapist read the practice's ledger")
	}
}

// TestBillingBalancesBackfill: migration 0063 fills billing_balances and
// its count from a ledger written before it.
func TestBillingBalancesBackfill(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0062_~")
	admin, patients := seedOldLedger(t, s)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkKeptBalances(t, s, admin)
	page, err := s.OutstandingBalances(ctx, admin, store.PageKey{})
	if err != nil || page.Total != len(patients)-1 {
		t.Fatalf("after the backfill %+v, %v; want %d patients", page, err, len(patients)-1)
	}
}

// seedOldLedger writes, through the store, a ledger as a release before
// migration 0063 left it: three patients, one settled, one owing part of
// an intake, one holding a credit. It returns an admin and the patients.
func seedOldLedger(t *testing.T, s *store.Store) (store.Actor, []*store.Patient) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	var admin, thea store.Actor
	for _, u := range []struct {
		email string
		role  clinic.Role
		into  *store.Actor
	}{{"old-admin@example.org", clinic.RoleAdmin, &admin}, {"old-thea@example.org", clinic.RoleTherapist, &thea}} {
		cu := &clinic.User{Email: u.email, DisplayName: u.email[:7], Role: u.role}
		if err := s.CreateUser(ctx, store.System, cu, "hash"); err != nil {
			t.Fatal(err)
		}
		*u.into = store.Actor{UserID: cu.ID, Role: u.role}
	}
	if err := s.SetFee(ctx, admin, &store.FeeEntry{Kind: "intake", Code: "90791", Description: "Psychiatric diagnostic evaluation", Cents: 25000}); err != nil {
		t.Fatal(err)
	}
	var patients []*store.Patient
	for i, paid := range []int64{25000, 10000, 0} {
		p := &store.Patient{DisplayName: fmt.Sprintf("Old %d", i)}
		if err := s.CreatePatient(ctx, thea, p, ""); err != nil {
			t.Fatal(err)
		}
		patients = append(patients, p)
		if paid == 0 { // a payment before any charge: a credit
			if _, err := s.RecordPayment(ctx, thea, p.ID, store.PaymentInput{Cents: 4000, Method: billing.MethodCash}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ap := &store.Appointment{Kind: "intake", StartsAt: now.Add(time.Duration(i+1) * time.Hour * 24), Minutes: 50}
		if err := s.CreateAppointment(ctx, thea, p.ID, ap); err != nil {
			t.Fatal(err)
		}
		now = ap.StartsAt.Add(time.Hour)
		if err := s.RecordAppointmentOutcome(ctx, thea, p.ID, ap.ID, "attended"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordPayment(ctx, thea, p.ID, store.PaymentInput{Cents: paid, Method: billing.MethodCash}); err != nil {
			t.Fatal(err)
		}
	}
	return admin, patients
}

// TestBillingBalancesConcurrent: payments, refunds and write-offs of two
// patients written at the same time (on PostgreSQL, in transactions side
// by side) leave the kept balances and their count equal to the ledger's
// sums.
func TestBillingBalancesConcurrent(t *testing.T) {
	ctx := context.Background()
	pr := newRxPractice(t)
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	for i := range 4 {
		pr.attend(t, "intake", day.AddDate(0, 0, 7*i), "attended")
	}
	pr.now = day.AddDate(0, 1, 0)
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			patient, who := pr.p.ID, pr.thea
			if w%2 == 1 {
				patient, who = pr.q.ID, pr.theo
			}
			_, err := pr.s.RecordPayment(ctx, who, patient, store.PaymentInput{Cents: int64(1000 + 100*w), Method: billing.MethodCash})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkKeptBalances(t, pr.s, pr.admin)
	page, err := pr.s.OutstandingBalances(ctx, pr.admin, store.PageKey{})
	if err != nil || page.Total != 2 {
		t.Fatalf("after the payments %+v, %v; want Pat owing and Quin holding a credit", page, err)
	}
}
