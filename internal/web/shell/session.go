package shell

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// KeySessionEnded marks a request whose session just ended (idle or
// absolute limit), so the sign-in page can say why.
const KeySessionEnded ctxKey = 100

// CookieName is __Host-kapstone over TLS (the prefix binds the cookie to
// this host, path / and Secure) and kapstone_session on plain-HTTP development.
func (s *App) CookieName() string {
	if s.secure {
		return "__Host-kapstone"
	}
	return "kapstone_session"
}

func (s *App) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.CookieName(), Value: token, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// ClearSessionCookie removes the session cookie from the browser.
func (s *App) ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.CookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// IdleLimit is how long a session of role r may go unused.
func (s *App) IdleLimit(r clinic.Role) time.Duration {
	if auth.Can(r, auth.RelNone, auth.PermStaffApp) {
		return s.Config.IdleStaff
	}
	return s.Config.IdlePatient
}

// Actor is who is making the request, for the policy and the audit log.
func (s *App) Actor(r *http.Request) store.Actor {
	a := store.Actor{Addr: s.ClientAddr(r), RequestID: RequestID(r.Context())}
	if sess := SessionFrom(r.Context()); sess != nil {
		a.UserID, a.Role = sess.User.ID, sess.User.Role
	}
	return a
}

// LoadSession finds the caller's session from its cookie and puts it in the
// request context. An ended session clears the cookie. Health checks, static
// files and the FHIR API (bearer tokens only) never touch the database for this.
func (s *App) LoadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/fhir/") {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(s.CookieName())
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.Store.TouchSession(r.Context(), auth.HashToken(c.Value), s.IdleLimit)
		switch clinic.ErrorCode(err) {
		case "":
			r = r.WithContext(context.WithValue(r.Context(), keySession, sess))
		case clinic.ENotFound:
			// A session that ended by its limits is remembered for a while
			// (store.EndedSession): its cookie is kept, so a note posted
			// with it is carried through sign-in for its user alone. Any
			// other cookie is cleared.
			uid, err := s.Store.EndedSession(r.Context(), auth.HashToken(c.Value))
			if err != nil {
				s.Error(w, r, err)
				return
			}
			if uid == "" {
				s.ClearSessionCookie(w)
			}
			ctx := context.WithValue(r.Context(), KeySessionEnded, true)
			r = r.WithContext(context.WithValue(ctx, keyEndedUser, uid))
		default:
			s.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// StartSession gives u a new session with a new token, replacing the
// caller's current session if any (so a planted session id is never
// promoted), sets the cookie, and audits e with it.
func (s *App) StartSession(w http.ResponseWriter, r *http.Request, u *clinic.User, mfaDone bool, e store.Entry) error {
	_, err := s.StartSessionRequest(w, r, u, mfaDone, e)
	return err
}

// StartSessionRequest is StartSession, and returns r with the new session
// in its context, for a handler that answers as the new session (the
// second-factor enrolment page shown right after the password step).
func (s *App) StartSessionRequest(w http.ResponseWriter, r *http.Request, u *clinic.User, mfaDone bool, e store.Entry) (*http.Request, error) {
	now := s.Now().UTC()
	token := auth.NewToken()
	sess := &store.Session{
		IDHash: auth.HashToken(token), User: u, MFADone: mfaDone,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.Config.Absolute),
		UserAgent: r.UserAgent(), ClientAddr: s.ClientAddr(r),
	}
	var old string
	if cur := SessionFrom(r.Context()); cur != nil {
		old = cur.IDHash
		if cur.User.ID == u.ID {
			sess.ExpiresAt = cur.ExpiresAt // completing MFA does not extend the absolute lifetime
		}
	} else if c, err := r.Cookie(s.CookieName()); err == nil {
		old = auth.HashToken(c.Value)
	}
	actor := store.Actor{UserID: u.ID, Role: u.Role, Addr: s.ClientAddr(r), RequestID: RequestID(r.Context())}
	if err := s.Store.StartSession(r.Context(), actor, old, sess, e); err != nil {
		return nil, err
	}
	s.setSessionCookie(w, token)
	return r.WithContext(context.WithValue(r.Context(), keySession, sess)), nil
}

// ClientAddr is the address of the person's browser: the connection's
// peer, or, when that peer is a trusted reverse proxy, the last address in
// X-Forwarded-For that is not a trusted proxy. Rate limits and the audit
// log use it.
func (s *App) ClientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	host = strings.Trim(host, "[]")
	ip, err := netip.ParseAddr(host)
	if err != nil || !s.trustedProxy(ip) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trustedProxy(a) {
			return a.Unmap().String()
		}
	}
	return host
}

func (s *App) trustedProxy(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.Config.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// HomeFor is where a signed-in user lands.
func HomeFor(u *clinic.User) string {
	switch {
	case auth.Can(u.Role, auth.RelNone, auth.PermPortal):
		return "/portal"
	case auth.Can(u.Role, auth.RelNone, auth.PermAccounts):
		return "/admin/users"
	}
	return "/patients"
}

// LoginData is the sign-in page's data.
type LoginData struct {
	Email   string
	Error   string
	Notice  string
	Created bool
	// Carry is a draft sealed when a post arrived after the session had
	// ended (SealCarry), kept through sign-in and saved after it.
	Carry string
}

// MFAData is the second-factor page's data.
type MFAData struct {
	Code  string
	Error string
	Carry string // a sealed draft to save after sign-in (see LoginData)
}
