package measure

import (
	"strconv"
	"time"
)

// CourseSummary is what is kept of one course's scores on one instrument so
// that its outcome can be given without reading the scores again (the
// store keeps one per course, in the transaction of each completion): its
// first score, its latest, the latest score inside a follow-up window, and
// how many there are. Scores are in time order; of two at the same time,
// the one given first comes first (as in FollowUp).
type CourseSummary struct {
	Baseline Point // the first score
	Latest   Point // the last score
	// FollowUp is the latest score inside the window (FollowUp's rule),
	// the window the summary was made with; HasFollowUp says there is one.
	FollowUp    Point
	HasFollowUp bool
	Scores      int
}

// Summarize summarizes one course's scores with window w: Summarize(s,
// w).Outcome(id, w, now) is FollowUp(id, s, w, now). ok is false when the
// course has no score.
func Summarize(course []Point, w Window) (CourseSummary, bool) {
	if len(course) == 0 {
		return CourseSummary{}, false
	}
	s := sortedCopy(course)
	c := CourseSummary{Baseline: s[0], Latest: s[len(s)-1], Scores: len(s)}
	for _, p := range s[1:] {
		if w.Contains(c.Baseline.At, p.At) {
			c.FollowUp, c.HasFollowUp = p, true
		}
	}
	return c, true
}

// Add returns the summary with one more score p, given after every score
// already in it (so it comes after any at the same time), with window w (the window c was made with). ok is false
// when p's place among the scores cannot be told from the summary alone
// (p is not later than the baseline, or is at the same time as the
// follow-up or the latest score, where the order of giving decides): the
// course must then be summarized again from its scores (Summarize).
func (c CourseSummary) Add(p Point, w Window) (CourseSummary, bool) {
	if c.Scores == 0 {
		return CourseSummary{Baseline: p, Latest: p, Scores: 1}, true
	}
	if !p.At.After(c.Baseline.At) || p.At.Equal(c.Latest.At) || c.HasFollowUp && p.At.Equal(c.FollowUp.At) {
		return c, false
	}
	c.Scores++
	if p.At.After(c.Latest.At) {
		c.Latest = p
	}
	if w.Contains(c.Baseline.At, p.At) && (!c.HasFollowUp || p.At.After(c.FollowUp.At)) {
		c.FollowUp, c.HasFollowUp = p, true
	}
	return c, true
}

// Contains reports whether a score at t is inside the window of a course
// whose baseline was at baseline: from FromWeeks to ToWeeks weeks after
// it, both ends included.
func (w Window) Contains(baseline, t time.Time) bool {
	return !t.Before(baseline.Add(w.From())) && !t.After(baseline.Add(w.To()))
}

// ClosedBefore is the time before which a baseline's window has closed at
// now: a course whose baseline is before it, with no follow-up score, is
// missing one (FollowUpMissing); at or after it, still pending.
func (w Window) ClosedBefore(now time.Time) time.Time { return now.Add(-w.To()) }

// Outcome is the course's outcome at now (FollowUp's answer), for the
// instrument with the given id; w must be the window c was made with.
// ok is false when the id has no thresholds or c has no score.
func (c CourseSummary) Outcome(id string, w Window, now time.Time) (CourseOutcome, bool) {
	if c.Scores == 0 {
		return CourseOutcome{}, false
	}
	status := FollowUpDone
	if !c.HasFollowUp {
		status = FollowUpPending
		if c.Baseline.At.Before(w.ClosedBefore(now)) {
			status = FollowUpMissing
		}
	}
	o, ok := Rate(id, status, c.Baseline, c.FollowUp)
	o.Closes, o.Scores = c.Baseline.At.Add(w.To()), c.Scores
	return o, ok
}

// Rate is the outcome of a course known by its status, its baseline and
// (when status is done) its follow-up score: what a dashboard counts of a
// group of courses with the same scores. Closes and Scores are left zero.
// ok is false when the id has no thresholds.
func Rate(id string, status FollowUpStatus, baseline, followUp Point) (CourseOutcome, bool) {
	t, ok := thresholds[id]
	if !ok {
		return CourseOutcome{}, false
	}
	c := CourseOutcome{Status: status, Baseline: baseline, CaseBaseline: t.Case(baseline.Total)}
	if status == FollowUpDone {
		c.FollowUp = followUp
		c.Outcome = outcome(t, baseline.Total, followUp.Total, 2)
	}
	return c, true
}

// Period is the calendar quarter a course is counted in ("2026 Q1"): that
// of its follow-up score, or of its window's close when it has none.
func (c CourseOutcome) Period() string {
	if c.Status == FollowUpDone {
		return Quarter(c.FollowUp.At)
	}
	return Quarter(c.Closes)
}

// Period is the quarter the summarized course is counted in with window
// w (CourseOutcome.Period): it does not depend on the time it is asked.
func (c CourseSummary) Period(w Window) string {
	if c.HasFollowUp {
		return Quarter(c.FollowUp.At)
	}
	return Quarter(c.Baseline.At.Add(w.To()))
}

// Quarter is t's calendar quarter in UTC, as "2026 Q1".
func Quarter(t time.Time) string {
	t = t.UTC()
	return strconv.Itoa(t.Year()) + " Q" + strconv.Itoa((int(t.Month())+2)/3)
}

// AddN counts n courses with the same outcome.
func (t *Tally) AddN(c CourseOutcome, n int) {
	for range n {
		t.Add(c)
	}
}
