package account

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// ForgotLimit bounds self-service reset requests: PerAccount requests for
// one address (an account, or an email with none: the same for both, so the
// limit tells nothing) and PerAddr from one client address, within Window.
var ForgotLimit = limit{action: store.ForgotAction, PerAccount: 3, PerAddr: 10, Window: 30 * time.Minute}

// forgotData is the forgot-password page: the form, or the answer.
type forgotData struct {
	Email   string
	Error   string
	Asked   bool // the request was taken: show the answer
	Emailed bool // this practice sends email (SMTP is set up)
}

// ForgotForm asks for the email of the account whose password was forgotten.
func (s *Handlers) ForgotForm(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "forgot", "Forgot your password?", forgotData{Emailed: !s.OutboxOnly})
}

// Forgot takes a self-service reset request (only when the practice sends
// email: without it, the page tells the person to ask the practice). Whether an account has the
// address or not, the answer is the same page, with the same status, after
// the same work (a lookup, the rate-limit counts and one write); for an
// account, the write also queues the email with the link
// (store.JobPasswordResetEmail). The link only sets a new password: signing
// in after it still asks for the second factor. Requests are limited per
// address and per client (ForgotLimit, from the audit log).
func (s *Handlers) Forgot(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	d := forgotData{Email: email, Emailed: !s.OutboxOnly}
	if s.OutboxOnly {
		// No email is sent, so no link is made: one kept in the outbox
		// would let whoever reads it take the account. The page says to
		// ask the practice, the same for every address.
		s.Render(w, r, http.StatusOK, "forgot", "Forgot your password?", forgotData{})
		return
	}
	if a, err := mail.ParseAddress(email); email == "" || err != nil || a.Address != email {
		d.Error = "Enter the email address you sign in with, like name@example.com."
		s.Render(w, r, http.StatusUnprocessableEntity, "forgot", "Forgot your password?", d)
		return
	}
	actor := s.Actor(r)
	u, _, err := s.Store.FindUserByEmail(ctx, email)
	account, userID := s.emailKey(email), ""
	switch clinic.ErrorCode(err) {
	case "":
		account = u.ID
		if u.DisabledAt == nil {
			userID = u.ID
		}
	case clinic.ENotFound:
	default:
		s.Error(w, r, err)
		return
	}
	wait, err := s.throttled(ctx, ForgotLimit, account, actor.Addr)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if wait > 0 {
		d.Error = "There have been several requests for this address or from this connection. Wait " + waitWords(wait) + " and try again, or ask your practice for a reset link."
		s.tooMany(w, r, wait, "forgot", "Forgot your password?", d)
		return
	}
	if err := s.Store.RequestPasswordReset(ctx, actor, userID, account); err != nil {
		s.Error(w, r, err)
		return
	}
	d.Asked = true
	s.Render(w, r, http.StatusOK, "forgot", "Forgot your password?", d)
}
