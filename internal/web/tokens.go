package web

import (
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// tokenPage describes one kind of single-use link page.
type tokenPage struct {
	purpose string
	prefix  string // URL prefix, e.g. "/invite/"
	title   string
}

var (
	setupPage  = tokenPage{store.TokenSetup, "/setup/", "Create the first admin account"}
	invitePage = tokenPage{store.TokenInvite, "/invite/", "Create your account"}
	resetPage  = tokenPage{store.TokenReset, "/reset/", "Choose a new password"}
)

// findToken looks up the link in the URL. A wrong or used link counts
// against the caller's address, so links cannot be guessed at speed (they
// carry 256 bits anyway).
func (s *Server) findToken(w http.ResponseWriter, r *http.Request, tp tokenPage) (*store.AuthToken, bool) {
	ctx := r.Context()
	actor := s.actor(r)
	wait, err := s.throttled(ctx, tokenLimit, "", actor.Addr)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if wait > 0 {
		w.Header().Set("Retry-After", itoaSecs(wait))
		s.error(w, r, clinic.Errorf(clinic.ETooMany, "Too many attempts with links that do not work. Wait %s and try again.", waitWords(wait)))
		return nil, false
	}
	t, err := s.store.FindToken(ctx, auth.HashToken(r.PathValue("token")), tp.purpose)
	if clinic.ErrorCode(err) == clinic.ENotFound {
		s.store.Audit(ctx, actor, store.Entry{Action: "token.failure", Outcome: store.OutcomeFailure, ObjectType: "token", Detail: tp.purpose})
	}
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	return t, true
}

func (s *Server) tokenForm(t *store.AuthToken, tp tokenPage, token string) passwordData {
	d := passwordData{Action: tp.prefix + token, Heading: tp.title, Button: "Create account", AskName: true}
	switch tp.purpose {
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

func (s *Server) handleTokenForm(w http.ResponseWriter, r *http.Request, tp tokenPage) {
	t, ok := s.findToken(w, r, tp)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "password", tp.title, s.tokenForm(t, tp, r.PathValue("token")))
}

func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, setupPage)
}
func (s *Server) handleInviteForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, invitePage)
}
func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	s.handleTokenForm(w, r, resetPage)
}

// handleAccountToken makes the account a setup or invitation link names.
func (s *Server) handleAccountToken(w http.ResponseWriter, r *http.Request, tp tokenPage) {
	t, ok := s.findToken(w, r, tp)
	if !ok {
		return
	}
	d := s.tokenForm(t, tp, r.PathValue("token"))
	// An invitation fixes the email, role and name (so no one can take a
	// colleague's name); the first admin types theirs.
	u := &clinic.User{Email: t.Email, DisplayName: t.DisplayName, Role: t.Role}
	if tp.purpose == store.TokenSetup {
		u.Email, u.DisplayName, u.Role = strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("display_name")), clinic.RoleAdmin
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
		hash, err := auth.HashPassword(pw, s.cfg.PasswordParams)
		if err != nil {
			s.error(w, r, err)
			return
		}
		err = s.store.AcceptAccountToken(r.Context(), s.actor(r), t.Hash, tp.purpose, u, hash)
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EConflict && len(e.Fields) > 0 {
			for k, v := range e.Fields {
				fe.Add(k, v)
			}
		} else if err != nil {
			s.error(w, r, err)
			return
		}
	}
	if len(fe) > 0 {
		d.Errors = fe
		s.render(w, r, http.StatusUnprocessableEntity, "password", tp.title, d)
		return
	}
	http.Redirect(w, r, "/login?created=1", http.StatusSeeOther)
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	s.handleAccountToken(w, r, setupPage)
}
func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) {
	s.handleAccountToken(w, r, invitePage)
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	t, ok := s.findToken(w, r, resetPage)
	if !ok {
		return
	}
	d := s.tokenForm(t, resetPage, r.PathValue("token"))
	u, _, err := s.store.FindUserByID(r.Context(), t.UserID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	fe := clinic.FieldErrors{}
	pw := checkNewPassword(r, u.Email, fe)
	if len(fe) > 0 {
		d.Errors = fe
		s.render(w, r, http.StatusUnprocessableEntity, "password", resetPage.title, d)
		return
	}
	hash, err := auth.HashPassword(pw, s.cfg.PasswordParams)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.store.ResetPassword(r.Context(), s.actor(r), t.Hash, hash); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}

// newLink makes a single-use link for t and returns its URL.
func (s *Server) newLink(r *http.Request, t *store.AuthToken) (string, error) {
	token := auth.NewToken()
	t.Hash = auth.HashToken(token)
	if err := s.store.CreateToken(r.Context(), s.actor(r), t); err != nil {
		return "", err
	}
	prefix := map[string]string{store.TokenSetup: setupPage.prefix, store.TokenInvite: invitePage.prefix, store.TokenReset: resetPage.prefix}[t.Purpose]
	return s.linkBase(r) + prefix + token, nil
}

// linkBase is where links point: the configured public URL, or else the
// address kapstone listens on. Never the request's Host header, which the
// requester chooses.
func (s *Server) linkBase(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	if s.cfg.ListenURL != "" {
		return s.cfg.ListenURL
	}
	return "http://localhost"
}
