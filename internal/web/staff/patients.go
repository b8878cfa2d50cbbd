package staff

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/caseload"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

type patientsData struct {
	Patients []*store.Patient
	// Total is every patient matching the filter; NextURL and PrevURL
	// the caseload's neighbouring pages (keyset: the patient id a page
	// starts after or ends before), "" when there is none.
	Total            int
	NextURL, PrevURL string
	CanAdd           bool
	Query            string
	Stage            string
	Stages           []clinic.Stage
	Unread           map[string]int
	// News is each row's "new" badges (store.CaseloadCounts: new shared
	// entries, and what later sources add), read for the rows shown only.
	News   map[string][]store.CaseloadCount
	Alerts []store.SafetyAlert
	Sparks map[string]*caseload.Spark // PHQ-9 trend per patient id; none when never scored
	Rows   template.HTML              // the rows of Patients (caseload.Rows)
	Stale  map[string]*caseload.Stale
	Zone   string // the practice's time zone, for times
	Errors map[string]string
	// Notes owed (issue 16): late notes, and notes awaiting one's
	// co-signature, counted for the badges.
	LateNotes, CosignNotes int

	// Emergency search: a clinician who may ask for emergency access
	// (CanEmergency) and searched by name is offered a second step, a
	// search of all the practice's patients (SearchedAll, asked for with
	// all=1), which finds patients outside their care teams by display
	// name only (Outside), once the query has at least SearchMin letters
	// (else ShortQuery), at most SearchesPer times an hour (else
	// AllRefused says why).
	CanEmergency bool
	SearchedAll  bool
	Outside      []store.NameMatch
	ShortQuery   bool
	AllRefused   string
	SearchMin    int
	SearchesPer  int
	EmergencyFor int // minutes an emergency grant lasts
}

// Patients is the caseload: the caller's patients, searchable by name
// and filtered by stage, with unread consult messages marked.
func (s *Handlers) Patients(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u := shell.SessionFrom(r.Context()).User
	d := patientsData{Query: q.Get("q"), Stage: q.Get("stage"), Stages: clinic.Stages, CanAdd: auth.Can(u.Role, auth.RelNone, auth.PermAddPatient)}
	loc, zone := s.PracticeZone(r)
	d.Zone = zone
	if len(d.Query) > 100 {
		d.Query = d.Query[:100]
	}
	f := store.PatientFilter{Query: d.Query, Stage: clinic.Stage(d.Stage)}
	status := http.StatusOK
	if d.Stage != "" && !f.Stage.Valid() {
		d.Errors, f.Stage, status = map[string]string{"stage": "Choose a stage from the list."}, "", http.StatusUnprocessableEntity
	}
	page, err := s.Store.PagePatients(r.Context(), s.Actor(r), f, store.PageKey{After: pageKey(q.Get("after")), Before: pageKey(q.Get("before"))})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list := page.Patients
	d.Patients, d.Total = list, page.Total
	d.NextURL, d.PrevURL = caseloadPageURL(d.Query, string(f.Stage), "after", page.Next), caseloadPageURL(d.Query, string(f.Stage), "before", page.Prev)
	d.CanEmergency, d.SearchMin, d.SearchesPer, d.EmergencyFor = auth.CanSome(u.Role, auth.PermEmergency), store.EmergencySearchMin, store.EmergencySearchesPer, int(store.EmergencyAccessFor/time.Minute)
	// The caseload search looks at the searcher's own patients only; the
	// practice-wide search is a second step they ask for (all=1), recorded
	// and limited, so finding one's own "Sam" never lists, or tells,
	// another therapist's.
	if name := strings.TrimSpace(d.Query); d.CanEmergency && name != "" {
		d.ShortQuery = len([]rune(name)) < store.EmergencySearchMin
		if q.Get("all") == "1" && !d.ShortQuery {
			d.SearchedAll = true
			d.Outside, err = s.Store.FindOutsideTeam(r.Context(), s.Actor(r), name)
			var ce *clinic.Error
			if errors.As(err, &ce) && ce.Code == clinic.ETooMany {
				d.AllRefused, status, err = ce.Message, http.StatusTooManyRequests, nil
			}
			if err != nil {
				s.Error(w, r, err)
				return
			}
		}
	}
	if auth.Can(u.Role, auth.RelNone, auth.PermCaseload) {
		if d.Alerts, err = s.Store.OpenSafetyAlerts(r.Context(), s.Actor(r)); err != nil {
			s.Error(w, r, err)
			return
		}
		if d.LateNotes, err = s.Store.CountLateNotes(r.Context(), s.Actor(r)); err != nil {
			s.Error(w, r, err)
			return
		}
		if d.CosignNotes, err = s.Store.CountAwaitingCosign(r.Context(), s.Actor(r)); err != nil {
			s.Error(w, r, err)
			return
		}
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		if d.Unread, err = s.Store.UnreadConsultsOf(r.Context(), s.Actor(r), ids); err != nil {
			s.Error(w, r, err)
			return
		}
		if d.News, err = s.Store.CaseloadCounts(r.Context(), s.Actor(r), ids); err != nil {
			s.Error(w, r, err)
			return
		}
		stale, err := s.Store.OutOfDateClearancesOf(r.Context(), s.Actor(r), ids)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Stale = map[string]*caseload.Stale{}
		for id, st := range stale {
			d.Stale[id] = &caseload.Stale{Changes: len(st.Changes), Latest: st.Changes[len(st.Changes)-1].At}
		}
		scores, err := s.Store.CaseloadScores(r.Context(), s.Actor(r), "phq9", ids)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Sparks = caseload.Sparks(scores)
	}
	d.Rows = caseload.Rows(&caseload.Page{Patients: d.Patients, Unread: d.Unread, News: d.News, Stale: d.Stale, Sparks: d.Sparks}, loc)
	s.Render(w, r, status, "patients", "Patients", d)
}

