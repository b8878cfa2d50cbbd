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

// statementLedger books a hand-worked ledger for pr.p:
//
//	10-01 intake 250.00              balance 250.00
//	10-15 integration 200.00         balance 450.00
//	10-16 payment 300.00 (250 intake, 50 integration)  150.00
//	10-20 write-off 50.00 of the integration           100.00
//	11-01 payment 150.00 (100 integration, 50 credit)  -50.00
//	11-02 refund 50.00 of the credit                     0.00
func (pr *rxPractice) statementLedger(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	pr.billingSetup(t)
	pr.attend(t, "intake", time.Date(2026, 10, 1, 15, 0, 0, 0, time.UTC), "attended")
	integ := pr.attend(t, "integration", time.Date(2026, 10, 15, 15, 0, 0, 0, time.UTC), "attended")
	pr.now = time.Date(2026, 10, 16, 12, 0, 0, 0, time.UTC)
	if _, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 30000, Method: billing.MethodCheck, Reference: "1001"}); err != nil {
		t.Fatal(err)
	}
	pr.now = time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	if err := pr.s.WriteOff(ctx, pr.admin, pr.p.ID, chargeFor(t, pr.ledger(t), integ.ID).ID, 5000, "Hardship"); err != nil {
		t.Fatal(err)
	}
	pr.now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	pay, err := pr.s.RecordPayment(ctx, pr.thea, pr.p.ID, store.PaymentInput{Cents: 15000, Method: billing.MethodCash})
	if err != nil {
		t.Fatal(err)
	}
	pr.now = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	if err := pr.s.Refund(ctx, pr.admin, pr.p.ID, pay.ID, 5000, "Overpaid", ""); err != nil {
		t.Fatal(err)
	}
	pr.now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
}

// TestStatementTotals: a statement's opening balance, sums and closing
// balance for periods cut through the hand-worked ledger.
func TestStatementTotals(t *testing.T) {
	pr := newRxPractice(t)
	pr.statementLedger(t)
	ctx := context.Background()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name                                          string
		from, to                                      time.Time
		opening, charges, payments, refunds, adjusted int64
		closing                                       int64
		lines                                         int
	}{
		{"the whole ledger", day(1, 1), day(12, 1), 0, 45000, 45000, 5000, 5000, 0, 6},
		{"October", day(10, 1), day(11, 1), 0, 45000, 30000, 0, 5000, 10000, 4},
		{"November", day(11, 1), day(12, 1), 10000, 0, 15000, 5000, 0, 0, 2},
		{"from the second session", day(10, 10), day(12, 1), 25000, 20000, 45000, 5000, 5000, 0, 5},
		{"before anything", day(1, 1), day(2, 1), 0, 0, 0, 0, 0, 0, 0},
	} {
		st, err := pr.s.StatementFor(ctx, pr.patient, pr.p.ID, c.from, c.to)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := []int64{st.Opening, st.Charges, st.Payments, st.Refunds, st.Adjustments, st.Closing}
		want := []int64{c.opening, c.charges, c.payments, c.refunds, c.adjusted, c.closing}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: opening, charges, payments, refunds, adjustments, closing = %v, want %v", c.name, got, want)
				break
			}
		}
		if len(st.Lines) != c.lines {
			t.Errorf("%s: %d lines, want %d", c.name, len(st.Lines), c.lines)
		}
		var sum int64
		for _, l := range st.Lines {
			sum += l.Cents
		}
		if st.Opening+sum != st.Closing {
			t.Errorf("%s: opening %d + lines %d != closing %d", c.name, st.Opening, sum, st.Closing)
		}
	}
	st, err := pr.s.StatementFor(ctx, pr.admin, pr.p.ID, day(1, 1), day(12, 1))
	if err != nil {
		t.Fatal(err)
	}
	if st.Closing != st.Now.Balance {
		t.Errorf("closing %d, the patient's balance today %d", st.Closing, st.Now.Balance)
	}
	if st.Lines[2].Kind != "payment" || st.Lines[2].Description != "Check" {
		t.Errorf("the third line %+v, want the check payment", st.Lines[2])
	}
}

