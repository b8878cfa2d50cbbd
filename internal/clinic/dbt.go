package clinic

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The DBT skills worksheets and the diary card (issue 17, item 2): the
// patient's own entries between sessions. Every list and scale the forms
// show, and every check of what comes back, lives here once.
//
// Source: REFERENCE.md section 6 (DBT diary card: emotion intensities 0-5,
// urges 0-5 for the target behaviours agreed with the therapist with
// "acted on" yes/no, skills used, sleep, a free note, reviewed weekly;
// worksheets for naming emotions, cope ahead and the four options for any
// problem). Linehan's exact wording and her 0-7 skills scale are
// unconfirmed there, so the wording below is the practice's own and skills
// are recorded as used or not.

// Skill entry kinds.
const (
	SkillEmotion   = "emotion"
	SkillCopeAhead = "cope"
	SkillOptions   = "options"
	SkillDiary     = "diary"
)

// SkillKind is one kind of entry, as the portal names it.
type SkillKind struct {
	ID, Title, Blurb string
}

// SkillKinds are the kinds of entry, in the order the portal offers them.
var SkillKinds = []SkillKind{
	{SkillEmotion, "Name a feeling", "What you feel, how strong it is, and what it might be telling you."},
	{SkillCopeAhead, "Cope ahead", "Plan for something hard that is coming up."},
	{SkillOptions, "Four options for a problem", "Look at the ways you could meet a problem, and pick a first step."},
	{SkillDiary, "Diary card", "A minute a day: feelings, urges, skills and sleep."},
}

// SkillKindOf returns the kind with id, and whether there is one.
func SkillKindOf(id string) (SkillKind, bool) {
	for _, k := range SkillKinds {
		if k.ID == id {
			return k, true
		}
	}
	return SkillKind{}, false
}

// EmotionWords are the feelings the emotion log offers, in alphabetical
// order: plain words a person can pick from when naming is hard.
var EmotionWords = []string{
	"afraid", "angry", "anxious", "ashamed", "calm", "confused", "content", "disappointed", "disgusted",
	"embarrassed", "envious", "excited", "frustrated", "grateful", "grieving", "guilty", "hopeful",
	"hopeless", "hurt", "irritated", "jealous", "joyful", "lonely", "loved", "numb", "overwhelmed",
	"proud", "relieved", "sad", "scared", "tender", "tired",
}

// Option is one choice of a list (an option for a problem, an emotion or
// urge on the diary card, a skill).
type Option struct {
	ID, Label string
}

// ProblemOptions are the four options for meeting a problem, in our own
// words (Linehan's handout wording is unconfirmed: REFERENCE.md section 6).
var ProblemOptions = []Option{
	{"solve", "Change the situation"},
	{"feel", "Change how I feel about it"},
	{"accept", "Tolerate it and accept it"},
	{"stuck", "Stay stuck, for now"},
}

// DiaryEmotions are the feelings the diary card rates each day, 0-5.
var DiaryEmotions = []Option{
	{"sadness", "Sadness"}, {"anger", "Anger"}, {"shame", "Shame"}, {"fear", "Fear"}, {"joy", "Joy"},
}

// DiaryUrgeChoices are the urges a care team may put on a patient's diary
// card; DefaultDiaryUrges are those a card has until the team chooses.
var DiaryUrgeChoices = []Option{
	{"self_harm", "Self-harm"}, {"suicide", "Suicide"}, {"substance", "Substance use"},
	{"alcohol", "Drinking"}, {"binge", "Bingeing or purging"}, {"restrict", "Restricting food"},
	{"lash_out", "Lashing out at someone"}, {"isolate", "Isolating"}, {"quit_therapy", "Quitting therapy"},
}

// DefaultDiaryUrges are the urges on a diary card until the care team
// chooses others.
var DefaultDiaryUrges = []string{"self_harm", "suicide", "substance"}

