package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// billingSetup gives pr a fee schedule (intake 90791 $250, integration
// 90837 $200; no follow-up fee) and a policy (24 h, late cancel $75,
// no-show $100).
func (pr *rxPractice) billingSetup(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []store.FeeEntry{
		{Kind: "intake", Code: "90791", Description: "Psychiatric diagnostic evaluation", Cents: 25000},
		{Kind: "integration", Code: "90837", Description: "Psychotherapy, 53 minutes or more", Cents: 20000},
	} {
		if err := pr.s.SetFee(ctx, pr.admin, &f); err != nil {
			t.Fatal(err)
		}
	}
	if err := pr.s.SetChargePolicy(ctx, pr.admin, billing.Policy{LateCancelHours: 24, LateCancelCents: 7500, NoShowCents: 10000}); err != nil {
		t.Fatal(err)
	}
}

// book books an appointment of kind for pr.p with thea at start (the
// clock set an hour before it) and returns it.
func (pr *rxPractice) book(t *testing.T, kind string, start time.Time) *store.Appointment {
	t.Helper()
	pr.now = start.Add(-time.Hour)
	ap := &store.Appointment{Kind: kind, StartsAt: start, Minutes: 50}
	if err := pr.s.CreateAppointment(context.Background(), pr.thea, pr.p.ID, ap); err != nil {
		t.Fatal(err)
	}
	return ap
}

// attend books and records an appointment of kind at start as outcome.
func (pr *rxPractice) attend(t *testing.T, kind string, start time.Time, outcome string) *store.Appointment {
	t.Helper()
	ap := pr.book(t, kind, start)
	pr.now = start.Add(time.Hour)
	if err := pr.s.RecordAppointmentOutcome(context.Background(), pr.thea, pr.p.ID, ap.ID, outcome); err != nil {
		t.Fatal(err)
	}
	return ap
}

