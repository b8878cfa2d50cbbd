// Package chaperone is the face of a remote dosing session's chaperone
// (issue 20, part 4): the clinician's link, made and revoked from the
// session page, and the chaperone's own page, which the link opens with
// no account.
package chaperone

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// A remote dosing session's chaperone (issue 20, part 4): the clinician's
// link on the session page, and the chaperone's own page, which the link
// opens with no account.
//
// The link's token is in the URL's path (/chaperone/{token}), like the
// sign-in links: the chaperone must be able to open it again and again on
// their phone (after the screen locks, the browser is closed, the page is
// reloaded), so it is not exchanged for a cookie on first use, which a
// phone's browser may drop mid-session and which would lock the
// chaperone out when the patient most needs them. Every response carries
// Referrer-Policy: no-referrer and Cache-Control: no-store
// (shell.SecureHeaders), so the token does not leak to other sites or
// stay in caches; the request log names the route's pattern, not the
// path. The token opens one session's page and its two forms, nothing
// else; the store checks it on every request (revoked, expired, the
// session over), and a wrong one counts against the caller's address with
// the sign-in links' (token.failure: 20 in 15 minutes). The forms are
// protected from other sites like every form (shell.CSRF: the browser's
// Sec-Fetch-Site and Origin), as the sign-in links' are.

// chaperoneTokenLimit is the sign-in links' limit on wrong links, shared
// (the same audit action), so a guesser gains nothing by switching pages.
const (
	chaperoneTokenLimit  = 20
	chaperoneTokenWindow = 15 * time.Minute
)

// Handlers are the chaperone face's handlers.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// linkPage is the page after the clinician asked for a link: the link,
// shown once (and whether it was emailed), or why there is none.
type linkPage struct {
	Link          *shell.LinkView
	Back, Problem string
	Expires       time.Time
	Loc           *time.Location
}

