package skills

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// chartWeeks is how many weeks of diary cards the chart page draws.
const chartWeeks = 8

// seriesChart is one urge or emotion drawn over the weeks.
type seriesChart struct {
	Label string
	SVG   template.HTML
}

// chartRow is one day of the chart's data table.
type chartRow struct {
	Day    string
	Values []string
}

// staffData is the chart's skills page: the shared diary card week, the
// urges and emotions charted, and the shared entries.
type staffData struct {
	Patient  *store.Patient
	Week     weekData
	Charts   []seriesChart
	Columns  []string // the data table's columns after the day
	Table    []chartRow
	Dosed    []string // dosing dates within the charted weeks, in words
	From     string
	Entries  []item
	Page     int
	More     bool
	Previous int
	Urges    []string // ids on the card now
	Choices  []clinic.Option
	Errors   map[string]string
	Notice   string
}

// pathPatient is the record the path names, with its zone and today.
func (s *Handlers) pathPatient(w http.ResponseWriter, r *http.Request) (*store.Patient, *time.Location, time.Time, bool) {
	p, _, err := s.Store.FindPatient(r.Context(), s.Actor(r), r.PathValue("patient"))
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, time.Time{}, false
	}
	loc, _ := s.PatientZone(r, p)
	now := s.Now().In(loc)
	return p, loc, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), true
}

// Chart is GET /patients/{patient}/skills: what the patient shared, for
// their care team: the diary card week (?week=), the last weeks charted
// against dosing dates, the shared entries a page at a time (?page=), and
// the urges agreed for the card.
func (s *Handlers) Chart(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "skills.read")
	if !ok {
		return
	}
	defer view.Close()
	s.chartPage(w, r, view, http.StatusOK, nil, nil)
}

