// Package safety is the safety plan face (issue 17): the patient's plan in
// the portal and on their chart, built together and saved as versions; the
// public crisis page; and the service worker that keeps those two pages,
// and nothing else, on the patient's phone so they open without a network.
package safety

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers answers the safety plan's routes.
type Handlers struct {
	*shell.App
}

// New returns the safety plan handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// Paths of the plan, for links from other faces.
const (
	PortalPath = "/portal/safety-plan"
	CrisisPath = "/crisis"
)

// ChartPath is the plan of patientID on their chart.
func ChartPath(patientID string) string {
	return "/patients/" + url.PathEscape(patientID) + "/safety-plan"
}

// callLink is one way to reach help, with a link typed for html/template
// (which blanks tel: and sms: otherwise). Hrefs come from kapstone's own
// crisis table or from digits found in a line, never from raw input.
type callLink struct {
	Label, Value string
	Href         template.URL
}

// lineView is one line of the plan; when it holds a phone number, the
// number (Phone) is a link to call it, between Before and After.
type lineView struct {
	Text                 string
	Before, Phone, After string
	Tel                  template.URL
}

// sectionView is one section of the plan as shown.
type sectionView struct {
	Number int
	clinic.PlanSection
	Lines []lineView
	Text  string // the lines as typed in the form, one per line
	Rows  int    // the form's textarea height: the text and two lines more
	Error string
}

// planView is a version of the plan ready to show.
type planView struct {
	Plan     *store.SafetyPlan
	Sections []sectionView
	// Help and Therapist are listed under professionals on the current
	// plan's page (not in the history's older versions).
	Help      []callLink
	Therapist string
}

func lineOf(text string, calls bool) lineView {
	lv := lineView{Text: text}
	if !calls {
		return lv
	}
	typed, dial := clinic.PhoneIn(text)
	if dial == "" {
		return lv
	}
	i := strings.Index(text, typed)
	lv.Before, lv.Phone, lv.After = text[:i], typed, text[i+len(typed):]
	lv.Tel = template.URL("tel:" + dial) // digits and a leading plus only
	return lv
}

func viewOf(p *store.SafetyPlan, typed map[string]string, errs map[string]string) planView {
	v := planView{Plan: p}
	for i, sec := range clinic.PlanSections {
		sv := sectionView{Number: i + 1, PlanSection: sec, Error: errs[sec.Key]}
		for _, l := range p.Lines(sec.Key) {
			sv.Lines = append(sv.Lines, lineOf(l, sec.Calls))
		}
		if t, ok := typed[sec.Key]; ok {
			sv.Text = t
		} else {
			sv.Text = strings.Join(p.Lines(sec.Key), "\n")
		}
		sv.Rows = min(max(strings.Count(sv.Text, "\n")+3, 4), 14)
		v.Sections = append(v.Sections, sv)
	}
	return v
}

// practiceLabel names the practice's number among the ways to get help.
const practiceLabel = "Call the practice"

// helpLinks are the numbers every plan lists under professionals: the
// practice (when it has a phone), then the country's crisis lines.
func (s *Handlers) helpLinks(pc store.SafetyPlanContext) []callLink {
	var out []callLink
	if pc.PracticePhone != "" {
		if _, dial := clinic.PhoneIn(pc.PracticePhone); dial != "" {
			out = append(out, callLink{Label: practiceLabel, Value: pc.PracticePhone, Href: template.URL("tel:" + dial)})
		}
	}
	for _, l := range append(append([]clinic.CrisisLine{}, s.App.Crisis.Lines...), s.App.Crisis.More...) {
		out = append(out, callLink{Label: l.Label, Value: l.Value, Href: template.URL(l.Href)})
	}
	return out
}

// planPage is the plan's page, in the portal or on the chart.
type planPage struct {
	Staff     bool
	Patient   *store.Patient
	Base      string // the plan's path: PortalPath or ChartPath
	View      planView
	Context   store.SafetyPlanContext
	Emergency string
	Notice    string
	Zone      string
	// CanEdit is whether the viewer may save a new version: the patient
	// and the care team; not a therapist reading through emergency
	// access (ViaEmergency), who is told the plan is read-only.
	CanEdit      bool
	ViaEmergency bool
}

// editPage is the form that saves a new version.
type editPage struct {
	planPage
	BaseVersion int
	Errors      map[string]string
	Conflict    bool
	Newer       *planView // on a conflict: the version saved meanwhile
}

