// Package skills is the web face of the patient's DBT skills tools and
// diary card (issue 17, item 2): in the portal, the patient's own emotion
// logs, cope-ahead plans, four-options worksheets and diary card days,
// each private unless they share it; on the chart, what they shared, the
// diary card week by week and charted against dosing dates. The lists and
// checks are internal/clinic/dbt.go; the store keeps private entries from
// everyone but the patient.
package skills

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Handlers serves the skills pages.
type Handlers struct {
	*shell.App
}

// New returns the skills handlers over the shared state.
func New(app *shell.App) *Handlers {
	return &Handlers{App: app}
}

// pageSize is how many entries a page lists.
const pageSize = 20

// scale is the diary card's 0-5 choices, as the forms show them.
var scale = []string{"0", "1", "2", "3", "4", "5"}

// item is one entry in a list.
type item struct {
	ID, Kind, Title, Written string
	Shared                   bool
}

func itemOf(e store.SkillEntry, loc *time.Location) item {
	return item{ID: e.ID, Kind: e.Kind, Title: e.Title, Written: e.CreatedAt.In(loc).Format("Mon Jan 2, 15:04"), Shared: e.Shared}
}

// homeData is the portal's skills page.
type homeData struct {
	Kinds    []clinic.SkillKind
	Entries  []item
	Page     int // from 1
	More     bool
	Previous int
	Notice   string
	// HarmUrges: the diary card just saved rates urges to self-harm or
	// suicide (clinic.DiaryCard.HarmUrges): crisis help goes first.
	HarmUrges bool
	Today     string // YYYY-MM-DD
	Monday    string // this week's Monday, for the week view
}

// pageNumber is ?page= (from 1).
func pageNumber(r *http.Request) int {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 10000 {
		return 1
	}
	return page
}

// mondayOf is the Monday of the week of day.
func mondayOf(day time.Time) time.Time {
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// ownPatient is the signed-in patient, their zone and their today.
func (s *Handlers) ownPatient(w http.ResponseWriter, r *http.Request) (*store.Patient, *time.Location, time.Time, bool) {
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return nil, nil, time.Time{}, false
	}
	loc, _ := s.PatientZone(r, p)
	now := s.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return p, loc, today, true
}

// ownView is ownPatient for a page that reads the patient's record in one
// view (one read transaction, one audit row named action: shell.OwnView).
// The caller defers view.Close and answers with RenderView.
func (s *Handlers) ownView(w http.ResponseWriter, r *http.Request, action string) (*http.Request, *store.View, *store.Patient, *time.Location, time.Time, bool) {
	r, view, p, ok := s.OwnView(w, r, action)
	if !ok {
		return r, nil, nil, nil, time.Time{}, false
	}
	loc, _ := s.PatientZone(r, p)
	now := s.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return r, view, p, loc, today, true
}

