package clinic

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The dosing session's rules over plain values: the pre-dose gate,
// discharge readiness and the dose against the prescription. The store
// loads the facts, calls these, and saves the outcome.

// GateRecord is one recording of a gate item.
type GateRecord struct {
	ID     string
	Value  string
	Note   string
	ByName string
	ByRole Role
	At     time.Time
}

// GateFacts are what the pre-dose gate is decided on.
type GateFacts struct {
	Status             string                // Session*
	ClearanceProblem   string                // why the clearance does not hold, or ""
	HasPrescription    bool                  // a current prescription exists
	SessionsAuthorised int                   // by it (0: no limit recorded)
	SessionsUsed       int                   // of it
	Items              map[string]GateRecord // the latest record of each item
	NewInteracting     []string              // new since the last session and in need of the prescriber, as "Xanax 0.5 mg (benzodiazepine)"
	PreDose            *Vitals               // the latest pre-dose reading
	Thresholds         Thresholds
}

// GateMedsNeedPrescriber is the start of the gate's message when new
// medication needs the prescriber's review.
const GateMedsNeedPrescriber = "New since the last session and in need of the prescriber's review: "

// Gate works out what the pre-dose gate still needs at now, by gate item
// (GateItems' keys); empty when it passes. A session past the gate
// (dosed, discharged, stopped) has nothing left to check. An attested line
// recorded more than GateFreshHours ago, or a pre-dose reading older than
// PreDoseVitalsMinutes, no longer counts: the gate is about today, at the
// moment of the dose. A pre-dose reading at the hold level (blood
// pressure, pulse or SpO₂) holds the gate unless a prescriber recorded an
// override naming that very reading. Source: REFERENCE §3 and §7.1.
func Gate(f GateFacts, now time.Time) map[string]string {
	p := map[string]string{}
	if f.Status != SessionGate && f.Status != SessionReady {
		return p
	}
	if f.ClearanceProblem != "" {
		p["clearance"] = f.ClearanceProblem
	}
	if msg := PrescriptionProblem(f.HasPrescription, f.SessionsAuthorised, f.SessionsUsed); msg != "" {
		p["prescription"] = msg
	}
	fresh := func(item string) (GateRecord, bool) {
		rec, ok := f.Items[item]
		return rec, ok && !rec.At.Before(now.Add(-GateFreshHours*time.Hour))
	}
	const again = " (The last answer is more than 4 hours old: confirm it again.)"
	stale := func(item string) string {
		if rec, ok := f.Items[item]; ok && rec.Value != "" {
			return again
		}
		return ""
	}
	if rec, ok := fresh("consent"); !ok || rec.Value != "yes" {
		p["consent"] = "Confirm the patient's KAP consent is current." + stale("consent")
	}
	medsRec, medsOK := fresh("medications")
	reviewed, reviewedOK := fresh("meds_reviewed")
	switch {
	case !medsOK:
		p["medications"] = "Go through the patient's current medications with them and record the list (write 'none' if there are none)." + stale("medications")
	case !reviewedOK || reviewed.Value != "yes":
		p["medications"] = "Confirm you have reviewed the medication changes since the last session." + stale("meds_reviewed")
	case len(f.NewInteracting) > 0 && !PrescriberReviewed(f.Items["meds_prescriber"], medsRec):
		p["medications"] = GateMedsNeedPrescriber + strings.Join(f.NewInteracting, ", ") + ". The prescriber must review it before the dose."
	}
	if rec, ok := fresh("fasting"); !ok || rec.Value != "yes" {
		p["fasting"] = "Confirm the patient has fasted as instructed." + stale("fasting")
	}
	if rec, ok := fresh("pregnancy"); !ok || (rec.Value != PregnancyNo && rec.Value != PregnancyNotApplicable) {
		p["pregnancy"] = "Record that the patient is not pregnant, or that it does not apply." + stale("pregnancy")
	}
	escort, escortOK := fresh("escort")
	confirmed, confirmedOK := fresh("escort_ok")
	if !escortOK || escort.Value == "" || !confirmedOK || confirmed.Value != "yes" {
		p["escort"] = "Confirm who takes the patient home (no driving until tomorrow)." + stale("escort_ok")
	}
	pre := f.PreDose
	switch {
	case pre == nil:
		p["vitals"] = "Take the patient's blood pressure before the dose."
	case pre.At.Before(now.Add(-PreDoseVitalsMinutes * time.Minute)):
		p["vitals"] = "The last blood pressure (" + pre.BP() + ") is more than an hour old: take it again before the dose."
	default:
		level, fs := VitalsLevel(*pre, f.Thresholds)
		if level != VitalsHold {
			break
		}
		// An override counts only for the reading the prescriber saw: it
		// names that reading, so a new hold needs a new override.
		if over := f.Items["override"]; over.Value != OverrideValue(*pre) || over.ByRole != RolePrescriber {
			var holds []Finding
			for _, x := range fs {
				if x.Level == VitalsHold {
					holds = append(holds, x)
				}
			}
			p["vitals"] = "Vitals on hold: " + FindingWords(holds) +
				". Re-take them after a rest, or the prescriber may go ahead with a written reason."
		}
	}
	return p
}

