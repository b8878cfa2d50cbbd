package measure

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Window is when a course's follow-up score is taken: from FromWeeks to
// ToWeeks weeks after the course's baseline (its first score), both ends
// included.
type Window struct {
	FromWeeks, ToWeeks int
}

// DefaultWindow is 4 to 12 weeks after the baseline. Source: issue 12
// (defect 13) asks for 4–12 weeks, so that a KAP course of 6–8 sessions
// about every two weeks (REFERENCE.md section 3) is measured while it runs
// or just after; HEDIS DRR-E uses a later and longer window, 4–8 months
// after the baseline (REFERENCE.md 1.3), and a practice that reports to it
// sets its window to about 17–35 weeks.
var DefaultWindow = Window{FromWeeks: 4, ToWeeks: 12}

// Window bounds: the follow-up starts at least a week after the baseline
// (a score the same week is another baseline, not a follow-up) and ends
// within two years, after it starts.
const (
	MinWindowWeeks = 1
	MaxWindowWeeks = 104
)

// From is the window's start as a duration after the baseline.
func (w Window) From() time.Duration { return time.Duration(w.FromWeeks) * 7 * 24 * time.Hour }

// To is the window's end as a duration after the baseline.
func (w Window) To() time.Duration { return time.Duration(w.ToWeeks) * 7 * 24 * time.Hour }

// String writes the window as it is stored: "4-12".
func (w Window) String() string { return strconv.Itoa(w.FromWeeks) + "-" + strconv.Itoa(w.ToWeeks) }

// ParseWindow reads a stored window ("4-12"); ok is false when s is not
// one or is outside the bounds (see CheckWindow).
func ParseWindow(s string) (Window, bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	w := Window{FromWeeks: from, ToWeeks: to}
	if !found || err1 != nil || err2 != nil || len(CheckWindow(w)) > 0 {
		return Window{}, false
	}
	return w, true
}

// CheckWindow says what is wrong with w, by form field ("from_weeks",
// "to_weeks"); empty when it may be saved. The start is 1 to 104 weeks
// after the baseline, and the end after the start and at most 104 weeks.
func CheckWindow(w Window) map[string]string {
	fe := map[string]string{}
	bounds := "Enter whole weeks from " + strconv.Itoa(MinWindowWeeks) + " to " + strconv.Itoa(MaxWindowWeeks) + "."
	if w.FromWeeks < MinWindowWeeks || w.FromWeeks > MaxWindowWeeks {
		fe["from_weeks"] = bounds
	}
	switch {
	case w.ToWeeks < MinWindowWeeks || w.ToWeeks > MaxWindowWeeks:
		fe["to_weeks"] = bounds
	case w.ToWeeks <= w.FromWeeks && fe["from_weeks"] == "":
		fe["to_weeks"] = "The window must end after it starts."
	}
	return fe
}

// FollowUpStatus is where a course stands with its follow-up score.
type FollowUpStatus string

// A course has a follow-up (a score inside the window), is still waiting
// for one (no score in the window yet, and the window has not closed), or
// has none (the window closed with no score inside it).
const (
	FollowUpDone    FollowUpStatus = "done"
	FollowUpPending FollowUpStatus = "pending"
	FollowUpMissing FollowUpStatus = "missing"
)

// CourseOutcome is one course's outcome on one instrument: its baseline,
// its follow-up score (when it has one) and the outcome between them.
type CourseOutcome struct {
	Status   FollowUpStatus
	Baseline Point     // the course's first score
	FollowUp Point     // the latest score inside the window; zero unless Status is done
	Closes   time.Time // when the window closes: the baseline plus ToWeeks
	Scores   int       // how many scores the course has
	// CaseBaseline: the baseline is at or above caseness, so the course
	// is counted (see Outcomes).
	CaseBaseline bool
	// Outcome compares the baseline with the follow-up score; zero unless
	// Status is done.
	Outcome Outcome
}

// FollowUp returns the outcome of one course's scores on the instrument
// with the given id, at now, with window w (REFERENCE.md 1.3; see
// DefaultWindow). The course's scores are put in time order (a stable sort
// of a copy): the baseline is the first. The follow-up score is the latest
// score taken from w.FromWeeks to w.ToWeeks weeks after the baseline, both
// ends included: the latest rather than the first or the one nearest a
// target day, so a later score inside the window replaces an earlier one
// and the outcome is where the patient stood at the end of the window (as
// we read NCQA's HEDIS DRR-E, which takes the most recent score of its
// follow-up period; that wording is not quoted in REFERENCE.md). A score
// after the window closes never counts. Without a score inside the window the status is pending while
// now is before the window closes, and missing after. ok is false when the
// id has no thresholds (see ThresholdsFor) or the course has no score.
func FollowUp(id string, course []Point, w Window, now time.Time) (CourseOutcome, bool) {
	if _, ok := thresholds[id]; !ok {
		return CourseOutcome{}, false
	}
	c, ok := Summarize(course, w)
	if !ok {
		return CourseOutcome{}, false
	}
	return c.Outcome(id, w, now)
}

// sortedCopy is the scores in time order (a stable sort of a copy).
func sortedCopy(course []Point) []Point {
	s := slices.Clone(course)
	slices.SortStableFunc(s, func(a, b Point) int { return a.At.Compare(b.At) })
	return s
}

// Tally counts courses for one row of the outcomes dashboard.
type Tally struct {
	BelowCaseness int // courses whose baseline was below caseness: not counted below
	Pending       int // counted courses still waiting for a follow-up score
	Missing       int // counted courses whose window closed without a follow-up score
	FollowedUp    int // counted courses with a follow-up score
	// Response, Remission and Reliable count the followed-up courses with
	// a response, a remission and a reliable improvement.
	Response, Remission, Reliable int
}

// Add counts one course.
func (t *Tally) Add(c CourseOutcome) {
	switch {
	case !c.CaseBaseline:
		t.BelowCaseness++
	case c.Status == FollowUpPending:
		t.Pending++
	case c.Status == FollowUpMissing:
		t.Missing++
	case c.Status == FollowUpDone:
		t.FollowedUp++
		if c.Outcome.Response {
			t.Response++
		}
		if c.Outcome.Remission {
			t.Remission++
		}
		if c.Outcome.ReliableImprovement {
			t.Reliable++
		}
	}
}

// IntentionToTreat is the denominator that counts every course whose
// follow-up is due — with a follow-up score or with its window closed
// without one — so that a course without a follow-up counts as a
// non-responder (and a non-remitter, with no reliable improvement) rather
// than vanishing from the rate. Courses still waiting are not yet due and
// are left out of both denominators.
func (t Tally) IntentionToTreat() int { return t.FollowedUp + t.Missing }
