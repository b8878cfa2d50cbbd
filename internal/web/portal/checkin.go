package portal

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"

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

func (s *Handlers) ownMeasures(w http.ResponseWriter, r *http.Request) (*store.Patient, *store.Measures, bool) {
	ctx := r.Context()
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return nil, nil, false
	}
	m, err := s.Store.FindMeasures(ctx, s.Actor(r), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	return p, m, true
}

// Checkins lists what the patient is asked to fill in, due first.
func (s *Handlers) Checkins(w http.ResponseWriter, r *http.Request) {
	r, view, ok := s.ownView(w, r, "checkins.read")
	if !ok {
		return
	}
	defer view.Close()
	_, m, ok := s.ownMeasures(w, r)
	if !ok {
		return
	}
	d := checkinListData{Done: m.Checkins, HasData: len(m.Checkins) > 0}
	started := map[string]bool{}
	for _, c := range m.InProgress {
		started[c.Instrument] = true
	}
	var err error
	if d.Due, d.Other, err = s.checkinLinks(r, m); err != nil {
		s.Error(w, r, err)
		return
	}
	// The notice says only what the store holds: a completed check-in of
	// that questionnaire, or one saved to finish later.
	if done := r.URL.Query().Get("done"); done != "" {
		for _, c := range m.Checkins {
			if c.Instrument == done {
				d.Notice = "Thank you. Your answers are with your care team."
			}
		}
	} else if saved := r.URL.Query().Get("saved"); saved != "" && started[saved] {
		d.Notice = "Saved. Come back to finish it whenever you like."
	}
	s.RenderView(w, r, view, http.StatusOK, "checkins", "Check-ins", d)
}

// checkinLinks sorts the questionnaires asked of the patient into those to
// do now (due, or started and not finished) and the others; a
// questionnaire not ready to be answered is left out.
func (s *Handlers) checkinLinks(r *http.Request, m *store.Measures) (due, other []checkinLink, err error) {
	started := map[string]bool{}
	for _, c := range m.InProgress {
		started[c.Instrument] = true
	}
	for _, a := range m.Assignments {
		inst, ok, err := s.Store.Instrument(r.Context(), a.Instrument)
		if err != nil {
			return nil, nil, err
		}
		if !ok || !inst.Ready() {
			continue
		}
		l := checkinLink{Instrument: inst, Assignment: a, Started: started[a.Instrument]}
		if a.Due || l.Started {
			due = append(due, l)
		} else {
			other = append(other, l)
		}
	}
	return due, other, nil
}

// checkinData is one questionnaire form, or the page that answers it.
type checkinData struct {
	Action     string
	Instrument measure.Instrument
	Answers    measure.Answers
	Errors     map[string]string
	Staff      bool
	Patient    *store.Patient
	// Set after a save, from what the store stored and raised.
	Safety   bool               // the answers hold a risk signal: crisis help is shown
	Saved    bool               // the answers are stored
	Alert    *store.RaisedAlert // the alert they opened or added to; nil when none
	Continue string             // where to go on answering, for an unfinished check-in
	// DraftRisk is true when a saved, unfinished check-in being resumed
	// holds a risk answer: crisis help is shown from the start.
	DraftRisk bool
}

// RiskOption reports whether answering v to item id is a risk answer
// (measure.RiskAnswer, the rule Signal applies): the form marks it with
// data-risk so the page's script shows crisis help the moment it is chosen.
func (d checkinData) RiskOption(id string, v int) bool {
	return measure.RiskAnswer(d.Instrument, id, v)
}

// RiskQuestion reports whether item id has a risk answer: crisis help is
// shown beside it.
func (d checkinData) RiskQuestion(id string) bool { return measure.RiskQuestion(d.Instrument, id) }

// AlertWords says to the patient what the store did with a risk answer, in
// plain words that match it: saved and alerted with its urgency, or not.
func (d checkinData) AlertWords() string {
	switch {
	case d.Alert != nil:
		return "Your answers are saved and your care team has been alerted" + d.Alert.Urgency.PatientWords() + "."
	case d.Saved:
		return "Your answers are saved, but we could not alert your care team."
	}
	return "We could not save your answers, so your care team has not been alerted."
}

// readyInstrument returns the instrument in the URL, with the practice's
// wording where it needs some; unknown or not-yet-worded ones are 404.
func (s *Handlers) readyInstrument(w http.ResponseWriter, r *http.Request) (measure.Instrument, bool) {
	inst, ok, err := s.Store.Instrument(r.Context(), r.PathValue("instrument"))
	if err != nil {
		s.Error(w, r, err)
		return inst, false
	}
	if !ok || !inst.Ready() {
		s.NotFound(w, r)
		return inst, false
	}
	return inst, true
}

