package store

import (
	"context"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// EmergencyAccessFor is how long a break-glass grant lasts.
const EmergencyAccessFor = time.Hour

// EmergencyGrant is one break-glass access to a chart.
type EmergencyGrant struct {
	ID          string
	PatientID   string
	PatientName string
	User        *clinic.User
	Reason      string
	GrantedAt   time.Time
	ExpiresAt   time.Time
	ReviewedBy  string
	ReviewedAt  *time.Time
	ReviewNote  string
}

// GrantEmergencyAccess gives actor, a clinician not on patientID's care
// team, one hour of access to the chart, for the reason typed. Audited as
// emergency.grant. Returns EInvalid without a reason and ENotFound when the
// policy refuses (e.g. the actor is already on the team, or not a clinician).
func (s *Store) GrantEmergencyAccess(ctx context.Context, actor Actor, patientID, reason string) (*EmergencyGrant, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 10 {
		return nil, &clinic.Error{Code: clinic.EInvalid, Message: "Say why you need this chart now.", Fields: map[string]string{"reason": "Say why you need this chart now, in at least 10 characters."}}
	}
	if len(reason) > 2000 {
		return nil, &clinic.Error{Code: clinic.EInvalid, Message: "Use at most 2000 characters.", Fields: map[string]string{"reason": "Use at most 2000 characters."}}
	}
	g := &EmergencyGrant{ID: NewID(), PatientID: patientID, Reason: reason, GrantedAt: s.now()}
	g.ExpiresAt = g.GrantedAt.Add(EmergencyAccessFor)
	err := s.write(ctx, func(tx *Tx) error {
		if _, err := s.authorize(ctx, tx, actor, patientID, auth.PermEmergency); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO emergency_access (id, patient_id, user_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			g.ID, patientID, actor.UserID, reason, g.GrantedAt, g.ExpiresAt); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "emergency.grant", PatientID: patientID, ObjectType: "emergency_access", ObjectID: g.ID, Detail: "severity=high"})
	})
	if _, ok := err.(errDenied); ok {
		s.Audit(ctx, actor, Entry{Action: "emergency.grant", Outcome: OutcomeDenied, ObjectType: "patient", ObjectID: patientID})
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return g, err
}

// ListEmergencyGrants returns break-glass grants for an admin's review,
// unreviewed first, newest first. Audited.
func (s *Store) ListEmergencyGrants(ctx context.Context, actor Actor) ([]*EmergencyGrant, error) {
	if !actor.may(auth.PermEmergencyReview) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []*EmergencyGrant
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (*EmergencyGrant, error) {
			var g EmergencyGrant
			var reviewed nullTime
			var u clinic.User
			var role, totp string
			var disabled nullTime
			if err := row.Scan(&g.ID, &g.PatientID, &g.PatientName, &g.Reason, &g.GrantedAt, &g.ExpiresAt, &g.ReviewedBy, &reviewed, &g.ReviewNote,
				&u.ID, &u.Email, &u.DisplayName, &role, &totp, &disabled, &u.CreatedAt, &u.Credentials); err != nil {
				return nil, err
			}
			u.Role, u.HasTOTP = clinic.Role(role), totp != ""
			g.User = &u
			g.GrantedAt, g.ExpiresAt = g.GrantedAt.UTC(), g.ExpiresAt.UTC()
			g.ReviewedAt = reviewed.ptr()
			return &g, nil
		}, `SELECT e.id, e.patient_id, p.display_name, e.reason, e.granted_at, e.expires_at, e.reviewed_by, e.reviewed_at, e.review_note,
				u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, u.credentials
			FROM emergency_access e JOIN users u ON u.id = e.user_id JOIN patients p ON p.id = e.patient_id
			ORDER BY CASE WHEN e.reviewed_at IS NULL THEN 0 ELSE 1 END, e.granted_at DESC LIMIT 200`)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "emergency.list", ObjectType: "emergency_access"})
	})
	return out, err
}

// ReviewEmergencyGrant records an admin's review of grant id. Audited.
func (s *Store) ReviewEmergencyGrant(ctx context.Context, actor Actor, id, note string) error {
	if !actor.may(auth.PermEmergencyReview) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	note = strings.TrimSpace(note)
	if len(note) > 2000 {
		return &clinic.Error{Code: clinic.EInvalid, Message: "Use at most 2000 characters.", Fields: map[string]string{"note": "Use at most 2000 characters."}}
	}
	return s.write(ctx, func(tx *Tx) error {
		var patientID string
		if err := tx.QueryRow(ctx, `SELECT patient_id FROM emergency_access WHERE id = $1`, id).Scan(&patientID); err != nil {
			return clinic.Errorf(clinic.ENotFound, "We could not find that emergency access.")
		}
		res, err := tx.Exec(ctx, `UPDATE emergency_access SET reviewed_by = $1, reviewed_at = $2, review_note = $3 WHERE id = $4 AND reviewed_at IS NULL`, actor.UserID, s.now(), note, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.EConflict, "This emergency access was already reviewed.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "emergency.review", PatientID: patientID, ObjectType: "emergency_access", ObjectID: id})
	})
}

// AccessReportRow is one look at a patient's record, for the patient.
type AccessReportRow struct {
	At        time.Time
	ActorName string
	ActorRole clinic.Role
	Action    string
	Emergency bool
}

// AccessReport returns who viewed or changed the record of the patient
// whose account actor is, newest first (at most 500 rows). The patient's
// own looks at their record are left out; everything done through a link to
// their account (joining the portal, a password reset) is in. A clinician's
// own psychotherapy notes are left out too: they are kept apart from the
// record and outside the patient's right of access (SECURITY.md 1.2), and
// even their existence is not shown. Audited.
func (s *Store) AccessReport(ctx context.Context, actor Actor) ([]AccessReportRow, error) {
	p, err := s.FindOwnPatient(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out []AccessReportRow
	query := func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (AccessReportRow, error) {
			var r AccessReportRow
			var role, detail string
			if err := row.Scan(&r.At, &r.ActorName, &role, &r.Action, &detail); err != nil {
				return r, err
			}
			if r.ActorName == "" {
				r.ActorName = "Someone using a link"
			}
			r.At, r.ActorRole = r.At.UTC(), clinic.Role(role)
			r.Emergency = isEmergencyDetail(detail) || strings.HasPrefix(r.Action, "emergency.")
			return r, nil
		}, `SELECT a.at, coalesce(u.display_name, ''), a.actor_role, a.action, a.detail
			FROM `+s.d.auditFrom(s.pendingAudit(ctx, tx))+` LEFT JOIN users u ON u.id = a.actor_id
			WHERE a.patient_id = $1 AND a.outcome = 'success'
				AND NOT (a.actor_id = $2 AND (a.action IN ('patient.read', 'access_report.read') OR a.action LIKE '%.read'))
				AND a.action NOT LIKE 'psychnote.%'
			ORDER BY `+s.d.auditNewest(s.pendingAudit(ctx, tx))+` LIMIT 500`, p.ID, actor.UserID)
		return err
	}
	if v := s.viewOf(ctx); v != nil && v.actor == actor && v.patientID == p.ID {
		// The page's view of the patient's own record: read in it, and
		// named in its one audit row.
		if err := query(s.viewTx(ctx)); err != nil {
			return nil, s.unavailableIf(err)
		}
		v.note(Entry{Action: "access_report.read"})
		return out, nil
	}
	err = s.write(ctx, func(tx *Tx) error {
		if err := query(tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "access_report.read", PatientID: p.ID, ObjectType: "patient", ObjectID: p.ID})
	})
	return out, err
}
