package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// checkinListData is the portal's list of questionnaires.
type checkinListData struct {
	Due     []checkinLink
	Other   []checkinLink
	Done    []store.Checkin
	Notice  string
	HasData bool
}

type checkinLink struct {
	Instrument measure.Instrument
	Assignment store.Assignment
	Started    bool
}

func (s *Server) ownMeasures(w http.ResponseWriter, r *http.Request) (*store.Patient, *store.Measures, bool) {
	ctx := r.Context()
	p, err := s.store.FindOwnPatient(ctx, s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return nil, nil, false
	}
	m, err := s.store.FindMeasures(ctx, s.actor(r), p.ID)
	if err != nil {
		s.error(w, r, err)
		return nil, nil, false
	}
	return p, m, true
}

// handlePortalCheckins lists what the patient is asked to fill in, due first.
func (s *Server) handlePortalCheckins(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.ownMeasures(w, r)
	if !ok {
		return
	}
	d := checkinListData{Done: m.Checkins, HasData: len(m.Checkins) > 0}
	started := map[string]bool{}
	for _, c := range m.InProgress {
		started[c.Instrument] = true
	}
	for _, a := range m.Assignments {
		inst, ok, err := s.store.Instrument(r.Context(), a.Instrument)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if !ok || !inst.Ready() {
			continue
		}
		l := checkinLink{Instrument: inst, Assignment: a, Started: started[a.Instrument]}
		if a.Due || l.Started {
			d.Due = append(d.Due, l)
		} else {
			d.Other = append(d.Other, l)
		}
	}
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = "Thank you. Your answers are with your care team."
	} else if r.URL.Query().Get("saved") != "" {
		d.Notice = "Saved. Come back to finish it whenever you like."
	}
	s.render(w, r, http.StatusOK, "checkins", "Check-ins", d)
}

// checkinData is one questionnaire form.
type checkinData struct {
	Action     string
	Instrument measure.Instrument
	Answers    measure.Answers
	Errors     map[string]string
	Safety     bool
	Staff      bool
	Patient    *store.Patient
}

// answersFromForm reads the instrument's answers from a form; an answer
// that is not a number is refused at its question.
func answersFromForm(inst measure.Instrument, r *http.Request) (measure.Answers, map[string]string) {
	a := measure.Answers{}
	bad := map[string]string{}
	for _, it := range inst.Items {
		v := strings.TrimSpace(r.PostFormValue(it.ID))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[it.ID] = "That answer is not one of the choices."
			continue
		}
		a[it.ID] = n
	}
	return a, bad
}

// readyInstrument returns the instrument in the URL, with the practice's
// wording where it needs some; unknown or not-yet-worded ones are 404.
func (s *Server) readyInstrument(w http.ResponseWriter, r *http.Request) (measure.Instrument, bool) {
	inst, ok, err := s.store.Instrument(r.Context(), r.PathValue("instrument"))
	if err != nil {
		s.error(w, r, err)
		return inst, false
	}
	if !ok || !inst.Ready() {
		s.notFound(w, r)
		return inst, false
	}
	return inst, true
}

func (s *Server) handlePortalCheckinForm(w http.ResponseWriter, r *http.Request) {
	inst, ok := s.readyInstrument(w, r)
	if !ok {
		return
	}
	_, m, ok := s.ownMeasures(w, r)
	if !ok {
		return
	}
	d := checkinData{Action: "/portal/checkins/" + inst.ID, Instrument: inst, Answers: measure.Answers{}}
	for _, c := range m.InProgress {
		if c.Instrument == inst.ID {
			d.Answers = c.Answers
		}
	}
	s.render(w, r, http.StatusOK, "checkin", inst.Name, d)
}

// handlePortalCheckin saves a check-in, or completes it. A risk answer
// shows crisis help at once, whatever else happens.
func (s *Server) handlePortalCheckin(w http.ResponseWriter, r *http.Request) {
	inst, ok := s.readyInstrument(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := s.store.FindOwnPatient(ctx, s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	answers, bad := answersFromForm(inst, r)
	complete := r.PostFormValue("action") == "complete"
	d := checkinData{Action: "/portal/checkins/" + inst.ID, Instrument: inst, Answers: answers, Patient: p}
	// The store sees the answers that could be read even when one could not:
	// a risk answer among them raises its alert whatever else is wrong.
	c, err := s.store.SaveCheckin(ctx, s.actor(r), p.ID, inst.ID, answers, complete && len(bad) == 0)
	if len(bad) > 0 && (err == nil || clinic.ErrorCode(err) == clinic.EInvalid) {
		fields := map[string]string{}
		if e, ok := err.(*clinic.Error); ok {
			for k, v := range e.Fields {
				fields[k] = v
			}
		}
		for k, v := range bad {
			fields[k] = v
		}
		err = &clinic.Error{Code: clinic.EInvalid, Message: "That answer is not one of the choices.", Fields: fields}
	}
	risky := false
	for _, it := range inst.Items {
		risky = risky || (it.Risk && answers[it.ID] > 0)
	}
	for _, tr := range inst.Triage {
		if v, ok := answers[tr.Item]; ok && v == tr.Value && tr.Level.Alert() {
			risky = true
		}
	}
	if c != nil && c.Complete && measure.RiskLevel(c.Risk).Alert() {
		risky = true
	}
	code := clinic.ErrorCode(err)
	// A risk answer was recorded (and its alert raised) unless access was
	// refused or the database failed.
	alerted := risky && (err == nil || code == clinic.EInvalid || code == clinic.EConflict)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		d.Errors, d.Safety = e.Fields, alerted
		s.render(w, r, http.StatusUnprocessableEntity, "checkin", inst.Name, d)
		return
	}
	if alerted {
		s.render(w, r, http.StatusOK, "checkin_safety", "You are not alone", d)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if risky {
		s.render(w, r, http.StatusOK, "checkin_safety", "You are not alone", d)
		return
	}
	if complete {
		http.Redirect(w, r, "/portal/checkins?done="+inst.ID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/portal/checkins?saved="+inst.ID, http.StatusSeeOther)
}
