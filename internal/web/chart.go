package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
)

// chartForm answers a chart form: on a validation error it shows the chart
// again with the input kept and the message at the field (status 422); on
// success it returns to the chart with a notice.
func (s *Server) chartForm(w http.ResponseWriter, r *http.Request, err error, done string) {
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) && len(e.Fields) > 0 {
		s.patientPage(w, r, patientData{Errors: e.Fields, Form: r.PostForm}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	anchor := done
	if section, ok := doneSection[done]; ok {
		anchor = section
	}
	http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"?done="+done+"#"+anchor, http.StatusSeeOther)
}

// doneSection is the chart section a notice belongs to, where it differs
// from the notice's own name.
var doneSection = map[string]string{"cancelled": "appointments", "moved": "appointments", "outcome": "appointments"}

func (s *Server) handleStage(w http.ResponseWriter, r *http.Request) {
	err := s.store.ChangeStage(r.Context(), s.actor(r), r.PathValue("patient"), clinic.Stage(r.PostFormValue("stage")), r.PostFormValue("reason"))
	s.chartForm(w, r, err, "stage")
}

func (s *Server) handleEvaluation(w http.ResponseWriter, r *http.Request) {
	err := s.store.SaveEvaluation(r.Context(), s.actor(r), r.PathValue("patient"), store.Evaluation{Recommendation: r.PostFormValue("recommendation"), Summary: r.PostFormValue("summary")})
	s.chartForm(w, r, err, "evaluation")
}

func (s *Server) handleClearance(w http.ResponseWriter, r *http.Request) {
	overrides := map[string]string{}
	for k, v := range r.PostForm {
		if key, ok := strings.CutPrefix(k, "override_"); ok && len(v) > 0 {
			overrides[key] = v[0]
		}
	}
	err := s.store.RecordClearance(r.Context(), s.actor(r), r.PathValue("patient"), r.PostFormValue("decision"), r.PostFormValue("reason"), overrides)
	s.chartForm(w, r, err, "clearance")
}

func (s *Server) handleAcknowledgeAlert(w http.ResponseWriter, r *http.Request) {
	seen, _ := time.Parse(time.RFC3339Nano, r.PostFormValue("seen"))
	err := s.store.AcknowledgeSafetyAlert(r.Context(), s.actor(r), r.PathValue("patient"), r.PathValue("alert"), r.PostFormValue("ack_note"), seen)
	s.chartForm(w, r, err, "alerts")
}

func (s *Server) handleConsult(w http.ResponseWriter, r *http.Request) {
	err := s.store.PostConsult(r.Context(), s.actor(r), r.PathValue("patient"), r.PostFormValue("body"))
	s.chartForm(w, r, err, "consult")
}

// handleAppointment books an appointment, or a series of them. Staff
// enter times in the practice's time zone. An empty length takes the
// practice's usual length for the kind.
func (s *Server) handleAppointment(w http.ResponseWriter, r *http.Request) {
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
	loc, _ := s.practiceZone(r)
	if t, ok := parseLocal(r.PostFormValue("starts_at"), loc); ok {
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
		s.chartForm(w, r, fe.Err(), "appointments")
		return
	}
	if times == 1 {
		s.chartForm(w, r, s.store.CreateAppointment(r.Context(), s.actor(r), r.PathValue("patient"), ap), "appointments")
		return
	}
	// A series: each at the same local time (across daylight-saving
	// changes), each booked and checked on its own. A clash skips that
	// date and is reported; a problem with the form itself (found on the
	// first) stops the series before anything is booked.
	every, _ := strconv.Atoi(r.PostFormValue("repeat"))
	starts, err := clinic.Series{First: ap.StartsAt, Zone: loc, EveryDay: every, Count: times}.Starts()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var clashes []string
	for i, at := range starts {
		next := *ap
		next.StartsAt = at
		err := s.store.CreateAppointment(r.Context(), s.actor(r), r.PathValue("patient"), &next)
		if err == nil {
			continue
		}
		if e, ok := err.(*clinic.Error); i == 0 && ok && !onlyField(e, "starts_at") {
			s.chartForm(w, r, err, "appointments")
			return
		}
		if clinic.ErrorCode(err) != clinic.EInvalid {
			s.error(w, r, err)
			return
		}
		clashes = append(clashes, at.In(loc).Format("Mon Jan 2, 15:04")+": "+clinic.ErrorMessage(err))
	}
	if len(clashes) == 0 {
		http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"?done=series#appointments", http.StatusSeeOther)
		return
	}
	s.patientPage(w, r, patientData{Notice: fmt.Sprintf("Booked %d of %d appointments. These could not be placed; book them separately: %s", times-len(clashes), times, strings.Join(clashes, " · "))}, http.StatusOK)
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

