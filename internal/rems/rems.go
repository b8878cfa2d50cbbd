// Package rems holds the rules of the Spravato (esketamine) REMS patient
// monitoring form (issue 20, part 3): which blood pressure reading counts
// as "before the dose", "at about 40 minutes" and "before discharge", the
// total monitoring minutes and the two-hour minimum, the 7-day submission
// window, and which fields are still missing.
//
// Sources (/work/shared/clinical/REFERENCE.md): §3, the Spravato REMS
// Patient Monitoring Form and its instructions (dose 56/84 mg and lot;
// duration from the first device to the end of monitoring, at least 2
// hours; when the patient would have been ready to leave; BP before the
// dose, at 40 minutes and before discharge; sedation, dissociation and
// respiratory depression and their resolution; serious adverse events;
// submit within 7 days); §7.3 (the same fields; pulse oximetry).
//
// The package is pure: no clock, no database; the caller passes now.
package rems

import (
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
)

const (
	// MinMonitoringMinutes is the REMS minimum: the patient is monitored
	// at least 2 hours after the first device (REFERENCE §3, §7.3).
	MinMonitoringMinutes = 120
	// SubmitDays is the REMS window: the form is submitted within 7 days
	// of the session (REFERENCE §3, §7.3).
	SubmitDays = 7
	// FortyMinutes is when the form's second BP is due ("at 40 minutes").
	FortyMinutes = clinic.AfterDoseMinutes
)

// The form's 40-minute reading is the one closest to 40 minutes after the
// dose among those taken 30 to 60 minutes after it: the same window the
// dosing session already uses for "the 40-minute reading" (clinic
// FortyMinuteFrom/To), so the session page and the form never disagree.
const (
	FortyFrom = clinic.FortyMinuteFrom
	FortyTo   = clinic.FortyMinuteTo
)

func hasBP(v clinic.Vitals) bool { return v.Systolic != nil && v.Diastolic != nil }

// BeforeDose is the reading the form calls "BP before dosing": the latest
// blood pressure taken at or before the dose (nil when none).
func BeforeDose(dose time.Time, vitals []clinic.Vitals) *clinic.Vitals {
	var out *clinic.Vitals
	for i := range vitals {
		v := &vitals[i]
		if hasBP(*v) && !v.At.After(dose) && (out == nil || !v.At.Before(out.At)) {
			out = v
		}
	}
	return out
}

// AtForty is the form's "BP at 40 minutes": of the blood pressures taken
// 30 to 60 minutes after the dose, the one closest to 40 minutes (the
// earlier on a tie); nil when none was taken in that window.
func AtForty(dose time.Time, vitals []clinic.Vitals) *clinic.Vitals {
	var out *clinic.Vitals
	best := time.Duration(-1)
	target := dose.Add(FortyMinutes * time.Minute)
	for i := range vitals {
		v := &vitals[i]
		if !hasBP(*v) || !clinic.IsFortyMinute(dose, v.At) {
			continue
		}
		d := v.At.Sub(target)
		if d < 0 {
			d = -d
		}
		if best < 0 || d < best || (d == best && v.At.Before(out.At)) {
			out, best = v, d
		}
	}
	return out
}

// BeforeDischarge is the form's "BP before discharge": the latest blood
// pressure taken after the dose and not after the end of monitoring (end
// zero: no end yet), other than the 40-minute reading; nil when none.
func BeforeDischarge(dose, end time.Time, vitals []clinic.Vitals) *clinic.Vitals {
	forty := AtForty(dose, vitals)
	var out *clinic.Vitals
	for i := range vitals {
		v := &vitals[i]
		if !hasBP(*v) || !v.At.After(dose) || (!end.IsZero() && v.At.After(end)) || v == forty {
			continue
		}
		if forty != nil && !v.At.After(forty.At) {
			continue
		}
		if out == nil || !v.At.Before(out.At) {
			out = v
		}
	}
	return out
}

