package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/store"
)

// ledgerTotalsOracle is the practice's ledger summed straight from its
// tables: the query PracticeLedgerTotals ran before migration 0066 kept
// the totals. Outstanding sums each charge's open amount and Credit each
// payment's unapplied part, apart from the other sums.
const ledgerTotalsOracle = `SELECT
	COALESCE((SELECT SUM(amount_cents) FROM charges), 0) + COALESCE((SELECT SUM(delta_cents) FROM charge_corrections), 0),
	COALESCE((SELECT SUM(amount_cents) FROM payments), 0),
	COALESCE((SELECT SUM(amount_cents) FROM payment_applications), 0),
	COALESCE((SELECT SUM(amount_cents) FROM refunds), 0),
	COALESCE((SELECT SUM(amount_cents) FROM adjustments), 0),
	COALESCE((SELECT SUM(c.amount_cents + COALESCE((SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.charge_id = c.id), 0)
		- COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.charge_id = c.id), 0)
		- COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.charge_id = c.id), 0)) FROM charges c), 0),
	COALESCE((SELECT SUM(p.amount_cents - COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.payment_id = p.id), 0)
		- COALESCE((SELECT SUM(r.amount_cents) FROM refunds r WHERE r.payment_id = p.id), 0)) FROM payments p), 0)`

// billingShard is the shard of a patient's id as migration 0066 documents
// it: the position (1..32) of its next-to-last character in the id
// alphabet, modulo 16.
func billingShard(id string) int {
	return (strings.IndexByte("0123456789abcdefghjkmnpqrstvwxyz", id[len(id)-2]) + 1) % 16
}

// shardSums is a shard's kept sums, in billing_totals' column order.
type shardSums [8]int64

