package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
)

// BillingReportLimit caps a report's rows: months, clinicians or service
// codes of a date range, far more than any range holds.
const BillingReportLimit = 1000

// IncomeRow is one row of an income report: a month ("2026-03"), a
// clinician (ID and name; "" for what no clinician's session earned, a
// package's price) or a service code, and the sums.
type IncomeRow struct {
	Key   string // the month, the clinician's id or the service code
	Label string // the clinician's name; the month or code again otherwise
	Cents int64  // received (payments less refunds) or applied
	Count int    // payments, or charges paid on
}

// ledgerTotalsQuery sums billing_totals' 16 shard rows (kept by triggers
// as the ledger is written, migration 0066): the practice's totals read a
// constant number of rows, whatever its size. Outstanding and Credit are
// kept apart from the other sums, so LedgerTotals.Balances still checks
// that the ledger's triggers agree.
const ledgerTotalsQuery = `SELECT COALESCE(SUM(charges_cents), 0), COALESCE(SUM(payments_cents), 0), COALESCE(SUM(applied_cents), 0),
	COALESCE(SUM(refunds_cents), 0), COALESCE(SUM(adjustments_cents), 0), COALESCE(SUM(open_cents), 0), COALESCE(SUM(credit_cents), 0)
	FROM billing_totals`

// ledgerTotalsIn reads the practice's ledger totals in tx
// (PracticeLedgerTotals).
func ledgerTotalsIn(ctx context.Context, tx *Tx) (LedgerTotals, error) {
	t := LedgerTotals{Currency: billing.DefaultCurrency}
	err := tx.QueryRow(ctx, ledgerTotalsQuery).
		Scan(&t.Charges, &t.Payments, &t.Applied, &t.Refunds, &t.Adjustments, &t.Outstanding, &t.Credit)
	return t, err
}

// IncomeByMonth is the money received in [from, to) by month in the
// practice's time zone: payments less refunds, each in the month it was
// received or refunded (PermBillingReports: admins). Audited.
func (s *Store) IncomeByMonth(ctx context.Context, actor Actor, from, to time.Time) ([]IncomeRow, error) {
	var out []IncomeRow
	err := s.reportTx(ctx, actor, "billing.report.month", rangeDetail(from, to), func(tx *Tx) (err error) {
		out, err = incomeByMonthIn(ctx, tx, from, to)
		return err
	})
	return out, err
}

func incomeByMonthIn(ctx context.Context, tx *Tx, from, to time.Time) ([]IncomeRow, error) {
	return queryAll(ctx, tx, scanIncome, `SELECT m, m, SUM(cents), SUM(n) FROM (
		SELECT month AS m, amount_cents AS cents, 1 AS n FROM payments WHERE received_at >= $1 AND received_at < $2
		UNION ALL
		SELECT month AS m, -amount_cents AS cents, 0 AS n FROM refunds WHERE recorded_at >= $1 AND recorded_at < $2) x
		GROUP BY m ORDER BY m LIMIT `+strconv.Itoa(BillingReportLimit), from.UTC(), to.UTC())
}

// IncomeByClinician is what payments applied (net of reversals) in
// [from, to) paid of each clinician's charges (PermBillingReports).
// Audited.
func (s *Store) IncomeByClinician(ctx context.Context, actor Actor, from, to time.Time) ([]IncomeRow, error) {
	var out []IncomeRow
	err := s.reportTx(ctx, actor, "billing.report.clinician", rangeDetail(from, to), func(tx *Tx) (err error) {
		out, err = incomeByClinicianIn(ctx, tx, from, to)
		return err
	})
	return out, err
}

func incomeByClinicianIn(ctx context.Context, tx *Tx, from, to time.Time) ([]IncomeRow, error) {
	return queryAll(ctx, tx, scanIncome, `SELECT COALESCE(c.clinician_id, ''), COALESCE(MAX(u.display_name), ''), SUM(pa.amount_cents), COUNT(DISTINCT c.id)
		FROM payment_applications pa JOIN charges c ON c.id = pa.charge_id LEFT JOIN users u ON u.id = c.clinician_id
		WHERE pa.created_at >= $1 AND pa.created_at < $2 GROUP BY COALESCE(c.clinician_id, '') ORDER BY 2, 1 LIMIT `+strconv.Itoa(BillingReportLimit), from.UTC(), to.UTC())
}