// chartPage renders the skills chart, in view when there is one.
func (s *Handlers) chartPage(w http.ResponseWriter, r *http.Request, view *store.View, status int, errors map[string]string, typed []string) {
	ctx, actor := r.Context(), s.Actor(r)
	page := pageNumber(r)
	list, more, err := s.Store.SharedSkillList(ctx, actor, r.PathValue("patient"), "", page-1, pageSize)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, loc, today, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	monday := weekOf(r, today)
	from := mondayOf(today).AddDate(0, 0, -7*(chartWeeks-1))
	// The charted weeks in one read; a week shown from before them (the
	// "previous week" links go back without end) in a read of its own, so
	// neither read spans more than the store allows.
	cards, err := s.Store.SharedDiaryDays(ctx, actor, p.ID, from.Format(time.DateOnly), today.Format(time.DateOnly))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	weekCards := cards
	if monday.Before(from) {
		if weekCards, err = s.Store.SharedDiaryDays(ctx, actor, p.ID, monday.Format(time.DateOnly), monday.AddDate(0, 0, 6).Format(time.DateOnly)); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	urges, err := s.Store.DiaryUrges(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	dosed, err := s.Store.DosedAt(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := staffData{Patient: p, Week: buildWeek(monday, today, weekCards, clinic.UrgeOptions(urges)), Page: page, More: more, Previous: page - 1,
		Urges: urges, Choices: clinic.DiaryUrgeChoices, Errors: errors, From: from.Format("January 2, 2006")}
	if typed != nil {
		d.Urges = typed
	}
	d.Week.Patient = p
	for _, e := range list {
		d.Entries = append(d.Entries, itemOf(e, loc))
	}
	if r.URL.Query().Get("done") == "urges" {
		d.Notice = "Saved. The patient's diary card asks about these urges from now on."
	}
	s.charts(&d, cards, clinic.UrgeOptions(urges), dosed, from, today, loc)
	s.RenderView(w, r, view, status, "skills_chart", "Skills and diary card", d)
}

// charts draws each emotion and urge of the cards from from to today, one
// small chart each with the dosing sessions marked, and the same numbers
// as a table.
func (s *Handlers) charts(d *staffData, cards map[string]store.SkillEntry, urges []clinic.Option, dosed []time.Time, from, today time.Time, loc *time.Location) {
	var days []string
	for day := range cards {
		if day >= from.Format(time.DateOnly) {
			days = append(days, day)
		}
	}
	slices.Sort(days)
	at := func(day string) time.Time {
		t, _ := time.ParseInLocation(time.DateOnly, day, loc)
		return t.Add(12 * time.Hour)
	}
	var markers []chart.Marker
	for _, t := range dosed {
		if !t.Before(from) && !t.After(today.Add(24*time.Hour)) {
			markers = append(markers, chart.Marker{At: t, Label: "Dosing session"})
			d.Dosed = append(d.Dosed, t.In(loc).Format("Mon Jan 2"))
		}
	}
	type series struct {
		label string
		value func(c *clinic.DiaryCard) (float64, bool)
	}
	var all []series
	for _, u := range urges {
		all = append(all, series{"Urge: " + u.Label, func(c *clinic.DiaryCard) (float64, bool) {
			for _, cu := range c.Urges {
				if cu.ID == u.ID {
					return float64(cu.Level), true
				}
			}
			return 0, false
		}})
	}
	for _, e := range clinic.DiaryEmotions {
		all = append(all, series{e.Label, func(c *clinic.DiaryCard) (float64, bool) {
			v, ok := c.Emotions[e.ID]
			return float64(v), ok
		}})
	}
	for _, sr := range all {
		spec := chart.Spec{Title: sr.label + " (0-5)", YLabel: "0 to 5", YMin: 0, YMax: clinic.DiaryMax, Markers: markers, Width: 640, Height: 180, Loc: loc}
		for _, day := range days {
			c := cards[day]
			if v, ok := sr.value(c.Diary); ok {
				spec.Points = append(spec.Points, chart.Point{At: at(day), Value: v})
			}
		}
		spec.Desc = fmt.Sprintf("%s on %d shared diary card days since %s, with %d dosing sessions marked. The table below has the same numbers.", sr.label, len(spec.Points), from.Format("January 2"), len(markers))
		d.Charts = append(d.Charts, seriesChart{Label: sr.label, SVG: template.HTML(chart.SVG(spec))}) // chart escapes all text and uses no styles or scripts
		d.Columns = append(d.Columns, sr.label)
	}
	for _, day := range days {
		c := cards[day]
		row := chartRow{Day: at(day).Format("Mon Jan 2")}
		for _, sr := range all {
			v, ok := sr.value(c.Diary)
			row.Values = append(row.Values, map[bool]string{true: strconv.Itoa(int(v)), false: "–"}[ok])
		}
		d.Table = append(d.Table, row)
	}
}

// SaveUrges is POST /patients/{patient}/skills/urges: the care team sets
// the urges the patient's diary card asks about.
func (s *Handlers) SaveUrges(w http.ResponseWriter, r *http.Request) {
	urges := r.PostForm["urge"]
	err := s.Store.SetDiaryUrges(r.Context(), s.Actor(r), r.PathValue("patient"), urges)
	if err == nil {
		http.Redirect(w, r, "/patients/"+r.PathValue("patient")+"/skills?done=urges#urges", http.StatusSeeOther)
		return
	}
	if e, ok := err.(*clinic.Error); ok && len(e.Fields) > 0 {
		s.chartPage(w, r, nil, http.StatusUnprocessableEntity, e.Fields, append([]string{}, urges...))
		return
	}
	s.Error(w, r, err)
}

// entryData is one shared entry on the chart.
type entryData struct {
	Patient *store.Patient
	Entry   *store.SkillEntry
	Written string
	Shared  string
	Options []clinic.Option
	Skills  []clinic.Option
}

// StaffEntry is GET /patients/{patient}/skills/{entry}: one entry the patient
// shared, read-only. A private entry is a page that does not exist.
func (s *Handlers) StaffEntry(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.PatientView(w, r, r.PathValue("patient"), "skills.read")
	if !ok {
		return
	}
	defer view.Close()
	e, err := s.Store.SharedSkillEntry(r.Context(), s.Actor(r), r.PathValue("patient"), r.PathValue("entry"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, loc, _, ok := s.pathPatient(w, r)
	if !ok {
		return
	}
	d := entryData{Patient: p, Entry: e, Written: e.CreatedAt.In(loc).Format("Monday, January 2, 2006, 15:04"), Options: clinic.ProblemOptions, Skills: clinic.DiarySkills}
	if e.SharedAt != nil {
		d.Shared = e.SharedAt.In(loc).Format("Monday, January 2, 2006, 15:04")
	}
	s.RenderView(w, r, view, http.StatusOK, "skill_entry", e.Title, d)
}

// ChoiceLabel is the words of a four-options choice.
func (d entryData) ChoiceLabel(id string) string {
	return clinic.OptionLabel(clinic.ProblemOptions, id)
}

// SkillLabel is the words of a diary card skill.
func (d entryData) SkillLabel(id string) string { return clinic.OptionLabel(clinic.DiarySkills, id) }

// HasUrge reports whether id is on the card (or ticked on a form that
// failed).
func (d staffData) HasUrge(id string) bool { return slices.Contains(d.Urges, id) }

// Feelings are the diary card's feelings in words with their ratings, in
// the card's order ("Sadness 3").
func (d entryData) Feelings() []string {
	var out []string
	if d.Entry == nil || d.Entry.Diary == nil {
		return nil
	}
	for _, e := range clinic.DiaryEmotions {
		if v, ok := d.Entry.Diary.Emotions[e.ID]; ok {
			out = append(out, e.Label+" "+strconv.Itoa(v))
		}
	}
	return out
}
