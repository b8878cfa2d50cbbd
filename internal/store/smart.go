package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
)

// SMART App Launch 2 (issue 19): the apps an administrator registers, the
// codes a person's consent gives them, and the access tokens those codes
// and backend clients' signed assertions are exchanged for. The access
// tokens are api_tokens rows, so the FHIR API authenticates them as it
// does personal tokens (AuthenticateAPIToken), with their granted scopes
// and patient context; the scope only ever narrows what the account's
// access policy allows.

// SMART client kinds.
const (
	// SMARTPublic is an app a person authorises in the browser
	// (authorization code, PKCE S256, no client secret).
	SMARTPublic = "public"
	// SMARTBackend is a backend service: client_credentials with a JWT
	// signed by a key of its registered JWKS, acting as one account.
	SMARTBackend = "backend"
)

// Lifetimes of SMART grants.
const (
	// SMARTCodeTTL is how long an authorization code lives.
	SMARTCodeTTL = time.Minute
	// SMARTUserTokenTTL is the life of a token a person authorised.
	SMARTUserTokenTTL = time.Hour
	// SMARTBackendTokenTTL is the life of a backend client's token.
	SMARTBackendTokenTTL = 5 * time.Minute
)

// SMARTClient is one registered app.
type SMARTClient struct {
	ID           string // the client_id
	Name         string
	Kind         string // SMARTPublic or SMARTBackend
	RedirectURIs []string
	JWKS         string // backend: its public keys, as registered
	Scopes       string // what it may ever be granted
	UserID       string // backend: the account it acts as
	UserEmail    string // backend: that account's email (lists)
	CreatedBy    string
	CreatedAt    time.Time
	RevokedAt    time.Time // zero while live
}

// SMARTClientInput registers an app. RedirectURIs is one per line.
type SMARTClientInput struct {
	Name         string
	Kind         string
	RedirectURIs string
	JWKS         string
	Scopes       string
	UserEmail    string // backend: the account it acts as
}

// check validates in (not the account, which needs the database) and
// returns the parsed redirect URIs and scopes.
func (in *SMARTClientInput) check() ([]string, smart.Set, clinic.FieldErrors) {
	fe := clinic.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		fe.Add("name", "Give the app a name people will recognise on the consent page.")
	case utf8.RuneCountInString(in.Name) > 100:
		fe.Add("name", "Use at most 100 characters.")
	}
	clinic.CheckLine(fe, "name", in.Name)
	var uris []string
	set, err := smart.Parse(in.Scopes)
	if err != nil {
		fe.Add("scopes", "Write scopes as patient/Observation.rs, user/*.rs or system/*.rs, separated by spaces.")
	}
	switch in.Kind {
	case SMARTPublic:
		set = set.OnlyContexts(smart.Patient, smart.User)
		for line := range strings.Lines(in.RedirectURIs) {
			if line = strings.TrimSpace(line); line != "" {
				uris = append(uris, line)
			}
		}
		if len(uris) == 0 || len(uris) > 10 {
			fe.Add("redirect_uris", "Give between 1 and 10 redirect URIs, one a line.")
		}
		for _, u := range uris {
			if !validRedirect(u) {
				fe.Add("redirect_uris", "Each redirect URI must be an absolute https URL (http only for localhost), without a fragment.")
				break
			}
		}
	case SMARTBackend:
		set = set.OnlyContexts(smart.System)
		set.LaunchPatient = false
		if _, err := smart.ParseJWKS([]byte(in.JWKS)); err != nil {
			fe.Add("jwks", "The key set is not usable: "+err.Error()+".")
		}
		if strings.TrimSpace(in.UserEmail) == "" {
			fe.Add("user_email", "Name the account the service acts as.")
		}
	default:
		fe.Add("kind", "Choose an app people sign in to, or a backend service.")
	}
	set = smart.Intersect(set, smart.Offered)
	if err == nil && set.Empty() {
		fe.Add("scopes", "None of these scopes can be granted: kapstone grants read and search (rs), and create of QuestionnaireResponse; backend services get system/ scopes, apps patient/ and user/.")
	}
	return uris, set, fe
}

