package staff

import (
	"context"
	"net/http"

	"github.com/kapstone/kapstone/internal/web/shell"
)

// prepSection is the chart's preparation section.
type prepSection struct {
	PatientID    string
	Current      *shell.PrepView // nil when nothing is recorded yet
	Form         shell.PrepForm
	Failed       bool // the form was just sent and could not be saved
	Saved        bool
	CanEdit      bool // on the care team (emergency access reads only)
	Touches      []shell.TouchChoice
	TouchHistory []shell.TouchChange
	Versions     int
}

// preparationSection is what the chart's preparation section shows for
// the patient: the current record, who saved it, the history of consent
// to touch, and the form to change it.
func (s *Handlers) preparationSection(r *http.Request, patientID string) (any, error) {
	ctx := r.Context()
	actor := s.Actor(r)
	history, err := s.Store.PreparationHistory(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	team, err := s.Store.CareTeam(ctx, actor, patientID)
	if err != nil {
		return nil, err
	}
	sec := &prepSection{PatientID: patientID, Touches: shell.TouchChoices, TouchHistory: shell.TouchChanges(history, 10), Versions: len(history),
		Form: shell.PrepForm{Staff: true, Prefix: "prep-"}}
	for _, m := range team {
		sec.CanEdit = sec.CanEdit || m.User.ID == actor.UserID
	}
	if len(history) > 0 {
		sec.Current = &shell.PrepView{Preparation: history[0]}
		sec.Form.Values = history[0]
	}
	if f, ok := ctx.Value(prepFailureKey{}).(*shell.PrepFailure); ok {
		sec.Form.Values, sec.Form.Errors, sec.Failed = f.Typed, f.Errs, true
		if f.Conflict {
			// Saving again keeps what this person typed, knowingly, over
			// the newer version shown above it.
			sec.Form.Values.Version = 0
			if sec.Current != nil {
				sec.Form.Values.Version = sec.Current.Version
			}
		}
	} else {
		sec.Saved = r.URL.Query().Get("done") == "preparation"
	}
	return sec, nil
}

// ChartPreparation saves the care team's edit of the record. A form
// that cannot be saved is shown again on the chart, as typed, with the
// reasons at the fields (422).
func (s *Handlers) ChartPreparation(w http.ResponseWriter, r *http.Request) {
	p := shell.PreparationFromForm(r.PostForm)
	err := s.Store.SavePreparation(r.Context(), s.Actor(r), r.PathValue("patient"), p)
	if errs, conflict, ok := shell.FormFailure(err); ok {
		r = r.WithContext(context.WithValue(r.Context(), prepFailureKey{}, &shell.PrepFailure{Typed: p, Errs: errs, Conflict: conflict}))
		s.patientPage(w, r, patientData{}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"?done=preparation#preparation", http.StatusSeeOther)
}

// prepFailureKey is the context key of a failed preparation post, for the
// chart page that shows it again.
type prepFailureKey struct{}
