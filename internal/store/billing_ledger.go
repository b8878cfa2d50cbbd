package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Charge is a charge on a patient's ledger, with what is open of it.
type Charge struct {
	ID            string
	Kind          billing.ChargeKind
	AppointmentID string // "" for a package's price
	PurchaseID    string // the package purchase, for a package or one of its sessions
	SessionNumber int    // a package session's number (1..N), else 0
	ShareCents    int64  // a package session's share of the price
	Counts        bool   // a package session that uses one of its package's sessions (sessionCounts; PatientLedger sets it)
	ClinicianID   string
	ClinicianName string
	Code          string
	AddOnCode     string
	Description   string
	OriginalCents int64 // as charged
	Cents         int64 // after corrections
	Applied       int64 // payments applied (net of reversals)
	Adjusted      int64 // written off
	Open          int64 // Cents - Applied - Adjusted
	Currency      string
	ServiceDate   time.Time
	Remote        bool
	CreatedAt     time.Time
	Reasons       []LedgerReason // its corrections and write-offs, oldest first (PatientLedger sets them)
}

// chargeAmount is the SQL for charge c's amount after its corrections.
const chargeAmount = `(c.amount_cents + COALESCE((SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.charge_id = c.id), 0))`
const chargeApplied = `COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.charge_id = c.id), 0)`
const chargeAdjusted = `COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.charge_id = c.id), 0)`

// chargeOpen is the SQL for charge c's open amount.
const chargeOpen = `(` + chargeAmount + ` - ` + chargeApplied + ` - ` + chargeAdjusted + `)`

const chargeColumns = `c.id, c.kind, COALESCE(c.appointment_id, ''), COALESCE(c.purchase_id, ''), COALESCE(c.session_number, 0), c.share_cents,
	COALESCE(c.clinician_id, ''), COALESCE(u.display_name, ''), c.service_code, c.add_on_code, c.description, c.amount_cents, ` + chargeAmount + `,
	` + chargeApplied + `, ` + chargeAdjusted + `, c.currency, c.service_date, c.remote, c.created_at`
const chargeFrom = ` FROM charges c LEFT JOIN users u ON u.id = c.clinician_id`

func scanCharge(r scanner) (Charge, error) {
	var c Charge
	var kind string
	err := r.Scan(&c.ID, &kind, &c.AppointmentID, &c.PurchaseID, &c.SessionNumber, &c.ShareCents, &c.ClinicianID, &c.ClinicianName,
		&c.Code, &c.AddOnCode, &c.Description, &c.OriginalCents, &c.Cents, &c.Applied, &c.Adjusted, &c.Currency, &c.ServiceDate, &c.Remote, &c.CreatedAt)
	c.Kind = billing.ChargeKind(kind)
	c.Open = billing.Open(c.Cents, c.Applied, c.Adjusted)
	c.ServiceDate, c.CreatedAt = c.ServiceDate.UTC(), c.CreatedAt.UTC()
	return c, err
}

// Payment is a payment on a patient's ledger.
type Payment struct {
	ID         string
	Cents      int64
	Currency   string
	Method     string // one of billing.Methods
	Reference  string // a check or receipt number; never card data
	ReceivedAt time.Time
	Applied    int64 // applied to charges (net of reversals)
	Refunded   int64
	Unapplied  int64 // the patient's credit from it
	RecordedBy string
	Reasons    []LedgerReason // its refunds, oldest first (PatientLedger sets them)
}

const paymentColumns = `p.id, p.amount_cents, p.currency, p.method, p.reference, p.received_at,
	COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.payment_id = p.id), 0),
	COALESCE((SELECT SUM(r.amount_cents) FROM refunds r WHERE r.payment_id = p.id), 0), COALESCE(u.display_name, '')`
const paymentFrom = ` FROM payments p LEFT JOIN users u ON u.id = p.recorded_by`

func scanPayment(r scanner) (Payment, error) {
	var p Payment
	err := r.Scan(&p.ID, &p.Cents, &p.Currency, &p.Method, &p.Reference, &p.ReceivedAt, &p.Applied, &p.Refunded, &p.RecordedBy)
	p.Unapplied = billing.Unapplied(p.Cents, p.Applied, p.Refunded)
	p.ReceivedAt = p.ReceivedAt.UTC()
	return p, err
}

