package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// TestFindChartMeasuresWindow: the chart's windowed score history agrees
// with every check-in read (FindMeasures), whatever the window: the latest
// scores oldest first, the one before them, the count, the number of
// courses, and the latest course's first score and count, whether that
// course began inside the window or before it.
func TestFindChartMeasuresWindow(t *testing.T) {
	f := newOutcomeFixture(t)
	ctx := context.Background()
	start := f.now
	p := f.patient(t, "Many Scores")
	week := func(w int) time.Time { return start.Add(time.Duration(w) * 7 * 24 * time.Hour) }
	f.now = week(12)
	for w := range 12 { // the first course: weeks 0 to 11
		f.score(t, p, start, float64(w), 20-w)
	}
	if _, err := f.s.EnterPaperCheckin(ctx, f.therapist, p.ID, "gad7", answersOf(t, "gad7", 9), week(1).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.stage(t, p, clinic.StageClosed, "Series complete.")
	f.now = week(13)
	f.stage(t, p, clinic.StageScreening, "Returned after a relapse.")
	f.now = week(30)
	for w := 14; w < 22; w++ { // the second course: weeks 14 to 21
		f.score(t, p, start, float64(w), 16-(w-14))
	}
	all, err := f.s.FindMeasures(ctx, f.therapist, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	by := map[string][]store.Checkin{}
	for _, c := range all.Checkins {
		if _, ok := by[c.Instrument]; !ok {
			order = append(order, c.Instrument)
		}
		by[c.Instrument] = append(by[c.Instrument], c)
	}
	if len(by["phq9"]) != 20 || len(by["gad7"]) != 1 {
		t.Fatalf("scores = %d PHQ-9, %d GAD-7; want 20 and 1", len(by["phq9"]), len(by["gad7"]))
	}
	if l := by["phq9"]; l[11].CourseID == l[12].CourseID || l[0].CourseID != l[11].CourseID {
		t.Fatalf("the PHQ-9 scores are not in two courses of 12 and 8")
	}
	for _, window := range []int{1, 3, 7, 8, 9, 19, 20, 21, 100} {
		t.Run(fmt.Sprint("window ", window), func(t *testing.T) {
			m, err := f.s.FindChartMeasures(ctx, f.therapist, p.ID, window)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Assignments) != len(all.Assignments) {
				t.Errorf("assignments = %d, want %d", len(m.Assignments), len(all.Assignments))
			}
			if len(m.Scores) != len(order) {
				t.Fatalf("questionnaires = %d, want %d", len(m.Scores), len(order))
			}
			for i, h := range m.Scores {
				l := by[order[i]]
				if h.Instrument != order[i] || h.Count != len(l) {
					t.Errorf("%d: %s with %d scores, want %s with %d", i, h.Instrument, h.Count, order[i], len(l))
					continue
				}
				// The oracle, from every score.
				courses, first := 0, 0
				for j, c := range l {
					if j == 0 || c.CourseID != l[j-1].CourseID {
						courses, first = courses+1, j
					}
				}
				n := min(window, len(l))
				if h.Courses != courses {
					t.Errorf("%s: courses = %d, want %d", h.Instrument, h.Courses, courses)
				}
				if len(h.Rows) != n {
					t.Fatalf("%s: %d rows, want %d", h.Instrument, len(h.Rows), n)
				}
				for j, c := range h.Rows {
					want := l[len(l)-n+j]
					if c.ID != want.ID || c.Total != want.Total || c.Band != want.Band || !c.CompletedAt.Equal(want.CompletedAt) || c.CourseID != want.CourseID {
						t.Errorf("%s: row %d = %+v, want %+v", h.Instrument, j, c, want)
					}
				}
				if n < len(l) {
					if h.Before == nil || h.Before.ID != l[len(l)-n-1].ID {
						t.Errorf("%s: before = %+v, want %s", h.Instrument, h.Before, l[len(l)-n-1].ID)
					}
				} else if h.Before != nil {
					t.Errorf("%s: before = %+v, want none (every score shown)", h.Instrument, h.Before)
				}
				if h.CourseFirst.ID != l[first].ID || h.CourseFirst.Total != l[first].Total || !h.CourseFirst.CompletedAt.Equal(l[first].CompletedAt) || h.CourseCount != len(l)-first {
					t.Errorf("%s: latest course from %s (%d) with %d scores, want from %s (%d) with %d", h.Instrument,
						h.CourseFirst.ID, h.CourseFirst.Total, h.CourseCount, l[first].ID, l[first].Total, len(l)-first)
				}
			}
		})
	}
	// Who may not read the chart does not get the scores either.
	stranger := &clinic.User{Email: "s@example.org", DisplayName: "Stranger", Role: clinic.RoleTherapist}
	if err := f.s.CreateUser(ctx, store.System, stranger, "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.FindChartMeasures(ctx, store.Actor{UserID: stranger.ID, Role: stranger.Role}, p.ID, 5); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a therapist not on the team = %v, want ENotFound", err)
	}
}
