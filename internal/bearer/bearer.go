// Package bearer reads the credential of an API request: a personal API
// token sent as `Authorization: Bearer <token>` (RFC 6750 section 2.1),
// and asks the store whom it speaks for. The FHIR API calls it; it imports
// the store and net/http only, so neither web nor fhir has to import the
// other to share it.
package bearer

import (
	"context"
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/store"
)

// The errors Authenticate returns for a request whose credential does not
// work. Each is a *Error; errors.Is tells them apart.
var (
	// ErrMissing: no Authorization header at all. RFC 6750 3.1: answer 401
	// with a bare challenge, no error code.
	ErrMissing = &Error{kind: "missing", Message: "This API needs a personal API token, sent as \"Authorization: Bearer <token>\". Make one under Your account."}
	// ErrMalformed: an Authorization header that is not one Bearer
	// credential of the token's form, or a token in the URL (never
	// accepted: URLs end up in logs and browser history). 400
	// invalid_request.
	ErrMalformed = &Error{kind: "malformed", Message: "The Authorization header must be \"Bearer \" and one personal API token, sent once, and never in the URL."}
	// ErrInvalid: a well-formed token that does not work: unknown,
	// expired, revoked, or its account disabled (one answer for all).
	// 401 invalid_token.
	ErrInvalid = &Error{kind: "invalid", Message: "This API token is not valid. It may have expired or been revoked; make a new one under Your account."}
)

// Error is why a request's credential was refused: one of ErrMissing,
// ErrMalformed or ErrInvalid.
type Error struct {
	kind    string
	Message string // safe to show the caller
}

func (e *Error) Error() string { return "bearer: " + e.kind + ": " + e.Message }

// Status is the HTTP status of the refusal: 400 for a malformed
// credential, 401 otherwise.
func (e *Error) Status() int {
	if e == ErrMalformed {
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}

// Challenge is the WWW-Authenticate header value to send with the
// refusal (RFC 6750 section 3): a bare Bearer challenge when there was no
// credential, with error="invalid_request" or error="invalid_token"
// otherwise.
func (e *Error) Challenge(realm string) string {
	c := `Bearer realm="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(realm) + `"`
	switch e {
	case ErrMalformed:
		c += `, error="invalid_request"`
	case ErrInvalid:
		c += `, error="invalid_token"`
	}
	return c
}

// Authenticator answers whom an API token speaks for; *store.Store is one.
type Authenticator interface {
	AuthenticateAPIToken(ctx context.Context, token string) (*store.APICaller, error)
}

// Token returns the token of r's Authorization header, or ErrMissing when
// there is none, or ErrMalformed when the header is not exactly one
// "Bearer <token>" (the scheme in any case, one or more spaces, a token of
// the form store.NewAPIToken makes), or when the URL carries an
// access_token (RFC 6750 2.3, which kapstone does not accept).
func Token(r *http.Request) (string, error) {
	if r.URL != nil && r.URL.Query().Has("access_token") {
		return "", ErrMalformed
	}
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", ErrMissing
	case 1:
	default:
		return "", ErrMalformed
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMalformed
	}
	tok = strings.TrimLeft(tok, " ")
	if !store.WellFormedAPIToken(tok) {
		return "", ErrMalformed
	}
	return tok, nil
}

// Authenticate reads r's bearer token (Token) and asks a whom it speaks
// for. It returns the caller (its account as a store.Actor, without the
// request's address and id, which the caller's middleware knows, and the
// token's scope), or ErrMissing, ErrMalformed or ErrInvalid, or, when the
// store could not answer (the database is down), that error as it is: a
// 503 to try again, never a 401 that would make a client drop its token.
// It audits nothing: the request the token makes is audited by its
// handler, a refusal by the caller (rate-limited by address, as the
// sign-in links are).
func Authenticate(r *http.Request, a Authenticator) (*store.APICaller, error) {
	tok, err := Token(r)
	if err != nil {
		return nil, err
	}
	c, err := a.AuthenticateAPIToken(r.Context(), tok)
	switch {
	case store.ErrAPITokenNotValid(err):
		return nil, ErrInvalid
	case err != nil:
		return nil, err
	}
	return c, nil
}
