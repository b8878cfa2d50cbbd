package clinic

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Intake is what a patient tells the practice before treatment. Answers
// maps the screening questions' ids to "yes", "no" or "unsure".
type Intake struct {
	Answers      map[string]string `json:"answers"`
	Medications  []MedicationLine  `json:"medications"`
	Allergies    string            `json:"allergies"`
	HistoryNotes string            `json:"history_notes"` // dates and details of what was answered yes
	Goals        string            `json:"goals"`
}

// MedicationLine is one medication or supplement as typed.
type MedicationLine struct {
	Name      string `json:"name"`
	Dose      string `json:"dose"`
	Frequency string `json:"frequency"`
}

// Text is the medication as one line, as screening reads it: its name,
// dose and frequency in that order, with runs of white space (and blank
// fields) collapsed to one space. The intake's screening and the dosing
// day's "new since the last session" comparison both read this, so that
// a medicine typed in any field is screened.
func (m MedicationLine) Text() string {
	return strings.Join(strings.Fields(m.Name+" "+m.Dose+" "+m.Frequency), " ")
}

// Limits on what an intake holds.
const (
	MaxMedications   = 30
	MaxMedFieldRunes = 120
	MaxIntakeText    = 4000
)

// Validate checks an intake against the known question ids, trims it, and
// returns an EInvalid error with a message at each field that is wrong.
// Medication fields are named med_name_N, med_dose_N, med_frequency_N.
// With complete (sending the questionnaire), every question needs an
// answer: a question left blank is not a no.
func (in *Intake) Validate(questionIDs []string, complete bool) error {
	fe := FieldErrors{}
	if complete {
		for _, id := range questionIDs {
			if in.Answers[id] == "" {
				fe.Add("q_"+id, "Please answer yes, no or not sure.")
			}
		}
	}
	known := map[string]bool{}
	for _, id := range questionIDs {
		known[id] = true
	}
	for id, v := range in.Answers {
		if !known[id] {
			delete(in.Answers, id)
			continue
		}
		switch v {
		case "yes", "no", "unsure", "":
		default:
			fe.Add("q_"+id, "Choose yes, no or not sure.")
		}
	}
	var meds []MedicationLine
	for _, m := range in.Medications {
		m.Name, m.Dose, m.Frequency = strings.TrimSpace(m.Name), strings.TrimSpace(m.Dose), strings.TrimSpace(m.Frequency)
		if m.Name == "" && m.Dose == "" && m.Frequency == "" {
			continue
		}
		meds = append(meds, m)
	}
	in.Medications = meds
	if len(meds) > MaxMedications {
		fe.Add("medications", "List at most 30 medications here; tell your care team about the rest.")
	}
	for i, m := range meds {
		n := strconv.Itoa(i)
		if m.Name == "" {
			fe.Add("med_name_"+n, "Enter the medication's name, or clear this line.")
		}
		for field, v := range map[string]string{"med_name_": m.Name, "med_dose_": m.Dose, "med_frequency_": m.Frequency} {
			if utf8.RuneCountInString(v) > MaxMedFieldRunes {
				fe.Add(field+n, "This is too long: use at most 120 characters.")
			}
		}
	}
	for field, v := range map[string]*string{"allergies": &in.Allergies, "history_notes": &in.HistoryNotes, "goals": &in.Goals} {
		*v = strings.TrimSpace(*v)
		if utf8.RuneCountInString(*v) > MaxIntakeText {
			fe.Add(field, "This is too long: use at most 4000 characters.")
		}
	}
	return fe.Err()
}

// ParseBirthDate parses a YYYY-MM-DD date of birth and checks it is
// possible: not in the future and not more than 120 years ago.
func ParseBirthDate(s string, now time.Time) (time.Time, string) {
	d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, "Enter the date of birth as year-month-day, like 1987-04-23."
	}
	if d.After(now) {
		return time.Time{}, "A date of birth cannot be in the future."
	}
	if Age(d, now) > 120 {
		return time.Time{}, "Check the year: that would make the patient older than 120."
	}
	return d, ""
}

// Age returns whole years from birth to now.
func Age(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		y--
	}
	return y
}

// IntakeRiskQuestion is the intake question whose answer is a suicide-risk
// signal: thoughts of ending one's life in the past 2 weeks.
const IntakeRiskQuestion = "suicidal_now"

// IntakeRiskWords says the intake's risk answer to the care team, with no
// free text: "yes" or "not sure" to thoughts of ending their life.
func IntakeRiskWords(answers map[string]string) string {
	if answers[IntakeRiskQuestion] == "unsure" {
		return "Intake: not sure about thoughts of ending their life in the past 2 weeks"
	}
	return "Intake: yes to thoughts of ending their life in the past 2 weeks"
}

// IntakeRisk reports whether the intake's answers hold a suicide-risk
// answer: yes, or not sure (the most conservative reading, as for the
// risk screen: uncertainty about suicidal thoughts is asked about the same
// day), to thoughts of ending their life in the past 2 weeks, draft or sent, whatever else is filled in or wrong. It is the only place the
// rule lives: the store raises the care team's alert on it and the portal
// shows crisis help on it. Source: the ketamine label's suicidality warning
// and REFERENCE.md "10 facts" #2 (a risk answer alerts the care team the
// same day and the patient sees crisis resources at once).
func IntakeRisk(answers map[string]string) bool {
	v := answers[IntakeRiskQuestion]
	return v == "yes" || v == "unsure"
}