// IncomeByService is what payments applied in [from, to) paid of the
// charges of each service code ("" for charges with none)
// (PermBillingReports). Audited.
func (s *Store) IncomeByService(ctx context.Context, actor Actor, from, to time.Time) ([]IncomeRow, error) {
	var out []IncomeRow
	err := s.reportTx(ctx, actor, "billing.report.service", rangeDetail(from, to), func(tx *Tx) (err error) {
		out, err = incomeByServiceIn(ctx, tx, from, to)
		return err
	})
	return out, err
}

func incomeByServiceIn(ctx context.Context, tx *Tx, from, to time.Time) ([]IncomeRow, error) {
	return queryAll(ctx, tx, scanIncome, `SELECT c.service_code, c.service_code, SUM(pa.amount_cents), COUNT(DISTINCT c.id)
		FROM payment_applications pa JOIN charges c ON c.id = pa.charge_id
		WHERE pa.created_at >= $1 AND pa.created_at < $2 GROUP BY c.service_code ORDER BY c.service_code LIMIT `+strconv.Itoa(BillingReportLimit), from.UTC(), to.UTC())
}

// BillingReport is the reports page's reading: the ledger's totals, the
// income of a range by month, clinician and service (when Ranged), and a
// page of the outstanding balances.
type BillingReport struct {
	Totals                          LedgerTotals
	Ranged                          bool
	ByMonth, ByClinician, ByService []IncomeRow
	Outstanding                     *Page[PatientBalance]
}

