package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// CreateUser validates u, gives it an id and stores it with passwordHash.
// Returns EInvalid for bad fields and EConflict when the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *clinic.User, passwordHash string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	u.ID = NewID()
	u.CreatedAt = s.now()
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email, email_lower, display_name, role, password_hash, totp_secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			u.ID, u.Email, clinic.NormalizeEmail(u.Email), u.DisplayName, string(u.Role), passwordHash, u.TOTPSecret, u.CreatedAt)
		if s.d.isUniqueViolation(err) {
			return &clinic.Error{Code: clinic.EConflict, Message: "An account with this email already exists.", Fields: map[string]string{"email": "An account with this email already exists."}}
		}
		return err
	})
}

const userColumns = `id, email, display_name, role, totp_secret, disabled_at, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*clinic.User, error) {
	var u clinic.User
	var role string
	var disabled sql.NullTime
	dest := append([]any{&u.ID, &u.Email, &u.DisplayName, &role, &u.TOTPSecret, &disabled, &u.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, clinic.Errorf(clinic.ENotFound, "No such account.")
		}
		return nil, err
	}
	u.Role = clinic.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	if disabled.Valid {
		t := disabled.Time.UTC()
		u.DisabledAt = &t
	}
	return &u, nil
}

// FindUserByEmail returns the account with email (compared without case)
// and its password hash. Returns ENotFound when there is none.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*clinic.User, string, error) {
	var u *clinic.User
	var hash string
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email_lower = $1`, clinic.NormalizeEmail(email)), &hash)
		return err
	})
	return u, hash, err
}

// FindUserByID returns the account with id, or ENotFound.
func (s *Store) FindUserByID(ctx context.Context, id string) (*clinic.User, error) {
	var u *clinic.User
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
		return err
	})
	return u, err
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	})
	return n, err
}

// UseTOTPStep records that userID used the TOTP code of time step, and
// reports false when that step (or a later one) was already used: a code is
// accepted once.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	var ok bool
	err := s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET totp_last_step = $1, updated_at = $2 WHERE id = $3 AND totp_last_step < $1`, step, s.now(), userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// SetSetting stores a practice setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO practice_settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, s.now())
		return err
	})
}

// Setting returns a practice setting, or def when it is not set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	v := def
	err := s.read(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT value FROM practice_settings WHERE key = $1`, key).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return v, err
}

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	IDHash     string
	User       *clinic.User
	MFADone    bool // the second factor was given (or the user has none)
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	UserAgent  string
	ClientAddr string
}

// CreateSession stores a new session for sess.User.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, mfa_done, created_at, last_seen_at, expires_at, user_agent, client_addr)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			sess.IDHash, sess.User.ID, sess.MFADone, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt, truncate(sess.UserAgent, 300), sess.ClientAddr)
		return err
	})
}

// sessionTouchEvery is how stale a session's last-use time may get before a
// request writes it again. Writing it at most once a minute keeps page views
// from each costing a durable write; a session then ends up to a minute
// before its idle limit, never after.
const sessionTouchEvery = time.Minute

// TouchSession finds the live session with idHash and moves its idle
// deadline on. A session is live while it is before its absolute end, its
// last use is within idle(role), and its user is not disabled. Returns
// ENotFound (and deletes the row) otherwise.
func (s *Store) TouchSession(ctx context.Context, idHash string, idle func(clinic.Role) time.Duration) (*Session, error) {
	now := s.now()
	var x *Session
	err := s.read(ctx, func(tx *Tx) error {
		row := tx.QueryRow(ctx, `SELECT u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at,
				s.mfa_done, s.created_at, s.last_seen_at, s.expires_at, s.user_agent, s.client_addr
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`, idHash)
		sess := Session{IDHash: idHash}
		u, err := scanUser(row, &sess.MFADone, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.UserAgent, &sess.ClientAddr)
		if err != nil {
			return err
		}
		sess.User = u
		sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.LastSeenAt.UTC(), sess.ExpiresAt.UTC()
		x = &sess
		return nil
	})
	if err != nil {
		return nil, err
	}
	if x.User.DisabledAt != nil || !now.Before(x.ExpiresAt) || now.Sub(x.LastSeenAt) >= idle(x.User.Role) {
		if err := s.DeleteSession(ctx, idHash); err != nil {
			return nil, err
		}
		return nil, clinic.Errorf(clinic.ENotFound, "Your session has ended. Please sign in again.")
	}
	if now.Sub(x.LastSeenAt) >= sessionTouchEvery {
		err := s.write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, now, idHash)
			return err
		})
		if err != nil {
			return nil, err
		}
		x.LastSeenAt = now
	}
	return x, nil
}

// ReplaceSession deletes the session oldHash and stores sess in one
// transaction: the id changes whenever privilege changes.
func (s *Store) ReplaceSession(ctx context.Context, oldHash string, sess *Session) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, oldHash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, mfa_done, created_at, last_seen_at, expires_at, user_agent, client_addr)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			sess.IDHash, sess.User.ID, sess.MFADone, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt, truncate(sess.UserAgent, 300), sess.ClientAddr)
		return err
	})
}

// DeleteSession ends one session. Ending a session that does not exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
		return err
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