// checkKeptTotals compares the practice's ledger totals (billing_totals'
// shards, kept by triggers, migration 0066) with the ledger's own sums
// (ledgerTotalsOracle): the same totals, balancing; billing_totals holds
// exactly its 16 shards; and each shard holds what the ledger rows of the
// patients whose ids fall in it add up to, and how many of them owe or
// hold a credit.
func checkKeptTotals(t *testing.T, s *store.Store, admin store.Actor) {
	t.Helper()
	ctx := context.Background()
	got, err := s.PracticeLedgerTotals(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	want := store.LedgerTotals{Currency: got.Currency}
	if err := store.QueryRowsForTest(ctx, s, ledgerTotalsOracle, func(scan func(...any) error) error {
		return scan(&want.Charges, &want.Payments, &want.Applied, &want.Refunds, &want.Adjustments, &want.Outstanding, &want.Credit)
	}); err != nil {
		t.Fatal(err)
	}
	if got != want || !got.Balances() {
		t.Errorf("kept totals %+v\nthe ledger's %+v (balancing: %v)", got, want, got.Balances())
	}

	wantShards := map[int]*shardSums{}
	for i := range 16 {
		wantShards[i] = &shardSums{}
	}
	for _, q := range []struct {
		sql  string
		cols []int // the shardSums columns the amount adds to (or, negated, takes from)
	}{
		{`SELECT patient_id, amount_cents FROM charges`, []int{0, 5}},
		{`SELECT patient_id, delta_cents FROM charge_corrections`, []int{0, 5}},
		{`SELECT patient_id, amount_cents FROM payments`, []int{1, 6}},
		{`SELECT patient_id, amount_cents FROM payment_applications`, []int{2, -5, -6}},
		{`SELECT patient_id, amount_cents FROM refunds`, []int{3, -6}},
		{`SELECT patient_id, amount_cents FROM adjustments`, []int{4, -5}},
		{`SELECT id, 1 FROM billing_balances WHERE open_cents <> 0 OR credit_cents <> 0`, []int{7}},
	} {
		if err := store.QueryRowsForTest(ctx, s, q.sql, func(scan func(...any) error) error {
			var id string
			var cents int64
			if err := scan(&id, &cents); err != nil {
				return err
			}
			sh := wantShards[billingShard(id)]
			for _, c := range q.cols {
				if c < 0 {
					sh[-c] -= cents
				} else {
					sh[c] += cents
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	gotShards := map[int]*shardSums{}
	if err := store.QueryRowsForTest(ctx, s, `SELECT shard, charges_cents, payments_cents, applied_cents, refunds_cents, adjustments_cents, open_cents, credit_cents, owing FROM billing_totals`,
		func(scan func(...any) error) error {
			var shard int
			var sh shardSums
			if err := scan(&shard, &sh[0], &sh[1], &sh[2], &sh[3], &sh[4], &sh[5], &sh[6], &sh[7]); err != nil {
				return err
			}
			gotShards[shard] = &sh
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(shardList(gotShards)) != fmt.Sprint(shardList(wantShards)) {
		t.Errorf("billing_totals' shards\n%v\nthe ledger's, by the id rule\n%v", shardList(gotShards), shardList(wantShards))
	}
}

// shardList lists shards' sums by shard, "-" for a missing one.
func shardList(m map[int]*shardSums) []string {
	out := make([]string, 0, 16)
	for i := range max(16, len(m)) {
		if sh, ok := m[i]; ok {
			out = append(out, fmt.Sprint(i, *sh))
		} else {
			out = append(out, fmt.Sprint(i, "-"))
		}
	}
	if len(m) > 16 {
		out = append(out, fmt.Sprint(len(m), "rows"))
	}
	return out
}

// totalsRun is a practice whose ledger TestBillingTotalsOracle writes at
// random, and what it needs to pick a write that is allowed.
type totalsRun struct {
	pr       *rxPractice
	patients []string
	booked   map[string][]*store.Appointment // recorded appointments, by patient
	pkg      store.Package
	next     time.Time // the next appointment's start
}

// appointment books an appointment of kind for patient and records
// outcome (attended, no_show) or cancels it late ("late_cancel").
func (r *totalsRun) appointment(t *testing.T, patient, kind, outcome string) {
	t.Helper()
	ctx := context.Background()
	start := r.next
	r.next = r.next.Add(3 * time.Hour)
	r.pr.now = start.Add(-2 * time.Hour)
	ap := &store.Appointment{Kind: kind, StartsAt: start, Minutes: 50}
	if err := r.pr.s.CreateAppointment(ctx, r.pr.thea, patient, ap); err != nil {
		t.Fatal(err)
	}
	if outcome == "late_cancel" {
		r.pr.now = start.Add(-time.Hour)
		if err := r.pr.s.CancelAppointment(ctx, r.pr.thea, patient, ap.ID, "Unwell"); err != nil {
			t.Fatal(err)
		}
		return
	}
	r.pr.now = start.Add(time.Hour)
	if err := r.pr.s.RecordAppointmentOutcome(ctx, r.pr.thea, patient, ap.ID, outcome); err != nil {
		t.Fatal(err)
	}
	r.booked[patient] = append(r.booked[patient], ap)
}

func (r *totalsRun) ledger(t *testing.T, patient string) *store.Ledger {
	t.Helper()
	l, err := r.pr.s.PatientLedger(context.Background(), r.pr.admin, patient, store.PageKey{Limit: 200}, store.PageKey{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// step writes one ledger change, picked by rng, for one of the patients;
// it reports what it did.
func (r *totalsRun) step(t *testing.T, rng *rand.Rand) string {
	t.Helper()
	ctx := context.Background()
	pr := r.pr
	patient := r.patients[rng.IntN(len(r.patients))]
	cents := int64(500 + 100*rng.IntN(300))
	switch op := rng.IntN(11); op {
	case 0, 1:
		kind := []string{"intake", "integration"}[rng.IntN(2)]
		r.appointment(t, patient, kind, "attended")
		return "attended " + kind
	case 2:
		r.appointment(t, patient, "integration", []string{"no_show", "late_cancel"}[rng.IntN(2)])
		return "missed"
	case 3: // an outcome changed: the first event's charge voided
		aps := r.booked[patient]
		if len(aps) == 0 {
			return "no outcome to change"
		}
		ap := aps[rng.IntN(len(aps))]
		if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, patient, ap.ID, []string{"attended", "no_show"}[rng.IntN(2)]); err != nil {
			t.Fatal(err)
		}
		return "outcome changed"
	case 4, 5:
		in := store.PaymentInput{Cents: cents, Method: billing.MethodCash}
		if op == 5 {
			in.ChargeIDs = []string{} // held as credit
		}
		if _, err := pr.s.RecordPayment(ctx, pr.thea, patient, in); err != nil {
			t.Fatal(err)
		}
		return "paid"
	case 6:
		for _, p := range r.ledger(t, patient).Payments.Rows {
			if left := p.Cents - p.Refunded; left > 0 {
				if err := pr.s.Refund(ctx, pr.admin, patient, p.ID, 1+rng.Int64N(left), "Refunded", ""); err != nil {
					t.Fatal(err)
				}
				return "refunded"
			}
		}
		return "nothing to refund"
	case 7, 8:
		for _, c := range r.ledger(t, patient).Charges.Rows {
			if c.Kind == billing.ChargePackageSession {
				continue
			}
			if op == 7 && c.Open > 0 {
				if err := pr.s.WriteOff(ctx, pr.thea, patient, c.ID, 1+rng.Int64N(c.Open), "Hardship"); err != nil {
					t.Fatal(err)
				}
				return "written off"
			}
			if to := c.Applied + c.Adjusted + rng.Int64N(30000); op == 8 && to != c.Cents {
				if err := pr.s.CorrectCharge(ctx, pr.thea, patient, c.ID, to, "Corrected"); err != nil {
					t.Fatal(err)
				}
				return "corrected"
			}
		}
		return "nothing to adjust"
	case 9:
		if _, err := pr.s.ApplyCredit(ctx, pr.admin, patient, nil); err != nil {
			t.Fatal(err)
		}
		return "credit applied"
	default:
		if _, err := pr.s.SellPackage(ctx, pr.thea, patient, r.pkg.ID); err != nil {
			t.Fatal(err)
		}
		return "package sold"
	}
}

// TestBillingTotalsOracle: after each of a seeded random mix of ledger
// writes by six patients (sessions attended, missed and cancelled late,
// outcomes changed so a charge is voided, packages sold and their
// sessions, payments applied or held as credit, refunds that un-apply,
// write-offs, corrections, credit applied), the practice's totals kept in
// billing_totals' shards (migration 0066) equal the ledger's sums the old
// way and balance, each shard holds its patients' part, and the
// outstanding report's count (the shards' owing) matches the patients who
// owe or hold a credit.
func TestBillingTotalsOracle(t *testing.T) {
	ctx := context.Background()
	pr := newRxPractice(t)
	pr.billingSetup(t)
	r := &totalsRun{pr: pr, patients: []string{pr.p.ID}, booked: map[string][]*store.Appointment{},
		next: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		pkg:  store.Package{Name: "Three integration sessions", Kind: "integration", Sessions: 3, Cents: 50000, Code: "90837"}}
	if err := pr.s.AddPackage(ctx, pr.admin, &r.pkg); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		p := &store.Patient{DisplayName: fmt.Sprintf("Totals %d", i)}
		if err := pr.s.CreatePatient(ctx, pr.thea, p, ""); err != nil {
			t.Fatal(err)
		}
		r.patients = append(r.patients, p.ID)
	}
	checkKeptTotals(t, pr.s, pr.admin) // nothing yet: 16 shards of zeros
	rng := rand.New(rand.NewPCG(21, 66))
	done := map[string]int{}
	for i := range 80 {
		what := r.step(t, rng)
		done[what]++
		checkKeptTotals(t, pr.s, pr.admin)
		if t.Failed() {
			t.Fatalf("after step %d (%s); steps so far %v", i, what, done)
		}
	}
	checkKeptBalances(t, pr.s, pr.admin)
	for _, what := range []string{"attended intake", "attended integration", "missed", "outcome changed", "paid", "refunded", "written off", "corrected", "credit applied", "package sold"} {
		if done[what] == 0 {
			t.Errorf("the run never %s: %v", what, done)
		}
	}
	tot, err := pr.s.PracticeLedgerTotals(ctx, pr.admin)
	if err != nil || tot.Charges == 0 || tot.Applied == 0 || tot.Refunds == 0 || tot.Adjustments == 0 {
		t.Errorf("the run left totals %+v, %v: some kind of entry never counted", tot, err)
	}
}

// TestBillingTotalsBackfill: migration 0066 fills billing_totals' shards
// (and the owing count 0063 kept in billing_owing) from a ledger written
// before it, on a database with billing_balances already kept.
func TestBillingTotalsBackfill(t *testing.T) {
	ctx := context.Background()
	s := openThrough(t, "0065_~")
	admin, patients := seedOldLedger(t, s)
	p := patients[1] // Old 1 owes $150 of the intake: write $20 off and correct it down
	// The charge's id by SQL: the store's ledger read needs the schema of
	// today, and this one stops at 0065.
	charge, err := store.StringForTest(ctx, s, `SELECT id FROM charges WHERE patient_id = $1`, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteOff(ctx, admin, p.ID, charge, 2000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	if err := s.CorrectCharge(ctx, admin, p.ID, charge, 20000, "Shorter"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkKeptTotals(t, s, admin)
	checkKeptBalances(t, s, admin)
	tot, err := s.PracticeLedgerTotals(ctx, admin)
	want := store.LedgerTotals{Charges: 25000 + 20000, Payments: 25000 + 10000 + 4000, Applied: 35000, Adjustments: 2000,
		Outstanding: 8000, Credit: 4000, Currency: tot.Currency}
	if err != nil || tot != want {
		t.Errorf("after the backfill %+v, %v; want %+v", tot, err, want)
	}
	page, err := s.OutstandingBalances(ctx, admin, store.PageKey{})
	if err != nil || page.Total != 2 {
		t.Errorf("after the backfill %+v, %v; want 2 patients owing or holding a credit", page, err)
	}
}

// TestBillingTotalsConcurrent: payments of four patients written at the
// same time (on PostgreSQL, in transactions side by side, each locking its
// patient's balance row and then its shard's row) leave the kept totals,
// shard by shard, equal to the ledger's sums.
func TestBillingTotalsConcurrent(t *testing.T) {
	ctx := context.Background()
	pr := newRxPractice(t)
	pr.billingSetup(t)
	r := &totalsRun{pr: pr, patients: []string{pr.p.ID}, booked: map[string][]*store.Appointment{}, next: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	for i := range 3 {
		p := &store.Patient{DisplayName: fmt.Sprintf("Side %d", i)}
		if err := pr.s.CreatePatient(ctx, pr.thea, p, ""); err != nil {
			t.Fatal(err)
		}
		r.patients = append(r.patients, p.ID)
	}
	for _, p := range r.patients {
		r.appointment(t, p, "intake", "attended")
	}
	errs := make(chan error, 16)
	for w := range 16 {
		go func() {
			_, err := pr.s.RecordPayment(ctx, pr.thea, r.patients[w%4], store.PaymentInput{Cents: int64(2000 + 100*w), Method: billing.MethodCash})
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkKeptTotals(t, pr.s, pr.admin)
	checkKeptBalances(t, pr.s, pr.admin)
}