// pageKey is a caseload page's key as the URL carries it (a patient id),
// or "" when it cannot be one (the first page is shown).
func pageKey(v string) string {
	if len(v) > 64 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return ""
	}
	return v
}

// caseloadPageURL is the link to the caseload page that starts after (dir
// "after") or ends before (dir "before") the patient id key, with the
// search and stage kept; "" without a key.
func caseloadPageURL(query, stage, dir, key string) string {
	if key == "" {
		return ""
	}
	v := url.Values{dir: {key}}
	if query != "" {
		v.Set("q", query)
	}
	if stage != "" {
		v.Set("stage", stage)
	}
	return "/patients?" + v.Encode()
}

type patientFormData struct {
	DisplayName string
	Email       string
	OwnerID     string
	Therapists  []*clinic.User // admin chooses the owning therapist
	Errors      map[string]string
}

func (s *Handlers) patientForm(r *http.Request, d *patientFormData) error {
	if auth.Can(shell.SessionFrom(r.Context()).User.Role, auth.RelNone, auth.PermOwnCase) {
		return nil
	}
	var err error
	d.Therapists, err = s.Store.ListStaff(r.Context(), clinic.RoleTherapist)
	return err
}

func (s *Handlers) PatientNewForm(w http.ResponseWriter, r *http.Request) {
	d := patientFormData{}
	if err := s.patientForm(r, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "patient_new", "Add a patient", d)
}

func (s *Handlers) PatientCreate(w http.ResponseWriter, r *http.Request) {
	d := patientFormData{
		DisplayName: r.PostFormValue("display_name"),
		Email:       r.PostFormValue("email"),
		OwnerID:     r.PostFormValue("owner_id"),
	}
	p := &store.Patient{DisplayName: d.DisplayName, Email: d.Email}
	err := s.Store.CreatePatient(r.Context(), s.Actor(r), p, d.OwnerID)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		d.Errors = e.Fields
		if err := s.patientForm(r, &d); err != nil {
			s.Error(w, r, err)
			return
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "patient_new", "Add a patient", d)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+p.ID+"?done=created", http.StatusSeeOther)
}

// kindOption is an appointment kind in the booking form, with the
// practice's usual length for it.
type kindOption struct {
	Kind, Title string
	Minutes     int
}

// MinutesFor is the usual length of kind, or of the first kind when kind
// is not one: the booking form's hint for an empty length.
func (d patientData) MinutesFor(kind string) int {
	for _, k := range d.Kinds {
		if k.Kind == kind {
			return k.Minutes
		}
	}
	if len(d.Kinds) > 0 {
		return d.Kinds[0].Minutes
	}
	return 0
}

