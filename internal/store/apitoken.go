package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
)

// TokenScope is what a personal API token may do: read, or read and write.
// The token never widens what its account may do (the access policy
// decides that, as on the web); the scope only narrows it.
type TokenScope string

// Token scopes.
const (
	ScopeRead  TokenScope = "read"
	ScopeWrite TokenScope = "write"
)

// Valid reports whether sc is a scope kapstone knows.
func (sc TokenScope) Valid() bool { return sc == ScopeRead || sc == ScopeWrite }

// Writes reports whether a token of scope sc may change data.
func (sc TokenScope) Writes() bool { return sc == ScopeWrite }

// Rules of personal API tokens.
const (
	// APITokenDefaultTTL is how long a token lives when no one chooses.
	APITokenDefaultTTL = 30 * 24 * time.Hour
	// APITokenMaxTTL is the longest a token may live: every token expires.
	APITokenMaxTTL = 365 * 24 * time.Hour
	// APITokenMinTTL is the shortest (a script's one run).
	APITokenMinTTL = 5 * time.Minute
	// APITokenLimit is how many live tokens one account may hold; an
	// account list of them is then bounded too (ListAPITokens).
	APITokenLimit = 20
	// APITokenLabelMax is the longest label, in characters.
	APITokenLabelMax = 100
	// APITokenPrefix starts every token, so a leaked one is recognisable
	// (secret scanners, logs) and a malformed one is told apart from a
	// wrong one.
	APITokenPrefix = "kap_"
	// apiTokenTouchEvery is how stale last_used_at may be before a use
	// moves it: at most one write a minute per token, however many
	// requests it makes.
	apiTokenTouchEvery = time.Minute
)

// NewAPIToken returns a new token: APITokenPrefix and 256 random bits.
func NewAPIToken() string { return APITokenPrefix + auth.NewToken() }

