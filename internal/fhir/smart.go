package fhir

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/store"
)

// SMART App Launch 2 (issue 19): the discovery document and the token
// endpoint live under the FHIR base; the authorization endpoint, which
// needs the person's signed-in session, is a page of the web server
// (/oauth/authorize). The rules are internal/smart's, the grants the
// store's (store/smart.go).

// SMARTTokenPath is the token endpoint, under the FHIR base.
const SMARTTokenPath = "/token"

// SMARTRevokePath is the revocation endpoint (RFC 7009), under the FHIR base.
const SMARTRevokePath = "/revoke"

// AuthorizePath is the authorization endpoint, under the site's root.
const AuthorizePath = "/oauth/authorize"

// SMARTConfiguration is the SMART discovery document
// (.well-known/smart-configuration).
type SMARTConfiguration struct {
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs  []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ScopesSupported               []string `json:"scopes_supported"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	Capabilities                  []string `json:"capabilities"`
}

// SMARTConfig is the discovery document for the FHIR base base.
func SMARTConfig(base string) *SMARTConfiguration {
	return &SMARTConfiguration{
		AuthorizationEndpoint:         strings.TrimSuffix(base, "/fhir") + AuthorizePath,
		TokenEndpoint:                 base + SMARTTokenPath,
		RevocationEndpoint:            base + SMARTRevokePath,
		GrantTypesSupported:           []string{"authorization_code", "client_credentials"},
		CodeChallengeMethodsSupported: []string{"S256"},
		TokenEndpointAuthMethods:      []string{"private_key_jwt", "none"},
		TokenEndpointAuthSigningAlgs:  []string{smart.RS384, smart.ES384},
		ScopesSupported:               smart.Supported(),
		ResponseTypesSupported:        []string{"code"},
		Capabilities: []string{"launch-standalone", "client-public", "client-confidential-asymmetric",
			"context-standalone-patient", "permission-patient", "permission-user", "permission-v2", "permission-v1"},
	}
}

// serveSMART answers the SMART endpoints under /fhir/ (path without the
// prefix) and reports whether it did.
func (h *Handler) serveSMART(w http.ResponseWriter, r *http.Request, path string) bool {
	switch {
	case path == ".well-known/smart-configuration" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(w, http.StatusOK, SMARTConfig(h.Base(r)))
		return true
	case path == strings.TrimPrefix(SMARTTokenPath, "/"):
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeJSON(w, http.StatusMethodNotAllowed, &smart.OAuthError{Code: "invalid_request", Description: "The token endpoint takes POST."})
			return true
		}
		h.token(w, r)
		return true
	case path == strings.TrimPrefix(SMARTRevokePath, "/"):
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeJSON(w, http.StatusMethodNotAllowed, &smart.OAuthError{Code: "invalid_request", Description: "The revocation endpoint takes POST."})
			return true
		}
		h.revoke(w, r)
		return true
	}
	return false
}

// token is the OAuth token endpoint (RFC 6749 3.2, SMART App Launch 2):
// authorization_code with PKCE for an app a person authorised, and
// client_credentials with a signed JWT for a backend service. Answers are
// JSON, never cached; refusals RFC 6749 5.2 errors (401 for
// invalid_client, else 400).
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if mt := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0]); mt != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "Send the request as application/x-www-form-urlencoded."})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "The form could not be read."})
		return
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "The parameter " + k + " is sent more than once."})
			return
		}
	}
	var origin store.Actor
	if h.Origin != nil {
		o := h.Origin(r)
		origin.Addr, origin.RequestID = o.Addr, o.RequestID
	}
	f := r.PostForm.Get
	var tok *store.SMARTToken
	var err error
	switch f("grant_type") {
	case "authorization_code":
		if f("code") == "" || f("redirect_uri") == "" || f("client_id") == "" || f("code_verifier") == "" {
			writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "authorization_code needs code, redirect_uri, client_id and code_verifier (PKCE)."})
			return
		}
		tok, err = h.Store.ExchangeSMARTCode(r.Context(), origin, f("client_id"), f("code"), f("redirect_uri"), f("code_verifier"))
	case "client_credentials":
		if f("client_assertion_type") != smart.AssertionType || f("client_assertion") == "" {
			writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "client_credentials needs client_assertion_type " + smart.AssertionType + " and a client_assertion."})
			return
		}
		tok, err = h.Store.SMARTClientCredentials(r.Context(), origin, f("client_assertion"), h.Base(r)+SMARTTokenPath, f("scope"))
	case "":
		writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "grant_type is required."})
		return
	default:
		writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "unsupported_grant_type", Description: "kapstone takes authorization_code and client_credentials."})
		return
	}
	var oe *smart.OAuthError
	switch {
	case errors.As(err, &oe):
		// A refused code or client is audited and counts against the
		// address, as a token that does not work does: past the limit
		// the answer is 429 and no more rows are written.
		if oe.Code == "invalid_client" || oe.Code == "invalid_grant" {
			if wait, err := h.refused(r.Context(), origin); err != nil {
				h.Log.ErrorContext(r.Context(), "fhir: token endpoint failed", "code", clinic.ErrorCode(err), "err", err)
				writeJSON(w, http.StatusServiceUnavailable, &smart.OAuthError{Code: "temporarily_unavailable", Description: "Try again."})
				return
			} else if wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
				writeJSON(w, http.StatusTooManyRequests, &smart.OAuthError{Code: "invalid_request", Description: "Too many refused requests from this address. Wait and try again."})
				return
			}
		}
		status := http.StatusBadRequest
		if oe.Code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		writeJSON(w, status, oe)
		return
	case err != nil:
		h.Log.ErrorContext(r.Context(), "fhir: token endpoint failed", "code", clinic.ErrorCode(err), "err", err)
		writeJSON(w, http.StatusInternalServerError, &smart.OAuthError{Code: "server_error", Description: "Something went wrong on our side. Try again."})
		return
	}
	out := map[string]any{"access_token": tok.AccessToken, "token_type": "Bearer", "expires_in": tok.ExpiresIn, "scope": tok.Scope}
	if tok.PatientID != "" {
		out["patient"] = tok.PatientID
	}
	writeJSON(w, http.StatusOK, out)
}

// writeJSON answers v as plain JSON, never stored (RFC 6749 5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// smartAllows reports whether a SMART token's scopes (nil for a personal
// token, which its read/write scope governs) let it make this request:
// POST creates, GET of Type/id reads, GET of Type searches, and anything
// else (an operation such as $everything or $export) needs read and search
// of every type ("*").
func smartAllows(set *smart.Set, method string, segs []string) bool {
	if set == nil {
		return true
	}
	typ := segs[0]
	switch {
	case method == http.MethodPost && len(segs) == 1:
		return set.Allows(typ, smart.Create)
	case len(segs) == 2 && !strings.HasPrefix(segs[1], "$"):
		return set.Allows(typ, smart.Read)
	case len(segs) == 1 && !strings.HasPrefix(typ, "$"):
		return set.Allows(typ, smart.Search)
	}
	return set.Allows("*", smart.Read) && set.Allows("*", smart.Search)
}

// revoke is the revocation endpoint (RFC 7009): an app ends a token it
// holds (token, client_id). The answer is 200 whether or not the token
// was live or the app's, so it tells nothing.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" || r.PostForm.Get("client_id") == "" {
		writeJSON(w, http.StatusBadRequest, &smart.OAuthError{Code: "invalid_request", Description: "Send token and client_id as a form."})
		return
	}
	var origin store.Actor
	if h.Origin != nil {
		o := h.Origin(r)
		origin.Addr, origin.RequestID = o.Addr, o.RequestID
	}
	if err := h.Store.RevokeSMARTToken(r.Context(), origin, r.PostForm.Get("client_id"), r.PostForm.Get("token")); err != nil {
		h.Log.ErrorContext(r.Context(), "fhir: revocation failed", "code", clinic.ErrorCode(err), "err", err)
		writeJSON(w, http.StatusServiceUnavailable, &smart.OAuthError{Code: "temporarily_unavailable", Description: "Try again."})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