// OverrideValue is what a prescriber's override records: the reading it
// is for.
func OverrideValue(v Vitals) string { return "vitals:" + v.ID }

// PrescriberReviewed reports whether review is a prescriber's review of
// the medication list list (it names the list it was given for, so a list
// changed afterwards needs a new review).
func PrescriberReviewed(review, list GateRecord) bool {
	return review.Value == "list:"+list.ID && review.ByRole == RolePrescriber
}

// PrescriptionProblem says why the patient's prescription does not cover
// a session now, or "".
func PrescriptionProblem(has bool, authorised, used int) string {
	switch {
	case !has:
		return "There is no current prescription: the prescriber records it on the chart."
	case authorised > 0 && used >= authorised:
		return "Every session the prescription authorises (" + strconv.Itoa(authorised) + ") has been used: the prescriber must authorise more."
	}
	return ""
}

// DischargeFacts are what discharge readiness is decided on.
type DischargeFacts struct {
	Status      string // Session*
	DoseAt      time.Time
	Met         []string // DischargeCriteria keys ticked
	Vitals      []Vitals // every reading of the session, any order
	Thresholds  Thresholds
	EarlyReason bool // a prescriber has given a written reason to discharge before the observation time (or without the 40-minute reading)
}

// Discharge says why the patient cannot be discharged at now, or "" when
// they can: the session must be dosed; every criterion in
// DischargeCriteria met; the minimum observation time since the dose
// passed (Thresholds.ObservationMinutes; REFERENCE §7.1, REMS ≥ 2 hours)
// unless a prescriber gave a written reason; a reading taken 30–60
// minutes after the dose (the 40-minute reading), once that window is
// (always over by the end of the observation time), unless a prescriber
// gave a written reason; a reading recorded as
// before discharge, taken after the dose and at most
// PreDischargeMaxMinutes before now; and no measure whose latest reading
// since the dose is at the hold level (no override: the patient stays).
func Discharge(f DischargeFacts, now time.Time) string {
	if f.Status != SessionDosed {
		return "Only a session in progress can be discharged."
	}
	for _, c := range DischargeCriteria {
		if !slices.Contains(f.Met, c.Key) {
			return "Every criterion must be met before the patient leaves: " + strings.ToLower(c.Title) + " is not ticked."
		}
	}
	since := now.Sub(f.DoseAt)
	obs := time.Duration(f.Thresholds.ObservationMinutes) * time.Minute
	if since < obs && !f.EarlyReason {
		return "The patient was dosed " + strconv.Itoa(int(since/time.Minute)) + " minutes ago: the minimum observation time is " +
			strconv.Itoa(f.Thresholds.ObservationMinutes) + " minutes (REMS: at least 2 hours). The patient can leave in " +
			strconv.Itoa(int((obs-since+time.Minute-1)/time.Minute)) + " minutes, or the prescriber may allow an earlier discharge with a written reason."
	}
	forty, pre := false, (*Vitals)(nil)
	for i := range f.Vitals {
		v := &f.Vitals[i]
		if v.Systolic != nil && IsFortyMinute(f.DoseAt, v.At) {
			forty = true
		}
		if v.Phase == PhasePreDischarge && !v.At.Before(f.DoseAt) && (pre == nil || !v.At.Before(pre.At)) {
			pre = v
		}
	}
	if !forty && !f.EarlyReason {
		return "There is no blood pressure taken 30–60 minutes after the dose (the 40-minute reading). The prescriber may allow discharge without it with a written reason."
	}
	if pre == nil {
		return "Take and record the vitals before discharge first."
	}
	if now.Sub(pre.At) > PreDischargeMaxMinutes*time.Minute {
		return "The vitals before discharge were taken " + strconv.Itoa(int(now.Sub(pre.At)/time.Minute)) + " minutes ago: take them again (at most " +
			strconv.Itoa(PreDischargeMaxMinutes) + " minutes before the patient leaves)."
	}
	if holds := ActiveHolds(f.Vitals, f.DoseAt, f.Thresholds); len(holds) > 0 {
		var fs []Finding
		for _, h := range holds {
			fs = append(fs, h.Finding)
		}
		return "The latest reading is on hold: " + FindingWords(fs) + ". The patient cannot leave yet. Re-take it, and call the prescriber."
	}
	return ""
}

