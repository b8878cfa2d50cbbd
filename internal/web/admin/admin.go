package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/audit"
	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

type usersData struct {
	// The staff's accounts and the patients', each a page at a time (by
	// name), with how many match and the keys of the neighbouring pages.
	Staff, Patients accountsSection
	Query           string // the search, posted (never in a URL)
	Self            string
	Notice          string
	Errors          map[string]string

	// Invitations not yet used (people, issue 15), and a link just made.
	Invitations []store.Invitation
	NewLink     *shell.LinkView
	Now         time.Time
	Zone        string
}

// accountsSection is one list of the accounts page.
type accountsSection struct {
	List       string // "staff" or "patients"
	Users      []*clinic.User
	Total      int
	Next, Prev string // keys (user ids) of the neighbouring pages, "" for none
}

// Sections are the accounts page's two lists, staff first.
func (d usersData) Sections() []accountsSection { return []accountsSection{d.Staff, d.Patients} }

// Title names the list.
func (a accountsSection) Title() string {
	if a.List == "patients" {
		return "Patients' accounts"
	}
	return "Staff accounts"
}

// PageURL is the link to the page of this list after or before key.
func (a accountsSection) PageURL(dir, key string) string {
	return "/admin/users?" + url.Values{"list": {a.List}, dir: {key}}.Encode()
}

// accountsPageSize is how many accounts a list of the accounts page shows
// at a time.
const accountsPageSize = 50

func (s *Handlers) usersPage(w http.ResponseWriter, r *http.Request, d usersData, status int) {
	// A search is posted (it may be a patient's name, which is kept out of
	// URLs and so out of logs), and so is another page of a search; other
	// pages are links. The key of a page is a user id, for the list named.
	var keys [2]store.PageKey
	d.Staff.List, d.Patients.List = "staff", "patients"
	if r.Method == http.MethodPost {
		d.Query = strings.TrimSpace(r.PostFormValue("q"))
		if utf8.RuneCountInString(d.Query) > 100 {
			d.Errors, d.Query, status = map[string]string{"q": "Search with at most 100 characters."}, "", http.StatusUnprocessableEntity
		}
	}
	for i, list := range []string{d.Staff.List, d.Patients.List} {
		if r.FormValue("list") == list {
			keys[i] = store.PageKey{After: idKey(r.FormValue("after")), Before: idKey(r.FormValue("before"))}
		}
	}
	keys[0].Limit, keys[1].Limit = accountsPageSize, accountsPageSize
	staff, patients, err := s.Store.Accounts(r.Context(), s.Actor(r), d.Query, keys[0], keys[1])
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, x := range []struct {
		to   *accountsSection
		page *store.Page[*clinic.User]
	}{{&d.Staff, staff}, {&d.Patients, patients}} {
		x.to.Users, x.to.Total, x.to.Next, x.to.Prev = x.page.Rows, x.page.Total, x.page.Next, x.page.Prev
	}
	// An error about an account on neither page shown is told at the top.
	for id, msg := range d.Errors {
		if id != "q" && !slices.ContainsFunc(append(d.Staff.Users, d.Patients.Users...), func(u *clinic.User) bool { return u.ID == id }) {
			d.Notice = msg
		}
	}
	d.Self = shell.SessionFrom(r.Context()).User.ID
	if d.Invitations, err = s.Store.Invitations(r.Context(), s.Actor(r), ""); err != nil {
		s.Error(w, r, err)
		return
	}
	d.Now = s.Now().UTC()
	_, d.Zone = s.PracticeZone(r)
	switch r.URL.Query().Get("done") {
	case "disabled":
		d.Notice = "The account is disabled and all its sessions have ended."
	case "enabled":
		d.Notice = "The account is enabled again."
	case "mfa":
		d.Notice = "Two-step verification was reset. The person sets it up again at their next sign-in."
	case "revoked":
		d.Notice = "The invitation is withdrawn: its link no longer works."
	}
	s.Render(w, r, status, "users", "Accounts", d)
}

