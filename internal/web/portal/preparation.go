package portal

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// portalPrepData is the portal's preparation page.
type portalPrepData struct {
	Current *shell.PrepView
	Form    shell.PrepForm
	Saved   bool
	Touches []shell.TouchChoice
	Zone    string
}

// PreparationForm shows the patient their preparation record
// to fill in or review.
func (s *Handlers) PreparationForm(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.ownView(w, r, "preparation.read")
	if !ok {
		return
	}
	defer view.Close()
	s.portalPreparationPage(w, r, view, nil, http.StatusOK)
}

// Preparation saves the patient's record as a new version.
func (s *Handlers) Preparation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	p := shell.PreparationFromForm(r.PostForm)
	err := s.Store.SavePreparation(ctx, s.Actor(r), own.ID, p)
	if errs, conflict, ok := shell.FormFailure(err); ok {
		s.portalPreparationPage(w, r, nil, &shell.PrepFailure{Typed: p, Errs: errs, Conflict: conflict}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal/preparation?saved=1", http.StatusSeeOther)
}

// portalPreparationPage renders the preparation form, in view when there
// is one.
func (s *Handlers) portalPreparationPage(w http.ResponseWriter, r *http.Request, view *store.View, failed *shell.PrepFailure, status int) {
	ctx := r.Context()
	own, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	cur, err := s.Store.Preparation(ctx, s.Actor(r), own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PatientZone(r, own)
	d := portalPrepData{Touches: shell.TouchChoices, Zone: zone}
	if cur != nil {
		d.Current = &shell.PrepView{Preparation: *cur}
		d.Form.Values = *cur
	} else {
		// A first record starts from the support person in their details.
		d.Form.Values.SupportName, d.Form.Values.SupportPhone = own.SupportName, own.SupportPhone
	}
	switch {
	case failed != nil:
		d.Form.Values, d.Form.Errors = failed.Typed, failed.Errs
		if failed.Conflict {
			d.Form.Values.Version = 0
			if cur != nil {
				d.Form.Values.Version = cur.Version
			}
		}
	default:
		d.Saved = r.URL.Query().Get("saved") == "1"
	}
	s.RenderView(w, r, view, status, "portal_preparation", "Preparing for your sessions", d)
}
