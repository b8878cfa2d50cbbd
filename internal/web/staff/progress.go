package staff

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/csvsafe"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) AssignMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.Store.AssignMeasure(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("instrument"), r.PostFormValue("cadence"))
	s.chartForm(w, r, err, "measures", "measures")
}

func (s *Handlers) EndMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.Store.EndAssignment(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("instrument"))
	s.chartForm(w, r, err, "measures", "measures")
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
	ITT        bool    // the rates are over FollowedUp + Missing
	MeanChange float64 // the mean change from baseline to follow-up, over FollowedUp
	// Hidden: the row counts too few people to show to someone without a
	// per-patient view (measure.MinCell), or hides another that does.
	Hidden bool
	// Masked: the table is shown without a per-patient view, so a small
	// count of courses without a follow-up is shown as "fewer than 5".
	Masked bool
}

// MissingText is Missing as shown: "fewer than 5" when masked and small.
func (g outcomeGroup) MissingText() string {
	if g.Masked {
		return measure.CellText(g.Missing)
	}
	return strconv.Itoa(g.Missing)
}

// groupTally is a tally with the sum of its followed-up courses' changes.
type groupTally struct {
	measure.Tally
	changes int
}

func (g *groupTally) add(c measure.CourseOutcome, n int) {
	g.AddN(c, n)
	if c.CaseBaseline && c.Status == measure.FollowUpDone {
		g.changes += n * c.Outcome.Change
	}
}

func newGroup(name string, t groupTally, itt bool) outcomeGroup {
	n := t.FollowedUp
	if itt {
		n = t.IntentionToTreat()
	}
	g := outcomeGroup{Name: name, FollowedUp: t.FollowedUp, Missing: t.Missing, ITT: itt,
		Response: newRate(t.Response, n), Remission: newRate(t.Remission, n), Reliable: newRate(t.Reliable, n)}
	if t.FollowedUp > 0 {
		g.MeanChange = float64(t.changes) / float64(t.FollowedUp)
	}
	return g
}

// Courses is how many courses the row's rates are over.
func (g outcomeGroup) Courses() int {
	if g.ITT {
		return g.FollowedUp + g.Missing
	}
	return g.FollowedUp
}

// CoursesText is Courses as shown in a suppressed table: "fewer than 5",
// or "hidden" for a row hidden so that another cannot be worked out.
func (g outcomeGroup) CoursesText() string {
	switch {
	case measure.Suppressed(g.Courses()):
		return measure.CellText(g.Courses())
	case g.Hidden:
		return "hidden"
	}
	return strconv.Itoa(g.Courses())
}

// suppress hides the rows of one grouping (by therapist, by quarter) that
// count too few people in any of the counts they show, and one more when
// that hides a single row (measure.SuppressGroup), for a table shown
// without a per-patient view.
func suppress(groups []outcomeGroup) {
	rows := make([][]int, len(groups))
	for i, g := range groups {
		rows[i] = []int{g.FollowedUp, g.Missing}
	}
	for i, hide := range measure.SuppressGroup(rows) {
		groups[i].Hidden = hide
	}
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
	// Suppress: the viewer has no per-patient view (auth.PermCaseload), so
	// counts under measure.MinCell are shown as "fewer than 5".
	Suppress bool

	// The follow-up window's form, for an administrator.
	CanEditWindow bool
	Form          url.Values
	Errors        map[string]string
	Notice        string
}

// Count is n as the page shows it: "fewer than 5" when suppressed.
func (d outcomesData) Count(n int) string {
	if d.Suppress {
		return measure.CellText(n)
	}
	return strconv.Itoa(n)
}

// MinCell is the smallest count shown when suppressed (measure.MinCell).
func (d outcomesData) MinCell() int { return measure.MinCell }

// Plural reports whether n is written with a plural noun ("courses"),
// always when it is suppressed, so the grammar does not tell a 1.
func (d outcomesData) Plural(n int) bool {
	return n != 1 || d.Suppress && measure.Suppressed(n)
}

