package web

import (
	"context"
	"net/http"
	"net/netip"
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

// actor is who is making the request, for the policy and the audit log.
func (s *Server) actor(r *http.Request) store.Actor {
	a := store.Actor{Addr: s.clientAddr(r), RequestID: requestID(r.Context())}
	if sess := sessionFrom(r.Context()); sess != nil {
		a.UserID, a.Role = sess.User.ID, sess.User.Role
	}
	return a
}

// loadSession finds the caller's session from its cookie and puts it in the
// request context. An ended session clears the cookie. Health checks and
// static files never touch the database for this.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
// promoted), sets the cookie, and audits e with it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *clinic.User, mfaDone bool, e store.Entry) error {
	now := s.Now().UTC()
	token := auth.NewToken()
	sess := &store.Session{
		IDHash: auth.HashToken(token), User: u, MFADone: mfaDone,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.Absolute),
		UserAgent: r.UserAgent(), ClientAddr: s.clientAddr(r),
	}
	var old string
	if cur := sessionFrom(r.Context()); cur != nil {
		old = cur.IDHash
		if cur.User.ID == u.ID {
			sess.ExpiresAt = cur.ExpiresAt // completing MFA does not extend the absolute lifetime
		}
	} else if c, err := r.Cookie(s.cookieName()); err == nil {
		old = auth.HashToken(c.Value)
	}
	actor := store.Actor{UserID: u.ID, Role: u.Role, Addr: s.clientAddr(r), RequestID: requestID(r.Context())}
	if err := s.store.StartSession(r.Context(), actor, old, sess, e); err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	return nil
}

