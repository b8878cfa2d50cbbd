package clinic

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Vitals is one set of readings taken at a dosing session. Missing
// readings are nil.
type Vitals struct {
	ID        string
	ClientID  string // the browser's id for the entry, so a retry records it once
	Phase     string // Phase*: what the clinician said it was
	Systolic  *int
	Diastolic *int
	HeartRate *int
	SpO2      *int
	// Sedation, dissociation and breathing at this time (sedation.go).
	MOAAS                 *int     // MOAA/S 0–5 (REFERENCE §7.2); nil: not assessed
	Dissociation          *bool    // present (true) / absent (false), as the REMS form records it; nil: not assessed
	DissociationIntensity *int     // 0–10, non-validated (REFERENCE §1.6); nil: not rated
	DissociationNote      string   // free text, non-validated
	RespDepression        *bool    // signs of respiratory depression seen (true) / not (false); nil: not assessed
	RespSigns             []string // RespiratorySigns keys seen
	Level                 string   // Vitals*: as worked out when it was recorded
	ByName                string
	At                    time.Time // when taken (as the device said, if believable)
	RecordedAt            time.Time // when the server kept it
}

// BP writes the blood pressure as "120/80", or "" when not taken.
func (v Vitals) BP() string {
	if v.Systolic == nil || v.Diastolic == nil {
		return ""
	}
	return strconv.Itoa(*v.Systolic) + "/" + strconv.Itoa(*v.Diastolic)
}

// Summary writes every reading taken: "165/105 · pulse 150 · SpO₂ 85%".
func (v Vitals) Summary() string {
	var parts []string
	if bp := v.BP(); bp != "" {
		parts = append(parts, bp)
	}
	if v.HeartRate != nil {
		parts = append(parts, "pulse "+strconv.Itoa(*v.HeartRate))
	}
	if v.SpO2 != nil {
		parts = append(parts, "SpO₂ "+strconv.Itoa(*v.SpO2)+"%")
	}
	parts = append(parts, v.sedationSummary()...)
	return strings.Join(parts, " · ")
}

// Thresholds are the prescriber's limits for a dosing session: the vitals
// levels and the minimum observation time after the dose. Each is a
// setting; Defaults says where each default comes from and
// ThresholdBounds how far a prescriber may move it.
type Thresholds struct {
	BPCaution, BPHold     BP  // above either number: caution, hold
	SpO2Caution, SpO2Hold int // below: caution, hold (percent)
	PulseHighCaution      int // above: caution (beats a minute)
	PulseHighHold         int // above: hold
	PulseLowCaution       int // below: caution
	PulseLowHold          int // below: hold
	ObservationMinutes    int // the least time from the dose to discharge
	SedationCaution       int // MOAA/S at or below: caution (sedation.go)
	SedationHold          int // MOAA/S at or below: hold
}

// DefaultThresholds are the thresholds a practice starts with.
//
// Sources (clinical/REFERENCE.md):
//   - blood pressure: caution above 140/90, hold above 160/100 (issue 7;
//     §3: Yale's 2,342 IV infusions saw a mean peak rise of +16/+11 mmHg
//     at 40 minutes);
//   - SpO₂: caution below 94 %, hold below 90 % (§7.1: WHO Pulse Oximetry
//     Training Manual 2011, 94 % or below needs prompt assessment, below
//     90 % is hypoxaemia, a clinical emergency);
//   - pulse: caution above 110 or below 50, hold above 130 or below 40
//     (§7.1: a clinical choice for a monitored ketamine session, not a
//     published standard; adult tachycardia is > 100 and bradycardia < 60
//     by the usual definition). The prescriber confirms these;
//   - observation: 120 minutes (§7.1 and §7.3: Spravato label and REMS,
//     at least 2 hours after the dose).
var DefaultThresholds = Thresholds{
	BPCaution: DefaultBPCaution, BPHold: DefaultBPHold,
	SpO2Caution: 94, SpO2Hold: 90,
	PulseHighCaution: 110, PulseHighHold: 130, PulseLowCaution: 50, PulseLowHold: 40,
	ObservationMinutes: 120,
	SedationCaution:    4, SedationHold: 2,
}

// PulseDefaultsNote says that the pulse defaults are a clinical choice.
const PulseDefaultsNote = "The pulse defaults (caution above 110 or below 50, hold above 130 or below 40) are a clinical choice for a monitored ketamine session, not a published standard (adult tachycardia is above 100, bradycardia below 60): confirm them for your practice."

