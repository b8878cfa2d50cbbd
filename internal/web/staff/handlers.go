package staff

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves this face's routes. It embeds the shared shell state.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// pathPatient is the patient the URL names ({patient}), with the caller's
// access to their record, the opening of a chart page. When it cannot be
// read, pathPatient has already answered the request (as Error does) and ok
// is false.
func (s *Handlers) pathPatient(w http.ResponseWriter, r *http.Request) (p *store.Patient, acc store.Access, ok bool) {
	p, acc, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return nil, acc, false
	}
	return p, acc, true
}