// commonZones are offered first; any IANA name is accepted.
var commonZones = []string{"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "Europe/London", "Australia/Sydney"}

func (s *Server) handleDetailsForm(w http.ResponseWriter, r *http.Request) {
	p, acc, err := s.store.FindPatient(r.Context(), s.actor(r), r.PathValue("patient"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !acc.Can("details") {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "details", "Details", detailsData{Patient: p, Zones: commonZones})
}

func (s *Server) handleDetails(w http.ResponseWriter, r *http.Request) {
	p := &store.Patient{ID: r.PathValue("patient")}
	f := r.PostForm
	p.DisplayName, p.LegalName, p.Pronouns, p.BirthDate = f.Get("display_name"), f.Get("legal_name"), f.Get("pronouns"), f.Get("birth_date")
	p.Email, p.Phone, p.TimeZone = f.Get("email"), f.Get("phone"), f.Get("time_zone")
	p.EmergencyName, p.EmergencyPhone, p.EmergencyRelation = f.Get("emergency_name"), f.Get("emergency_phone"), f.Get("emergency_relation")
	p.SupportName, p.SupportPhone = f.Get("support_name"), f.Get("support_phone")
	p.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64)
	err := s.store.UpdatePatientDetails(r.Context(), s.actor(r), p)
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) {
		d := detailsData{Patient: p, Errors: e.Fields, Zones: commonZones}
		if e.Code == clinic.EConflict {
			// Show what is saved now, and carry its version: saving again
			// keeps what this person typed, knowingly.
			saved, _, ferr := s.store.FindPatient(r.Context(), s.actor(r), p.ID)
			if ferr != nil {
				s.error(w, r, ferr)
				return
			}
			d.Saved, d.Errors = saved, map[string]string{"form": e.Message}
			p.Version = saved.Version
		}
		s.render(w, r, http.StatusUnprocessableEntity, "details", "Details", d)
		return
	}
	if err != nil {
		s.error(w, r, err)
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

// handleMedicationLookup matches a typed medication to its generic name and
// class, for the forms' as-you-type check.
func (s *Server) handleMedicationLookup(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) handleRules(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "rules", "Screening rules", rulesData{Rules: screening.Rules()})
}

// intakeData is the intake form (portal or staff) and its review.
type intakeData struct {
	Action    string
	Patient   *store.Patient
	Sections  []intakeSection
	Intake    clinic.Intake
	Meds      []medRow // the lines shown, with blanks to fill
	Version   *store.IntakeVersion
	Errors    map[string]string
	Staff     bool
	History   []store.IntakeVersion // every version, for staff
	Saved     string
	SavedKind string // draft, submitted or staff
	Safety    bool   // the patient answered yes to thoughts of ending their life
}

// medRow is one medication line of the form and, for staff, what it was
// recognised as.
type medRow struct {
	clinic.MedicationLine
	Check *screening.Match
}

type intakeSection struct {
	Name      string
	Questions []screening.Question
}

func sections() []intakeSection {
	var out []intakeSection
	for _, q := range screening.Questions() {
		if len(out) == 0 || out[len(out)-1].Name != q.Section {
			out = append(out, intakeSection{Name: q.Section})
		}
		out[len(out)-1].Questions = append(out[len(out)-1].Questions, q)
	}
	return out
}

// intakeFromForm reads the intake form.
func intakeFromForm(f url.Values) clinic.Intake {
	in := clinic.Intake{Answers: map[string]string{}, Allergies: f.Get("allergies"), HistoryNotes: f.Get("history_notes"), Goals: f.Get("goals")}
	for _, q := range screening.Questions() {
		if v := f.Get("q_" + q.ID); v != "" {
			in.Answers[q.ID] = v
		}
	}
	for i := 0; i < clinic.MaxMedications+5; i++ {
		n := strconv.Itoa(i)
		if !f.Has("med_name_"+n) && !f.Has("med_dose_"+n) {
			continue
		}
		in.Medications = append(in.Medications, clinic.MedicationLine{Name: f.Get("med_name_" + n), Dose: f.Get("med_dose_" + n), Frequency: f.Get("med_frequency_" + n)})
	}
	return in
}

// medRows returns the intake's medication lines (checked, for staff) with
// empty lines added, so the form always offers a few more.
func medRows(meds []clinic.MedicationLine, check bool) []medRow {
	var out []medRow
	for _, m := range meds {
		row := medRow{MedicationLine: m}
		if check && strings.TrimSpace(m.Name) != "" {
			match := screening.LookupMedication(m.Name)
			row.Check = &match
		}
		out = append(out, row)
	}
	for len(out) < len(meds)+3 && len(out) < clinic.MaxMedications {
		out = append(out, medRow{})
	}
	return out
}

// appointmentChange answers a cancel, move or outcome form of one
// appointment on the chart: field errors are shown at that appointment's
// own form (keyed "ap:<id>:<field>"), with what was typed.
func (s *Server) appointmentChange(w http.ResponseWriter, r *http.Request, err error, done string) {
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid && len(e.Fields) > 0 {
		fields := map[string]string{}
		for k, v := range e.Fields {
			fields["ap:"+r.PathValue("appointment")+":"+k] = v
		}
		s.patientPage(w, r, patientData{Errors: fields, Form: r.PostForm}, http.StatusUnprocessableEntity)
		return
	}
	s.chartForm(w, r, err, done)
}

func (s *Server) handleAppointmentCancel(w http.ResponseWriter, r *http.Request) {
	err := s.store.CancelAppointment(r.Context(), s.actor(r), r.PathValue("patient"), r.PathValue("appointment"), r.PostFormValue("reason"))
	s.appointmentChange(w, r, err, "cancelled")
}

// handleAppointmentMove moves an appointment to a new time, entered in the
// practice's time zone.
func (s *Server) handleAppointmentMove(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.practiceZone(r)
	t, ok := parseLocal(r.PostFormValue("starts_at"), loc)
	if !ok {
		s.appointmentChange(w, r, clinic.FieldErrors{"starts_at": "Enter the new date and time, like 2026-12-03 10:00."}.Err(), "")
		return
	}
	err := s.store.MoveAppointment(r.Context(), s.actor(r), r.PathValue("patient"), r.PathValue("appointment"), t, r.PostFormValue("reason"))
	s.appointmentChange(w, r, err, "moved")
}

func (s *Server) handleAppointmentOutcome(w http.ResponseWriter, r *http.Request) {
	err := s.store.RecordAppointmentOutcome(r.Context(), s.actor(r), r.PathValue("patient"), r.PathValue("appointment"), r.PostFormValue("outcome"))
	s.appointmentChange(w, r, err, "outcome")
}
