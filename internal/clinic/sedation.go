package clinic

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sedation, dissociation and respiratory depression during a dosing
// session (issue 20, part 2).
//
// Sources (clinical/REFERENCE.md):
//   - §7.2: the Modified Observer's Assessment of Alertness/Sedation scale
//     (MOAA/S; Chernik et al., J Clin Psychopharmacol 1990;10:244-251),
//     used in the Spravato trials and REMS monitoring: recorded at each
//     vitals time; discharge needs a return to 5 (or the patient's
//     baseline), shown by a score recorded after the dose: no score since
//     the dose holds discharge (SedationUnresolved). The scale and its wording are the source's; the caution
//     and hold cut-offs (Thresholds.SedationCaution, SedationHold;
//     defaults: caution at 4 or lower, hold at 2 or lower) are a clinical
//     choice, practice settings for the prescriber to confirm, not a
//     published standard.
//   - §1.6 and §3: dissociation recorded present/absent as the REMS form
//     does, with a 0–10 intensity and free text, NON-VALIDATED (CADSS is
//     copyrighted). It is recorded and shown; it holds nothing.
//   - §2 and §3: respiratory depression is a labelled warning and a REMS
//     yes/no; REFERENCE gives no list of its signs, so RespiratorySigns is
//     the practice's descriptive list. Any respiratory depression seen
//     holds discharge (a clinical choice, not a setting: the patient stays
//     while it lasts). SpO₂ is judged by its own thresholds (§7.1).

// MOAASLevel is one level of the MOAA/S with its published wording.
type MOAASLevel struct {
	Score int
	Words string
}

// MOAASLevels are the scale's six levels, 5 (alert) first (REFERENCE §7.2).
var MOAASLevels = []MOAASLevel{
	{5, "Responds readily to name spoken in normal tone"},
	{4, "Lethargic response to name spoken in normal tone"},
	{3, "Responds only after name is called loudly and/or repeatedly"},
	{2, "Responds only after mild prodding or shaking"},
	{1, "Responds only after painful trapezius squeeze"},
	{0, "No response"},
}

// MOAASWords is the wording of score n ("" when not on the scale).
func MOAASWords(n int) string {
	for _, l := range MOAASLevels {
		if l.Score == n {
			return l.Words
		}
	}
	return ""
}

// SedationDefaultsNote says that the MOAA/S cut-offs are a clinical choice.
const SedationDefaultsNote = "MOAA/S (Chernik et al., J Clin Psychopharmacol 1990) is the scale; the cut-offs (caution at 4 or lower, hold at 2 or lower) are a clinical choice, not a published standard: confirm them for your practice. A score of 2 or lower always holds. Discharge needs a MOAA/S recorded after the dose, back to 5 or the patient's pre-dose score."

// DissociationNote labels the dissociation record.
const DissociationNote = "Non-validated: present/absent as the REMS form records it, a 0–10 intensity and a note. Not a validated scale: the validated one, CADSS, is copyrighted."

// RespiratorySigns are the signs of respiratory depression the form
// offers: the practice's descriptive list (REFERENCE names respiratory
// depression, not its signs).
var RespiratorySigns = []struct{ Key, Title string }{
	{"slow_shallow", "Slow or shallow breathing"},
	{"pauses", "Pauses in breathing"},
	{"noisy", "Snoring or noisy breathing"},
	{"colour", "Blue or grey lips or skin"},
}

// RespiratorySignTitle names a sign ("" when unknown).
func RespiratorySignTitle(k string) string {
	for _, s := range RespiratorySigns {
		if s.Key == k {
			return s.Title
		}
	}
	return ""
}

// DissociationNoteMax is the longest dissociation note, in characters.
const DissociationNoteMax = 1000

// SedationLevel places a MOAA/S score against the thresholds: at or below
// the hold level holds, at or below the caution level is a caution.
func SedationLevel(score int, t Thresholds) string {
	switch {
	case score <= t.SedationHold:
		return VitalsHold
	case score <= t.SedationCaution:
		return VitalsCaution
	}
	return VitalsOK
}

