package account

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// limit is a rate limit counted from the audit log, so that every instance
// shares it. A browser that is not a device known to the account (see
// store.Device) is limited to PerAccount failures (action) for the account
// from anywhere unknown, and PerAddr from its client address, within
// Window. A known device is limited only by its own failures (deviceAction):
// PerAccount of them within Window lock that device, and failures elsewhere
// never lock it (issue 14, finding 4).
type limit struct {
	action       string
	deviceAction string
	PerAccount   int
	PerAddr      int
	Window       time.Duration
}

var (
	ReauthLimit = limit{action: "reauth.failure", PerAccount: 5, PerAddr: 30, Window: 15 * time.Minute}
	LoginLimit  = limit{action: "login.failure", deviceAction: "login.device.failure", PerAccount: 10, PerAddr: 50, Window: 15 * time.Minute}
	MFALimit    = limit{action: "mfa.failure", deviceAction: "mfa.device.failure", PerAccount: 5, PerAddr: 30, Window: 15 * time.Minute}
	tokenLimit  = limit{action: "token.failure", PerAddr: 20, Window: 15 * time.Minute}
)

// KnownAddrWindow is how long an address where an account fully signed in
// spares that account the per-address sign-in limit.
const KnownAddrWindow = 30 * 24 * time.Hour

// throttled reports how long the caller must wait before trying again, or
// 0 when they may try now.
func (s *Handlers) throttled(ctx context.Context, l limit, account, addr string) (time.Duration, error) {
	return s.throttledAt(ctx, l, account, addr, true)
}

// throttledAt is throttled, with the per-address limit applied only when
// perAddr is true.
func (s *Handlers) throttledAt(ctx context.Context, l limit, account, addr string, perAddr bool) (time.Duration, error) {
	now := s.Now().UTC()
	since := now.Add(-l.Window)
	var wait time.Duration
	check := func(max int, obj, ad string) error {
		if max <= 0 {
			return nil
		}
		n, oldest, err := s.Store.CountAudit(ctx, l.action, obj, ad, since)
		if err != nil {
			return err
		}
		if n >= max {
			if w := oldest.Add(l.Window).Sub(now); w > wait {
				wait = w
			}
		}
		return nil
	}
	if account != "" {
		if err := check(l.PerAccount, account, ""); err != nil {
			return 0, err
		}
	}
	if perAddr {
		if err := check(l.PerAddr, "", addr); err != nil {
			return 0, err
		}
	}
	if wait > 0 && wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

// tooMany answers 429 with Retry-After and the page again, keeping input.
func (s *Handlers) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, page, title string, data any) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.Render(w, r, http.StatusTooManyRequests, page, title, data)
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
func (s *Handlers) emailKey(email string) string {
	return "email:" + s.Store.AuditKey().MAC("email", []byte(clinic.NormalizeEmail(email)))
}

