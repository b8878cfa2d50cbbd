package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// Session is a signed-in browser. Only the hash of its token is stored;
// PublicID names it on the "your sessions" page without revealing the token.
type Session struct {
	IDHash     string
	PublicID   string
	User       *clinic.User
	MFADone    bool // the second factor was given (or the user has none)
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	UserAgent  string
	ClientAddr string

	// pendingTOTP is the sealed TOTP secret being enrolled ("" when none),
	// until confirmed: Store.OpenPendingTOTP opens it, SetPendingTOTP sets it.
	pendingTOTP string
}

// HasPendingTOTP reports whether a second factor is being set up on this
// session (a secret was shown and awaits its first code).
func (x *Session) HasPendingTOTP() bool { return x.pendingTOTP != "" }

const sessionColumns = `s.mfa_done, s.created_at, s.last_seen_at, s.expires_at, s.user_agent, s.client_addr, s.public_id, s.pending_totp, u.controlled_substances`

func scanSession(row interface{ Scan(...any) error }, idHash string) (*Session, error) {
	x := Session{IDHash: idHash}
	var designated bool
	dest := []any{&x.MFADone, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.UserAgent, &x.ClientAddr, &x.PublicID, &x.pendingTOTP, &designated}
	if idHash == "" { // the query selects s.id_hash last
		dest = append(dest, &x.IDHash)
	}
	u, err := scanUser(row, dest...)
	if err != nil {
		return nil, err
	}
	x.User = u
	u.ControlledSubstances = designated
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	return &x, nil
}

// StartSession stores sess, deleting the session oldHash (if any) in the
// same transaction, and appends e to the audit log with it: the session id
// changes whenever privilege changes, and every sign-in is recorded.
func (s *Store) StartSession(ctx context.Context, actor Actor, oldHash string, sess *Session, e Entry) error {
	if sess.PublicID == "" {
		sess.PublicID = NewID()
	}
	return s.write(ctx, func(tx *Tx) error {
		if oldHash != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, oldHash); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM ended_sessions WHERE id_hash = $1`, oldHash); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, public_id, user_id, mfa_done, created_at, last_seen_at, expires_at, user_agent, client_addr)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			sess.IDHash, sess.PublicID, sess.User.ID, sess.MFADone, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt, truncate(sess.UserAgent, 300), sess.ClientAddr)
		if err != nil {
			return err
		}
		if e.ObjectType == "" {
			e.ObjectType, e.ObjectID = "user", sess.User.ID
		}
		return s.appendAudit(ctx, tx, actor, e)
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
		var err error
		x, err = scanSession(tx.QueryRow(ctx, `SELECT u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, u.credentials, `+sessionColumns+`
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`, idHash), idHash)
		return err
	})
	if err != nil {
		return nil, err
	}
	if x.User.DisabledAt != nil || !now.Before(x.ExpiresAt) || now.Sub(x.LastSeenAt) >= idle(x.User.Role) {
		err := s.write(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
				return err
			}
			if x.User.DisabledAt == nil {
				// Remembered so a draft posted with this cookie is carried
				// through sign-in for this user only (EndedSession).
				if _, err := tx.Exec(ctx, `INSERT INTO ended_sessions (id_hash, user_id, ended_at) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO NOTHING`, idHash, x.User.ID, now); err != nil {
					return err
				}
			}
			return s.appendAudit(ctx, tx, Actor{UserID: x.User.ID, Role: x.User.Role}, Entry{Action: "session.expire", ObjectType: "session", ObjectID: x.PublicID})
		})
		if err != nil {
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

// EndSession deletes the session idHash (sign-out), audited. Ending a
// session that does not exist is not an error.
func (s *Store) EndSession(ctx context.Context, actor Actor, idHash, publicID string) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "logout", ObjectType: "session", ObjectID: publicID})
	})
}

// EndOwnSession deletes the session with publicID if it belongs to
// actor's user; another user's session is ENotFound. Audited.
func (s *Store) EndOwnSession(ctx context.Context, actor Actor, publicID string) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE public_id = $1 AND user_id = $2`, publicID, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "That session has already ended.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "session.end", ObjectType: "session", ObjectID: publicID})
	})
}

// EndAllSessions deletes every session of actor's user ("sign out
// everywhere"). Audited.
func (s *Store) EndAllSessions(ctx context.Context, actor Actor) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, actor.UserID); err != nil {
			return err
		}
		if err := forgetEndedSessions(ctx, tx, actor.UserID); err != nil {
			return err
		}
		if err := s.forgetDevices(ctx, tx, actor.UserID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "session.end_all", ObjectType: "user", ObjectID: actor.UserID})
	})
}

