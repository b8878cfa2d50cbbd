package shell

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
)

// IntakePage shows the intake form for patient p, filled from the latest
// version (or from what was just typed, when a save failed).
func (s *App) IntakePage(w http.ResponseWriter, r *http.Request, view *store.View, p *store.Patient, d IntakeData, status int) {
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
		hist, err := s.Store.IntakeHistory(r.Context(), s.Actor(r), p.ID)
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
	s.RenderView(w, r, view, status, "intake", "Health questionnaire", d)
}

// CommonZones are offered first; any IANA name is accepted.
var CommonZones = []string{"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "Europe/London", "Australia/Sydney"}

// IntakeData is the intake form (portal or staff) and its review.
type IntakeData struct {
	Action    string
	Patient   *store.Patient
	Sections  []intakeSection
	Intake    clinic.Intake
	Meds      []medRow // the lines shown, with blanks to fill
	Version   *store.IntakeVersion
	Errors    map[string]string
	Staff     bool
	History   []store.IntakeVersion // every version, for staff
	Saved     string
	SavedKind string // draft, submitted or staff
	Safety    bool   // the patient answered yes to thoughts of ending their life
}

// medRow is one medication line of the form and, for staff, what it was
// recognised as.
type medRow struct {
	clinic.MedicationLine
	Check *screening.Match
}

type intakeSection struct {
	Name      string
	Questions []screening.Question
}

func sections() []intakeSection {
	var out []intakeSection
	for _, q := range screening.Questions() {
		if len(out) == 0 || out[len(out)-1].Name != q.Section {
			out = append(out, intakeSection{Name: q.Section})
		}
		out[len(out)-1].Questions = append(out[len(out)-1].Questions, q)
	}
	return out
}

// IntakeFromForm reads the intake form.
func IntakeFromForm(f url.Values) clinic.Intake {
	in := clinic.Intake{Answers: map[string]string{}, Allergies: f.Get("allergies"), HistoryNotes: f.Get("history_notes"), Goals: f.Get("goals")}
	for _, q := range screening.Questions() {
		if v := f.Get("q_" + q.ID); v != "" {
			in.Answers[q.ID] = v
		}
	}
	for i := 0; i < clinic.MaxMedications+5; i++ {
		n := strconv.Itoa(i)
		if !f.Has("med_name_"+n) && !f.Has("med_dose_"+n) {
			continue
		}
		in.Medications = append(in.Medications, clinic.MedicationLine{Name: f.Get("med_name_" + n), Dose: f.Get("med_dose_" + n), Frequency: f.Get("med_frequency_" + n)})
	}
	return in
}

// medRows returns the intake's medication lines (checked, for staff) with
// empty lines added, so the form always offers a few more.
func medRows(meds []clinic.MedicationLine, check bool) []medRow {
	var out []medRow
	for _, m := range meds {
		row := medRow{MedicationLine: m}
		if check && strings.TrimSpace(m.Name) != "" {
			match := screening.LookupMedication(m.Name)
			row.Check = &match
		}
		out = append(out, row)
	}
	for len(out) < len(meds)+3 && len(out) < clinic.MaxMedications {
		out = append(out, medRow{})
	}
	return out
}
