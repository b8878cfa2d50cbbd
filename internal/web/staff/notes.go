package staff

import "net/http"

// notesSection is what the chart's Notes section shows: the first page
// of the patient's clinical notes (issue 16; the note pages are package
// notes'). The chart asks only when the caller may read them.
func (s *Handlers) notesSection(r *http.Request, patientID string) (any, error) {
	return s.Store.Notes(r.Context(), s.Actor(r), patientID, 1)
}
