package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
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
// table of the same numbers for screen readers, and the outcome.
type progressView struct {
	Instrument measure.Instrument
	SVG        template.HTML
	Rows       []progressRow
	Outcome    measure.Outcome
	HasOutcome bool
	Baseline   progressRow
	Latest     progressRow
	Thresholds measure.Thresholds
	Plain      string // the outcome in plain words, for the patient
}

type progressRow struct {
	At    time.Time
	When  string // At in the patient's time zone
	Total int
	Band  string
}

// progressViews builds a view per instrument with completed check-ins,
// marking past dosing sessions on the time axis.
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
		var pts []measure.Point
		var cpts []chart.Point
		for _, c := range by[id] {
			v.Rows = append(v.Rows, progressRow{At: c.CompletedAt, When: c.CompletedAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"), Total: c.Total, Band: c.Band})
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
		v.Thresholds, _ = measure.ThresholdsFor(id)
		if len(pts) > 0 {
			v.Baseline, v.Latest = v.Rows[0], v.Rows[len(v.Rows)-1]
			spec.Lines = append(spec.Lines, chart.Line{Value: float64(v.Baseline.Total), Label: "Baseline", Kind: "baseline"})
			if v.Thresholds.ResponseFraction > 0 && v.Baseline.Total > 0 {
				spec.Lines = append(spec.Lines, chart.Line{Value: math.Floor(float64(v.Baseline.Total) * (1 - v.Thresholds.ResponseFraction)), Label: "Response", Kind: "threshold"})
			}
		}
		spec.Desc = fmt.Sprintf("%d scores of %s.", len(pts), inst.Name)
		if len(pts) > 0 {
			spec.Desc += fmt.Sprintf(" First %d, latest %d.", v.Baseline.Total, v.Latest.Total)
		}
		v.SVG = template.HTML(chart.SVG(spec)) // chart escapes all text and uses no styles or scripts
		v.Outcome, v.HasOutcome = measure.Outcomes(id, pts)
		v.Plain = plainOutcome(inst, v)
		out = append(out, v)
	}
	return out
}

// plainOutcome says, for the patient, how the scores moved.
func plainOutcome(inst measure.Instrument, v progressView) string {
	if !v.HasOutcome {
		return fmt.Sprintf("Your first %s score is %d (%s). After your next check-in you will see how it changes.", inst.Name, v.Baseline.Total, strings.ToLower(v.Baseline.Band))
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
		move = fmt.Sprintf("%s lower than your first score of %d", points(-o.Change), o.Baseline)
	case o.Change > 0:
		move = fmt.Sprintf("%s higher than your first score of %d", points(o.Change), o.Baseline)
	default:
		move = fmt.Sprintf("the same as your first score of %d", o.Baseline)
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
	dosing, err := s.store.DosedAt(r.Context(), p.ID)
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

// outcomeGroup is one row of the dashboard.
type outcomeGroup struct {
	Name      string
	Courses   int
	Response  rate
	Remission rate
	Reliable  rate
}

type outcomesData struct {
	Instrument  measure.Instrument
	Instruments []measure.Instrument
	All         outcomeGroup
	ByTherapist []outcomeGroup
	ByPeriod    []outcomeGroup
	Literature  struct {
		Rate             float64
		N                int
		Citation, Caveat string
	}
	Scope    string
	Excluded int // series left out: baseline below caseness
	Caseness int
	ShowLit  bool // the literature figure is about depression: PHQ-9 only
}

// outcomeGroups computes response, remission and reliable improvement for
// series with a baseline at or above caseness and a follow-up (a patient
// who started below caseness cannot meaningfully respond or remit, as in
// HEDIS DRR-E), overall and grouped by key. It also returns how many series
// with a follow-up were left out for a baseline below caseness.
func outcomeGroups(series []store.Series, instrument string, key func(store.Series) string) (outcomeGroup, []outcomeGroup, int) {
	type acc struct{ n, resp, rem, rel int }
	all := acc{}
	groups := map[string]*acc{}
	excluded := 0
	for _, s := range series {
		if s.Instrument != instrument {
			continue
		}
		o, ok := measure.Outcomes(instrument, s.Points)
		if !ok {
			continue
		}
		if !o.CaseBaseline {
			excluded++
			continue
		}
		k := key(s)
		g := groups[k]
		if g == nil {
			g = &acc{}
			groups[k] = g
		}
		for _, a := range []*acc{&all, g} {
			a.n++
			if o.Response {
				a.resp++
			}
			if o.Remission {
				a.rem++
			}
			if o.ReliableImprovement {
				a.rel++
			}
		}
	}
	mk := func(name string, a acc) outcomeGroup {
		return outcomeGroup{Name: name, Courses: a.n, Response: newRate(a.resp, a.n), Remission: newRate(a.rem, a.n), Reliable: newRate(a.rel, a.n)}
	}
	var out []outcomeGroup
	for k, a := range groups {
		out = append(out, mk(k, *a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return mk("All patients", all), out, excluded
}

// handleOutcomes is the practice outcomes dashboard: response and
// remission with 95% Wilson intervals, by therapist and by the quarter of
// the latest score, beside the literature's figure.
func (s *Server) handleOutcomes(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("instrument")
	if id == "" {
		id = "phq9"
	}
	inst, ok := measure.Get(id)
	if _, hasT := measure.ThresholdsFor(id); !ok || !hasT {
		s.error(w, r, &clinic.Error{Code: clinic.EInvalid, Message: "Choose PHQ-9 or GAD-7."})
		return
	}
	series, err := s.store.OutcomeSeries(r.Context(), s.actor(r), "outcomes.read")
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := outcomesData{Instrument: inst}
	for _, x := range []string{"phq9", "gad7"} {
		i, _ := measure.Get(x)
		d.Instruments = append(d.Instruments, i)
	}
	d.All, d.ByTherapist, d.Excluded = outcomeGroups(series, id, func(s store.Series) string {
		if s.Therapist == "" {
			return "No owning therapist"
		}
		return s.Therapist
	})
	_, d.ByPeriod, _ = outcomeGroups(series, id, func(s store.Series) string {
		last := s.Points[len(s.Points)-1].At
		return strconv.Itoa(last.Year()) + " Q" + strconv.Itoa((int(last.Month())+2)/3)
	})
	d.Literature.Rate, d.Literature.N, d.Literature.Citation, d.Literature.Caveat = measure.Literature.Rate, measure.Literature.N, measure.Literature.Citation, measure.Literature.Caveat
	th, _ := measure.ThresholdsFor(id)
	d.Caseness, d.ShowLit = th.Caseness, id == "phq9"
	d.Scope = "every patient in the practice"
	if sessionFrom(r.Context()).User.Role != clinic.RoleAdmin {
		d.Scope = "the patients on your care teams"
	}
	s.render(w, r, http.StatusOK, "outcomes", "Outcomes", d)
}

// handleOutcomesCSV exports de-identified outcomes for research: a
// pseudonymous key per patient, days since baseline instead of dates, no
// names or contact details.
func (s *Server) handleOutcomesCSV(w http.ResponseWriter, r *http.Request) {
	series, err := s.store.OutcomeSeries(r.Context(), s.actor(r), "outcomes.export")
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Ordered by the pseudonymous key, so row order says nothing about who
	// came first.
	sort.SliceStable(series, func(i, j int) bool {
		if series[i].PatientKey != series[j].PatientKey {
			return series[i].PatientKey < series[j].PatientKey
		}
		return series[i].Instrument < series[j].Instrument
	})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kapstone-outcomes.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"patient_key", "instrument", "scores", "days_followed", "baseline", "latest", "change", "response", "remission", "reliable_improvement", "reliable_deterioration"})
	for _, x := range series {
		o, ok := measure.Outcomes(x.Instrument, x.Points)
		if !ok {
			continue
		}
		first, last := x.Points[0].At, x.Points[len(x.Points)-1].At
		cw.Write([]string{x.PatientKey, x.Instrument, strconv.Itoa(o.Points), strconv.Itoa(int(last.Sub(first).Hours() / 24)),
			strconv.Itoa(o.Baseline), strconv.Itoa(o.Latest), strconv.Itoa(o.Change),
			strconv.FormatBool(o.Response), strconv.FormatBool(o.Remission), strconv.FormatBool(o.ReliableImprovement), strconv.FormatBool(o.ReliableDeterioration)})
	}
	cw.Flush()
}
