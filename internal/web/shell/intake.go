package shell

import (
	"net/http"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// IntakePage shows the intake form for patient p, filled from the latest
// version (or from what was just typed, when a save failed).
func (s *App) IntakePage(w http.ResponseWriter, r *http.Request, p *store.Patient, d IntakeData, status int) {
	d.Patient, d.Sections = p, sections()
	if d.Intake.Answers == nil {
		iv, err := s.Store.LatestIntake(r.Context(), s.Actor(r), p.ID)
		if err != nil {
			s.Error(w, r, err)
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
		hist, err := s.Store.IntakeHistory(r.Context(), p.ID)
		if err != nil {
			s.Error(w, r, err)
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
	s.Render(w, r, status, "intake", "Health questionnaire", d)
}
