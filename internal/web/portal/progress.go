package portal

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) Progress(w http.ResponseWriter, r *http.Request) {
	p, m, ok := s.ownMeasures(w, r)
	if !ok {
		return
	}
	loc, _ := s.PatientZone(r, p)
	dosing, err := s.Store.DosedAt(r.Context(), s.Actor(r), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Render(w, r, http.StatusOK, "progress", "Your progress", shell.ProgressData{Views: shell.ProgressViews(m.Checkins, dosing, loc, 360)})
}