// Balance is a patient's position: what their charges leave open, their
// credit (unapplied payments), and the balance (open less credit;
// negative when the practice owes them).
type Balance struct {
	Open, Credit, Balance int64
	Currency              string
}

func balanceIn(ctx context.Context, tx *Tx, patientID string) (Balance, error) {
	b := Balance{Currency: billing.DefaultCurrency}
	err := tx.QueryRow(ctx, `SELECT
		COALESCE((SELECT SUM(c.amount_cents) FROM charges c WHERE c.patient_id = $1), 0)
		+ COALESCE((SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.patient_id = $1), 0)
		- COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = $1), 0)
		- COALESCE((SELECT SUM(ad.amount_cents) FROM adjustments ad WHERE ad.patient_id = $1), 0),
		COALESCE((SELECT SUM(p.amount_cents) FROM payments p WHERE p.patient_id = $1), 0)
		- COALESCE((SELECT SUM(pa.amount_cents) FROM payment_applications pa WHERE pa.patient_id = $1), 0)
		- COALESCE((SELECT SUM(r.amount_cents) FROM refunds r WHERE r.patient_id = $1), 0)`, patientID).Scan(&b.Open, &b.Credit)
	b.Balance = billing.Balance(b.Open, b.Credit)
	return b, err
}

// Ledger is a page of a patient's charges and of their payments (each
// newest first, paged by key), and their balance.
type Ledger struct {
	Charges  *Page[Charge]
	Payments *Page[Payment]
	Balance  Balance
	Tier     *Tier // the patient's sliding-scale tier, nil for the full fee
	// Packages are the patient's package purchases not closed, oldest
	// first: Used counts the sessions whose appointment is still attended.
	Packages []PackagePurchase
}