// sedationFindings are v's MOAA/S and respiratory findings not at ok.
func sedationFindings(v Vitals, t Thresholds) []Finding {
	var out []Finding
	if v.MOAAS != nil {
		if l := SedationLevel(*v.MOAAS, t); l != VitalsOK {
			lim := map[string]int{VitalsHold: t.SedationHold, VitalsCaution: t.SedationCaution}[l]
			out = append(out, Finding{MeasureSedation, l, fmt.Sprintf("MOAA/S %d (%s) is at or below the %s level (%d)", *v.MOAAS, strings.ToLower(MOAASWords(*v.MOAAS)), l, lim)})
		}
	}
	if v.RespDepression != nil && *v.RespDepression {
		w := "signs of respiratory depression"
		if len(v.RespSigns) > 0 {
			w += " (" + strings.ToLower(respSignWords(v.RespSigns)) + ")"
		}
		out = append(out, Finding{MeasureRespiratory, VitalsHold, w})
	}
	return out
}

func respSignWords(keys []string) string {
	var w []string
	for _, k := range keys {
		if t := RespiratorySignTitle(k); t != "" {
			w = append(w, t)
		}
	}
	return strings.Join(w, ", ")
}

// sedationSummary writes v's sedation, dissociation and breathing.
func (v Vitals) sedationSummary() []string {
	var parts []string
	if v.MOAAS != nil {
		parts = append(parts, "MOAA/S "+strconv.Itoa(*v.MOAAS))
	}
	if v.Dissociation != nil {
		d := "dissociation absent"
		if *v.Dissociation {
			d = "dissociation present"
			if v.DissociationIntensity != nil {
				d += " " + strconv.Itoa(*v.DissociationIntensity) + "/10"
			}
		}
		parts = append(parts, d)
	}
	if v.RespDepression != nil {
		r := "no respiratory depression"
		if *v.RespDepression {
			r = "respiratory depression"
			if w := respSignWords(v.RespSigns); w != "" {
				r += ": " + strings.ToLower(w)
			}
		}
		parts = append(parts, r)
	}
	return parts
}

// CheckSedation says what is wrong with v's sedation, dissociation and
// breathing, by field (moaas, dissociation, dissociation_intensity,
// dissociation_note, resp_depression): a MOAA/S off the scale; an
// intensity outside 0–10, or given with dissociation absent; a note that
// is not text or too long; a sign that is not on the list, or signs with
// respiratory depression marked absent. Signs with no answer mark it
// present.
func CheckSedation(v *Vitals) FieldErrors {
	fe := FieldErrors{}
	if v.MOAAS != nil && (*v.MOAAS < 0 || *v.MOAAS > 5) {
		fe.Add("moaas", "Choose a MOAA/S level from 0 to 5.")
	}
	if n := v.DissociationIntensity; n != nil {
		switch {
		case *n < 0 || *n > 10:
			fe.Add("dissociation_intensity", "Enter an intensity from 0 to 10.")
		case v.Dissociation == nil || !*v.Dissociation:
			fe.Add("dissociation_intensity", "Rate the intensity only when dissociation is present.")
		}
	}
	v.DissociationNote = strings.TrimSpace(v.DissociationNote)
	CheckText(fe, "dissociation_note", v.DissociationNote)
	if utf8.RuneCountInString(v.DissociationNote) > DissociationNoteMax {
		fe.Add("dissociation_note", "Keep the note under "+strconv.Itoa(DissociationNoteMax)+" characters.")
	}
	for _, k := range v.RespSigns {
		if RespiratorySignTitle(k) == "" {
			fe.Add("resp_depression", "Choose the signs from the list.")
		}
	}
	if len(v.RespSigns) > 0 {
		switch {
		case v.RespDepression == nil:
			yes := true
			v.RespDepression = &yes
		case !*v.RespDepression:
			fe.Add("resp_depression", "Signs are ticked but respiratory depression is marked absent: correct one of them.")
		}
	}
	return fe
}

// SedationBaseline is the patient's pre-dose MOAA/S: the latest score
// taken before the dose (nil when none).
func SedationBaseline(dose time.Time, vitals []Vitals) *int {
	var base *Vitals
	for i := range vitals {
		v := &vitals[i]
		if v.MOAAS != nil && v.At.Before(dose) && (base == nil || !v.At.Before(base.At)) {
			base = v
		}
	}
	if base == nil {
		return nil
	}
	return base.MOAAS
}