// DiarySkills are the skills the diary card offers to tick, in our own
// short words.
var DiarySkills = []Option{
	{"wise_mind", "Wise mind"}, {"observe", "Observe"}, {"describe", "Describe"}, {"participate", "Participate"},
	{"nonjudgment", "Non-judgment"}, {"one_mind", "One thing at a time"},
	{"check_facts", "Check the facts"}, {"opposite", "Opposite action"}, {"problem_solving", "Problem solving"},
	{"positive", "Pleasant activities"}, {"please", "Looking after my body (sleep, food, movement)"}, {"cope_ahead", "Cope ahead"},
	{"tipp", "Cool down my body (cold water, breathing, exercise)"}, {"distract", "Distract"}, {"self_soothe", "Self-soothe"},
	{"pros_cons", "Pros and cons"}, {"radical_acceptance", "Radical acceptance"},
	{"dear_man", "Asking for what I need"}, {"give", "Keeping the relationship"}, {"fast", "Keeping my self-respect"},
}

// Scales and limits of the skills forms.
const (
	EmotionMax   = 100 // the emotion log's intensity, 0-100
	DiaryMax     = 5   // diary card emotions and urges, 0-5
	MaxSleep     = 24  // hours of sleep a night
	MaxSkillLine = 200 // a one-line answer, in characters
	MaxSkillText = 4000
)

// EmotionLog is one emotion log entry.
type EmotionLog struct {
	Feeling    string `json:"feeling"`
	Intensity  int    `json:"intensity"`
	Body       string `json:"body,omitempty"`
	Message    string `json:"message,omitempty"`
	Validation string `json:"validation,omitempty"`
}

// CopeAhead is one cope-ahead plan. On is the day of the situation
// (YYYY-MM-DD).
type CopeAhead struct {
	Situation string `json:"situation"`
	On        string `json:"on"`
	Hard      string `json:"hard,omitempty"`
	Skills    string `json:"skills,omitempty"`
	Rehearsal string `json:"rehearsal,omitempty"`
	Call      string `json:"call,omitempty"`
}

// FourOptions is one "four options for a problem" worksheet.
type FourOptions struct {
	Problem   string `json:"problem"`
	Choice    string `json:"choice"`
	FirstStep string `json:"first_step,omitempty"`
}

// DiaryUrge is one urge's rating on a diary card day.
type DiaryUrge struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Level int    `json:"level"`
	Acted bool   `json:"acted"`
}

// DiaryCard is one day of the diary card. Day is YYYY-MM-DD; Sleep is
// hours, nil when not given.
type DiaryCard struct {
	Day      string         `json:"day"`
	Emotions map[string]int `json:"emotions"`
	Urges    []DiaryUrge    `json:"urges"`
	Skills   []string       `json:"skills,omitempty"`
	Sleep    *float64       `json:"sleep,omitempty"`
	Note     string         `json:"note,omitempty"`
}

// HarmUrges reports whether the card rates any urge to self-harm or to
// suicide above 0, or says one was acted on: the portal then puts crisis
// help at the top of the page after saving, whether or not the card is
// shared (shared cards are read before the next session, not as they
// arrive). It raises no alert: a rating is not a message to the team.
// Source: REFERENCE.md section 6 (diary card urges: self-harm, suicide).
func (c DiaryCard) HarmUrges() bool {
	for _, u := range c.Urges {
		if (u.ID == "self_harm" || u.ID == "suicide") && (u.Level > 0 || u.Acted) {
			return true
		}
	}
	return false
}

// Form is a submitted form: each field's values (net/url.Values is one).
type Form = map[string][]string

