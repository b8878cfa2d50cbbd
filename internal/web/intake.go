package web

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// intakePage shows the intake form for patient p, filled from the latest
// version (or from what was just typed, when a save failed).
func (s *Server) intakePage(w http.ResponseWriter, r *http.Request, p *store.Patient, d intakeData, status int) {
	d.Patient, d.Sections = p, sections()
	if d.Intake.Answers == nil {
		iv, err := s.store.LatestIntake(r.Context(), s.actor(r), p.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		d.Version = iv
		if iv != nil {
			d.Intake = iv.Intake
		} else {
			d.Intake = clinic.Intake{Answers: map[string]string{}}
		}
	}
	d.Meds = medRows(d.Intake.Medications, true)
	if d.Staff {
		hist, err := s.store.IntakeHistory(r.Context(), s.actor(r), p.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		d.History = hist
	}
	d.SavedKind = r.URL.Query().Get("saved")
	switch d.SavedKind {
	case "draft":
		d.Saved = "Saved. You can come back and finish at any time."
	case "submitted":
		d.Saved = "Thank you. Your answers have gone to your care team."
	case "staff":
		d.Saved = "Saved as a new version of the intake."
	}
	s.render(w, r, status, "intake", "Health questionnaire", d)
}

func (s *Server) handlePortalIntakeForm(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.FindOwnPatient(r.Context(), s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.intakePage(w, r, p, intakeData{Action: "/portal/intake"}, http.StatusOK)
}

// handlePortalIntake saves the patient's answers as a draft or submits
// them. An answer of yes to thoughts of ending their life shows crisis
// help at once, whatever else happens.
func (s *Server) handlePortalIntake(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.store.FindOwnPatient(ctx, s.actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := intakeFromForm(r.PostForm)
	submit := r.PostFormValue("action") == "submit"
	_, err = s.store.SaveIntake(ctx, s.actor(r), p.ID, in, submit, store.QuestionIDs())
	safety := clinic.IntakeRisk(in.Answers)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.intakePage(w, r, p, intakeData{Action: "/portal/intake", Intake: in, Errors: e.Fields, Safety: safety}, http.StatusUnprocessableEntity)
		return
	}
	if safety {
		// Crisis help whatever happened to the save; the page says plainly
		// when nothing was saved (and so no one was alerted).
		d := intakeData{Patient: p, Saved: map[bool]string{true: "submitted", false: "draft"}[submit], Safety: true}
		status := http.StatusOK
		if err != nil {
			s.log.Error("intake with a risk answer not saved", "err", err)
			d.Saved, status = "", http.StatusServiceUnavailable
		}
		s.render(w, r, status, "intake_safety", "You are not alone", d)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	saved := "draft"
	if submit {
		saved = "submitted"
	}
	http.Redirect(w, r, "/portal/intake?saved="+saved, http.StatusSeeOther)
}

func (s *Server) handleStaffIntakeForm(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.store.FindPatient(r.Context(), s.actor(r), r.PathValue("patient"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.intakePage(w, r, p, intakeData{Action: "/patients/" + p.ID + "/intake", Staff: true}, http.StatusOK)
}

// handleStaffIntake saves a clinician's entry or correction of the intake
// as a new, submitted version.
func (s *Server) handleStaffIntake(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _, err := s.store.FindPatient(ctx, s.actor(r), r.PathValue("patient"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := intakeFromForm(r.PostForm)
	_, err = s.store.SaveIntake(ctx, s.actor(r), p.ID, in, true, store.QuestionIDs())
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.intakePage(w, r, p, intakeData{Action: "/patients/" + p.ID + "/intake", Intake: in, Errors: e.Fields, Staff: true}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/patients/"+p.ID+"/intake?saved=staff", http.StatusSeeOther)
}
