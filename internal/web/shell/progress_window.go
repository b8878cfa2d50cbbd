package shell

import (
	"time"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// ProgressWindowViews is ProgressViews for the staff chart from each
// questionnaire's latest scores (store.FindChartMeasures): the chart and
// table show those, the outcome is the latest course's (its baseline may
// be older than the window), and Count and Older say how many scores
// there are in all and how many are not shown, for the link to the rest.
// Dosing sessions before the first score shown are not marked.
func ProgressWindowViews(scores []store.ScoreHistory, dosing []time.Time, loc *time.Location, width int) []ProgressView {
	var out []ProgressView
	for _, h := range scores {
		inst, ok := measure.Get(h.Instrument)
		if !ok || h.Instrument == "risk" || len(h.Rows) == 0 {
			continue
		}
		v := ProgressView{Instrument: inst, Courses: h.Courses, Count: h.Count, Older: max(h.Count-len(h.Rows), 0)}
		row := func(c store.Checkin) progressRow {
			return progressRow{At: c.CompletedAt, When: c.CompletedAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"), Total: c.Total, Band: c.Band}
		}
		var starts []time.Time
		prev := h.Before
		for i, c := range h.Rows {
			r := row(c)
			if prev != nil && prev.CourseID != c.CourseID {
				r.NewCourse = true
				starts = append(starts, c.CompletedAt)
			}
			v.Rows = append(v.Rows, r)
			prev = &h.Rows[i]
		}
		v.Baseline = row(h.CourseFirst)
		from := h.Rows[0].CompletedAt
		var marks []time.Time
		for _, d := range dosing {
			if !d.Before(from) {
				marks = append(marks, d)
			}
		}
		out = append(out, finishProgress(inst, v, h.CourseCount, starts, marks, loc, width))
	}
	return out
}
