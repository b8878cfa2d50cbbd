package screening

import (
	"slices"
	"strings"
)

// NotRecognised is the ClassName of the Match NewSince returns for a new
// line in which nothing was recognised; the dosing page shows it after the
// line.
const NotRecognised = "not recognised: check it"

// NewSince lists what is new in now, a medication list, compared with
// before (the last session's list, or the intake's), and needs the
// prescriber's review before a dose. Blank lines and lines that say there
// are none ("none", "no medications") are skipped. For each other line of
// now, in order:
//
//   - each drug on it (a combination line names several) that is not on any
//     line of before, compared by generic name, and whose class rule is
//     Exclude or Caution, as the Match LookupMedication gives for it (Also,
//     Unmatched and Vague left empty);
//   - when nothing on it was recognised and nothing on it describes a
//     medicine, the line itself, unless before has a line with the same
//     text (compared without case and with spaces collapsed): Recognised
//     false, ClassName NotRecognised;
//   - when some of it was read but words or short codes on it were not
//     ("Lexapro 10 mg and procarbazine", "sertraline, MB") and some of them
//     are on no line of before: one Match with Recognised false and ClassName
//     "not recognised: check " and those words, quoted;
//   - when an item of it describes a medicine without naming it ("Zoloft,
//     water pill") and no line of before has that item: one Match with
//     Recognised false and ClassName "not named: ask which medicine " and
//     those items, quoted.
//
// Every Match has Input set to the trimmed line of now; the ones for what
// was not read as a drug have the Level, Reason and Source of the
// "med-unrecognised" or "med-unnamed" rule (Caution). Unlike the store's
// earlier newInteracting, which it replaces, NewSince skips lines that say
// there are none, trims Input, leaves Also empty on the drugs it lists, and
// also lists the unread words and unnamed medicines of lines that were
// partly recognised.
func NewSince(before, now []string) []Match {
	knownDrug, knownText, knownWord, knownVague := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, line := range before {
		knownText[collapse(line)] = true
		r, ok := read(strings.TrimSpace(line))
		if !ok {
			continue
		}
		for _, f := range r.found {
			knownDrug[drugs[f.drug].generic] = true
		}
		for _, w := range r.unmatched {
			knownWord[w] = true
		}
		for _, k := range r.vagueKeys {
			knownVague[k] = true
		}
	}
	unrecognised, _ := FindRule(ruleUnrecognised)
	unnamed, _ := FindRule(ruleUnnamed)
	problem := func(in string, r Rule, class string) Match {
		return Match{Input: in, ClassName: class, Level: r.Level, Reason: r.Reason, Source: r.Source}
	}
	var out []Match
	for _, line := range now {
		in := strings.TrimSpace(line)
		if in == "" || saysNone(in) {
			continue
		}
		r, ok := read(in)
		if !ok || len(r.found) == 0 && len(r.vague) == 0 {
			if !knownText[collapse(in)] {
				out = append(out, problem(in, unrecognised, NotRecognised))
			}
			continue
		}
		for _, f := range r.found {
			d := &drugs[f.drug]
			if knownDrug[d.generic] {
				continue
			}
			if l := d.level(); l == Exclude || l == Caution {
				out = append(out, matchOf(in, f))
			}
		}
		var words, items []string
		for _, w := range r.unmatched {
			if !knownWord[w] && !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
		for i, k := range r.vagueKeys {
			if !knownVague[k] {
				items = append(items, r.vague[i])
			}
		}
		if len(words) > 0 {
			out = append(out, problem(in, unrecognised, "not recognised: check "+quoteAll(words)))
		}
		if len(items) > 0 {
			out = append(out, problem(in, unnamed, "not named: ask which medicine "+quoteAll(items)+" is"))
		}
	}
	return out
}

// collapse lower-cases s and collapses its runs of white space to one space.
func collapse(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