// Bound is the range a prescriber may set one threshold in, inclusive.
type Bound struct{ Min, Max int }

// ThresholdBounds are how far each threshold may be moved. The hold
// blood pressure is never above 180/110 (issue 12) and observation never
// below 60 minutes. SpO₂ below 90 % is a clinical emergency (REFERENCE
// §7.1, WHO), so the SpO₂ hold is never below 90 % (and its caution
// above it); the high-pulse hold is never above 140, so a pulse of 150
// always holds. The rest keep each level within sane clinical limits;
// every default lies within its bound.
var ThresholdBounds = struct {
	BPCautionSys, BPCautionDia, BPHoldSys, BPHoldDia Bound
	SpO2Caution, SpO2Hold                            Bound
	PulseHighCaution, PulseHighHold                  Bound
	PulseLowCaution, PulseLowHold                    Bound
	ObservationMinutes                               Bound
	SedationCaution, SedationHold                    Bound
}{
	BPCautionSys: Bound{120, 170}, BPCautionDia: Bound{70, 105},
	BPHoldSys: Bound{140, 180}, BPHoldDia: Bound{85, 110},
	SpO2Caution: Bound{91, 97}, SpO2Hold: Bound{90, 94},
	PulseHighCaution: Bound{90, 130}, PulseHighHold: Bound{100, 140},
	PulseLowCaution: Bound{40, 60}, PulseLowHold: Bound{30, 50},
	ObservationMinutes: Bound{60, 240}, // at most the session page's keep-alive (KeepAliveHours)
	// MOAA/S 2 (responds only to prodding) or lower always holds.
	SedationCaution: Bound{3, 4}, SedationHold: Bound{2, 3},
}

// Check says what is wrong with t, by field (bp_caution, bp_hold,
// spo2_caution, spo2_hold, pulse_high_caution, pulse_high_hold,
// pulse_low_caution, pulse_low_hold, observation_minutes); empty when
// every value is within its bound and each hold is beyond its caution.
func (t Thresholds) Check() FieldErrors {
	fe := FieldErrors{}
	b := ThresholdBounds
	in := func(v int, bd Bound) bool { return v >= bd.Min && v <= bd.Max }
	rng := func(bd Bound) string { return strconv.Itoa(bd.Min) + " to " + strconv.Itoa(bd.Max) }
	if !in(t.BPCaution.Systolic, b.BPCautionSys) || !in(t.BPCaution.Diastolic, b.BPCautionDia) {
		fe.Add("bp_caution", "Enter a blood pressure like 140/90: systolic "+rng(b.BPCautionSys)+", diastolic "+rng(b.BPCautionDia)+".")
	}
	switch {
	case !in(t.BPHold.Systolic, b.BPHoldSys) || !in(t.BPHold.Diastolic, b.BPHoldDia):
		fe.Add("bp_hold", "Enter a blood pressure like 160/100, never above 180/110: systolic "+rng(b.BPHoldSys)+", diastolic "+rng(b.BPHoldDia)+".")
	case t.BPHold.Systolic <= t.BPCaution.Systolic || t.BPHold.Diastolic <= t.BPCaution.Diastolic:
		fe.Add("bp_hold", "The hold level must be above the caution level.")
	}
	if !in(t.SpO2Caution, b.SpO2Caution) {
		fe.Add("spo2_caution", "Enter a percentage from "+rng(b.SpO2Caution)+".")
	}
	switch {
	case !in(t.SpO2Hold, b.SpO2Hold):
		fe.Add("spo2_hold", "Enter a percentage from "+rng(b.SpO2Hold)+".")
	case t.SpO2Hold >= t.SpO2Caution:
		fe.Add("spo2_hold", "The hold level must be below the caution level.")
	}
	if !in(t.PulseHighCaution, b.PulseHighCaution) {
		fe.Add("pulse_high_caution", "Enter beats a minute from "+rng(b.PulseHighCaution)+".")
	}
	switch {
	case !in(t.PulseHighHold, b.PulseHighHold):
		fe.Add("pulse_high_hold", "Enter beats a minute from "+rng(b.PulseHighHold)+".")
	case t.PulseHighHold <= t.PulseHighCaution:
		fe.Add("pulse_high_hold", "The hold level must be above the caution level.")
	}
	if !in(t.PulseLowCaution, b.PulseLowCaution) {
		fe.Add("pulse_low_caution", "Enter beats a minute from "+rng(b.PulseLowCaution)+".")
	}
	switch {
	case !in(t.PulseLowHold, b.PulseLowHold):
		fe.Add("pulse_low_hold", "Enter beats a minute from "+rng(b.PulseLowHold)+".")
	case t.PulseLowHold >= t.PulseLowCaution:
		fe.Add("pulse_low_hold", "The hold level must be below the caution level.")
	}
	if !in(t.ObservationMinutes, b.ObservationMinutes) {
		fe.Add("observation_minutes", "Enter minutes from "+rng(b.ObservationMinutes)+" (never below 60).")
	}
	if !in(t.SedationCaution, b.SedationCaution) {
		fe.Add("sedation_caution", "Enter a MOAA/S score from "+rng(b.SedationCaution)+".")
	}
	switch {
	case !in(t.SedationHold, b.SedationHold):
		fe.Add("sedation_hold", "Enter a MOAA/S score from "+rng(b.SedationHold)+" (a score of 2 or lower always holds).")
	case t.SedationHold >= t.SedationCaution:
		fe.Add("sedation_hold", "The hold level must be below the caution level.")
	}
	return fe
}