// TotalMinutes is the monitoring time from the first device (start) to the
// end of monitoring, in whole minutes; 0 when either is missing or end is
// before start.
func TotalMinutes(start, end time.Time) int {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return int(end.Sub(start) / time.Minute)
}

// LongEnough reports whether the monitoring met the REMS minimum.
func LongEnough(minutes int) bool { return minutes >= MinMonitoringMinutes }

// Due is when the form for a session dosed at dose must be submitted by:
// 7 days after it.
func Due(dose time.Time) time.Time { return dose.Add(SubmitDays * 24 * time.Hour) }

// DaysLeft is how many days remain of the window at now, counted in whole
// days rounded up (so "due in 1 day" until the moment it is due); negative
// once overdue (days past, rounded up).
func DaysLeft(dose, now time.Time) int {
	left := Due(dose).Sub(now)
	day := 24 * time.Hour
	if left >= 0 {
		return int((left + day - 1) / day)
	}
	return -int((-left + day - 1) / day)
}

// Overdue reports whether the window has passed at now.
func Overdue(dose, now time.Time) bool { return now.After(Due(dose)) }

// Window words the window at now: "overdue by 2 days", "due today" (less
// than a day left), "due in 3 days".
func Window(dose, now time.Time) string {
	n := DaysLeft(dose, now)
	switch {
	case Overdue(dose, now):
		return "overdue by " + plural(-n, "day")
	case Due(dose).Sub(now) < 24*time.Hour:
		return "due today"
	default:
		return "due in " + plural(n, "day")
	}
}

func plural(n int, w string) string {
	if n == 1 {
		return "1 " + w
	}
	return strconv.Itoa(n) + " " + w + "s"
}

// Yes/no answers on the form.
const (
	Yes = "yes"
	No  = "no"
)

// Form is the REMS form's fields as kapstone keeps them.
type Form struct {
	DoseMg           int    // 56 or 84 (0: not worked out)
	Lot              string // the lot number
	Clinician        string // the monitoring health care provider (REFERENCE §3): the session's clinician
	Start            time.Time
	End              time.Time
	ReadyAt          time.Time // when the patient would have been ready to leave
	BPBefore         string    // "120/80"
	BPForty          string
	BPDischarge      string
	Sedation         string // Yes/No ("" unanswered)
	SedationGone     string // resolved before discharge: Yes/No (needed when Sedation is Yes)
	Dissociation     string
	DissociationGone string
	RespDepression   string
	RespGone         string
	SpO2             string // lowest pulse-oximetry reading, "97"
	SAE              string // serious adverse event: Yes/No
	SAEText          string // what it was (needed when SAE is Yes)
}

// Field names of the form, as Missing reports them (and the web form's
// field names).
const (
	FDose         = "dose_mg"
	FLot          = "lot"
	FStart        = "start"
	FEnd          = "end"
	FMinutes      = "minutes"
	FReady        = "ready_at"
	FBPBefore     = "bp_before"
	FBPForty      = "bp_forty"
	FBPDischarge  = "bp_discharge"
	FSedation     = "sedation"
	FSedationGone = "sedation_resolved"
	FDiss         = "dissociation"
	FDissGone     = "dissociation_resolved"
	FResp         = "resp_depression"
	FRespGone     = "resp_resolved"
	FSpO2         = "spo2"
	FSAE          = "sae"
	FSAEText      = "sae_text"
)

func yn(s string) bool { return s == Yes || s == No }

