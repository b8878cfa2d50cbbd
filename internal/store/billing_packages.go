package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// sessionCounts is the SQL condition that charge c, a package session,
// uses one of its package's sessions: its appointment is still recorded
// as attended, and the session was not given up for good. A session put
// right as missed or cancelled since gives its number back (its charge, 0,
// stays in the ledger); when a later session has taken it by the time the
// first is put right again as attended, the first's package session is
// released (package_session_releases, chargeEvent) and never counts again.
const sessionCounts = `(EXISTS (SELECT 1 FROM appointments a WHERE a.id = c.appointment_id AND a.outcome = 'attended' AND a.cancelled_at IS NULL)
	AND NOT EXISTS (SELECT 1 FROM package_session_releases rl WHERE rl.charge_id = c.id))`

// sessionTaken says whether package session chargeID's number is held by
// another package session of its package that counts: the session was
// given back and taken by a later one.
func sessionTaken(ctx context.Context, tx *Tx, chargeID string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM charges me JOIN charges c ON c.purchase_id = me.purchase_id AND c.kind = 'package_session'
		AND c.session_number = me.session_number AND c.id <> me.id
		WHERE me.id = $1 AND `+sessionCounts, chargeID).Scan(&n)
	return n > 0, err
}

// openPackagesLimit caps the open packages a patient's ledger lists: a
// patient holds one or two at a time.
const openPackagesLimit = 20

// openPackagesIn is patientID's package purchases not closed, newest
// first (at most openPackagesLimit: the ones in use are the newest): each with its price after
// corrections (Package.Cents) and the sessions used (Used: those whose
// appointment is still recorded as attended).
func openPackagesIn(ctx context.Context, tx *Tx, patientID string) ([]PackagePurchase, error) {
	return queryAll(ctx, tx, func(r scanner) (PackagePurchase, error) {
		var p PackagePurchase
		err := r.Scan(&p.ID, &p.ChargeID, &p.Package.ID, &p.Package.Name, &p.Package.Kind, &p.Package.Sessions, &p.Package.Cents, &p.Package.Currency, &p.Package.Code, &p.Used)
		return p, err
	}, `SELECT pp.id, COALESCE(pc.id, ''), pp.package_id, pp.name, pp.kind, pp.sessions,
			COALESCE(pc.amount_cents + (SELECT SUM(cc.delta_cents) FROM charge_corrections cc WHERE cc.charge_id = pc.id), pc.amount_cents, pp.price_cents),
			pp.currency, pp.service_code,
			(SELECT count(*) FROM charges c WHERE c.purchase_id = pp.id AND c.kind = 'package_session' AND `+sessionCounts+`)
		FROM package_purchases pp LEFT JOIN charges pc ON pc.purchase_id = pp.id AND pc.kind = 'package'
		WHERE pp.patient_id = $1 AND NOT EXISTS (SELECT 1 FROM package_closures pcl WHERE pcl.purchase_id = pp.id)
		ORDER BY pp.sold_at DESC, pp.id DESC LIMIT `+strconv.Itoa(openPackagesLimit), patientID)
}

// ClosePackage closes package purchase purchaseID of patientID, with a
// reason (PermBilling): one append-only entry, after which the package is
// no longer used for the patient's sessions (a package refunded,
// corrected to 0 or written off; or ended by agreement). The sessions it
// paid for stay in the ledger; what is owed on its charge is settled
// apart (a write-off, a correction, a refund). Audited.
func (s *Store) ClosePackage(ctx context.Context, actor Actor, patientID, purchaseID, reason string) error {
	fe := clinic.FieldErrors{}
	reason = billingText(fe, "reason", reason, "Say why the package is closed (for example: refunded, written off).", 500)
	if purchaseID == "" {
		fe.Add("purchase", "Choose the package to close.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermBilling, "billing.package_close", func(tx *Tx, a Access, e *Entry) error {
		if err := lockPatient(ctx, tx, patientID); err != nil {
			return err
		}
		var sessions, used, closed int
		err := tx.QueryRow(ctx, `SELECT pp.sessions,
				(SELECT count(*) FROM charges c WHERE c.purchase_id = pp.id AND c.kind = 'package_session' AND `+sessionCounts+`),
				(SELECT count(*) FROM package_closures pcl WHERE pcl.purchase_id = pp.id)
			FROM package_purchases pp WHERE pp.id = $1 AND pp.patient_id = $2`, purchaseID, patientID).Scan(&sessions, &used, &closed)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.FieldErrors{"purchase": "Choose one of this patient's packages."}.Err()
		}
		if err != nil {
			return err
		}
		if closed > 0 {
			return clinic.FieldErrors{"purchase": "This package is closed already."}.Err()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO package_closures (id, purchase_id, patient_id, reason, closed_by, closed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			NewID(), purchaseID, patientID, reason, actor.UserID, s.now()); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "package_purchase", purchaseID
		e.Detail = "closed used=" + strconv.Itoa(used) + " of " + strconv.Itoa(sessions)
		return nil
	})
}

// countingSessions is which of ids, package sessions' charges, count
// against their packages (sessionCounts).
func countingSessions(ctx context.Context, tx *Tx, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	got, err := queryAll(ctx, tx, scanID, `SELECT c.id FROM charges c WHERE c.id IN (`+placeholders(1, len(ids))+`) AND `+sessionCounts, anys(ids)...)
	for _, id := range got {
		out[id] = true
	}
	return out, err
}

// releaseSession gives package session e of appointmentID up for good
// (package_session_releases): its number was taken by a later session
// while it was recorded as missed or cancelled. Audited.
func (s *Store) releaseSession(ctx context.Context, tx *Tx, actor Actor, patientID, appointmentID, chargeID string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO package_session_releases (charge_id, patient_id, released_by, released_at) VALUES ($1, $2, $3, $4)`,
		chargeID, patientID, actor.UserID, s.now()); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: "billing.package_release", PatientID: patientID, ObjectType: "charge", ObjectID: chargeID,
		Detail: "its package session was taken by a later one; charged at the fee appointment=" + appointmentID})
}

// releasedSessions is which of ids, package sessions' charges, were given
// up for good.
func releasedSessions(ctx context.Context, tx *Tx, ids []string) ([]string, error) {
	return queryAll(ctx, tx, scanID, `SELECT charge_id FROM package_session_releases WHERE charge_id IN (`+placeholders(1, len(ids))+`)`, anys(ids)...)
}