func (pr *rxPractice) ledger(t *testing.T) *store.Ledger {
	t.Helper()
	l, err := pr.s.PatientLedger(context.Background(), pr.admin, pr.p.ID, store.PageKey{Limit: 200}, store.PageKey{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func chargeFor(t *testing.T, l *store.Ledger, appointmentID string) *store.Charge {
	t.Helper()
	for i, c := range l.Charges.Rows {
		if c.AppointmentID == appointmentID {
			return &l.Charges.Rows[i]
		}
	}
	return nil
}

func (pr *rxPractice) checkTotals(t *testing.T, outstanding, credit int64) {
	t.Helper()
	tot, err := pr.s.PracticeLedgerTotals(context.Background(), pr.admin)
	if err != nil {
		t.Fatal(err)
	}
	if !tot.Balances() || tot.Outstanding != outstanding || tot.Credit != credit {
		t.Errorf("totals %+v: want outstanding %d, credit %d, balancing", tot, outstanding, credit)
	}
	checkKeptBalances(t, pr.s, pr.admin)
}

// TestBillingLedger walks the hand-worked cases on one patient:
// partial payments, a payment over what is open becoming credit, a
// refund of the credit, a package across six sessions (shares summing to
// its price), a write-off, a refund that un-applies, a correction; the
// patient's balance and the practice's totals at each step.
func TestBillingLedger(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

	// Intake attended: $250.00. Paid $100 cash, then $200 by check: $50 credit.
	intake := pr.attend(t, "intake", day, "attended")
	l := pr.ledger(t)
	c := chargeFor(t, l, intake.ID)
	if c == nil || c.Kind != billing.ChargeService || c.Cents != 25000 || c.Code != "90791" || c.Open != 25000 || l.Balance.Balance != 25000 {
		t.Fatalf("intake charge %+v, balance %+v", c, l.Balance)
	}
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 10000, Method: billing.MethodCash}); err != nil {
		t.Fatal(err)
	}
	if l = pr.ledger(t); chargeFor(t, l, intake.ID).Open != 15000 || l.Balance != (store.Balance{Open: 15000, Balance: 15000, Currency: "USD"}) {
		t.Fatalf("after $100: %+v", l.Balance)
	}
	pr.checkTotals(t, 15000, 0)
	check, err := pr.s.RecordPayment(ctx, pr.admin, pr.p.ID, store.PaymentInput{Cents: 20000, Method: billing.MethodCheck, Reference: "Check 1042"})
	if err != nil {
		t.Fatal(err)
	}
	if check.Applied != 15000 || check.Unapplied != 5000 {
		t.Errorf("the check applied %d, left %d; want 15000, 5000", check.Applied, check.Unapplied)
	}
	if l = pr.ledger(t); chargeFor(t, l, intake.ID).Open != 0 || l.Balance != (store.Balance{Open: 0, Credit: 5000, Balance: -5000, Currency: "USD"}) {
		t.Fatalf("after the check: %+v", l.Balance)
	}
	pr.checkTotals(t, 0, 5000)

	// Refund the $50 credit. More than is left of the payment is refused.
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, check.ID, 20001, "Overpaid", ""); fieldOf(err, "amount") == "" {
		t.Errorf("refund over the payment: %v", err)
	}
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, check.ID, 5000, "Overpaid by check", "Check 2001"); err != nil {
		t.Fatal(err)
	}
	if l = pr.ledger(t); l.Balance.Balance != 0 || l.Balance.Credit != 0 {
		t.Fatalf("after the refund: %+v", l.Balance)
	}
	pr.checkTotals(t, 0, 0)

	// A package of six integration sessions for $1,000.00, paid by card.
	pkg := store.Package{Name: "Six integration sessions", Kind: "integration", Sessions: 6, Cents: 100000, Code: "90837"}
	if err := pr.s.AddPackage(ctx, pr.admin, &pkg); err != nil {
		t.Fatal(err)
	}
	sold, err := pr.s.SellPackage(ctx, pr.thea, pr.p.ID, pkg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 100000, Method: billing.MethodCardTerminal, Reference: "Receipt 88123", ChargeIDs: []string{sold.ChargeID}}); err != nil {
		t.Fatal(err)
	}
	var shares int64
	for i := range 6 {
		ap := pr.attend(t, "integration", day.AddDate(0, 0, 7*(i+1)), "attended")
		c := chargeFor(t, pr.ledger(t), ap.ID)
		want := int64(16666)
		if i == 0 {
			want = 16670
		}
		if c == nil || c.Kind != billing.ChargePackageSession || c.Cents != 0 || c.ShareCents != want || c.SessionNumber != i+1 || c.Code != "90837" {
			t.Fatalf("package session %d: %+v", i+1, c)
		}
		shares += c.ShareCents
	}
	if shares != 100000 {
		t.Errorf("the shares sum to %d, want the price 100000", shares)
	}
	pr.checkTotals(t, 0, 0)

	// The seventh integration session is charged at the fee: $50 paid by
	// transfer, $150 written off.
	seventh := pr.attend(t, "integration", day.AddDate(0, 0, 56), "attended")
	c = chargeFor(t, pr.ledger(t), seventh.ID)
	if c == nil || c.Kind != billing.ChargeService || c.Cents != 20000 {
		t.Fatalf("seventh session %+v", c)
	}
	transfer, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 5000, Method: billing.MethodTransfer})
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, c.ID, 15001, "Hardship"); fieldOf(err, "amount") == "" {
		t.Errorf("write-off over the open amount: %v", err)
	}
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, c.ID, 15000, ""); fieldOf(err, "reason") == "" {
		t.Errorf("write-off without a reason: %v", err)
	}
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, c.ID, 15000, "Hardship, agreed in session"); err != nil {
		t.Fatal(err)
	}
	if c = chargeFor(t, pr.ledger(t), seventh.ID); c.Open != 0 || c.Adjusted != 15000 || c.Applied != 5000 {
		t.Fatalf("after the write-off %+v", c)
	}
	pr.checkTotals(t, 0, 0)

	// Refunding $30 of the transfer un-applies it: the charge opens again.
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, transfer.ID, 3000, "Paid twice by mistake", ""); err != nil {
		t.Fatal(err)
	}
	if l = pr.ledger(t); chargeFor(t, l, seventh.ID).Open != 3000 || l.Balance.Balance != 3000 {
		t.Fatalf("after the un-applying refund: %+v %+v", chargeFor(t, l, seventh.ID), l.Balance)
	}
	pr.checkTotals(t, 3000, 0)

	// A correction: not below what was paid and written off (170), with a
	// reason; then $180.
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 16000, "Shorter session"); fieldOf(err, "amount") == "" {
		t.Errorf("correction below what was paid: %v", err)
	}
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 18000, " "); fieldOf(err, "reason") == "" {
		t.Errorf("correction without a reason: %v", err)
	}
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 18000, "Shorter session"); err != nil {
		t.Fatal(err)
	}
	if c = chargeFor(t, pr.ledger(t), seventh.ID); c.Cents != 18000 || c.OriginalCents != 20000 || c.Open != 1000 {
		t.Fatalf("after the correction %+v", c)
	}
	pr.checkTotals(t, 1000, 0)

	// A no-show is charged the policy's fee, but is no service on the
	// superbill.
	noShow := pr.attend(t, "integration", day.AddDate(0, 0, 63), "no_show")
	if c := chargeFor(t, pr.ledger(t), noShow.ID); c == nil || c.Kind != billing.ChargeNoShow || c.Cents != 10000 {
		t.Fatalf("no-show %+v", c)
	}
	pr.checkTotals(t, 11000, 0)

	sb, err := pr.s.Superbill(ctx, pr.patient, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 3, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Lines) != 8 {
		t.Fatalf("superbill lines %d, want 8 (intake, six package sessions, the seventh): %+v", len(sb.Lines), sb.Lines)
	}
	if l := sb.Lines[0]; l.Code != "90791" || l.Fee != 25000 || l.Paid != 25000 || l.PlaceOfService != "11" || l.ClinicianName == "" {
		t.Errorf("superbill intake line %+v", l)
	}
	if sb.TotalFee != 25000+100000+18000 || sb.TotalPaid != 25000+100000+2000 {
		t.Errorf("superbill totals fee %d paid %d", sb.TotalFee, sb.TotalPaid)
	}

	// Reports: by service code and by month.
	bySvc, err := pr.s.IncomeByService(ctx, pr.admin, day.AddDate(-1, 0, 0), day.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range bySvc {
		got[r.Key] = r.Cents
	}
	if got["90791"] != 25000 || got["90837"] != 100000+2000 {
		t.Errorf("income by service %v", got)
	}
	byMonth, err := pr.s.IncomeByMonth(ctx, pr.admin, day.AddDate(-1, 0, 0), day.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var received int64
	for _, r := range byMonth {
		received += r.Cents
	}
	if received != 10000+20000-5000+100000+5000-3000 {
		t.Errorf("income by month %v: %d", byMonth, received)
	}
	byClin, err := pr.s.IncomeByClinician(ctx, pr.admin, day.AddDate(-1, 0, 0), day.AddDate(1, 0, 0))
	if err != nil || len(byClin) == 0 {
		t.Errorf("income by clinician %v, %v", byClin, err)
	}
	// The ledger is read a page at a time, by key.
	first, err := pr.s.PatientLedger(ctx, pr.patient, pr.p.ID, store.PageKey{Limit: 3}, store.PageKey{Limit: 2})
	if err != nil || len(first.Charges.Rows) != 3 || first.Charges.Total != 10 || first.Charges.Next == "" || len(first.Payments.Rows) != 2 || first.Payments.Total != 4 {
		t.Fatalf("first page %+v %+v, %v", first.Charges, first.Payments, err)
	}
	second, err := pr.s.PatientLedger(ctx, pr.patient, pr.p.ID, store.PageKey{Limit: 3, After: first.Charges.Next}, store.PageKey{Limit: 2, After: first.Payments.Next})
	if err != nil || len(second.Charges.Rows) != 3 || second.Charges.Rows[0].ID == first.Charges.Rows[0].ID || second.Charges.Rows[0].ServiceDate.After(first.Charges.Rows[2].ServiceDate) || len(second.Payments.Rows) != 2 {
		t.Errorf("second page %+v, %v", second.Charges, err)
	}
	out, err := pr.s.OutstandingBalances(ctx, pr.admin, store.PageKey{})
	if err != nil || out.Total != 1 || out.Rows[0].PatientID != pr.p.ID || out.Rows[0].Balance != 11000 {
		t.Errorf("outstanding %+v, %v", out, err)
	}
}

// TestBillingChargeEvents: the charge each appointment event makes, in the
// event's transaction: attended at the fee (and at the patient's tier),
// no-show and late cancel at the policy's fees; none for an early
// cancellation, a kind with no fee, a policy with no fee.
func TestBillingChargeEvents(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

	// No fee schedule, no policy: nothing is charged.
	ap := pr.attend(t, "integration", day, "attended")
	if c := chargeFor(t, pr.ledger(t), ap.ID); c != nil {
		t.Errorf("charged with no fee schedule: %+v", c)
	}
	ap = pr.attend(t, "integration", day.AddDate(0, 0, 1), "no_show")
	if c := chargeFor(t, pr.ledger(t), ap.ID); c != nil {
		t.Errorf("no-show charged with no policy fee: %+v", c)
	}

	pr.billingSetup(t)
	for i, c := range []struct {
		name    string
		kind    string
		outcome string // or "cancel-N" hours before
		cancel  time.Duration
		want    billing.ChargeKind
		cents   int64
	}{
		{"attended", "integration", "attended", 0, billing.ChargeService, 20000},
		{"no-show", "integration", "no_show", 0, billing.ChargeNoShow, 10000},
		{"a follow-up has no fee", "follow_up", "attended", 0, "", 0},
		{"cancelled 2 h before", "integration", "", 2 * time.Hour, billing.ChargeLateCancel, 7500},
		{"cancelled 30 h before", "integration", "", 30 * time.Hour, "", 0},
	} {
		start := day.AddDate(0, 0, 10+i)
		var ap *store.Appointment
		if c.outcome != "" {
			ap = pr.attend(t, c.kind, start, c.outcome)
		} else {
			pr.now = start.Add(-c.cancel - time.Hour)
			ap = &store.Appointment{Kind: c.kind, StartsAt: start, Minutes: 50}
			if err := pr.s.CreateAppointment(ctx, pr.thea, pr.p.ID, ap); err != nil {
				t.Fatal(err)
			}
			pr.now = start.Add(-c.cancel)
			if err := pr.s.CancelAppointment(ctx, pr.thea, pr.p.ID, ap.ID, "Patient unwell"); err != nil {
				t.Fatal(err)
			}
		}
		got := chargeFor(t, pr.ledger(t), ap.ID)
		if own, err := pr.s.AppointmentCharge(ctx, pr.thea, pr.p.ID, ap.ID); err != nil || (own == nil) != (got == nil) || (own != nil && own.ID != got.ID) {
			t.Errorf("%s: AppointmentCharge = %+v, %v", c.name, own, err)
		}
		switch {
		case c.want == "" && got != nil:
			t.Errorf("%s: charged %+v", c.name, got)
		case c.want != "" && (got == nil || got.Kind != c.want || got.Cents != c.cents):
			t.Errorf("%s: charge %+v, want %s %d", c.name, got, c.want, c.cents)
		}
		if c.want != "" {
			n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'billing.charge' AND object_id = $1 AND patient_id = $2`, got.ID, pr.p.ID)
			if err != nil || n != 1 {
				t.Errorf("%s: %d audit rows, %v", c.name, n, err)
			}
		}
	}

	// Recording the outcome again makes no second charge.
	first := pr.attend(t, "integration", day.AddDate(0, 0, 20), "attended")
	if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, first.ID, "attended"); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM charges WHERE appointment_id = $1`, first.ID); n != 1 {
		t.Errorf("%d charges for one appointment", n)
	}

	// The sliding scale: "Reduced 75%" makes the $200 session $150; a
	// fee changed later leaves the past charge as it was.
	tier := store.Tier{Name: "Reduced 75%", Percent: 75}
	if err := pr.s.AddTier(ctx, pr.admin, &tier); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.SetPatientTier(ctx, pr.thea, pr.p.ID, tier.ID); err != nil {
		t.Fatal(err)
	}
	reduced := pr.attend(t, "integration", day.AddDate(0, 0, 21), "attended")
	if c := chargeFor(t, pr.ledger(t), reduced.ID); c == nil || c.Cents != 15000 {
		t.Errorf("at the 75%% tier: %+v", c)
	}
	if err := pr.s.SetFee(ctx, pr.admin, &store.FeeEntry{Kind: "integration", Code: "90837", Description: "Psychotherapy, 53 minutes or more", Cents: 22000}); err != nil {
		t.Fatal(err)
	}
	fees, err := pr.s.FeeSchedule(ctx, pr.admin)
	if err != nil || len(fees) != 2 {
		t.Fatalf("fee schedule %+v, %v", fees, err)
	}
	if c := chargeFor(t, pr.ledger(t), reduced.ID); c.Cents != 15000 {
		t.Errorf("a fee change changed a past charge: %+v", c)
	}
	// A clinician's own fee overrides the kind's default.
	if err := pr.s.SetPatientTier(ctx, pr.thea, pr.p.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.SetFee(ctx, pr.admin, &store.FeeEntry{Kind: "integration", ClinicianID: pr.thea.UserID, Code: "90837", Description: "Psychotherapy (Thea)", Cents: 24000}); err != nil {
		t.Fatal(err)
	}
	own := pr.attend(t, "integration", day.AddDate(0, 0, 22), "attended")
	if c := chargeFor(t, pr.ledger(t), own.ID); c == nil || c.Cents != 24000 {
		t.Errorf("the clinician's own fee: %+v", c)
	}
}

// TestBillingPaymentCredit: a payment beyond what is open becomes credit,
// which ApplyCredit applies to a later charge; a reference that looks like
// a card number is refused.
func TestBillingPaymentCredit(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 5000, Method: billing.MethodCash, Reference: "4111 1111 1111 1111"}); fieldOf(err, "reference") == "" {
		t.Errorf("a card number as reference: %v", err)
	}
	for _, bad := range []store.PaymentInput{{Cents: 0, Method: "cash"}, {Cents: -5, Method: "cash"}, {Cents: 500, Method: "card"}, {Cents: 500, Method: "cash", Currency: "EUR"}} {
		if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, bad); clinic.ErrorCode(err) != clinic.EInvalid {
			t.Errorf("payment %+v: %v", bad, err)
		}
	}
	p, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCash})
	if err != nil || p.Applied != 0 || p.Unapplied != 30000 {
		t.Fatalf("a payment with nothing open: %+v, %v", p, err)
	}
	ap := pr.attend(t, "integration", day, "attended")
	if l := pr.ledger(t); l.Balance != (store.Balance{Open: 20000, Credit: 30000, Balance: -10000, Currency: "USD"}) {
		t.Errorf("before applying: %+v", l.Balance)
	}
	n, err := pr.s.ApplyCredit(ctx, pr.thea, pr.p.ID, nil)
	if err != nil || n != 20000 {
		t.Fatalf("ApplyCredit = %d, %v", n, err)
	}
	l := pr.ledger(t)
	if chargeFor(t, l, ap.ID).Open != 0 || l.Balance != (store.Balance{Open: 0, Credit: 10000, Balance: -10000, Currency: "USD"}) {
		t.Errorf("after applying: %+v", l.Balance)
	}
	if len(l.Payments.Rows) != 1 || l.Payments.Rows[0].Unapplied != 10000 {
		t.Errorf("payments %+v", l.Payments.Rows)
	}
	// Named charges that are not open are refused.
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 100, Method: "cash", ChargeIDs: []string{chargeFor(t, l, ap.ID).ID}}); fieldOf(err, "charges") == "" {
		t.Errorf("payment to a settled charge: %v", err)
	}
	pr.checkTotals(t, 0, 10000)
}