// TestSuperbillDocument: the superbill holds the practice's, clinician's
// and patient's identities and the patient's current diagnoses (the
// primary first), read in the superbill's own transaction; one audit row.
func TestSuperbillDocument(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	ps, err := pr.s.Practice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps.Name, ps.TimeZone, ps.Phone, ps.TaxID, ps.NPI = "Example KAP", "America/Chicago", "(555) 010-0100", "12-3456789", "2000000002"
	ps.Address = clinic.Address{Line1: "100 Example Ave", City: "Springfield", State: "IL", PostalCode: "62701"}
	if err := pr.s.SavePractice(ctx, pr.admin, ps); err != nil {
		t.Fatal(err, err.(*clinic.Error).Fields)
	}
	if err := pr.s.SetStaffNPI(ctx, pr.admin, pr.thea.UserID, "1234567893"); err != nil {
		t.Fatal(err)
	}
	if err := pr.s.SavePatientAddress(ctx, pr.thea, pr.p.ID, clinic.Address{Line1: "1 Elm St", City: "Springfield", State: "IL", PostalCode: "62702"}); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"F41.1", "F33.1", "F43.10"} {
		if _, err := pr.s.AddDiagnosis(ctx, pr.thea, pr.p.ID, code); err != nil {
			t.Fatal(err)
		}
	}
	all, err := pr.s.Diagnoses(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.s.RemoveDiagnosis(ctx, pr.thea, pr.p.ID, all[2].ID); err != nil {
		t.Fatal(err)
	}
	pr.statementLedger(t)
	before, _ := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events`)
	doc, err := pr.s.SuperbillDocument(ctx, pr.patient, pr.p.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM audit_events`)
	if after-before != 1 {
		t.Errorf("%d audit rows, want 1", after-before)
	}
	if doc.Practice.Name != "Example KAP" || doc.Practice.TaxID != "12-3456789" || doc.Practice.NPI != "2000000002" || doc.Practice.Address.City != "Springfield" {
		t.Errorf("practice %+v", doc.Practice)
	}
	if doc.Patient.Address.Line1 != "1 Elm St" {
		t.Errorf("patient %+v", doc.Patient)
	}
	var codes []string
	for _, d := range doc.Diagnoses {
		codes = append(codes, d.Code+" "+d.Text)
	}
	if len(codes) != 2 || !strings.HasPrefix(codes[0], "F41.1 Generalized anxiety") || !strings.HasPrefix(codes[1], "F33.1 ") {
		t.Errorf("diagnoses %q, want the two current ones, the primary first", codes)
	}
	if len(doc.Lines) != 2 || doc.Lines[0].Code != "90791" || doc.Lines[1].Code != "90837" || doc.TotalFee != 45000 || doc.TotalPaid != 40000 {
		t.Errorf("lines %+v fee %d paid %d", doc.Lines, doc.TotalFee, doc.TotalPaid)
	}
	if doc.NPI[pr.thea.UserID] != "1234567893" || doc.Lines[0].ClinicianID != pr.thea.UserID {
		t.Errorf("rendering provider NPI %v", doc.NPI)
	}
}

// TestBillingDocumentAccess: who may read a patient's superbill and
// statement and who may send them (table).
func TestBillingDocumentAccess(t *testing.T) {
	pr := newRxPractice(t)
	pr.statementLedger(t)
	ctx := context.Background()
	from, to := pr.now.AddDate(-1, 0, 0), pr.now
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET email = 'pat@example.org' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who        string
		a          store.Actor
		read, send bool
	}{
		{"the patient", pr.patient, true, false},
		{"another patient", pr.other, false, false},
		{"the owning therapist", pr.thea, true, true},
		{"a therapist off the team", pr.theo, false, false},
		{"the prescriber on the team", pr.rex, false, false},
		{"another prescriber", pr.rita, false, false},
		{"an admin", pr.admin, true, true},
	} {
		_, e1 := pr.s.SuperbillDocument(ctx, c.a, pr.p.ID, from, to)
		_, e2 := pr.s.StatementFor(ctx, c.a, pr.p.ID, from, to)
		_, e3 := pr.s.StatementDocuments(ctx, c.a, pr.p.ID)
		_, e4 := pr.s.SendStatement(ctx, c.a, pr.p.ID, store.DocStatement, from, to)
		for i, got := range []struct {
			err  error
			want bool
		}{{e1, c.read}, {e2, c.read}, {e3, c.read}, {e4, c.send}} {
			if got.want && got.err != nil {
				t.Errorf("%s: #%d: %v", c.who, i, got.err)
			}
			if !got.want && clinic.ErrorCode(got.err) != clinic.ENotFound {
				t.Errorf("%s: #%d = %v, want refused", c.who, i, got.err)
			}
		}
	}
}