// Home is GET /portal/skills: the tools to start, and the patient's
// entries, newest first, a page at a time.
func (s *Handlers) Home(w http.ResponseWriter, r *http.Request) {
	r, view, p, loc, today, ok := s.ownView(w, r, "skills.read")
	if !ok {
		return
	}
	defer view.Close()
	page := pageNumber(r)
	list, more, err := s.Store.OwnSkillEntries(r.Context(), s.Actor(r), p.ID, "", page-1, pageSize)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := homeData{Kinds: clinic.SkillKinds, Page: page, More: more, Previous: page - 1, Today: today.Format(time.DateOnly), Monday: mondayOf(today).Format(time.DateOnly)}
	for _, e := range list {
		d.Entries = append(d.Entries, itemOf(e, loc))
	}
	// The notice says what the entry named is now, read from the record
	// (never from the URL alone); a diary card with urges to self-harm or
	// suicide brings crisis help to the top.
	if done, id := r.URL.Query().Get("done"), r.URL.Query().Get("entry"); done != "" && id != "" {
		if e, err := s.Store.OwnSkillEntry(r.Context(), s.Actor(r), p.ID, id); err == nil {
			switch {
			case done == "shared" && e.Shared:
				d.Notice = "Saved, and shared with your care team. They read shared entries before your next session, not as they arrive."
			case done == "private" && !e.Shared:
				d.Notice = "Saved. This entry is private: only you can read it."
			}
			d.HarmUrges = d.Notice != "" && e.Diary != nil && e.Diary.HarmUrges()
		}
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_skills", "Skills", d)
}

// formData is the form of one kind of entry, new or open to edit.
type formData struct {
	Kind    clinic.SkillKind
	EntryID string
	Written string
	Shared  bool
	V       map[string]string // each field's value as typed or saved
	Skills  map[string]bool   // the diary card's ticked skills
	Errors  map[string]string
	Error   string
	Today   string
	Scale   []string
	Urges   []clinic.Option

	EmotionWords   []string
	ProblemOptions []clinic.Option
	DiaryEmotions  []clinic.Option
	DiarySkills    []clinic.Option
}

func (s *Handlers) newForm(r *http.Request, p *store.Patient, kind clinic.SkillKind, today time.Time) (formData, error) {
	urges, err := s.Store.DiaryUrges(r.Context(), s.Actor(r), p.ID)
	if err != nil {
		return formData{}, err
	}
	return formData{
		Kind: kind, V: map[string]string{}, Skills: map[string]bool{}, Today: today.Format(time.DateOnly), Scale: scale,
		Urges: clinic.UrgeOptions(urges), EmotionWords: clinic.EmotionWords, ProblemOptions: clinic.ProblemOptions,
		DiaryEmotions: clinic.DiaryEmotions, DiarySkills: clinic.DiarySkills,
	}, nil
}

// fill puts a form's values into d, as typed.
func (d *formData) fill(f url.Values) {
	for k, v := range f {
		if len(v) > 0 && k != "skill" {
			d.V[k] = v[0]
		}
	}
	for _, id := range f["skill"] {
		d.Skills[id] = true
	}
}

// valuesOf is a saved entry as the form's values.
func valuesOf(e *store.SkillEntry) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	switch {
	case e.Emotion != nil:
		set("feeling", e.Emotion.Feeling)
		set("intensity", strconv.Itoa(e.Emotion.Intensity))
		set("body", e.Emotion.Body)
		set("message", e.Emotion.Message)
		set("validation", e.Emotion.Validation)
	case e.Cope != nil:
		set("situation", e.Cope.Situation)
		set("on", e.Cope.On)
		set("hard", e.Cope.Hard)
		set("skills", e.Cope.Skills)
		set("rehearsal", e.Cope.Rehearsal)
		set("call", e.Cope.Call)
	case e.Options != nil:
		set("problem", e.Options.Problem)
		set("choice", e.Options.Choice)
		set("first_step", e.Options.FirstStep)
	case e.Diary != nil:
		set("day", e.Diary.Day)
		for k, v := range e.Diary.Emotions {
			set("emotion_"+k, strconv.Itoa(v))
		}
		for _, u := range e.Diary.Urges {
			set("urge_"+u.ID, strconv.Itoa(u.Level))
			set("acted_"+u.ID, map[bool]string{true: "yes", false: "no"}[u.Acted])
		}
		f["skill"] = e.Diary.Skills
		if e.Diary.Sleep != nil {
			set("sleep", strconv.FormatFloat(*e.Diary.Sleep, 'f', -1, 64))
		}
		set("note", e.Diary.Note)
	}
	return f
}

// New is GET /portal/skills/new?kind=: a blank form of that kind (a
// diary card for ?day=, today by default; a day that has a card opens it).
func (s *Handlers) New(w http.ResponseWriter, r *http.Request) {
	p, _, today, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	kind, known := clinic.SkillKindOf(r.URL.Query().Get("kind"))
	if !known {
		s.NotFound(w, r)
		return
	}
	d, err := s.newForm(r, p, kind, today)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if kind.ID == clinic.SkillDiary {
		day := today.Format(time.DateOnly)
		if q := r.URL.Query().Get("day"); q != "" {
			if t, err := time.Parse(time.DateOnly, q); err == nil && !t.After(today) {
				day = q
			}
		}
		cards, err := s.Store.OwnDiaryDays(r.Context(), s.Actor(r), p.ID, day, day)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if c, ok := cards[day]; ok {
			http.Redirect(w, r, "/portal/skills/"+c.ID, http.StatusSeeOther)
			return
		}
		d.V["day"] = day
	}
	s.Render(w, r, http.StatusOK, "portal_skill", kind.Title, d)
}

