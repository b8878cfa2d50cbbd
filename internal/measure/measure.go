// Package measure holds the symptom measures kapstone asks patients to fill
// in (PHQ-9, GAD-7, their two-item short forms, PCL-5 and a suicide-risk
// screen) as data, scores a set of answers, and computes the outcome of a
// course of treatment from its series of totals.
//
// The clinical facts and their sources are in the clinical reference notes
// (REFERENCE.md, sections 1 and 3); each instrument and threshold carries a
// Source naming where its rules come from.
package measure

import (
	"fmt"
	"slices"
	"strings"
)

// Option is one answer on an item's scale.
type Option struct {
	Value int
	Label string
}

// Item is one question of an instrument.
type Item struct {
	ID      string   // stable, e.g. "phq9_1" ... "phq9_9", "phq9_difficulty"
	Text    string   // exact wording; "" when the practice supplies it (see Instrument.ItemTextFromPractice)
	LOINC   string   // item LOINC code where the reference gives one, else ""
	Options []Option // the answer scale
	Scored  bool     // counts toward the total; false for the PHQ-9 difficulty item and the risk screen's items
	Risk    bool     // any answer above 0 is a safety signal (PHQ-9 item 9)
	ShowIf  string   // the id of an item that must be answered yes (value 1) for this one to be asked; "" = always asked
	// Topic says in a few plain words what a risk or triage item asks
	// (e.g. "wish to be dead"), for the care team's alert; it is never the
	// licensed wording and never the patient's own words.
	Topic string
}

// Band is a range of totals with its label, e.g. 10–14 "Moderate".
type Band struct {
	Min, Max int
	Label    string
	Level    int // 0 (none or minimal) .. 4 (severe), for shading
}

// Cluster is a group of PCL-5 items of which at least Need must be endorsed.
type Cluster struct {
	ID    string   // "B", "C", "D", "E"
	Name  string   // e.g. "Intrusion"
	Items []string // item ids
	Need  int      // how many items must be endorsed for the cluster to be met
}

// TriageRule says that the answer Value to the item Item raises the risk
// level to at least Level.
type TriageRule struct {
	Item  string
	Value int
	Level RiskLevel
}

// Instrument is one questionnaire: its text, answer scales, scoring and bands.
type Instrument struct {
	ID, Name, Title string // e.g. "phq9", "PHQ-9", "Patient Health Questionnaire (PHQ-9)"
	Instructions    string // the stem shown above the items; "" when the practice supplies it
	Notice          string // copyright or public-domain notice to show with it
	LOINCPanel      string // panel LOINC code, "" when unconfirmed
	LOINCTotal      string // total-score LOINC code, "" when unconfirmed
	Items           []Item
	Min, Max        int    // total score range
	Bands           []Band // contiguous, covering Min..Max
	// Cutoff is the total at or above which the screen is positive
	// (PHQ-2 and GAD-2: 3; PCL-5: the provisional PTSD cut-off); 0 when the
	// instrument has none.
	Cutoff int
	// Clusters are the PCL-5 DSM-5 symptom clusters; an item is endorsed
	// when its answer is at least Endorse.
	Clusters []Cluster
	Endorse  int
	// Triage holds the risk screen's rules: the result is the highest level
	// any rule gives, not a sum. An instrument with Triage has no summed
	// total: its Total is the rank of the triage level (see Score).
	Triage []TriageRule
	Source string
	// ItemTextFromPractice is true when the item wording may not be shipped
	// (licensed, or its reuse terms unconfirmed): the practice supplies it
	// with WithPracticeText before the instrument is used.
	ItemTextFromPractice bool
}

// RiskLevel is the safety signal of a scored instrument.
type RiskLevel string

// Risk levels. A PHQ-9 with item 9 above 0 is RiskPositive; the risk screen
// gives RiskLow, RiskModerate or RiskHigh; RiskNone is no signal.
const (
	RiskNone     RiskLevel = ""
	RiskPositive RiskLevel = "positive"
	RiskLow      RiskLevel = "low"
	RiskModerate RiskLevel = "moderate"
	RiskHigh     RiskLevel = "high"
)

// rank orders the risk screen's levels: none 0, low 1, moderate 2, high 3.
func (r RiskLevel) rank() int {
	switch r {
	case RiskLow:
		return 1
	case RiskModerate:
		return 2
	case RiskHigh:
		return 3
	}
	return 0
}