// LinkCreate makes a new chaperone link for the session and shows it once,
// to copy to the chaperone; with the chaperone's email address, it is also
// emailed, when an email server is set up (the page says truthfully
// whether it was sent: never through the development outbox, which would
// keep a working link in the database).
func (s *Handlers) LinkCreate(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	p := linkPage{Back: "/patients/" + r.PathValue("patient") + "/dosing/" + r.PathValue("session"), Loc: loc}
	to := strings.TrimSpace(r.PostFormValue("chaperone_email"))
	if a, err := mail.ParseAddress(to); to != "" && (err != nil || a.Address != to || len(to) > 254) {
		p.Problem = "Enter the chaperone's email address, like name@example.org, or leave it empty to copy the link yourself. No link was made."
		s.Render(w, r, http.StatusUnprocessableEntity, "chaperone_link", "Chaperone link", p)
		return
	}
	token, err := s.Store.CreateChaperoneLink(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && e.Fields["chaperone"] != "" {
		p.Problem = e.Fields["chaperone"]
		s.Render(w, r, http.StatusUnprocessableEntity, "chaperone_link", "Chaperone link", p)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	link := s.LinkBase(r) + "/chaperone/" + token
	p.Expires = s.Now().Add(clinic.ChaperoneLinkHours * time.Hour)
	p.Link = &shell.LinkView{URL: link, What: "The chaperone's link is ready.", Name: "the chaperone",
		Hint: "kapstone has not sent it. Pass it on by a text message to the chaperone's phone, or read it to them. It is shown only now."}
	if to != "" {
		p.Link.Hint = "It is shown only now."
		sent := s.emailLink(r, to, link)
		p.Link.Email = &sent
	}
	s.Render(w, r, http.StatusOK, "chaperone_link", "Chaperone link", p)
}

// emailLink emails the chaperone their link, when an email server is set
// up: the practice's name and the link, nothing about the patient. The
// email's fate is audited (not the address); a failed send is logged
// without the address.
func (s *Handlers) emailLink(r *http.Request, to, link string) shell.LinkEmail {
	out := shell.LinkEmail{To: to}
	if s.OutboxOnly || s.Config.Mailer == nil {
		out.NoServer = true
		return out
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	practice := s.PracticeName(ctx)
	body := "Hello,\n\n" + practice + " asked you to be the chaperone at a dosing session at home. Open this link on your phone when the session starts:\n" + link + "\n\n" +
		"It shows what to do, asks you to check on the person every 15 minutes, and has a button that alerts their clinician. It works for this session only.\n\n" +
		"In an emergency, call 911.\n\nIf you did not expect this email, you can ignore it."
	detail := "sent"
	if err := s.Config.Mailer.Send(ctx, []string{to}, "Your chaperone link from "+practice, body); err != nil {
		// Not the error's text: a server's refusal may quote the address.
		s.Log.Warn("chaperone link email failed", "request_id", shell.RequestID(r.Context()))
		detail = "failed"
	} else {
		out.Sent = true
	}
	if err := s.Store.Audit(r.Context(), s.Actor(r), store.Entry{Action: "chaperone.email", PatientID: r.PathValue("patient"), ObjectType: "dosing_session", ObjectID: r.PathValue("session"), Detail: detail}); err != nil {
		s.Log.Warn("chaperone link email not audited", "request_id", shell.RequestID(r.Context()))
	}
	return out
}

// LinkRevoke ends the session's chaperone link.
func (s *Handlers) LinkRevoke(w http.ResponseWriter, r *http.Request) {
	err := s.Store.RevokeChaperoneLink(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"))
	back := "/patients/" + r.PathValue("patient") + "/dosing/" + r.PathValue("session")
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && e.Fields["chaperone"] != "" {
		loc, _ := s.PracticeZone(r)
		s.Render(w, r, http.StatusUnprocessableEntity, "chaperone_link", "Chaperone link", linkPage{Back: back, Problem: e.Fields["chaperone"], Loc: loc})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, back+"?done=chaperone", "chaperone")
}

// Alarm answers the session page's watch, in JSON: the chaperone's
// latest help request, worrying check-in or missed check-in ("alarm": its
// event's id, "kind": what it is; empty when none), so an open session
// page shows it without a reload. 404 for anyone who may not read the
// chart, as for a session that does not exist.
func (s *Handlers) Alarm(w http.ResponseWriter, r *http.Request) {
	e, err := s.Store.ChaperoneAlarmOf(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("session"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := map[string]string{"alarm": "", "kind": ""}
	if e != nil {
		out["alarm"], out["kind"] = e.ID, map[string]string{clinic.ChaperoneHelp: "help", clinic.ChaperoneMissed: "missed"}[e.Action]
		if out["kind"] == "" {
			out["kind"] = "concern"
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}

// chaperoneView is the chaperone's page.
type chaperoneView struct {
	V            *store.ChaperoneView
	Action       string // the page's path (with its token), for the forms
	Phone        string // the practice's
	Loc          *time.Location
	Zone         string
	Now          time.Time
	Form         url.Values
	Errors       map[string]string
	Notice       string
	ClientID     string
	CheckMinutes int
}

// chaperoneHash is the hash of the link's token, unless the caller's
// address has sent too many links that do not work: then it answers 429
// and returns false.
func (s *Handlers) chaperoneHash(w http.ResponseWriter, r *http.Request) (string, bool) {
	actor := s.Actor(r)
	now := s.Now().UTC()
	n, oldest, err := s.Store.CountAudit(r.Context(), "token.failure", "", actor.Addr, now.Add(-chaperoneTokenWindow))
	if err != nil {
		s.Error(w, r, err)
		return "", false
	}
	if n >= chaperoneTokenLimit {
		wait := max(oldest.Add(chaperoneTokenWindow).Sub(now), time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		s.Error(w, r, clinic.Errorf(clinic.ETooMany, "Too many attempts with links that do not work. Wait a few minutes and try again. If the patient needs help now, call 911."))
		return "", false
	}
	return auth.HashToken(r.PathValue("token")), true
}

// chaperoneError answers a chaperone request that failed; a link that
// does not work counts against the caller's address.
func (s *Handlers) chaperoneError(w http.ResponseWriter, r *http.Request, err error) {
	if clinic.ErrorCode(err) == clinic.ENotFound {
		if aerr := s.Store.Audit(r.Context(), s.Actor(r), store.Entry{Action: "token.failure", Outcome: store.OutcomeFailure, ObjectType: "token", Detail: "chaperone"}); aerr != nil {
			err = aerr
		}
	}
	s.Error(w, r, err)
}

// chaperoneNotices are the page's notices by the redirect's done=.
var chaperoneNotices = map[string]string{
	"checkin": "Check-in saved. Thank you.",
	"help":    "The clinician has been alerted. If the patient is not breathing, cannot be woken or is in danger, call 911 now.",
}

// Page is the chaperone's page: the plan, the next check-in and
// the help button.
func (s *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	s.chaperonePage(w, r, http.StatusOK, nil, nil)
}

func (s *Handlers) chaperonePage(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs map[string]string) {
	hash, ok := s.chaperoneHash(w, r)
	if !ok {
		return
	}
	v, err := s.Store.ChaperonePage(r.Context(), s.Actor(r), hash)
	if err != nil {
		s.chaperoneError(w, r, err)
		return
	}
	loc, zone := s.PracticeZone(r)
	p := chaperoneView{V: v, Action: "/chaperone/" + r.PathValue("token"), Loc: loc, Zone: zone, Now: s.Now(), Form: form, Errors: errs,
		ClientID: auth.NewToken()[:22], CheckMinutes: clinic.ChaperoneCheckMinutes}
	if ps, err := s.Store.Practice(r.Context()); err == nil {
		p.Phone = ps.Phone
	}
	if errs == nil {
		p.Notice = chaperoneNotices[r.URL.Query().Get("done")]
	}
	s.Render(w, r, status, "chaperone", "Chaperone", p)
}

// chaperoneDone answers a chaperone's form.
func (s *Handlers) chaperoneDone(w http.ResponseWriter, r *http.Request, err error, done string) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && len(e.Fields) > 0 {
		s.chaperonePage(w, r, http.StatusUnprocessableEntity, r.PostForm, e.Fields)
		return
	}
	if err != nil {
		s.chaperoneError(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/chaperone/"+r.PathValue("token")+"?done="+done, "notice")
}

// CheckIn keeps a check-in: three answers, each required, and an
// optional note.
func (s *Handlers) CheckIn(w http.ResponseWriter, r *http.Request) {
	hash, ok := s.chaperoneHash(w, r)
	if !ok {
		return
	}
	fe := clinic.FieldErrors{}
	answer := func(name, question string) bool {
		switch r.PostFormValue(name) {
		case "yes":
			return true
		case "no":
		default:
			fe.Add(name, "Answer: "+question)
		}
		return false
	}
	a := clinic.ChaperoneAnswers{
		Responsive: answer("responsive", "is the patient responsive?"),
		Breathing:  answer("breathing", "are they breathing normally?"),
		Concern:    answer("concern", "is anything a concern?"),
		Note:       r.PostFormValue("note"),
	}
	var err error = fe.Err()
	if len(fe) == 0 {
		err = s.Store.ChaperoneCheckIn(r.Context(), s.Actor(r), hash, r.PostFormValue("client_id"), a)
	}
	s.chaperoneDone(w, r, err, "checkin")
}

// Help alerts the clinician at once.
func (s *Handlers) Help(w http.ResponseWriter, r *http.Request) {
	hash, ok := s.chaperoneHash(w, r)
	if !ok {
		return
	}
	err := s.Store.ChaperoneHelpNow(r.Context(), s.Actor(r), hash, r.PostFormValue("client_id"))
	s.chaperoneDone(w, r, err, "help")
}
