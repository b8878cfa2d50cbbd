package staff

import (
	"net/http"
	"net/url"

	"github.com/kapstone/kapstone/internal/store"
)

// notesSection is what the chart's Notes section shows: the latest
// store.ChartNoteWindow of the patient's clinical notes and how many there
// are, the rest on the notes page (issue 16; the note pages are package
// notes'). The chart asks only when the caller may read them.
func (s *Handlers) notesSection(r *http.Request, patientID string) (any, error) {
	return s.Store.ChartNotes(r.Context(), s.Actor(r), patientID, store.ChartNoteWindow)
}

// psychNoteChartLimit is how many of the viewer's psychotherapy notes the
// chart lists.
const psychNoteChartLimit = 5

// psychNoteSection is the chart's "My psychotherapy notes" section (the
// note pages are package notes').
type psychNoteSection struct {
	PatientID string
	Notes     []store.PsychNote
	More      bool
}

// psychNoteSection loads the viewer's own psychotherapy notes for the
// chart. The caller checks first that the policy allows the viewer
// psychotherapy notes on this patient (so emergency access and admins
// never ask).
func (s *Handlers) psychNoteSection(r *http.Request, patientID string) (any, error) {
	notes, more, err := s.Store.PsychNotes(r.Context(), s.Actor(r), patientID, store.PsychNotePage{Limit: psychNoteChartLimit})
	if err != nil {
		return nil, err
	}
	return &psychNoteSection{PatientID: patientID, Notes: notes, More: more}, nil
}

// consentSection is the chart's consents section: each kind's status, its
// signature block, and (for the care team) recording a paper signature
// and revoking (the handlers are package notes').
type consentSection struct {
	PatientID string
	Consents  []store.Consent
	CanSign   bool // on the care team (emergency access reads only)
}

// consentSection loads the chart's consents section.
func (s *Handlers) consentSection(r *http.Request, patientID string) (any, error) {
	ctx := r.Context()
	actor := s.Actor(r)
	cs, err := s.Store.PatientConsents(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	team, err := s.Store.CareTeam(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	sec := &consentSection{PatientID: patientID, Consents: cs}
	for _, m := range team {
		sec.CanSign = sec.CanSign || m.User.ID == actor.UserID
	}
	return sec, nil
}

// ChartForm shows the chart again after a chart form handled elsewhere
// (package notes: a paper consent, a revocation) failed: errs at the
// section posted, the typed values kept, 422.
func (s *Handlers) ChartForm(w http.ResponseWriter, r *http.Request, errs map[string]string, posted string, form url.Values) {
	s.patientPage(w, r, patientData{Errors: errs, Posted: posted, Form: form}, http.StatusUnprocessableEntity)
}