func (s *Handlers) LoginForm(w http.ResponseWriter, r *http.Request) {
	if sess := shell.SessionFrom(r.Context()); sess != nil {
		if sess.MFADone {
			http.Redirect(w, r, shell.HomeFor(sess.User), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		}
		return
	}
	q := r.URL.Query()
	d := shell.LoginData{}
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
	s.Render(w, r, http.StatusOK, "login", "Sign in", d)
}

// Login checks an email and password. A wrong email, a wrong password
// and a disabled account get the same answer in the same time. Every
// attempt is audited; repeated failures are throttled per account and per
// client address, except from a device known to the account, which is
// throttled by its own failures alone (see limit).
func (s *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	data := shell.LoginData{Email: email, Carry: s.ValidCarry(r.PostFormValue(shell.CarryField))}
	if email == "" || pw == "" {
		data.Error = "Enter your email and your password."
		s.Render(w, r, http.StatusUnprocessableEntity, "login", "Sign in", data)
		return
	}
	ctx := r.Context()
	actor := s.Actor(r)
	u, hash, err := s.Store.FindUserByEmail(ctx, email)
	account := s.emailKey(email)
	switch clinic.ErrorCode(err) {
	case "":
		account = u.ID
		actor.UserID, actor.Role = u.ID, u.Role
	case clinic.ENotFound:
		u = nil
	default:
		s.Error(w, r, err)
		return
	}
	// A browser where this account fully signed in before has its own
	// count of failures: others' failures, from this address or anywhere,
	// do not lock it out (issue 14, finding 4). Looked up for unknown
	// emails too, so both take the same time.
	uid := ""
	if u != nil {
		uid = u.ID
	}
	dev, err := s.knownDevice(r, uid)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// An address this account fully signed in from within KnownAddrWindow
	// is spared the per-address limit (a flood of failures from an office
	// behind one NAT does not lock out the person who signs in there
	// every day, even in a browser that kept no device cookie), but not
	// the account's own limit, so guessing from there stays bounded.
	// Asked for unknown emails too, so both take the same time.
	var wait time.Duration
	if dev != nil {
		wait, err = s.deviceThrottled(ctx, LoginLimit, dev)
	} else {
		var known bool
		known, err = s.Store.SignedInFrom(ctx, uid, actor.Addr, s.Now().Add(-KnownAddrWindow))
		if err == nil {
			wait, err = s.throttledAt(ctx, LoginLimit, account, actor.Addr, !known)
		}
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if wait > 0 {
		if err := s.Store.Audit(ctx, actor, store.Entry{Action: "login.throttled", Outcome: store.OutcomeDenied, ObjectType: "user", ObjectID: account, Detail: deviceDetail(dev)}); err != nil {
			s.Error(w, r, err)
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
		if err := s.Store.Audit(ctx, actor, LoginLimit.failure(dev, account, reason)); err != nil {
			s.Error(w, r, err)
			return
		}
		data.Error = "That email and password do not match an account. Check both and try again."
		s.Render(w, r, http.StatusUnauthorized, "login", "Sign in", data)
		return
	}
	mfaDone := !u.HasTOTP && !auth.Can(u.Role, auth.RelNone, auth.PermStaffApp)
	action := "login.success"
	if !mfaDone {
		action = "login.password"
	}
	signed, err := s.StartSessionRequest(w, r, u, mfaDone, store.Entry{Action: action})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	r = signed
	if mfaDone {
		s.rememberDevice(w, r, u)
	}
	switch {
	case mfaDone && data.Carry != "" && s.ApplyCarry != nil && s.ApplyCarry(w, r, data.Carry):
	case mfaDone:
		http.Redirect(w, r, s.afterSignIn(w, r, u), http.StatusSeeOther)
	case data.Carry != "" && u.HasTOTP:
		// A draft carried through sign-in: the second step is shown here
		// (not redirected to) so the draft goes on with it.
		s.Render(w, r, http.StatusOK, "mfa", "Two-step verification", shell.MFAData{Carry: data.Carry})
	case data.Carry != "":
		// The same through enrolling a second factor (review finding 2).
		d := mfaSetupData{Action: "/login/mfa/setup", Required: true, Carry: data.Carry}
		if err := s.mfaSetup(r, &d); err != nil {
			s.Error(w, r, err)
			return
		}
		s.Render(w, r, http.StatusOK, "mfa_setup", "Set up two-step verification", d)
	case !u.HasTOTP:
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
	}
}

func (s *Handlers) MFAForm(w http.ResponseWriter, r *http.Request) {
	if !shell.SessionFrom(r.Context()).User.HasTOTP {
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
		return
	}
	s.Render(w, r, http.StatusOK, "mfa", "Two-step verification", shell.MFAData{})
}

// MFA checks a TOTP code or a recovery code. Each is accepted once;
// success replaces the session with a new, fully signed-in one.
func (s *Handlers) MFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := shell.SessionFrom(ctx)
	u := sess.User
	if !u.HasTOTP {
		http.Redirect(w, r, "/login/mfa/setup", http.StatusSeeOther)
		return
	}
	actor := s.Actor(r)
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	// A carried draft is passed on again only when it is one this server
	// made; after success it is always answered (ApplyCarry says when it
	// cannot be restored, rather than dropping it without a word).
	carried := r.PostFormValue(shell.CarryField)
	data := shell.MFAData{Code: code, Carry: s.ValidCarry(carried)}
	// The owner's known device is counted apart, so someone who has the
	// password cannot lock the owner out with wrong codes (issue 14,
	// finding 4); they stay limited themselves.
	dev, err := s.knownDevice(r, u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var wait time.Duration
	if dev != nil {
		wait, err = s.deviceThrottled(ctx, MFALimit, dev)
	} else {
		wait, err = s.throttled(ctx, MFALimit, u.ID, actor.Addr)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if wait > 0 {
		if err := s.Store.Audit(ctx, actor, store.Entry{Action: "mfa.throttled", Outcome: store.OutcomeDenied, ObjectType: "user", ObjectID: u.ID, Detail: deviceDetail(dev)}); err != nil {
			s.Error(w, r, err)
			return
		}
		data.Error = "Too many wrong codes. Wait " + waitWords(wait) + ", then enter the newest code."
		s.tooMany(w, r, wait, "mfa", "Two-step verification", data)
		return
	}
	fail := func(msg, detail string) {
		if err := s.Store.Audit(ctx, actor, MFALimit.failure(dev, u.ID, detail)); err != nil {
			s.Error(w, r, err)
			return
		}
		data.Error = msg
		s.Render(w, r, http.StatusUnauthorized, "mfa", "Two-step verification", data)
	}
	method := "totp"
	if len(code) == 6 && isDigits(code) {
		step, ok, err := s.Store.MatchTOTP(ctx, u.ID, code, s.Now())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if !ok {
			fail("That code is not right. Enter the 6-digit code your app shows now.", "wrong")
			return
		}
		fresh, err := s.Store.UseTOTPStep(ctx, u.ID, step)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if !fresh {
			fail("That code has already been used. Wait for your app to show a new code, then enter it.", "replay")
			return
		}
	} else if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		ok, err := s.Store.UseRecoveryCode(ctx, u.ID, auth.HashToken(rc))
		if err != nil {
			s.Error(w, r, err)
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
	if err := s.StartSession(w, r, u, true, store.Entry{Action: "login.success", Detail: "mfa=" + method}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.rememberDevice(w, r, u)
	if carried != "" && s.ApplyCarry != nil && s.ApplyCarry(w, r, carried) {
		return
	}
	http.Redirect(w, r, s.afterSignIn(w, r, u), http.StatusSeeOther) // home, or back to an app's authorization request
}

// deviceDetail names a known device in an audit row's detail ("" for none).
func deviceDetail(dev *store.Device) string {
	if dev == nil {
		return ""
	}
	return "device=" + dev.ID
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	sess := shell.SessionFrom(r.Context())
	if err := s.Store.EndSession(r.Context(), s.Actor(r), sess.IDHash, sess.PublicID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.ClearSessionCookie(w)
	// The browser drops its cached copies of this site's pages; the
	// signed-out page's script deletes the safety plan's offline copy and
	// its service worker (issue 17). "storage" is not sent: it would also
	// drop check-in answers waiting in another tab to be sent.
	w.Header().Set("Clear-Site-Data", `"cache"`)
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

// itoaSecs is d in whole seconds, rounded up, for a Retry-After header.
func itoaSecs(d time.Duration) string { return strconv.Itoa(int((d + time.Second - 1) / time.Second)) }
