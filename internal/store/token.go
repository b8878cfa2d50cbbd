package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// Purposes of single-use links.
const (
	TokenSetup  = "setup"  // make the first admin account
	TokenInvite = "invite" // make an account the link names (staff or patient)
	TokenReset  = "reset"  // set a new password for an existing account
)

// How long each kind of link works.
var tokenLifetime = map[string]time.Duration{
	TokenSetup:  24 * time.Hour,
	TokenInvite: 72 * time.Hour,
	TokenReset:  30 * time.Minute,
}

// AuthToken is a single-use link. Only the hash of its token is stored.
type AuthToken struct {
	Hash        string
	Purpose     string
	UserID      string // reset: whose password
	Email       string // invite: the new account's email
	DisplayName string
	Role        clinic.Role
	PatientID   string // invite of a patient: the record the account links to
	CreatedBy   string
	ExpiresAt   time.Time
}

// CreateToken stores a single-use link of t.Purpose, valid for that
// purpose's lifetime, and invalidates older unused links of the same
// purpose for the same account (or, for setup, every older setup link).
// Audited.
func (s *Store) CreateToken(ctx context.Context, actor Actor, t *AuthToken) error {
	life, ok := tokenLifetime[t.Purpose]
	if !ok {
		return errors.New("unknown token purpose " + t.Purpose)
	}
	now := s.now()
	t.ExpiresAt, t.CreatedBy = now.Add(life), actor.UserID
	return s.write(ctx, func(tx *Tx) error {
		var err error
		switch t.Purpose {
		case TokenSetup:
			_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL`, now, TokenSetup)
		case TokenReset:
			_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND user_id = $3 AND used_at IS NULL`, now, TokenReset, t.UserID)
		case TokenInvite:
			_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND lower(email) = lower($3) AND used_at IS NULL`, now, TokenInvite, t.Email)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO auth_tokens (token_hash, purpose, user_id, email, display_name, role, patient_id, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.Hash, t.Purpose, t.UserID, t.Email, t.DisplayName, string(t.Role), t.PatientID, t.CreatedBy, now, t.ExpiresAt)
		if err != nil {
			return err
		}
		obj := t.UserID
		if obj == "" {
			obj = t.PatientID
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "token." + t.Purpose + ".create", PatientID: t.PatientID, ObjectType: "user", ObjectID: obj, Detail: "role=" + string(t.Role)})
	})
}

// FindToken returns the unused, unexpired link with hash and purpose, or
// ENotFound.
func (s *Store) FindToken(ctx context.Context, hash, purpose string) (*AuthToken, error) {
	var t *AuthToken
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		t, err = s.findToken(ctx, tx, hash, purpose)
		return err
	})
	return t, err
}

func (s *Store) findToken(ctx context.Context, tx *Tx, hash, purpose string) (*AuthToken, error) {
	t := AuthToken{Hash: hash}
	var role string
	err := tx.QueryRow(ctx, `SELECT purpose, user_id, email, display_name, role, patient_id, created_by, expires_at FROM auth_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, hash, purpose, s.now()).
		Scan(&t.Purpose, &t.UserID, &t.Email, &t.DisplayName, &role, &t.PatientID, &t.CreatedBy, &t.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "This link has expired or has already been used. Ask your practice for a new one.")
	}
	t.Role, t.ExpiresAt = clinic.Role(role), t.ExpiresAt.UTC()
	return &t, err
}

// useToken marks the link used inside tx, so a link works exactly once even
// when two requests race: the second finds it used.
func (s *Store) useToken(ctx context.Context, tx *Tx, hash string) error {
	res, err := tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL`, s.now(), hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return clinic.Errorf(clinic.ENotFound, "This link has expired or has already been used. Ask your practice for a new one.")
	}
	return nil
}

// AcceptAccountToken uses a setup or invitation link to make the account it
// names, with u's fields filled in from the link where the link fixes them
// (an invitation fixes email and role; setup makes an admin). A patient
// invitation links the new account to the patient record. All in one
// transaction, audited.
func (s *Store) AcceptAccountToken(ctx context.Context, actor Actor, hash, purpose string, u *clinic.User, passwordHash string) error {
	return s.write(ctx, func(tx *Tx) error {
		t, err := s.findToken(ctx, tx, hash, purpose)
		if err != nil {
			return err
		}
		switch purpose {
		case TokenSetup:
			u.Role = clinic.RoleAdmin
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return clinic.Errorf(clinic.ENotFound, "This practice already has an admin. Sign in instead.")
			}
		case TokenInvite:
			u.Email, u.Role = t.Email, t.Role
		default:
			return errors.New("not an account link: " + purpose)
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if err := s.useToken(ctx, tx, hash); err != nil {
			return err
		}
		if err := s.createUser(ctx, tx, actor, u, passwordHash); err != nil {
			return err
		}
		if t.PatientID != "" {
			res, err := tx.Exec(ctx, `UPDATE patients SET user_id = $1, updated_at = $2 WHERE id = $3 AND user_id IS NULL`, u.ID, s.now(), t.PatientID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return clinic.Errorf(clinic.EConflict, "This patient already has a portal account.")
			}
		}
		return s.appendAudit(ctx, tx, Actor{UserID: u.ID, Role: u.Role, Addr: actor.Addr, RequestID: actor.RequestID},
			Entry{Action: "token." + purpose + ".use", PatientID: t.PatientID, ObjectType: "user", ObjectID: u.ID})
	})
}

// ResetPassword uses a reset link to set a new password; every session of
// the account ends. The second factor is untouched: a reset never bypasses
// it. Returns the account.
func (s *Store) ResetPassword(ctx context.Context, actor Actor, hash, passwordHash string) (*clinic.User, error) {
	var u *clinic.User
	err := s.write(ctx, func(tx *Tx) error {
		t, err := s.findToken(ctx, tx, hash, TokenReset)
		if err != nil {
			return err
		}
		if err := s.useToken(ctx, tx, hash); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, t.UserID))
		if err != nil {
			return err
		}
		return s.setPassword(ctx, tx, Actor{UserID: u.ID, Role: u.Role, Addr: actor.Addr, RequestID: actor.RequestID}, u.ID, passwordHash, "password.reset")
	})
	return u, err
}