// Users is the accounts page (GET: the first page of each list; POST
// /admin/users/search: a search, or another page of one list).
func (s *Handlers) Users(w http.ResponseWriter, r *http.Request) {
	s.usersPage(w, r, usersData{}, http.StatusOK)
}

type userFormData struct {
	Email, DisplayName, Credentials, Role string
	Roles                                 []clinic.Role
	Errors                                map[string]string
}

var staffRoles = []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleAdmin}

func (s *Handlers) UserNewForm(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "user_new", "Invite a colleague", userFormData{Roles: staffRoles, Role: string(clinic.RoleTherapist)})
}

// UserInvite makes a staff invitation and shows its link. Patients
// are invited from their record, so that the account links to it.
func (s *Handlers) UserInvite(w http.ResponseWriter, r *http.Request) {
	d := userFormData{Email: strings.TrimSpace(r.PostFormValue("email")), DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		Credentials: strings.TrimSpace(r.PostFormValue("credentials")), Role: r.PostFormValue("role"), Roles: staffRoles}
	u := clinic.User{Email: d.Email, DisplayName: d.DisplayName, Credentials: d.Credentials, Role: clinic.Role(d.Role)}
	fe := clinic.FieldErrors{}
	if err := u.Validate(); err != nil {
		for k, v := range err.(*clinic.Error).Fields {
			fe.Add(k, v)
		}
	}
	if !u.Role.Staff() {
		fe.Add("role", "Choose therapist, prescriber or admin. Invite patients from their record.")
	}
	if m := clinic.NameProblem(u.DisplayName); m != "" {
		fe.Add("display_name", m)
	}
	if len(fe) == 0 {
		if _, _, err := s.Store.FindUserByEmail(r.Context(), u.Email); err == nil {
			fe.Add("email", "An account with this email already exists.")
		}
	}
	if len(fe) > 0 {
		d.Errors = fe
		s.Render(w, r, http.StatusUnprocessableEntity, "user_new", "Invite a colleague", d)
		return
	}
	link, err := s.NewLink(r, &store.AuthToken{Purpose: store.TokenInvite, Email: u.Email, DisplayName: u.DisplayName, Credentials: u.Credentials, Role: u.Role})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.usersPage(w, r, usersData{NewLink: s.invitationLink(r, link, u.Email, u.FullName(), u.Role)}, http.StatusOK)
}

// invitationLink emails a staff invitation just made (when an email server
// is set up) and describes it for the accounts page.
func (s *Handlers) invitationLink(r *http.Request, link, email, name string, role clinic.Role) *shell.LinkView {
	sent := s.EmailInvitation(r.Context(), email, link)
	return &shell.LinkView{URL: link, Name: name, Email: &sent,
		What: "Invitation for " + name + " (" + role.Title() + "), valid for 72 hours.",
		Hint: "It works once. Send it only to " + email + ": whoever opens it creates this account."}
}

// InvitationResend replaces a staff invitation with a new link (the old
// one stops working), emails it when an email server is set up, and shows
// it.
func (s *Handlers) InvitationResend(w http.ResponseWriter, r *http.Request) {
	token := auth.NewToken()
	inv, err := s.Store.ResendInvitation(r.Context(), s.Actor(r), r.PathValue("invitation"), auth.HashToken(token))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	link := s.LinkBase(r) + shell.InvitePage.Prefix + token
	v := s.invitationLink(r, link, inv.Email, inv.FullName(), inv.Role)
	v.What = "A new invitation for " + inv.FullName() + " (" + inv.Role.Title() + "), valid for 72 hours. The earlier link no longer works."
	s.usersPage(w, r, usersData{NewLink: v}, http.StatusOK)
}

