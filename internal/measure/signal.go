package measure

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Urgency is how soon a clinician must review a risk signal.
type Urgency string

// Urgencies, from none to the most urgent. Sources: REFERENCE.md 1.5 (C-SSRS
// triage: low = yes to questions 1–2 only; moderate and high need prompt
// evaluation) and "10 facts" #2 (PHQ-9 item 9 > 0: a same-day alert).
const (
	UrgencyNone       Urgency = ""
	UrgencyWorkingDay Urgency = "working_day" // review within a working day
	UrgencyUrgent     Urgency = "urgent"      // review the same day
)

// Rank orders urgencies: none 0, within a working day 1, urgent 2. An
// unknown urgency ranks as urgent, so a stored value never weakens.
func (u Urgency) Rank() int {
	switch u {
	case UrgencyNone:
		return 0
	case UrgencyWorkingDay:
		return 1
	}
	return 2
}

// Words says the urgency in plain words for the care team:
// "review within a working day" or "urgent: review today"; "" for none.
func (u Urgency) Words() string {
	switch u {
	case UrgencyNone:
		return ""
	case UrgencyWorkingDay:
		return "review within a working day"
	}
	return "urgent: review today"
}

// PatientWords says the urgency in plain words for the patient, to follow
// "Your care team has been alerted": " as urgent: they are asked to look at
// your answers today" or ": they are asked to look at your answers within a
// working day"; "" for none.
func (u Urgency) PatientWords() string {
	switch u {
	case UrgencyNone:
		return ""
	case UrgencyWorkingDay:
		return ": they are asked to look at your answers within a working day"
	}
	return " as urgent: they are asked to look at your answers today"
}

// Endorsed is one risk item the patient endorsed.
type Endorsed struct {
	Item   string    // the item id, e.g. "phq9_9", "risk_5"
	Number int       // its position on the form, from 1
	Value  int       // the answer given
	Answer string    // the answer's label, e.g. "Several days", "Yes"
	Level  RiskLevel // the level this answer alone gives
	Words  string    // e.g. "item 9 (thoughts that ...): several days"
}

// RiskSignal is what a set of answers, partial or complete, says about
// suicide risk: Signal computes it.
type RiskSignal struct {
	Instrument string // the instrument's Name, e.g. "PHQ-9"
	// Level is RiskNone when nothing is endorsed, RiskPositive for a Risk
	// item above 0 (PHQ-9 item 9), and for the risk screen the highest
	// triage level of any endorsed item.
	Level RiskLevel
	// Alert is true when the signal opens an alert for the care team: any
	// endorsed item at all (the patient is shown crisis help too).
	Alert   bool
	Urgency Urgency
	// Severity orders two signals of the same instrument: the triage rank
	// (1 low, 2 moderate, 3 high) for the risk screen, the highest Risk item
	// answer (1–3) for the PHQ-9; 0 when there is no signal.
	Severity int
	Items    []Endorsed // every endorsed item, in form order
}

// Positive reports whether any risk item is endorsed.
func (s RiskSignal) Positive() bool { return s.Level != RiskNone }

// Higher reports whether s is worse than t: more urgent, or as urgent and
// more severe. Signals of different instruments compare by urgency only
// when their severities do not apply; callers compare like with like.
func (s RiskSignal) Higher(t RiskSignal) bool {
	if s.Urgency.Rank() != t.Urgency.Rank() {
		return s.Urgency.Rank() > t.Urgency.Rank()
	}
	return s.Severity > t.Severity
}

// Words says the signal for the care team, with no free text: the
// instrument, the level for a triaged screen, and each endorsed item with
// its answer, e.g. "Risk screen: high risk. Question 1 (wish to be dead):
// yes; question 5 (a plan, with intent to carry it out): yes". It is ""
// when nothing is endorsed.
func (s RiskSignal) Words() string {
	if !s.Positive() {
		return ""
	}
	parts := make([]string, len(s.Items))
	for i, e := range s.Items {
		parts[i] = e.Words
	}
	head := s.Instrument
	if s.Level != RiskPositive {
		head += ": " + string(s.Level) + " risk."
	}
	body := strings.Join(parts, "; ")
	if s.Level == RiskPositive {
		return head + " " + body
	}
	return head + " " + strings.ToUpper(body[:1]) + body[1:]
}

// endorsedLevel returns the level the answer v to item it gives on its own,
// and whether it is an endorsement at all: a Risk item above 0 is
// RiskPositive; a triaged item answered with a rule's value gives the
// highest such rule's level.
func endorsedLevel(inst Instrument, it Item, v int) (RiskLevel, bool) {
	if it.Risk && v > 0 {
		return RiskPositive, true
	}
	level, ok := RiskNone, false
	for _, r := range inst.Triage {
		if r.Item == it.ID && r.Value == v && r.Level != RiskNone && (!ok || r.Level.rank() > level.rank()) {
			level, ok = r.Level, true
		}
	}
	return level, ok
}

