package portal

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

// ownView begins the page's view of the patient's own record (shell.
// OwnView: one read transaction, one audit row named action, written
// before the page is sent by RenderView). The page's reads (OwnPatient
// included) then run in the view. ok false means it has answered.
func (s *Handlers) ownView(w http.ResponseWriter, r *http.Request, action string) (*http.Request, *store.View, bool) {
	r, view, _, ok := s.OwnView(w, r, action)
	return r, view, ok
}