// Alert reports whether the level opens an alert for the care team: true
// for every level but RiskNone. Any endorsement of suicidal ideation is
// seen by a clinician; how soon is the level's Urgency.
func (r RiskLevel) Alert() bool {
	return r != RiskNone
}

// Urgency returns how soon a clinician must review the level: RiskLow
// within a working day; RiskPositive (PHQ-9 item 9, REFERENCE.md "10 facts"
// #2: same-day), RiskModerate and RiskHigh (REFERENCE.md 1.5) urgently, the
// same day; RiskNone has none.
func (r RiskLevel) Urgency() Urgency {
	switch r {
	case RiskNone:
		return UrgencyNone
	case RiskLow:
		return UrgencyWorkingDay
	}
	return UrgencyUrgent
}

// Answers maps item ids to the value answered.
type Answers map[string]int

// Result is a scored set of answers.
type Result struct {
	Total int
	Band  Band
	// Risk is RiskPositive when a Risk item (PHQ-9 item 9) is above 0, the
	// triage level for the risk screen, and RiskNone otherwise.
	Risk RiskLevel
	// Positive is true when the instrument has a Cutoff and Total is at
	// least Cutoff (PHQ-2/GAD-2: give the full PHQ-9/GAD-7).
	Positive bool
	// Probable is true for PCL-5 when Total is at least the cut-off and
	// every DSM-5 cluster is met (provisional PTSD); false for every other
	// instrument.
	Probable bool
	// Clusters says, for PCL-5, whether each cluster (B, C, D, E) is met;
	// nil for every other instrument.
	Clusters map[string]bool
}

// Field messages of a ValidationError.
const (
	msgChoose    = "Choose an answer."
	msgNotChoice = "That answer is not one of the choices."
	msgUnknown   = "That question is not part of this form."
)

// ValidationError lists the answers Score refused, by item id, with a plain
// message for each.
type ValidationError struct {
	Fields map[string]string
}

