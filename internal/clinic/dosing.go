package clinic

import (
	"fmt"
	"strconv"
	"strings"
)

// The dosing session: what the pre-dose gate asks, when vitals are due,
// which adverse events are listed and what discharge needs. Sources are
// clinical/REFERENCE.md section 3 ("Dosing-session monitoring"): the
// Spravato REMS monitoring form (BP before, at 40 min and before
// discharge), KAP as practised (vitals before and after, escort, remote
// chaperone checking every 15 minutes), the suggested session record, and
// procedural-sedation discharge norms.

// Session statuses.
const (
	SessionGate       = "gate"       // pre-dose gate not yet passed
	SessionReady      = "ready"      // gate passed, no dose yet
	SessionDosed      = "dosed"      // dose given, not yet discharged
	SessionDischarged = "discharged" // over
	SessionStopped    = "stopped"    // ended before the dose
)

// GateItem is one line of the pre-dose gate.
type GateItem struct {
	Key   string
	Title string
	Auto  bool // checked by kapstone, not attested
}

// GateItems are the pre-dose gate's lines, in the order shown (issue 7).
// The consent line is checked against the patient's signed KAP informed
// consent (ConsentStandingOf), not attested.
var GateItems = []GateItem{
	{Key: "clearance", Title: "Medical clearance is current", Auto: true},
	{Key: "prescription", Title: "A current prescription with a session left", Auto: true},
	{Key: "consent", Title: "KAP informed consent is current", Auto: true},
	{Key: "medications", Title: "Medication changes since the last session reviewed"},
	{Key: "fasting", Title: "Fasting as instructed"},
	{Key: "pregnancy", Title: "Pregnancy"},
	{Key: "escort", Title: "Ride home and support person confirmed"},
	{Key: "vitals", Title: "Blood pressure, pulse and SpO₂ before the dose"},
}

// How long the gate's answers hold. These are kapstone's defaults, not
// figures from a source: the gate is about the patient today, at the
// moment of the dose. An attested line older than GateFreshHours and a
// pre-dose blood pressure older than PreDoseVitalsMinutes must be taken
// again; a session left at the gate longer than StaleGateHours is closed
// when the next one is started.
const (
	GateFreshHours       = 4
	PreDoseVitalsMinutes = 60
	StaleGateHours       = 12
	// LateCloseHours is how long after the dose a session left open may be
	// closed without the discharge checklist (with a reason): long after
	// any patient has gone home, so it is never a shortcut past discharge.
	LateCloseHours = 6
	// KeepAliveHours is how long after the dose the session page keeps the
	// clinician's sign-in from timing out.
	KeepAliveHours = 4
)

// Pregnancy attestations.
const (
	PregnancyNo            = "not_pregnant"
	PregnancyNotApplicable = "not_applicable"
)

// Vitals phases (REMS form: before the dose, about 40 minutes after, before
// discharge), and a remote chaperone's check.
const (
	PhasePreDose      = "pre_dose"
	PhaseAfterDose    = "after_dose"
	PhasePreDischarge = "pre_discharge"
	PhaseCheck        = "check"
)

// PhaseTitle names a vitals phase.
func PhaseTitle(p string) string {
	return map[string]string{PhasePreDose: "Before the dose", PhaseAfterDose: "About 40 minutes after the dose",
		PhasePreDischarge: "Before discharge", PhaseCheck: "Other reading"}[p]
}

// AfterDoseMinutes is when the after-dose blood pressure is due (REMS: at
// 40 minutes; Yale: peak rise at 40 minutes).
const AfterDoseMinutes = 40

// ChaperoneCheckMinutes is how often a remote session's in-person
// chaperone checks on the patient (Journey Clinical, as reported).
const ChaperoneCheckMinutes = 15

// Vitals levels.
const (
	VitalsOK      = "ok"
	VitalsCaution = "caution"
	VitalsHold    = "hold"
)

// BP is a blood pressure, systolic over diastolic.
type BP struct{ Systolic, Diastolic int }

func (b BP) String() string { return strconv.Itoa(b.Systolic) + "/" + strconv.Itoa(b.Diastolic) }

// ParseBP reads "140/90".
func ParseBP(s string) (BP, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	sys, err1 := strconv.Atoi(strings.TrimSpace(a))
	dia, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || sys < 60 || sys > 260 || dia < 30 || dia > 160 || dia >= sys {
		return BP{}, false
	}
	return BP{sys, dia}, true
}

// Default blood-pressure thresholds (issue 7; practice settings): caution
// above 140/90, hold above 160/100. Yale's 2,342 IV infusions (REFERENCE
// §3) saw a mean peak rise of +16/+11 mmHg at 40 minutes.
var (
	DefaultBPCaution = BP{140, 90}
	DefaultBPHold    = BP{160, 100}
)

// BPLevel places a reading against the thresholds: above hold (either
// number) holds, above caution is a caution.
func BPLevel(sys, dia int, caution, hold BP) string {
	switch {
	case sys > hold.Systolic || dia > hold.Diastolic:
		return VitalsHold
	case sys > caution.Systolic || dia > caution.Diastolic:
		return VitalsCaution
	}
	return VitalsOK
}

// BPLevelWords says why a reading is at its level.
func BPLevelWords(level string, caution, hold BP) string {
	switch level {
	case VitalsHold:
		return fmt.Sprintf("above the hold threshold (%s)", hold)
	case VitalsCaution:
		return fmt.Sprintf("above the caution threshold (%s)", caution)
	}
	return "within the thresholds"
}

// AdverseEvents is the list offered when recording an adverse event
// (REFERENCE §3: the label's list plus what KAP sessions see).
var AdverseEvents = []struct{ Key, Title string }{
	{"nausea", "Nausea"},
	{"vomiting", "Vomiting"},
	{"bp_rise", "Blood pressure rise"},
	{"anxiety", "Anxiety or panic"},
	{"emergence", "Emergence reaction or difficult experience"},
	{"dizziness", "Dizziness or vertigo"},
	{"sedation", "Sedation"},
	{"dissociation", "Dissociation beyond what was expected"},
	{"confusion", "Confusion"},
	{"headache", "Headache"},
	{"low_spo2", "Low oxygen saturation"},
	{"other", "Other"},
}

// AdverseTitle names an adverse event ("" when unknown).
func AdverseTitle(k string) string {
	for _, a := range AdverseEvents {
		if a.Key == k {
			return a.Title
		}
	}
	return ""
}

// Severities of an adverse event.
var Severities = []string{"mild", "moderate", "severe"}

// DischargeCriteria must all be met to discharge (REFERENCE §3, from
// procedural-sedation recovery norms).
var DischargeCriteria = []struct{ Key, Title string }{
	{"vitals", "Vitals near baseline"},
	{"oriented", "Alert and oriented"},
	{"gait", "Steady on their feet"},
	{"nausea", "Nausea settled"},
	{"escort", "Adult escort present"},
	{"aftercare", "Written aftercare given (no driving or major decisions until tomorrow; whom to call; crisis lines)"},
}