func (s *Handlers) CheckinForm(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.ownView(w, r, "measures.read")
	if !ok {
		return
	}
	defer view.Close()
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
	d.DraftRisk = measure.Signal(inst, d.Answers).Positive()
	s.RenderView(w, r, view, http.StatusOK, "checkin", inst.Name, d)
}

// CheckinSaved is the answer to a check-in saved in the background
// (autosave=1 in the form): what was stored and raised, and the words the
// page shows.
type CheckinSaved struct {
	Saved   bool              `json:"saved"`
	Version int               `json:"version,omitempty"`
	Crisis  bool              `json:"crisis"`  // show crisis help
	Alerted bool              `json:"alerted"` // an alert is open for these answers
	Urgency string            `json:"urgency,omitempty"`
	Message string            `json:"message,omitempty"`
	Errors  map[string]string `json:"errors,omitempty"`
	// SignedOut is set when the sign-in has ended: nothing was saved (see
	// signedOutJSON, which answers such a save before it gets here).
	SignedOut bool `json:"signed_out,omitempty"`
}

// Checkin saves a check-in, or completes it. Every post saves
// what was answered: "Save and finish later", "Send my answers", each
// question's "Next" (step, which then goes on to that question), and the
// page's script as soon as an answer is chosen (autosave=1, answered with
// JSON). A risk answer shows crisis help at once, whatever else happens,
// with words that match what the store saved and raised.
func (s *Handlers) Checkin(w http.ResponseWriter, r *http.Request) {
	inst, ok := s.readyInstrument(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	answers, bad := measure.Parse(inst, r.PostFormValue)
	complete := r.PostFormValue("action") == "complete"
	step, _ := strconv.Atoi(r.PostFormValue("step"))
	auto := r.PostFormValue("autosave") == "1"
	d := checkinData{Action: "/portal/checkins/" + inst.ID, Instrument: inst, Answers: answers, Patient: p}
	// The store sees every answer that could be read even when one could
	// not: a risk answer among them raises its alert whatever else is wrong.
	c, err := s.Store.SaveCheckin(ctx, s.Actor(r), p.ID, inst.ID, answers, complete && len(bad) == 0)
	if c != nil {
		d.Answers, d.Saved, d.Alert = c.Answers, c.Saved, c.Alert
		d.Safety = c.Signal.Positive()
	} else {
		// Nothing was stored: the one rule still says whether to show crisis help.
		d.Safety = measure.Signal(inst, answers).Positive()
	}
	if len(bad) > 0 && (err == nil || clinic.ErrorCode(err) == clinic.EInvalid) {
		fields := map[string]string{}
		if e, ok := err.(*clinic.Error); ok {
			maps.Copy(fields, e.Fields)
		}
		maps.Copy(fields, bad)
		err = &clinic.Error{Code: clinic.EInvalid, Message: "That answer is not one of the choices.", Fields: fields}
	}
	e, invalid := err.(*clinic.Error)
	invalid = invalid && e.Code == clinic.EInvalid
	if auto {
		out := CheckinSaved{Saved: d.Saved, Crisis: d.Safety, Alerted: d.Alert != nil}
		if c != nil {
			out.Version = c.Version
		}
		if d.Alert != nil {
			out.Urgency = string(d.Alert.Urgency)
		}
		if d.Safety {
			out.Message = d.AlertWords()
		}
		status := http.StatusOK
		switch {
		case invalid:
			out.Errors = e.Fields
		case clinic.ErrorCode(err) == clinic.ENotFound:
			status = http.StatusNotFound
		case err != nil:
			// The database could not be reached or failed: try again later,
			// as for every other page (never a 500 for a save that failed).
			// A client that went away is logged at INFO, not as an error.
			s.LogSaveFailed(r, "checkin autosave", err)
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(out)
		return
	}
	if invalid {
		d.Errors = e.Fields
		s.Render(w, r, http.StatusUnprocessableEntity, "checkin", inst.Name, d)
		return
	}
	next := "/portal/checkins/" + inst.ID + "#finish"
	if step > 0 && step < len(inst.Items) {
		next = "/portal/checkins/" + inst.ID + "#q-" + strconv.Itoa(step)
	}
	if d.Safety {
		status := http.StatusOK
		if !d.Saved {
			// Crisis help all the same, and the page says nothing was saved.
			status = http.StatusServiceUnavailable
			s.Log.ErrorContext(r.Context(), "checkin with a risk answer not saved", "err", err)
		}
		if !complete && d.Saved {
			d.Continue = next
		}
		s.Render(w, r, status, "checkin_safety", "You are not alone", d)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	switch {
	case step > 0:
		http.Redirect(w, r, next, http.StatusSeeOther)
	case complete:
		http.Redirect(w, r, "/portal/checkins?done="+inst.ID, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/portal/checkins?saved="+inst.ID, http.StatusSeeOther)
	}
}
