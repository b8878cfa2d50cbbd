package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/billing"
	"github.com/kapstone/kapstone/internal/clinic"
)

// PaymentApplied is a part of a payment applied to one charge when the
// payment was recorded.
type PaymentApplied struct {
	ChargeID    string
	Kind        billing.ChargeKind
	Description string
	Code        string
	ServiceDate time.Time
	Cents       int64
}

// scanApplied reads a charge and an amount of a payment on it: id, kind,
// description, service code, service date, cents.
func scanApplied(r scanner) (PaymentApplied, error) {
	var x PaymentApplied
	var kind string
	err := r.Scan(&x.ChargeID, &kind, &x.Description, &x.Code, &x.ServiceDate, &x.Cents)
	x.Kind, x.ServiceDate = billing.ChargeKind(kind), x.ServiceDate.UTC()
	return x, err
}

// PaymentRecorded reads payment paymentID of patientID and what of it was
// applied to which charges when it was recorded (oldest charge first), for
// the page's notice that says what happened (PermBillingRead). Audited, in
// the page's view when there is one.
func (s *Store) PaymentRecorded(ctx context.Context, actor Actor, patientID, paymentID string) (*Payment, []PaymentApplied, error) {
	var p Payment
	var apps []PaymentApplied
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.payment.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		p, err = scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+paymentFrom+` WHERE p.id = $1 AND p.patient_id = $2`, paymentID, patientID))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that payment.")
		}
		if err != nil {
			return err
		}
		apps, err = queryAll(ctx, tx, scanApplied, `SELECT c.id, c.kind, c.description, c.service_code, c.service_date, pa.amount_cents
			FROM payment_applications pa JOIN charges c ON c.id = pa.charge_id
			JOIN payments p ON p.id = pa.payment_id
			WHERE pa.payment_id = $1 AND pa.reverses_id IS NULL AND pa.created_at = p.recorded_at
			ORDER BY c.service_date, c.created_at, c.id`, paymentID)
		e.ObjectType, e.ObjectID = "payment", paymentID
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &p, apps, nil
}
