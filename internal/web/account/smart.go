package account

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/smart"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// The SMART App Launch 2 authorization endpoint (issue 19): an app a
// person uses sends them here; they sign in as always (password, second
// factor), see what the app asks for, and allow or deny it. Allowing
// gives the app a one-minute, single-use code bound to its redirect URI
// and PKCE challenge, which it swaps at the FHIR API's token endpoint
// (internal/fhir/smart.go). The rules are the store's.

// oauthReturnCookie carries the authorization request through sign-in:
// the page sends a person who is not signed in to sign in, and the sign-in
// brings them back (afterSignIn).
const oauthReturnCookie = "kapstone_oauth_return"

// authorizePath is the authorization endpoint's path.
const authorizePath = "/oauth/authorize"

// authRequest is a checked authorization request.
type authRequest struct {
	Client      *store.SMARTClient
	RedirectURI string
	State       string
	Challenge   string
	Scopes      smart.Set
	Params      url.Values // the request as sent, for the consent form
}

// oauthParams are the parameters an authorization request carries.
var oauthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "aud", "code_challenge", "code_challenge_method"}

// checkAuthorize reads an authorization request. A request whose client
// or redirect URI cannot be trusted is answered here with an error page
// (never sent to the URI); any other fault is sent back to the app's
// redirect URI as an OAuth error. ok is false when it answered.
func (s *Handlers) checkAuthorize(w http.ResponseWriter, r *http.Request, q url.Values) (*authRequest, bool) {
	for _, k := range oauthParams {
		if len(q[k]) > 1 {
			s.Error(w, r, clinic.Errorf(clinic.EInvalid, "The app's request is malformed (the parameter %s is sent twice).", k))
			return nil, false
		}
	}
	client, err := s.Store.SMARTClientByID(r.Context(), q.Get("client_id"))
	if clinic.ErrorCode(err) == clinic.ENotFound {
		s.Error(w, r, clinic.Errorf(clinic.ENotFound, "This app is not registered with the practice, or its registration was withdrawn. Ask the practice."))
		return nil, false
	}
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	ar := &authRequest{Client: client, RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Challenge: q.Get("code_challenge"), Params: url.Values{}}
	if client.Kind != store.SMARTPublic || !client.HasRedirect(ar.RedirectURI) {
		s.Error(w, r, clinic.Errorf(clinic.EInvalid, "The app sent a redirect address it did not register, so kapstone will not send you there."))
		return nil, false
	}
	for _, k := range oauthParams {
		if v := q.Get(k); v != "" {
			ar.Params.Set(k, v)
		}
	}
	fail := func(code, desc string) (*authRequest, bool) {
		s.redirectError(w, r, ar, code, desc)
		return nil, false
	}
	switch {
	case q.Get("response_type") != "code":
		return fail("unsupported_response_type", "response_type must be code")
	case ar.State == "" || len(ar.State) > 500:
		return fail("invalid_request", "state is required")
	case strings.TrimSuffix(q.Get("aud"), "/") != s.LinkBase(r)+"/fhir":
		return fail("invalid_request", "aud must be this server's FHIR base URL")
	case q.Get("code_challenge_method") != "S256" || !smart.ValidChallenge(ar.Challenge):
		return fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method S256")
	}
	set, err := smart.Parse(q.Get("scope"))
	if err != nil {
		return fail("invalid_scope", "the scope is malformed")
	}
	ar.Scopes = set
	return ar, true
}

// redirectError sends the person back to the app with an OAuth error.
func (s *Handlers) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, code, desc string) {
	v := url.Values{"error": {code}, "error_description": {desc}}
	if ar.State != "" {
		v.Set("state", ar.State)
	}
	http.Redirect(w, r, withQuery(ar.RedirectURI, v), http.StatusSeeOther)
}

func withQuery(uri string, v url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + v.Encode()
}

