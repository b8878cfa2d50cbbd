package store

import (
	"context"
	"time"
)

// LedgerReason is a correction, write-off or refund with the reason given
// for it (issue 21 walk F3): the patient reads these reasons on their
// statement and portal, so the staff page shows them too.
type LedgerReason struct {
	Kind   string // "correction", "write_off" or "refund"
	Cents  int64  // a correction's new amount; a write-off's or refund's amount
	Reason string
	At     time.Time
}

// reasonsIn reads the corrections and write-offs of charges and the
// refunds of payments, each list oldest first, into their Reasons.
func reasonsIn(ctx context.Context, tx *Tx, patientID string, charges []Charge, payments []Payment) error {
	scan := func(r scanner) (struct {
		of string
		LedgerReason
	}, error) {
		var x struct {
			of string
			LedgerReason
		}
		err := r.Scan(&x.of, &x.Kind, &x.Cents, &x.Reason, &x.At)
		x.At = x.At.UTC()
		return x, err
	}
	if len(charges) > 0 {
		ids := make([]string, len(charges))
		for i, c := range charges {
			ids[i] = c.ID
		}
		in := placeholders(2, len(ids))
		rows, err := queryAll(ctx, tx, scan, `SELECT cc.charge_id, 'correction', cc.amount_cents, cc.reason, cc.created_at FROM charge_corrections cc WHERE cc.patient_id = $1 AND cc.charge_id IN (`+in+`)
			UNION ALL SELECT ad.charge_id, ad.kind, ad.amount_cents, ad.reason, ad.created_at FROM adjustments ad WHERE ad.patient_id = $1 AND ad.charge_id IN (`+in+`)
			ORDER BY 5, 1`, append([]any{patientID}, anys(ids)...)...)
		if err != nil {
			return err
		}
		at := map[string]int{}
		for i, c := range charges {
			at[c.ID] = i
		}
		for _, x := range rows {
			c := &charges[at[x.of]]
			c.Reasons = append(c.Reasons, x.LedgerReason)
		}
	}
	if len(payments) > 0 {
		ids := make([]string, len(payments))
		for i, p := range payments {
			ids[i] = p.ID
		}
		rows, err := queryAll(ctx, tx, scan, `SELECT r.payment_id, 'refund', r.amount_cents, r.reason, r.recorded_at FROM refunds r
			WHERE r.patient_id = $1 AND r.payment_id IN (`+placeholders(2, len(ids))+`) ORDER BY 5, 1`, append([]any{patientID}, anys(ids)...)...)
		if err != nil {
			return err
		}
		at := map[string]int{}
		for i, p := range payments {
			at[p.ID] = i
		}
		for _, x := range rows {
			p := &payments[at[x.of]]
			p.Reasons = append(p.Reasons, x.LedgerReason)
		}
	}
	return nil
}
