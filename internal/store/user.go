package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// CreateUser validates u, gives it an id and stores it with passwordHash,
// audited as done by actor. Returns EInvalid for bad fields and EConflict
// when the email is taken.
func (s *Store) CreateUser(ctx context.Context, actor Actor, u *clinic.User, passwordHash string) error {
	return s.CreateUserWithTOTP(ctx, actor, u, passwordHash, "")
}

// CreateUserWithTOTP is CreateUser for an account whose second factor is
// set up already (the demo's staff, tests): totpSecret (base32) is sealed
// under the data key. An empty totpSecret is CreateUser.
func (s *Store) CreateUserWithTOTP(ctx context.Context, actor Actor, u *clinic.User, passwordHash, totpSecret string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error { return s.createUser(ctx, tx, actor, u, passwordHash, totpSecret) })
}

func (s *Store) createUser(ctx context.Context, tx *Tx, actor Actor, u *clinic.User, passwordHash, totpSecret string) error {
	u.ID = NewID()
	u.CreatedAt = s.now()
	sealed, err := s.sealValue("users", "totp_secret", u.ID, totpSecret)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO users (id, email, email_lower, display_name, role, password_hash, totp_secret, password_changed_at, created_by, created_at, updated_at, credentials)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8, $10)`,
		u.ID, u.Email, clinic.NormalizeEmail(u.Email), u.DisplayName, string(u.Role), passwordHash, sealed, u.CreatedAt, actor.UserID, u.Credentials)
	if s.d.isUniqueViolation(err) {
		return &clinic.Error{Code: clinic.EConflict, Message: "An account with this email already exists.", Fields: map[string]string{"email": "An account with this email already exists."}}
	}
	if err != nil {
		return err
	}
	u.HasTOTP = totpSecret != ""
	return s.appendAudit(ctx, tx, actor, Entry{Action: "user.create", ObjectType: "user", ObjectID: u.ID, Detail: "role=" + string(u.Role)})
}

const userColumns = `id, email, display_name, role, totp_secret, disabled_at, created_at, credentials`

// scanUser reads userColumns (and extra). Of the sealed TOTP secret it
// keeps only whether there is one (User.HasTOTP).
func scanUser(row interface{ Scan(...any) error }, extra ...any) (*clinic.User, error) {
	var u clinic.User
	var role, totp string
	var disabled sql.NullTime
	dest := append([]any{&u.ID, &u.Email, &u.DisplayName, &role, &totp, &disabled, &u.CreatedAt, &u.Credentials}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, clinic.Errorf(clinic.ENotFound, "No such account.")
		}
		return nil, err
	}
	u.Role = clinic.Role(role)
	u.HasTOTP = totp != ""
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

// FindUserByID returns the account with id and its password hash, or ENotFound.
func (s *Store) FindUserByID(ctx context.Context, id string) (*clinic.User, string, error) {
	var u *clinic.User
	var hash string
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE id = $1`, id), &hash)
		return err
	})
	return u, hash, err
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	})
	return n, err
}

// Accounts is the accounts page: the staff's accounts and the patients'
// (which grow with the practice), each a page at a time by name (then id),
// read by key (see PageKey: the key is a user id), with the count of every
// match; query, when not empty, keeps those whose name or email holds it
// (any case). Audited as one read of the user list (whether a search was
// made, never its words), in the same transaction.
func (s *Store) Accounts(ctx context.Context, actor Actor, query string, staff, patients PageKey) (staffPage, patientPage *Page[*clinic.User], err error) {
	detail := ""
	if query = strings.TrimSpace(query); query != "" {
		detail = "search=1"
	}
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		if staffPage, err = pageAccounts(ctx, tx, false, query, staff); err != nil {
			return err
		}
		if patientPage, err = pageAccounts(ctx, tx, true, query, patients); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "user.list", ObjectType: "user", Detail: detail})
	})
	return staffPage, patientPage, err
}

