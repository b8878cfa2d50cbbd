package staff

import (
	"time"

	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// progressWindowViews is shell.ProgressViews from each questionnaire's latest scores
// (FindChartMeasures): the outcome is the latest course's, Count the number of all scores;
// dosing sessions before the first score shown are not marked.
func progressWindowViews(scores []store.ScoreHistory, dosing []time.Time, loc *time.Location, width int) []shell.ProgressView {
	var out []shell.ProgressView
	for _, h := range scores {
		inst, ok := measure.Get(h.Instrument)
		if !ok || h.Instrument == "risk" || len(h.Rows) == 0 {
			continue
		}
		v := shell.ProgressView{Instrument: inst, Courses: h.Courses, Count: h.Count}
		row := func(c store.Checkin) shell.ProgressRow {
			return shell.ProgressRow{At: c.CompletedAt, When: c.CompletedAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"), Total: c.Total, Band: c.Band}
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
		out = append(out, shell.FinishProgress(inst, v, h.CourseCount, starts, marks, loc, width))
	}
	return out
}
