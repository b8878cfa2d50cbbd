package shell

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/store"
)

// TokenPage describes one kind of single-use link page.
type TokenPage struct {
	Purpose string
	Prefix  string // URL prefix, e.g. "/invite/"
	Title   string
}

var (
	SetupPage  = TokenPage{store.TokenSetup, "/setup/", "Create the first admin account"}
	InvitePage = TokenPage{store.TokenInvite, "/invite/", "Create your account"}
	ResetPage  = TokenPage{store.TokenReset, "/reset/", "Choose a new password"}
)

// NewLink makes a single-use link for t and returns its URL.
func (s *App) NewLink(r *http.Request, t *store.AuthToken) (string, error) {
	token := auth.NewToken()
	t.Hash = auth.HashToken(token)
	if err := s.Store.CreateToken(r.Context(), s.Actor(r), t); err != nil {
		return "", err
	}
	prefix := map[string]string{store.TokenSetup: SetupPage.Prefix, store.TokenInvite: InvitePage.Prefix, store.TokenReset: ResetPage.Prefix}[t.Purpose]
	return s.LinkBase(r) + prefix + token, nil
}

// LinkBase is where links point: the configured public URL, or else the
// address kapstone listens on. Never the request's Host header, which the
// requester chooses.
func (s *App) LinkBase(r *http.Request) string {
	if s.Config.PublicURL != "" {
		return s.Config.PublicURL
	}
	if s.Config.ListenURL != "" {
		return s.Config.ListenURL
	}
	return "http://localhost"
}
