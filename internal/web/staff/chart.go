package staff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// chartForm answers a chart form posted from the chart's section id: on a
// validation error it shows the chart again (status 422) with the input
// kept, the errors at the fields and in the section's error summary; on
// success it returns to that section (shell.SeeOther) with the notice done.
func (s *Handlers) chartForm(w http.ResponseWriter, r *http.Request, err error, section, done string) {
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) && len(e.Fields) > 0 {
		s.patientPage(w, r, patientData{Errors: e.Fields, Form: r.PostForm, Posted: section}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if n, ok := chartNotices[strings.SplitN(done, "&", 2)[0]]; ok && n.Section != "" { // "outcome&appointment=..."
		section = n.Section
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"?done="+done, section)
}

func (s *Handlers) Stage(w http.ResponseWriter, r *http.Request) {
	err := s.Store.ChangeStage(r.Context(), s.Actor(r), r.PathValue("patient"), clinic.Stage(r.PostFormValue("stage")), r.PostFormValue("reason"))
	s.chartForm(w, r, err, "stage", "stage")
}

func (s *Handlers) Evaluation(w http.ResponseWriter, r *http.Request) {
	err := s.Store.SaveEvaluation(r.Context(), s.Actor(r), r.PathValue("patient"), store.Evaluation{Recommendation: r.PostFormValue("recommendation"), Summary: r.PostFormValue("summary")})
	s.chartForm(w, r, err, "evaluation", "evaluation")
}

func (s *Handlers) Clearance(w http.ResponseWriter, r *http.Request) {
	overrides := map[string]string{}
	for k, v := range r.PostForm {
		if key, ok := strings.CutPrefix(k, "override_"); ok && len(v) > 0 {
			overrides[key] = v[0]
		}
	}
	err := s.Store.RecordClearance(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("decision"), r.PostFormValue("reason"), overrides)
	s.chartForm(w, r, err, "clear", "clearance")
}

func (s *Handlers) AcknowledgeAlert(w http.ResponseWriter, r *http.Request) {
	seen, _ := time.Parse(time.RFC3339Nano, r.PostFormValue("seen"))
	err := s.Store.AcknowledgeSafetyAlert(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("alert"), r.PostFormValue("ack_note"), seen)
	s.chartForm(w, r, err, "alert-"+r.PathValue("alert"), "alerts")
}

func (s *Handlers) Consult(w http.ResponseWriter, r *http.Request) {
	err := s.Store.PostConsult(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("body"))
	s.chartForm(w, r, err, "consult", "consult")
}

// Appointment books an appointment, or a series of them. Staff
// enter times in the practice's time zone. An empty length takes the
// practice's usual length for the kind.
func (s *Handlers) Appointment(w http.ResponseWriter, r *http.Request) {
	ap := &store.Appointment{Kind: r.PostFormValue("kind"), RoomID: r.PostFormValue("room"),
		Remote: r.PostFormValue("where") == "remote", VideoLink: r.PostFormValue("video_link"), Chaperone: r.PostFormValue("chaperone")}
	fe := clinic.FieldErrors{}
	if m := strings.TrimSpace(r.PostFormValue("minutes")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < clinic.AppointmentMinMinutes || n > clinic.AppointmentMaxMinutes {
			fe.Add("minutes", "Enter a length from 15 to 480 minutes, or leave it empty for the usual length.")
		}
		ap.Minutes = n
	}
	loc, _ := s.PracticeZone(r)
	if t, ok := shell.ParseLocal(r.PostFormValue("starts_at"), loc); ok {
		ap.StartsAt = t
	} else {
		fe.Add("starts_at", "Enter the date and time, like 2026-12-03 10:00.")
	}
	times := 1
	if rep := r.PostFormValue("repeat"); rep != "" {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("times")))
		switch {
		case rep != "7" && rep != "14":
			fe.Add("repeat", "Choose once, every week or every two weeks.")
		case err != nil || n < 2 || n > 12:
			fe.Add("times", "Enter how many appointments in all, from 2 to 12.")
		default:
			times = n
		}
	}
	if len(fe) > 0 {
		s.chartForm(w, r, fe.Err(), "book", "appointments")
		return
	}
	if times == 1 {
		s.chartForm(w, r, s.Store.CreateAppointment(r.Context(), s.Actor(r), r.PathValue("patient"), ap), "book", "appointments")
		return
	}
	// A series: each at the same local time (across daylight-saving
	// changes), each booked and checked on its own. A clash skips that
	// date and is reported; a problem with the form itself (found on the
	// first) stops the series before anything is booked.
	every, _ := strconv.Atoi(r.PostFormValue("repeat"))
	starts, err := clinic.Series{First: ap.StartsAt, Zone: loc, EveryDay: every, Count: times}.Starts()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var clashes []string
	for i, at := range starts {
		next := *ap
		next.StartsAt = at
		err := s.Store.CreateAppointment(r.Context(), s.Actor(r), r.PathValue("patient"), &next)
		if err == nil {
			continue
		}
		if e, ok := err.(*clinic.Error); i == 0 && ok && !onlyField(e, "starts_at") {
			s.chartForm(w, r, err, "book", "appointments")
			return
		}
		if clinic.ErrorCode(err) != clinic.EInvalid {
			s.Error(w, r, err)
			return
		}
		clashes = append(clashes, at.In(loc).Format("Mon Jan 2, 15:04")+": "+clinic.ErrorMessage(err))
	}
	if len(clashes) == 0 {
		shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"?done=series", "book")
		return
	}
	s.patientPage(w, r, patientData{Posted: "book", Notice: fmt.Sprintf("Booked %d of %d appointments. These could not be placed; book them separately: %s", times-len(clashes), times, strings.Join(clashes, " · "))}, http.StatusOK)
}