// TestBillingAppendOnly: the ledger's rows cannot be changed nor deleted,
// by the database itself (on both engines), and the fee schedule's
// entries are archived, never changed.
func TestBillingAppendOnly(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	ap := pr.attend(t, "intake", day, "attended")
	c := chargeFor(t, pr.ledger(t), ap.ID)
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.s.Refund(ctx, pr.thea, pr.p.ID, pay.ID, 1000, "Change", ""); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 26000, "Longer session"); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.WriteOff(ctx, pr.thea, pr.p.ID, c.ID, 0, "Goodwill"); err != nil {
		t.Fatal(err)
	}
	tier := store.Tier{Name: "Reduced 75%", Percent: 75}
	if err := pr.s.AddTier(ctx, pr.admin, &tier); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.SetPatientTier(ctx, pr.thea, pr.p.ID, tier.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"charges", "charge_corrections", "payments", "payment_applications", "refunds", "adjustments", "patient_tiers", "charge_policies"} {
		if n, _ := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM `+table); n == 0 {
			t.Errorf("%s has no row to try", table)
		}
		col := "id"
		if err := store.ExecForTest(ctx, pr.s, `UPDATE `+table+` SET `+col+` = id`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE %s: %v", table, err)
		}
		if err := store.ExecForTest(ctx, pr.s, `DELETE FROM `+table); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE FROM %s: %v", table, err)
		}
	}
	for _, q := range []string{`UPDATE fee_schedule SET amount_cents = 1`, `DELETE FROM fee_schedule`, `UPDATE sliding_tiers SET percent = 10`} {
		if err := store.ExecForTest(ctx, pr.s, q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
	fees, _ := pr.s.FeeSchedule(ctx, pr.admin)
	if err := pr.s.ArchiveFee(ctx, pr.admin, fees[0].ID); err != nil {
		t.Errorf("archiving a fee: %v", err)
	}
	if after, _ := pr.s.FeeSchedule(ctx, pr.admin); len(after) != len(fees)-1 {
		t.Errorf("after archiving %d fees, want %d", len(after), len(fees)-1)
	}
	// The store refuses a second correction to the same amount, and a
	// package session correction, rather than changing a row.
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, c.ID, 26000, "Again"); fieldOf(err, "amount") == "" {
		t.Errorf("a correction to the same amount: %v", err)
	}
}

// TestBillingAccess: the policy's rows for the ledger. The patient reads
// their own ledger and superbill only; the care team's therapist reads and
// records; admins record; a therapist not on the team, the prescriber on
// the team and an emergency grant are refused (and audited as denied);
// fees are admins' only.
func TestBillingAccess(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	// theo is not on pr.p's care team: refused, before and with a grant.
	if _, err := pr.s.PatientLedger(ctx, pr.theo, pr.p.ID, store.PageKey{}, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist not on the team reads the ledger: %v", err)
	}
	if err := pr.s.SetPatientTier(ctx, pr.theo, pr.p.ID, ""); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist not on the team sets the tier: %v", err)
	}
	if err := store.ExecForTest(ctx, pr.s, `INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, 'Crisis call', $4, $5)`,
		store.NewID(), pr.p.ID, pr.theo.UserID, pr.now, pr.now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	read := func(a store.Actor) error {
		_, err := pr.s.PatientLedger(ctx, a, pr.p.ID, store.PageKey{}, store.PageKey{})
		return err
	}
	superbill := func(a store.Actor) error {
		_, err := pr.s.Superbill(ctx, a, pr.p.ID, pr.now.AddDate(-1, 0, 0), pr.now)
		return err
	}
	pay := func(a store.Actor) error {
		_, err := pr.s.RecordPayment(ctx, a, pr.p.ID, store.PaymentInput{Cents: 100, Method: billing.MethodCash})
		return err
	}
	for _, c := range []struct {
		who             string
		a               store.Actor
		read, recordPay bool
	}{
		{"the patient", pr.patient, true, false},
		{"another patient", pr.other, false, false},
		{"the owning therapist", pr.thea, true, true},
		{"a therapist with an emergency grant", pr.theo, false, false},
		{"the prescriber on the team", pr.rex, false, false},
		{"another prescriber", pr.rita, false, false},
		{"an admin", pr.admin, true, true},
	} {
		for name, got := range map[string]struct {
			err  error
			want bool
		}{
			"read the ledger":    {read(c.a), c.read},
			"read the superbill": {superbill(c.a), c.read},
			"record a payment":   {pay(c.a), c.recordPay},
		} {
			if got.want && got.err != nil {
				t.Errorf("%s: %s: %v", c.who, name, got.err)
			}
			if !got.want && clinic.ErrorCode(got.err) != clinic.ENotFound {
				t.Errorf("%s: %s = %v, want refused", c.who, name, got.err)
			}
		}
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND action = 'billing.ledger' AND outcome = 'denied' AND detail LIKE 'emergency%'`, pr.theo.UserID); err != nil || n != 1 {
		t.Errorf("the emergency grant's refusal: %d audited, %v", n, err)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND action = 'billing.ledger' AND outcome = 'success' AND patient_id = $2`, pr.patient.UserID, pr.p.ID); err != nil || n != 1 {
		t.Errorf("the patient's read: %d audited, %v", n, err)
	}
	// Fees, packages, the policy and the reports: admins only.
	for _, a := range []store.Actor{pr.thea, pr.rex, pr.patient} {
		if err := pr.s.SetFee(ctx, a, &store.FeeEntry{Kind: "intake", Code: "90791", Description: "x", Cents: 1}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s sets a fee: %v", a.Role, err)
		}
		if _, err := pr.s.FeeSchedule(ctx, a); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads the fee schedule: %v", a.Role, err)
		}
		if _, err := pr.s.PracticeLedgerTotals(ctx, a); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads the totals: %v", a.Role, err)
		}
		if _, err := pr.s.OutstandingBalances(ctx, a, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
			t.Errorf("%s reads the balances: %v", a.Role, err)
		}
	}
	// Bad input is a field error.
	for _, f := range []store.FeeEntry{
		{Kind: "nap", Code: "90791", Description: "x", Cents: 100},
		{Kind: "intake", Code: "9079", Description: "x", Cents: 100},
		{Kind: "intake", Code: "90791", Description: "", Cents: 100},
		{Kind: "intake", Code: "90791", Description: "x", Cents: 0},
		{Kind: "intake", Code: "90791", Description: "x", Cents: 100, Currency: "usd1"},
	} {
		if err := pr.s.SetFee(ctx, pr.admin, &f); clinic.ErrorCode(err) != clinic.EInvalid {
			t.Errorf("fee %+v: %v", f, err)
		}
	}
}

// TestBillingDatabaseSums: the database itself refuses a ledger row that
// breaks the sums, whoever writes it (both engines): an application beyond
// the payment or beyond the charge's open amount, a refund beyond what is
// left of the payment, a write-off beyond what is open, a correction that
// does not follow from the charge, a reversal of more than was applied.
func TestBillingDatabaseSums(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	ap := pr.attend(t, "intake", time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), "attended")
	// The intake is $250.00; $100 is applied, then $150 of $500 ($350 credit).
	c := chargeFor(t, pr.ledger(t), ap.ID)
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 10000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	big, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 50000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	appID, err := store.StringForTest(ctx, pr.s, `SELECT id FROM payment_applications WHERE payment_id = $1`, pay.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := pr.now
	for _, c := range []struct {
		name, q string
		args    []any
	}{
		{"an application beyond the charge", `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, created_by, created_at) VALUES ($1, $2, $3, $4, 1, $5, $6)`,
			[]any{store.NewID(), big.ID, c.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a refund beyond the payment", `INSERT INTO refunds (id, payment_id, patient_id, amount_cents, reason, month, recorded_by, recorded_at) VALUES ($1, $2, $3, 35001, 'x', '2026-12', $4, $5)`,
			[]any{store.NewID(), big.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a write-off beyond the open amount", `INSERT INTO adjustments (id, charge_id, patient_id, kind, amount_cents, reason, created_by, created_at) VALUES ($1, $2, $3, 'write_off', 1, 'x', $4, $5)`,
			[]any{store.NewID(), c.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a correction below what was paid", `INSERT INTO charge_corrections (id, charge_id, patient_id, amount_cents, delta_cents, reason, created_by, created_at) VALUES ($1, $2, $3, 20000, -5000, 'x', $4, $5)`,
			[]any{store.NewID(), c.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a correction that does not follow", `INSERT INTO charge_corrections (id, charge_id, patient_id, amount_cents, delta_cents, reason, created_by, created_at) VALUES ($1, $2, $3, 30000, 1, 'x', $4, $5)`,
			[]any{store.NewID(), c.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a reversal of more than was applied", `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, reverses_id, created_by, created_at) VALUES ($1, $2, $3, $4, -10001, $5, $6, $7)`,
			[]any{store.NewID(), pay.ID, c.ID, pr.p.ID, appID, pr.thea.UserID, now}},
		{"a reversal under another payment", `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, reverses_id, created_by, created_at) VALUES ($1, $2, $3, $4, -100, $5, $6, $7)`,
			[]any{store.NewID(), big.ID, c.ID, pr.p.ID, appID, pr.thea.UserID, now}},
	} {
		if err := store.ExecForTest(ctx, pr.s, c.q, c.args...); err == nil {
			t.Errorf("%s was allowed", c.name)
		}
	}
	// What the sums allow goes in: a correction up, a reversal within the
	// application, a refund within what is left.
	for _, c := range []struct {
		name, q string
		args    []any
	}{
		{"a correction up", `INSERT INTO charge_corrections (id, charge_id, patient_id, amount_cents, delta_cents, reason, created_by, created_at) VALUES ($1, $2, $3, 26000, 1000, 'x', $4, $5)`,
			[]any{store.NewID(), c.ID, pr.p.ID, pr.thea.UserID, now}},
		{"a reversal", `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, reverses_id, created_by, created_at) VALUES ($1, $2, $3, $4, -10000, $5, $6, $7)`,
			[]any{store.NewID(), pay.ID, c.ID, pr.p.ID, appID, pr.thea.UserID, now}},
		{"a refund", `INSERT INTO refunds (id, payment_id, patient_id, amount_cents, reason, month, recorded_by, recorded_at) VALUES ($1, $2, $3, 35000, 'x', '2026-12', $4, $5)`,
			[]any{store.NewID(), big.ID, pr.p.ID, pr.thea.UserID, now}},
	} {
		if err := store.ExecForTest(ctx, pr.s, c.q, c.args...); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	pr.checkTotals(t, 26000-15000, 10000)
}

// TestBillingOutcomeChanges: an appointment's outcome put right after it
// was charged voids the charge of the event that no longer holds (a
// correction to 0, append-only) and charges the new event; going back
// restores the first charge; a paid charge is left for staff; the
// superbill lists a service only while the appointment is attended.
func TestBillingOutcomeChanges(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	ap := pr.attend(t, "integration", day, "attended")
	outcome := func(o string) {
		t.Helper()
		if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, ap.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	amounts := func() map[billing.ChargeKind]int64 {
		t.Helper()
		out := map[billing.ChargeKind]int64{}
		for _, c := range pr.ledger(t).Charges.Rows {
			if c.AppointmentID == ap.ID {
				out[c.Kind] = c.Cents
			}
		}
		return out
	}
	services := func() int {
		t.Helper()
		sb, err := pr.s.Superbill(ctx, pr.admin, pr.p.ID, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		return len(sb.Lines)
	}
	current := func() *store.Charge {
		t.Helper()
		c, err := pr.s.AppointmentCharge(ctx, pr.thea, pr.p.ID, ap.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := amounts(); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargeService: 20000}) || services() != 1 {
		t.Fatalf("attended: charges %v, %d superbill lines", got, services())
	}

	// Marked attended by mistake: it was missed.
	outcome("no_show")
	if got := amounts(); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargeService: 0, billing.ChargeNoShow: 10000}) {
		t.Errorf("after no-show: charges %v, want the fee voided and the no-show fee", got)
	}
	if services() != 0 {
		t.Error("the superbill lists a session recorded as missed")
	}
	if c := current(); c == nil || c.Kind != billing.ChargeNoShow {
		t.Errorf("AppointmentCharge after no-show = %+v", c)
	}
	pr.checkTotals(t, 10000, 0)

	// It was held after all: the fee comes back, the no-show fee goes.
	outcome("attended")
	if got := amounts(); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargeService: 20000, billing.ChargeNoShow: 0}) {
		t.Errorf("after attended again: charges %v", got)
	}
	if services() != 1 {
		t.Error("the superbill leaves out the attended session")
	}
	if c := current(); c == nil || c.Kind != billing.ChargeService {
		t.Errorf("AppointmentCharge after attended again = %+v", c)
	}
	pr.checkTotals(t, 20000, 0)
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM charge_corrections WHERE patient_id = $1`, pr.p.ID); err != nil || n != 3 {
		t.Errorf("%d corrections (void, void, restore), %v", n, err)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'billing.correct' AND patient_id = $1`, pr.p.ID); err != nil || n != 3 {
		t.Errorf("%d correction audit rows, %v", n, err)
	}

	// Paid, then put right as missed: the money stays where it is for
	// staff to refund; only the unpaid no-show fee is added.
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 20000, Method: "cash", ReceivedAt: pr.now}); err != nil {
		t.Fatal(err)
	}
	outcome("no_show")
	if got := amounts(); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargeService: 20000, billing.ChargeNoShow: 10000}) {
		t.Errorf("after a paid session recorded missed: charges %v", got)
	}
	if n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events WHERE action = 'billing.charge_kept' AND patient_id = $1`, pr.p.ID); err != nil || n != 1 {
		t.Errorf("%d kept-charge audit rows, %v", n, err)
	}
	if services() != 0 {
		t.Error("the superbill lists a paid session recorded as missed")
	}
	pr.checkTotals(t, 10000, 0)
}