// clientAddr is the address of the person's browser: the connection's
// peer, or, when that peer is a trusted reverse proxy, the last address in
// X-Forwarded-For that is not a trusted proxy. Rate limits and the audit
// log use it.
func (s *Server) clientAddr(r *http.Request) string {
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

func (s *Server) trustedProxy(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// homeFor is where a signed-in user lands.
func homeFor(u *clinic.User) string {
	switch u.Role {
	case clinic.RolePatient:
		return "/portal"
	case clinic.RoleAdmin:
		return "/admin/users"
	}
	return "/patients"
}

// limit is a rate limit counted from the audit log, so that every instance
// shares it: at most perAccount failures for one account, and perAddr from
// one client address, within window.
type limit struct {
	action     string
	perAccount int
	perAddr    int
	window     time.Duration
}

// knownAddressFor is how long an address where a person signed in stays
// exempt from their account's failure limit.
const knownAddressFor = 30 * 24 * time.Hour

var (
	reauthLimit = limit{action: "reauth.failure", perAccount: 5, perAddr: 30, window: 15 * time.Minute}
	loginLimit  = limit{action: "login.failure", perAccount: 10, perAddr: 50, window: 15 * time.Minute}
	mfaLimit    = limit{action: "mfa.failure", perAccount: 5, perAddr: 30, window: 15 * time.Minute}
	tokenLimit  = limit{action: "token.failure", perAddr: 20, window: 15 * time.Minute}
)

// throttled reports how long the caller must wait before trying again, or
// 0 when they may try now.
func (s *Server) throttled(ctx context.Context, l limit, account, addr string) (time.Duration, error) {
	now := s.Now().UTC()
	since := now.Add(-l.window)
	var wait time.Duration
	check := func(max int, obj, ad string) error {
		if max <= 0 {
			return nil
		}
		n, oldest, err := s.store.CountAudit(ctx, l.action, obj, ad, since)
		if err != nil {
			return err
		}
		if n >= max {
			if w := oldest.Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
		return nil
	}
	if account != "" {
		if err := check(l.perAccount, account, ""); err != nil {
			return 0, err
		}
	}
	if err := check(l.perAddr, "", addr); err != nil {
		return 0, err
	}
	if wait > 0 && wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

// tooMany answers 429 with Retry-After and the page again, keeping input.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, page, title string, data any) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.render(w, r, http.StatusTooManyRequests, page, title, data)
}

func waitWords(wait time.Duration) string {
	m := int((wait + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "a minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// emailKey is the rate-limit key for an email with no account: a keyed
// hash, so the audit log holds no address and no one without the key can
// confirm a guess.
func (s *Server) emailKey(email string) string {
	return "email:" + s.store.AuditKey().MAC("email", []byte(clinic.NormalizeEmail(email)))
}

type loginData struct {
	Email   string
	Error   string
	Notice  string
	Created bool
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if sess := sessionFrom(r.Context()); sess != nil {
		if sess.MFADone {
			http.Redirect(w, r, homeFor(sess.User), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		}
		return
	}
	q := r.URL.Query()
	d := loginData{}
	switch {
	case q.Has("signed_out"):
		d.Notice = "You have signed out. Close this window if you share this device."
	case q.Has("ended"):
		d.Notice = "Your session ended. Please sign in again."
	case q.Has("created"):
		d.Notice = "Your account is ready. Sign in with your email and new password."
	case q.Has("reset"):
		d.Notice = "Your password has been changed. Sign in with the new one."
	case q.Has("changed"):
		d.Notice = "Your sign-in details changed, so every session ended. Please sign in again."
	}
	s.render(w, r, http.StatusOK, "login", "Sign in", d)
}

// handleLogin checks an email and password. A wrong email, a wrong password
// and a disabled account get the same answer in the same time. Every
// attempt is audited; repeated failures are throttled per account and per
// client address.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	data := loginData{Email: email}
	if email == "" || pw == "" {
		data.Error = "Enter your email and your password."
		s.render(w, r, http.StatusUnprocessableEntity, "login", "Sign in", data)
		return
	}
	ctx := r.Context()
	actor := s.actor(r)
	u, hash, err := s.store.FindUserByEmail(ctx, email)
	account := s.emailKey(email)
	switch clinic.ErrorCode(err) {
	case "":
		account = u.ID
		actor.UserID, actor.Role = u.ID, u.Role
	case clinic.ENotFound:
		u = nil
	default:
		s.error(w, r, err)
		return
	}
	// Failures from elsewhere must not lock a person out of the place they
	// usually sign in from: there only the per-address limit applies.
	limitAccount := account
	if u != nil {
		known, err := s.store.SignedInFrom(ctx, u.ID, actor.Addr, s.Now().UTC().Add(-knownAddressFor))
		if err != nil {
			s.error(w, r, err)
			return
		}
		if known {
			limitAccount = ""
		}
	}
	wait, err := s.throttled(ctx, loginLimit, limitAccount, actor.Addr)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if wait > 0 {
		if err := s.store.Audit(ctx, actor, store.Entry{Action: "login.throttled", Outcome: store.OutcomeDenied, ObjectType: "user", ObjectID: account}); err != nil {
			s.error(w, r, err)
			return
		}
		data.Error = "Too many attempts. For your safety, sign-in is paused for " + waitWords(wait) + ". Then try again, or ask your practice to reset your password."
		s.tooMany(w, r, wait, "login", "Sign in", data)
		return
	}
	ok := false
	reason := "password"
	if u != nil {
		ok = auth.CheckPassword(hash, pw)
		if ok && u.DisabledAt != nil {
			ok, reason = false, "disabled"
		}
	} else {
		auth.CheckPasswordMissingUser(pw)
		reason = "unknown"
	}
	if !ok {
		if err := s.store.Audit(ctx, actor, store.Entry{Action: "login.failure", Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: account, Detail: reason}); err != nil {
			s.error(w, r, err)
			return
		}
		data.Error = "That email and password do not match an account. Check both and try again."
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", data)
		return
	}
	mfaDone := u.TOTPSecret == "" && !u.Role.Staff()
	action := "login.success"
	if !mfaDone {
		action = "login.password"
	}
	if err := s.startSession(w, r, u, mfaDone, store.Entry{Action: action}); err != nil {
		s.error(w, r, err)
		return
	}
	switch {
	case mfaDone:
		http.Redirect(w, r, homeFor(u), http.StatusSeeOther)
	case u.TOTPSecret == "":
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
	}
}

type mfaData struct {
	Code  string
	Error string
}

func (s *Server) handleMFAForm(w http.ResponseWriter, r *http.Request) {
	if sessionFrom(r.Context()).User.TOTPSecret == "" {
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "mfa", "Two-step verification", mfaData{})
}

// handleMFA checks a TOTP code or a recovery code. Each is accepted once;
// success replaces the session with a new, fully signed-in one.
func (s *Server) handleMFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := sessionFrom(ctx)
	u := sess.User
	if u.TOTPSecret == "" {
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
		return
	}
	actor := s.actor(r)
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	data := mfaData{Code: code}
	wait, err := s.throttled(ctx, mfaLimit, u.ID, actor.Addr)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if wait > 0 {
		if err := s.store.Audit(ctx, actor, store.Entry{Action: "mfa.throttled", Outcome: store.OutcomeDenied, ObjectType: "user", ObjectID: u.ID}); err != nil {
			s.error(w, r, err)
			return
		}
		data.Error = "Too many wrong codes. Wait " + waitWords(wait) + ", then enter the newest code."
		s.tooMany(w, r, wait, "mfa", "Two-step verification", data)
		return
	}
	fail := func(msg, detail string) {
		if err := s.store.Audit(ctx, actor, store.Entry{Action: "mfa.failure", Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: u.ID, Detail: detail}); err != nil {
			s.error(w, r, err)
			return
		}
		data.Error = msg
		s.render(w, r, http.StatusUnauthorized, "mfa", "Two-step verification", data)
	}
	method := "totp"
	if len(code) == 6 && isDigits(code) {
		step, ok := auth.MatchTOTP(u.TOTPSecret, code, s.Now())
		if !ok {
			fail("That code is not right. Enter the 6-digit code your app shows now.", "wrong")
			return
		}
		fresh, err := s.store.UseTOTPStep(ctx, u.ID, step)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if !fresh {
			fail("That code has already been used. Wait for your app to show a new code, then enter it.", "replay")
			return
		}
	} else if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		ok, err := s.store.UseRecoveryCode(ctx, u.ID, auth.HashToken(rc))
		if err != nil {
			s.error(w, r, err)
			return
		}
		if !ok {
			fail("That recovery code is not right, or was already used.", "recovery")
			return
		}
		method = "recovery"
	} else {
		fail("Enter the 6 digits your authenticator app shows, or one of your recovery codes.", "format")
		return
	}
	if err := s.startSession(w, r, u, true, store.Entry{Action: "login.success", Detail: "mfa=" + method}); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, homeFor(u), http.StatusSeeOther)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	if err := s.store.EndSession(r.Context(), s.actor(r), sess.IDHash, sess.PublicID); err != nil {
		s.error(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
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
