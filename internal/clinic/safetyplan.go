package clinic

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The safety plan (issue 17): the six steps of the Stanley-Brown Safety
// Planning Intervention, used in order, and the reasons for living the
// plan closes with. Source: REFERENCE.md section 6 (Stanley & Brown 2012,
// Cogn Behav Pract 19:256; the template's reuse terms are unconfirmed, so
// the titles and hints below are kapstone's own words, not the template's).

// Safety plan section keys, in the order the plan is used.
const (
	PlanWarningSigns = "warning_signs"
	PlanCoping       = "coping"
	PlanDistraction  = "distraction"
	PlanPeople       = "people"
	PlanProfessional = "professionals"
	PlanSafer        = "safer"
	PlanReasons      = "reasons"
)

// PlanSection is one section of the safety plan: its key, its title, a
// hint for the person writing it, and whether a phone number in a line is
// offered as a link to call (people and professionals).
type PlanSection struct {
	Key, Title, Hint string
	Calls            bool
}

// PlanSections are the sections of a safety plan, in order.
var PlanSections = []PlanSection{
	{PlanWarningSigns, "Signs that a hard time is starting", "Thoughts, pictures in my head, moods, situations or things I do that tell me a crisis may be coming.", false},
	{PlanCoping, "Things I can do on my own to cope", "What helps me get through, without needing anyone else: a walk, music, a shower, a skill I have learned.", false},
	{PlanDistraction, "People and places that take my mind off things", "Friends to be around, or places with other people where I feel better (a café, a park, a gym).", false},
	{PlanPeople, "People I can ask for help", "Family or friends I can tell I am struggling. Put a phone number on the line to call them with one tap.", true},
	{PlanProfessional, "Professionals and crisis lines", "My clinicians and other services I can reach. The practice and the crisis lines are always on the plan; add others here.", true},
	{PlanSafer, "Making my surroundings safer", "What I will do, or ask someone to do, to keep things I could hurt myself with out of reach.", false},
	{PlanReasons, "My reasons for living", "The people, things and hopes that matter most to me.", false},
}

// Limits of a safety plan.
const (
	PlanMaxLines    = 20  // lines in one section
	PlanMaxLineRune = 300 // characters in one line
)

// PlanSectionByKey returns the section with key, and whether there is one.
func PlanSectionByKey(key string) (PlanSection, bool) {
	for _, s := range PlanSections {
		if s.Key == key {
			return s, true
		}
	}
	return PlanSection{}, false
}

// PlanLines splits the text typed for one section into its lines: each
// trimmed, blank ones dropped, CRLF read as LF.
func PlanLines(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// PlanProblem says what is wrong with a section's lines, or "": at most
// PlanMaxLines lines of at most PlanMaxLineRune characters, each plain
// single-line text.
func PlanProblem(lines []string) string {
	if len(lines) > PlanMaxLines {
		return "Use at most " + strconv.Itoa(PlanMaxLines) + " lines here."
	}
	for i, l := range lines {
		n := strconv.Itoa(i + 1)
		switch {
		case !utf8.ValidString(l):
			return "Line " + n + ": use plain text."
		case utf8.RuneCountInString(l) > PlanMaxLineRune:
			return "Line " + n + " is too long: use at most " + strconv.Itoa(PlanMaxLineRune) + " characters."
		case !SingleLine(l):
			return "Line " + n + ": use letters, numbers and punctuation only."
		}
	}
	return ""
}

// PhoneIn finds a phone number in a line of the plan ("Sam (sister) 555
// 010 2345"): the first run of digits, spaces, dots, dashes, brackets and a
// leading plus that holds 3 to 15 digits (3 for 988 and 911). It returns
// the run as typed and the number to dial (digits, with the plus), or two
// empty strings when there is none.
func PhoneIn(line string) (typed, dial string) {
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		if !(rs[i] >= '0' && rs[i] <= '9' || rs[i] == '+' || rs[i] == '(') {
			continue
		}
		if i > 0 && (rs[i-1] >= '0' && rs[i-1] <= '9' || isLetter(rs[i-1])) {
			continue
		}
		j, digits := i, 0
		for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || strings.ContainsRune(" .-()", rs[j]) || rs[j] == '+' && j == i) {
			if rs[j] >= '0' && rs[j] <= '9' {
				digits++
			}
			j++
		}
		run := strings.TrimRight(string(rs[i:j]), " .-(")
		if end := i + len([]rune(run)); end < len(rs) && isLetter(rs[end]) || digits < 3 || digits > 15 {
			i = j
			continue
		}
		var b strings.Builder
		for _, c := range run {
			if c >= '0' && c <= '9' || c == '+' && b.Len() == 0 {
				b.WriteRune(c)
			}
		}
		return run, b.String()
	}
	return "", ""
}

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
