package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// progressView is one instrument's scores for a chart page: the SVG, a
// table of the same numbers for screen readers, and the outcome of the
// latest course (baseline: the course's first score).
type progressView struct {
	Instrument measure.Instrument
	SVG        template.HTML
	Rows       []progressRow
	Outcome    measure.Outcome // the latest course's first score to its latest
	HasOutcome bool
	Baseline   progressRow // the latest course's first score
	Latest     progressRow
	Thresholds measure.Thresholds
	Courses    int    // how many courses have scores on this instrument
	Rated      bool   // the baseline was a case: response and remission are rated (measure.Outcomes)
	Plain      string // the outcome in plain words, for the patient
}

type progressRow struct {
	At        time.Time
	When      string // At in the patient's time zone
	Total     int
	Band      string
	NewCourse bool // the first score of a course after the first
}

// progressViews builds a view per instrument with completed check-ins,
// marking past dosing sessions on the time axis. Every score is drawn; the
// baseline, the response line and the outcome are those of the latest
// course with scores on the instrument, from its own first score.
// width is the chart's viewBox width: narrow (360) for the patient's phone,
// so its labels stay readable, wide (640) for the staff chart.
func progressViews(checkins []store.Checkin, dosing []time.Time, loc *time.Location, width int) []progressView {
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
	var out []progressView
	for _, id := range order {
		inst, ok := measure.Get(id)
		if !ok || id == "risk" {
			continue
		}
		v := progressView{Instrument: inst}
		var pts []measure.Point // the latest course's
		var cpts []chart.Point
		var starts []time.Time // when each course after the first began, on this instrument
		course := ""
		for i, c := range by[id] {
			row := progressRow{At: c.CompletedAt, When: c.CompletedAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"), Total: c.Total, Band: c.Band}
			if i == 0 || c.CourseID != course {
				v.Courses++
				course, pts = c.CourseID, nil
				if i > 0 {
					row.NewCourse = true
					starts = append(starts, c.CompletedAt)
				}
				v.Baseline = row
			}
			v.Rows = append(v.Rows, row)
			pts = append(pts, measure.Point{At: c.CompletedAt, Total: c.Total})
			cpts = append(cpts, chart.Point{At: c.CompletedAt, Value: float64(c.Total)})
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
		v.Thresholds, _ = measure.ThresholdsFor(id)
		v.Rated = v.Thresholds.Case(v.Baseline.Total)
		if len(pts) > 0 {
			v.Latest = v.Rows[len(v.Rows)-1]
			spec.Lines = append(spec.Lines, chart.Line{Value: float64(v.Baseline.Total), Label: "Baseline", Kind: "baseline"})
			// No response line below caseness: there is no response to reach.
			if v.Rated && v.Thresholds.ResponseFraction > 0 && v.Baseline.Total > 0 {
				spec.Lines = append(spec.Lines, chart.Line{Value: math.Floor(float64(v.Baseline.Total) * (1 - v.Thresholds.ResponseFraction)), Label: "Response", Kind: "threshold"})
			}
		}
		spec.Desc = fmt.Sprintf("%d scores of %s.", len(cpts), inst.Name)
		if len(pts) > 0 {
			spec.Desc += fmt.Sprintf(" First %d, latest %d.", v.Baseline.Total, v.Latest.Total)
			if v.Courses > 1 {
				spec.Desc = fmt.Sprintf("%d scores of %s over %d courses. This course: first %d, latest %d.", len(cpts), inst.Name, v.Courses, v.Baseline.Total, v.Latest.Total)
			}
		}
		v.SVG = template.HTML(chart.SVG(spec)) // chart escapes all text and uses no styles or scripts
		v.Outcome, v.HasOutcome = measure.Outcomes(id, pts)
		v.Plain = plainOutcome(inst, v)
		out = append(out, v)
	}
	return out
}

// plainOutcome says, for the patient, how the scores moved.
// Response and remission are named only when the course started at or
// above caseness (measure.Outcomes rates neither below it).
func plainOutcome(inst measure.Instrument, v progressView) string {
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

// progressData is the patient's progress page.
type progressData struct {
	Views []progressView
}

func (s *Server) handlePortalProgress(w http.ResponseWriter, r *http.Request) {
	p, m, ok := s.ownMeasures(w, r)
	if !ok {
		return
	}
	loc, _ := s.patientZone(r, p)
	dosing, err := s.store.DosedAt(r.Context(), s.actor(r), p.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "progress", "Your progress", progressData{Views: progressViews(m.Checkins, dosing, loc, 360)})
}

func (s *Server) handleAssignMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.store.AssignMeasure(r.Context(), s.actor(r), r.PathValue("patient"), r.PostFormValue("instrument"), r.PostFormValue("cadence"))
	s.chartForm(w, r, err, "measures")
}

func (s *Server) handleEndMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.store.EndAssignment(r.Context(), s.actor(r), r.PathValue("patient"), r.PathValue("instrument"))
	s.chartForm(w, r, err, "measures")
}

// rate is a proportion with its 95% Wilson interval.
type rate struct {
	K, N   int
	Pct    float64
	Lo, Hi float64
}

func newRate(k, n int) rate {
	r := rate{K: k, N: n}
	if n > 0 {
		r.Pct = 100 * float64(k) / float64(n)
	}
	lo, hi := measure.Wilson(k, n)
	r.Lo, r.Hi = 100*lo, 100*hi
	return r
}

// outcomeGroup is one row of the dashboard: rates over the courses with a
// follow-up score, and over every course whose follow-up is due
// (intention to treat: a course without one counts as not improved).
type outcomeGroup struct {
	Name       string
	FollowedUp int // courses with a follow-up score
	Missing    int // courses whose window closed without one
	Response   rate
	Remission  rate
	Reliable   rate
	ITT        bool // the rates are over FollowedUp + Missing
}

func newGroup(name string, t measure.Tally, itt bool) outcomeGroup {
	n := t.FollowedUp
	if itt {
		n = t.IntentionToTreat()
	}
	return outcomeGroup{Name: name, FollowedUp: t.FollowedUp, Missing: t.Missing, ITT: itt,
		Response: newRate(t.Response, n), Remission: newRate(t.Remission, n), Reliable: newRate(t.Reliable, n)}
}

// Courses is how many courses the row's rates are over.
func (g outcomeGroup) Courses() int {
	if g.ITT {
		return g.FollowedUp + g.Missing
	}
	return g.FollowedUp
}

type outcomesData struct {
	Instrument  measure.Instrument
	Instruments []measure.Instrument
	All         outcomeGroup // courses with a follow-up
	AllITT      outcomeGroup // and those without one, as not improved
	ByTherapist []outcomeGroup
	ByPeriod    []outcomeGroup
	Tally       measure.Tally
	Window      measure.Window
	Literature  measure.Figure
	LitLo       float64 // the literature figure's 95% interval, in percent
	LitHi       float64
	Scope       string
	Caseness    int
	ShowLit     bool // the literature figure is about depression: PHQ-9 only

	// The follow-up window's form, for an administrator.
	CanEditWindow bool
	Form          url.Values
	Errors        map[string]string
	Notice        string
}

// outcomeGroups tallies courses overall and grouped by key (measure.Tally:
// a course whose baseline was below caseness is counted apart, as in HEDIS
// DRR-E; a course still waiting for its follow-up is not yet counted).
func outcomeGroups(results []store.CourseResult, key func(store.CourseResult) string) (measure.Tally, []outcomeGroup) {
	var all measure.Tally
	groups := map[string]*measure.Tally{}
	for _, c := range results {
		all.Add(c.Outcome)
		if !c.Outcome.CaseBaseline || c.Outcome.Status == measure.FollowUpPending {
			continue
		}
		k := key(c)
		if groups[k] == nil {
			groups[k] = &measure.Tally{}
		}
		groups[k].Add(c.Outcome)
	}
	var out []outcomeGroup
	for k, t := range groups {
		out = append(out, newGroup(k, *t, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return all, out
}

// quarter is the calendar quarter of a course's follow-up score, or of its
// window's close when it has none.
func quarter(c store.CourseResult) string {
	at := c.Outcome.FollowUp.At
	if c.Outcome.Status != measure.FollowUpDone {
		at = c.Outcome.Closes
	}
	return strconv.Itoa(at.Year()) + " Q" + strconv.Itoa((int(at.Month())+2)/3)
}

// handleOutcomes is the practice outcomes dashboard, per course: response,
// remission and reliable improvement with 95% Wilson intervals over the
// courses with a follow-up score, the courses without one as a count and,
// in a second line, as non-responders (intention to treat); by therapist
// and by quarter; beside the literature's figure with its own interval and
// time point.
func (s *Server) handleOutcomes(w http.ResponseWriter, r *http.Request) {
	s.outcomesPage(w, r, http.StatusOK, nil, nil)
}

// outcomesPage renders the dashboard; form and errors are the window form
// as typed when it failed.
func (s *Server) outcomesPage(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs map[string]string) {
	id := r.URL.Query().Get("instrument")
	if id == "" {
		id = "phq9"
	}
	inst, ok := measure.Get(id)
	th, hasT := measure.ThresholdsFor(id)
	if !ok || !hasT {
		s.error(w, r, &clinic.Error{Code: clinic.EInvalid, Message: "Choose PHQ-9 or GAD-7."})
		return
	}
	results, win, err := s.store.Outcomes(r.Context(), s.actor(r), "outcomes.read", []string{id})
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := outcomesData{Instrument: inst, Window: win, Literature: measure.Literature, Caseness: th.Caseness, ShowLit: id == "phq9", Errors: errs}
	for _, x := range []string{"phq9", "gad7"} {
		i, _ := measure.Get(x)
		d.Instruments = append(d.Instruments, i)
	}
	d.Tally, d.ByTherapist = outcomeGroups(results, func(c store.CourseResult) string {
		if c.Therapist == "" {
			return "No owning therapist"
		}
		return c.Therapist
	})
	_, d.ByPeriod = outcomeGroups(results, quarter)
	d.All, d.AllITT = newGroup("All courses", d.Tally, false), newGroup("All courses, intention to treat", d.Tally, true)
	lo, hi := d.Literature.Interval()
	d.LitLo, d.LitHi = 100*lo, 100*hi
	d.Scope = "every patient in the practice"
	if sessionFrom(r.Context()).User.Role != clinic.RoleAdmin {
		d.Scope = "the patients on your care teams"
	} else {
		d.CanEditWindow = true
		d.Form = form
		if d.Form == nil {
			d.Form = url.Values{"from_weeks": {strconv.Itoa(win.FromWeeks)}, "to_weeks": {strconv.Itoa(win.ToWeeks)}}
		}
		if r.URL.Query().Get("done") == "window" {
			d.Notice = "Follow-up window saved."
		}
	}
	s.render(w, r, status, "outcomes", "Outcomes", d)
}

// handleOutcomeWindow saves the practice's follow-up window, for an
// administrator; bad weeks re-render the dashboard with the input and a
// message at the field.
func (s *Server) handleOutcomeWindow(w http.ResponseWriter, r *http.Request) {
	var win measure.Window
	var fe = map[string]string{}
	for _, f := range []struct {
		name string
		to   *int
	}{{"from_weeks", &win.FromWeeks}, {"to_weeks", &win.ToWeeks}} {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(f.name)))
		if err != nil {
			fe[f.name] = "Enter whole weeks, like 4."
		}
		*f.to = n
	}
	err := s.store.SaveOutcomeWindow(r.Context(), s.actor(r), win)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		for k, v := range e.Fields {
			if fe[k] == "" {
				fe[k] = v
			}
		}
		err = nil
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(fe) > 0 {
		s.outcomesPage(w, r, http.StatusUnprocessableEntity, r.PostForm, fe)
		return
	}
	http.Redirect(w, r, "/outcomes?done=window#window", http.StatusSeeOther)
}

// handleOutcomesCSV exports de-identified outcomes per course for
// research: a pseudonymous key per patient, the course's number, days
// from the baseline instead of dates, no names or contact details.
func (s *Server) handleOutcomesCSV(w http.ResponseWriter, r *http.Request) {
	results, win, err := s.store.Outcomes(r.Context(), s.actor(r), "outcomes.export", []string{"phq9", "gad7"})
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Ordered by the pseudonymous key, so row order says nothing about who
	// came first.
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.PatientKey != b.PatientKey {
			return a.PatientKey < b.PatientKey
		}
		if a.Instrument != b.Instrument {
			return a.Instrument < b.Instrument
		}
		return a.Course < b.Course
	})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kapstone-outcomes.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"patient_key", "instrument", "course", "scores", "window_weeks", "follow_up", "case_at_baseline", "baseline",
		"follow_up_day", "follow_up_score", "change", "response", "remission", "reliable_improvement", "reliable_deterioration"})
	for _, x := range results {
		c := x.Outcome
		row := []string{x.PatientKey, x.Instrument, strconv.Itoa(x.Course), strconv.Itoa(c.Scores), win.String(), string(c.Status),
			strconv.FormatBool(c.CaseBaseline), strconv.Itoa(c.Baseline.Total), "", "", "", "", "", "", ""}
		if c.Status == measure.FollowUpDone {
			o := c.Outcome
			copy(row[8:], []string{strconv.Itoa(int(c.FollowUp.At.Sub(c.Baseline.At).Hours() / 24)), strconv.Itoa(o.Latest), strconv.Itoa(o.Change),
				strconv.FormatBool(o.Response), strconv.FormatBool(o.Remission), strconv.FormatBool(o.ReliableImprovement), strconv.FormatBool(o.ReliableDeterioration)})
		}
		cw.Write(row)
	}
	cw.Flush()
}
