package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// instrumentsData is the admin's page of questionnaires: those that ship
// their wording, and those waiting for the practice's.
type instrumentsData struct {
	Shipped []measure.Instrument
	Worded  []wordingForm
	Notice  string
}

// wordingForm is one instrument whose wording the practice supplies.
type wordingForm struct {
	Instrument measure.Instrument
	Text       store.PracticeText
	Ready      bool
	Errors     map[string]string
}

func (s *Server) instrumentsPage(w http.ResponseWriter, r *http.Request, failed *wordingForm, status int) {
	d := instrumentsData{}
	for _, base := range measure.All() {
		if !base.ItemTextFromPractice {
			d.Shipped = append(d.Shipped, base)
			continue
		}
		if failed != nil && failed.Instrument.ID == base.ID {
			d.Worded = append(d.Worded, *failed)
			continue
		}
		inst, _, err := s.store.Instrument(r.Context(), base.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		pt, err := s.store.PracticeTextOf(r.Context(), base.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		d.Worded = append(d.Worded, wordingForm{Instrument: base, Text: pt, Ready: inst.Ready()})
	}
	if r.URL.Query().Get("done") != "" {
		d.Notice = "Wording saved. Clinicians can now assign this questionnaire."
	}
	s.render(w, r, status, "instruments", "Questionnaires", d)
}

func (s *Server) handleInstruments(w http.ResponseWriter, r *http.Request) {
	s.instrumentsPage(w, r, nil, http.StatusOK)
}

// handleInstrumentText saves the practice's wording for one instrument.
func (s *Server) handleInstrumentText(w http.ResponseWriter, r *http.Request) {
	base, ok := measure.Get(r.PathValue("instrument"))
	if !ok || !base.ItemTextFromPractice {
		s.notFound(w, r)
		return
	}
	pt := store.PracticeText{Instructions: r.PostFormValue("instructions"), Items: map[string]string{}}
	for _, it := range base.Items {
		pt.Items[it.ID] = r.PostFormValue(it.ID)
	}
	err := s.store.SetPracticeText(r.Context(), s.actor(r), base.ID, pt)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.instrumentsPage(w, r, &wordingForm{Instrument: base, Text: pt, Errors: e.Fields}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/instruments?done="+base.ID+"#"+base.ID, http.StatusSeeOther)
}
