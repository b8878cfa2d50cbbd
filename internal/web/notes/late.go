package notes

import (
	"net/http"
	"strconv"

	"github.com/kapstone/kapstone/internal/store"
)

// lateList is the late-notes page's data.
type lateList struct {
	List *store.LateNoteList
	Zone string
}

// LateNotes lists late notes: the clinician's own appointments, or the
// whole practice's for an administrator (metadata only, never text).
func (s *Handlers) LateNotes(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	list, err := s.Store.LateNotes(r.Context(), s.Actor(r), page)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PracticeZone(r)
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, http.StatusOK, "late_notes", "Late notes", lateList{List: list, Zone: zone})
}