type patientData struct {
	Chart      *store.Chart // the clinical chart; nil for an admin, who sees the profile only
	Form       url.Values   // what was typed into a form that failed, shown again
	Patient    *store.Patient
	Access     store.Access
	Team       []store.TeamMember
	CanTeam    bool
	CanAccount bool
	Emergency  bool
	Candidates []*clinic.User // staff who could join the team
	Notice     string
	Errors     map[string]string
	// Posted is the id of the chart section whose form was posted: its
	// errors and its notice show there, where the browser lands
	// (shell.Summary, shell.Notice). Empty: the notice shows at the top.
	Posted string

	// A portal invitation or reset link just made, and the patient's
	// portal invitations not yet used (people, issue 15).
	NewLink     *shell.LinkView
	Invitations []store.Invitation
	Now         time.Time

	// Measures: assignments, scores and charts.
	Measures   *store.Measures
	Progress   []shell.ProgressView
	Assignable []measure.Instrument
	Cadences   []string

	// For the chart's forms.
	PathwayStages   []clinic.Stage
	NextStages      []clinic.Stage
	Recommendations []string
	Decisions       []string
	Kinds           []kindOption
	Rooms           []store.Room
	Zone            string // the practice's time zone, in which staff read and enter times

	// Issue 7's chart sections, each filled by its feature's file.
	Preparation  any // preparation.go: preparationSection
	Prescription any // prescription.go: prescriptionSection
	Dosing       any // dosing.go: dosingSection
	Consents     any // consent.go: consentSection
	Notes        any // note.go: notesSection (*store.NoteList; nil when the caller may not read notes)
	Excludes     []excludeFlag

	// Appointments is the chart's appointment list (chart.go).
	Appointments chartAppointments

	// CanTimeline: the viewer reads the chart's timeline (timeline.go; the
	// care team, not emergency access).
	CanTimeline bool

	// PsychNotes is the viewer's own psychotherapy notes (psychnote.go:
	// psychNoteSection), nil unless the policy allows them here.
	PsychNotes any
}

// excludeFlag is an exclude flag the prescriber must override to clear.
type excludeFlag struct {
	Key  string
	Flag screening.Flag
}

