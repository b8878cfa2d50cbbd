package fhir

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/screening"
	"github.com/kapstone/kapstone/internal/store"
)

// ScreeningFlagID is the id of the Flag of screening flag f of patientID:
// the patient and the store's key of the flag (its rule and a hash of
// what triggered it), so the same finding keeps its id.
func ScreeningFlagID(patientID string, f screening.Flag) string {
	return patientID + "-" + store.FlagKey(f)
}

var levelTitle = map[screening.Level]string{screening.Exclude: "Exclude", screening.Caution: "Caution", screening.Info: "Info"}

// ScreeningFlags maps the screening flags of patientID's newest submitted
// intake (screened: the version they come from) as active Flags: category
// drug for a medication rule and clinical otherwise, with the level
// (exclude, caution, info) as a second category; the rule as the code with
// its reason, which is the product's own wording. What in the intake
// triggered a flag (Flag.Detail: the patient's typed words) is never
// written.
func (m Mapper) ScreeningFlags(patientID string, screened *store.IntakeVersion, flags []screening.Flag) ([]Flag, error) {
	if err := checkIDs(patientID); err != nil {
		return nil, err
	}
	if len(flags) > 0 && screened == nil {
		return nil, errors.New("fhir: screening flags without the intake they come from")
	}
	var out []Flag
	for _, f := range flags {
		title, ok := levelTitle[f.Level]
		if !ok || f.Rule == "" {
			return nil, fmt.Errorf("fhir: screening flag %q has level %q", f.Rule, f.Level)
		}
		cat := Concept(SystemFlagCategory, "clinical", "Clinical", "")
		if strings.HasPrefix(f.Rule, "med-") {
			cat = Concept(SystemFlagCategory, "drug", "Drug", "")
		}
		fl := Flag{
			ID: ScreeningFlagID(patientID, f), Status: "active",
			Category: []CodeableConcept{*cat, *Concept(SystemScreeningLevel, string(f.Level), title, "")},
			Code:     Concept(SystemScreeningRule, f.Rule, "", title+": "+f.Reason),
			Subject:  Ref("Patient", patientID, ""), Period: &Period{Start: Instant(screened.At)},
		}
		if err := checkIDs(fl.ID); err != nil {
			return nil, err
		}
		out = append(out, fl)
	}
	return out, nil
}

// SafetyAlert maps one of a patient's suicide-risk alerts as a Flag:
// category safety, active while open and inactive once acknowledged (the
// period ends then), coded by its urgency (measure's words for it), with its highest signal in
// words (the instrument's answer, never typed text). The acknowledgement
// note is typed text and is never written.
func (m Mapper) SafetyAlert(a store.SafetyAlert) (Flag, error) {
	if err := checkIDs(a.PatientID, a.ID); err != nil {
		return Flag{}, err
	}
	if a.RaisedAt.IsZero() {
		return Flag{}, fmt.Errorf("fhir: alert %s has no time", a.ID)
	}
	text := "Suicide risk signal"
	if a.Signal != "" {
		text += ": " + a.Signal
	}
	if a.Source != "" {
		text += " (" + a.Source + ")"
	}
	code := &CodeableConcept{Text: text}
	if a.Urgency != measure.UrgencyNone {
		code.Coding = []Coding{{System: SystemAlertUrgency, Code: string(a.Urgency), Display: a.Urgency.Words()}}
	}
	out := Flag{
		ID: a.ID, Status: "active", Category: []CodeableConcept{*Concept(SystemFlagCategory, "safety", "Safety", "")},
		Code: code, Subject: Ref("Patient", a.PatientID, ""), Period: &Period{Start: Instant(a.RaisedAt)},
	}
	if a.AckAt != nil {
		out.Status, out.Period.End = "inactive", Instant(*a.AckAt)
	}
	return out, nil
}
