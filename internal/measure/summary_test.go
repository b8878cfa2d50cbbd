package measure

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestSummaryEqualsFollowUp: for random courses (scores on random days,
// some on the same day, some given out of time order), a summary kept up
// score by score (Add, summarized again when Add cannot tell) equals the
// summary of all the scores, and its outcome equals FollowUp's for every
// window and time asked; the period is the one the dashboard groups by.
func TestSummaryEqualsFollowUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 44))
	start := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	windows := []Window{DefaultWindow, {FromWeeks: 1, ToWeeks: 3}, {FromWeeks: 17, ToWeeks: 35}}
	for i := range 3000 {
		w := windows[i%len(windows)]
		id := []string{"phq9", "gad7"}[i%2]
		n := 1 + rng.IntN(14)
		var given []Point
		var kept CourseSummary
		resummarized := 0
		for range n {
			// Whole days, so that scores fall on the window's edges and on
			// each other; now and then one dated before the others (paper).
			day := rng.IntN(120)
			if rng.IntN(6) == 0 {
				day -= 30
			}
			p := Point{At: start.Add(time.Duration(day) * 24 * time.Hour), Total: rng.IntN(28)}
			given = append(given, p)
			next, ok := kept.Add(p, w)
			if !ok {
				resummarized++
				next, _ = Summarize(given, w)
			}
			kept = next
		}
		all, _ := Summarize(given, w)
		if kept != all {
			t.Fatalf("course %d %+v: kept %+v, summarized %+v", i, given, kept, all)
		}
		for _, now := range []time.Time{start, start.Add(60 * 24 * time.Hour), start.Add(400 * 24 * time.Hour)} {
			want, _ := FollowUp(id, given, w, now)
			got, ok := kept.Outcome(id, w, now)
			if !ok || got != want {
				t.Fatalf("course %d at %v: summary outcome %+v, FollowUp %+v", i, now, got, want)
			}
			if got.Period() != kept.Period(w) {
				t.Fatalf("course %d: period %q, summary's %q", i, got.Period(), kept.Period(w))
			}
			// What the dashboard counts of a group: the status and totals.
			r, _ := Rate(id, want.Status, want.Baseline, want.FollowUp)
			r.Closes, r.Scores = want.Closes, want.Scores
			if r != want {
				t.Fatalf("course %d: Rate %+v, FollowUp %+v", i, r, want)
			}
		}
	}
}

// TestSummaryAdd: the cases Add decides, and those it leaves to Summarize.
func TestSummaryAdd(t *testing.T) {
	b := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	wk := func(n float64) time.Time { return b.Add(time.Duration(n * 7 * 24 * float64(time.Hour))) }
	base, _ := Summarize([]Point{{b, 20}, {wk(5), 12}}, DefaultWindow)
	for _, tc := range []struct {
		name   string
		p      Point
		ok     bool
		fu     int // the follow-up's total after; -1 for none
		latest int
	}{
		{"later inside the window replaces the follow-up", Point{wk(6), 9}, true, 9, 9},
		{"the window's last moment counts", Point{wk(12), 7}, true, 7, 7},
		{"after the window: latest, not follow-up", Point{wk(13), 3}, true, 12, 3},
		{"between baseline and follow-up", Point{wk(4.5), 10}, true, 12, 12},
		{"before the window", Point{wk(1), 18}, true, 12, 12},
		{"before the baseline: summarize again", Point{wk(-1), 22}, false, 0, 0},
		{"at the baseline's time: summarize again", Point{b, 22}, false, 0, 0},
		{"at the follow-up's time: summarize again", Point{wk(5), 11}, false, 0, 0},
	} {
		got, ok := base.Add(tc.p, DefaultWindow)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		fu := -1
		if got.HasFollowUp {
			fu = got.FollowUp.Total
		}
		if fu != tc.fu || got.Latest.Total != tc.latest || got.Scores != 3 || got.Baseline.Total != 20 {
			t.Errorf("%s: %+v; want follow-up %d, latest %d, 3 scores from 20", tc.name, got, tc.fu, tc.latest)
		}
	}
}