func formValue(f Form, k string) string {
	if v := f[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// skillText reads a free-text answer: trimmed, at most limit characters,
// on one line when line, and required when req (with the message given).
func skillText(fe FieldErrors, f Form, field string, limit int, line bool, req string) string {
	v := strings.TrimSpace(strings.ReplaceAll(formValue(f, field), "\r\n", "\n"))
	switch {
	case v == "" && req != "":
		fe.Add(field, req)
	case utf8.RuneCountInString(v) > limit:
		fe.Add(field, "This is a little long to save (at most "+strconv.Itoa(limit)+" characters). Your words are kept below.")
	case line:
		CheckLine(fe, field, v)
	default:
		CheckText(fe, field, v)
	}
	return v
}

// scale reads a whole number from 0 to max; empty is 0 unless req.
func scale(fe FieldErrors, f Form, field string, max int, req string) int {
	v := strings.TrimSpace(formValue(f, field))
	if v == "" {
		if req != "" {
			fe.Add(field, req)
		}
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		fe.Add(field, "Choose a number from 0 to "+strconv.Itoa(max)+".")
		return 0
	}
	return n
}

// skillDay reads a date (YYYY-MM-DD).
func skillDay(fe FieldErrors, f Form, field, req string) (string, time.Time, bool) {
	v := strings.TrimSpace(formValue(f, field))
	if v == "" {
		fe.Add(field, req)
		return v, time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		fe.Add(field, "Choose a date from the calendar.")
		return v, time.Time{}, false
	}
	return v, d, true
}

// ParseEmotionLog reads and checks an emotion log form. Errors are keyed
// by field name.
func ParseEmotionLog(f Form) (EmotionLog, error) {
	fe := FieldErrors{}
	e := EmotionLog{Feeling: strings.TrimSpace(formValue(f, "feeling"))}
	if e.Feeling == "" {
		fe.Add("feeling", "Pick the word closest to what you feel. Any one is fine.")
	} else if !slices.Contains(EmotionWords, e.Feeling) {
		fe.Add("feeling", "Pick a word from the list.")
	}
	e.Intensity = scale(fe, f, "intensity", EmotionMax, "Choose how strong it is, from 0 to 100.")
	e.Body = skillText(fe, f, "body", MaxSkillLine, true, "")
	e.Message = skillText(fe, f, "message", MaxSkillText, false, "")
	e.Validation = skillText(fe, f, "validation", MaxSkillText, false, "")
	return e, fe.Err()
}

// ParseCopeAhead reads and checks a cope-ahead form. The situation and
// its day are needed; the day may not be before today (the patient's
// today, YYYY-MM-DD) when the plan is new.
func ParseCopeAhead(f Form, today string, isNew bool) (CopeAhead, error) {
	fe := FieldErrors{}
	c := CopeAhead{}
	c.Situation = skillText(fe, f, "situation", MaxSkillLine, true, "Say in a few words what is coming up.")
	var ok bool
	c.On, _, ok = skillDay(fe, f, "on", "Choose the day it happens.")
	if ok && isNew && c.On < today {
		fe.Add("on", "That day has passed. Choose the day it is coming up.")
	}
	c.Hard = skillText(fe, f, "hard", MaxSkillText, false, "")
	c.Skills = skillText(fe, f, "skills", MaxSkillText, false, "")
	c.Rehearsal = skillText(fe, f, "rehearsal", MaxSkillText, false, "")
	c.Call = skillText(fe, f, "call", MaxSkillLine, true, "")
	return c, fe.Err()
}

// ParseFourOptions reads and checks a four-options form.
func ParseFourOptions(f Form) (FourOptions, error) {
	fe := FieldErrors{}
	o := FourOptions{}
	o.Problem = skillText(fe, f, "problem", MaxSkillText, false, "Write the problem in a sentence or two.")
	o.Choice = strings.TrimSpace(formValue(f, "choice"))
	if o.Choice == "" {
		fe.Add("choice", "Choose one of the four options. Staying stuck for now is a choice too.")
	} else if !slices.ContainsFunc(ProblemOptions, func(p Option) bool { return p.ID == o.Choice }) {
		fe.Add("choice", "Choose one of the four options.")
	}
	o.FirstStep = skillText(fe, f, "first_step", MaxSkillText, false, "")
	return o, fe.Err()
}

// ParseDiaryCard reads and checks a diary card day. urges are the urge ids
// on this patient's card (unknown ids are left out); the day may not be
// after today (YYYY-MM-DD).
func ParseDiaryCard(f Form, urges []string, today string) (DiaryCard, error) {
	fe := FieldErrors{}
	c := DiaryCard{Emotions: map[string]int{}}
	var ok bool
	c.Day, _, ok = skillDay(fe, f, "day", "Choose the day this card is for.")
	if ok && c.Day > today {
		fe.Add("day", "This day has not come yet. Fill in the card on the day or after.")
	}
	for _, e := range DiaryEmotions {
		c.Emotions[e.ID] = scale(fe, f, "emotion_"+e.ID, DiaryMax, "")
	}
	for _, o := range UrgeOptions(urges) {
		u := DiaryUrge{ID: o.ID, Label: o.Label, Level: scale(fe, f, "urge_"+o.ID, DiaryMax, "")}
		switch formValue(f, "acted_"+o.ID) {
		case "", "no":
		case "yes":
			u.Acted = true
		default:
			fe.Add("acted_"+o.ID, "Answer yes or no.")
		}
		c.Urges = append(c.Urges, u)
	}
	for _, id := range f["skill"] {
		if !slices.ContainsFunc(DiarySkills, func(s Option) bool { return s.ID == id }) {
			fe.Add("skill", "Tick skills from the list.")
			continue
		}
		if !slices.Contains(c.Skills, id) {
			c.Skills = append(c.Skills, id)
		}
	}
	if v := strings.TrimSpace(formValue(f, "sleep")); v != "" {
		h, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(h) || h < 0 || h > MaxSleep {
			fe.Add("sleep", "Write the hours you slept, from 0 to 24 (for example 7.5).")
		} else {
			h = math.Round(h*4) / 4
			c.Sleep = &h
		}
	}
	c.Note = skillText(fe, f, "note", MaxSkillText, false, "")
	return c, fe.Err()
}

// UrgeOptions are the diary card's urges for the ids given, in the order
// given; unknown ids are left out.
func UrgeOptions(ids []string) []Option {
	var out []Option
	for _, id := range ids {
		for _, o := range DiaryUrgeChoices {
			if o.ID == id && !slices.ContainsFunc(out, func(p Option) bool { return p.ID == id }) {
				out = append(out, o)
			}
		}
	}
	return out
}

// CheckDiaryUrges checks a care team's choice of urges for a patient's
// diary card: at least one, each from DiaryUrgeChoices.
func CheckDiaryUrges(ids []string) error {
	fe := FieldErrors{}
	if len(ids) == 0 {
		fe.Add("urges", "Choose at least one urge for the card.")
	}
	for _, id := range ids {
		if !slices.ContainsFunc(DiaryUrgeChoices, func(o Option) bool { return o.ID == id }) {
			fe.Add("urges", "Choose urges from the list.")
		}
	}
	return fe.Err()
}

// OptionLabel is the label of id in opts, or id itself.
func OptionLabel(opts []Option, id string) string {
	for _, o := range opts {
		if o.ID == id {
			return o.Label
		}
	}
	return id
}

// SkillTitle is a short line naming an entry in a list: the kind and its
// first words.
func SkillTitle(kind string, e any) string {
	short := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		if utf8.RuneCountInString(s) > 60 {
			s = string([]rune(s)[:60]) + "…"
		}
		return s
	}
	switch v := e.(type) {
	case EmotionLog:
		return "Feeling " + v.Feeling + " (" + strconv.Itoa(v.Intensity) + " of 100)"
	case CopeAhead:
		return "Cope ahead: " + short(v.Situation)
	case FourOptions:
		return "Four options: " + short(v.Problem)
	case DiaryCard:
		if d, err := time.Parse(time.DateOnly, v.Day); err == nil {
			return "Diary card for " + d.Format("Monday, January 2")
		}
		return "Diary card"
	}
	k, _ := SkillKindOf(kind)
	return k.Title
}