// BillingReport reads the reports page in one transaction audited once
// (billing.report; PermBillingReports: admins): the totals, the income of
// [from, to) by month, clinician and service unless ranged is false (a
// range refused at its fields), and the page k of the outstanding
// balances.
func (s *Store) BillingReport(ctx context.Context, actor Actor, ranged bool, from, to time.Time, k PageKey) (*BillingReport, error) {
	out := &BillingReport{Ranged: ranged}
	detail := ""
	if ranged {
		detail = rangeDetail(from, to)
	}
	err := s.reportTx(ctx, actor, "billing.report", detail, func(tx *Tx) (err error) {
		if out.Totals, err = ledgerTotalsIn(ctx, tx); err != nil {
			return err
		}
		if ranged {
			if out.ByMonth, err = incomeByMonthIn(ctx, tx, from, to); err != nil {
				return err
			}
			if out.ByClinician, err = incomeByClinicianIn(ctx, tx, from, to); err != nil {
				return err
			}
			if out.ByService, err = incomeByServiceIn(ctx, tx, from, to); err != nil {
				return err
			}
		}
		out.Outstanding, err = outstandingIn(ctx, tx, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func scanIncome(r scanner) (IncomeRow, error) {
	var row IncomeRow
	return row, r.Scan(&row.Key, &row.Label, &row.Cents, &row.Count)
}

func rangeDetail(from, to time.Time) string {
	return from.UTC().Format("2006-01-02") + ".." + to.UTC().Format("2006-01-02")
}

// PatientBalance is a patient's balance in the outstanding report.
type PatientBalance struct {
	PatientID   string
	DisplayName string
	Open        int64 // what their charges leave open
	Credit      int64 // their unapplied payments
	Balance     int64 // Open - Credit
}

// outstandingScope is the patients who owe something or hold a credit,
// read from billing_balances (kept by triggers as the ledger is written,
// migration 0063) through its partial index billing_balances_owing: a
// page reads its own rows, whatever the practice's size. Their count is
// kept in billing_totals' 16 shard rows (migration 0066).
const outstandingScope = ` FROM billing_balances b JOIN patients pt ON pt.id = b.id WHERE (b.open_cents <> 0 OR b.credit_cents <> 0)`

// outstandingKeyset is the outstanding balances read by key.
func outstandingKeyset() keyset {
	return keyset{Scope: outstandingScope, Table: "billing_balances", Alias: "b", Order: []string{"sort_name", "id"},
		Count: `SELECT COALESCE(SUM(owing), 0) FROM billing_totals`}
}

// OutstandingBalances reads a page (by key, by name) of the patients who
// owe something or hold a credit, with their balances
// (PermBillingReports: admins). A page reads the page's patients and a
// kept count, never every patient's ledger. Audited.
func (s *Store) OutstandingBalances(ctx context.Context, actor Actor, k PageKey) (*Page[PatientBalance], error) {
	var out *Page[PatientBalance]
	err := s.reportTx(ctx, actor, "billing.report.outstanding", "", func(tx *Tx) (err error) {
		out, err = outstandingIn(ctx, tx, k)
		return err
	})
	return out, err
}

func outstandingIn(ctx context.Context, tx *Tx, k PageKey) (*Page[PatientBalance], error) {
	return readPage(ctx, tx, outstandingKeyset(), `pt.id, pt.display_name, b.open_cents, b.credit_cents`, k, func(r scanner) (PatientBalance, error) {
		var b PatientBalance
		err := r.Scan(&b.PatientID, &b.DisplayName, &b.Open, &b.Credit)
		b.Balance = billing.Balance(b.Open, b.Credit)
		return b, err
	}, func(b PatientBalance) string { return b.PatientID })
}

// LedgerEntry is one entry of the practice's ledger for the accountant:
// a charge (its service date), a correction of one, a payment, a refund
// or a write-off. Amount is signed as it moves what patients owe or hold:
// a charge and a payment positive, a refund and a write-off negative, a
// correction its change.
type LedgerEntry struct {
	ID          string
	At          time.Time
	PatientID   string
	PatientName string
	Kind        string // charge, correction, payment, refund, write_off
	Code        string // the charge's service code ("" for a payment or refund)
	Cents       int64
	Currency    string
	Method      string // a payment's method; "" otherwise
	Clinician   string // the charge's clinician (a charge, its correction or write-off); "" otherwise
	Reference   string // a payment's or refund's reference (a check or receipt number); "" otherwise
	Reason      string // a correction's, refund's or write-off's reason; "" otherwise
	// Charges are the charges it concerns: a correction's or write-off's
	// charge (Cents 0), and the charges a payment was applied to, with
	// what was applied to each (after any un-applying); none otherwise.
	Charges []LedgerCharge
}

// LedgerCharge is a charge a ledger entry concerns: its service code,
// date of service and, for a payment, the amount applied to it.
type LedgerCharge struct {
	Code        string
	ServiceDate time.Time
	Cents       int64
}

// LedgerPageLimit is the most entries one LedgerEntries call reads.
const LedgerPageLimit = 500

// ledgerEntriesQuery reads the entries of [$1, $2) after the key ($3, $4)
// (a time and an id), oldest first.
const ledgerEntriesQuery = `SELECT e.id, e.at, e.patient_id, pt.display_name, e.kind, e.code, e.cents, e.currency, e.method,
		COALESCE(u.display_name, ''), e.reference, e.reason, e.charge_date FROM (
	SELECT c.id AS id, c.service_date AS at, c.patient_id AS patient_id, 'charge' AS kind, c.service_code AS code, c.amount_cents AS cents, c.currency AS currency, '' AS method,
			c.clinician_id AS clinician_id, '' AS reference, '' AS reason, c.service_date AS charge_date
		FROM charges c WHERE c.service_date >= $1 AND c.service_date < $2
	UNION ALL SELECT cc.id, cc.created_at, cc.patient_id, 'correction', c.service_code, cc.delta_cents, c.currency, '', c.clinician_id, '', cc.reason, c.service_date
		FROM charge_corrections cc JOIN charges c ON c.id = cc.charge_id WHERE cc.created_at >= $1 AND cc.created_at < $2
	UNION ALL SELECT p.id, p.received_at, p.patient_id, 'payment', '', p.amount_cents, p.currency, p.method, NULL, p.reference, '', NULL
		FROM payments p WHERE p.received_at >= $1 AND p.received_at < $2
	UNION ALL SELECT r.id, r.recorded_at, r.patient_id, 'refund', '', -r.amount_cents, p.currency, p.method, NULL, r.reference, r.reason, NULL
		FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.recorded_at >= $1 AND r.recorded_at < $2
	UNION ALL SELECT ad.id, ad.created_at, ad.patient_id, 'write_off', c.service_code, -ad.amount_cents, c.currency, '', c.clinician_id, '', ad.reason, c.service_date
		FROM adjustments ad JOIN charges c ON c.id = ad.charge_id WHERE ad.created_at >= $1 AND ad.created_at < $2
	) e JOIN patients pt ON pt.id = e.patient_id LEFT JOIN users u ON u.id = e.clinician_id
	WHERE e.at > $3 OR (e.at = $3 AND e.id > $4)
	ORDER BY e.at, e.id LIMIT `

// LedgerEntries reads up to limit (at most LedgerPageLimit) entries of the
// practice's ledger in [from, to), oldest first, after the entry at
// afterAt with id afterID (a zero time for the first): the accountant's
// export reads it a page at a time (PermBillingReports). Audited, a row
// per page.
func (s *Store) LedgerEntries(ctx context.Context, actor Actor, from, to, afterAt time.Time, afterID string, limit int) ([]LedgerEntry, error) {
	if limit <= 0 || limit > LedgerPageLimit {
		limit = LedgerPageLimit
	}
	if afterAt.IsZero() {
		afterAt = from.Add(-time.Second)
	}
	var out []LedgerEntry
	err := s.reportTx(ctx, actor, "billing.report.ledger", rangeDetail(from, to), func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (LedgerEntry, error) {
			var e LedgerEntry
			var chargeDate sql.NullTime
			err := r.Scan(&e.ID, &e.At, &e.PatientID, &e.PatientName, &e.Kind, &e.Code, &e.Cents, &e.Currency, &e.Method, &e.Clinician, &e.Reference, &e.Reason, &chargeDate)
			e.At = e.At.UTC()
			if chargeDate.Valid && (e.Kind == "correction" || e.Kind == "write_off") {
				e.Charges = []LedgerCharge{{Code: e.Code, ServiceDate: chargeDate.Time.UTC()}}
			}
			return e, err
		}, ledgerEntriesQuery+strconv.Itoa(limit), from.UTC(), to.UTC(), afterAt.UTC(), afterID)
		if err != nil {
			return err
		}
		return ledgerApplicationsIn(ctx, tx, out)
	})
	return out, err
}

// SuperbillLine is one service on a superbill.
type SuperbillLine struct {
	ChargeID             string
	ServiceDate          time.Time
	ClinicianID          string
	ClinicianName        string
	ClinicianCredentials string
	Code                 string
	AddOnCode            string
	Description          string
	PlaceOfService       string // "11" office, "10" telehealth in the patient's home
	Fee                  int64  // the charge after corrections; a package session's share of the price after corrections
	Paid                 int64  // applied to it; a package session's share of what was paid on its package
	WrittenOff           int64  // written off it (adjustments); a package session's share of what was written off its package
	Package              bool   // a session of a package
}

// Superbill is what a superbill for a patient and a period needs from the
// ledger (the practice's and patient's identity and diagnoses are read
// apart): the services of the period (a package's price is spread over
// its sessions), and the totals.
type Superbill struct {
	PatientID string
	From, To  time.Time
	// PurchaseID, when set, narrows the superbill to the sessions of
	// that package sold to the patient (a package's superbill: no other
	// service of its dates belongs on it).
	PurchaseID string
	Lines      []SuperbillLine
	TotalFee   int64
	TotalPaid  int64
	// TotalWrittenOff is what was written off these services: the
	// balance on them is TotalFee - TotalPaid - TotalWrittenOff.
	TotalWrittenOff int64
	Currency        string
	Truncated       bool // more than BillingReportLimit services: narrow the period
	LegalName       string
	BirthDate       string
	PatientRef      string // the patient's display name
}

// Superbill reads the services of patientID's ledger in [from, to) for a
// superbill (PermBillingRead: the patient themself, the care team's
// therapist, admins): each attended session with its date, clinician,
// service code, fee and what was paid on it. No-show and late-cancel
// fees are not services and are left out; so is a package's price, which
// is shown spread over its sessions (their shares, paid when the package
// is). Audited.
func (s *Store) Superbill(ctx context.Context, actor Actor, patientID string, from, to time.Time) (*Superbill, error) {
	out := &Superbill{PatientID: patientID, From: from.UTC(), To: to.UTC(), Currency: billing.DefaultCurrency}
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.superbill", func(tx *Tx, a Access, e *Entry) error {
		if err := tx.QueryRow(ctx, `SELECT display_name, legal_name, birth_date FROM patients WHERE id = $1`, patientID).Scan(&out.PatientRef, &out.LegalName, &out.BirthDate); err != nil {
			return err
		}
		if err := superbillLinesIn(ctx, tx, out); err != nil {
			return err
		}
		e.ObjectType, e.Detail = "superbill", rangeDetail(from, to)+" lines="+strconv.Itoa(len(out.Lines))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// superbillLinesIn reads the services of out.PatientID's ledger in
// [out.From, out.To) into out's lines and totals, inside tx. A service
// is only what was given: its appointment is recorded as attended now
// (not missed or cancelled since) and its charge is not voided (a charge
// corrected to 0 when the outcome changed, billing.Reconcile); a package
// session, while it counts against its package (sessionCounts).
func superbillLinesIn(ctx context.Context, tx *Tx, out *Superbill) error {
	args := []any{out.PatientID, out.From, out.To}
	only := ""
	if out.PurchaseID != "" {
		only, args = ` AND c.kind = 'package_session' AND c.purchase_id = $4`, append(args, out.PurchaseID)
	}
	lines, err := queryAll(ctx, tx, func(r scanner) (SuperbillLine, error) {
		var l SuperbillLine
		var kind string
		var remote bool
		var amount, applied, adjusted, share, pkgPrice, pkgPaid, pkgAdjusted int64
		var number, sessions int
		err := r.Scan(&l.ChargeID, &kind, &l.ServiceDate, &l.ClinicianID, &l.ClinicianName, &l.ClinicianCredentials, &l.Code, &l.AddOnCode, &l.Description,
			&remote, &amount, &applied, &adjusted, &share, &number, &sessions, &pkgPrice, &pkgPaid, &pkgAdjusted)
		l.ServiceDate = l.ServiceDate.UTC()
		l.PlaceOfService = "11"
		if remote {
			l.PlaceOfService = "10"
		}
		l.Fee, l.Paid, l.WrittenOff = amount, applied, adjusted
		if billing.ChargeKind(kind) == billing.ChargePackageSession {
			// The session's share of the package's price after
			// corrections, and of what payments really applied to it
			// (a write-off is not paid); its share of the write-offs is
			// what paid and written off together cover of it beyond
			// what was paid.
			l.Package, l.Fee, l.Paid, l.WrittenOff = true, share, 0, 0
			if number >= 1 && number <= sessions {
				l.Fee = billing.PackageShares(pkgPrice, sessions)[number-1]
				l.Paid = billing.PackagePaidShares(pkgPrice, pkgPaid, sessions)[number-1]
				l.WrittenOff = max(0, billing.PackagePaidShares(pkgPrice, pkgPaid+pkgAdjusted, sessions)[number-1]-l.Paid)
			}
		}
		return l, err
	}, `SELECT c.id, c.kind, c.service_date, COALESCE(c.clinician_id, ''), COALESCE(u.display_name, ''), COALESCE(u.credentials, ''), c.service_code, c.add_on_code, c.description,
				c.remote, `+chargeAmount+`, `+chargeApplied+`, `+chargeAdjusted+`, c.share_cents, COALESCE(c.session_number, 0), COALESCE(pp.sessions, 0),
				COALESCE(pc.amount_cents + (SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.charge_id = pc.id), pc.amount_cents, 0),
				COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.charge_id = pc.id), 0),
				COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.charge_id = pc.id), 0)
			FROM charges c LEFT JOIN users u ON u.id = c.clinician_id
				LEFT JOIN package_purchases pp ON pp.id = c.purchase_id AND c.kind = 'package_session'
				LEFT JOIN charges pc ON pc.purchase_id = pp.id AND pc.kind = 'package'
			WHERE c.patient_id = $1 AND c.kind IN ('service', 'package_session') AND c.service_date >= $2 AND c.service_date < $3
				AND EXISTS (SELECT 1 FROM appointments a WHERE a.id = c.appointment_id AND a.outcome = 'attended' AND a.cancelled_at IS NULL)
				AND (c.kind = 'package_session' AND `+sessionCounts+` OR c.kind = 'service' AND `+chargeAmount+` > 0)`+only+`
			ORDER BY c.service_date, c.id LIMIT `+strconv.Itoa(BillingReportLimit+1), args...)
	if err != nil {
		return err
	}
	if len(lines) > BillingReportLimit {
		lines, out.Truncated = lines[:BillingReportLimit], true
	}
	out.Lines = lines
	for _, l := range lines {
		out.TotalFee += l.Fee
		out.TotalPaid += l.Paid
		out.TotalWrittenOff += l.WrittenOff
	}
	return nil
}