// onlyField reports whether e is about field alone (or names no field).
func onlyField(e *clinic.Error, field string) bool {
	for k := range e.Fields {
		if k != field {
			return false
		}
	}
	return true
}

// detailsData is the patient-details form.
type detailsData struct {
	Patient *store.Patient
	Saved   *store.Patient // on a conflict: the record as saved by someone else
	Errors  map[string]string
	Zones   []string
}

func (s *Handlers) DetailsForm(w http.ResponseWriter, r *http.Request) {
	p, acc, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	if !acc.Can("details") {
		s.NotFound(w, r)
		return
	}
	s.Render(w, r, http.StatusOK, "details", "Details", detailsData{Patient: p, Zones: shell.CommonZones})
}

func (s *Handlers) Details(w http.ResponseWriter, r *http.Request) {
	p := &store.Patient{ID: r.PathValue("patient")}
	f := r.PostForm
	p.DisplayName, p.LegalName, p.Pronouns, p.BirthDate = f.Get("display_name"), f.Get("legal_name"), f.Get("pronouns"), f.Get("birth_date")
	p.Email, p.Phone, p.TimeZone = f.Get("email"), f.Get("phone"), f.Get("time_zone")
	p.EmergencyName, p.EmergencyPhone, p.EmergencyRelation = f.Get("emergency_name"), f.Get("emergency_phone"), f.Get("emergency_relation")
	p.SupportName, p.SupportPhone = f.Get("support_name"), f.Get("support_phone")
	p.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64)
	err := s.Store.UpdatePatientDetails(r.Context(), s.Actor(r), p)
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) {
		d := detailsData{Patient: p, Errors: e.Fields, Zones: shell.CommonZones}
		if e.Code == clinic.EConflict {
			// Show what is saved now, and carry its version: saving again
			// keeps what this person typed, knowingly.
			saved, _, ferr := s.Store.FindPatient(r.Context(), s.Actor(r), p.ID)
			if ferr != nil {
				s.Error(w, r, ferr)
				return
			}
			d.Saved, d.Errors = saved, map[string]string{"form": e.Message}
			p.Version = saved.Version
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "details", "Details", d)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+p.ID+"?done=details", http.StatusSeeOther)
}