// validRedirect reports whether u can be a registered redirect URI.
func validRedirect(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Fragment != "" || strings.Contains(u, "#") || p.Host == "" || p.User != nil || len(u) > 500 {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		h := p.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}

// RegisterSMARTClient registers an app (auth.PermAccounts: administrators
// and the system). Refused with EInvalid at a field for a bad name, kind,
// redirect URI, key set, scope or account (unknown or disabled). Its
// allowed scopes are what it asked for as far as kapstone grants them.
// Audited (smartclient.create).
func (s *Store) RegisterSMARTClient(ctx context.Context, actor Actor, in SMARTClientInput) (*SMARTClient, error) {
	if !actor.may(auth.PermAccounts) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	uris, set, fe := in.check()
	c := &SMARTClient{ID: "app_" + auth.NewToken()[:22], Name: in.Name, Kind: in.Kind, RedirectURIs: uris, Scopes: set.String()}
	if in.Kind == SMARTBackend {
		c.JWKS = strings.TrimSpace(in.JWKS)
	}
	err := s.write(ctx, func(tx *Tx) error {
		if in.Kind == SMARTBackend && strings.TrimSpace(in.UserEmail) != "" {
			u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_lower = $1`, clinic.NormalizeEmail(in.UserEmail)))
			switch {
			case errors.Is(err, sql.ErrNoRows) || clinic.ErrorCode(err) == clinic.ENotFound:
				fe.Add("user_email", "No account has that email.")
			case err != nil:
				return err
			case u.DisabledAt != nil:
				fe.Add("user_email", "That account is disabled.")
			default:
				c.UserID, c.UserEmail = u.ID, u.Email
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		c.CreatedAt, c.CreatedBy = s.now(), actor.UserID
		var user any
		if c.UserID != "" {
			user = c.UserID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO smart_clients (id, name, kind, redirect_uris, jwks, scopes, user_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.ID, c.Name, c.Kind, strings.Join(uris, "\n"), c.JWKS, c.Scopes, user, c.CreatedBy, c.CreatedAt); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "smartclient.create", ObjectType: "smart_client", ObjectID: c.ID,
			Detail: "kind=" + c.Kind + " scopes=" + c.Scopes + " user=" + c.UserID})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

const smartClientColumns = `c.id, c.name, c.kind, c.redirect_uris, c.jwks, c.scopes, coalesce(c.user_id, ''), coalesce(u.email, ''), c.created_by, c.created_at, c.revoked_at`

const smartClientFrom = ` FROM smart_clients c LEFT JOIN users u ON u.id = c.user_id`

func scanSMARTClient(r scanner) (*SMARTClient, error) {
	var c SMARTClient
	var uris string
	var revoked sql.NullTime
	if err := r.Scan(&c.ID, &c.Name, &c.Kind, &uris, &c.JWKS, &c.Scopes, &c.UserID, &c.UserEmail, &c.CreatedBy, &c.CreatedAt, &revoked); err != nil {
		return nil, err
	}
	if uris != "" {
		c.RedirectURIs = strings.Split(uris, "\n")
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if revoked.Valid {
		c.RevokedAt = revoked.Time.UTC()
	}
	return &c, nil
}

// ListSMARTClients returns the registered apps, live ones first, newest
// first, at most 200 (auth.PermAccounts).
func (s *Store) ListSMARTClients(ctx context.Context, actor Actor) ([]*SMARTClient, error) {
	if !actor.may(auth.PermAccounts) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []*SMARTClient
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanSMARTClient, `SELECT `+smartClientColumns+smartClientFrom+`
			ORDER BY CASE WHEN c.revoked_at IS NULL THEN 0 ELSE 1 END, c.created_at DESC, c.id LIMIT 200`)
		return err
	})
	return out, err
}

// SMARTClientByID returns the live app clientID, or ENotFound (unknown or
// revoked: one answer). It needs no actor: the authorization and token
// endpoints ask it before anyone is known.
func (s *Store) SMARTClientByID(ctx context.Context, clientID string) (*SMARTClient, error) {
	var c *SMARTClient
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		c, err = scanSMARTClient(tx.QueryRow(ctx, `SELECT `+smartClientColumns+smartClientFrom+` WHERE c.id = $1 AND c.revoked_at IS NULL`, clientID))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) || clinic.ErrorCode(err) == clinic.ENotFound {
		return nil, clinic.Errorf(clinic.ENotFound, "No app is registered with that client_id.")
	}
	return c, err
}

// RevokeSMARTClient ends an app and every live token it holds, at once
// (auth.PermAccounts). Unknown is ENotFound; revoking a revoked app
// changes nothing. Audited (smartclient.revoke).
func (s *Store) RevokeSMARTClient(ctx context.Context, actor Actor, id string) error {
	if !actor.may(auth.PermAccounts) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that app.")
	}
	return s.write(ctx, func(tx *Tx) error {
		var revoked sql.NullTime
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM smart_clients WHERE id = $1`, id).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that app.")
		}
		if err != nil || revoked.Valid {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE smart_clients SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, now, actor.UserID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE client_id = $3 AND revoked_at IS NULL`, now, actor.UserID, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "smartclient.revoke", ObjectType: "smart_client", ObjectID: id})
	})
}

// SMARTGrant is what an app would be granted for a person: the scopes
// (the request, as far as the app's registration and kapstone allow) and
// the patient context. Only an account with its own patient record (a
// patient) gets a patient context, which is then that record; for any
// other account launch/patient and patient/ scopes are not granted
// (kapstone has no patient picker yet).
type SMARTGrant struct {
	Scopes    smart.Set
	PatientID string
}

// GrantSMART works out what client would be granted when actor
// authorises requested. EInvalid (invalid_scope) when nothing would be.
func (s *Store) GrantSMART(ctx context.Context, actor Actor, client *SMARTClient, requested smart.Set) (*SMARTGrant, error) {
	var g *SMARTGrant
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		g, err = s.grantSMART(ctx, tx, actor, client, requested)
		return err
	})
	return g, err
}

func (s *Store) grantSMART(ctx context.Context, tx *Tx, actor Actor, client *SMARTClient, requested smart.Set) (*SMARTGrant, error) {
	if client.Kind != SMARTPublic {
		return nil, &smart.OAuthError{Code: "unauthorized_client", Description: "A backend service uses client_credentials, not a person's consent."}
	}
	allowed, _ := smart.Parse(client.Scopes)
	allowed.LaunchPatient = true
	set := smart.Intersect(smart.Intersect(requested.OnlyContexts(smart.Patient, smart.User), allowed), smart.Offered)
	g := &SMARTGrant{}
	err := tx.QueryRow(ctx, `SELECT id FROM patients WHERE user_id = $1 AND archived_at IS NULL`, actor.UserID).Scan(&g.PatientID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if g.PatientID == "" {
		set = set.OnlyContexts(smart.User)
		set.LaunchPatient = false
	} else if set.LaunchPatient || len(set.OnlyContexts(smart.Patient).Scopes) > 0 {
		set.LaunchPatient = true
	} else {
		g.PatientID = ""
	}
	if set.Empty() {
		return nil, &smart.OAuthError{Code: "invalid_scope", Description: "None of the scopes asked for can be granted to this app for this account."}
	}
	g.Scopes = set
	return g, nil
}

// AuthCodeInput is a person's consent to an app's request.
type AuthCodeInput struct {
	ClientID    string
	RedirectURI string
	Challenge   string // PKCE S256
	Scopes      smart.Set
}

// CreateSMARTCode records actor's consent and returns the authorization
// code (single use, SMARTCodeTTL) and what it grants. The app must be a
// live public one, the redirect URI one it registered exactly, the
// challenge an S256 one. Audited (smart.authorize).
func (s *Store) CreateSMARTCode(ctx context.Context, actor Actor, in AuthCodeInput) (string, *SMARTGrant, error) {
	if actor.UserID == "" {
		return "", nil, clinic.Errorf(clinic.EUnauthorized, "Sign in first.")
	}
	client, err := s.SMARTClientByID(ctx, in.ClientID)
	if err != nil {
		return "", nil, err
	}
	if !client.HasRedirect(in.RedirectURI) {
		return "", nil, clinic.Errorf(clinic.EInvalid, "The redirect_uri is not one this app registered.")
	}
	if !smart.ValidChallenge(in.Challenge) {
		return "", nil, clinic.Errorf(clinic.EInvalid, "A PKCE code_challenge (S256) is required.")
	}
	code := "kac_" + auth.NewToken()
	var g *SMARTGrant
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		if g, err = s.grantSMART(ctx, tx, actor, client, in.Scopes); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_codes WHERE expires_at < $1`, now.Add(-time.Hour)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, challenge, scopes, patient_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, auth.HashToken(code), client.ID, actor.UserID, in.RedirectURI, in.Challenge, g.Scopes.String(), g.PatientID, now, now.Add(SMARTCodeTTL)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "smart.authorize", PatientID: g.PatientID, ObjectType: "smart_client", ObjectID: client.ID, Detail: "scope=" + g.Scopes.String()})
	})
	if err != nil {
		return "", nil, err
	}
	return code, g, nil
}

