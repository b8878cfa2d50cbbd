package staff

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// prescriptionView is the chart's prescription section and, after it, the
// Entries of the integration journal the patient has shared.
type prescriptionView struct {
	*store.Prescriptions
	Routes      []clinic.Route
	DefaultDrug string
	DoseNote    string
	DoseSource  string
	MaxSessions int
	Notice      string
	Journal     []store.JournalEntry
}

// prescriptionNotices are the section's notices after a change, by the
// done value of the redirect.
var prescriptionNotices = map[string]string{
	"prescription":       "Prescription recorded.",
	"prescription-dose":  "Dose adjustment recorded.",
	"prescription-ended": "Prescription ended. A new one can be recorded.",
}

// prescriptionSection is what the chart's prescription section shows for
// the patient (nil: the section shows nothing).
func (s *Handlers) prescriptionSection(r *http.Request, patientID string) (any, error) {
	rx, err := s.Store.FindPrescriptions(r.Context(), s.Actor(r), patientID)
	if err != nil {
		return nil, err
	}
	journal, err := s.Store.SharedJournal(r.Context(), s.Actor(r), patientID)
	if err != nil {
		return nil, err
	}
	return &prescriptionView{
		Prescriptions: rx,
		Routes:        clinic.Routes,
		DefaultDrug:   clinic.DefaultDrug,
		DoseNote:      clinic.DoseNote.Text,
		DoseSource:    clinic.DoseNote.Source,
		MaxSessions:   clinic.MaxSessionsAuthorised,
		Notice:        prescriptionNotices[r.URL.Query().Get("done")],
		Journal:       journal,
	}, nil
}

// prescriptionForm answers one of the section's forms: field errors go back
// to the chart at that form's own fields (prefix + the store's field name),
// with what was typed; success returns to the section with its notice.
func (s *Handlers) prescriptionForm(w http.ResponseWriter, r *http.Request, err error, prefix, done string) {
	if e, ok := err.(*clinic.Error); ok && (e.Code == clinic.EInvalid || e.Code == clinic.EConflict) && len(e.Fields) > 0 {
		fields := map[string]string{}
		for k, v := range e.Fields {
			fields[prefix+k] = v
		}
		s.patientPage(w, r, patientData{Errors: fields, Form: r.PostForm, Posted: "prescription"}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	shell.SeeOther(w, r, "/patients/"+r.PathValue("patient")+"?done="+done, "prescription")
}

func (s *Handlers) PrescriptionRecord(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	in := clinic.PrescriptionInput{Drug: f.Get("rx_drug"), Route: f.Get("rx_route"), Strength: f.Get("rx_strength"), Dose: f.Get("rx_dose")}
	in.SessionsAuthorised, _ = strconv.Atoi(strings.TrimSpace(f.Get("rx_sessions_authorised"))) // not a number: 0, refused at the field
	_, err := s.Store.RecordPrescription(r.Context(), s.Actor(r), r.PathValue("patient"), in)
	s.prescriptionForm(w, r, err, "rx_", "prescription")
}

func (s *Handlers) PrescriptionAdjust(w http.ResponseWriter, r *http.Request) {
	err := s.Store.AdjustDose(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("prescription"), r.PostFormValue("adj_dose"), r.PostFormValue("adj_reason"))
	s.prescriptionForm(w, r, err, "adj_", "prescription-dose")
}

func (s *Handlers) PrescriptionEnd(w http.ResponseWriter, r *http.Request) {
	err := s.Store.EndPrescription(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("prescription"), r.PostFormValue("end_reason"))
	s.prescriptionForm(w, r, err, "end_", "prescription-ended")
}
