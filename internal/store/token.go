package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
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
	Credentials string // invite of a staff member: their licences and degrees
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
	if _, ok := tokenLifetime[t.Purpose]; !ok {
		return errors.New("unknown token purpose " + t.Purpose)
	}
	t.CreatedBy = actor.UserID
	return s.write(ctx, func(tx *Tx) error {
		if t.Purpose == TokenReset {
			var role string
			if err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, t.UserID).Scan(&role); err != nil {
				return clinic.Errorf(clinic.ENotFound, "No such account.")
			}
			if role == string(clinic.RolePatient) && !actor.may(auth.PermPatientLink) {
				return clinic.Errorf(clinic.EInvalid, "A patient's password is reset by the therapist who owns their case, from the patient's record.")
			}
		}
		if err := s.insertToken(ctx, tx, t); err != nil {
			return err
		}
		obj := t.UserID
		if obj == "" {
			obj = t.PatientID
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "token." + t.Purpose + ".create", PatientID: t.PatientID, ObjectType: "user", ObjectID: obj, Detail: "role=" + string(t.Role)})
	})
}

// CreatePatientToken makes a portal invitation (purpose TokenInvite, for a
// patient with an email and no account yet) or a password reset link
// (TokenReset, for a patient with an account) with hash, if actor may
// (auth.PermAccount: the therapist who owns the case). A new invitation
// cancels every earlier unused one of the patient, whatever its email. It
// returns the email the invitation names ("" for a reset link), the one to
// send it to. The audit row names the patient, so it shows in their access
// report.
func (s *Store) CreatePatientToken(ctx context.Context, actor Actor, patientID, purpose, hash string) (string, error) {
	if purpose != TokenInvite && purpose != TokenReset {
		return "", errors.New("not a patient link: " + purpose)
	}
	var email string
	err := s.patientAccess(ctx, actor, patientID, auth.PermAccount, "token."+purpose+".create", func(tx *Tx, a Access, e *Entry) error {
		p, err := scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID))
		if err != nil {
			return err
		}
		t := &AuthToken{Hash: hash, Purpose: purpose, PatientID: p.ID, Role: clinic.RolePatient, CreatedBy: actor.UserID}
		switch {
		case purpose == TokenInvite && p.UserID != "":
			return clinic.Errorf(clinic.EConflict, "This patient already has a portal account.")
		case purpose == TokenInvite && p.Email == "":
			return &clinic.Error{Code: clinic.EInvalid, Message: "Add the patient's email address before inviting them.", Fields: map[string]string{"invite": "Add the patient's email address before inviting them."}}
		case purpose == TokenInvite:
			t.Email, t.DisplayName = p.Email, p.DisplayName
		case p.UserID == "":
			return &clinic.Error{Code: clinic.EInvalid, Message: "This patient has no portal account yet.", Fields: map[string]string{"invite": "This patient has no portal account yet: make an invitation instead."}}
		default:
			t.UserID = p.UserID
			e.ObjectType, e.ObjectID = "user", p.UserID
		}
		if err := s.insertToken(ctx, tx, t); err != nil {
			return err
		}
		email = t.Email
		return nil
	})
	return email, err
}

// SelfService is the created_by of a reset link its account holder asked
// for on the sign-in page (CreateSelfServiceReset): no person made it. A
// new self-service link cancels only earlier self-service links, never one
// a person made (an administrator, the therapist, the command line).
const SelfService = "self-service"

