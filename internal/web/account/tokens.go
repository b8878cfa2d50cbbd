package account

import (
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// findToken looks up the link in the URL. A wrong or used link counts
// against the caller's address, so links cannot be guessed at speed (they
// carry 256 bits anyway).
func (s *Handlers) findToken(w http.ResponseWriter, r *http.Request, tp shell.TokenPage) (*store.AuthToken, bool) {
	ctx := r.Context()
	actor := s.Actor(r)
	wait, err := s.throttled(ctx, tokenLimit, "", actor.Addr)
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if wait > 0 {
		w.Header().Set("Retry-After", itoaSecs(wait))
		s.Error(w, r, clinic.Errorf(clinic.ETooMany, "Too many attempts with links that do not work. Wait %s and try again.", waitWords(wait)))
		return nil, false
	}
	t, err := s.Store.FindToken(ctx, auth.HashToken(r.PathValue("token")), tp.Purpose)
	if clinic.ErrorCode(err) == clinic.ENotFound {
		s.Store.Audit(ctx, actor, store.Entry{Action: "token.failure", Outcome: store.OutcomeFailure, ObjectType: "token", Detail: tp.Purpose})
	}
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return t, true
}

func (s *Handlers) tokenForm(t *store.AuthToken, tp shell.TokenPage, token string) passwordData {
	d := passwordData{Action: tp.Prefix + token, Heading: tp.Title, Button: "Create account", AskName: true}
	switch tp.Purpose {
	case store.TokenSetup:
		d.Intro = "This link works once. The account you create here runs the practice: it adds staff, manages care teams and reviews the audit log."
	case store.TokenInvite:
		d.Email, d.EmailFixed, d.DisplayName, d.NameFixed = t.Email, true, t.DisplayName, true
		d.Intro = "Choose a password of at least 12 characters. A few unrelated words are easy to remember and hard to guess."
		if t.Role.Staff() {
			d.Intro += " Next, you will set up two-step verification with an authenticator app on your phone."
		}
	case store.TokenReset:
		d.AskName, d.Button = false, "Save new password"
		d.Intro = "Choose a password of at least 12 characters. Two-step verification stays as it is."
	}
	return d
}

func (s *Handlers) handleTokenForm(w http.ResponseWriter, r *http.Request, tp shell.TokenPage) {
	t, ok := s.findToken(w, r, tp)
	if !ok {
		return
	}
	s.Render(w, r, http.StatusOK, "password", tp.Title, s.tokenForm(t, tp, r.PathValue("token")))
}

func (s *Handlers) SetupForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, shell.SetupPage)
}

func (s *Handlers) InviteForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, shell.InvitePage)
}

func (s *Handlers) ResetForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, shell.ResetPage)
}

// handleAccountToken makes the account a setup or invitation link names.
func (s *Handlers) handleAccountToken(w http.ResponseWriter, r *http.Request, tp shell.TokenPage) {
	t, ok := s.findToken(w, r, tp)
	if !ok {
		return
	}
	d := s.tokenForm(t, tp, r.PathValue("token"))
	// An invitation fixes the email, role and name (so no one can take a
	// colleague's name); the first admin types theirs.
	u := &clinic.User{Email: t.Email, DisplayName: t.DisplayName, Role: t.Role, Credentials: t.Credentials}
	if tp.Purpose == store.TokenSetup {
		u.Email, u.DisplayName, u.Role = strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("display_name")), clinic.RoleAdmin
		if c := clinic.TrailingCredentials(u.DisplayName); c != "" { // the setup form has no credentials field
			u.DisplayName, u.Credentials = strings.TrimSpace(strings.TrimSuffix(u.DisplayName, ", "+c)), c
		}
	}
	d.Email, d.DisplayName = u.Email, u.DisplayName
	fe := clinic.FieldErrors{}
	if err := u.Validate(); err != nil {
		for k, v := range err.(*clinic.Error).Fields {
			fe.Add(k, v)
		}
	}
	pw := checkNewPassword(r, u.Email, fe)
	if len(fe) == 0 {
		hash, err := auth.HashPassword(pw, s.Config.PasswordParams)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		err = s.Store.AcceptAccountToken(r.Context(), s.Actor(r), t.Hash, tp.Purpose, u, hash)
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EConflict && len(e.Fields) > 0 {
			for k, v := range e.Fields {
				fe.Add(k, v)
			}
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if len(fe) > 0 {
		d.Errors = fe
		s.Render(w, r, http.StatusUnprocessableEntity, "password", tp.Title, d)
		return
	}
	http.Redirect(w, r, "/login?created=1", http.StatusSeeOther)
}

func (s *Handlers) Setup(w http.ResponseWriter, r *http.Request) {
	s.handleAccountToken(w, r, shell.SetupPage)
}

func (s *Handlers) Invite(w http.ResponseWriter, r *http.Request) {
	s.handleAccountToken(w, r, shell.InvitePage)
}

func (s *Handlers) Reset(w http.ResponseWriter, r *http.Request) {
	t, ok := s.findToken(w, r, shell.ResetPage)
	if !ok {
		return
	}
	d := s.tokenForm(t, shell.ResetPage, r.PathValue("token"))
	u, _, err := s.Store.FindUserByID(r.Context(), t.UserID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	fe := clinic.FieldErrors{}
	pw := checkNewPassword(r, u.Email, fe)
	if len(fe) > 0 {
		d.Errors = fe
		s.Render(w, r, http.StatusUnprocessableEntity, "password", shell.ResetPage.Title, d)
		return
	}
	hash, err := auth.HashPassword(pw, s.Config.PasswordParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.Store.ResetPassword(r.Context(), s.Actor(r), t.Hash, hash); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}