// pageAccounts reads one page of the patients' accounts, or of the staff's,
// for Accounts.
func pageAccounts(ctx context.Context, tx *Tx, patients bool, query string, k PageKey) (*Page[*clinic.User], error) {
	scope, args := ` FROM users u WHERE u.role <> 'patient'`, []any{}
	if patients {
		scope = ` FROM users u WHERE u.role = 'patient'`
	}
	if query != "" {
		args = append(args, "%"+likeEscape(strings.ToLower(query))+"%")
		scope += ` AND (lower(u.display_name) LIKE $1 ESCAPE '\' OR u.email_lower LIKE $1 ESCAPE '\')`
	}
	cols := make([]string, 0, 8)
	for _, c := range strings.Split(userColumns, ", ") {
		cols = append(cols, "u."+c)
	}
	return readPage(ctx, tx, keyset{Scope: scope, Args: args, Table: "users", Alias: "u", Order: []string{"display_name", "id"}},
		strings.Join(cols, ", "), k, func(row scanner) (*clinic.User, error) { return scanUser(row) }, func(u *clinic.User) string { return u.ID })
}

// Account is one account, for an administrator's page about it (nil
// when there is none). Audited as a read of the user list, naming it.
func (s *Store) Account(ctx context.Context, actor Actor, id string) (*clinic.User, error) {
	var u *clinic.User
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
		if clinic.ErrorCode(err) == clinic.ENotFound {
			u, err = nil, nil
		}
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "user.list", ObjectType: "user", ObjectID: id})
	})
	return u, err
}

// queryUsers runs a query that selects userColumns and returns its accounts.
func queryUsers(ctx context.Context, tx *Tx, q string, args ...any) ([]*clinic.User, error) {
	return queryAll(ctx, tx, func(row scanner) (*clinic.User, error) { return scanUser(row) }, q, args...)
}

