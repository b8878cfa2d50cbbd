package clinic

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SentIntake is one submitted version of a patient's intake: what it said
// and when it was sent.
type SentIntake struct {
	Version int64
	Intake  Intake
	At      time.Time
}

// ClearanceChange is one thing in the patient's intake that differs from
// the intake the prescriber cleared: What says it in words, At is when it
// took the value it has now.
type ClearanceChange struct {
	What string
	At   time.Time
}

// ClearanceStatus says whether a medical clearance still stands on the
// patient's intake as it is now, and if not, what changed and when (oldest
// first).
type ClearanceStatus struct {
	Current bool
	Changes []ClearanceChange
}

// ClearanceChanges are the changes one intake version made: What in
// words, At when it was sent.
type ClearanceChanges struct {
	What []string
	At   time.Time
}

// ByTime groups the changes by the moment they were made, oldest first.
func (st ClearanceStatus) ByTime() []ClearanceChanges {
	var out []ClearanceChanges
	for _, c := range st.Changes {
		if n := len(out); n > 0 && out[n-1].At.Equal(c.At) {
			out[n-1].What = append(out[n-1].What, c.What)
			continue
		}
		out = append(out, ClearanceChanges{What: []string{c.What}, At: c.At})
	}
	return out
}

// Describe says what changed and when in one line, the times in loc (UTC
// when loc is nil): for each version that changed something, its changes
// separated by semicolons and then "(intake sent <time>)"; versions are
// separated by ". ". It is "" when the clearance is current.
func (st ClearanceStatus) Describe(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var parts []string
	for _, g := range st.ByTime() {
		parts = append(parts, strings.Join(g.What, "; ")+" (intake sent "+g.At.In(loc).Format("Mon Jan 2, 2006, 15:04 MST")+")")
	}
	return strings.Join(parts, ". ")
}

// ClearanceCurrent decides whether a prescriber's medical clearance, made
// on the intake basis, still stands now that the patient (or a clinician)
// has sent the later versions later. It compares what the clearance was
// about with the newest sent version: every screening answer, the
// medication list drug by drug (by name; a new, stopped, or re-dosed
// medication is a change; order, case and spacing are not), allergies and
// history notes. Goals are not part of the medical decision and do not
// count. A version that changes nothing of these (a re-save) leaves the
// clearance current; a change later undone leaves it current too, since
// the intake is again what was cleared. Each change is dated by the
// version that gave the item its present value. questions gives the words
// for an answer's question id (the id is used when it has none). With no
// later version the clearance is current.
//
// Source: PRODUCT.md, the care pathway: the prescriber clears on the
// intake (medical evaluation), and the pre-dose checklist needs the
// clearance current; issue 12, defect 9 ("stale clearance looks current").
func ClearanceCurrent(basis Intake, later []SentIntake, questions map[string]string) ClearanceStatus {
	if len(later) == 0 {
		return ClearanceStatus{Current: true}
	}
	versions := slices.Clone(later)
	slices.SortStableFunc(versions, func(a, b SentIntake) int {
		switch {
		case a.Version < b.Version:
			return -1
		case a.Version > b.Version:
			return 1
		}
		return 0
	})
	first := clearanceFacts(basis)
	changedAt := map[string]time.Time{}
	prev := first
	for _, v := range versions {
		cur := clearanceFacts(v.Intake)
		for k := range unionKeys(prev, cur) {
			if differs(prev, cur, k) {
				changedAt[k] = v.At
			}
		}
		prev = cur
	}
	var changes []ClearanceChange
	var keys []string
	for k := range unionKeys(first, prev) {
		if differs(first, prev, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		changes = append(changes, ClearanceChange{What: changeWords(k, first, prev, questions), At: changedAt[k]})
	}
	slices.SortStableFunc(changes, func(a, b ClearanceChange) int { return a.At.Compare(b.At) })
	return ClearanceStatus{Current: len(changes) == 0, Changes: changes}
}

// fact is one item a clearance rests on: value compares, shown is what the
// person typed.
type fact struct {
	value, shown string
}

// Keys of clearance facts sort in the order changes of one moment are
// listed: answers, medications, allergies, history.
const (
	factAnswer     = "1a:"
	factMedication = "2m:"
	factAllergies  = "3allergies"
	factHistory    = "4history"
)

// clearanceFacts reads the items of in that a clearance rests on.
func clearanceFacts(in Intake) map[string]fact {
	out := map[string]fact{}
	for id, v := range in.Answers {
		if v = squash(v); v != "" {
			out[factAnswer+id] = fact{value: v, shown: v}
		}
	}
	type med struct{ values, shown []string }
	meds := map[string]*med{}
	for _, m := range in.Medications {
		name := squash(m.Name)
		if name == "" && squash(m.Dose) == "" && squash(m.Frequency) == "" {
			continue
		}
		e := meds[name]
		if e == nil {
			e = &med{}
			meds[name] = e
		}
		e.values = append(e.values, squash(m.Dose)+"|"+squash(m.Frequency))
		e.shown = append(e.shown, m.Text())
	}
	for name, e := range meds {
		slices.Sort(e.values)
		out[factMedication+name] = fact{value: strings.Join(e.values, "\n"), shown: strings.Join(e.shown, " + ")}
	}
	if v := squash(in.Allergies); v != "" {
		out[factAllergies] = fact{value: v, shown: in.Allergies}
	}
	if v := squash(in.HistoryNotes); v != "" {
		out[factHistory] = fact{value: v, shown: in.HistoryNotes}
	}
	return out
}

// squash lower-cases s and collapses its white space, so a re-typed entry
// that says the same compares equal.
func squash(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func unionKeys(a, b map[string]fact) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func differs(a, b map[string]fact, k string) bool {
	x, xok := a[k]
	y, yok := b[k]
	return xok != yok || x.value != y.value
}

// changeWords says how item k went from before to now.
func changeWords(k string, before, now map[string]fact, questions map[string]string) string {
	b, had := before[k]
	n, has := now[k]
	switch {
	case strings.HasPrefix(k, factAnswer):
		id := strings.TrimPrefix(k, factAnswer)
		q := questions[id]
		if q == "" {
			q = id
		}
		switch {
		case !had:
			return "new answer " + answerWords(n.value) + " to “" + q + "”"
		case !has:
			return "answer " + answerWords(b.value) + " to “" + q + "” withdrawn"
		}
		return "answer to “" + q + "” changed from " + answerWords(b.value) + " to " + answerWords(n.value)
	case strings.HasPrefix(k, factMedication):
		switch {
		case !had:
			return "new medication: " + n.shown
		case !has:
			return "medication no longer listed: " + b.shown
		}
		return "medication changed: " + b.shown + " → " + n.shown
	}
	what := "allergies"
	if k == factHistory {
		what = "history notes"
	}
	switch {
	case !had:
		return what + " added: “" + clip(n.shown) + "”"
	case !has:
		return what + " removed"
	}
	// Text added at the end is shown on its own: the start is what the
	// prescriber already read.
	old, cur := strings.Join(strings.Fields(b.shown), " "), strings.Join(strings.Fields(n.shown), " ")
	if len(cur) > len(old) && strings.EqualFold(cur[:len(old)], old) {
		return what + ": added “" + clip(strings.TrimLeft(cur[len(old):], " ,;.")) + "”"
	}
	return what + " changed to “" + clip(n.shown) + "”"
}

// answerWords is how an intake answer reads in a sentence.
func answerWords(v string) string {
	if v == "unsure" {
		return "not sure"
	}
	return v
}

// clip shortens free text to 80 characters for a one-line summary.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	return string([]rune(s)[:79]) + "…"
}
