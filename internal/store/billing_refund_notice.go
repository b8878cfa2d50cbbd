package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
)

// Reopened is a charge a refund opened again (issue 21 walk F5): the part
// of the payment taken back off it (Cents) and what is open of it now.
type Reopened struct {
	PaymentApplied
	Open int64
}

// RefundReopened reads the charges the newest refund of payment paymentID
// of patientID took the payment's money back off (Refund's reversal
// entries, made with it), the oldest charge first, for the page's notice
// that says what is open again; none when the refund came out of credit
// alone, or there is no refund (PermBillingRead). Audited, in the page's
// view when there is one.
func (s *Store) RefundReopened(ctx context.Context, actor Actor, patientID, paymentID string) ([]Reopened, error) {
	var out []Reopened
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.refund.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.ObjectID = "payment", paymentID
		var at time.Time
		err := tx.QueryRow(ctx, `SELECT recorded_at FROM refunds WHERE payment_id = $1 AND patient_id = $2 ORDER BY recorded_at DESC, id DESC LIMIT 1`, paymentID, patientID).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = queryAll(ctx, tx, func(r scanner) (Reopened, error) {
			x, err := scanApplied(r)
			return Reopened{PaymentApplied: x}, err
		}, `SELECT c.id, c.kind, c.description, c.service_code, c.service_date, -SUM(pa.amount_cents)
			FROM payment_applications pa JOIN charges c ON c.id = pa.charge_id
			WHERE pa.payment_id = $1 AND pa.patient_id = $2 AND pa.reverses_id IS NOT NULL AND pa.created_at = $3
			GROUP BY c.id, c.kind, c.description, c.service_code, c.service_date, c.created_at
			ORDER BY c.service_date, c.created_at, c.id`, paymentID, patientID, at)
		if err != nil {
			return err
		}
		for i := range out {
			c, err := chargeOf(ctx, tx, patientID, out[i].ChargeID)
			if err != nil {
				return err
			}
			out[i].Open = c.Open
		}
		return nil
	})
	return out, err
}