// Vitals measures.
const (
	MeasureBP          = "bp"
	MeasurePulse       = "pulse"
	MeasureSpO2        = "spo2"
	MeasureSedation    = "sedation"    // MOAA/S
	MeasureRespiratory = "respiratory" // signs of respiratory depression
)

// Finding is one reading's place against the thresholds: which measure,
// its level and why, in words.
type Finding struct {
	Measure string // Measure*
	Level   string // Vitals*
	Words   string // "pulse 150 is above the hold threshold (130)"
}

// VitalsLevel places a set of readings against the thresholds: its level
// is the highest of its blood pressure (above hold on either number
// holds, above caution is a caution), pulse (above the high or below the
// low threshold) and SpO₂ (below the threshold); readings not taken count
// as fine. Findings lists every measure not at ok, blood pressure first.
func VitalsLevel(v Vitals, t Thresholds) (string, []Finding) {
	var out []Finding
	level := VitalsOK
	add := func(f Finding) {
		out = append(out, f)
		if f.Level == VitalsHold || level == VitalsOK {
			level = f.Level
		}
	}
	if v.Systolic != nil && v.Diastolic != nil {
		if l := BPLevel(*v.Systolic, *v.Diastolic, t.BPCaution, t.BPHold); l != VitalsOK {
			add(Finding{MeasureBP, l, "blood pressure " + v.BP() + " is " + BPLevelWords(l, t.BPCaution, t.BPHold)})
		}
	}
	if p := v.HeartRate; p != nil {
		n := *p
		w := func(l, side string, lim int) Finding {
			return Finding{MeasurePulse, l, fmt.Sprintf("pulse %d is %s the %s threshold (%d)", n, side, l, lim)}
		}
		switch {
		case n > t.PulseHighHold:
			add(w(VitalsHold, "above", t.PulseHighHold))
		case n < t.PulseLowHold:
			add(w(VitalsHold, "below", t.PulseLowHold))
		case n > t.PulseHighCaution:
			add(w(VitalsCaution, "above", t.PulseHighCaution))
		case n < t.PulseLowCaution:
			add(w(VitalsCaution, "below", t.PulseLowCaution))
		}
	}
	if s := v.SpO2; s != nil {
		switch {
		case *s < t.SpO2Hold:
			add(Finding{MeasureSpO2, VitalsHold, fmt.Sprintf("SpO₂ %d%% is below the hold threshold (%d%%)", *s, t.SpO2Hold)})
		case *s < t.SpO2Caution:
			add(Finding{MeasureSpO2, VitalsCaution, fmt.Sprintf("SpO₂ %d%% is below the caution threshold (%d%%)", *s, t.SpO2Caution)})
		}
	}
	for _, f := range sedationFindings(v, t) {
		add(f)
	}
	return level, out
}

// FindingWords joins findings for a sentence.
func FindingWords(fs []Finding) string {
	w := make([]string, len(fs))
	for i, f := range fs {
		w[i] = f.Words
	}
	return strings.Join(w, "; ")
}

// Hold is a measure whose latest reading is at the hold level.
type Hold struct {
	Reading Vitals
	Finding Finding
}

