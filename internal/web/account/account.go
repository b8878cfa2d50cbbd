package account

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

type accountData struct {
	Session      *store.Session
	Sessions     []*store.Session
	Idle         string
	RecoveryLeft int
	Notice       string
	Clinician    bool                // clinicians have a calendar feed
	Feed         *store.CalendarFeed // their live feed, if any
	FeedURL      string              // shown once, just after it is made
	Days         []hoursRow          // clinicians: working hours, Monday first
	TimeOff      []store.TimeOff
	Zone         string
	Loc          *time.Location
	Errors       map[string]string
	Form         url.Values
	Patient      bool // patients choose reminder emails
	RemindersOn  bool
	Devices      []*store.Device // remembered devices (store.Device)
	ThisDevice   string          // the id of this browser's device, if remembered
	Posted       string          // the id of the form posted, for its error summary (shell.Summary)
	// Personal API tokens (apitoken.go).
	APITokens     []*store.APIToken
	NewToken      string // shown once, just after it is made
	TokenNotice   string // what was just done, shown in the section
	TokenExpiries []apiTokenExpiry
	TokenLabel    string // the new-token form's values: what was typed, or the defaults
	TokenScope    string
	TokenTTL      string
	NPI           string // clinicians: their own NPI, for superbills (npi.go)
}

func (s *Handlers) Account(w http.ResponseWriter, r *http.Request) {
	d := accountData{}
	switch r.URL.Query().Get("done") {
	case "reminders-on":
		d.Notice = "Appointment reminders by email are on."
	case "reminders-off":
		d.Notice = "Appointment reminders by email are off."
	case "feed-off":
		d.Notice = "Your calendar feed is off; its link no longer works."
	case "hours":
		d.Notice = "Your working hours are saved."
	case "npi":
		d.Notice = "Your NPI is saved."
	case "time-off":
		d.Notice = "Your time off is saved."
	case "session":
		d.Notice = "That session has ended."
	case "password":
		d.Notice = "Your password has been changed. Every other session has ended."
	case "mfa-off":
		d.Notice = "Two-step verification is off."
	case "device":
		d.Notice = "That device is forgotten."
	case "devices":
		d.Notice = "Every device is forgotten."
	case "api-token-revoked":
		d.Posted, d.TokenNotice = apiTokensForm, "That API token is revoked: it no longer works."
	}
	s.accountPage(w, r, d, http.StatusOK)
}