// WellFormedAPIToken reports whether tok has the form NewAPIToken makes
// (the prefix, then 43 base64url characters), without asking the database.
func WellFormedAPIToken(tok string) bool {
	rest, ok := strings.CutPrefix(tok, APITokenPrefix)
	if !ok || len(rest) != 43 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// APIToken is one personal API token as its owner sees it: never the
// token itself, which is shown once when it is made.
type APIToken struct {
	ID         string
	UserID     string
	Label      string
	Scope      TokenScope
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero when not revoked
}

// APITokenInput is what a new token is made of. TTL 0 is
// APITokenDefaultTTL.
type APITokenInput struct {
	Label string
	Scope TokenScope
	TTL   time.Duration
}

// Check validates in, filling in the default TTL, and returns EInvalid with
// a message at each bad field: label, scope, ttl.
func (in *APITokenInput) Check() error {
	fe := clinic.FieldErrors{}
	in.Label = strings.TrimSpace(in.Label)
	switch {
	case in.Label == "":
		fe.Add("label", "Give the token a name, such as the script or app that will use it.")
	case utf8.RuneCountInString(in.Label) > APITokenLabelMax:
		fe.Add("label", "Use at most 100 characters.")
	}
	clinic.CheckLine(fe, "label", in.Label)
	if !in.Scope.Valid() {
		fe.Add("scope", "Choose read, or read and write.")
	}
	if in.TTL == 0 {
		in.TTL = APITokenDefaultTTL
	}
	if in.TTL < APITokenMinTTL || in.TTL > APITokenMaxTTL {
		fe.Add("ttl", "Choose an expiry between 5 minutes and 1 year.")
	}
	return fe.Err()
}

// CreateAPIToken makes a personal API token for actor's own account with
// in's label, scope and lifetime, and returns the token (shown to them
// once: only its hash is kept) and its record. Refused with EInvalid at a
// field for a bad label, scope or lifetime, or when the account holds
// APITokenLimit live tokens already; with EForbidden for a staff account
// without two-step verification (a token acts as its account without
// the second factor, so only an account that has one may make it). A
// disabled account cannot make one. Audited (apitoken.create).
func (s *Store) CreateAPIToken(ctx context.Context, actor Actor, in APITokenInput) (string, *APIToken, error) {
	if actor.UserID == "" {
		return "", nil, clinic.Errorf(clinic.ENotFound, "We could not find that account.")
	}
	return s.createAPIToken(ctx, actor, actor.UserID, in)
}

// CreateAPITokenFor makes a token for the account userID as
// CreateAPIToken does, for the command line (`kapstone token create`):
// audited as the system acting for that account, under the same rules.
// An unknown account is ENotFound; a disabled one EForbidden.
func (s *Store) CreateAPITokenFor(ctx context.Context, userID string, in APITokenInput) (string, *APIToken, error) {
	return s.createAPIToken(ctx, System, userID, in)
}

func (s *Store) createAPIToken(ctx context.Context, actor Actor, userID string, in APITokenInput) (string, *APIToken, error) {
	if err := in.Check(); err != nil {
		return "", nil, err
	}
	token := NewAPIToken()
	t := &APIToken{ID: NewID(), UserID: userID, Label: in.Label, Scope: in.Scope}
	err := s.write(ctx, func(tx *Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return clinic.Errorf(clinic.EForbidden, "This account is disabled, so it cannot have API tokens.")
		}
		// Staff must sign in with a second factor (session.go); a token
		// is a way in without one, so only an account that has one may
		// make it. Patients' second factor is optional, and so it is here.
		if auth.Can(u.Role, auth.RelNone, auth.PermStaffApp) && !u.HasTOTP {
			return clinic.Errorf(clinic.EForbidden, "Set up two-step verification before you make an API token.")
		}
		now := s.now()
		var live int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND client_id = '' AND revoked_at IS NULL AND expires_at > $2`, userID, now).Scan(&live); err != nil {
			return err
		}
		if live >= APITokenLimit {
			msg := "You have 20 live tokens, the most an account may hold. Revoke one you no longer use first."
			return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"label": msg}}
		}
		t.CreatedAt, t.ExpiresAt = now, now.Add(in.TTL)
		createdBy := actor.UserID
		if createdBy == "" {
			createdBy = string(actor.Role)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, label, scope, token_hash, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, userID, t.Label, string(t.Scope), auth.HashToken(token), createdBy, t.CreatedAt, t.ExpiresAt); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "apitoken.create", ObjectType: "api_token", ObjectID: t.ID,
			Detail: "user=" + userID + " scope=" + string(t.Scope) + " expires=" + t.ExpiresAt.Format(time.RFC3339)})
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

const apiTokenColumns = `id, user_id, label, scope, created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(r scanner) (*APIToken, error) {
	var t APIToken
	var scope string
	var used, revoked sql.NullTime
	if err := r.Scan(&t.ID, &t.UserID, &t.Label, &scope, &t.CreatedAt, &t.ExpiresAt, &used, &revoked); err != nil {
		return nil, err
	}
	t.Scope = TokenScope(scope)
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	if used.Valid {
		t.LastUsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		t.RevokedAt = revoked.Time.UTC()
	}
	return &t, nil
}

// ListAPITokens returns actor's own live tokens (not revoked, not
// expired), newest first, at most limit of them (an account holds at
// most APITokenLimit).
func (s *Store) ListAPITokens(ctx context.Context, actor Actor, limit int) ([]*APIToken, error) {
	if actor.UserID == "" {
		return nil, nil
	}
	limit = min(max(limit, 1), APITokenLimit)
	var out []*APIToken
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens
			WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT $3`, actor.UserID, s.now(), limit)
		return err
	})
	return out, err
}

// RevokeAPIToken ends the token id at once: actor's own, or, for those
// who manage accounts (auth.PermAccounts: admins, the system), anyone's.
// Another's token, or one that does not exist, is ENotFound (the same
// answer, so ids cannot be probed). Revoking a token already revoked or
// expired changes nothing and is not an error. Audited (apitoken.revoke).
func (s *Store) RevokeAPIToken(ctx context.Context, actor Actor, id string) error {
	return s.write(ctx, func(tx *Tx) error {
		var owner string
		var revoked sql.NullTime
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT user_id, revoked_at, expires_at FROM api_tokens WHERE id = $1`, id).Scan(&owner, &revoked, &expires)
		if errors.Is(err, sql.ErrNoRows) || err == nil && ownRelation(actor, owner) != auth.RelSelf && !actor.may(auth.PermAccounts) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that token. It may have been revoked already.")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if revoked.Valid || !expires.After(now) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL`, now, actor.UserID, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "apitoken.revoke", ObjectType: "api_token", ObjectID: id, Detail: "user=" + owner})
	})
}