// PatientLedger reads patientID's ledger: a page of charges (chargesKey)
// and of payments (paymentsKey), and the balance (PermBillingRead: the
// patient themself, the care team's therapist, admins). Audited.
func (s *Store) PatientLedger(ctx context.Context, actor Actor, patientID string, chargesKey, paymentsKey PageKey) (*Ledger, error) {
	var out Ledger
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.ledger", func(tx *Tx, a Access, e *Entry) error {
		var err error
		if out.Charges, err = readPage(ctx, tx, keyset{Scope: chargeFrom + ` WHERE c.patient_id = $1`, Args: []any{patientID},
			Table: "charges", Alias: "c", Order: []string{"service_date", "id"}, Desc: true}, chargeColumns, chargesKey, scanCharge, func(c Charge) string { return c.ID }); err != nil {
			return err
		}
		var sessions []string
		for _, c := range out.Charges.Rows {
			if c.Kind == billing.ChargePackageSession {
				sessions = append(sessions, c.ID)
			}
		}
		counts, err := countingSessions(ctx, tx, sessions)
		if err != nil {
			return err
		}
		for i := range out.Charges.Rows {
			out.Charges.Rows[i].Counts = counts[out.Charges.Rows[i].ID]
		}
		if out.Payments, err = readPage(ctx, tx, keyset{Scope: paymentFrom + ` WHERE p.patient_id = $1`, Args: []any{patientID},
			Table: "payments", Alias: "p", Order: []string{"received_at", "id"}, Desc: true}, paymentColumns, paymentsKey, scanPayment, func(p Payment) string { return p.ID }); err != nil {
			return err
		}
		if err = reasonsIn(ctx, tx, patientID, out.Charges.Rows, out.Payments.Rows); err != nil {
			return err
		}
		if out.Tier, err = patientTierIn(ctx, tx, patientID); err != nil {
			return err
		}
		if out.Packages, err = openPackagesIn(ctx, tx, patientID); err != nil {
			return err
		}
		out.Balance, err = balanceIn(ctx, tx, patientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// lockPatient takes patientID's row for the transaction's ledger writes
// (on PostgreSQL; SQLite's writes are one at a time), so two payments at
// once cannot both apply to what is open of one charge.
func lockPatient(ctx context.Context, tx *Tx, patientID string) error {
	var id string
	return tx.QueryRow(ctx, `SELECT id FROM patients WHERE id = $1`+tx.d.forUpdate(), patientID).Scan(&id)
}

// openCharges is patientID's charges with something open, the named ones
// in the order named when ids is not empty (any not the patient's, or not
// open, is a field error), else every one oldest first.
func openCharges(ctx context.Context, tx *Tx, patientID string, ids []string) ([]Charge, error) {
	all, err := queryAll(ctx, tx, scanCharge, `SELECT `+chargeColumns+chargeFrom+` WHERE c.patient_id = $1 AND `+chargeOpen+` > 0 ORDER BY c.service_date, c.created_at, c.id`, patientID)
	if err != nil || len(ids) == 0 {
		return all, err
	}
	out := make([]Charge, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(all, func(c Charge) bool { return c.ID == id })
		if i < 0 {
			return nil, clinic.FieldErrors{"charges": "Choose charges of this patient that are still open."}.Err()
		}
		out = append(out, all[i])
	}
	return out, nil
}

// applyTo applies up to amount of paymentID to charges in order (each at
// most its open amount) at time at and returns what was applied in all.
// When the payment is being recorded, at is its recorded_at: that is how
// PaymentRecorded tells those applications from a later use of its credit.
func (s *Store) applyTo(ctx context.Context, tx *Tx, actor Actor, patientID, paymentID string, amount int64, charges []Charge, at time.Time) (int64, error) {
	opens := make([]int64, len(charges))
	for i, c := range charges {
		opens[i] = c.Open
	}
	applied, left := billing.Allocate(amount, opens)
	for i, a := range applied {
		if a == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, NewID(), paymentID, charges[i].ID, patientID, a, actor.UserID, at); err != nil {
			return 0, err
		}
	}
	return amount - left, nil
}

// PaymentInput is a payment to record.
type PaymentInput struct {
	Cents      int64
	Currency   string // "" for the practice's
	Method     string // one of billing.Methods
	Reference  string // a check number, the terminal's receipt number; never card data
	ReceivedAt time.Time
	ChargeIDs  []string // apply to these, in order; none: the oldest open charges first
	// FormKey is the one-time key of the form that posted it (FormKey
	// makes one), "" for none: a payment already recorded with the key
	// is returned as it is and nothing is recorded again.
	FormKey string
}

// monthOf is t's month in the practice's time zone ("2026-03"), kept on a
// payment or refund for the income report.
func monthOf(ctx context.Context, tx *Tx, t time.Time) (string, error) {
	zone, err := settingIn(ctx, tx, settingZone, "")
	if err != nil {
		return "", err
	}
	if loc, lerr := time.LoadLocation(zone); zone != "" && lerr == nil {
		t = t.In(loc)
	}
	return t.Format("2006-01"), nil
}

// looksLikeCard reports whether a reference holds a run of 13 or more
// digits (spaces and dashes between them allowed): a card number, which
// kapstone never keeps.
func looksLikeCard(ref string) bool {
	n := 0
	for _, r := range ref {
		switch {
		case r >= '0' && r <= '9':
			n++
			if n >= 13 {
				return true
			}
		case r == ' ' || r == '-':
		default:
			n = 0
		}
	}
	return false
}

func checkReference(fe clinic.FieldErrors, ref string) string {
	ref = billingText(fe, "reference", ref, "", 100)
	if looksLikeCard(ref) {
		fe.Add("reference", "This looks like a card number. Never enter card data: use the check number or the terminal's receipt number.")
	}
	return ref
}

// RecordPayment records a payment by patientID (PermBilling: admins and
// the care team's therapist) and applies it to the charges named in
// in.ChargeIDs, or to the oldest open charges first, each at most its open
// amount; what is left is the patient's credit. Audited.
func (s *Store) RecordPayment(ctx context.Context, actor Actor, patientID string, in PaymentInput) (*Payment, error) {
	fe := clinic.FieldErrors{}
	if in.Cents <= 0 || in.Cents > billing.MaxCents {
		fe.Add("amount", "Enter the amount paid, above zero.")
	}
	in.Currency = currencyOr(in.Currency)
	if in.Currency != billing.DefaultCurrency {
		fe.Add("currency", "Payments are taken in "+billing.DefaultCurrency+".")
	}
	if !billing.ValidMethod(in.Method) {
		fe.Add("method", "Choose how it was paid: card terminal, cash, check or transfer.")
	}
	in.Reference = checkReference(fe, in.Reference)
	if !validFormKey(in.FormKey) {
		fe.Add("form", "This form is out of date: reload the page and enter the payment again.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *Payment
	err := s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.payment", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		if in.FormKey != "" {
			// The same form posted again: the payment it recorded, once.
			var pid, owner string
			err := tx.QueryRow(ctx, `SELECT id, patient_id FROM payments WHERE form_key = $1`, in.FormKey).Scan(&pid, &owner)
			switch {
			case err == nil && owner != patientID:
				// Another patient's form: never theirs to read back.
				return clinic.FieldErrors{"form": "This form is out of date: reload the page and enter the payment again."}.Err()
			case err == nil:
				p, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+paymentFrom+` WHERE p.id = $1`, pid))
				if err != nil {
					return err
				}
				out = &p
				e.ObjectType, e.ObjectID, e.Detail = "payment", p.ID, "already recorded by this form"
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		now := s.now()
		received := in.ReceivedAt
		if received.IsZero() {
			received = now
		}
		if received.After(now.Add(time.Hour)) {
			return clinic.FieldErrors{"received_at": "A payment cannot be received in the future."}.Err()
		}
		charges, err := openCharges(ctx, tx, patientID, in.ChargeIDs)
		if err != nil {
			return err
		}
		month, err := monthOf(ctx, tx, received)
		if err != nil {
			return err
		}
		id := NewID()
		// The key's column is named only with a key: the migration tests
		// record payments on a schema from before it (0068).
		q := `INSERT INTO payments (id, patient_id, amount_cents, currency, method, reference, received_at, month, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
		args := []any{id, patientID, in.Cents, in.Currency, in.Method, in.Reference, received.UTC(), month, actor.UserID, now}
		if in.FormKey != "" {
			q = `INSERT INTO payments (id, patient_id, amount_cents, currency, method, reference, received_at, month, recorded_by, recorded_at, form_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
			args = append(args, in.FormKey)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
		applied, err := s.applyTo(ctx, tx, actor, patientID, id, in.Cents, charges, now)
		if err != nil {
			return err
		}
		out = &Payment{ID: id, Cents: in.Cents, Currency: in.Currency, Method: in.Method, Reference: in.Reference, ReceivedAt: received.UTC(),
			Applied: applied, Unapplied: in.Cents - applied}
		e.ObjectType, e.ObjectID = "payment", id
		e.Detail = in.Method + " " + billing.FormatPlain(in.Cents) + " applied=" + billing.FormatPlain(applied)
		return nil
	})
	return out, err
}

// ApplyCredit applies patientID's credit (the unapplied parts of their
// payments, oldest payment first) to the charges named, or to the oldest
// open ones first (PermBilling). It returns the amount applied. Audited.
func (s *Store) ApplyCredit(ctx context.Context, actor Actor, patientID string, chargeIDs []string) (int64, error) {
	var total int64
	err := s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.apply", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		payments, err := queryAll(ctx, tx, scanPayment, `SELECT `+paymentColumns+paymentFrom+` WHERE p.patient_id = $1 ORDER BY p.received_at, p.id`, patientID)
		if err != nil {
			return err
		}
		// The named charges must be open when asked; once a payment's
		// credit has closed some, the next payment goes to those still
		// open, and the work stops when none is.
		charges, err := openCharges(ctx, tx, patientID, chargeIDs)
		if err != nil {
			return err
		}
		for _, p := range payments {
			if len(charges) == 0 {
				break
			}
			if p.Unapplied <= 0 {
				continue
			}
			n, err := s.applyTo(ctx, tx, actor, patientID, p.ID, p.Unapplied, charges, s.now())
			if err != nil {
				return err
			}
			total += n
			charges = stillOpen(charges, n)
		}
		e.ObjectType, e.Detail = "ledger", "applied="+billing.FormatPlain(total)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// stillOpen is charges after applied has gone to them in order (as
// applyTo does: each at most its open amount), without those closed.
func stillOpen(charges []Charge, applied int64) []Charge {
	out := make([]Charge, 0, len(charges))
	for _, c := range charges {
		a := min(applied, c.Open)
		applied -= a
		if c.Open -= a; c.Open > 0 {
			out = append(out, c)
		}
	}
	return out
}

// CorrectCharge changes charge chargeID of patientID to cents, with a
// reason (PermBilling): a correction entry, never a change of the charge.
// The new amount cannot be below what was paid on it and written off. A
// package session (0, against its package) is not corrected. Audited.
func (s *Store) CorrectCharge(ctx context.Context, actor Actor, patientID, chargeID string, cents int64, reason string) error {
	fe := clinic.FieldErrors{}
	reason = billingText(fe, "reason", reason, "Say why the charge changes (for example: session shortened, agreed reduction).", 500)
	if cents < 0 || cents > billing.MaxCents {
		fe.Add("amount", "Enter the charge's new amount.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.correct", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		c, err := chargeOf(ctx, tx, patientID, chargeID)
		if err != nil {
			return err
		}
		switch {
		case c.Kind == billing.ChargePackageSession:
			return clinic.FieldErrors{"amount": "A package session is paid by its package; correct the package's charge instead."}.Err()
		case cents == c.Cents:
			return clinic.FieldErrors{"amount": "Enter an amount other than the charge's present " + billing.Format(c.Cents, c.Currency) + "."}.Err()
		case cents < c.Applied+c.Adjusted:
			return clinic.FieldErrors{"amount": belowSettled(c)}.Err()
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO charge_corrections (id, charge_id, patient_id, amount_cents, delta_cents, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, chargeID, patientID, cents, cents-c.Cents, reason, actor.UserID, s.now()); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "charge", chargeID
		e.Detail = billing.FormatPlain(c.Cents) + " -> " + billing.FormatPlain(cents)
		return nil
	})
}

// chargeOf reads charge id of patientID.
func chargeOf(ctx context.Context, tx *Tx, patientID, id string) (Charge, error) {
	c, err := scanCharge(tx.QueryRow(ctx, `SELECT `+chargeColumns+chargeFrom+` WHERE c.id = $1 AND c.patient_id = $2`, id, patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, clinic.Errorf(clinic.ENotFound, "We could not find that charge.")
	}
	return c, err
}

// WriteOff writes off cents of charge chargeID of patientID (0: all that
// is open of it), with a reason (PermBilling). Never more than is open.
// Audited.
func (s *Store) WriteOff(ctx context.Context, actor Actor, patientID, chargeID string, cents int64, reason string) error {
	fe := clinic.FieldErrors{}
	reason = billingText(fe, "reason", reason, "Say why it is written off (for example: hardship, uncollectable).", 500)
	if cents < 0 {
		fe.Add("amount", "Enter the amount to write off.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.write_off", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		c, err := chargeOf(ctx, tx, patientID, chargeID)
		if err != nil {
			return err
		}
		if cents == 0 {
			cents = c.Open
		}
		if cents <= 0 || cents > c.Open {
			return clinic.FieldErrors{"amount": "Enter at most what is open of the charge, " + billing.Format(c.Open, c.Currency) + "."}.Err()
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO adjustments (id, charge_id, patient_id, kind, amount_cents, reason, created_by, created_at)
			VALUES ($1, $2, $3, 'write_off', $4, $5, $6, $7)`, id, chargeID, patientID, cents, reason, actor.UserID, s.now()); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "charge", chargeID, "write_off "+billing.FormatPlain(cents)
		return nil
	})
}

// belowSettled says why a charge cannot be corrected below what is paid
// on it and written off, and what can be done: a refund of the payment
// takes its money off the charges it paid (Refund); a write-off stays.
func belowSettled(c Charge) string {
	f := func(n int64) string { return billing.Format(n, c.Currency) }
	msg := "Enter at least " + f(c.Applied+c.Adjusted) + ": "
	switch {
	case c.Applied > 0 && c.Adjusted > 0:
		msg += f(c.Applied) + " of it is paid and " + f(c.Adjusted) + " written off, and a write-off stays."
	case c.Applied > 0:
		msg += f(c.Applied) + " of it is paid."
	default:
		return msg + f(c.Adjusted) + " of it is written off, and a write-off stays."
	}
	return msg + " To go lower, first refund the payment: a refund takes its money back off the charges it paid, the most recent first, and they are open again."
}

// Refund refunds cents of payment paymentID of patientID, with a reason
// and a reference (PermBilling). It comes out of the payment's unapplied
// part first; beyond that, the payment's applications are reversed,
// newest first, by reversal entries (the charges open again). Never more
// than was paid less what was refunded before. Audited.
func (s *Store) Refund(ctx context.Context, actor Actor, patientID, paymentID string, cents int64, reason, reference string) error {
	fe := clinic.FieldErrors{}
	reason = billingText(fe, "reason", reason, "Say why it is refunded.", 500)
	reference = checkReference(fe, reference)
	if cents <= 0 {
		fe.Add("amount", "Enter the amount to refund, above zero.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.refund", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		p, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+paymentFrom+` WHERE p.id = $1 AND p.patient_id = $2`, paymentID, patientID))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that payment.")
		}
		if err != nil {
			return err
		}
		if limit := billing.RefundLimit(p.Cents, p.Refunded); cents > limit {
			return clinic.FieldErrors{"amount": "Enter at most " + billing.Format(limit, p.Currency) + ", what is left of the payment."}.Err()
		}
		now := s.now()
		if short := cents - p.Unapplied; short > 0 {
			// Un-apply the shortfall, the newest applications first.
			type app struct {
				id    string
				due   string
				left  int64
				added time.Time
			}
			apps, err := queryAll(ctx, tx, func(r scanner) (app, error) {
				var a app
				return a, r.Scan(&a.id, &a.due, &a.left, &a.added)
			}, `SELECT pa.id, pa.charge_id, pa.amount_cents + COALESCE((SELECT SUM(x.amount_cents) FROM payment_applications x WHERE x.reverses_id = pa.id), 0), pa.created_at
				FROM payment_applications pa WHERE pa.payment_id = $1 AND pa.amount_cents > 0 ORDER BY pa.created_at DESC, pa.id DESC`, paymentID)
			if err != nil {
				return err
			}
			for _, ap := range apps {
				if short == 0 {
					break
				}
				take := min(ap.left, short)
				if take <= 0 {
					continue
				}
				if _, err := tx.Exec(ctx, `INSERT INTO payment_applications (id, payment_id, charge_id, patient_id, amount_cents, reverses_id, created_by, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, NewID(), paymentID, ap.due, patientID, -take, ap.id, actor.UserID, now); err != nil {
					return err
				}
				short -= take
			}
			if short > 0 {
				return errors.New("refund: the payment's applications do not cover the refund")
			}
		}
		month, err := monthOf(ctx, tx, now)
		if err != nil {
			return err
		}
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO refunds (id, payment_id, patient_id, amount_cents, reason, reference, month, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, paymentID, patientID, cents, reason, reference, month, actor.UserID, now); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "payment", paymentID, "refund "+billing.FormatPlain(cents)
		return nil
	})
}

// PackagePurchase is a package sold to a patient.
type PackagePurchase struct {
	ID       string
	ChargeID string // the charge of its price
	Package  Package
	Used     int // sessions charged against it whose appointment is still attended
}

// SellPackage sells package packageID to patientID (PermBilling): one
// charge of its price now; each of its sessions then charges 0 against it
// as they are attended. Audited.
func (s *Store) SellPackage(ctx context.Context, actor Actor, patientID, packageID string) (*PackagePurchase, error) {
	var out *PackagePurchase
	err := s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.package", func(tx *Tx, a Access, e *Entry) error {
		p, err := scanPackage(tx.QueryRow(ctx, `SELECT id, name, kind, sessions, price_cents, currency, service_code FROM packages WHERE id = $1 AND archived_at IS NULL`, packageID))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.FieldErrors{"package": "Choose one of the practice's packages."}.Err()
		}
		if err != nil {
			return err
		}
		now := s.now()
		purchase, charge := NewID(), NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO package_purchases (id, patient_id, package_id, name, kind, sessions, price_cents, currency, service_code, sold_by, sold_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, purchase, patientID, p.ID, p.Name, p.Kind, p.Sessions, p.Cents, p.Currency, p.Code, actor.UserID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO charges (id, patient_id, kind, purchase_id, service_code, description, amount_cents, currency, service_date, created_by, created_at)
			VALUES ($1, $2, 'package', $3, $4, $5, $6, $7, $8, $9, $8)`, charge, patientID, purchase, p.Code, p.Name, p.Cents, p.Currency, now, actor.UserID); err != nil {
			return err
		}
		out = &PackagePurchase{ID: purchase, ChargeID: charge, Package: p}
		e.ObjectType, e.ObjectID, e.Detail = "package", p.ID, "x"+strconv.Itoa(p.Sessions)+" "+billing.FormatPlain(p.Cents)
		return nil
	})
	return out, err
}

// LedgerTotals are the practice's ledger in sums: charges (after
// corrections) less applied payments less adjustments is what is
// outstanding; payments less applied less refunds is the patients'
// credit. Each is kept apart (billing_totals), so the identity is a check.
type LedgerTotals struct {
	Charges, Payments, Applied, Refunds, Adjustments int64
	Outstanding                                      int64 // the sum of the charges' open amounts
	Credit                                           int64 // the sum of the payments' unapplied parts
	Currency                                         string
}

// Balances reports whether the totals agree: Charges - Applied -
// Adjustments = Outstanding and Payments - Applied - Refunds = Credit.
func (t LedgerTotals) Balances() bool {
	return t.Charges-t.Applied-t.Adjustments == t.Outstanding && t.Payments-t.Applied-t.Refunds == t.Credit
}

// PracticeLedgerTotals reads the practice's ledger totals
// (PermBillingReports: admins): billing_totals' shard rows, kept by
// triggers as the ledger is written (migration 0066), with Outstanding and
// Credit kept apart from the other totals. Audited.
func (s *Store) PracticeLedgerTotals(ctx context.Context, actor Actor) (LedgerTotals, error) {
	t := LedgerTotals{Currency: billing.DefaultCurrency}
	err := s.reportTx(ctx, actor, "billing.report.totals", "", func(tx *Tx) (err error) {
		t, err = ledgerTotalsIn(ctx, tx)
		return err
	})
	return t, err
}

// reportTx runs fn for a practice report (PermBillingReports) in a write
// transaction that audits it as action with detail.
func (s *Store) reportTx(ctx context.Context, actor Actor, action, detail string, fn func(tx *Tx) error) error {
	if err := s.practiceGate(ctx, actor, auth.PermBillingReports, action); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "billing", Detail: strings.TrimSpace(detail)})
	})
}

// AppointmentCharge is the charge appointment appointmentID of patientID
// carries now (attended, missed or cancelled late; not one voided when its
// outcome changed, unless every one is), or nil when it made none (no
// fee for its kind, no policy fee, cancelled in time, not recorded yet):
// for the appointment's page to say which (PermBillingRead). Audited.
func (s *Store) AppointmentCharge(ctx context.Context, actor Actor, patientID, appointmentID string) (*Charge, error) {
	var out *Charge
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.ledger", func(tx *Tx, a Access, e *Entry) error {
		// The charge that holds now: after an outcome changed, an
		// appointment also carries the voided charge of its earlier event.
		c, err := scanCharge(tx.QueryRow(ctx, `SELECT `+chargeColumns+chargeFrom+` WHERE c.appointment_id = $1 AND c.patient_id = $2
			ORDER BY CASE WHEN c.kind = 'package_session' OR `+chargeAmount+` > 0 THEN 0 ELSE 1 END, c.created_at DESC, c.id DESC LIMIT 1`, appointmentID, patientID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		out = &c
		e.ObjectType, e.ObjectID = "charge", c.ID
		return nil
	})
	return out, err
}
