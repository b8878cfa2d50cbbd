package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// invitationsShownExpired is how long an invitation that ran out unused
// stays on the list, so it can be sent again.
const invitationsShownExpired = 30 * 24 * time.Hour

// Invitation is an invitation link not yet used (TokenInvite): for whom,
// who made it, when, and until when it works. Hash names it (it is the
// stored hash of the link's token, which cannot be turned back into the
// link).
type Invitation struct {
	Hash        string
	Email       string
	DisplayName string
	Credentials string // a staff member's licences and degrees, kept apart from the name
	Role        clinic.Role
	PatientID   string // a patient's portal invitation; "" for staff
	InvitedBy   string // the name of whoever made it
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// FullName is the name with the credentials after it, once.
func (i Invitation) FullName() string {
	return clinic.NameWithCredentials(i.DisplayName, i.Credentials)
}

// Expired reports whether the invitation no longer works at now.
func (i Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

const invitationSelect = `SELECT t.token_hash, t.email, coalesce(p.display_name, t.display_name), t.role, t.patient_id, coalesce(u.display_name, ''), t.created_at, t.expires_at, t.credentials
	FROM auth_tokens t LEFT JOIN users u ON u.id = t.created_by LEFT JOIN patients p ON p.id = t.patient_id AND t.patient_id <> ''
	WHERE t.purpose = 'invite' AND t.used_at IS NULL`

func scanInvitation(row scanner) (Invitation, error) {
	var i Invitation
	var role string
	err := row.Scan(&i.Hash, &i.Email, &i.DisplayName, &role, &i.PatientID, &i.InvitedBy, &i.CreatedAt, &i.ExpiresAt, &i.Credentials)
	i.Role, i.CreatedAt, i.ExpiresAt = clinic.Role(role), i.CreatedAt.UTC(), i.ExpiresAt.UTC()
	return i, err
}

// Invitations lists the invitations not yet used, newest first: every one
// (staff and patients) for an administrator (auth.PermAccounts) when
// patientID is "", or the one of patientID for whoever may make that
// patient's invitation (auth.PermAccount: the therapist who owns the case).
// Invitations that ran out in the last 30 days are listed too, to send
// again; an invitation whose email has an account by now is not. The
// administrator's list is audited as invitation.list; the patient's is read
// with their chart, whose read is audited. Anyone else gets ENotFound.
func (s *Store) Invitations(ctx context.Context, actor Actor, patientID string) ([]Invitation, error) {
	var out []Invitation
	q := invitationSelect + ` AND t.expires_at > $1 AND NOT EXISTS (SELECT 1 FROM users x WHERE lower(x.email) = lower(t.email))`
	if patientID == "" {
		if !actor.may(auth.PermAccounts) {
			return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
		}
		err := s.write(ctx, func(tx *Tx) error {
			var err error
			if out, err = queryAll(ctx, tx, scanInvitation, q+` ORDER BY t.created_at DESC, t.token_hash LIMIT 200`, s.now().Add(-invitationsShownExpired)); err != nil {
				return err
			}
			return s.appendAudit(ctx, tx, actor, Entry{Action: "invitation.list", ObjectType: "invitation"})
		})
		return out, err
	}
	err := s.read(ctx, func(tx *Tx) error {
		if _, err := s.authorize(ctx, tx, actor, patientID, auth.PermAccount); err != nil {
			return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
		}
		var err error
		out, err = queryAll(ctx, tx, scanInvitation, q+` AND t.patient_id = $2 ORDER BY t.created_at DESC, t.token_hash LIMIT 5`, s.now().Add(-invitationsShownExpired), patientID)
		return err
	})
	return out, err
}

// invitationFor loads the unused invitation hash inside tx and checks that
// actor may manage it: a staff invitation an administrator
// (auth.PermAccounts), a patient's the therapist who owns the case
// (auth.PermAccount). Anything else, or no such invitation, is ENotFound.
func (s *Store) invitationFor(ctx context.Context, tx *Tx, actor Actor, hash string) (Invitation, error) {
	inv, err := scanInvitation(tx.QueryRow(ctx, invitationSelect+` AND t.token_hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, clinic.Errorf(clinic.ENotFound, "This invitation was already used or withdrawn.")
	}
	if err != nil {
		return inv, err
	}
	if inv.PatientID == "" && !actor.may(auth.PermAccounts) {
		return inv, clinic.Errorf(clinic.ENotFound, "This invitation was already used or withdrawn.")
	}
	if inv.PatientID != "" {
		if _, err := s.authorize(ctx, tx, actor, inv.PatientID, auth.PermAccount); err != nil {
			return inv, clinic.Errorf(clinic.ENotFound, "This invitation was already used or withdrawn.")
		}
	}
	return inv, nil
}

// ResendInvitation replaces the unused invitation hash (expired or not)
// with a new link, newHash, for the same person, role and patient, valid
// for the full lifetime again; the old link stops working. Audited as
// token.invite.resend (under the patient, for a patient's invitation).
// ENotFound when the invitation is used, withdrawn or not actor's to
// manage; EConflict when its email has an account by now, or (for a
// patient's) is no longer the patient's.
func (s *Store) ResendInvitation(ctx context.Context, actor Actor, hash, newHash string) (*Invitation, error) {
	var out *Invitation
	err := s.write(ctx, func(tx *Tx) error {
		inv, err := s.invitationFor(ctx, tx, actor, hash)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, inv.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return clinic.Errorf(clinic.EConflict, "An account with this email exists already: this invitation is no longer needed.")
		}
		if inv.PatientID != "" {
			// Never again to an address the record no longer holds (one
			// mistyped, since corrected).
			var email string
			if err := tx.QueryRow(ctx, `SELECT email FROM patients WHERE id = $1`, inv.PatientID).Scan(&email); err != nil {
				return err
			}
			if !strings.EqualFold(strings.TrimSpace(email), strings.TrimSpace(inv.Email)) {
				return clinic.Errorf(clinic.EConflict, "The patient's email address has changed since this invitation was made: make a new invitation from their record.")
			}
		}
		// insertToken cancels every older unused invitation for the email,
		// the old link among them.
		t := &AuthToken{Hash: newHash, Purpose: TokenInvite, Email: inv.Email, DisplayName: inv.DisplayName, Credentials: inv.Credentials, Role: inv.Role, PatientID: inv.PatientID, CreatedBy: actor.UserID}
		if err := s.insertToken(ctx, tx, t); err != nil {
			return err
		}
		out = &Invitation{Hash: newHash, Email: t.Email, DisplayName: t.DisplayName, Credentials: t.Credentials, Role: t.Role, PatientID: t.PatientID, CreatedAt: s.now(), ExpiresAt: t.ExpiresAt}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "token.invite.resend", PatientID: inv.PatientID, ObjectType: "invitation", Detail: "role=" + string(inv.Role)})
	})
	return out, err
}

// RevokeInvitation withdraws the unused invitation hash: its link stops
// working. Audited as token.invite.revoke (under the patient, for a
// patient's invitation). ENotFound when it is used, withdrawn already or
// not actor's to manage.
func (s *Store) RevokeInvitation(ctx context.Context, actor Actor, hash string) (*Invitation, error) {
	var out *Invitation
	err := s.write(ctx, func(tx *Tx) error {
		inv, err := s.invitationFor(ctx, tx, actor, hash)
		if err != nil {
			return err
		}
		if err := s.useToken(ctx, tx, hash); err != nil {
			return err
		}
		out = &inv
		return s.appendAudit(ctx, tx, actor, Entry{Action: "token.invite.revoke", PatientID: inv.PatientID, ObjectType: "invitation", Detail: "role=" + string(inv.Role)})
	})
	return out, err
}

// RevokePatientInvitations withdraws every unused portal invitation of
// patientID, for whoever may make it (auth.PermAccount: the therapist who
// owns the case): their links stop working. It returns how many there
// were. Audited as token.invite.revoke under the patient.
func (s *Store) RevokePatientInvitations(ctx context.Context, actor Actor, patientID string) (int, error) {
	var n int64
	err := s.patientAccess(ctx, actor, patientID, auth.PermAccount, "token.invite.revoke", func(tx *Tx, a Access, e *Entry) error {
		res, err := tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND patient_id = $3 AND used_at IS NULL`, s.now(), TokenInvite, patientID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		e.ObjectType, e.ObjectID, e.Detail = "invitation", "", "count="+strconv.FormatInt(n, 10)
		return nil
	})
	return int(n), err
}
