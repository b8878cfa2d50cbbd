package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

// DeviceLifetime is how long a remembered device stays known without a full
// sign-in from it.
const DeviceLifetime = 90 * 24 * time.Hour

// Device is a browser where an account was fully signed in (password and,
// if the account has one, second factor). Only the hash of its token is
// stored; ID names it on the account page and in the audit log. A device
// known to an account has its own count of failed sign-ins, so failures
// from anywhere else cannot lock its owner out of it (issue 14, finding 4).
type Device struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	UserAgent  string
	TokenHash  string // set by KnownDevice only: the hash that matched
}

func scanDevice(row scanner) (*Device, error) {
	var d Device
	if err := row.Scan(&d.ID, &d.UserID, &d.CreatedAt, &d.LastUsedAt, &d.UserAgent); err != nil {
		return nil, err
	}
	d.CreatedAt, d.LastUsedAt = d.CreatedAt.UTC(), d.LastUsedAt.UTC()
	return &d, nil
}

const deviceColumns = `id, user_id, created_at, last_used_at, user_agent`

// KnownDevice returns the live device of userID whose token hash is one of
// hashes, or nil when none is. A device is live until it is forgotten or
// goes unused for DeviceLifetime. Every hash is looked up whatever userID
// is (even ""), so the answer takes the same time for any account.
func (s *Store) KnownDevice(ctx context.Context, userID string, hashes []string) (*Device, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	var found *Device
	since := s.now().Add(-DeviceLifetime)
	err := s.read(ctx, func(tx *Tx) error {
		for _, h := range hashes {
			d, err := scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE token_hash = $1 AND revoked_at IS NULL AND last_used_at > $2`, h, since))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if found == nil && userID != "" && d.UserID == userID {
				d.TokenHash = h
				found = d
			}
		}
		return nil
	})
	return found, err
}

// RememberDevice records a full sign-in of actor's account from a browser.
// When knownID names a live device of the account its last use moves on
// and it is returned with false. Otherwise a new device with token hash
// newHash is stored, audited as device.remember (its id only, no token),
// and returned with true.
func (s *Store) RememberDevice(ctx context.Context, actor Actor, knownID, newHash, userAgent string) (*Device, bool, error) {
	now := s.now()
	var d *Device
	made := false
	err := s.write(ctx, func(tx *Tx) error {
		if knownID != "" {
			res, err := tx.Exec(ctx, `UPDATE devices SET last_used_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL AND last_used_at > $4`,
				now, knownID, actor.UserID, now.Add(-DeviceLifetime))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				var err error
				d, err = scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, knownID))
				return err
			}
		}
		d = &Device{ID: NewID(), UserID: actor.UserID, CreatedAt: now, LastUsedAt: now, UserAgent: truncate(userAgent, 300)}
		if _, err := tx.Exec(ctx, `INSERT INTO devices (id, token_hash, user_id, created_at, last_used_at, user_agent) VALUES ($1, $2, $3, $4, $4, $5)`,
			d.ID, newHash, d.UserID, now, d.UserAgent); err != nil {
			return err
		}
		made = true
		return s.appendAudit(ctx, tx, actor, Entry{Action: "device.remember", ObjectType: "device", ObjectID: d.ID})
	})
	return d, made, err
}

// ListDevices returns userID's live devices, most recently used first.
func (s *Store) ListDevices(ctx context.Context, userID string) ([]*Device, error) {
	var out []*Device
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanDevice, `SELECT `+deviceColumns+` FROM devices WHERE user_id = $1 AND revoked_at IS NULL AND last_used_at > $2 ORDER BY last_used_at DESC, id`,
			userID, s.now().Add(-DeviceLifetime))
		return err
	})
	return out, err
}

// ForgetDevice revokes actor's own device id (or, when id is "", every
// device of actor's account), so it is counted with everyone else again.
// Another account's device is ENotFound. Audited as device.forget.
func (s *Store) ForgetDevice(ctx context.Context, actor Actor, id string) error {
	return s.write(ctx, func(tx *Tx) error {
		q, args := `UPDATE devices SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, []any{s.now(), actor.UserID}
		obj, typ := actor.UserID, "user"
		if id != "" {
			q += ` AND id = $3`
			args = append(args, id)
			obj, typ = id, "device"
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); id != "" && n != 1 {
			return clinic.Errorf(clinic.ENotFound, "That device is not remembered.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "device.forget", ObjectType: typ, ObjectID: obj})
	})
}

// forgetDevices revokes every remembered device of userID, in tx: after a
// password change or reset, a second-factor reset, "sign out everywhere"
// or disabling the account, a browser that signed in before is counted
// with everyone else until it signs in fully again.
func (s *Store) forgetDevices(ctx context.Context, tx *Tx, userID string) error {
	_, err := tx.Exec(ctx, `UPDATE devices SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, s.now(), userID)
	return err
}
