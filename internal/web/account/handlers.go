package account

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves this face's routes. It embeds the shared shell state.
type Handlers struct {
	*shell.App
	// ApplyCarry saves a draft carried through sign-in (shell.Carry) as
	// the user just signed in, and answers the request (true); false when
	// the draft cannot be opened, and nothing was answered. The web
	// package wires it to the face whose route the draft was posted to.
	ApplyCarry func(w http.ResponseWriter, r *http.Request, sealed string) bool
}

// New returns the face's handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}