// HasRedirect reports whether uri is exactly one of c's redirect URIs.
func (c *SMARTClient) HasRedirect(uri string) bool {
	for _, u := range c.RedirectURIs {
		if u == uri {
			return true
		}
	}
	return false
}

// SMARTToken is an issued access token, as the token endpoint answers it.
type SMARTToken struct {
	AccessToken string
	ExpiresIn   int
	Scope       string
	PatientID   string
}

// ExchangeSMARTCode swaps an authorization code for an access token: the
// code must exist, be unused and unexpired, and have been given to
// clientID for redirectURI, and verifier's S256 must be its challenge.
// Every refusal is an *smart.OAuthError (invalid_grant); a code used a
// second time also revokes the token it gave (RFC 6749 4.1.2), audited as
// a failure. The token is audited (smart.token), as its account.
func (s *Store) ExchangeSMARTCode(ctx context.Context, origin Actor, clientID, code, redirectURI, verifier string) (*SMARTToken, error) {
	bad := &smart.OAuthError{Code: "invalid_grant", Description: "The code is not valid: unknown, expired, used already, or given to another app or redirect_uri."}
	if !strings.HasPrefix(code, "kac_") || len(code) > 100 {
		return nil, bad
	}
	var tok *SMARTToken
	var refused error
	err := s.write(ctx, func(tx *Tx) error {
		var cl, user, redirect, challenge, scopes, patient, tokenID string
		var expires time.Time
		var used sql.NullTime
		err := tx.QueryRow(ctx, `SELECT client_id, user_id, redirect_uri, challenge, scopes, patient_id, expires_at, used_at, token_id FROM oauth_codes WHERE code_hash = $1`, auth.HashToken(code)).
			Scan(&cl, &user, &redirect, &challenge, &scopes, &patient, &expires, &used, &tokenID)
		if errors.Is(err, sql.ErrNoRows) {
			refused = bad
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		// usedTwice refuses a code already exchanged and revokes the token
		// it gave (RFC 6749 §4.1.2).
		usedTwice := func(tokenID string) error {
			refused = bad
			if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = 'system' WHERE id = $2 AND revoked_at IS NULL`, now, tokenID); err != nil {
				return err
			}
			return s.appendAudit(ctx, tx, origin, Entry{Action: "smart.token", Outcome: OutcomeFailure, ObjectType: "smart_client", ObjectID: cl, Detail: "code used twice; its token revoked"})
		}
		if used.Valid {
			return usedTwice(tokenID)
		}
		if cl != clientID || redirect != redirectURI || !expires.After(now) || !smart.VerifyPKCE(verifier, challenge) {
			refused = bad
			return nil
		}
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM smart_clients WHERE id = $1 AND revoked_at IS NULL`, cl).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			refused = bad
			return nil
		} else if err != nil {
			return err
		}
		set, _ := smart.Parse(scopes)
		actor, err := s.liveActor(ctx, tx, user, origin)
		if err != nil {
			refused = bad
			return nil
		}
		// Claim the code before the token is made: of two exchanges at
		// once (PostgreSQL's read committed lets both read it unused),
		// one updates the row and the other finds it used.
		res, err := tx.Exec(ctx, `UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL`, now, auth.HashToken(code))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// Another exchange claimed it while this one read it (on
			// PostgreSQL this UPDATE waited for that one to commit, with
			// its token): the same as a code used twice.
			if err := tx.QueryRow(ctx, `SELECT token_id FROM oauth_codes WHERE code_hash = $1`, auth.HashToken(code)).Scan(&tokenID); err != nil {
				return err
			}
			return usedTwice(tokenID)
		}
		tok, tokenID, err = s.issueSMARTToken(ctx, tx, actor, cl, name, set, patient, SMARTUserTokenTTL)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE oauth_codes SET token_id = $1 WHERE code_hash = $2`, tokenID, auth.HashToken(code))
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return tok, nil
}

// liveActor is the account userID as an actor from origin's address, or
// an error when it is gone or disabled.
func (s *Store) liveActor(ctx context.Context, tx *Tx, userID string, origin Actor) (Actor, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
	if err != nil {
		return Actor{}, err
	}
	if u.DisabledAt != nil {
		return Actor{}, clinic.Errorf(clinic.EForbidden, "disabled")
	}
	return Actor{UserID: u.ID, Role: u.Role, Addr: origin.Addr, RequestID: origin.RequestID}, nil
}

// issueSMARTToken inserts an access token for actor's account, from
// client, with scopes and patient context, audited (smart.token).
func (s *Store) issueSMARTToken(ctx context.Context, tx *Tx, actor Actor, clientID, clientName string, set smart.Set, patientID string, ttl time.Duration) (*SMARTToken, string, error) {
	token := NewAPIToken()
	id := NewID()
	now := s.now()
	scope := ScopeRead
	for _, sc := range set.Scopes {
		if strings.ContainsAny(sc.Perms, "cud") {
			scope = ScopeWrite
		}
	}
	label := "SMART app: " + clientName
	if utf8.RuneCountInString(label) > APITokenLabelMax {
		label = string([]rune(label)[:APITokenLabelMax])
	}
	if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, label, scope, token_hash, created_by, created_at, expires_at, client_id, smart_scope, patient_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, id, actor.UserID, label, string(scope), auth.HashToken(token), "smart:"+clientID, now, now.Add(ttl), clientID, set.String(), patientID); err != nil {
		return nil, "", err
	}
	if err := s.appendAudit(ctx, tx, actor, Entry{Action: "smart.token", PatientID: patientID, ObjectType: "api_token", ObjectID: id,
		Detail: "client=" + clientID + " scope=" + set.String() + " expires=" + now.Add(ttl).Format(time.RFC3339)}); err != nil {
		return nil, "", err
	}
	return &SMARTToken{AccessToken: token, ExpiresIn: int(ttl / time.Second), Scope: set.String(), PatientID: patientID}, id, nil
}

// SMARTClientCredentials issues a backend client's token (SMART Backend
// Services): assertion must verify against the client's registered keys
// (smart.VerifyAssertion, aud tokenURL), its jti must be new (remembered
// until it expires, in the database, so a replay is refused on any
// instance), and the requested scopes are granted as far as the client's
// registration allows. Refusals are *smart.OAuthError: invalid_client for
// the client or its assertion, invalid_scope when nothing can be granted.
// Audited (smart.token) as the client's account.
func (s *Store) SMARTClientCredentials(ctx context.Context, origin Actor, assertion, tokenURL, scope string) (*SMARTToken, error) {
	iss, err := smart.Unverified(assertion)
	if err != nil {
		return nil, &smart.OAuthError{Code: "invalid_client", Description: "The client_assertion " + err.(*smart.ErrAssertion).Msg + "."}
	}
	client, err := s.SMARTClientByID(ctx, iss)
	if clinic.ErrorCode(err) == clinic.ENotFound || err == nil && client.Kind != SMARTBackend {
		return nil, &smart.OAuthError{Code: "invalid_client", Description: "No backend service is registered with that client_id."}
	}
	if err != nil {
		return nil, err
	}
	keys, err := smart.ParseJWKS([]byte(client.JWKS))
	if err != nil {
		return nil, &smart.OAuthError{Code: "invalid_client", Description: "The client's registered keys are not usable."}
	}
	now := s.now()
	claims, err := smart.VerifyAssertion(assertion, keys, client.ID, tokenURL, now)
	if err != nil {
		var ea *smart.ErrAssertion
		if errors.As(err, &ea) {
			return nil, &smart.OAuthError{Code: "invalid_client", Description: "The client_assertion is refused: " + ea.Msg + "."}
		}
		return nil, err
	}
	requested, err := smart.Parse(scope)
	if err != nil {
		return nil, &smart.OAuthError{Code: "invalid_scope", Description: "The scope is malformed."}
	}
	allowed, _ := smart.Parse(client.Scopes)
	set := smart.Intersect(smart.Intersect(requested.OnlyContexts(smart.System), allowed), smart.Offered)
	set.LaunchPatient = false
	if set.Empty() {
		return nil, &smart.OAuthError{Code: "invalid_scope", Description: "None of the scopes asked for can be granted to this client (backend services get system/ scopes it registered)."}
	}
	var tok *SMARTToken
	var refused error
	err = s.write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_jti WHERE client_id = $1 AND expires_at < $2`, client.ID, now.Add(-time.Hour)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO oauth_jti (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (client_id, jti) DO NOTHING`, client.ID, claims.Jti, claims.ExpiresAt().Add(time.Minute))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			refused = &smart.OAuthError{Code: "invalid_client", Description: "The client_assertion's jti was used before: make a new assertion for each request."}
			return s.appendAudit(ctx, tx, origin, Entry{Action: "smart.token", Outcome: OutcomeFailure, ObjectType: "smart_client", ObjectID: client.ID, Detail: "jti replayed"})
		}
		actor, err := s.liveActor(ctx, tx, client.UserID, origin)
		if err != nil {
			refused = &smart.OAuthError{Code: "invalid_client", Description: "The account this service acts as is disabled."}
			return nil
		}
		tok, _, err = s.issueSMARTToken(ctx, tx, actor, client.ID, client.Name, set, "", SMARTBackendTokenTTL)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return tok, nil
}

// RevokeSMARTToken ends an access token an app holds (RFC 7009): the
// token must have been issued to clientID, or nothing happens; either way
// the caller answers 200, so the answer tells nothing about the token.
// Audited (smart.revoke) when a live token ended.
func (s *Store) RevokeSMARTToken(ctx context.Context, origin Actor, clientID, token string) error {
	if clientID == "" || !WellFormedAPIToken(token) {
		return nil
	}
	return s.write(ctx, func(tx *Tx) error {
		var id, user string
		err := tx.QueryRow(ctx, `SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND client_id = $2 AND revoked_at IS NULL`, auth.HashToken(token), clientID).Scan(&id, &user)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, s.now(), "smart:"+clientID, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, origin, Entry{Action: "smart.revoke", ObjectType: "api_token", ObjectID: id, Detail: "client=" + clientID + " user=" + user})
	})
}