// accountPage renders the account page with d's notice, link and errors,
// filling in the rest.
func (s *Handlers) accountPage(w http.ResponseWriter, r *http.Request, d accountData, status int) {
	sess := shell.SessionFrom(r.Context())
	list, err := s.Store.ListSessions(r.Context(), sess.User.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	left, err := s.Store.CountRecoveryCodes(r.Context(), sess.User.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Session, d.Sessions, d.Idle, d.RecoveryLeft = sess, list, humanDuration(s.IdleLimit(sess.User.Role)), left
	if d.Devices, err = s.Store.ListDevices(r.Context(), sess.User.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	this, err := s.knownDevice(r, sess.User.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if this != nil {
		d.ThisDevice = this.ID
	}
	if err := s.accountSections(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.apiTokenSection(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.npiSection(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, status, "account", "Your account", d)
}

func (s *Handlers) EndSession(w http.ResponseWriter, r *http.Request) {
	sess := shell.SessionFrom(r.Context())
	sid := r.PathValue("sid")
	if err := s.Store.EndOwnSession(r.Context(), s.Actor(r), sid); err != nil {
		s.Error(w, r, err)
		return
	}
	if sid == sess.PublicID {
		s.ClearSessionCookie(w)
		http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account?done=session", http.StatusSeeOther)
}

// EndAllSessions signs the user out everywhere, this browser included.
func (s *Handlers) EndAllSessions(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.EndAllSessions(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	s.ClearSessionCookie(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}

// passwordData is the change-password form and, for setup, invitation and
// reset links, the new-account form.
type passwordData struct {
	Action      string // where the form posts
	Heading     string
	Intro       string
	Email       string
	EmailFixed  bool
	NameFixed   bool
	AskName     bool
	DisplayName string
	AskCurrent  bool
	Button      string
	Errors      map[string]string
}

func (s *Handlers) PasswordForm(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "password", "Change password", passwordData{
		Action: "/account/password", Heading: "Change your password", AskCurrent: true, Button: "Change password",
		Intro: "Every other place you are signed in will be signed out.",
	})
}

// checkNewPassword validates the new password and its confirmation, adding
// messages to fe.
func checkNewPassword(r *http.Request, email string, fe clinic.FieldErrors) string {
	pw := r.PostFormValue("new_password")
	if msg := auth.CheckPasswordPolicy(pw, email); msg != "" {
		fe.Add("new_password", msg)
	} else if pw != r.PostFormValue("confirm_password") {
		fe.Add("confirm_password", "The two passwords are not the same. Type the new password again.")
	}
	return pw
}

// checkCurrentPassword checks the current password typed into a form that
// changes sign-in details. Failures are audited and counted against the
// account, so a browser left signed in cannot be used to guess it. It
// returns a message for the field ("" when right); when the account is
// limited it sets Retry-After and returns an ETooMany error.
func (s *Handlers) checkCurrentPassword(w http.ResponseWriter, r *http.Request) (string, error) {
	ctx := r.Context()
	actor := s.Actor(r)
	wait, err := s.throttled(ctx, ReauthLimit, actor.UserID, actor.Addr)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", itoaSecs(wait))
		return "", clinic.Errorf(clinic.ETooMany, "Too many wrong passwords. Wait %s and try again.", waitWords(wait))
	}
	_, hash, err := s.Store.FindUserByID(ctx, actor.UserID)
	if err != nil {
		return "", err
	}
	if auth.CheckPassword(hash, r.PostFormValue("current_password")) {
		return "", nil
	}
	err = s.Store.Audit(ctx, actor, store.Entry{Action: "reauth.failure", Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: actor.UserID})
	return "That is not your current password.", err
}

func (s *Handlers) Password(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := shell.SessionFrom(ctx)
	d := passwordData{Action: "/account/password", Heading: "Change your password", AskCurrent: true, Button: "Change password",
		Intro: "Every other place you are signed in will be signed out."}
	fe := clinic.FieldErrors{}
	msg, err := s.checkCurrentPassword(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if msg != "" {
		fe.Add("current_password", msg)
	}
	pw := checkNewPassword(r, sess.User.Email, fe)
	if len(fe) > 0 {
		d.Errors = fe
		s.Render(w, r, http.StatusUnprocessableEntity, "password", "Change password", d)
		return
	}
	newHash, err := auth.HashPassword(pw, s.Config.PasswordParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.Store.SetPassword(ctx, s.Actor(r), sess.User.ID, newHash, "password.change"); err != nil {
		s.Error(w, r, err)
		return
	}
	// Every session ended, this one too; give this browser a fresh one.
	if err := s.StartSession(w, r, sess.User, true, store.Entry{Action: "session.renew", Detail: "password"}); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

// mfaSetupData is the enrolment page: QR code, secret, and the code form.
type mfaSetupData struct {
	Action     string
	QR         template.URL // data: URL of a PNG
	Secret     string       // grouped in fours for typing
	Code       string
	AskCurrent bool
	Required   bool
	Errors     map[string]string
	Recovery   []string // shown once, after enrolment
	Done       string   // where to go after the recovery codes
	// Carry is a draft carried through sign-in (shell.LoginData.Carry),
	// kept through enrolment and saved after the recovery codes.
	Carry string
}

// pendingSecret returns the secret being enrolled on this session, making
// one when there is none. The store keeps it sealed; it is opened here only
// to show it (QR code and typed form).
func (s *Handlers) pendingSecret(r *http.Request) (string, error) {
	sess := shell.SessionFrom(r.Context())
	if sess.HasPendingTOTP() {
		return s.Store.OpenPendingTOTP(sess)
	}
	secret, err := auth.NewTOTPSecret(s.PracticeName(r.Context()), sess.User.Email)
	if err != nil {
		return "", err
	}
	if err := s.Store.SetPendingTOTP(r.Context(), sess, secret); err != nil {
		return "", err
	}
	return secret, nil
}

func (s *Handlers) mfaSetup(r *http.Request, d *mfaSetupData) error {
	secret, err := s.pendingSecret(r)
	if err != nil {
		return err
	}
	png, err := auth.TOTPQR(s.PracticeName(r.Context()), shell.SessionFrom(r.Context()).User.Email, secret, 240)
	if err != nil {
		return err
	}
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	d.Secret = strings.Join(groups, " ")
	return nil
}

func (s *Handlers) MFASetupForm(w http.ResponseWriter, r *http.Request) {
	if shell.SessionFrom(r.Context()).User.HasTOTP {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	d := mfaSetupData{Action: "/login/mfa/setup", Required: true}
	if err := s.mfaSetup(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "mfa_setup", "Set up two-step verification", d)
}

// enrol checks the code against the pending secret (and, from the account
// page, the current password); on success it stores the second factor,
// issues recovery codes, starts a fresh session and shows the codes once.
func (s *Handlers) enrol(w http.ResponseWriter, r *http.Request, d mfaSetupData) {
	ctx := r.Context()
	sess := shell.SessionFrom(ctx)
	u := sess.User
	fe := clinic.FieldErrors{}
	if d.AskCurrent {
		msg, err := s.checkCurrentPassword(w, r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if msg != "" {
			fe.Add("current_password", msg)
		}
	}
	d.Code = strings.Join(strings.Fields(r.PostFormValue("code")), "")
	if d.Required {
		d.Carry = s.ValidCarry(r.PostFormValue(shell.CarryField))
	}
	pending, err := s.Store.OpenPendingTOTP(sess) // opened only to check the code
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if pending == "" {
		fe.Add("code", "This set-up page expired. Scan the new code below.")
	} else if _, ok := auth.MatchTOTP(pending, d.Code, s.Now()); !ok {
		fe.Add("code", "That code does not match. Check that you scanned the code on this page, then enter the 6 digits your app shows now.")
	}
	if len(fe) > 0 {
		s.Store.Audit(ctx, s.Actor(r), store.Entry{Action: "mfa.enrol", Outcome: store.OutcomeFailure, ObjectType: "user", ObjectID: u.ID})
		d.Errors = fe
		if err := s.mfaSetup(r, &d); err != nil {
			s.Error(w, r, err)
			return
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "mfa_setup", "Set up two-step verification", d)
		return
	}
	codes := auth.NewRecoveryCodes(auth.RecoveryCodeCount)
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashToken(c)
	}
	if err := s.Store.SetTOTP(ctx, s.Actor(r), u.ID, pending, hashes); err != nil {
		s.Error(w, r, err)
		return
	}
	step, _ := auth.MatchTOTP(pending, d.Code, s.Now())
	if _, err := s.Store.UseTOTPStep(ctx, u.ID, step); err != nil { // the enrolment code is spent too
		s.Error(w, r, err)
		return
	}
	u.HasTOTP = true
	if err := s.StartSession(w, r, u, true, store.Entry{Action: "login.success", Detail: "mfa=enrol"}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.rememberDevice(w, r, u)
	s.Render(w, r, http.StatusOK, "mfa_codes", "Your recovery codes", mfaSetupData{Recovery: codes, Done: shell.HomeFor(u), Carry: d.Carry})
}

func (s *Handlers) MFASetup(w http.ResponseWriter, r *http.Request) {
	if shell.SessionFrom(r.Context()).User.HasTOTP {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	s.enrol(w, r, mfaSetupData{Action: "/login/mfa/setup", Required: true})
}

// SecondStepCarrying answers a note posted by a half-signed-in session
// with its second step (the code, or setting up a second factor), the
// post carried through it for the session's user (shell.SealCarry). If it
// cannot be sealed, the step is shown without it.
func (s *Handlers) SecondStepCarrying(w http.ResponseWriter, r *http.Request) {
	u := shell.SessionFrom(r.Context()).User
	carry, err := s.SealCarry(r.URL.Path, r.PostForm, u.ID)
	if err != nil {
		s.Log.Error("carry: seal", "request_id", shell.RequestID(r.Context()), "err", err.Error())
	}
	w.Header().Set("Cache-Control", "no-store")
	if u.HasTOTP {
		s.Render(w, r, http.StatusOK, "mfa", "Two-step verification", shell.MFAData{Carry: carry})
		return
	}
	d := mfaSetupData{Action: "/login/mfa/setup", Required: true, Carry: carry}
	if err := s.mfaSetup(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "mfa_setup", "Set up two-step verification", d)
}

// CarryOn saves a draft carried through sign-in once the person is
// fully signed in after enrolling a second factor (the recovery codes page
// posts it here), or goes home when there is none.
func (s *Handlers) CarryOn(w http.ResponseWriter, r *http.Request) {
	if c := r.PostFormValue(shell.CarryField); c != "" && s.ApplyCarry != nil && s.ApplyCarry(w, r, c) {
		return
	}
	http.Redirect(w, r, shell.HomeFor(shell.SessionFrom(r.Context()).User), http.StatusSeeOther)
}

func (s *Handlers) AccountMFAForm(w http.ResponseWriter, r *http.Request) {
	d := mfaSetupData{Action: "/account/mfa", AskCurrent: true}
	if err := s.mfaSetup(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "mfa_setup", "Set up two-step verification", d)
}

func (s *Handlers) AccountMFA(w http.ResponseWriter, r *http.Request) {
	s.enrol(w, r, mfaSetupData{Action: "/account/mfa", AskCurrent: true})
}

// AccountMFAOff lets a patient turn their optional second factor off,
// with their password. Staff cannot: for them it is required.
func (s *Handlers) AccountMFAOff(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := shell.SessionFrom(ctx)
	msg, err := s.checkCurrentPassword(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if msg != "" {
		s.Error(w, r, &clinic.Error{Code: clinic.EInvalid, Message: "That is not your current password, so two-step verification is still on. Go back and try again."})
		return
	}
	if err := s.Store.SetTOTP(ctx, s.Actor(r), sess.User.ID, "", nil); err != nil {
		s.Error(w, r, err)
		return
	}
	sess.User.HasTOTP = false
	if err := s.StartSession(w, r, sess.User, true, store.Entry{Action: "session.renew", Detail: "mfa"}); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=mfa-off", http.StatusSeeOther)
}