// SedationTarget is the MOAA/S discharge needs: 5, or the patient's
// pre-dose baseline when lower (REFERENCE §7.2).
func SedationTarget(dose time.Time, vitals []Vitals) int {
	if b := SedationBaseline(dose, vitals); b != nil && *b < 5 {
		return *b
	}
	return 5
}

// SedationUnresolved says why sedation has not resolved, or "": discharge
// needs a MOAA/S recorded at or after the dose, and the latest such score
// at SedationTarget (5, or the patient's pre-dose score). REFERENCE §7.2:
// "Record at each vitals time; discharge needs return to 5 (or the
// patient's baseline)": a return is shown by a score, so a session with no
// MOAA/S since the dose is held until one is recorded.
func SedationUnresolved(dose time.Time, vitals []Vitals) string {
	var last *Vitals
	for i := range vitals {
		v := &vitals[i]
		if v.MOAAS != nil && !v.At.Before(dose) && (last == nil || !v.At.Before(last.At)) {
			last = v
		}
	}
	target := SedationTarget(dose, vitals)
	base := ""
	if target < 5 {
		base = ", the patient's score before the dose"
	}
	if last == nil {
		return fmt.Sprintf("No MOAA/S (sedation score) has been recorded since the dose: discharge needs a score of %d%s. Assess the patient and record the score with the vitals before they leave.",
			target, base)
	}
	if *last.MOAAS >= target {
		return ""
	}
	return fmt.Sprintf("Sedation has not resolved: the latest MOAA/S is %d (%s); discharge needs %d%s. Assess again before the patient leaves.",
		*last.MOAAS, strings.ToLower(MOAASWords(*last.MOAAS)), target, base)
}

// HasSedationSigns reports whether any reading of vitals at or after
// since shows sedation (MOAA/S below 5), dissociation present, or
// respiratory depression: the REMS form's yes/no answers.
func HasSedationSigns(vitals []Vitals, since time.Time) (sedation, dissociation, respiratory bool) {
	for _, v := range vitals {
		if v.At.Before(since) {
			continue
		}
		sedation = sedation || (v.MOAAS != nil && *v.MOAAS < 5)
		dissociation = dissociation || (v.Dissociation != nil && *v.Dissociation)
		respiratory = respiratory || (v.RespDepression != nil && *v.RespDepression) || len(v.RespSigns) > 0
	}
	return
}

// ReadSedation reads the vitals form's sedation part (issue 20, part 2):
// MOAA/S (a radio, 0–5), dissociation (present/absent, a 0–10 intensity
// and a note) and respiratory depression (yes/no and the signs seen).
// Each is optional; the store checks the values (CheckSedation).
func ReadSedation(get func(string) string, signs []string, v *Vitals, fe FieldErrors) {
	var ok bool
	if v.MOAAS, ok = optInt(get("moaas")); !ok {
		fe.Add("moaas", "Choose one of the MOAA/S levels.")
	}
	yesNo := func(key string) (*bool, bool) {
		switch get(key) {
		case "":
			return nil, true
		case "yes":
			b := true
			return &b, true
		case "no":
			b := false
			return &b, true
		}
		return nil, false
	}
	if v.Dissociation, ok = yesNo("dissociation"); !ok {
		fe.Add("dissociation", "Choose present or absent.")
	}
	if v.DissociationIntensity, ok = optInt(get("dissociation_intensity")); !ok {
		fe.Add("dissociation_intensity", "Enter the intensity as a whole number from 0 to 10.")
	}
	v.DissociationNote = get("dissociation_note")
	if v.RespDepression, ok = yesNo("resp_depression"); !ok {
		fe.Add("resp_depression", "Choose yes or no.")
	}
	v.RespSigns = signs
	if len(fe) == 0 {
		for k, msg := range CheckSedation(v) {
			fe.Add(k, msg)
		}
	}
}

// optInt reads an optional whole number: nil when blank, ok false when not a number.
func optInt(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &n, true
}
