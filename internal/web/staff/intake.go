package staff

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) StaffIntakeForm(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "intake.read")
	if !ok {
		return
	}
	defer view.Close()
	p, _, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	s.IntakePage(w, r, view, p, shell.IntakeData{Action: "/patients/" + p.ID + "/intake", Staff: true}, http.StatusOK)
}

// StaffIntake saves a clinician's entry or correction of the intake
// as a new, submitted version.
func (s *Handlers) StaffIntake(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	in := shell.IntakeFromForm(r.PostForm)
	_, err := s.Store.SaveIntake(ctx, s.Actor(r), p.ID, in, true, store.QuestionIDs())
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.IntakePage(w, r, nil, p, shell.IntakeData{Action: "/patients/" + p.ID + "/intake", Intake: in, Errors: e.Fields, Staff: true}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+p.ID+"/intake?saved=staff", http.StatusSeeOther)
}
