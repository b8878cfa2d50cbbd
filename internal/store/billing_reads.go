package store

import (
	"context"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
)

// OpenChargesLimit is how many open charges the payment form lists at
// most, the oldest first (more is said, not listed).
const OpenChargesLimit = 100

// PatientOpenCharges reads up to limit (at most OpenChargesLimit) of
// patientID's charges with something open, the oldest first, and whether
// more are open beyond them (PermBillingRead). The payment form lists
// them all, not only those of the page of charges shown. Audited, in the
// page's view when there is one.
func (s *Store) PatientOpenCharges(ctx context.Context, actor Actor, patientID string, limit int) ([]Charge, bool, error) {
	if limit <= 0 || limit > OpenChargesLimit {
		limit = OpenChargesLimit
	}
	var out []Charge
	more := false
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.open_charges", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, scanCharge, `SELECT `+chargeColumns+chargeFrom+` WHERE c.patient_id = $1 AND `+chargeOpen+` > 0
			ORDER BY c.service_date, c.created_at, c.id LIMIT `+strconv.Itoa(limit+1), patientID)
		if len(out) > limit {
			out, more = out[:limit], true
		}
		e.ObjectType = "charge"
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// RefundEntry is a refund on a patient's ledger, with the payment it
// came out of.
type RefundEntry struct {
	ID         string
	PaymentID  string
	Cents      int64
	Currency   string
	RecordedAt time.Time
	// The payment it came out of.
	PaymentCents      int64
	PaymentMethod     string
	PaymentReceivedAt time.Time
}

// RefundsLimit is how many refunds PatientRefunds reads at most, the
// newest first.
const RefundsLimit = 50

// PatientRefunds reads up to limit (at most RefundsLimit) of patientID's
// refunds, the newest first, each with the payment it came out of, and
// whether there are more (PermBillingRead: the patient's portal lists
// them beside their payments). Audited, in the page's view when there is
// one.
func (s *Store) PatientRefunds(ctx context.Context, actor Actor, patientID string, limit int) ([]RefundEntry, bool, error) {
	if limit <= 0 || limit > RefundsLimit {
		limit = RefundsLimit
	}
	var out []RefundEntry
	more := false
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.refunds", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (RefundEntry, error) {
			var x RefundEntry
			err := r.Scan(&x.ID, &x.PaymentID, &x.Cents, &x.Currency, &x.RecordedAt, &x.PaymentCents, &x.PaymentMethod, &x.PaymentReceivedAt)
			x.RecordedAt, x.PaymentReceivedAt = x.RecordedAt.UTC(), x.PaymentReceivedAt.UTC()
			return x, err
		}, `SELECT r.id, r.payment_id, r.amount_cents, p.currency, r.recorded_at, p.amount_cents, p.method, p.received_at
			FROM refunds r JOIN payments p ON p.id = r.payment_id
			WHERE r.patient_id = $1 ORDER BY r.recorded_at DESC, r.id DESC LIMIT `+strconv.Itoa(limit+1), patientID)
		if len(out) > limit {
			out, more = out[:limit], true
		}
		e.ObjectType = "refund"
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}
