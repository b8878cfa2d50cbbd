package notes

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// OutcomeSummaryPDF sends one patient's outcome summary as a PDF, for a
// partner prescriber or an insurer: for each questionnaire the chart page
// shows, the baseline, the latest score, the change, response, remission
// and reliable change as measure.Outcomes rates them (the chart page's own
// figures, shell.ProgressViews), the chart with its severity bands and
// lines, and every score. Whoever may read the chart may export it
// (store.ExportOutcomeSummary audits the read as outcome_summary.export in
// the same transaction). The file's name carries the date only, never the
// patient's name, and the answer is never cached.
func (s *Handlers) OutcomeSummaryPDF(w http.ResponseWriter, r *http.Request) {
	sum, err := s.Store.ExportOutcomeSummary(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	preparer := ""
	if sess := shell.SessionFrom(r.Context()); sess != nil && sess.User != nil {
		preparer = sess.User.DisplayName
	}
	now := s.Now()
	pdf, err := pdfdoc.Render(outcomeSummaryDoc(sum, preparer, now, loc))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sendPDF(w, "outcome-summary-"+now.In(loc).Format("2006-01-02")+".pdf", pdf)
}

// outcomeSummaryDoc lays out the summary: who it is about, then each
// questionnaire's outcome, chart and scores, in loc (the practice's zone).
func outcomeSummaryDoc(sum *store.OutcomeSummary, preparer string, now time.Time, loc *time.Location) pdfdoc.Document {
	name, dob := patientLines(sum.Patient)
	meta := []pdfdoc.Field{{Label: "Patient", Value: name}, {Label: "Date of birth", Value: dob}, {Label: "Practice", Value: sum.Practice.Name}}
	if sum.Therapist != "" {
		meta = append(meta, pdfdoc.Field{Label: "Therapist", Value: sum.Therapist})
	}
	if preparer != "" {
		meta = append(meta, pdfdoc.Field{Label: "Prepared by", Value: preparer})
	}
	d := pdfdoc.Document{
		Title:       "Outcome summary",
		Subtitle:    "Patient-reported symptom scores during treatment, and how they changed",
		Meta:        meta,
		RunningHead: "Outcome summary · " + name + " · born " + dob,
		Paper:       pdfdoc.PaperFor(sum.Practice.TimeZone),
		GeneratedAt: now,
		Zone:        loc,
	}
	views := shell.ProgressViews(sum.Checkins, sum.Dosed, loc, 640)
	if len(views) == 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Paragraph{Text: "No questionnaire has been completed yet, so there are no scores to summarise."})
	}
	var sources []pdfdoc.Block
	for _, v := range views {
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: v.Instrument.Title})
		d.Blocks = append(d.Blocks, outcomeFields(v, loc))
		chart := v.Chart
		chart.Loc = loc
		d.Blocks = append(d.Blocks, pdfdoc.Chart{Spec: chart})
		rows := make([][]string, 0, len(v.Rows))
		for _, row := range v.Rows {
			when := row.At.In(loc).Format("Jan 2, 2006, 3:04 PM")
			if row.NewCourse {
				when += " (new course)"
			}
			rows = append(rows, []string{when, fmt.Sprint(row.Total), row.Band})
		}
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "Scores", Level: 2},
			pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Date", Weight: 2.2}, {Title: "Score", Weight: 0.8, Right: true}, {Title: "Range", Weight: 2}}, Rows: rows})
		if v.Thresholds.Source != "" {
			sources = append(sources, pdfdoc.Paragraph{Text: v.Instrument.Name + ": " + v.Thresholds.Source, Small: true})
		}
	}
	if len(sources) > 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: "Where the thresholds come from", Level: 2})
		d.Blocks = append(d.Blocks, sources...)
	}
	zone := loc.String()
	d.Blocks = append(d.Blocks, pdfdoc.Rule{}, pdfdoc.Paragraph{Small: true, Text: "Scores are the patient's own answers to standard questionnaires; " +
		"lower scores mean fewer symptoms. The baseline is the first score of the latest course of treatment. " +
		"Times are in " + zone + ". This summary is not a diagnosis."})
	return d
}

// outcomeFields are one questionnaire's figures as the chart page states
// them: the baseline, the latest score and the change, then response,
// remission and reliable change as rated by measure.Outcomes.
func outcomeFields(v shell.ProgressView, loc *time.Location) pdfdoc.Fields {
	score := func(total int, at time.Time, band string) string {
		s := fmt.Sprintf("%d on %s", total, at.In(loc).Format("Jan 2, 2006"))
		if band != "" {
			s += " (" + band + ")"
		}
		return s
	}
	var f pdfdoc.Fields
	add := func(label, value string) { f.Rows = append(f.Rows, pdfdoc.Field{Label: label, Value: value}) }
	if len(v.Rows) == 0 {
		return f
	}
	add("Baseline", score(v.Baseline.Total, v.Baseline.At, v.Baseline.Band))
	if v.Courses > 1 {
		add("Courses", fmt.Sprintf("Scores from %d courses of treatment: the baseline is the latest course's first score.", v.Courses))
	}
	if !v.HasOutcome {
		if v.Latest.At.Equal(v.Baseline.At) {
			add("Outcome", "One score so far this course: the baseline.")
		} else {
			add("Latest", score(v.Latest.Total, v.Latest.At, v.Latest.Band))
		}
		return f
	}
	o, t := v.Outcome, v.Thresholds
	add("Latest", score(v.Latest.Total, v.Latest.At, v.Latest.Band))
	change := fmt.Sprintf("%+d points", o.Change)
	if o.Baseline > 0 {
		change += fmt.Sprintf(" (%+.0f%% from the baseline)", math.Round(o.PercentChange*100))
	}
	add("Change", change)
	yesNo := func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	}
	if v.Rated {
		add("Response", yesNo(o.Response)+fmt.Sprintf(": a response is a latest score at least %.0f%% below the baseline.", t.ResponseFraction*100))
		add("Remission", yesNo(o.Remission)+fmt.Sprintf(": remission is a latest score below %d.", t.Remission))
	} else if t.Caseness > 0 {
		add("Response and remission", fmt.Sprintf("Not rated: the baseline, %d, is below %d (not a clinical case).", o.Baseline, t.Caseness))
	}
	var reliable []string
	switch {
	case o.ReliableImprovement:
		reliable = append(reliable, "Reliable improvement")
	case o.ReliableDeterioration:
		reliable = append(reliable, "Reliable deterioration")
	default:
		reliable = append(reliable, "No reliable change")
	}
	if t.ReliableChange > 0 {
		reliable = append(reliable, fmt.Sprintf("a change of %d points or more either way is reliable.", t.ReliableChange))
	}
	add("Reliable change", strings.Join(reliable, ": "))
	return f
}