// TestBillingOutcomeEdges: the same outcome saved twice charges once,
// even when the package that paid the session has run out since (no fee
// beside the package session); a void and its restore never undo what
// a person corrected: a reduced fee comes back reduced, a waived fee
// stays waived.
func TestBillingOutcomeEdges(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	day := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	outcome := func(ap *store.Appointment, o string) {
		t.Helper()
		// Each change a minute after the one before, as people make them:
		// with one clock, the latest correction was a coin toss of ids.
		pr.now = pr.now.Add(time.Minute)
		if err := pr.s.RecordAppointmentOutcome(ctx, pr.thea, pr.p.ID, ap.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	charges := func(ap *store.Appointment) map[billing.ChargeKind]int64 {
		t.Helper()
		out := map[billing.ChargeKind]int64{}
		for _, c := range pr.ledger(t).Charges.Rows {
			if c.AppointmentID == ap.ID {
				out[c.Kind] = c.Cents
			}
		}
		return out
	}

	// A one-session package pays the session; saving "attended" again
	// (its package now used up) adds no fee.
	pkg := store.Package{Name: "One integration session", Kind: "integration", Sessions: 1, Cents: 18000}
	if err := pr.s.AddPackage(ctx, pr.admin, &pkg); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.SellPackage(ctx, pr.thea, pr.p.ID, pkg.ID); err != nil {
		t.Fatal(err)
	}
	ap := pr.attend(t, "integration", day, "attended")
	outcome(ap, "attended")
	if got := charges(ap); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargePackageSession: 0}) {
		t.Errorf("a package session saved twice: charges %v, want the one package session", got)
	}
	// Missed, then attended after all: still the package session only.
	outcome(ap, "no_show")
	outcome(ap, "attended")
	if got := charges(ap); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargePackageSession: 0, billing.ChargeNoShow: 0}) {
		t.Errorf("a package session missed and attended again: charges %v", got)
	}

	// A fee reduced by agreement, voided by a no-show, comes back reduced.
	ap2 := pr.attend(t, "integration", day.AddDate(0, 0, 1), "attended")
	fee := chargeFor(t, pr.ledger(t), ap2.ID)
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, fee.ID, 15000, "Agreed reduction"); err != nil {
		t.Fatal(err)
	}
	outcome(ap2, "no_show")
	outcome(ap2, "attended")
	if got := charges(ap2); !reflect.DeepEqual(got, map[billing.ChargeKind]int64{billing.ChargeService: 15000, billing.ChargeNoShow: 0}) {
		t.Errorf("a reduced fee voided and restored: charges %v, want $150 again", got)
	}

	// A no-show fee waived by staff stays waived when the no-show is
	// saved again, or recorded again after an attended in between.
	ap3 := pr.attend(t, "integration", day.AddDate(0, 0, 2), "no_show")
	var ns *store.Charge
	for _, c := range pr.ledger(t).Charges.Rows {
		if c.AppointmentID == ap3.ID {
			ns = &c
		}
	}
	if ns == nil || ns.Kind != billing.ChargeNoShow {
		t.Fatalf("no-show charge %+v", ns)
	}
	if err := pr.s.CorrectCharge(ctx, pr.thea, pr.p.ID, ns.ID, 0, "Waived: first missed session"); err != nil {
		t.Fatal(err)
	}
	outcome(ap3, "no_show")
	outcome(ap3, "attended")
	outcome(ap3, "no_show")
	if got := charges(ap3); got[billing.ChargeNoShow] != 0 {
		t.Errorf("a waived no-show fee came back: charges %v", got)
	}
	pr.checkTotals(t, 18000+15000, 0)
}