// Dose units the dose form offers.
var DoseUnits = []string{"mg", "mg/kg", "mcg"}

// DoseAmount is an amount of drug with its unit.
type DoseAmount struct {
	Amount float64
	Unit   string // one of DoseUnits
}

func (d DoseAmount) String() string {
	return strconv.FormatFloat(d.Amount, 'f', -1, 64) + " " + d.Unit
}

var doseText = regexp.MustCompile(`(?i)^\s*(\d{1,5}(?:\.\d{1,3})?)\s*(mg/kg|mg|mcg|µg)\s*$`)

// ParseDose reads a dose as an amount and a unit ("200" and "mg"), or, with
// no unit, as written ("200 mg", "0.5 mg/kg"). The amount is a positive
// number; ok is false for anything else (a range, words, an unknown unit).
func ParseDose(amount, unit string) (DoseAmount, bool) {
	text := strings.TrimSpace(amount)
	if u := strings.TrimSpace(unit); u != "" {
		text += " " + u
	}
	m := doseText.FindStringSubmatch(text)
	if m == nil {
		return DoseAmount{}, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n <= 0 {
		return DoseAmount{}, false
	}
	u := strings.ToLower(m[2])
	if u == "µg" {
		u = "mcg"
	}
	return DoseAmount{n, u}, true
}

// DoseDifference compares the dose given with the prescription's dose per
// session (as the prescriber wrote it) and says how they differ, or ""
// when they are the same amount in the same unit. A prescribed dose
// kapstone cannot read as one amount ("150-200 mg") always differs: the
// prescriber confirms the dose given. kapstone does not judge doses
// (DoseNote); a difference needs the prescriber's written reason.
func DoseDifference(given DoseAmount, prescribed string) string {
	rx, ok := ParseDose(prescribed, "")
	switch {
	case strings.TrimSpace(prescribed) == "":
		return "There is no prescribed dose to compare the dose given with."
	case !ok:
		return "The prescription's dose (" + prescribed + ") is not one amount, so " + given.String() + " cannot be checked against it."
	case rx.Unit != given.Unit || math.Abs(rx.Amount-given.Amount) > 1e-9:
		return given.String() + " differs from the prescribed " + rx.String() + " per session."
	}
	return ""
}
