package store

import (
	"context"
	"database/sql"
	"strconv"
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

// PatientPackage is a package sold to a patient as the portal shows it:
// the sessions it holds, those used (attended sessions that count
// against it) and those left; whether it was closed, when and why.
type PatientPackage struct {
	ID, Name     string
	SoldAt       time.Time
	Sessions     int
	Used         int
	Closed       bool
	ClosedAt     time.Time
	ClosedReason string
}

// Left is the sessions still to use: none once the package is closed.
func (p PatientPackage) Left() int {
	if p.Closed {
		return 0
	}
	return max(0, p.Sessions-p.Used)
}

// MaxPatientPackages bounds PatientPackages' limit.
const MaxPatientPackages = 50

// PatientPackages reads patientID's packages, newest first, at most
// limit (1 to MaxPatientPackages), and whether there are more
// (PermBillingRead: the patient themself, the care team's therapist,
// admins). Audited; in a store.View, the view's one row.
func (s *Store) PatientPackages(ctx context.Context, actor Actor, patientID string, limit int) ([]PatientPackage, bool, error) {
	if limit < 1 || limit > MaxPatientPackages {
		limit = MaxPatientPackages
	}
	var out []PatientPackage
	more := false
	err := s.viewAccess(ctx, actor, patientID, auth.PermBillingRead, "billing.packages", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (PatientPackage, error) {
			var p PatientPackage
			var closed sql.NullTime
			err := r.Scan(&p.ID, &p.Name, &p.SoldAt, &p.Sessions, &p.Used, &closed, &p.ClosedReason)
			p.SoldAt = p.SoldAt.UTC()
			if closed.Valid {
				p.Closed, p.ClosedAt = true, closed.Time.UTC()
			}
			return p, err
		}, `SELECT pp.id, pp.name, pp.sold_at, pp.sessions,
				(SELECT count(*) FROM charges c WHERE c.purchase_id = pp.id AND c.kind = 'package_session' AND `+sessionCounts+`),
				pcl.closed_at, COALESCE(pcl.reason, '')
			FROM package_purchases pp LEFT JOIN package_closures pcl ON pcl.purchase_id = pp.id
			WHERE pp.patient_id = $1 ORDER BY pp.sold_at DESC, pp.id DESC LIMIT `+strconv.Itoa(limit+1), patientID)
		if err != nil {
			return err
		}
		if len(out) > limit {
			out, more = out[:limit], true
		}
		e.ObjectType, e.Detail = "package_purchase", "packages="+strconv.Itoa(len(out))
		return nil
	})
	return out, more, err
}

// ledgerApplicationsIn fills in the charges each payment of entries (one
// page of LedgerEntries) was applied to, what is applied to each now
// (un-applied parts netted out), oldest charge first: one query for the
// page.
func ledgerApplicationsIn(ctx context.Context, tx *Tx, entries []LedgerEntry) error {
	at := map[string]int{}
	var ids []any
	for i, e := range entries {
		if e.Kind == "payment" {
			at[e.ID] = i
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type applied struct {
		payment string
		LedgerCharge
	}
	rows, err := queryAll(ctx, tx, func(r scanner) (applied, error) {
		var a applied
		err := r.Scan(&a.payment, &a.Code, &a.ServiceDate, &a.Cents)
		a.ServiceDate = a.ServiceDate.UTC()
		return a, err
	}, `SELECT pa.payment_id, c.service_code, c.service_date, SUM(pa.amount_cents) FROM payment_applications pa JOIN charges c ON c.id = pa.charge_id
		WHERE pa.payment_id IN (`+placeholders(1, len(ids))+`)
		GROUP BY pa.payment_id, c.id, c.service_code, c.service_date HAVING SUM(pa.amount_cents) > 0
		ORDER BY pa.payment_id, c.service_date, c.id LIMIT `+strconv.Itoa(ledgerApplicationsLimit), ids...)
	if err != nil {
		return err
	}
	for _, a := range rows {
		e := &entries[at[a.payment]]
		e.Charges = append(e.Charges, a.LedgerCharge)
	}
	return nil
}

// ledgerApplicationsLimit bounds the charges listed for one page of the
// ledger's payments.
const ledgerApplicationsLimit = 5000
