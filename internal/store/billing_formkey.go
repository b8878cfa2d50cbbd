package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kapstone/kapstone/internal/clinic"
)

// Forms' one-time keys (issue 21 walk F1; migration 0068): the payment
// form and the statement send forms carry a key made when the page was
// shown (FormKey), kept on the row they record, so the same form posted
// twice (a double click, a resend after a slow answer) records once.

// FormKey makes a form's one-time key: rendered as a hidden field, it
// lets a store function see a second submit of the same form.
func FormKey() string { return NewID() }

// validFormKey reports whether k may be a form's key: what FormKey makes,
// or "" for none.
func validFormKey(k string) bool { return k == "" || ValidID(k) }

// staleForm is the answer to a key that is not a form's of this patient.
const staleForm = "This form is out of date: reload the page and try again."

// sentByForm is the send already made by the form with key for
// patientID, or nil (and none looked for when key is ""); with one, e
// records that nothing was sent again. A key of another patient's form,
// or not a key, is a field error at "send". The patient's row is locked
// first, so two posts of one form at once are one after the other.
func sentByForm(ctx context.Context, tx *Tx, e *Entry, patientID, key string) (*StatementSend, error) {
	if key == "" {
		return nil, nil
	}
	if !validFormKey(key) {
		return nil, clinic.FieldErrors{"send": staleForm}.Err()
	}
	if err := lockPatient(ctx, tx, patientID); err != nil {
		return nil, err
	}
	var x StatementSend
	var owner string
	err := tx.QueryRow(ctx, `SELECT id, patient_id, kind, period_from, period_to, sent_at FROM statement_sends WHERE form_key = $1`, key).
		Scan(&x.ID, &owner, &x.Kind, &x.From, &x.To, &x.SentAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case owner != patientID:
		return nil, clinic.FieldErrors{"send": staleForm}.Err()
	}
	x.From, x.To, x.SentAt = x.From.UTC(), x.To.UTC(), x.SentAt.UTC()
	e.ObjectType, e.ObjectID, e.Detail = "statement", x.ID, "already sent by this form"
	return &x, nil
}