// revokeAPITokens revokes every live token of userID inside tx (the
// account is being disabled), audited as one row when there were any.
func (s *Store) revokeAPITokens(ctx context.Context, tx *Tx, actor Actor, userID, reason string) error {
	res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE user_id = $3 AND revoked_at IS NULL`, s.now(), actor.UserID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: "apitoken.revoke", ObjectType: "user", ObjectID: userID, Detail: "reason=" + reason})
}

// APICaller is who a valid API token speaks for: its account as an Actor
// (no address or request id: the caller adds those), the token's scope
// and id.
type APICaller struct {
	Actor   Actor
	Scope   TokenScope
	TokenID string
	// SMART is the token's granted SMART scopes when an app's token
	// (issue 19: smart.go), nil for a personal token; the FHIR API allows
	// only the types and interactions they name.
	SMART *smart.Set
	// PatientID is a SMART token's patient context: it sees that patient
	// alone (anything else is not found).
	PatientID string
	// ClientID is the SMART app the token was issued to.
	ClientID string
}

// errTokenNotValid is the one answer to every token that does not work:
// unknown, malformed, expired, revoked, or of a disabled account. Telling
// them apart would tell a holder of a stolen token which.
var errTokenNotValid = clinic.Errorf(clinic.EUnauthorized, "This API token is not valid. It may have expired or been revoked; make a new one under Your account.")

// ErrAPITokenNotValid reports whether err is AuthenticateAPIToken's answer
// to a token that does not work (as opposed to a database failure).
func ErrAPITokenNotValid(err error) bool { return err == errTokenNotValid }

// AuthenticateAPIToken returns who token speaks for. Every token that does
// not work (malformed, unknown, expired, revoked, its account disabled)
// gets the same EUnauthorized error (ErrAPITokenNotValid); a database
// failure is returned as it is. The lookup is by the token's SHA-256,
// never by the token: the index compares hashes an attacker cannot steer,
// so its timing says nothing about a stored token. A use moves the
// token's last_used_at when it is older than a minute, in a write of its
// own; other uses only read. Nothing is audited here: the request the
// token makes is (the caller's job, one row per request).
func (s *Store) AuthenticateAPIToken(ctx context.Context, token string) (*APICaller, error) {
	if !WellFormedAPIToken(token) {
		return nil, errTokenNotValid
	}
	hash := auth.HashToken(token)
	now := s.now()
	var c APICaller
	var scope, role, smartScope string
	var used sql.NullTime
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT t.id, t.scope, t.last_used_at, u.id, u.role, t.client_id, t.smart_scope, t.patient_id FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.disabled_at IS NULL`, hash, now).
			Scan(&c.TokenID, &scope, &used, &c.Actor.UserID, &role, &c.ClientID, &smartScope, &c.PatientID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenNotValid
	}
	if err != nil {
		return nil, err
	}
	c.Scope, c.Actor.Role = TokenScope(scope), clinic.Role(role)
	if c.ClientID != "" {
		set, err := smart.Parse(smartScope)
		if err != nil {
			return nil, errTokenNotValid
		}
		c.SMART = &set
	}
	if !used.Valid || now.Sub(used.Time) >= apiTokenTouchEvery {
		err := s.write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`, now, c.TokenID, now.Add(-apiTokenTouchEvery))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return &c, nil
}