func (s *Handlers) patientPage(w http.ResponseWriter, r *http.Request, d patientData, status int) {
	actor := s.Actor(r)
	// The whole page reads in one transaction and is audited in one row
	// naming its sections (store.View), written before the page is sent.
	ctx, view, err := s.Store.BeginView(r.Context(), actor, r.PathValue("patient"), "chart.read")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	defer view.Close()
	r = r.WithContext(ctx)
	var p *store.Patient
	var acc store.Access
	if !auth.CanSome(actor.Role, auth.PermChart) {
		p, acc, err = s.Store.FindPatient(ctx, actor, r.PathValue("patient"))
	} else {
		d.Chart, err = s.Store.FindChart(ctx, actor, r.PathValue("patient"), store.ChartOptions{AllAppointments: r.URL.Query().Get("appointments") == "all"})
		if err == nil {
			p, acc = d.Chart.Patient, d.Chart.Access
		}
	}
	if err != nil {
		if clinic.ErrorCode(err) == clinic.ENotFound && auth.CanSome(actor.Role, auth.PermEmergency) {
			// The same answer whether the patient exists or not, with the
			// way to ask for emergency access.
			s.Render(w, r, http.StatusNotFound, "patient_missing", "Patient not found", struct{ ID string }{r.PathValue("patient")})
			return
		}
		s.Error(w, r, err)
		return
	}
	_, d.Zone = s.PracticeZone(r)
	if q := r.URL.Query(); d.Form == nil && q.Get("kind") != "" {
		// A suggested booking (after a dosing session: the integration
		// session): the booking form starts filled in.
		d.Form = url.Values{"kind": {q.Get("kind")}, "starts_at": {q.Get("starts_at")}}
	}
	team, err := s.Store.CareTeam(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Patient, d.Access, d.Team = p, acc, team
	if d.Chart != nil {
		dosing, err := s.dosingMarkers(ctx, actor, p.ID, d.Chart.DosingAppointments)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		m, progress, err := s.chartMeasures(r, p.ID, dosing)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for _, sec := range []struct {
			into *any
			load func(*http.Request, string) (any, error)
		}{{&d.Preparation, s.preparationSection}, {&d.Prescription, s.prescriptionSection}, {&d.Dosing, s.dosingSection}, {&d.Consents, s.consentSection}} {
			if *sec.into, err = sec.load(r, p.ID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		if acc.Can(auth.PermNoteRead) {
			if d.Notes, err = s.notesSection(r, p.ID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		if d.Appointments, err = s.chartAppointments(r, &d, acc); err != nil {
			s.Error(w, r, err)
			return
		}
		d.Measures, d.Progress = m, progress
		for _, base := range measure.All() {
			inst, _, err := s.Store.Instrument(ctx, base.ID)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			if inst.Ready() {
				d.Assignable = append(d.Assignable, inst)
			}
		}
		d.Cadences = store.Cadences
		d.PathwayStages = clinic.Stages[:8]
		d.NextStages = clinic.NextStages(p.Stage)
		d.Recommendations, d.Decisions = store.Recommendations, store.Decisions
		ps, err := s.Store.Practice(r.Context())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for _, t := range clinic.AppointmentTypes {
			d.Kinds = append(d.Kinds, kindOption{Kind: t.Kind, Title: t.Title, Minutes: ps.Minutes[t.Kind]})
		}
		if d.Rooms, err = s.Store.Rooms(r.Context()); err != nil {
			s.Error(w, r, err)
			return
		}
		if acc.Can(auth.PermPsychNote) { // the care team's clinicians; never emergency access
			if d.PsychNotes, err = s.psychNoteSection(r, p.ID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		for _, f := range d.Chart.Flags {
			if f.Level == screening.Exclude {
				d.Excludes = append(d.Excludes, excludeFlag{Key: store.FlagKey(f), Flag: f})
			}
		}
	}
	d.CanTeam = acc.Can(auth.PermTeam)
	d.CanTimeline = acc.Can(auth.PermTimeline)
	d.CanAccount = acc.Can(auth.PermAccount)
	if d.CanAccount && p.UserID == "" {
		if d.Invitations, err = s.Store.Invitations(ctx, actor, p.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		d.Now = s.Now().UTC()
	}
	d.Emergency = acc.Relation == auth.RelEmergency
	if d.CanTeam {
		on := map[string]bool{}
		for _, m := range team {
			on[m.User.ID] = true
		}
		for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber} {
			list, err := s.Store.ListStaff(ctx, role)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			for _, u := range list {
				if !on[u.ID] {
					d.Candidates = append(d.Candidates, u)
				}
			}
		}
	}
	if n, ok := chartNotices[r.URL.Query().Get("done")]; ok && d.Notice == "" && d.Errors == nil {
		d.Notice = n.Text + s.OutcomeCharge(r, p.ID, acc.Can(auth.PermBillingRead))
		if d.Posted == "" {
			d.Posted = n.Section
		}
	}
	// The page is made in the view (its navigation's reads too), held
	// back until the view's audit row is committed, then sent.
	held := shell.NewHeldResponse()
	s.Render(held, r, status, "patient", p.DisplayName, d)
	if err := view.Finish(ctx); err != nil {
		s.Error(w, r.WithContext(context.WithoutCancel(ctx)), err)
		return
	}
	held.SendTo(w)
}

// chartNotice is the notice shown after a chart form was saved, and the
// section it shows in ("" for the top of the page).
type chartNotice struct{ Section, Text string }

// chartNotices are the chart's notices by the redirect's done= value.
var chartNotices = map[string]chartNotice{
	"created":         {"", "Patient added. You own this case; add a prescriber to the care team when one is chosen."},
	"team":            {"team", "The care team has changed."},
	"details":         {"", "Details saved."},
	"stage":           {"stage", "The course moved to a new stage."},
	"evaluation":      {"evaluation", "Evaluation saved."},
	"clearance":       {"clear", "Clearance decision recorded."},
	"consult":         {"consult", "Message sent."},
	"appointments":    {"book", "Appointment booked."},
	"cancelled":       {"appointments", "Appointment cancelled. Its reminders will not be sent."},
	"moved":           {"appointments", "Appointment moved. Reminders will go out for the new time."},
	"outcome":         {"appointments", "Recorded what happened at the appointment."},
	"series":          {"book", "All the appointments in the series are booked."},
	"measures":        {"measures", "Questionnaires updated."},
	"alerts":          {"alert-history", "Alert acknowledged. What you did is recorded."},
	"invite-revoked":  {"profile", "The portal invitation is withdrawn: its link no longer works."},
	"consent-paper":   {"consents", "Paper signature recorded, with its scan."},
	"consent-revoked": {"consents", "Revocation recorded."},
}

// dosingMarkers are the times the outcome charts mark as dosing sessions:
// every completed session's dose, and past dosing appointments (not missed)
// on a day with no recorded session, so a practice that books sessions but
// records them elsewhere still sees them.
func (s *Handlers) dosingMarkers(ctx context.Context, actor store.Actor, patientID string, dosingAppointments []time.Time) ([]time.Time, error) {
	out, err := s.Store.DosedAt(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	have := map[string]bool{}
	for _, t := range out {
		have[day(t)] = true
	}
	for _, at := range dosingAppointments {
		if at.Before(s.Now()) && !have[day(at)] {
			out = append(out, at)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out, nil
}

func (s *Handlers) Patient(w http.ResponseWriter, r *http.Request) {
	s.patientPage(w, r, patientData{}, http.StatusOK)
}

// handlePatientLink makes a portal invitation or a password reset link for
// a patient and shows it, for the therapist who owns the case to pass on.
func (s *Handlers) handlePatientLink(w http.ResponseWriter, r *http.Request, purpose string) {
	token := auth.NewToken()
	to, err := s.Store.CreatePatientToken(r.Context(), s.Actor(r), r.PathValue("patient"), purpose, auth.HashToken(token))
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && len(e.Fields) > 0 {
		s.patientPage(w, r, patientData{Errors: e.Fields, Posted: "profile"}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	hint := "Give it only to the patient (in person, or by a message only they read): whoever opens it can act as them. It works once, and the patient sees in their portal when it was used."
	v := &shell.LinkView{URL: s.LinkBase(r) + shell.ResetPage.Prefix + token, What: "Password reset link, valid for 30 minutes.", Hint: hint, Name: "the patient"}
	if purpose == store.TokenInvite {
		v.URL, v.What = s.LinkBase(r)+shell.InvitePage.Prefix+token, "Portal invitation, valid for 72 hours. Any earlier invitation link no longer works."
		// Emailed to the address this invitation names, the one just made;
		// without one (the store refuses that today) the page says nothing
		// of an email, and the hint says to pass the link on by hand.
		if to != "" {
			sent := s.EmailInvitation(r.Context(), to, v.URL)
			v.Email = &sent
			if sent.Sent {
				v.Hint = "It works once, and the patient sees in their portal when it was used."
			}
		}
	}
	s.patientPage(w, r, patientData{NewLink: v, Posted: "profile"}, http.StatusOK)
}

// PatientInviteRevoke withdraws the patient's portal invitations not yet
// used: their links stop working.
func (s *Handlers) PatientInviteRevoke(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Store.RevokePatientInvitations(r.Context(), s.Actor(r), r.PathValue("patient")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"?done=invite-revoked#profile", http.StatusSeeOther)
}

func (s *Handlers) PatientInvite(w http.ResponseWriter, r *http.Request) {
	s.handlePatientLink(w, r, store.TokenInvite)
}

func (s *Handlers) PatientResetPassword(w http.ResponseWriter, r *http.Request) {
	s.handlePatientLink(w, r, store.TokenReset)
}

func (s *Handlers) TeamAdd(w http.ResponseWriter, r *http.Request) {
	err := s.Store.AddTeamMember(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("user_id"))
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) && len(e.Fields) > 0 {
		s.patientPage(w, r, patientData{Errors: e.Fields, Posted: "team"}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"?done=team", "team")
}

func (s *Handlers) TeamRemove(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.RemoveTeamMember(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("user")); err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"?done=team", "team")
}

type emergencyData struct {
	PatientID string
	Reason    string
	Errors    map[string]string
	Minutes   int
}

func (s *Handlers) EmergencyForm(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "emergency", "Emergency access", emergencyData{PatientID: r.PathValue("patient"), Minutes: int(store.EmergencyAccessFor / time.Minute)})
}

func (s *Handlers) Emergency(w http.ResponseWriter, r *http.Request) {
	d := emergencyData{PatientID: r.PathValue("patient"), Reason: r.PostFormValue("reason"), Minutes: int(store.EmergencyAccessFor / time.Minute)}
	_, err := s.Store.GrantEmergencyAccess(r.Context(), s.Actor(r), d.PatientID, d.Reason)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		d.Errors = e.Fields
		s.Render(w, r, http.StatusUnprocessableEntity, "emergency", "Emergency access", d)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+d.PatientID, http.StatusSeeOther)
}
