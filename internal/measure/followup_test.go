package measure

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// at is a point days after day0.
func at(days, total int) Point { return Point{At: day0.AddDate(0, 0, days), Total: total} }

func TestFollowUp(t *testing.T) {
	w := DefaultWindow // 4 to 12 weeks: days 28 to 84 after the baseline
	for _, tc := range []struct {
		name     string
		id       string
		course   []Point
		now      int // days after day0
		status   FollowUpStatus
		baseline int
		followUp int // want FollowUp.Total when done
		response bool
		case_    bool
	}{
		{"baseline only, window not yet open", "phq9", []Point{at(0, 20)}, 10, FollowUpPending, 20, 0, false, true},
		{"score before the window is not a follow-up", "phq9", []Point{at(0, 20), at(14, 6)}, 40, FollowUpPending, 20, 0, false, true},
		{"score before the window, window closed: missing", "phq9", []Point{at(0, 20), at(14, 6)}, 85, FollowUpMissing, 20, 0, false, true},
		{"score after the window only: missing", "phq9", []Point{at(0, 20), at(90, 4)}, 100, FollowUpMissing, 20, 0, false, true},
		{"window opens on day 28, included", "phq9", []Point{at(0, 20), at(28, 10)}, 30, FollowUpDone, 20, 10, true, true},
		{"day 27 is too early", "phq9", []Point{at(0, 20), at(27, 10)}, 30, FollowUpPending, 20, 0, false, true},
		{"window closes on day 84, included", "phq9", []Point{at(0, 20), at(84, 10)}, 200, FollowUpDone, 20, 10, true, true},
		{"day 85 is too late", "phq9", []Point{at(0, 20), at(85, 10)}, 200, FollowUpMissing, 20, 0, false, true},
		{"the latest score inside the window counts", "phq9", []Point{at(0, 20), at(30, 8), at(70, 14), at(100, 2)}, 200, FollowUpDone, 20, 14, false, true},
		{"unsorted input: baseline is the earliest", "phq9", []Point{at(60, 9), at(0, 18), at(35, 12)}, 61, FollowUpDone, 18, 9, true, true},
		{"below caseness: counted apart, no response", "phq9", []Point{at(0, 8), at(40, 2)}, 41, FollowUpDone, 8, 2, false, false},
		{"GAD-7 caseness 8", "gad7", []Point{at(0, 8), at(40, 4)}, 41, FollowUpDone, 8, 4, true, true},
		{"exactly at the close, window still open", "phq9", []Point{at(0, 20)}, 84, FollowUpPending, 20, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.course)
			got, ok := FollowUp(tc.id, tc.course, w, day0.AddDate(0, 0, tc.now))
			if !ok {
				t.Fatal("FollowUp ok = false, want true")
			}
			if !slices.Equal(tc.course, before) {
				t.Errorf("FollowUp reordered its input")
			}
			if got.Status != tc.status || got.Baseline.Total != tc.baseline || got.FollowUp.Total != tc.followUp || got.Outcome.Response != tc.response || got.CaseBaseline != tc.case_ {
				t.Errorf("FollowUp = status %s, baseline %d, follow-up %d, response %v, case %v; want %s, %d, %d, %v, %v",
					got.Status, got.Baseline.Total, got.FollowUp.Total, got.Outcome.Response, got.CaseBaseline, tc.status, tc.baseline, tc.followUp, tc.response, tc.case_)
			}
			if want := got.Baseline.At.AddDate(0, 0, 84); !got.Closes.Equal(want) {
				t.Errorf("Closes = %v, want %v", got.Closes, want)
			}
			if got.Scores != len(tc.course) {
				t.Errorf("Scores = %d, want %d", got.Scores, len(tc.course))
			}
			if got.Status != FollowUpDone && got.Outcome != (Outcome{}) {
				t.Errorf("Outcome = %+v without a follow-up, want zero", got.Outcome)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		id     string
		course []Point
	}{{"no scores", "phq9", nil}, {"no thresholds", "pcl5", []Point{at(0, 40), at(40, 10)}}} {
		if got, ok := FollowUp(tc.id, tc.course, w, day0); ok || got.Status != "" {
			t.Errorf("%s: FollowUp = %+v, %v; want zero, false", tc.name, got, ok)
		}
	}
}

// TestFollowUpCourseBaseline: the baseline is the course's own first
// score, not the patient's first ever: a second course's scores alone give
// its outcome (the store passes one course at a time).
func TestFollowUpCourseBaseline(t *testing.T) {
	first := []Point{at(0, 22), at(40, 6)}
	second := []Point{at(300, 14), at(340, 7)}
	c1, _ := FollowUp("phq9", first, DefaultWindow, day0.AddDate(0, 0, 400))
	c2, _ := FollowUp("phq9", second, DefaultWindow, day0.AddDate(0, 0, 400))
	if c1.Baseline.Total != 22 || c2.Baseline.Total != 14 || !c2.Outcome.Response || c2.Outcome.Change != -7 {
		t.Errorf("course baselines = %d, %d (second change %d, response %v); want 22, 14 (-7, response)", c1.Baseline.Total, c2.Baseline.Total, c2.Outcome.Change, c2.Outcome.Response)
	}
	whole, _ := FollowUp("phq9", append(slices.Clone(first), second...), DefaultWindow, day0.AddDate(0, 0, 400))
	if whole.Baseline.Total != 22 || whole.FollowUp.Total != 6 {
		t.Errorf("one series for both = baseline %d, follow-up %d; want 22, 6 (what the old whole-series baseline did)", whole.Baseline.Total, whole.FollowUp.Total)
	}
}

func TestWindow(t *testing.T) {
	if DefaultWindow != (Window{4, 12}) || DefaultWindow.String() != "4-12" {
		t.Errorf("DefaultWindow = %v (%s), want 4-12 weeks", DefaultWindow, DefaultWindow)
	}
	if DefaultWindow.From() != 28*24*time.Hour || DefaultWindow.To() != 84*24*time.Hour {
		t.Errorf("DefaultWindow From/To = %v/%v, want 28 and 84 days", DefaultWindow.From(), DefaultWindow.To())
	}
	for _, tc := range []struct {
		w      Window
		fields string // the fields with an error, in order
	}{
		{Window{4, 12}, ""},
		{Window{1, 104}, ""},
		{Window{17, 35}, ""},
		{Window{0, 12}, "from_weeks"},
		{Window{4, 105}, "to_weeks"},
		{Window{12, 12}, "to_weeks"},
		{Window{12, 4}, "to_weeks"},
		{Window{-3, 0}, "from_weeks to_weeks"},
		{Window{200, 4}, "from_weeks"},
	} {
		fe := CheckWindow(tc.w)
		var got []string
		for _, f := range []string{"from_weeks", "to_weeks"} {
			if fe[f] != "" {
				got = append(got, f)
			}
		}
		if strings.Join(got, " ") != tc.fields {
			t.Errorf("CheckWindow(%v) = %v, want errors at %q", tc.w, fe, tc.fields)
		}
	}
	for _, tc := range []struct {
		s  string
		w  Window
		ok bool
	}{
		{"4-12", Window{4, 12}, true},
		{" 17-35 ", Window{17, 35}, true},
		{"12-4", Window{}, false},
		{"4", Window{}, false},
		{"a-b", Window{}, false},
		{"", Window{}, false},
	} {
		if w, ok := ParseWindow(tc.s); w != tc.w || ok != tc.ok {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v, %v", tc.s, w, ok, tc.w, tc.ok)
		}
	}
}

// TestTallyIntentionToTreat: courses without a follow-up are counted apart
// and, in the intention-to-treat denominator, as non-responders; courses
// still waiting and courses below caseness are in neither.
func TestTallyIntentionToTreat(t *testing.T) {
	now := day0.AddDate(0, 0, 200)
	var tl Tally
	for _, c := range [][]Point{
		{at(0, 20), at(40, 8)},  // response, reliable improvement, no remission
		{at(0, 16), at(50, 3)},  // response, remission, reliable improvement
		{at(0, 18), at(60, 17)}, // no response
		{at(0, 15)},             // window closed: missing
		{at(0, 21), at(10, 4)},  // only a score before the window: missing
		{at(150, 19)},           // window still open: pending
		{at(0, 7), at(40, 2)},   // below caseness
	} {
		o, ok := FollowUp("phq9", c, DefaultWindow, now)
		if !ok {
			t.Fatal("FollowUp not ok")
		}
		tl.Add(o)
	}
	want := Tally{BelowCaseness: 1, Pending: 1, Missing: 2, FollowedUp: 3, Response: 2, Remission: 1, Reliable: 2}
	if tl != want {
		t.Errorf("Tally = %+v, want %+v", tl, want)
	}
	if got := tl.IntentionToTreat(); got != 5 {
		t.Errorf("IntentionToTreat = %d, want 5 (3 followed up + 2 missing)", got)
	}
}

func TestLiteratureInterval(t *testing.T) {
	lo, hi := Literature.Interval()
	if Literature.K != 17 || Literature.N != 24 || math.Round(100*lo) != 51 || math.Round(100*hi) != 85 {
		t.Errorf("Literature %d/%d interval = %.3f–%.3f, want 17/24, 51–85%%", Literature.K, Literature.N, lo, hi)
	}
	if math.Abs(Literature.Rate-float64(Literature.K)/float64(Literature.N)) > 1e-12 {
		t.Errorf("Literature.Rate = %v, want K/N", Literature.Rate)
	}
	if !strings.Contains(Literature.TimePoint, "sixth infusion") {
		t.Errorf("Literature.TimePoint = %q, want it to say when response was measured (after the sixth infusion)", Literature.TimePoint)
	}
}

// TestNoResponseOrRemissionBelowCaseness: a baseline below caseness never
// rates a response or a remission, however far the score falls.
func TestNoResponseOrRemissionBelowCaseness(t *testing.T) {
	for _, tc := range []struct {
		id     string
		series []Point
		rated  bool
	}{
		{"phq9", series(9, 2), false},
		{"phq9", series(8, 2), false},
		{"phq9", series(10, 3), true},
		{"gad7", series(7, 1), false},
		{"gad7", series(8, 1), true},
	} {
		o, _ := Outcomes(tc.id, tc.series)
		if o.Response != tc.rated || o.Remission != tc.rated {
			t.Errorf("Outcomes(%s, %d→%d) response %v, remission %v; want both %v", tc.id, tc.series[0].Total, tc.series[1].Total, o.Response, o.Remission, tc.rated)
		}
		if !o.ReliableImprovement {
			t.Errorf("Outcomes(%s, %d→%d) reliable improvement = false, want true (rated for any baseline)", tc.id, tc.series[0].Total, tc.series[1].Total)
		}
	}
}

func TestCase(t *testing.T) {
	phq, _ := ThresholdsFor("phq9")
	gad, _ := ThresholdsFor("gad7")
	for _, tc := range []struct {
		th    Thresholds
		total int
		want  bool
	}{{phq, 9, false}, {phq, 10, true}, {gad, 7, false}, {gad, 8, true}, {Thresholds{}, 20, false}} {
		if got := tc.th.Case(tc.total); got != tc.want {
			t.Errorf("Thresholds{Caseness: %d}.Case(%d) = %v, want %v", tc.th.Caseness, tc.total, got, tc.want)
		}
	}
}
