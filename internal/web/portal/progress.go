package portal

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) Progress(w http.ResponseWriter, r *http.Request) {
	r, view, ok := s.ownView(w, r, "progress.read")
	if !ok {
		return
	}
	defer view.Close()
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
	s.RenderView(w, r, view, http.StatusOK, "progress", "Your progress", shell.ProgressData{Views: shell.ProgressViews(m.Checkins, dosing, loc, 360)})
}
