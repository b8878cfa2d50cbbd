// Package screening turns a patient's intake answers and medication list into
// flags for ketamine-assisted psychotherapy: what excludes treatment now, what
// the care team must review, and what is worth knowing. Its rules and its
// medication table are data, each with the source it comes from
// (REFERENCE.md section 2); it imports no database and no net/http.
package screening

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Level is how much a flag matters.
type Level string

// The levels, from most to least serious.
const (
	Exclude Level = "exclude" // not safe to treat now; only a prescriber may override, with a written reason
	Caution Level = "caution" // needs review by the care team
	Info    Level = "info"    // worth knowing
)

// rank orders levels: Exclude 3, Caution 2, Info 1, anything else 0.
func (l Level) rank() int {
	switch l {
	case Exclude:
		return 3
	case Caution:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Rule is one screening rule: data with its source, never hidden in code paths.
type Rule struct {
	ID       string   // stable, e.g. "psychosis-history", "med-benzodiazepine", "age-under-18"
	Level    Level    // the product's default
	Reason   string   // plain language for clinicians, one or two sentences
	Source   string   // where it comes from, as a citation staff can look up (shown with the flag)
	Question string   // the intake question id that triggers it when answered yes ("" if not a question rule)
	Classes  []string // medication class ids that trigger it (nil if not a medication rule)
	AgeUnder int      // >0: fires when the age is known and below this
}

// Flag is one finding for one patient.
type Flag struct {
	Rule   string
	Level  Level
	Reason string
	Source string
	Detail string // what in the intake triggered it; never more than 300 bytes
}

// Input is what the engine screens.
type Input struct {
	Age         int             // whole years; negative when unknown
	Yes         map[string]bool // intake question ids answered "yes"
	Unsure      map[string]bool // intake question ids answered "unsure"
	Medications []string        // each line as the patient or clinician typed it
	// Answered holds the intake question ids answered at all (yes, no or
	// unsure). When it is non-nil, a question whose yes-rule is Exclude or
	// Caution and that is neither in Answered nor in Yes or Unsure gives a
	// Caution "not-answered" flag: a blank is not a no. When it is nil (older
	// callers), blanks are not flagged.
	Answered map[string]bool
}

// Question is one yes/no question of the intake.
type Question struct {
	ID      string // e.g. "psychosis_history"
	Section string // e.g. "Mental health"
	Text    string // plain, kind, second person
	Help    string // optional one-line explanation
}

// MaxDetail is the most bytes a Flag's Detail holds.
const MaxDetail = 300

// maxAge is the oldest age Screen believes; an older one is treated as unknown.
const maxAge = 130

// Screen returns the flags for one intake. The result is deterministic and
// sorted: exclude, then caution, then info; within a level by the order of
// Rules(); within a rule by question order or medication line order.
//
// A question rule fires when its question is answered yes. An age rule fires
// when the age is known and below its limit; an unknown age (negative, or
// above 130) gives a Caution "age-unknown" flag instead. Each medication line
// gives at most one flag per rule, naming every drug of the rule's classes in
// the line (so "xanax and kratom" flags both): one per class found in it; a Caution
// "med-unrecognised" flag when nothing in it was recognised (and nothing in
// it describes a medicine), or when it holds words, short codes included,
// that are neither a known name nor dose or form text; and a Caution
// "med-unnamed" flag when an item of it describes a medicine without naming
// it ("Lexapro, anxiety pill prn"; see LookupMedication). Blank lines and
// lines that say there are none ("none", "n/a", "no medications") give no
// flag. A question answered unsure, and not yes, gives a Caution
// "answered-unsure" flag when its yes-rule is Exclude or Caution; Reason and
// Source are then those of the yes-rule, so the reviewer sees what is at
// stake. When in.Answered is non-nil, each question Unanswered returns gives
// a Caution "not-answered" flag whose Detail is "Not answered: " and the
// question. Question ids that the intake does not ask are ignored.
func Screen(in Input) []Flag {
	var out []sortedFlag
	add := func(ruleAt, sub int, f Flag) {
		f.Detail = capDetail(f.Detail)
		out = append(out, sortedFlag{Flag: f, rule: ruleAt, sub: sub})
	}
	ageKnown := in.Age >= 0 && in.Age <= maxAge
	lines := make([]lineReading, 0, len(in.Medications))
	for _, line := range in.Medications {
		lines = append(lines, readLine(line))
	}

	for i, r := range rules {
		switch {
		case r.Question != "":
			qi, ok := questionIndex[r.Question]
			if !ok {
				continue
			}
			if in.Yes[r.Question] {
				add(i, qi, flagFor(r, "Answered yes: "+questions[qi].Text))
			}
		case r.AgeUnder > 0:
			if ageKnown && in.Age < r.AgeUnder {
				add(i, 0, flagFor(r, fmt.Sprintf("Age %d, under %d", in.Age, r.AgeUnder)))
			}
		case r.ID == ruleAgeUnknown:
			if !ageKnown {
				d := "No age or date of birth recorded"
				if in.Age > maxAge {
					d = fmt.Sprintf("Age %d is not plausible: check the date of birth", in.Age)
				}
				add(i, 0, flagFor(r, d))
			}
		case len(r.Classes) > 0:
			for li, lr := range lines {
				if d := lr.detailFor(r.Classes); d != "" {
					add(i, li, flagFor(r, d))
				}
			}
		case r.ID == ruleUnrecognised:
			for li, lr := range lines {
				if d := lr.unrecognisedDetail(); d != "" {
					add(i, li, flagFor(r, d))
				}
			}
		case r.ID == ruleUnnamed:
			for li, lr := range lines {
				if d := lr.vagueDetail(); d != "" {
					add(i, li, flagFor(r, d))
				}
			}
		case r.ID == ruleUnsure:
			for qi, q := range questions {
				if !in.Unsure[q.ID] || in.Yes[q.ID] {
					continue
				}
				yr, ok := questionRule(q.ID)
				if !ok || (yr.Level != Exclude && yr.Level != Caution) {
					continue
				}
				f := flagFor(r, "Answered unsure: "+q.Text)
				f.Reason = "Answered unsure, so review it with the patient. If yes: " + yr.Reason
				f.Source = yr.Source
				add(i, qi, f)
			}
		case r.ID == RuleNotAnswered:
			for _, q := range Unanswered(in) {
				add(i, questionIndex[q.ID], flagFor(r, "Not answered: "+q.Text))
			}
		}
	}

	slices.SortStableFunc(out, func(a, b sortedFlag) int {
		if c := cmp.Compare(b.Level.rank(), a.Level.rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		return cmp.Compare(a.sub, b.sub)
	})
	flags := make([]Flag, len(out))
	for i, f := range out {
		flags[i] = f.Flag
	}
	return flags
}

type sortedFlag struct {
	Flag
	rule, sub int
}

func flagFor(r Rule, detail string) Flag {
	return Flag{Rule: r.ID, Level: r.Level, Reason: r.Reason, Source: r.Source, Detail: detail}
}

// Unanswered returns, in display order, the questions whose yes is an
// Exclude or Caution rule and that in.Answered does not hold (a question in
// in.Yes or in.Unsure counts as answered). It returns nil when in.Answered is
// nil, since the caller then does not say which questions were answered.
func Unanswered(in Input) []Question {
	if in.Answered == nil {
		return nil
	}
	var out []Question
	for _, q := range questions {
		if in.Answered[q.ID] || in.Yes[q.ID] || in.Unsure[q.ID] {
			continue
		}
		if r, ok := questionRule(q.ID); ok && (r.Level == Exclude || r.Level == Caution) {
			out = append(out, q)
		}
	}
	return out
}

// questionRule returns the rule a yes to the question triggers.
func questionRule(id string) (Rule, bool) {
	for _, r := range rules {
		if r.Question == id {
			return r, true
		}
	}
	return Rule{}, false
}

// lineReading is one medication line as Screen sees it.
type lineReading struct {
	quoted string // the line, cleaned and shortened, in quotes
	skip   bool   // blank, or says there are none
	found  []found
	extra  []string // unmatched words
	vague  []string // items that describe a medicine without naming it
}

func readLine(line string) lineReading {
	t := strings.TrimSpace(line)
	lr := lineReading{quoted: quote(t)}
	if t == "" || saysNone(t) {
		lr.skip = true
		return lr
	}
	if r, ok := read(t); ok {
		lr.found, lr.extra, lr.vague = r.found, r.unmatched, r.vague
	}
	return lr
}

// detailFor describes the drugs in the line that belong to any of the
// classes, or returns "" when there are none.
func (lr lineReading) detailFor(classes []string) string {
	if lr.skip {
		return ""
	}
	var parts, misspelt, nouns []string
	for _, f := range lr.found {
		d := &drugs[f.drug]
		if !slices.Contains(classes, d.class) {
			continue
		}
		if d.atc == "" {
			parts = append(parts, d.generic)
		} else {
			parts = append(parts, fmt.Sprintf("%s (%s)", d.generic, d.atc))
		}
		if f.corrected {
			misspelt = append(misspelt, quote(f.word))
		}
		if n := classByID[d.class].noun; n != "" && !slices.Contains(nouns, n) {
			nouns = append(nouns, n)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := lr.quoted + " is " + strings.Join(parts, " and ")
	if len(nouns) > 0 {
		s += ", " + strings.Join(nouns, " and ")
	}
	if len(misspelt) > 0 {
		s += " (read from " + strings.Join(misspelt, ", ") + ": check the spelling)"
	}
	return s
}

// unrecognisedDetail says what in the line was not recognised, or returns ""
// when all of it was.
func (lr lineReading) unrecognisedDetail() string {
	switch {
	case lr.skip:
		return ""
	case len(lr.found) == 0 && len(lr.vague) == 0:
		return lr.quoted + " was not recognised: review it"
	case len(lr.extra) > 0:
		return lr.quoted + ": " + quoteAll(lr.extra) + " not recognised: review it"
	}
	return ""
}

// vagueDetail names the items of the line that describe a medicine without
// naming it, or returns "" when there are none.
func (lr lineReading) vagueDetail() string {
	if lr.skip || len(lr.vague) == 0 {
		return ""
	}
	return lr.quoted + ": " + quoteAll(lr.vague) + " does not say which medicine: ask which one"
}

// quoteAll quotes each of ws and joins them with commas.
func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quote(w)
	}
	return strings.Join(q, ", ")
}

// quote returns s in double quotes, with control characters as spaces and
// anything past 100 characters cut off with "...".
func quote(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 100 {
		n := 0
		for i := range s {
			if n == 100 {
				s = s[:i] + "..."
				break
			}
			n++
		}
	}
	return `"` + s + `"`
}

// capDetail cuts s to at most MaxDetail bytes on a character boundary,
// ending it with "..." when it was cut.
func capDetail(s string) string {
	if len(s) <= MaxDetail {
		return s
	}
	cut := MaxDetail - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// saysNone reports whether a medication line says there are no medications,
// e.g. "none", "N/A", "no medications", "nothing at all".
func saysNone(s string) bool {
	toks := tokenize(s)
	if len(toks) == 0 {
		return false
	}
	negative := false
	for _, t := range toks {
		switch t {
		case "none", "nil", "nothing", "no", "na", "n":
			negative = true
		case "a", "medications", "medication", "meds", "medicines", "currently", "current", "not",
			"taking", "any", "at", "all", "prescribed", "prescriptions":
		default:
			return false
		}
	}
	return negative
}
