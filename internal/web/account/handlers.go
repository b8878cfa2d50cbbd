package account

import "github.com/kapstone/kapstone/internal/web/shell"

// Handlers serves this face's routes. It embeds the shared shell state.
type Handlers struct {
	*shell.App
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}
