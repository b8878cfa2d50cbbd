package account

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// apiTokensForm is the id of the account page's API tokens section, its
// form's fragment and its error summary's name.
const apiTokensForm = "api-tokens"

// apiTokenExpiry is one choice of the new-token form's expiry, in days.
type apiTokenExpiry struct {
	Days  string
	Words string
}

// apiTokenExpiries are the expiries a person may choose on the account
// page (the command line takes any lifetime up to store.APITokenMaxTTL).
// The default is store.APITokenDefaultTTL (30 days).
var apiTokenExpiries = []apiTokenExpiry{
	{"1", "1 day"}, {"7", "7 days"}, {"30", "30 days"}, {"90", "90 days"}, {"365", "1 year"},
}

const apiTokenDefaultDays = "30"

// apiTokenTTL reads the expiry choice days; ok is false for anything not
// offered.
func apiTokenTTL(days string) (time.Duration, bool) {
	for _, e := range apiTokenExpiries {
		if e.Days == days {
			n, _ := strconv.Atoi(days)
			return time.Duration(n) * 24 * time.Hour, true
		}
	}
	return 0, false
}

// APITokenCreate makes a personal API token for the signed-in person, with
// the label, scope and expiry they chose, once their current password
// confirms it is them (a token is a way in that lasts). The token is
// shown once, on the answer to this post: only its hash is kept, so it
// cannot be carried through a redirect (as the calendar feed's link); the
// answer is not stored by the browser (no-store) and a reload asks before
// posting again. Bad input re-renders the page with the section's error
// summary, the message at each field and what was typed.
func (s *Handlers) APITokenCreate(w http.ResponseWriter, r *http.Request) {
	fe := clinic.FieldErrors{}
	in := store.APITokenInput{Label: r.PostFormValue("label"), Scope: store.TokenScope(r.PostFormValue("scope"))}
	ttl, ok := apiTokenTTL(r.PostFormValue("ttl"))
	if !ok {
		fe.Add("ttl", "Choose when the token expires.")
	}
	in.TTL = ttl
	if r.PostFormValue("current_password") == "" {
		// Not a guess: not counted against the account.
		fe.Add("current_password", "Enter your current password to make a token.")
	} else {
		msg, err := s.checkCurrentPassword(w, r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if msg != "" {
			fe.Add("current_password", msg)
		}
	}
	if err := in.Check(); err != nil { // after the choice's own message, which says it better
		for k, v := range err.(*clinic.Error).Fields {
			fe.Add(k, v)
		}
	}
	var token string
	if len(fe) == 0 {
		var err error
		token, _, err = s.Store.CreateAPIToken(r.Context(), s.Actor(r), in)
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			for k, v := range e.Fields {
				fe.Add(k, v)
			}
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if len(fe) > 0 {
		form := r.PostForm
		form.Del("current_password") // never sent back
		s.accountPage(w, r, accountData{Posted: apiTokensForm, Errors: fe, Form: form}, http.StatusUnprocessableEntity)
		return
	}
	s.accountPage(w, r, accountData{Posted: apiTokensForm, NewToken: token}, http.StatusOK)
}

// APITokenRevoke ends one of the signed-in person's API tokens at once.
// Another's token is the same 404 as one that does not exist (an
// administrator, who may revoke anyone's, is the exception the store
// makes).
func (s *Handlers) APITokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.RevokeAPIToken(r.Context(), s.Actor(r), r.PathValue("apitoken")); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/account?done=api-token-revoked", apiTokensForm)
}

// apiTokenSection fills in the account page's API tokens: the person's
// live tokens and the new-token form's choices (what was typed, after a
// refused post).
func (s *Handlers) apiTokenSection(r *http.Request, d *accountData) error {
	list, err := s.Store.ListAPITokens(r.Context(), s.Actor(r), store.APITokenLimit)
	if err != nil {
		return err
	}
	d.APITokens, d.TokenExpiries = list, apiTokenExpiries
	d.TokenLabel, d.TokenScope, d.TokenTTL = "", string(store.ScopeRead), apiTokenDefaultDays
	if d.Posted == apiTokensForm && d.Form != nil {
		d.TokenLabel = d.Form.Get("label")
		if sc := store.TokenScope(d.Form.Get("scope")); sc.Valid() {
			d.TokenScope = string(sc)
		}
		if _, ok := apiTokenTTL(d.Form.Get("ttl")); ok {
			d.TokenTTL = d.Form.Get("ttl")
		}
	}
	return nil
}
