package portal

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) IntakeForm(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, p, ok := s.OwnView(w, r, "intake.read")
	if !ok {
		return
	}
	defer view.Close()
	s.IntakePage(w, r, view, p, shell.IntakeData{Action: "/portal/intake"}, http.StatusOK)
}

// Intake saves the patient's answers as a draft or submits
// them. An answer of yes to thoughts of ending their life shows crisis
// help at once, whatever else happens.
func (s *Handlers) Intake(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	in := shell.IntakeFromForm(r.PostForm)
	submit := r.PostFormValue("action") == "submit"
	_, err := s.Store.SaveIntake(ctx, s.Actor(r), p.ID, in, submit, store.QuestionIDs())
	safety := clinic.IntakeRisk(in.Answers)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.IntakePage(w, r, nil, p, shell.IntakeData{Action: "/portal/intake", Intake: in, Errors: e.Fields, Safety: safety}, http.StatusUnprocessableEntity)
		return
	}
	if safety {
		// Crisis help whatever happened to the save; the page says plainly
		// when nothing was saved (and so no one was alerted).
		d := shell.IntakeData{Patient: p, Saved: map[bool]string{true: "submitted", false: "draft"}[submit], Safety: true}
		status := http.StatusOK
		if err != nil {
			s.Log.ErrorContext(r.Context(), "intake with a risk answer not saved", "err", err)
			d.Saved, status = "", http.StatusServiceUnavailable
		}
		s.Render(w, r, status, "intake_safety", "You are not alone", d)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	saved := "draft"
	if submit {
		saved = "submitted"
	}
	http.Redirect(w, r, "/portal/intake?saved="+saved, http.StatusSeeOther)
}