// outcomeGroups tallies courses overall and grouped by key (measure.Tally:
// a course whose baseline was below caseness is counted apart, as in HEDIS
// DRR-E; a course still waiting for its follow-up is not yet counted).
func outcomeGroups(counts []store.OutcomeCount, key func(store.OutcomeCount) string) (groupTally, []outcomeGroup) {
	var all groupTally
	groups := map[string]*groupTally{}
	for _, c := range counts {
		all.add(c.Outcome, c.N)
		if !c.Outcome.CaseBaseline || c.Outcome.Status == measure.FollowUpPending {
			continue
		}
		k := key(c)
		if groups[k] == nil {
			groups[k] = &groupTally{}
		}
		groups[k].add(c.Outcome, c.N)
	}
	var out []outcomeGroup
	for k, t := range groups {
		out = append(out, newGroup(k, *t, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return all, out
}

// outcomeTable is the dashboard's table for one instrument: all courses
// (with a follow-up; intention to treat), by therapist and by quarter,
// with small cells hidden when suppressed.
func outcomeTable(counts []store.OutcomeCount, suppressed bool) (t groupTally, all, itt outcomeGroup, byTherapist, byPeriod []outcomeGroup) {
	t, byTherapist = outcomeGroups(counts, func(c store.OutcomeCount) string {
		if c.Therapist == "" {
			return "No owning therapist"
		}
		return c.Therapist
	})
	_, byPeriod = outcomeGroups(counts, quarter)
	all, itt = newGroup("All courses", t, false), newGroup("All courses, intention to treat", t, true)
	if suppressed {
		// The first line shows a small count of courses without a
		// follow-up as "fewer than 5"; the second line, whose courses
		// minus the first's would tell it, is hidden then.
		all.Masked, itt.Masked = true, true
		all.Hidden = measure.Suppressed(all.Courses())
		itt.Hidden = measure.Suppressed(itt.Courses()) || all.Hidden || measure.Suppressed(all.Missing)
		suppress(byTherapist)
		suppress(byPeriod)
	}
	return t, all, itt, byTherapist, byPeriod
}

// quarter is the calendar quarter of a course's follow-up score, or of its
// window's close when it has none (measure.CourseOutcome.Period).
func quarter(c store.OutcomeCount) string { return c.Period }

// Outcomes is the practice outcomes dashboard, per course: response,
// remission and reliable improvement with 95% Wilson intervals over the
// courses with a follow-up score, the courses without one as a count and,
// in a second line, as non-responders (intention to treat); by therapist
// and by quarter; beside the literature's figure with its own interval and
// time point.
func (s *Handlers) Outcomes(w http.ResponseWriter, r *http.Request) {
	s.outcomesPage(w, r, http.StatusOK, nil, nil)
}

// outcomesPage renders the dashboard; form and errors are the window form
// as typed when it failed.
func (s *Handlers) outcomesPage(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs map[string]string) {
	id := r.URL.Query().Get("instrument")
	if id == "" {
		id = "phq9"
	}
	inst, ok := measure.Get(id)
	th, hasT := measure.ThresholdsFor(id)
	if !ok || !hasT {
		s.Error(w, r, &clinic.Error{Code: clinic.EInvalid, Message: "Choose PHQ-9 or GAD-7."})
		return
	}
	counts, win, err := s.Store.OutcomeCounts(r.Context(), s.Actor(r), "outcomes.read", []string{id})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := outcomesData{Instrument: inst, Window: win, Literature: measure.Literature, Caseness: th.Caseness, ShowLit: id == "phq9", Errors: errs}
	for _, x := range []string{"phq9", "gad7"} {
		i, _ := measure.Get(x)
		d.Instruments = append(d.Instruments, i)
	}
	// Per-course figures are for those with a caseload (their own
	// patients); anyone else, an administrator, sees aggregates with small
	// cells hidden (measure.MinCell).
	d.Suppress = !perPatient(r)
	var t groupTally
	t, d.All, d.AllITT, d.ByTherapist, d.ByPeriod = outcomeTable(counts, d.Suppress)
	d.Tally = t.Tally
	lo, hi := d.Literature.Interval()
	d.LitLo, d.LitHi = 100*lo, 100*hi
	d.Scope = "every patient in the practice"
	if !auth.Can(shell.SessionFrom(r.Context()).User.Role, auth.RelNone, auth.PermDirectory) {
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
	s.Render(w, r, status, "outcomes", "Outcomes", d)
}

// perPatient reports whether the signed-in person may see per-course
// (per-patient) outcomes: those with a caseload, for the patients on their
// care teams. An administrator has none (auth.PermCaseload).
func perPatient(r *http.Request) bool {
	return auth.Can(shell.SessionFrom(r.Context()).User.Role, auth.RelNone, auth.PermCaseload)
}

// OutcomeWindow saves the practice's follow-up window, for an
// administrator; bad weeks re-render the dashboard with the input and a
// message at the field.
func (s *Handlers) OutcomeWindow(w http.ResponseWriter, r *http.Request) {
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
	err := s.Store.SaveOutcomeWindow(r.Context(), s.Actor(r), win)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		for k, v := range e.Fields {
			if fe[k] == "" {
				fe[k] = v
			}
		}
		err = nil
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(fe) > 0 {
		s.outcomesPage(w, r, http.StatusUnprocessableEntity, r.PostForm, fe)
		return
	}
	http.Redirect(w, r, "/outcomes?done=window#window", http.StatusSeeOther)
}

// OutcomesCSV exports outcomes for research. For someone with a
// caseload: per course of the patients on their care teams, a
// pseudonymous key per patient, the course's number, days from the
// baseline instead of dates, no names or contact details. For anyone
// else (an administrator): only the dashboard's aggregates per
// instrument, overall, by therapist and by quarter, with cells of fewer
// than measure.MinCell courses shown as "fewer than 5". Every cell goes
// through csvsafe, so no text can start a spreadsheet formula.
func (s *Handlers) OutcomesCSV(w http.ResponseWriter, r *http.Request) {
	instruments := []string{"phq9", "gad7"}
	if !perPatient(r) {
		counts, win, err := s.Store.OutcomeCounts(r.Context(), s.Actor(r), "outcomes.export", instruments)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		cw := outcomesCSV(w)
		aggregateCSV(cw, counts, win, instruments)
		cw.Flush()
		return
	}
	// Each row is written as it is read (the store reads a page of courses
	// at a time), so the export's memory does not grow with the practice.
	// Rows come in order of the pseudonymous key, so row order says nothing
	// about who came first.
	var cw *csvsafe.Writer
	start := func() {
		cw = outcomesCSV(w)
		cw.Header("patient_key", "instrument", "course", "scores", "window_weeks", "follow_up", "case_at_baseline", "baseline",
			"follow_up_day", "follow_up_score", "change", "response", "remission", "reliable_improvement", "reliable_deterioration")
	}
	err := s.Store.ExportOutcomes(r.Context(), s.Actor(r), "outcomes.export", instruments, func(win measure.Window, x store.CourseResult) error {
		if cw == nil {
			start()
		}
		c := x.Outcome
		row := []csvsafe.Cell{csvsafe.Text(x.PatientKey), csvsafe.Text(x.Instrument), csvsafe.Int(x.Course), csvsafe.Int(c.Scores), csvsafe.Text(win.String()), csvsafe.Text(string(c.Status)),
			csvsafe.Bool(c.CaseBaseline), csvsafe.Int(c.Baseline.Total)}
		if c.Status == measure.FollowUpDone {
			o := c.Outcome
			row = append(row, csvsafe.Int(int(c.FollowUp.At.Sub(c.Baseline.At).Hours()/24)), csvsafe.Int(o.Latest), csvsafe.Int(o.Change),
				csvsafe.Bool(o.Response), csvsafe.Bool(o.Remission), csvsafe.Bool(o.ReliableImprovement), csvsafe.Bool(o.ReliableDeterioration))
		} else {
			for range 7 {
				row = append(row, csvsafe.Text(""))
			}
		}
		return cw.Row(row...) // a client that has gone stops the read
	})
	switch {
	case err != nil && cw == nil:
		s.Error(w, r, err)
	case err != nil:
		// Rows have gone out: cut the response, so the client sees a
		// failed download rather than a short file.
		if r.Context().Err() == nil {
			s.Log.Error("outcomes export failed after its first rows", "request_id", shell.RequestID(r.Context()), "route", r.Pattern, "err", err.Error())
		}
		panic(http.ErrAbortHandler)
	case cw == nil:
		start()
		fallthrough
	default:
		cw.Flush()
	}
}

// outcomesCSV starts the outcomes export's CSV download on w.
func outcomesCSV(w http.ResponseWriter) *csvsafe.Writer {
	shell.Attachment(w, "text/csv; charset=utf-8", "kapstone-outcomes.csv")
	return csvsafe.NewWriter(w)
}

// aggregateCSV writes the dashboard's rows for each instrument, a hidden
// row's figures as "fewer than 5" (or "hidden", for one hidden so that
// another cannot be worked out).
func aggregateCSV(cw *csvsafe.Writer, counts []store.OutcomeCount, win measure.Window, instruments []string) {
	cw.Header("instrument", "window_weeks", "group", "name", "courses", "followed_up", "no_follow_up", "mean_change",
		"response", "response_pct", "remission", "remission_pct", "reliable_improvement", "reliable_improvement_pct")
	for _, id := range instruments {
		var mine []store.OutcomeCount
		for _, c := range counts {
			if c.Instrument == id {
				mine = append(mine, c)
			}
		}
		_, all, itt, byTherapist, byPeriod := outcomeTable(mine, true)
		type kind struct {
			group string
			outcomeGroup
		}
		rows := []kind{{"all", all}, {"all_intention_to_treat", itt}}
		for _, g := range byTherapist {
			rows = append(rows, kind{"therapist", g})
		}
		for _, g := range byPeriod {
			rows = append(rows, kind{"quarter", g})
		}
		for _, k := range rows {
			g := k.outcomeGroup
			row := []csvsafe.Cell{csvsafe.Text(id), csvsafe.Text(win.String()), csvsafe.Text(k.group), csvsafe.Text(g.Name)}
			if g.Hidden {
				hidden := csvsafe.Text(g.CoursesText())
				for range 10 {
					row = append(row, hidden)
				}
				cw.Row(row...)
				continue
			}
			missing := csvsafe.Int(g.Missing)
			if measure.Suppressed(g.Missing) {
				missing = csvsafe.Text(measure.CellText(g.Missing))
			}
			row = append(row, csvsafe.Int(g.Courses()), csvsafe.Int(g.FollowedUp), missing, csvsafe.Float(g.MeanChange, 1))
			for _, rt := range []rate{g.Response, g.Remission, g.Reliable} {
				row = append(row, csvsafe.Int(rt.K), csvsafe.Float(rt.Pct, 1))
			}
			cw.Row(row...)
		}
	}
}