// TestSendStatement: sending records the send and queues one email job;
// a patient without a portal account is told so and nothing is queued.
func TestSendStatement(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	from, to := pr.now.AddDate(0, -3, 0), pr.now
	jobs := func() int {
		n, err := store.CountForTest(ctx, pr.s, `SELECT count(*) FROM jobs WHERE kind = $1`, store.JobStatementEmail)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// pr.p has a portal account but no email address; pr.q's account is
	// taken away: neither can be told.
	_, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocSuperbill, from, to)
	if e, ok := err.(*clinic.Error); !ok || e.Fields["send"] == "" {
		t.Errorf("send without an email address: %v, want a field error", err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE patients SET email = 'pat@example.org' WHERE id = $1`, pr.p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, "invoice", from, to); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("an unknown kind: %v", err)
	}
	if _, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocSuperbill, to, from); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("a period backwards: %v", err)
	}
	// No service in the period: an empty superbill is not sent (issue
	// 21, the walk); the statement is.
	if _, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocSuperbill, from, to); fieldOf(err, "send") != store.EmptySuperbillMessage {
		t.Errorf("an empty superbill sent: %v", err)
	}
	if jobs() != 0 {
		t.Fatalf("%d jobs queued by refused sends", jobs())
	}
	pr.billingSetup(t)
	pr.attend(t, "integration", to.Add(-48*time.Hour), "attended")
	sent, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocSuperbill, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if jobs() != 1 {
		t.Errorf("%d jobs, want 1", jobs())
	}
	docs, err := pr.s.StatementDocuments(ctx, pr.thea, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !docs.HasPortal || len(docs.Sends) != 1 || docs.Sends[0].ID != sent.ID || docs.Sends[0].Sent || docs.Sends[0].Kind != store.DocSuperbill || docs.Sends[0].SentBy != "thea" {
		t.Errorf("sends %+v (portal %v)", docs.Sends, docs.HasPortal)
	}
	email, err := pr.s.StatementEmailToSend(ctx, `{"send":"`+sent.ID+`"}`)
	if err != nil || email != "pat@example.org" {
		t.Errorf("the email goes to %q, %v", email, err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE jobs SET status = 'done' WHERE kind = $1`, store.JobStatementEmail); err != nil {
		t.Fatal(err)
	}
	if docs, err = pr.s.StatementDocuments(ctx, pr.thea, pr.p.ID); err != nil || !docs.Sends[0].Sent {
		t.Errorf("after the job ran: %+v, %v", docs.Sends, err)
	}
	if err := store.ExecForTest(ctx, pr.s, `UPDATE users SET disabled_at = $1 WHERE id = $2`, pr.now, pr.patient.UserID); err != nil {
		t.Fatal(err)
	}
	if email, err := pr.s.StatementEmailToSend(ctx, `{"send":"`+sent.ID+`"}`); err != nil || email != "" {
		t.Errorf("a disabled account is still told: %q, %v", email, err)
	}
	if _, err := pr.s.SendStatement(ctx, pr.thea, pr.p.ID, store.DocSuperbill, from, to); clinic.ErrorCode(err) != clinic.EInvalid {
		t.Errorf("send to a disabled account: %v", err)
	}
}

// TestPackageCourses: a package sold is offered as a period, from its
// first session to its last once all are used (to now before).
func TestPackageCourses(t *testing.T) {
	pr := newRxPractice(t)
	ctx := context.Background()
	pr.billingSetup(t)
	pk := &store.Package{Name: "Two integration sessions", Kind: "integration", Sessions: 2, Cents: 36000, Code: "90837"}
	if err := pr.s.AddPackage(ctx, pr.admin, pk); err != nil {
		t.Fatal(err)
	}
	pr.now = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	sold, err := pr.s.SellPackage(ctx, pr.thea, pr.p.ID, pk.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 10, 5, 15, 0, 0, 0, time.UTC)
	pr.attend(t, "integration", first, "attended")
	pr.now = time.Date(2026, 10, 8, 9, 0, 0, 0, time.UTC)
	docs, err := pr.s.StatementDocuments(ctx, pr.patient, pr.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs.Packages) != 1 || docs.Packages[0].ID != sold.ID || docs.Packages[0].Used != 1 || !docs.Packages[0].From.Equal(first) || !docs.Packages[0].To.Equal(pr.now) {
		t.Fatalf("packages %+v", docs.Packages)
	}
	last := time.Date(2026, 10, 19, 15, 0, 0, 0, time.UTC)
	pr.attend(t, "integration", last, "attended")
	pr.now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	if docs, err = pr.s.StatementDocuments(ctx, pr.thea, pr.p.ID); err != nil || docs.Packages[0].Used != 2 || !docs.Packages[0].To.Equal(last) {
		t.Errorf("packages %+v, %v", docs.Packages, err)
	}
}