// UserNames maps each of ids that is an account's id to its display name
// (the actors of one page of the audit log: what it reads is bounded by the
// page, not by how many accounts there are). It is not audited on its own:
// only pages that audit their own view (the audit log) call it.
func (s *Store) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	var want []string
	for _, id := range ids {
		if id != "" && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	err := s.read(ctx, func(tx *Tx) error {
		for len(want) > 0 {
			batch := want[:min(len(want), 100)]
			want = want[len(batch):]
			ph, args := make([]string, len(batch)), make([]any, len(batch))
			for i, id := range batch {
				ph[i], args[i] = "$"+strconv.Itoa(i+1), id
			}
			got, err := queryMap(ctx, tx, func(row scanner) (id, name string, err error) {
				err = row.Scan(&id, &name)
				return id, name, err
			}, `SELECT id, display_name FROM users WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
			if err != nil {
				return err
			}
			maps.Copy(names, got)
		}
		return nil
	})
	return names, err
}

// ListStaff returns the enabled accounts with role, by name.
func (s *Store) ListStaff(ctx context.Context, role clinic.Role) ([]*clinic.User, error) {
	var out []*clinic.User
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryUsers(ctx, tx, `SELECT `+userColumns+` FROM users WHERE role = $1 AND disabled_at IS NULL ORDER BY lower(display_name), id`, string(role))
		return err
	})
	return out, err
}

// SetUserDisabled disables (or enables) an account. Disabling ends every
// session of the account and revokes its calendar feeds and API tokens,
// so enabling it again brings back none of them: the person makes new
// ones. Audited (the feeds' and tokens' revocation too, when there were
// live ones).
func (s *Store) SetUserDisabled(ctx context.Context, actor Actor, userID string, disabled bool) error {
	if !actor.may(auth.PermAccounts) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that account.")
	}
	return s.write(ctx, func(tx *Tx) error {
		var at any
		action := "user.enable"
		if disabled {
			at, action = s.now(), "user.disable"
		}
		res, err := tx.Exec(ctx, `UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3`, at, s.now(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "No such account.")
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
				return err
			}
			if err := forgetEndedSessions(ctx, tx, userID); err != nil {
				return err
			}
			if err := s.forgetDevices(ctx, tx, userID); err != nil {
				return err
			}
			res, err := tx.Exec(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, s.now(), userID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.feed.revoke", ObjectType: "user", ObjectID: userID, Detail: "reason=user.disable"}); err != nil {
					return err
				}
			}
			if err := s.revokeAPITokens(ctx, tx, actor, userID, "user.disable"); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "user", ObjectID: userID})
	})
}

// SetPassword stores a new password hash for userID and ends every session
// of the account. Audited with action (password.change or password.reset).
func (s *Store) SetPassword(ctx context.Context, actor Actor, userID, hash, action string) error {
	return s.write(ctx, func(tx *Tx) error { return s.setPassword(ctx, tx, actor, userID, hash, action, "") })
}

func (s *Store) setPassword(ctx context.Context, tx *Tx, actor Actor, userID, hash, action, patientID string) error {
	now := s.now()
	res, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3`, hash, now, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return clinic.Errorf(clinic.ENotFound, "No such account.")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if err := forgetEndedSessions(ctx, tx, userID); err != nil {
		return err
	}
	if err := s.forgetDevices(ctx, tx, userID); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: action, PatientID: patientID, ObjectType: "user", ObjectID: userID})
}

// SetTOTP turns on (secret not empty) or off a user's second factor,
// replaces their recovery codes with recoveryHashes, and ends every session
// of the account. The secret is stored sealed under the data key (bound to
// the user's row). Audited as mfa.enrol or mfa.reset.
func (s *Store) SetTOTP(ctx context.Context, actor Actor, userID, secret string, recoveryHashes []string) error {
	sealed, err := s.sealValue("users", "totp_secret", userID, secret)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET totp_secret = $1, totp_last_step = 0, updated_at = $2 WHERE id = $3`, sealed, s.now(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "No such account.")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range recoveryHashes {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if err := forgetEndedSessions(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.forgetDevices(ctx, tx, userID); err != nil {
			return err
		}
		action := "mfa.enrol"
		if secret == "" {
			action = "mfa.reset"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "user", ObjectID: userID})
	})
}

// UseRecoveryCode marks one unused recovery code of userID as used and
// reports whether there was one with codeHash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, codeHash string) (bool, error) {
	var ok bool
	err := s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, s.now(), userID, codeHash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// CountRecoveryCodes returns how many unused recovery codes userID has.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	})
	return n, err
}

// MatchTOTP checks code against userID's TOTP secret near now and returns
// the time step it belongs to (for UseTOTPStep). It is the one place a
// user's secret is opened; the secret never leaves the store. ok is false
// for a wrong code or a user without a second factor; a sealed secret that
// does not open (copied from another row, changed, or under a key the key
// file lacks) is an error, so the sign-in fails and the operator hears of it.
func (s *Store) MatchTOTP(ctx context.Context, userID, code string, now time.Time) (step int64, ok bool, err error) {
	var sealed string
	err = s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1`, userID).Scan(&sealed)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil || sealed == "" {
		return 0, false, err
	}
	secret, err := s.openValue("users", "totp_secret", userID, sealed)
	if err != nil {
		return 0, false, err
	}
	step, ok = auth.MatchTOTP(secret, code, now)
	return step, ok, nil
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

// SetSetting stores a practice setting, audited as done by actor. The
// dosing thresholds are not set here: they are the prescriber's, set with
// SaveThresholds within their bounds (issue 12, defect 10).
func (s *Store) SetSetting(ctx context.Context, actor Actor, key, value string) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if slices.Contains(ThresholdKeys(), key) {
		return clinic.Errorf(clinic.EForbidden, "The dosing thresholds are the prescriber's: they are changed on the session safety settings page.")
	}
	return s.write(ctx, func(tx *Tx) error { return s.setSettingIn(ctx, tx, actor, key, value) })
}

// setSettingIn stores one practice setting inside tx, audited.
func (s *Store) setSettingIn(ctx context.Context, tx *Tx, actor Actor, key, value string) error {
	return s.setSettingDetail(ctx, tx, actor, key, value, "")
}

// setSettingDetail stores one practice setting inside tx, audited with
// detail (never PHI).
func (s *Store) setSettingDetail(ctx context.Context, tx *Tx, actor Actor, key, value, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO practice_settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, s.now())
	if err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: "setting.change", ObjectType: "setting", ObjectID: key, Detail: detail})
}

// Setting returns a practice setting, or def when it is not set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	v := def
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		v, err = settingIn(ctx, tx, key, def)
		return err
	})
	return v, err
}

// settingIn reads a practice setting inside tx, or def when it is not set.
func settingIn(ctx context.Context, tx *Tx, key, def string) (string, error) {
	v := def
	err := tx.QueryRow(ctx, `SELECT value FROM practice_settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	return v, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