// RiskAnswer reports whether answering v to inst's item id is a risk answer
// on its own: the answer that makes Signal positive (a Risk item above 0, a
// triaged item answered with a rule's value). The form marks these choices
// so the page's script shows crisis help the moment one is chosen; it is
// the same rule Signal applies (endorsedLevel), so the two never differ.
func RiskAnswer(inst Instrument, id string, v int) bool {
	for _, it := range inst.Items {
		if it.ID == id && hasOption(it, v) {
			_, endorsed := endorsedLevel(inst, it, v)
			return endorsed
		}
	}
	return false
}

// RiskQuestion reports whether some answer to inst's item id is a risk
// answer (RiskAnswer): the form shows crisis help beside such questions.
func RiskQuestion(inst Instrument, id string) bool {
	for _, it := range inst.Items {
		if it.ID != id {
			continue
		}
		for _, o := range it.Options {
			if RiskAnswer(inst, id, o.Value) {
				return true
			}
		}
	}
	return false
}

// Signal judges the suicide risk in answers to inst, partial or complete,
// and is the only place the rule lives. Every endorsed item counts, whatever
// the branching: risk screen question 5 answered yes after question 2 was
// answered no is high (the most conservative reading). The level is the
// highest item endorsed, not a sum (C-SSRS triage, REFERENCE.md 1.5): yes to
// question 1 or 2 is low, to 3 or to behaviour ever is moderate, to 4, 5 or
// behaviour within 3 months is high; a PHQ-9 item 9 above 0 is positive
// (REFERENCE.md 1.1 and "10 facts" #2). Any endorsement opens an alert; low
// is reviewed within a working day, everything else the same day. Answers
// that are not items of inst, or not on an item's scale, are ignored: use
// Validate first.
func Signal(inst Instrument, a Answers) RiskSignal {
	s := RiskSignal{Instrument: inst.Name}
	for i, it := range inst.Items {
		v, ok := a[it.ID]
		if !ok || !hasOption(it, v) {
			continue
		}
		level, endorsed := endorsedLevel(inst, it, v)
		if !endorsed {
			continue
		}
		label := strconv.Itoa(v)
		for _, o := range it.Options {
			if o.Value == v {
				label = o.Label
			}
		}
		e := Endorsed{Item: it.ID, Number: i + 1, Value: v, Answer: label, Level: level}
		kind := "question"
		if it.Risk {
			kind = "item"
		}
		e.Words = fmt.Sprintf("%s %d", kind, i+1)
		if it.Topic != "" {
			e.Words += " (" + it.Topic + ")"
		}
		e.Words += ": " + strings.ToLower(label)
		s.Items = append(s.Items, e)
		switch {
		case level == RiskPositive:
			if s.Level == RiskNone {
				s.Level = RiskPositive
			}
			s.Severity = max(s.Severity, v)
		case level.rank() > s.Level.rank():
			s.Level = level
			s.Severity = level.rank()
		}
	}
	s.Alert = s.Level.Alert()
	s.Urgency = s.Level.Urgency()
	return s
}

// Validate returns the answers in a that are items of inst with a value on
// the item's scale, whatever the branching, and a plain message for each
// other one by id ("That question is not part of this form.", "That answer
// is not one of the choices."). It never drops a valid answer, and a is not
// changed.
func Validate(inst Instrument, a Answers) (Answers, map[string]string) {
	ok := make(Answers, len(a))
	bad := map[string]string{}
	for id, v := range a {
		// A look along the items (a dozen or two) costs less than a map of them.
		i := slices.IndexFunc(inst.Items, func(it Item) bool { return it.ID == id })
		switch {
		case i < 0:
			bad[id] = msgUnknown
		case !hasOption(inst.Items[i], v):
			bad[id] = msgNotChoice
		default:
			ok[id] = v
		}
	}
	return ok, bad
}

// Parse reads the answers to inst's items from a form, get returning the
// text sent for an item id ("" when none). A blank answer is unanswered; a
// text that is not a whole number, or a number not on the item's scale, is
// refused at its item ("That answer is not one of the choices."); every
// other answer is kept, whatever the branching.
func Parse(inst Instrument, get func(id string) string) (Answers, map[string]string) {
	raw := Answers{}
	bad := map[string]string{}
	for _, it := range inst.Items {
		v := strings.TrimSpace(get(it.ID))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[it.ID] = msgNotChoice
			continue
		}
		raw[it.ID] = n
	}
	ok, more := Validate(inst, raw)
	for id, m := range more {
		bad[id] = m
	}
	return ok, bad
}