// historyPage lists every version.
type historyPage struct {
	planPage
	Versions []planView
}

// patientFor is the plan's patient: the signed-in patient in the portal,
// the path's patient on the chart, with the viewer's access to them (the
// patient's own is RelSelf). ok false means it has answered.
func (s *Handlers) patientFor(w http.ResponseWriter, r *http.Request, staff bool) (*store.Patient, string, store.Access, bool) {
	if !staff {
		p, ok := s.OwnPatient(w, r)
		if !ok {
			return nil, "", store.Access{}, false
		}
		return p, PortalPath, store.Access{Relation: auth.RelSelf, Role: s.Actor(r).Role}, true
	}
	p, acc, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return nil, "", store.Access{}, false
	}
	return p, ChartPath(p.ID), acc, true
}

// page reads the current plan (audited) for the plan's pages.
func (s *Handlers) page(w http.ResponseWriter, r *http.Request, staff bool) (planPage, bool) {
	// The store's read comes first: it checks access (and audits a
	// refusal) before anything about the patient is shown.
	id := r.PathValue("patient")
	var own *store.Patient
	if !staff {
		var ok bool
		if own, ok = s.OwnPatient(w, r); !ok {
			return planPage{}, false
		}
		id = own.ID
	}
	plan, pc, err := s.Store.SafetyPlan(r.Context(), s.Actor(r), id)
	if err != nil {
		s.Error(w, r, err)
		return planPage{}, false
	}
	p, base, canEdit, emergency := own, PortalPath, true, false
	if staff {
		var acc store.Access
		var ok bool
		if p, base, acc, ok = s.patientFor(w, r, true); !ok {
			return planPage{}, false
		}
		canEdit, emergency = acc.Can(auth.PermSafetyPlanEdit), acc.Relation == auth.RelEmergency
	}
	_, zone := s.PatientZone(r, p)
	d := planPage{Staff: staff, Patient: p, Base: base, View: viewOf(plan, nil, nil), Context: pc, Emergency: s.App.Crisis.Emergency, Zone: zone,
		CanEdit: canEdit, ViaEmergency: emergency}
	d.View.Help, d.View.Therapist = s.helpLinks(pc), pc.Therapist
	return d, true
}

func title(staff bool, p *store.Patient) string {
	if staff {
		return "Safety plan: " + p.DisplayName
	}
	return "My safety plan"
}

// Portal is GET /portal/safety-plan: the patient's own plan, to read, call
// from and print; the page the service worker keeps for offline use.
func (s *Handlers) Portal(w http.ResponseWriter, r *http.Request) { s.show(w, r, false) }

// Chart is GET /patients/{patient}/safety-plan: the plan for the care team.
func (s *Handlers) Chart(w http.ResponseWriter, r *http.Request) { s.show(w, r, true) }

// view begins the page's view of the plan's patient (one read
// transaction, one audit row named action, written before the page is
// sent: shell.RenderView). ok false means it has answered.
func (s *Handlers) view(w http.ResponseWriter, r *http.Request, staff bool, action string) (*http.Request, *store.View, bool) {
	if staff {
		return s.PatientView(w, r, r.PathValue("patient"), action)
	}
	r, v, _, ok := s.OwnView(w, r, action)
	return r, v, ok
}

func (s *Handlers) show(w http.ResponseWriter, r *http.Request, staff bool) {
	r, view, ok := s.view(w, r, staff, "safety_plan.read")
	if !ok {
		return
	}
	defer view.Close()
	d, ok := s.page(w, r, staff)
	if !ok {
		return
	}
	switch q := r.URL.Query(); {
	case q.Get("saved") != "":
		// The notice vouches for a save only when the version named is
		// the current one and the viewer saved it, never on the URL's word.
		v, err := strconv.Atoi(q.Get("saved"))
		if plan := d.View.Plan; err == nil && plan != nil && plan.Version == v && plan.AuthorID == s.Actor(r).UserID {
			d.Notice = "Saved as version " + strconv.Itoa(v) + "."
		}
	case q.Get("unchanged") == "1":
		d.Notice = "Nothing had changed, so no new version was saved."
	}
	s.RenderView(w, r, view, http.StatusOK, "safety_plan", title(staff, d.Patient), d)
}

// PortalEdit is GET /portal/safety-plan/edit.
func (s *Handlers) PortalEdit(w http.ResponseWriter, r *http.Request) { s.edit(w, r, false) }

