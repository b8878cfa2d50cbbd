package shell

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// ProgressView is one instrument's scores for a chart page: the SVG, a table of the same numbers for
// screen readers, and the outcome of the latest course (baseline: the course's first score).
type ProgressView struct {
	Instrument measure.Instrument
	SVG        template.HTML
	Chart      chart.Spec // what SVG draws, for another rendering (the outcome summary PDF)
	Rows       []ProgressRow
	Table      template.HTML   // Rows as the score table's rows (chart.TableRows)
	Outcome    measure.Outcome // the latest course's first score to its latest
	HasOutcome bool
	Baseline   ProgressRow // the latest course's first score
	Latest     ProgressRow
	Thresholds measure.Thresholds
	Courses    int    // how many courses have scores on this instrument
	Count      int    // how many scores in all; Rows may be only the latest (the staff chart)
	Rated      bool   // the baseline was a case: response and remission are rated (measure.Outcomes)
	Plain      string // the outcome in plain words, for the patient
}

type ProgressRow struct {
	At        time.Time
	When      string // At in the patient's time zone
	Total     int
	Band      string
	NewCourse bool // the first score of a course after the first
}

// ProgressViews builds a view per instrument with completed check-ins, marking past dosing sessions on the time axis.
// Every score is drawn; the baseline, the response line and the outcome are those of the latest course with
// scores on the instrument, from its own first score. width is the chart's viewBox width: narrow (360) for
// the patient's phone, so its labels stay readable, wide (640) for the staff chart.
func ProgressViews(checkins []store.Checkin, dosing []time.Time, loc *time.Location, width int) []ProgressView {
	by := map[string][]store.Checkin{}
	var order []string
	for _, c := range checkins {
		if !c.Complete {
			continue
		}
		if _, ok := by[c.Instrument]; !ok {
			order = append(order, c.Instrument)
		}
		by[c.Instrument] = append(by[c.Instrument], c)
	}
	var out []ProgressView
	for _, id := range order {
		inst, ok := measure.Get(id)
		if !ok || id == "risk" {
			continue
		}
		v := ProgressView{Instrument: inst}
		var starts []time.Time // when each course after the first began, on this instrument
		course, first := "", 0 // the latest course began at Rows[first]
		for i, c := range by[id] {
			row := ProgressRow{At: c.CompletedAt, When: c.CompletedAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"), Total: c.Total, Band: c.Band}
			if i == 0 || c.CourseID != course {
				v.Courses++
				course, first = c.CourseID, i
				if i > 0 {
					row.NewCourse = true
					starts = append(starts, c.CompletedAt)
				}
				v.Baseline = row
			}
			v.Rows = append(v.Rows, row)
		}
		v.Count = len(v.Rows)
		out = append(out, FinishProgress(inst, v, len(v.Rows)-first, starts, dosing, loc, width))
	}
	return out
}

// FinishProgress completes v (Rows oldest first, Count, Courses, Baseline of the latest course's courseN scores).
func FinishProgress(inst measure.Instrument, v ProgressView, courseN int, starts, dosing []time.Time, loc *time.Location, width int) ProgressView {
	cpts := make([]chart.Point, 0, len(v.Rows))
	for _, row := range v.Rows {
		cpts = append(cpts, chart.Point{At: row.At, Value: float64(row.Total)})
	}
	spec := chart.Spec{
		Title: inst.Name + " over time", YLabel: inst.Name + " score",
		YMin: float64(inst.Min), YMax: float64(inst.Max), Points: cpts, Width: width, Height: width * 15 / 32, Loc: loc,
	}
	for _, b := range inst.Bands {
		spec.Bands = append(spec.Bands, chart.Band{From: float64(b.Min), To: float64(b.Max), Label: b.Label, Level: b.Level})
	}
	for _, d := range dosing {
		spec.Markers = append(spec.Markers, chart.Marker{At: d, Label: "Dosing session"})
	}
	for _, d := range starts {
		spec.Markers = append(spec.Markers, chart.Marker{At: d, Label: "New course"})
	}
	v.Thresholds, _ = measure.ThresholdsFor(inst.ID)
	v.Rated = v.Thresholds.Case(v.Baseline.Total)
	if len(v.Rows) > 0 {
		v.Latest = v.Rows[len(v.Rows)-1]
		spec.Lines = append(spec.Lines, chart.Line{Value: float64(v.Baseline.Total), Label: "Baseline", Kind: "baseline"})
		// No response line below caseness: there is no response to reach.
		if v.Rated && v.Thresholds.ResponseFraction > 0 && v.Baseline.Total > 0 {
			spec.Lines = append(spec.Lines, chart.Line{Value: math.Floor(float64(v.Baseline.Total) * (1 - v.Thresholds.ResponseFraction)), Label: "Response", Kind: "threshold"})
		}
	}
	spec.Desc = fmt.Sprintf("%d scores of %s.", v.Count, inst.Name)
	if len(v.Rows) > 0 {
		spec.Desc += fmt.Sprintf(" First %d, latest %d.", v.Baseline.Total, v.Latest.Total)
		if v.Courses > 1 {
			spec.Desc = fmt.Sprintf("%d scores of %s over %d courses. This course: first %d, latest %d.", v.Count, inst.Name, v.Courses, v.Baseline.Total, v.Latest.Total)
		}
		if len(v.Rows) < v.Count {
			spec.Desc += fmt.Sprintf(" Drawn: the latest %d.", len(v.Rows))
		}
	}
	v.SVG = template.HTML(chart.SVG(spec)) // chart escapes all text and uses no styles or scripts
	v.Table = template.HTML(chart.TableRows(len(v.Rows), func(i int) (string, int, string, bool) {
		return v.Rows[i].When, v.Rows[i].Total, v.Rows[i].Band, v.Rows[i].NewCourse
	}))
	v.Chart = spec
	if len(v.Rows) > 0 && courseN >= 2 { // the latest course: its first score (the baseline) to its latest
		v.Outcome, v.HasOutcome = measure.Outcomes(inst.ID, []measure.Point{{At: v.Baseline.At, Total: v.Baseline.Total}, {At: v.Latest.At, Total: v.Latest.Total}})
		v.Outcome.Points = courseN
	}
	v.Plain = plainOutcome(inst, v)
	return v
}

// plainOutcome says, for the patient, how the scores moved. Response and remission are named only when
// the course started at or above caseness (measure.Outcomes rates neither below it).
func plainOutcome(inst measure.Instrument, v ProgressView) string {
	course, ofBaseline := "", fmt.Sprintf("your first score of %d", v.Baseline.Total)
	if v.Courses > 1 {
		course, ofBaseline = " this course", fmt.Sprintf("%d, your first score this course", v.Baseline.Total)
	}
	if !v.HasOutcome {
		return fmt.Sprintf("Your first %s score%s is %d (%s). After your next check-in you will see how it changes.", inst.Name, course, v.Baseline.Total, strings.ToLower(v.Baseline.Band))
	}
	o := v.Outcome
	points := func(n int) string {
		if n == 1 {
			return "1 point"
		}
		return fmt.Sprintf("%d points", n)
	}
	var move string
	switch {
	case o.Change < 0:
		move = fmt.Sprintf("%s lower than %s", points(-o.Change), ofBaseline)
	case o.Change > 0:
		move = fmt.Sprintf("%s higher than %s", points(o.Change), ofBaseline)
	default:
		move = fmt.Sprintf("the same as %s", ofBaseline)
	}
	s := fmt.Sprintf("Your latest %s score is %d (%s): %s. Lower scores mean fewer symptoms.", inst.Name, o.Latest, strings.ToLower(v.Latest.Band), move)
	if o.Remission {
		s += " That is in the range of remission."
	} else if o.Response {
		s += " That is at least half-way down from where you started."
	}
	return s
}

// ProgressData is the patient's progress page.
type ProgressData struct {
	Views []ProgressView
}