// medicationLookup is the JSON answer of GET /medications/lookup.
type medicationLookup struct {
	Query      string   `json:"query"`
	Recognised bool     `json:"recognised"`
	Generic    string   `json:"generic,omitempty"`
	ATC        string   `json:"atc,omitempty"`
	Class      string   `json:"class,omitempty"`
	Level      string   `json:"level,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Source     string   `json:"source,omitempty"`
	Also       []string `json:"also,omitempty"`      // other drugs recognised on the same line
	Unmatched  []string `json:"unmatched,omitempty"` // words that were not recognised
	Vague      []string `json:"vague,omitempty"`     // parts that describe a medicine without naming it
}

// MedicationLookup matches a typed medication to its generic name and
// class, for the forms' as-you-type check.
func (s *Handlers) MedicationLookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if strings.TrimSpace(q) == "" {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "give the medication to look up in q"})
		return
	}
	if len(q) > 300 {
		q = q[:300]
	}
	m := screening.LookupMedication(q)
	out := medicationLookup{Query: m.Input, Recognised: m.Recognised, Generic: m.Generic, ATC: m.ATC, Class: m.ClassName, Level: string(m.Level), Reason: m.Reason, Source: m.Source, Unmatched: m.Unmatched, Vague: m.Vague}
	for _, a := range m.Also {
		out.Also = append(out.Also, a.Generic)
	}
	json.NewEncoder(w).Encode(out)
}

// rulesData lists the screening rules with their sources.
type rulesData struct {
	Rules []screening.Rule
}

func (s *Handlers) Rules(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusOK, "rules", "Screening rules", rulesData{Rules: screening.Rules()})
}

// appointmentChange answers a cancel, move or outcome form of one
// appointment on the chart: field errors are shown at that appointment's
// own form (keyed "ap:<id>:<field>"), with what was typed.
func (s *Handlers) appointmentChange(w http.ResponseWriter, r *http.Request, err error, done string) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && len(e.Fields) > 0 {
		fields := map[string]string{}
		for k, v := range e.Fields {
			fields["ap:"+r.PathValue("appointment")+":"+k] = v
		}
		s.patientPage(w, r, patientData{Errors: fields, Form: r.PostForm, Posted: "ap-" + r.PathValue("appointment")}, http.StatusUnprocessableEntity)
		return
	}
	s.chartForm(w, r, err, "ap-"+r.PathValue("appointment"), done)
}

func (s *Handlers) AppointmentCancel(w http.ResponseWriter, r *http.Request) {
	err := s.Store.CancelAppointment(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("appointment"), r.PostFormValue("reason"))
	s.appointmentChange(w, r, err, "cancelled")
}

// AppointmentMove moves an appointment to a new time, entered in the
// practice's time zone.
func (s *Handlers) AppointmentMove(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	t, ok := shell.ParseLocal(r.PostFormValue("starts_at"), loc)
	if !ok {
		s.appointmentChange(w, r, clinic.FieldErrors{"starts_at": "Enter the new date and time, like 2026-12-03 10:00."}.Err(), "")
		return
	}
	err := s.Store.MoveAppointment(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("appointment"), t, r.PostFormValue("reason"))
	s.appointmentChange(w, r, err, "moved")
}

func (s *Handlers) AppointmentOutcome(w http.ResponseWriter, r *http.Request) {
	err := s.Store.RecordAppointmentOutcome(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("appointment"), r.PostFormValue("outcome"))
	s.appointmentChange(w, r, err, "outcome&appointment="+url.QueryEscape(r.PathValue("appointment"))+"&outcome="+url.QueryEscape(r.PostFormValue("outcome")))
}

// chartMeasures reads the assignments and each questionnaire's latest store.ChartScoreWindow
// scores (FindChartMeasures), or every score with ?scores=all, and their charts with the dosing
// sessions marked, in the practice's zone.
func (s *Handlers) chartMeasures(r *http.Request, patientID string, dosing []time.Time) (*store.Measures, []shell.ProgressView, error) {
	ctx, actor := r.Context(), s.Actor(r)
	loc, _ := s.PracticeZone(r)
	if r.URL.Query().Get("scores") == "all" {
		m, err := s.Store.FindMeasures(ctx, actor, patientID)
		if err != nil {
			return nil, nil, err
		}
		return m, shell.ProgressViews(m.Checkins, dosing, loc, 640), nil
	}
	cm, err := s.Store.FindChartMeasures(ctx, actor, patientID, store.ChartScoreWindow)
	if err != nil {
		return nil, nil, err
	}
	return &store.Measures{Assignments: cm.Assignments}, progressWindowViews(cm.Scores, dosing, loc, 640), nil
}

// ChartAppointmentWindow is how many settled appointments (an outcome recorded) the chart
// lists, the latest; every one still waiting for an outcome is always listed.
const ChartAppointmentWindow = store.ChartAppointmentWindow

// chartAppointments is the chart's appointment list, made ready here rather than by template
// calls: the unsettled and the latest settled ones, oldest first (all with ?appointments=all).
type chartAppointments struct {
	List  []chartAppointment
	Older int // earlier appointments with an outcome, not listed
}

// chartAppointment is one appointment on the chart.
type chartAppointment struct {
	store.Appointment
	Title   string // the kind in words
	Started bool   // it has begun: an outcome, and a note, may be recorded
	HasNote bool   // it has a clinical note (shown only to who may read notes)
	Mine    bool   // a form of this appointment was posted and has errors
}

// chartAppointments lists d.Chart's appointments for the chart page: the
// window FindChart read, and how many earlier ones it left out.
func (s *Handlers) chartAppointments(r *http.Request, d *patientData, acc store.Access) (chartAppointments, error) {
	out := chartAppointments{Older: d.Chart.OlderAppointments}
	now := s.Now()
	var ids []string
	for _, ap := range d.Chart.Appointments {
		v := chartAppointment{Appointment: ap, Title: clinic.AppointmentTitle(ap.Kind), Started: !ap.StartsAt.After(now)}
		prefix := "ap:" + ap.ID + ":"
		for k := range d.Errors {
			if strings.HasPrefix(k, prefix) {
				v.Mine = true
			}
		}
		out.List, ids = append(out.List, v), append(ids, ap.ID)
	}
	if !acc.Can(auth.PermNoteRead) {
		return out, nil
	}
	noted, err := s.Store.NotedAppointments(r.Context(), s.Actor(r), d.Chart.Patient.ID, ids)
	for i := range out.List {
		out.List[i].HasNote = noted[out.List[i].ID]
	}
	return out, err
}
