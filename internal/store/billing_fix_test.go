package store_test

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
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

// sellPackage adds a package of n integration sessions at cents and
// sells it to pr.p.
func (pr *rxPractice) sellPackage(t *testing.T, n int, cents int64) *store.PackagePurchase {
	t.Helper()
	ctx := context.Background()
	pkg := store.Package{Name: "Integration sessions", Kind: "integration", Sessions: n, Cents: cents, Code: "90837"}
	if err := pr.s.AddPackage(ctx, pr.admin, &pkg); err != nil {
		t.Fatal(err)
	}
	sold, err := pr.s.SellPackage(ctx, pr.thea, pr.p.ID, pkg.ID)
	if err != nil {
		t.Fatal(err)
	}
	return sold
}

// TestBillingClosePackage: a package refunded or written off can be
// closed with a reason; its later sessions are then charged at the fee
// (openPurchaseIn used it forever). Closing needs a reason, the
// patient's own open package, and PermBilling; the closure is audited
// and append-only on both engines.
func TestBillingClosePackage(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	sold := pr.sellPackage(t, 3, 54000)
	first := pr.attend(t, "integration", day, "attended")
	if c := chargeFor(t, pr.ledger(t), first.ID); c == nil || c.Kind != billing.ChargePackageSession {
		t.Fatalf("first session %+v, want a package session", c)
	}
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, sold.ChargeID, 0, "Package not used, agreed"); err != nil {
		t.Fatal(err)
	}
	l := pr.ledger(t)
	if len(l.Packages) != 1 || l.Packages[0].ID != sold.ID || l.Packages[0].Used != 1 || l.Packages[0].Package.Sessions != 3 {
		t.Fatalf("open packages %+v", l.Packages)
	}
	for _, c := range []struct {
		name      string
		actor     store.Actor
		purchase  string
		reason    string
		field     string // "": refused as not found
		wantError bool
	}{
		{"no reason", pr.thea, sold.ID, " ", "reason", true},
		{"no package", pr.thea, "", "Written off", "purchase", true},
		{"not a package of this patient", pr.thea, store.NewID(), "Written off", "purchase", true},
		{"the patient", pr.patient, sold.ID, "Written off", "", true},
		{"the prescriber on the team", pr.rex, sold.ID, "Written off", "", true},
		{"a therapist not on the team", pr.theo, sold.ID, "Written off", "", true},
	} {
		err := pr.s.ClosePackage(ctx, c.actor, pr.p.ID, c.purchase, c.reason)
		switch {
		case c.field != "" && fieldOf(err, c.field) == "":
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		case c.field == "" && clinic.ErrorCode(err) != clinic.ENotFound:
			t.Errorf("%s: %v, want refused", c.name, err)
		}
	}
	// Nor through an emergency grant.
	if err := store.ExecForTest(ctx, pr.s, `INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, 'Crisis call', $4, $5)`,
		store.NewID(), pr.p.ID, pr.theo.UserID, pr.now, pr.now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.ClosePackage(ctx, pr.theo, pr.p.ID, sold.ID, "Written off"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("closing through an emergency grant: %v, want refused", err)
	}
	if err := pr.s.ClosePackage(ctx, pr.thea, pr.p.ID, sold.ID, "Written off: not used"); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.ClosePackage(ctx, pr.admin, pr.p.ID, sold.ID, "Again"); fieldOf(err, "purchase") == "" {
		t.Errorf("closing a closed package: %v", err)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'billing.package_close' AND outcome = 'success' AND patient_id = $1 AND object_id = $2`, pr.p.ID, sold.ID); err != nil || n != 1 {
		t.Errorf("closing audited %d times, %v", n, err)
	}
	if l := pr.ledger(t); len(l.Packages) != 0 {
		t.Errorf("open packages after closing: %+v", l.Packages)
	}
	second := pr.attend(t, "integration", day.AddDate(0, 0, 7), "attended")
	if c := chargeFor(t, pr.ledger(t), second.ID); c == nil || c.Kind != billing.ChargeService || c.Cents != 20000 {
		t.Errorf("a session after the package is closed: %+v, want the fee", c)
	}
	for _, q := range []string{`UPDATE package_closures SET reason = 'x'`, `DELETE FROM package_closures`} {
		if err := store.ExecForTest(ctx, pr.s, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	pr.checkTotals(t, 20000, 0)
}

// TestBillingPackageSessionGivenBack: a package session whose appointment
// is put right as missed no longer uses a session of the package (every
// package session used to count): the next session attended takes its
// place and its number, and the superbill lists the sessions given, each
// with its own share.
func TestBillingPackageSessionGivenBack(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	sold := pr.sellPackage(t, 2, 30001) // shares 150.01, 150.00
	a := pr.attend(t, "integration", day, "attended")
	b := pr.attend(t, "integration", day.AddDate(0, 0, 7), "attended")
	pr.now = day.AddDate(0, 0, 8)
	if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, b.ID, "no_show"); err != nil {
		t.Fatal(err)
	}
	if l := pr.ledger(t); len(l.Packages) != 1 || l.Packages[0].Used != 1 {
		t.Errorf("after the second is missed, packages %+v: want 1 used", l.Packages)
	}
	c := pr.attend(t, "integration", day.AddDate(0, 0, 14), "attended")
	l := pr.ledger(t)
	for _, x := range []struct {
		ap     *store.Appointment
		number int
		share  int64
	}{{a, 1, 15001}, {c, 2, 15000}} {
		got := chargeFor(t, l, x.ap.ID)
		if got == nil || got.Kind != billing.ChargePackageSession || got.PurchaseID != sold.ID || got.SessionNumber != x.number || got.ShareCents != x.share {
			t.Errorf("session %d: %+v", x.number, got)
		}
	}
	if len(l.Packages) != 1 || l.Packages[0].Used != 2 {
		t.Errorf("packages %+v: want 2 used", l.Packages)
	}
	// Used up: a fourth session is charged at the fee.
	d := pr.attend(t, "integration", day.AddDate(0, 0, 21), "attended")
	if got := chargeFor(t, pr.ledger(t), d.ID); got == nil || got.Kind != billing.ChargeService {
		t.Errorf("a session after the package is used: %+v", got)
	}
	sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var fees []int64
	for _, line := range sb.Lines {
		fees = append(fees, line.Fee)
	}
	if !reflect.DeepEqual(fees, []int64{15001, 15000, 20000}) {
		t.Errorf("superbill fees %v, want the two package shares and the fee", fees)
	}
}

// TestStatementSendsAppendOnly: the record of a superbill or statement
// sent is never changed nor deleted, by the database itself on both
// engines, like the rest of the ledger (statement_sends lacked the
// triggers).
func TestStatementSendsAppendOnly(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET email = 'pat@example.org' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocStatement, pr.now.AddDate(0, -1, 0), pr.now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE statement_sends SET kind = 'superbill'`, `UPDATE statement_sends SET sent_at = sent_at`, `DELETE FROM statement_sends`} {
		if err := store.ExecForTest(ctx, pr.s, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM statement_sends WHERE kind = 'statement'`); err != nil || n != 1 {
		t.Errorf("statement_sends after the attempts: %d, %v", n, err)
	}
}

// TestReversalLocksPayment (PostgreSQL): two transactions side by side
// each reverse the whole of one application. The trigger's check read
// what was left of the application without taking the payment's row, so
// both passed and the payment was un-applied twice; it now takes the row
// first, and the second, once the first commits, is refused.
func TestReversalLocksPayment(t *testing.T) {
	requirePostgres(t)
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	pr.attend(t, "intake", time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), "attended")
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 25000, Method: billing.MethodCash})
	if err != nil || pay.Applied != 25000 {
		t.Fatalf("payment %+v, %v", pay, err)
	}
	db, err := sql.Open("pgx", storetest.StoreDSN(t, pr.s))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var app, charge string
	if err := db.QueryRowContext(ctx, `SELECT id, charge_id FROM payment_applications WHERE payment_id = $1`, pay.ID).Scan(&app, &charge); err != nil {
		t.Fatal(err)
	}
	reverse := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, reverses_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, -25000, $5, $6, now())`, store.NewID(), pay.ID, charge, pr.p.ID, app, pr.thea.UserID)
		return err
	}
	first, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if err := reverse(first); err != nil {
		t.Fatal(err)
	}
	second, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Rollback()
	var pid int
	if err := second.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- reverse(second) }()
	// The second waits on a lock the first holds (the payment's row; the
	// patient's kept balance without the fix): commit the first only then,
	// so the second's check cannot have run after it.
	poll, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	for waiting := false; !waiting; {
		select {
		case err := <-done:
			t.Fatalf("the second reversal did not wait for the first: %v", err)
		default:
		}
		if err := db.QueryRowContext(poll, `SELECT COALESCE(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&waiting); err != nil {
			t.Fatal("waiting for the second reversal to wait on a lock:", err)
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if err == nil {
		err = second.Commit()
	}
	if err == nil || !strings.Contains(err.Error(), "reversal undoes no more") {
		t.Errorf("the second reversal of the same application: %v, want refused", err)
	}
	var reversed int64
	if err := db.QueryRowContext(ctx, `SELECT -COALESCE(SUM(amount_cents), 0) FROM payment_applications WHERE reverses_id = $1`, app).Scan(&reversed); err != nil || reversed != 25000 {
		t.Errorf("reversed %d of the application, %v; want 25000 once", reversed, err)
	}
}

// TestBillingPackageSessionTakenBack: a package session put right as
// missed gives its session back; when another session has taken it and
// the first is then put right again as attended, the package is not used
// beyond its sessions (it was: two sessions numbered 2 of 2, shares summing
// past the price): the first is charged at the fee instead, its package
// session no longer counts, and the superbill lists each service once.
// Missed and attended again once more, it keeps to the fee.
func TestBillingPackageSessionTakenBack(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	pr.sellPackage(t, 2, 30000)
	pr.attend(t, "integration", day, "attended")
	b := pr.attend(t, "integration", day.AddDate(0, 0, 7), "attended")
	outcome := func(ap *store.Appointment, o string, at time.Time) {
		t.Helper()
		pr.now = at
		if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, ap.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	outcome(b, "no_show", day.AddDate(0, 0, 8))
	c := pr.attend(t, "integration", day.AddDate(0, 0, 14), "attended")
	check := func(when string) {
		t.Helper()
		l := pr.ledger(t)
		if len(l.Packages) != 1 || l.Packages[0].Used != 2 {
			t.Errorf("%s: packages %+v, want 2 of 2 used", when, l.Packages)
		}
		var onB []store.Charge
		for _, ch := range l.Charges.Rows {
			if ch.AppointmentID == b.ID {
				onB = append(onB, ch)
			}
		}
		var fee, counted int
		for _, ch := range onB {
			if ch.Kind == billing.ChargeService && ch.Cents == 20000 {
				fee++
			}
			if ch.Kind == billing.ChargePackageSession && ch.Counts {
				counted++
			}
		}
		if fee != 1 || counted != 0 {
			t.Errorf("%s: the session taken back carries %+v; want its fee (200.00) and its package session no longer counted", when, onB)
		}
		if got := chargeFor(t, l, c.ID); got == nil || got.Kind != billing.ChargePackageSession || got.SessionNumber != 2 || !got.Counts {
			t.Errorf("%s: the session that took the place: %+v", when, got)
		}
		sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		var fees []int64
		for _, line := range sb.Lines {
			fees = append(fees, line.Fee)
		}
		if !reflect.DeepEqual(fees, []int64{15000, 20000, 15000}) {
			t.Errorf("%s: superbill fees %v, want the first share, the fee, the second share", when, fees)
		}
	}
	outcome(b, "attended", day.AddDate(0, 0, 15))
	check("attended again")
	outcome(b, "no_show", day.AddDate(0, 0, 16))
	outcome(b, "attended", day.AddDate(0, 0, 17))
	check("missed and attended once more")
}

// TestBillingPackageSessionTakenBackNoFee: as TestBillingPackageSessionTakenBack
// when the kind has no fee in the schedule (a package-only kind): the
// session taken back makes no charge, yet its package session no longer
// counts (it did, for want of a fee's charge to mark it: 3 of 2 used, the
// superbill's shares past the price).
func TestBillingPackageSessionTakenBackNoFee(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	if err := pr.s.SetChargePolicy(ctx, pr.admin, billing.Policy{LateCancelHours: 24}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	pr.sellPackage(t, 2, 30000)
	pr.attend(t, "integration", day, "attended")
	b := pr.attend(t, "integration", day.AddDate(0, 0, 7), "attended")
	for i, o := range []string{"no_show", "", "attended", "no_show", "attended"} {
		if o == "" {
			pr.attend(t, "integration", day.AddDate(0, 0, 14), "attended")
			continue
		}
		pr.now = day.AddDate(0, 0, 15+i)
		if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, b.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	l := pr.ledger(t)
	if len(l.Packages) != 1 || l.Packages[0].Used != 2 {
		t.Errorf("packages %+v, want 2 of 2 used", l.Packages)
	}
	sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Lines) != 2 || sb.TotalFee != 30000 {
		t.Errorf("superbill %d lines, fees %d; want the package's two sessions, 300.00", len(sb.Lines), sb.TotalFee)
	}
	st, err := pr.s.StatementFor(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	sessions := 0
	for _, e := range st.Lines {
		if strings.Contains(e.Description, "Package session") {
			sessions++
		}
	}
	if sessions != 2 {
		t.Errorf("the statement lists %d package sessions, want the 2 that count: %+v", sessions, st.Lines)
	}
}
