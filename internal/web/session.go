package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

const keySessionEnded ctxKey = 100

// cookieName is __Host-kapstone over TLS (the prefix binds the cookie to
// this host, path / and Secure) and kapstone_session on plain-HTTP development.
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-kapstone"
	}
	return "kapstone_session"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) idleLimit(r clinic.Role) time.Duration {
	if r.Staff() {
		return s.cfg.IdleStaff
	}
	return s.cfg.IdlePatient
}

// loadSession finds the caller's session from its cookie and puts it in the
// request context. An ended session clears the cookie. Health checks and
// static files never touch the database for this.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Forms are small; refuse huge bodies before anything reads them.
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if p := r.URL.Path; p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(s.cookieName())
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.store.TouchSession(r.Context(), auth.HashToken(c.Value), s.idleLimit)
		switch clinic.ErrorCode(err) {
		case "":
			r = r.WithContext(context.WithValue(r.Context(), keySession, sess))
		case clinic.ENotFound:
			s.clearSessionCookie(w)
			r = r.WithContext(context.WithValue(r.Context(), keySessionEnded, true))
		default:
			s.error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// startSession gives u a new session with a new token, replacing the
// caller's current session if any (so a planted session id is never
// promoted), and sets the cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *clinic.User, mfaDone bool) error {
	now := s.Now().UTC()
	token := auth.NewToken()
	sess := &store.Session{
		IDHash: auth.HashToken(token), User: u, MFADone: mfaDone,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.Absolute),
		UserAgent: r.UserAgent(), ClientAddr: clientAddr(r),
	}
	var old string
	if cur := sessionFrom(r.Context()); cur != nil {
		old = cur.IDHash
		if cur.User.ID == u.ID && !cur.ExpiresAt.IsZero() {
			sess.ExpiresAt = cur.ExpiresAt // completing MFA does not extend the absolute lifetime
		}
	} else if c, err := r.Cookie(s.cookieName()); err == nil {
		old = auth.HashToken(c.Value)
	}
	if err := s.store.ReplaceSession(r.Context(), old, sess); err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	return nil
}

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

type loginData struct {
	Email     string
	Error     string
	SignedOut bool
	Ended     bool
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if sess := sessionFrom(r.Context()); sess != nil {
		if sess.MFADone {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		}
		return
	}
	q := r.URL.Query()
	s.render(w, r, http.StatusOK, "login", "Sign in", loginData{SignedOut: q.Has("signed_out"), Ended: q.Has("ended")})
}

// handleLogin checks an email and password. A wrong email, a wrong password
// and a disabled account get the same answer in the same time.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	data := loginData{Email: email}
	if email == "" || pw == "" {
		data.Error = "Enter your email and your password."
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Sign in", data)
		return
	}
	u, hash, err := s.store.FindUserByEmail(r.Context(), email)
	ok := false
	switch clinic.ErrorCode(err) {
	case "":
		ok = auth.CheckPassword(hash, pw) && u.DisabledAt == nil
	case clinic.ENotFound:
		auth.CheckPasswordMissingUser(pw)
	default:
		s.error(w, r, err)
		return
	}
	if !ok {
		s.log.Info("sign-in refused", "request_id", requestID(r.Context()))
		data.Error = "That email and password do not match an account. Check both and try again."
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", data)
		return
	}
	if u.Role.Staff() && u.TOTPSecret == "" {
		data.Error = "Staff accounts need two-step verification, and it is not set up for this account yet. Ask your practice admin."
		s.render(w, r, http.StatusForbidden, "login", "Sign in", data)
		return
	}
	mfaDone := u.TOTPSecret == ""
	if err := s.startSession(w, r, u, mfaDone); err != nil {
		s.error(w, r, err)
		return
	}
	s.log.Info("signed in", "request_id", requestID(r.Context()), "user_id", u.ID, "mfa_pending", !mfaDone)
	if !mfaDone {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

type mfaData struct {
	Code  string
	Error string
}

func (s *Server) handleMFAForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "mfa", "Two-step verification", mfaData{})
}

// handleMFA checks a TOTP code. Each code is accepted once; success replaces
// the session with a new, fully signed-in one.
func (s *Server) handleMFA(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	data := mfaData{Code: code}
	step, ok := auth.MatchTOTP(sess.User.TOTPSecret, code, s.Now())
	if !ok {
		data.Error = "That code is not right. Enter the 6-digit code your app shows now."
		if len(code) != 6 {
			data.Error = "Enter the 6 digits your authenticator app shows."
		}
		s.render(w, r, http.StatusUnauthorized, "mfa", "Two-step verification", data)
		return
	}
	fresh, err := s.store.UseTOTPStep(r.Context(), sess.User.ID, step)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !fresh {
		data.Error = "That code has already been used. Wait for your app to show a new code, then enter it."
		s.render(w, r, http.StatusUnauthorized, "mfa", "Two-step verification", data)
		return
	}
	if err := s.startSession(w, r, sess.User, true); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSession(r.Context(), sessionFrom(r.Context()).IDHash); err != nil {
		s.error(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}

type accountData struct {
	Session *store.Session
	Idle    string
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	s.render(w, r, http.StatusOK, "account", "Your account", accountData{Session: sess, Idle: humanDuration(s.idleLimit(sess.User.Role))})
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "Ketamine-assisted psychotherapy", nil)
}

func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		h := int(d / time.Hour)
		if h == 1 {
			return "1 hour"
		}
		return strconv.Itoa(h) + " hours"
	}
	return strconv.Itoa(int(d/time.Minute)) + " minutes"
}