// Error returns "measure: " followed by each refused item id and its
// message, in id order.
func (e *ValidationError) Error() string {
	ids := make([]string, 0, len(e.Fields))
	for id := range e.Fields {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString("measure: ")
	for i, id := range ids {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", id, e.Fields[id])
	}
	return b.String()
}

// asked reports whether it is asked given the answers: true when it has no
// ShowIf, or the ShowIf item is answered yes (1).
func asked(it Item, a Answers) bool {
	if it.ShowIf == "" {
		return true
	}
	v, ok := a[it.ShowIf]
	return ok && v == 1
}

// required reports whether an asked item must be answered: scored items
// always, and every item of a triaged instrument (the risk screen).
func required(inst Instrument, it Item) bool {
	return it.Scored || len(inst.Triage) > 0
}

func hasOption(it Item, v int) bool {
	for _, o := range it.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// Score validates and scores a complete set of answers.
//
// Every asked scored item must be answered, and for the risk screen every
// asked item (an item is asked when it has no ShowIf or its ShowIf item is
// answered 1). Unscored items, such as the PHQ-9 difficulty item, may be left
// out. Each value must be one of the item's options. Score refuses, with a
// *ValidationError naming each item: a missing answer ("Choose an answer."),
// a value not on the scale ("That answer is not one of the choices."), and
// an id that is not an item of inst ("That question is not part of this
// form."). An answer to an item the branching would have skipped (risk
// screen question 5 after question 2 was answered no) is not refused: it is
// kept and counted, the most conservative reading (REFERENCE.md 1.5). A
// refused set gives a zero Result: partial answers never produce a score.
//
// For a summed instrument Total is the sum of the scored items and Band the
// band holding it; Risk is RiskPositive when any Risk item is above 0,
// whatever the total. For the risk screen Total is the rank of the triage
// level (0 none, 1 low, 2 moderate, 3 high), Band its label, and Risk the
// highest level any endorsed item gives. Risk is always Signal's Level. Positive, Probable and Clusters are
// set as Result describes. An error that is not a *ValidationError means the
// instrument's bands do not cover the total.
func Score(inst Instrument, a Answers) (Result, error) {
	fields := map[string]string{}
	known := make(map[string]bool, len(inst.Items))
	for _, it := range inst.Items {
		known[it.ID] = true
	}
	for id := range a {
		if !known[id] {
			fields[id] = msgUnknown
		}
	}
	for _, it := range inst.Items {
		v, answered := a[it.ID]
		switch {
		case !answered:
			if asked(it, a) && required(inst, it) {
				fields[it.ID] = msgChoose
			}
		case !hasOption(it, v):
			fields[it.ID] = msgNotChoice
		}
	}
	if len(fields) > 0 {
		return Result{}, &ValidationError{Fields: fields}
	}

	var r Result
	r.Risk = Signal(inst, a).Level
	if len(inst.Triage) > 0 {
		r.Total = r.Risk.rank()
	} else {
		for _, it := range inst.Items {
			if it.Scored {
				r.Total += a[it.ID]
			}
		}
	}
	band, ok := bandFor(inst, r.Total)
	if !ok {
		return Result{}, fmt.Errorf("measure: %s has no band for total %d", inst.ID, r.Total)
	}
	r.Band = band
	r.Positive = inst.Cutoff > 0 && r.Total >= inst.Cutoff
	if len(inst.Clusters) > 0 {
		r.Clusters = make(map[string]bool, len(inst.Clusters))
		all := true
		for _, c := range inst.Clusters {
			n := 0
			for _, id := range c.Items {
				if a[id] >= inst.Endorse {
					n++
				}
			}
			r.Clusters[c.ID] = n >= c.Need
			all = all && n >= c.Need
		}
		r.Probable = r.Positive && all
	}
	return r, nil
}

// bandFor returns the band of inst holding total; ok is false when none does.
func bandFor(inst Instrument, total int) (Band, bool) {
	for _, b := range inst.Bands {
		if total >= b.Min && total <= b.Max {
			return b, true
		}
	}
	return Band{}, false
}

// Next returns the id of the first item, in order, that is asked given the
// answers (its ShowIf, if any, is answered 1) and not yet answered, for
// one-question-per-screen forms; it returns "" when every asked item is
// answered. Unscored items such as the PHQ-9 difficulty item are asked too,
// though Score does not require them. Answers are not checked against the
// scale: use Score for that.
func Next(inst Instrument, a Answers) string {
	for _, it := range inst.Items {
		if _, answered := a[it.ID]; !answered && asked(it, a) {
			return it.ID
		}
	}
	return ""
}

// Ready reports whether every item of inst has its text, so the instrument
// may be shown: always true for instruments shipped with their wording, and
// for the others true only after WithPracticeText.
func (inst Instrument) Ready() bool {
	for _, it := range inst.Items {
		if it.Text == "" {
			return false
		}
	}
	return true
}

// WithPracticeText returns a copy of inst with the wording the practice
// supplies under its own permission: instructions, when not "", replaces the
// stem, and items maps every item id to its text. It refuses an instrument
// whose wording ships verbatim (ItemTextFromPractice false), an id that is not
// an item of inst, and a set of texts that leaves any item without text.
// inst itself is not changed.
func WithPracticeText(inst Instrument, instructions string, items map[string]string) (Instrument, error) {
	if !inst.ItemTextFromPractice {
		return Instrument{}, fmt.Errorf("measure: %s ships its own wording, which may not be replaced", inst.ID)
	}
	out := clone(inst)
	if instructions != "" {
		out.Instructions = instructions
	}
	known := map[string]bool{}
	for i := range out.Items {
		known[out.Items[i].ID] = true
		if t, ok := items[out.Items[i].ID]; ok {
			out.Items[i].Text = strings.TrimSpace(t)
		}
	}
	var unknown, missing []string
	for id := range items {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	for _, it := range out.Items {
		if it.Text == "" {
			missing = append(missing, it.ID)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(unknown) > 0:
		return Instrument{}, fmt.Errorf("measure: %s has no item %s", inst.ID, strings.Join(unknown, ", "))
	case len(missing) > 0:
		return Instrument{}, fmt.Errorf("measure: %s needs text for %s", inst.ID, strings.Join(missing, ", "))
	}
	return out, nil
}

// clone returns a deep copy of inst, so callers cannot change the shipped data.
func clone(inst Instrument) Instrument {
	out := inst
	out.Items = make([]Item, len(inst.Items))
	for i, it := range inst.Items {
		it.Options = slices.Clone(it.Options)
		out.Items[i] = it
	}
	out.Bands = slices.Clone(inst.Bands)
	out.Clusters = make([]Cluster, len(inst.Clusters))
	for i, c := range inst.Clusters {
		c.Items = slices.Clone(c.Items)
		out.Clusters[i] = c
	}
	if inst.Clusters == nil {
		out.Clusters = nil
	}
	out.Triage = slices.Clone(inst.Triage)
	return out
}