// Missing lists what keeps the form from being complete, field name →
// what to do, in the form's order; empty when complete. A monitoring time
// under 2 hours is recorded as it was (the form says so) but is listed, so
// the prescriber sees it before signing.
func Missing(f Form) map[string]string {
	m := map[string]string{}
	if f.DoseMg != 56 && f.DoseMg != 84 {
		m[FDose] = "The REMS form takes a dose of 56 or 84 mg."
	}
	if f.Lot == "" {
		m[FLot] = "Enter the lot number."
	}
	if f.Start.IsZero() {
		m[FStart] = "Enter when monitoring started (the first device)."
	}
	if f.End.IsZero() {
		m[FEnd] = "Enter when monitoring ended."
	}
	if !f.Start.IsZero() && !f.End.IsZero() {
		if f.End.Before(f.Start) {
			m[FEnd] = "Monitoring cannot end before it started."
		} else if !LongEnough(TotalMinutes(f.Start, f.End)) {
			m[FMinutes] = "Monitoring was " + strconv.Itoa(TotalMinutes(f.Start, f.End)) + " minutes: the REMS minimum is " + strconv.Itoa(MinMonitoringMinutes) + "."
		}
	}
	if f.ReadyAt.IsZero() {
		m[FReady] = "Enter when the patient would have been ready to leave."
	}
	for _, b := range []struct{ k, v, what string }{{FBPBefore, f.BPBefore, "before the dose"}, {FBPForty, f.BPForty, "at about 40 minutes"}, {FBPDischarge, f.BPDischarge, "before discharge"}} {
		if _, ok := clinic.ParseBP(b.v); !ok {
			m[b.k] = "Enter the blood pressure " + b.what + ", like 120/80."
		}
	}
	for _, q := range []struct{ k, v, gk, g, what string }{
		{FSedation, f.Sedation, FSedationGone, f.SedationGone, "sedation"},
		{FDiss, f.Dissociation, FDissGone, f.DissociationGone, "dissociation"},
		{FResp, f.RespDepression, FRespGone, f.RespGone, "respiratory depression"},
	} {
		if !yn(q.v) {
			m[q.k] = "Confirm whether there was " + q.what + "."
		} else if q.v == Yes && !yn(q.g) {
			m[q.gk] = "Confirm whether the " + q.what + " resolved."
		}
	}
	if n, err := strconv.Atoi(f.SpO2); err != nil || n < 50 || n > 100 {
		m[FSpO2] = "Enter the lowest pulse-oximetry reading (50–100)."
	}
	if !yn(f.SAE) {
		m[FSAE] = "Confirm whether there was a serious adverse event."
	} else if f.SAE == Yes && f.SAEText == "" {
		m[FSAEText] = "Describe the serious adverse event."
	}
	return m
}

// Observed answers the form's sedation, dissociation and respiratory
// depression questions from the readings recorded between the dose and
// the end of monitoring (end zero: not ended): Yes when any reading shows
// it (MOAA/S below 5, dissociation present, respiratory depression or a
// sign of it), No when the measure was recorded and never showed it, ""
// when it was never recorded (the prescriber answers). Each answer's
// "resolved" is Yes when the measure's last recorded reading no longer
// shows it, No when it still does, "" when the answer is not Yes.
func Observed(dose, end time.Time, vitals []clinic.Vitals) (sedation, sedationGone, dissociation, dissociationGone, resp, respGone string) {
	type seen struct{ any, last, recorded bool }
	var sed, dis, rsp seen
	note := func(s *seen, recorded, shows bool) {
		if !recorded {
			return
		}
		s.recorded, s.last = true, shows
		s.any = s.any || shows
	}
	for _, v := range vitals {
		if v.At.Before(dose) || (!end.IsZero() && v.At.After(end)) {
			continue
		}
		note(&sed, v.MOAAS != nil, v.MOAAS != nil && *v.MOAAS < 5)
		note(&dis, v.Dissociation != nil, v.Dissociation != nil && *v.Dissociation)
		note(&rsp, v.RespDepression != nil || len(v.RespSigns) > 0, (v.RespDepression != nil && *v.RespDepression) || len(v.RespSigns) > 0)
	}
	answer := func(s seen) (string, string) {
		switch {
		case !s.recorded:
			return "", ""
		case !s.any:
			return No, ""
		case s.last:
			return Yes, No
		}
		return Yes, Yes
	}
	sedation, sedationGone = answer(sed)
	dissociation, dissociationGone = answer(dis)
	resp, respGone = answer(rsp)
	return
}
