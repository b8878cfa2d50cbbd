package staff

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

func (s *Handlers) AssignMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.Store.AssignMeasure(r.Context(), s.Actor(r), r.PathValue("patient"), r.PostFormValue("instrument"), r.PostFormValue("cadence"))
	s.chartForm(w, r, err, "measures")
}

func (s *Handlers) EndMeasure(w http.ResponseWriter, r *http.Request) {
	err := s.Store.EndAssignment(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("instrument"))
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
	results, win, err := s.Store.Outcomes(r.Context(), s.Actor(r), "outcomes.read", []string{id})
	if err != nil {
		s.Error(w, r, err)
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

// OutcomesCSV exports de-identified outcomes per course for
// research: a pseudonymous key per patient, the course's number, days
// from the baseline instead of dates, no names or contact details.
func (s *Handlers) OutcomesCSV(w http.ResponseWriter, r *http.Request) {
	results, win, err := s.Store.Outcomes(r.Context(), s.Actor(r), "outcomes.export", []string{"phq9", "gad7"})
	if err != nil {
		s.Error(w, r, err)
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
