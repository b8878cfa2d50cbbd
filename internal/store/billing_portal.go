package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
)

// Reads for the statements page and the portal's billing page (issue 21,
// the walk): whether a superbill would list anything, and a patient's
// packages with the sessions used and left.

// EmptySuperbillMessage is the field error of a superbill that would
// list no service: nothing to send.
const EmptySuperbillMessage = "No service in this period, so the superbill would list none: choose a period with sessions. The statement can still be sent."

// SuperbillHasServices says whether patientID's superbill for [from, to)
// (narrowed to package purchaseID when it is not "") lists a service
// (PermBillingRead). Audited; in a store.View, the view's one row.
func (s *Store) SuperbillHasServices(ctx context.Context, actor Actor, patientID, purchaseID string, from, to time.Time) (bool, error) {
	has := false
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.superbill", func(tx *Tx, a Access, e *Entry) error {
		sb := &Superbill{PatientID: patientID, PurchaseID: purchaseID, From: from.UTC(), To: to.UTC()}
		if err := superbillLinesIn(ctx, tx, sb); err != nil {
			return err
		}
		has = len(sb.Lines) > 0
		e.ObjectType, e.Detail = "superbill", rangeDetail(from, to)+" check"
		return nil
	})
	return has, err
}
