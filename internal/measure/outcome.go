package measure

import (
	"math"
	"slices"
	"time"
)

// Point is one total score of a course, at the time it was given.
type Point struct {
	At    time.Time
	Total int
}

// Thresholds are the outcome definitions for one instrument.
type Thresholds struct {
	Remission        int     // a latest total below this is remission
	ReliableChange   int     // a change of at least this many points is reliable
	Caseness         int     // a total at or above this is a clinical case
	ResponseFraction float64 // a drop of at least this fraction of the baseline is a response
	Source           string
}

var thresholds = map[string]Thresholds{
	// Where these were read (REFERENCE.md 1.3): MNCM https://p4qm.org/measures/1884;
	// https://ps.psychiatryonline.org/doi/full/10.1176/appi.ps.201900295. Reliable
	// deterioration by symmetry with reliable improvement: its wording is unconfirmed.
	"phq9": {
		Remission: 5, ReliableChange: 6, Caseness: 10, ResponseFraction: 0.5,
		Source: "Response (a drop of at least 50% from the first score) and remission (a score below 5): NCQA HEDIS " +
			"measure Depression Remission or Response for Adolescents and Adults (DRR-E), and MN Community Measurement. " +
			"A clinical case (10 or more) and reliable change (6 points or more, either way): NHS Talking Therapies " +
			"definitions; Gyani A, Shafran R, Layard R, Clark DM. Enhancing recovery rates: lessons from year one of " +
			"IAPT. Behav Res Ther. 2013;51(9):597-606.",
	},
	"gad7": {
		Remission: 5, ReliableChange: 4, Caseness: 8, ResponseFraction: 0.5,
		Source: "Response (a drop of at least 50%) and remission (a score below 5): by convention, as for the PHQ-9 " +
			"(NCQA HEDIS DRR-E). A clinical case (8 or more) and reliable change (4 points or more, either way): NHS " +
			"Talking Therapies definitions; Gyani A, Shafran R, Layard R, Clark DM. Enhancing recovery rates: lessons " +
			"from year one of IAPT. Behav Res Ther. 2013;51(9):597-606.",
	},
}

// Case reports whether total is a clinical case on the instrument: at or
// above caseness (REFERENCE.md 1.3: PHQ-9 10, GAD-7 8). Response and
// remission are rated only from a baseline that is a case.
func (t Thresholds) Case(total int) bool { return t.Caseness > 0 && total >= t.Caseness }

// ThresholdsFor returns the outcome thresholds of the instrument with the
// given id: PHQ-9 (remission < 5, reliable change 6, caseness 10, response
// 50%) and GAD-7 (< 5, 4, 8, 50%). ok is false for every other id, including
// the short forms, PCL-5 and the risk screen.
func ThresholdsFor(id string) (Thresholds, bool) {
	t, ok := thresholds[id]
	return t, ok
}

// Outcome is how one course's scores changed from its baseline to its latest.
type Outcome struct {
	Baseline, Latest, Change int // Change = Latest - Baseline; negative is improvement
	Points                   int // how many scores the series has
	// Response: Latest is at least ResponseFraction (50%) below Baseline,
	// and Baseline was a case (see Outcomes).
	Response bool
	// Remission: Latest is below the remission threshold, and Baseline was
	// a case (see Outcomes).
	Remission bool
	// ReliableImprovement and ReliableDeterioration: Latest is at least the
	// reliable change below, or above, Baseline.
	ReliableImprovement, ReliableDeterioration bool
	// CaseBaseline and CaseLatest: the total is at or above caseness.
	CaseBaseline, CaseLatest bool
	// Recovery is IAPT reliable recovery on this one instrument: a case at
	// baseline, not a case at the latest score, and reliable improvement.
	// (IAPT's own definition joins PHQ-9 and GAD-7: a case on either at the
	// start, below caseness on both at the end; combine two Outcomes for it.)
	Recovery bool
	// PercentChange is (Latest-Baseline)/Baseline as a fraction, e.g. -0.5
	// for a halving; 0 when Baseline is 0.
	PercentChange float64
}

