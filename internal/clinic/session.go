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
	ConsentProblem     string                // why the KAP informed consent is not current (ConsentGateProblem), or ""
	HasPrescription    bool                  // a current prescription exists
	SessionsAuthorised int                   // by it (0: no limit recorded)
	SessionsUsed       int                   // of it
	Items              map[string]GateRecord // the latest record of each item
	NewInteracting     []string              // new since the last session and in need of the prescriber, as "Xanax 0.5 mg (benzodiazepine)"
	PreDose            []Vitals              // the readings taken before the dose, any order
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
// moment of the dose. The vitals line is PreDoseVitalsProblem: blood
// pressure, pulse and SpO₂ each read, and a measure whose latest reading
// is at the hold level holds the gate unless a prescriber recorded an
// override naming those very readings. Source: REFERENCE §3 and §7.1.
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
	if f.ConsentProblem != "" {
		p["consent"] = f.ConsentProblem
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
	if msg := PreDoseVitalsProblem(f.PreDose, f.Items["override"], f.Thresholds, now); msg != "" {
		p["vitals"] = msg
	}
	return p
}

// PreDoseHolds lists the measures on hold at the gate at now: the same
// rule as during the session (ActiveHolds, each measure judged by its own
// latest reading) over the readings taken in the last
// PreDoseVitalsMinutes. A re-take that leaves out a measure does not clear
// that measure's hold.
func PreDoseHolds(pre []Vitals, t Thresholds, now time.Time) []Hold {
	return ActiveHolds(pre, now.Add(-PreDoseVitalsMinutes*time.Minute), t)
}

// PreDoseVitalsProblem says what the gate's vitals line still needs at
// now, or "": blood pressure, pulse and SpO₂ each read within
// PreDoseVitalsMinutes (REFERENCE §3 and §7.3: blood pressure and a pulse
// oximeter before the dose), and no measure on hold (PreDoseHolds) unless
// override is a prescriber's override naming exactly the readings on hold
// (OverrideValue), so a new hold needs a new override.
func PreDoseVitalsProblem(pre []Vitals, override GateRecord, t Thresholds, now time.Time) string {
	var latest *Vitals
	for i := range pre {
		if latest == nil || !pre[i].At.Before(latest.At) {
			latest = &pre[i]
		}
	}
	since := now.Add(-PreDoseVitalsMinutes * time.Minute)
	switch {
	case latest == nil:
		return "Take the patient's blood pressure, pulse and SpO₂ before the dose."
	case latest.At.Before(since):
		return "The last reading (" + latest.Summary() + ") is more than an hour old: take the blood pressure, pulse and SpO₂ again before the dose."
	}
	if holds := PreDoseHolds(pre, t, now); len(holds) > 0 && (override.Value != OverrideValue(holds) || override.ByRole != RolePrescriber) {
		fs := make([]Finding, len(holds))
		for i, h := range holds {
			fs[i] = h.Finding
		}
		return "Vitals on hold: " + FindingWords(fs) + ". Re-take them after a rest, or the prescriber may go ahead with a written reason."
	}
	var missing []string
	for _, m := range []struct {
		name string
		has  func(Vitals) bool
	}{
		{"blood pressure", func(v Vitals) bool { return v.Systolic != nil && v.Diastolic != nil }},
		{"pulse", func(v Vitals) bool { return v.HeartRate != nil }},
		{"SpO₂", func(v Vitals) bool { return v.SpO2 != nil }},
	} {
		if !slices.ContainsFunc(pre, func(v Vitals) bool { return !v.At.Before(since) && m.has(v) }) {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return "There is no " + strings.Join(missing, " or ") + " reading from the last hour: take it before the dose."
	}
	return ""
}

// OverrideValue is what a prescriber's override records: the readings on
// hold it is for ("vitals:" and their ids, sorted).
func OverrideValue(holds []Hold) string {
	var ids []string
	for _, h := range holds {
		if !slices.Contains(ids, h.Reading.ID) {
			ids = append(ids, h.Reading.ID)
		}
	}
	slices.Sort(ids)
	return "vitals:" + strings.Join(ids, ",")
}

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
	if !HasFortyMinuteReading(f.DoseAt, f.Vitals) && !f.EarlyReason {
		return "There is no blood pressure taken 30–60 minutes after the dose (the 40-minute reading). The prescriber may allow discharge without it with a written reason."
	}
	pre, recent := PreDischargeReading(f.DoseAt, f.Vitals, now)
	if pre == nil {
		return "Take and record the vitals before discharge first."
	}
	if !recent {
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
	if why := SedationUnresolved(f.DoseAt, f.Vitals); why != "" {
		return why
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
	if u == "µg" || u == "μg" { // the micro sign, and the Greek small mu it folds with
		u = "mcg"
	}
	return DoseAmount{n, u}, true
}

// DoseDifference compares the dose given (amount, unit and route) with
// the prescription's dose per session and route, and says how they
// differ, or "" when they are the same amount in the same unit by the
// same route. A prescribed dose kapstone cannot read as one amount (free
// text recorded before doses were checked, like "150-200 mg") always
// differs: the prescriber confirms the dose given. kapstone does not judge
// doses (DoseNote); a difference needs the prescriber's written reason.
func DoseDifference(given DoseAmount, route, prescribed, prescribedRoute string) string {
	var out []string
	rx, ok := ParseDose(prescribed, "")
	switch {
	case strings.TrimSpace(prescribed) == "":
		out = append(out, "There is no prescribed dose to compare the dose given with.")
	case !ok:
		out = append(out, "The prescription's dose ("+prescribed+") is not one amount, so "+given.String()+" cannot be checked against it.")
	case rx.Unit != given.Unit || math.Abs(rx.Amount-given.Amount) > 1e-9:
		out = append(out, given.String()+" differs from the prescribed "+rx.String()+" per session.")
	}
	if route != prescribedRoute {
		out = append(out, "Given "+routeWords(route)+", but the prescription is "+routeWords(prescribedRoute)+".")
	}
	return strings.Join(out, " ")
}

// routeWords names a route in a sentence.
func routeWords(route string) string {
	if t := RouteTitle(route); t != "" {
		return strings.ToLower(t)
	}
	if route == "" {
		return "by no route recorded"
	}
	return route
}

// PrescribedWords is how a session's record keeps what was prescribed when
// the dose was given: "200 mg per session, sublingual lozenge / troche".
func PrescribedWords(dose, route string) string {
	return dose + " per session, " + routeWords(route)
}
