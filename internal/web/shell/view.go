package shell

import (
	"context"
	"net/http"

	"github.com/kapstone/kapstone/internal/store"
)

// OwnView begins the view of the signed-in patient's own record for a
// portal page (store.BeginOwnView: one read transaction, one audit row
// named action): it returns the request to read through, the view and the
// patient. ok false means it has answered (no patient record: not found).
// The caller defers view.Close and answers with RenderView.
func (s *App) OwnView(w http.ResponseWriter, r *http.Request, action string) (*http.Request, *store.View, *store.Patient, bool) {
	ctx, view, p, err := s.Store.BeginOwnView(r.Context(), s.Actor(r), action)
	if err != nil {
		s.Error(w, r, err)
		return r, nil, nil, false
	}
	return r.WithContext(ctx), view, p, true
}

// PatientView begins the view of patientID for a staff page (store.
// BeginView), as OwnView does for the portal's.
func (s *App) PatientView(w http.ResponseWriter, r *http.Request, patientID, action string) (*http.Request, *store.View, bool) {
	ctx, view, err := s.Store.BeginView(r.Context(), s.Actor(r), patientID, action)
	if err != nil {
		s.Error(w, r, err)
		return r, nil, false
	}
	return r.WithContext(ctx), view, true
}

// RenderView renders the page made in view (its navigation's reads too),
// holds it back until the view's one audit row is committed, then sends
// it; a failed commit answers an error instead, and nothing read is shown.
// With no view (nil) it is Render.
func (s *App) RenderView(w http.ResponseWriter, r *http.Request, view *store.View, status int, name, title string, data any) {
	if view == nil { // no view: as Render
		s.Render(w, r, status, name, title, data)
		return
	}
	held := NewHeldResponse()
	s.Render(held, r, status, name, title, data)
	if err := view.Finish(r.Context()); err != nil {
		s.Error(w, r.WithContext(context.WithoutCancel(r.Context())), err)
		return
	}
	held.SendTo(w)
}
