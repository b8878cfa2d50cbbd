package admin

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

func (s *Handlers) instrumentsPage(w http.ResponseWriter, r *http.Request, failed *wordingForm, status int) {
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
		inst, _, err := s.Store.Instrument(r.Context(), base.ID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		pt, err := s.Store.PracticeTextOf(r.Context(), base.ID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Worded = append(d.Worded, wordingForm{Instrument: base, Text: pt, Ready: inst.Ready()})
	}
	if r.URL.Query().Get("done") != "" {
		d.Notice = "Wording saved. Clinicians can now assign this questionnaire."
	}
	s.Render(w, r, status, "instruments", "Questionnaires", d)
}

func (s *Handlers) Instruments(w http.ResponseWriter, r *http.Request) {
	s.instrumentsPage(w, r, nil, http.StatusOK)
}

// InstrumentText saves the practice's wording for one instrument.
func (s *Handlers) InstrumentText(w http.ResponseWriter, r *http.Request) {
	base, ok := measure.Get(r.PathValue("instrument"))
	if !ok || !base.ItemTextFromPractice {
		s.NotFound(w, r)
		return
	}
	pt := store.PracticeText{Instructions: r.PostFormValue("instructions"), Items: map[string]string{}}
	for _, it := range base.Items {
		pt.Items[it.ID] = r.PostFormValue(it.ID)
	}
	err := s.Store.SetPracticeText(r.Context(), s.Actor(r), base.ID, pt)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.instrumentsPage(w, r, &wordingForm{Instrument: base, Text: pt, Errors: e.Fields}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/instruments?done="+base.ID+"#"+base.ID, http.StatusSeeOther)
}