// Entry is GET /portal/skills/{entry}: one of the patient's entries, open
// to edit and to share or make private.
func (s *Handlers) Entry(w http.ResponseWriter, r *http.Request) {
	r, view, p, loc, today, ok := s.ownView(w, r, "skills.read")
	if !ok {
		return
	}
	defer view.Close()
	e, err := s.Store.OwnSkillEntry(r.Context(), s.Actor(r), p.ID, r.PathValue("entry"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	kind, _ := clinic.SkillKindOf(e.Kind)
	d, err := s.newForm(r, p, kind, today)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.EntryID, d.Shared, d.Written = e.ID, e.Shared, e.CreatedAt.In(loc).Format("Monday, January 2, 2006")
	d.fill(valuesOf(e))
	s.RenderView(w, r, view, http.StatusOK, "portal_skill", e.Title, d)
}

// Save is POST /portal/skills: a new entry or a change to one. A form
// that cannot be saved comes back with everything typed and the problem
// at its field.
func (s *Handlers) Save(w http.ResponseWriter, r *http.Request) {
	p, loc, today, ok := s.ownPatient(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	kind, known := clinic.SkillKindOf(f.Get("kind"))
	if !known {
		s.NotFound(w, r)
		return
	}
	in := store.SkillInput{EntryID: f.Get("entry"), Kind: kind.ID, Form: f, Shared: f.Get("shared") == "yes", Today: today.Format(time.DateOnly)}
	ctx, actor := r.Context(), s.Actor(r)
	id, err := s.Store.SaveSkillEntry(ctx, actor, p.ID, in)
	if err == nil {
		done := map[bool]string{true: "shared", false: "private"}[in.Shared]
		http.Redirect(w, r, "/portal/skills?done="+done+"&entry="+id+"#entry-"+id, http.StatusSeeOther)
		return
	}
	code := clinic.ErrorCode(err)
	if code != clinic.EInvalid && code != clinic.EConflict {
		s.Error(w, r, err)
		return
	}
	d, ferr := s.newForm(r, p, kind, today)
	if ferr != nil {
		s.Error(w, r, ferr)
		return
	}
	if in.EntryID != "" {
		e, ferr := s.Store.OwnSkillEntry(ctx, actor, p.ID, in.EntryID)
		if ferr != nil {
			s.Error(w, r, ferr)
			return
		}
		d.EntryID, d.Written = e.ID, e.CreatedAt.In(loc).Format("Monday, January 2, 2006")
	}
	d.fill(f)
	d.Shared = in.Shared
	if e, ok := err.(*clinic.Error); ok && len(e.Fields) > 0 {
		d.Errors = e.Fields
	} else {
		d.Error = clinic.ErrorMessage(err)
	}
	s.Render(w, r, http.StatusUnprocessableEntity, "portal_skill", kind.Title, d)
}

// Share is POST /portal/skills/{entry}/share: shared=yes shares the entry
// with the care team, anything else makes it private.
func (s *Handlers) Share(w http.ResponseWriter, r *http.Request) {
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	shared := r.PostForm.Get("shared") == "yes"
	if err := s.Store.ShareSkillEntry(r.Context(), s.Actor(r), p.ID, r.PathValue("entry"), shared); err != nil {
		s.Error(w, r, err)
		return
	}
	done := map[bool]string{true: "shared", false: "private"}[shared]
	http.Redirect(w, r, "/portal/skills?done="+done+"&entry="+r.PathValue("entry")+"#entry-"+r.PathValue("entry"), http.StatusSeeOther)
}

// weekDay is one column of the diary card week.
type weekDay struct {
	Day, Label string // YYYY-MM-DD; "Mon 1"
	Card       *store.SkillEntry
	Future     bool
}

// weekRow is one line of the week's table: a label and each day's value.
type weekRow struct {
	Label  string
	Values []string
}

// weekData is a diary card week, Monday to Sunday.
type weekData struct {
	Patient        *store.Patient // on the chart; nil in the portal
	Monday, Sunday string         // in words
	Prev, Next     string         // YYYY-MM-DD of the weeks around; Next "" when it is to come
	Days           []weekDay
	Rows           []weekRow
	Cards          int
}

// weekOf reads ?week= (a Monday, YYYY-MM-DD), defaulting to this week's.
func weekOf(r *http.Request, today time.Time) time.Time {
	if t, err := time.Parse(time.DateOnly, r.URL.Query().Get("week")); err == nil && !t.After(today) {
		return mondayOf(t)
	}
	return mondayOf(today)
}

// buildWeek lays out the cards of the week from monday.
func buildWeek(monday, today time.Time, cards map[string]store.SkillEntry, urges []clinic.Option) weekData {
	d := weekData{Monday: monday.Format("Monday, January 2"), Sunday: monday.AddDate(0, 0, 6).Format("Sunday, January 2, 2006"),
		Prev: monday.AddDate(0, 0, -7).Format(time.DateOnly)}
	if next := monday.AddDate(0, 0, 7); !next.After(today) {
		d.Next = next.Format(time.DateOnly)
	}
	for i := range 7 {
		day := monday.AddDate(0, 0, i)
		wd := weekDay{Day: day.Format(time.DateOnly), Label: day.Format("Mon 2"), Future: day.After(today)}
		if c, ok := cards[wd.Day]; ok {
			wd.Card = &c
			d.Cards++
		}
		d.Days = append(d.Days, wd)
	}
	row := func(label string, v func(c *clinic.DiaryCard) string) {
		wr := weekRow{Label: label}
		for _, wd := range d.Days {
			val := ""
			if wd.Card != nil {
				val = v(wd.Card.Diary)
			}
			wr.Values = append(wr.Values, val)
		}
		d.Rows = append(d.Rows, wr)
	}
	for _, e := range clinic.DiaryEmotions {
		row(e.Label+" (0-5)", func(c *clinic.DiaryCard) string { return strconv.Itoa(c.Emotions[e.ID]) })
	}
	// The patient's urges now, and any an older card rated.
	seen := map[string]bool{}
	for _, u := range urges {
		seen[u.ID] = true
	}
	for _, wd := range d.Days {
		if wd.Card != nil {
			for _, u := range wd.Card.Diary.Urges {
				if !seen[u.ID] {
					seen[u.ID] = true
					urges = append(urges, clinic.Option{ID: u.ID, Label: u.Label})
				}
			}
		}
	}
	for _, u := range urges {
		row("Urge: "+u.Label+" (0-5)", func(c *clinic.DiaryCard) string {
			for _, cu := range c.Urges {
				if cu.ID == u.ID {
					if cu.Acted {
						return strconv.Itoa(cu.Level) + ", acted on"
					}
					return strconv.Itoa(cu.Level)
				}
			}
			return "–"
		})
	}
	row("Skills used", func(c *clinic.DiaryCard) string {
		var out []string
		for _, id := range c.Skills {
			out = append(out, clinic.OptionLabel(clinic.DiarySkills, id))
		}
		return strings.Join(out, ", ")
	})
	row("Sleep (hours)", func(c *clinic.DiaryCard) string {
		if c.Sleep == nil {
			return ""
		}
		return strconv.FormatFloat(*c.Sleep, 'f', -1, 64)
	})
	row("Note", func(c *clinic.DiaryCard) string { return c.Note })
	return d
}

// Week is GET /portal/skills/week?week=: the patient's own diary card
// week, Monday to Sunday.
func (s *Handlers) Week(w http.ResponseWriter, r *http.Request) {
	r, view, p, _, today, ok := s.ownView(w, r, "skills.read")
	if !ok {
		return
	}
	defer view.Close()
	monday := weekOf(r, today)
	ctx, actor := r.Context(), s.Actor(r)
	cards, err := s.Store.OwnDiaryDays(ctx, actor, p.ID, monday.Format(time.DateOnly), monday.AddDate(0, 0, 6).Format(time.DateOnly))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	urges, err := s.Store.DiaryUrges(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.RenderView(w, r, view, http.StatusOK, "portal_diary_week", "Your diary card week", buildWeek(monday, today, cards, clinic.UrgeOptions(urges)))
}

// scaleView is one 0-5 question of the diary card.
type scaleView struct {
	Name, Label, Value, Error string
	Scale                     []string
}

// ScaleOf is the 0-5 question name with its value (0 until chosen) and
// error.
func (d formData) ScaleOf(name, label string) scaleView {
	v := d.V[name]
	if v == "" {
		v = "0"
	}
	return scaleView{Name: name, Label: label, Value: v, Error: d.Errors[name], Scale: d.Scale}
}