// InvitationRevoke withdraws an invitation: its link stops working.
func (s *Handlers) InvitationRevoke(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Store.RevokeInvitation(r.Context(), s.Actor(r), r.PathValue("invitation")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done=revoked", http.StatusSeeOther)
}

func (s *Handlers) adminUserAction(w http.ResponseWriter, r *http.Request, fn func(id string) error, done string) {
	id := r.PathValue("user")
	if id == shell.SessionFrom(r.Context()).User.ID {
		s.Error(w, r, clinic.Errorf(clinic.EInvalid, "You cannot do this to your own account. Ask another admin."))
		return
	}
	if err := fn(id); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done="+done, http.StatusSeeOther)
}

func (s *Handlers) UserDisable(w http.ResponseWriter, r *http.Request) {
	s.adminUserAction(w, r, func(id string) error { return s.Store.SetUserDisabled(r.Context(), s.Actor(r), id, true) }, "disabled")
}

func (s *Handlers) UserEnable(w http.ResponseWriter, r *http.Request) {
	s.adminUserAction(w, r, func(id string) error { return s.Store.SetUserDisabled(r.Context(), s.Actor(r), id, false) }, "enabled")
}

// UserResetMFA clears a user's second factor after the admin confirms
// they proved who the person is (ASVS 6.4.4): a lost phone is not solved by
// email.
func (s *Handlers) UserResetMFA(w http.ResponseWriter, r *http.Request) {
	if s.refusePatientAccount(w, r, "A patient who lost their phone signs in with a recovery code, then sets up a new phone from their account page.") {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.usersPage(w, r, usersData{Errors: map[string]string{r.PathValue("user"): "Confirm that you verified this person's identity (in person or by video) before resetting."}}, http.StatusUnprocessableEntity)
		return
	}
	s.adminUserAction(w, r, func(id string) error { return s.Store.SetTOTP(r.Context(), s.Actor(r), id, "", nil) }, "mfa")
}

// refusePatientAccount answers 422 on the accounts page when the account in
// the URL is a patient's: admins administer staff accounts; a link to a
// patient's account would let its holder read the patient's record.
func (s *Handlers) refusePatientAccount(w http.ResponseWriter, r *http.Request, msg string) bool {
	u, _, err := s.Store.FindUserByID(r.Context(), r.PathValue("user"))
	if err != nil {
		s.Error(w, r, err)
		return true
	}
	if u.Role != clinic.RolePatient {
		return false
	}
	s.usersPage(w, r, usersData{Errors: map[string]string{u.ID: msg}}, http.StatusUnprocessableEntity)
	return true
}

func (s *Handlers) UserResetPassword(w http.ResponseWriter, r *http.Request) {
	if s.refusePatientAccount(w, r, "A patient's password is reset by the therapist who owns their case, from the patient's record.") {
		return
	}
	id := r.PathValue("user")
	u, _, err := s.Store.FindUserByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	link, err := s.NewLink(r, &store.AuthToken{Purpose: store.TokenReset, UserID: u.ID, Role: u.Role})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.usersPage(w, r, usersData{NewLink: &shell.LinkView{URL: link, Name: u.DisplayName, What: "Password reset link for " + u.DisplayName + ", valid for 30 minutes.", Hint: "Give it to them directly; their two-step verification stays as it is."}}, http.StatusOK)
}

type auditData struct {
	Rows   []audit.Event
	Names  map[string]string
	Filter auditFilterForm
	Sorts  []string
	Prev   string
	Next   string
	Page   int
	Errors map[string]string
	// Witness is how sending checkpoints off the machine goes, when the
	// viewer may see it (WitnessShown).
	Witness       []store.WitnessStatus
	WitnessShown  bool
	WitnessOutbox bool // no SMTP server: witness emails stay on this machine
}

type auditFilterForm struct {
	Patient, Actor, Action, From, To, Sort string
}

const AuditPageSize = 50

// Audit is the admin's audit viewer: filter by patient, actor, action
// and date; sorted and paged with allow-listed parameters only.
func (s *Handlers) Audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := auditFilterForm{Patient: strings.TrimSpace(q.Get("patient")), Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		From: q.Get("from"), To: q.Get("to"), Sort: q.Get("sort")}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	d := auditData{Filter: f, Sorts: store.AuditSorts(), Page: page}
	fe := clinic.FieldErrors{}
	sf := store.AuditFilter{PatientID: f.Patient, ActorID: f.Actor, Action: f.Action, Sort: f.Sort, Offset: (page - 1) * AuditPageSize, Limit: AuditPageSize}
	// The pager's links carry the key of the row a page starts after (or
	// ends before): keyset paging, so page 500 costs what page 1 does.
	sf.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	sf.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	// Days are the practice's, the zone the log's times are shown in.
	loc, _ := s.PracticeZone(r)
	if f.From != "" {
		t, err := time.ParseInLocation("2006-01-02", f.From, loc)
		if err != nil {
			fe.Add("from", "Enter a date like 2026-11-01.")
		}
		sf.From = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation("2006-01-02", f.To, loc)
		if err != nil {
			fe.Add("to", "Enter a date like 2026-11-30.")
		}
		sf.To = t.AddDate(0, 0, 1) // the next day's midnight, whatever its length
	}
	if f.Patient != "" && !store.ValidID(f.Patient) {
		fe.Add("patient", "Enter a patient id (26 letters and digits, as in a patient's address), or leave it empty.")
	}
	if f.Actor != "" && !store.ValidID(f.Actor) {
		fe.Add("actor", "Enter an account id (26 letters and digits), or leave it empty.")
	}
	if len(f.Action) > 64 || strings.ContainsAny(f.Action, " %_'\"") {
		fe.Add("action", "Enter an action like login.failure, or a prefix like login.")
	}
	status := http.StatusOK
	if len(fe) == 0 {
		rows, more, err := s.Store.FindAudit(r.Context(), s.Actor(r), sf)
		if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
			for k, v := range e.Fields {
				fe.Add(k, v)
			}
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Rows = rows
		link := func(p int, dir string, seq int64) string {
			v := url.Values{}
			for k, val := range map[string]string{"patient": f.Patient, "actor": f.Actor, "action": f.Action, "from": f.From, "to": f.To, "sort": f.Sort} {
				if val != "" {
					v.Set(k, val)
				}
			}
			v.Set("page", strconv.Itoa(p)) // for "Page N" only
			if p > 1 {
				v.Set(dir, strconv.FormatInt(seq, 10))
			}
			return "/admin/audit?" + v.Encode()
		}
		hasPrev, hasNext := page > 1, more
		if sf.Before > 0 {
			hasPrev, hasNext = more && page > 1, true
		}
		if len(rows) > 0 {
			if hasPrev {
				d.Prev = link(page-1, "before", rows[0].Seq)
			}
			if hasNext {
				d.Next = link(page+1, "after", rows[len(rows)-1].Seq)
			}
		} else if page > 1 {
			d.Prev = link(1, "", 0)
		}
	}
	if len(fe) > 0 {
		d.Errors, status = fe, http.StatusUnprocessableEntity
	}
	actors := make([]string, len(d.Rows))
	for i, e := range d.Rows {
		actors[i] = e.ActorID
	}
	names, err := s.Store.UserNames(r.Context(), actors)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Names = names
	if st, err := s.Store.WitnessStatuses(r.Context(), s.Actor(r)); err == nil {
		d.Witness, d.WitnessShown, d.WitnessOutbox = st, true, s.OutboxOnly
	}
	// Looking at the audit log is itself audited (the filter only when it
	// is a well-formed id: nothing typed goes into the log).
	seen := ""
	if store.ValidID(f.Patient) {
		seen = f.Patient
	}
	if err := s.Store.Audit(r.Context(), s.Actor(r), store.Entry{Action: "audit.view", ObjectType: "audit", PatientID: seen}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, status, "audit", "Audit log", d)
}

type emergencyReviewData struct {
	Grants []*store.EmergencyGrant
	Now    time.Time
	Notice string
}

func (s *Handlers) EmergencyReviews(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.ListEmergencyGrants(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := emergencyReviewData{Grants: list, Now: s.Now().UTC()}
	if r.URL.Query().Get("done") == "reviewed" {
		d.Notice = "Review recorded."
	}
	s.Render(w, r, http.StatusOK, "emergency_reviews", "Emergency access reviews", d)
}

func (s *Handlers) EmergencyReview(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.ReviewEmergencyGrant(r.Context(), s.Actor(r), r.PathValue("grant"), r.PostFormValue("note")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/emergency?done=reviewed", http.StatusSeeOther)
}