// ListSessions returns userID's live sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]*Session, error) {
	var out []*Session
	now := s.now()
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (*Session, error) { return scanSession(row, "") },
			`SELECT u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, u.credentials, `+sessionColumns+`, s.id_hash
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.created_at DESC`, userID, now)
		return err
	})
	return out, err
}

// SetPendingTOTP keeps a TOTP secret on sess while its user enrols, sealed
// under the data key and bound to the session's row.
func (s *Store) SetPendingTOTP(ctx context.Context, sess *Session, secret string) error {
	sealed, err := s.sealValue("sessions", "pending_totp", sess.IDHash, secret)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET pending_totp = $1 WHERE id_hash = $2`, sealed, sess.IDHash)
		return err
	})
	if err == nil {
		sess.pendingTOTP = sealed
	}
	return err
}

// OpenPendingTOTP returns the TOTP secret being enrolled on sess ("" when
// there is none), for the enrolment page's QR code and for checking the
// first code. It is the only place the pending secret is opened.
func (s *Store) OpenPendingTOTP(sess *Session) (string, error) {
	return s.openValue("sessions", "pending_totp", sess.IDHash, sess.pendingTOTP)
}

// PurgeSessions deletes sessions past their absolute end or unused for
// longer than idleMax (the longest idle limit), and returns how many.
func (s *Store) PurgeSessions(ctx context.Context, idleMax time.Duration) (int64, error) {
	now := s.now()
	var n int64
	err := s.write(ctx, func(tx *Tx) error {
		// Sessions that end here are remembered like those ended on use
		// (TouchSession), so a draft posted after the purge is carried.
		if _, err := tx.Exec(ctx, `INSERT INTO ended_sessions (id_hash, user_id, ended_at)
			SELECT s.id_hash, s.user_id, $1 FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE (s.expires_at <= $1 OR s.last_seen_at < $2) AND u.disabled_at IS NULL
			ON CONFLICT (id_hash) DO NOTHING`, now, now.Add(-idleMax)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, now.Add(-idleMax))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM ended_sessions WHERE ended_at < $1`, now.Add(-EndedSessionKeep)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM carry_uses WHERE used_at < $1`, now.Add(-CarryUseKeep))
		return err
	})
	return n, err
}

// EndedSessionKeep is how long a session that ended by its idle or
// absolute limit is remembered (EndedSession): a note posted with its
// cookie within this time is carried through sign-in for its user.
const EndedSessionKeep = 12 * time.Hour

// CarryUseKeep is how long an applied carried draft's nonce is kept
// (ClaimCarry). It is longer than a carried draft's life (12 hours from
// its post, which came before its use), so a replay is refused for as
// long as the draft could open at all.
const CarryUseKeep = 13 * time.Hour

// EndedSession returns the id of the user whose session with idHash ended
// by its idle or absolute limit within EndedSessionKeep, or "" when there
// is none (never a session, signed out, ended by a password or
// second-factor change, or a disabled account).
func (s *Store) EndedSession(ctx context.Context, idHash string) (string, error) {
	var uid string
	err := s.read(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT e.user_id FROM ended_sessions e JOIN users u ON u.id = e.user_id
			WHERE e.id_hash = $1 AND e.ended_at >= $2 AND u.disabled_at IS NULL`, idHash, s.now().Add(-EndedSessionKeep)).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			uid = ""
			return nil
		}
		return err
	})
	return uid, err
}

// forgetEndedSessions forgets userID's ended sessions, when every session
// of the account ends for its safety (sign out everywhere, a new password
// or second factor, a disabled account): their cookies carry nothing.
func forgetEndedSessions(ctx context.Context, tx *Tx, userID string) error {
	_, err := tx.Exec(ctx, `DELETE FROM ended_sessions WHERE user_id = $1`, userID)
	return err
}

// ClaimCarry records the nonce of a draft carried through sign-in as
// applied by actor, and reports whether it was new: false for one applied
// before (a replay), which the caller must not save. Audited either way.
func (s *Store) ClaimCarry(ctx context.Context, actor Actor, nonce string) (bool, error) {
	if nonce == "" {
		return false, clinic.Errorf(clinic.EInvalid, "A carried draft has no nonce.")
	}
	fresh := false
	err := s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO carry_uses (nonce, user_id, used_at) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING`, nonce, actor.UserID, s.now())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		e := Entry{Action: "carry.apply", ObjectType: "user", ObjectID: actor.UserID}
		if !fresh {
			e.Action, e.Outcome = "carry.replay", OutcomeDenied
		}
		return s.appendAudit(ctx, tx, actor, e)
	})
	return fresh, err
}