// ActiveHolds lists the measures (blood pressure, pulse, SpO₂) whose
// latest reading at or after since is at the hold level, whatever the
// reading was called (a reading entered as "before the dose" but taken
// after it counts): a hold stays until a later reading of the same
// measure is not at hold. Readings are taken in time order (At), whatever
// order they are given in. The gate (PreDoseHolds) and discharge use it.
func ActiveHolds(vitals []Vitals, since time.Time, t Thresholds) []Hold {
	latest := map[string]*Vitals{}
	for i := range vitals {
		v := &vitals[i]
		if v.At.Before(since) {
			continue
		}
		for m, has := range map[string]bool{MeasureBP: v.Systolic != nil && v.Diastolic != nil, MeasurePulse: v.HeartRate != nil, MeasureSpO2: v.SpO2 != nil,
			MeasureSedation: v.MOAAS != nil, MeasureRespiratory: v.RespDepression != nil} {
			if has && (latest[m] == nil || !v.At.Before(latest[m].At)) {
				latest[m] = v
			}
		}
	}
	var out []Hold
	for _, m := range []string{MeasureBP, MeasurePulse, MeasureSpO2, MeasureSedation, MeasureRespiratory} {
		v := latest[m]
		if v == nil {
			continue
		}
		_, fs := VitalsLevel(*v, t)
		for _, f := range fs {
			if f.Measure == m && f.Level == VitalsHold {
				out = append(out, Hold{Reading: *v, Finding: f})
			}
		}
	}
	return out
}

// Reading windows after the dose (REFERENCE §3 and §7.3: the REMS form's
// reading "at 40 minutes"; kapstone takes one taken 30 to 60 minutes after
// the dose as that reading, whatever the clinician chose to call it), and
// how recent the reading before discharge must be.
const (
	FortyMinuteFrom        = 30
	FortyMinuteTo          = 60
	PreDischargeMaxMinutes = 15
)

// MinutesAfter is how many whole minutes after the dose a reading was
// taken (negative before it).
func MinutesAfter(dose, at time.Time) int {
	return int(at.Sub(dose).Truncate(time.Minute) / time.Minute)
}

// IsFortyMinute reports whether a reading taken at is the 40-minute
// reading: 30 to 60 minutes after the dose.
func IsFortyMinute(dose, at time.Time) bool {
	m := at.Sub(dose)
	return m >= FortyMinuteFrom*time.Minute && m <= FortyMinuteTo*time.Minute
}

// HasFortyMinuteReading reports whether a blood pressure was taken 30 to
// 60 minutes after the dose (IsFortyMinute), in any reading but one
// entered as before the dose: the REMS reading at 40 minutes.
func HasFortyMinuteReading(dose time.Time, vitals []Vitals) bool {
	return slices.ContainsFunc(vitals, func(v Vitals) bool {
		return v.Phase != PhasePreDose && v.Systolic != nil && v.Diastolic != nil && IsFortyMinute(dose, v.At)
	})
}

// PreDischargeReading is the latest reading entered as before discharge
// and taken after the dose (nil when there is none), and whether it is
// recent enough at now to discharge on: taken at most
// PreDischargeMaxMinutes before now.
func PreDischargeReading(dose time.Time, vitals []Vitals, now time.Time) (*Vitals, bool) {
	var pre *Vitals
	for i := range vitals {
		v := &vitals[i]
		if v.Phase == PhasePreDischarge && !v.At.Before(dose) && (pre == nil || !v.At.Before(pre.At)) {
			pre = v
		}
	}
	if pre == nil {
		return nil, false
	}
	return pre, now.Sub(pre.At) <= PreDischargeMaxMinutes*time.Minute
}

// ReadingLabel names a reading by its real time after the dose: "Before
// the dose", "40-minute reading (38 min after the dose)", "Before
// discharge (112 min after the dose)" or "Reading 12 min after the dose";
// when the clinician called it the 40-minute reading but it was not taken
// 30–60 minutes after the dose, the label says so.
func ReadingLabel(v Vitals, dose *time.Time) string {
	if dose == nil || v.At.Before(*dose) || (v.Phase == PhasePreDose && !v.At.After(*dose)) {
		return PhaseTitle(PhasePreDose)
	}
	n := MinutesAfter(*dose, v.At)
	after := strconv.Itoa(n) + " min after the dose"
	switch {
	case v.Phase == PhasePreDose:
		return "Reading " + after + " (entered as before the dose)"
	case IsFortyMinute(*dose, v.At):
		return "40-minute reading (" + after + ")"
	case v.Phase == PhasePreDischarge:
		return "Before discharge (" + after + ")"
	case v.Phase == PhaseAfterDose:
		return "Reading " + after + " (entered as the 40-minute reading, but not taken 30–60 minutes after the dose)"
	}
	return "Reading " + after
}