// Outcomes returns the outcome of one course's series of total scores on the
// instrument with the given id, per REFERENCE.md 1.3. The series is put in
// time order first (a stable sort of a copy; the caller's slice is not
// changed, and scores at the same time keep their given order): the baseline
// is the earliest score and the latest the last. ok is false when the id has
// no thresholds (see ThresholdsFor) or the series has fewer than 2 points
// (one point is a baseline, not an outcome).
//
// Response and Remission are rated only when the baseline was a clinical
// case (at or above caseness: PHQ-9 10, GAD-7 8): a patient who started
// below caseness cannot meaningfully respond or remit, and HEDIS DRR-E
// counts only PHQ-9 baselines above 9 (REFERENCE.md 1.3). Below caseness
// both are false whatever the scores, so no badge or count can claim them.
// A baseline of 0 (below caseness too) gives a PercentChange of 0. Reliable
// improvement and deterioration are rated for any baseline.
func Outcomes(id string, series []Point) (Outcome, bool) {
	t, ok := thresholds[id]
	if !ok || len(series) < 2 {
		return Outcome{}, false
	}
	s := slices.Clone(series)
	slices.SortStableFunc(s, func(a, b Point) int { return a.At.Compare(b.At) })
	return outcome(t, s[0].Total, s[len(s)-1].Total, len(s)), true
}

// outcome rates a change from baseline b to latest l over n scores.
func outcome(t Thresholds, b, l, n int) Outcome {
	o := Outcome{
		Baseline: b, Latest: l, Change: l - b, Points: n,
		Remission:             l < t.Remission && t.Case(b),
		ReliableImprovement:   b-l >= t.ReliableChange,
		ReliableDeterioration: l-b >= t.ReliableChange,
		CaseBaseline:          t.Case(b),
		CaseLatest:            t.Case(l),
	}
	if b > 0 {
		o.PercentChange = float64(l-b) / float64(b)
		o.Response = o.CaseBaseline && float64(b-l) >= t.ResponseFraction*float64(b)
	}
	o.Recovery = o.CaseBaseline && !o.CaseLatest && o.ReliableImprovement
	return o
}

// Wilson returns the 95% Wilson score interval (z = 1.96) for k successes in
// n trials, clamped to 0..1. It returns (0, 0) when n is 0 or less, or k is
// outside 0..n.
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		return 0, 0
	}
	const z = 1.96
	nf := float64(n)
	p := float64(k) / nf
	d := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / d
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return max(0, centre-half), min(1, centre+half)
}

// Figure is a published response rate: K responders of N patients, when
// it was measured, and where it comes from.
type Figure struct {
	Rate      float64 // K/N
	K, N      int
	TimePoint string // when response was measured, in words
	Citation  string
	Caveat    string
}

// Interval returns the figure's own 95% Wilson interval, as fractions: a
// small study's rate is a range too, and the practice's rate is read
// beside that range, not beside a single number.
func (f Figure) Interval() (lo, hi float64) { return Wilson(f.K, f.N) }

// Literature is the published figure a practice's own response rate is shown
// beside: the response to repeated IV ketamine in treatment-resistant
// depression reported by a small open-label study (REFERENCE.md section 3):
// 17 of 24 (70.8%, 95% Wilson interval 51–85%), measured after the sixth
// infusion, at the end of a 12-day series — days after the start, not the
// weeks of the practice's follow-up window.
var Literature = Figure{
	Rate:      17.0 / 24, // 70.8%
	K:         17,
	N:         24,
	TimePoint: "after the sixth infusion, at the end of the 12-day series (median time to relapse afterwards: 18 days)",
	Citation: "Murrough JW, Perez AM, Pillemer S, et al. Rapid and longer-term antidepressant effects of repeated " +
		"ketamine infusions in treatment-resistant major depression. Biol Psychiatry. 2013;74(4):250-256. " +
		"An open-label study: up to 6 IV ketamine infusions 3 times a week over 12 days in treatment-resistant depression, n = 24; response 70.8%, median time to relapse 18 days.",
	Caveat: "This was a small open-label study of IV infusions with no control group, and a later blinded trial " +
		"of repeated infusions in hospitalised depression found no added benefit over midazolam; ketamine-assisted " +
		"psychotherapy uses other routes, doses and patients, so the figure is context for your own numbers, not a target.",
}