// insertToken stores t inside tx, cancelling older unused links of the
// same purpose for the same account: for an invitation, those to the same
// email and, for a patient's, every one of the patient (an earlier one to
// a mistyped address among them); for a self-service reset, only earlier
// self-service resets.
func (s *Store) insertToken(ctx context.Context, tx *Tx, t *AuthToken) error {
	now := s.now()
	t.ExpiresAt = now.Add(tokenLifetime[t.Purpose])
	var err error
	switch {
	case t.Purpose == TokenSetup:
		_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL`, now, TokenSetup)
	case t.Purpose == TokenReset && t.CreatedBy == SelfService:
		_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND user_id = $3 AND created_by = $4 AND used_at IS NULL`, now, TokenReset, t.UserID, SelfService)
	case t.Purpose == TokenReset:
		_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND user_id = $3 AND used_at IS NULL`, now, TokenReset, t.UserID)
	case t.Purpose == TokenInvite && t.PatientID != "":
		_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL AND (lower(email) = lower($3) OR (patient_id <> '' AND patient_id = $4))`, now, TokenInvite, t.Email, t.PatientID)
	case t.Purpose == TokenInvite:
		_, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND lower(email) = lower($3) AND used_at IS NULL`, now, TokenInvite, t.Email)
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO auth_tokens (token_hash, purpose, user_id, email, display_name, role, patient_id, created_by, created_at, expires_at, credentials)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.Hash, t.Purpose, t.UserID, t.Email, t.DisplayName, string(t.Role), t.PatientID, t.CreatedBy, now, t.ExpiresAt, t.Credentials)
	return err
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
	err := tx.QueryRow(ctx, `SELECT purpose, user_id, email, display_name, role, patient_id, created_by, expires_at, credentials FROM auth_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, hash, purpose, s.now()).
		Scan(&t.Purpose, &t.UserID, &t.Email, &t.DisplayName, &role, &t.PatientID, &t.CreatedBy, &t.ExpiresAt, &t.Credentials)
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
			u.Email, u.Role, u.Credentials = t.Email, t.Role, t.Credentials
		default:
			return errors.New("not an account link: " + purpose)
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if err := s.useToken(ctx, tx, hash); err != nil {
			return err
		}
		if err := s.createUser(ctx, tx, actor, u, passwordHash, ""); err != nil {
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
		// Recorded as done through the link: whoever held it, not signed in.
		return s.appendAudit(ctx, tx, actor, Entry{Action: "token." + purpose + ".use", PatientID: t.PatientID, ObjectType: "user", ObjectID: u.ID})
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
		// Recorded as done through the link (by whoever held it), not as the
		// account holder, and under the patient when it is a patient's account.
		return s.setPassword(ctx, tx, actor, u.ID, passwordHash, "password.reset", t.PatientID)
	})
	return u, err
}

// JobPasswordResetEmail is the job kind that emails a self-service reset
// link to an account holder who asked for one on the sign-in page. Its
// payload names the account only: the link's token is made when the email
// is sent, so no usable secret waits in the jobs table.
const JobPasswordResetEmail = "password.reset.email"

// ForgotAction is the audit action of a self-service reset request; the
// forgot-password form's rate limits are counted from these rows.
const ForgotAction = "password.forgot"

// RequestPasswordReset records a self-service reset request from the
// sign-in page: an audit row (ForgotAction) whose object is limitKey (the
// account's id, or a keyed hash of an email with no account) and, when
// userID names an account, a JobPasswordResetEmail job that emails it a
// link. Both cases write in one transaction, so they take about the same
// time.
func (s *Store) RequestPasswordReset(ctx context.Context, actor Actor, userID, limitKey string) error {
	return s.write(ctx, func(tx *Tx) error {
		if err := s.appendAudit(ctx, tx, actor, Entry{Action: ForgotAction, ObjectType: "user", ObjectID: limitKey}); err != nil {
			return err
		}
		if userID == "" {
			return nil
		}
		b, _ := json.Marshal(map[string]string{"user": userID})
		_, err := s.EnqueueIn(ctx, tx, JobPasswordResetEmail, string(b), time.Time{}, "")
		return err
	})
}

// CreateSelfServiceReset makes a reset link with hash for the account
// userID, asked for by its holder on the sign-in page, and returns the
// account to email it to. A disabled or deleted account gets no link (nil,
// nil). Older unused self-service reset links of the account stop working;
// a link a person made for it (SelfService) keeps working. Audited as
// token.reset.create (self-service); the link carries the patient of a
// patient's account, so a reset through it shows in their access report.
func (s *Store) CreateSelfServiceReset(ctx context.Context, userID, hash string) (*clinic.User, error) {
	var u *clinic.User
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		if errors.Is(err, sql.ErrNoRows) || clinic.ErrorCode(err) == clinic.ENotFound {
			u = nil
			return nil
		}
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			u = nil
			return nil
		}
		// The patient whose account this is, if any: a fact of the data,
		// not of the role.
		patientID := ""
		if err := tx.QueryRow(ctx, `SELECT id FROM patients WHERE user_id = $1`, userID).Scan(&patientID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		t := &AuthToken{Hash: hash, Purpose: TokenReset, UserID: u.ID, Role: u.Role, PatientID: patientID, CreatedBy: SelfService}
		if err := s.insertToken(ctx, tx, t); err != nil {
			return err
		}
		// Not under the patient: no one looked at or changed their record
		// yet. The reset itself, if the link is used, is (password.reset).
		return s.appendAudit(ctx, tx, System, Entry{Action: "token.reset.create", ObjectType: "user", ObjectID: u.ID, Detail: "self-service"})
	})
	return u, err
}