// ChartEdit is GET /patients/{patient}/safety-plan/edit.
func (s *Handlers) ChartEdit(w http.ResponseWriter, r *http.Request) { s.edit(w, r, true) }

func (s *Handlers) edit(w http.ResponseWriter, r *http.Request, staff bool) {
	r, view, ok := s.view(w, r, staff, "safety_plan.read")
	if !ok {
		return
	}
	defer view.Close()
	if staff {
		// Emergency access reads the plan but may not save it: no form to
		// type into whose save would be refused (audited as refused).
		// Checked first in the view, before anything is read.
		if err := s.Store.AuthorizeRecord(r.Context(), s.Actor(r), r.PathValue("patient"), auth.PermSafetyPlanEdit, r.Pattern); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	d, ok := s.page(w, r, staff)
	if !ok {
		return
	}
	e := editPage{planPage: d}
	if d.View.Plan != nil {
		e.BaseVersion = d.View.Plan.Version
	}
	s.RenderView(w, r, view, http.StatusOK, "safety_plan_edit", "Edit: "+title(staff, d.Patient), e)
}

// PortalSave is POST /portal/safety-plan.
func (s *Handlers) PortalSave(w http.ResponseWriter, r *http.Request) { s.save(w, r, false) }

// ChartSave is POST /patients/{patient}/safety-plan.
func (s *Handlers) ChartSave(w http.ResponseWriter, r *http.Request) { s.save(w, r, true) }

func (s *Handlers) save(w http.ResponseWriter, r *http.Request, staff bool) {
	p, base, _, ok := s.patientFor(w, r, staff)
	if !ok {
		return
	}
	typed := map[string]string{}
	sections := map[string][]string{}
	for _, sec := range clinic.PlanSections {
		typed[sec.Key] = r.PostFormValue(sec.Key)
		sections[sec.Key] = []string{typed[sec.Key]}
	}
	from, err := strconv.Atoi(r.PostFormValue("base_version"))
	if err != nil || from < 0 {
		from = -1 // a form that cannot be read is stale: nothing is saved over the plan
	}
	v, changed, err := s.Store.SaveSafetyPlan(r.Context(), s.Actor(r), p.ID, from, sections)
	if errs, conflict, ok := shell.FormFailure(err); ok {
		d, ok := s.page(w, r, staff)
		if !ok {
			return
		}
		e := editPage{planPage: d, Errors: errs, Conflict: conflict, BaseVersion: from}
		e.View = viewOf(d.View.Plan, typed, errs)
		e.View.Help, e.View.Therapist = d.View.Help, d.View.Therapist
		if conflict {
			newer := d.View
			e.Newer = &newer
			e.BaseVersion = 0
			if d.View.Plan != nil {
				e.BaseVersion = d.View.Plan.Version
			}
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "safety_plan_edit", "Edit: "+title(staff, d.Patient), e)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !changed {
		http.Redirect(w, r, base+"?unchanged=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, base+"?saved="+strconv.Itoa(v), http.StatusSeeOther)
}

// PortalHistory is GET /portal/safety-plan/history.
func (s *Handlers) PortalHistory(w http.ResponseWriter, r *http.Request) { s.history(w, r, false) }

// ChartHistory is GET /patients/{patient}/safety-plan/history.
func (s *Handlers) ChartHistory(w http.ResponseWriter, r *http.Request) { s.history(w, r, true) }

func (s *Handlers) history(w http.ResponseWriter, r *http.Request, staff bool) {
	r, view, ok := s.view(w, r, staff, "safety_plan.history")
	if !ok {
		return
	}
	defer view.Close()
	id := r.PathValue("patient")
	if !staff {
		own, ok := s.OwnPatient(w, r)
		if !ok {
			return
		}
		id = own.ID
	}
	versions, err := s.Store.SafetyPlanHistory(r.Context(), s.Actor(r), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, base, _, ok := s.patientFor(w, r, staff)
	if !ok {
		return
	}
	_, zone := s.PatientZone(r, p)
	d := historyPage{planPage: planPage{Staff: staff, Patient: p, Base: base, Zone: zone}}
	for i := range versions {
		d.Versions = append(d.Versions, viewOf(&versions[i], nil, nil))
	}
	s.RenderView(w, r, view, http.StatusOK, "safety_plan_history", "Versions: "+title(staff, p), d)
}