// consentData is the consent page.
type consentData struct {
	App      string
	Scopes   []string // in words
	Patient  bool     // the app gets the person's own record as its patient
	Params   url.Values
	Keys     []string
	Redirect string // the app's address, shown so the person knows where they go
}

// Authorize is GET /oauth/authorize: the consent page for a signed-in
// person; anyone else is sent to sign in and brought back.
func (s *Handlers) Authorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ar, ok := s.checkAuthorize(w, r, r.URL.Query())
	if !ok {
		return
	}
	sess := shell.SessionFrom(r.Context())
	if sess == nil || !sess.MFADone {
		http.SetCookie(w, &http.Cookie{Name: oauthReturnCookie, Value: url.QueryEscape(r.URL.RequestURI()), Path: "/", MaxAge: int((10 * time.Minute).Seconds()),
			HttpOnly: true, Secure: r.TLS != nil || strings.HasPrefix(s.LinkBase(r), "https:"), SameSite: http.SameSiteLaxMode})
		to := "/login"
		if sess != nil {
			to = "/login/mfa"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	g, err := s.Store.GrantSMART(r.Context(), s.Actor(r), ar.Client, ar.Scopes)
	if oe, ok := err.(*smart.OAuthError); ok {
		s.redirectError(w, r, ar, oe.Code, oe.Description)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := consentData{App: ar.Client.Name, Patient: g.PatientID != "", Params: ar.Params, Keys: oauthParams, Redirect: ar.RedirectURI}
	for _, sc := range g.Scopes.Scopes {
		d.Scopes = append(d.Scopes, scopeWords(sc))
	}
	// The answer to the consent form is a redirect to the app: the page's
	// form-action must allow its origin, and only on this page.
	if u, err := url.Parse(ar.RedirectURI); err == nil {
		if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
			w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1))
		}
	}
	s.Render(w, r, http.StatusOK, "oauth_consent", "Allow "+ar.Client.Name+"?", d)
}

// AuthorizeDecide is POST /oauth/authorize: the person allows or denies
// the app's request (the same request, checked again).
func (s *Handlers) AuthorizeDecide(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ar, ok := s.checkAuthorize(w, r, r.PostForm)
	if !ok {
		return
	}
	if r.PostFormValue("decision") != "allow" {
		s.redirectError(w, r, ar, "access_denied", "the person did not allow the app")
		return
	}
	code, _, err := s.Store.CreateSMARTCode(r.Context(), s.Actor(r), store.AuthCodeInput{ClientID: ar.Client.ID, RedirectURI: ar.RedirectURI, Challenge: ar.Challenge, Scopes: ar.Scopes})
	if oe, ok := err.(*smart.OAuthError); ok {
		s.redirectError(w, r, ar, oe.Code, oe.Description)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, withQuery(ar.RedirectURI, url.Values{"code": {code}, "state": {ar.State}}), http.StatusSeeOther)
}

// scopeWords says what a granted scope lets the app do.
func scopeWords(sc smart.Scope) string {
	what := "every part of the record"
	if sc.Type != "*" {
		what = sc.Type + " records"
	}
	var verbs []string
	if strings.ContainsAny(sc.Perms, "rs") {
		verbs = append(verbs, "read")
	}
	if strings.Contains(sc.Perms, "c") {
		verbs = append(verbs, "add")
	}
	whose := "that your account may see"
	if sc.Context == smart.Patient {
		whose = "of your own record"
	}
	return strings.Join(verbs, " and ") + " " + what + " " + whose
}

// afterSignIn is where a person who just finished signing in goes: back
// to an app's authorization request that sent them to sign in (once; the
// cookie is cleared), or else home.
func (s *Handlers) afterSignIn(w http.ResponseWriter, r *http.Request, u *clinic.User) string {
	if c, err := r.Cookie(oauthReturnCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: oauthReturnCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		if to, err := url.QueryUnescape(c.Value); err == nil && strings.HasPrefix(to, authorizePath+"?") && !strings.ContainsAny(to, "\\\r\n") {
			return to
		}
	}
	return shell.HomeFor(u)
}
