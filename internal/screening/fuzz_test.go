package screening

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// medSeeds are medication lines as patients type them, and tricks.
var medSeeds = []string{
	"xanax 0.5mg", "Adderall XR 20 mg", "AdderallXR", "buprenorphine/naloxone 8mg/2mg", "alprazolm", "Tylenol with codeine #3",
	"codeine 30 mg + acetaminophen 300 mg", "Lexapro, the one from dr", "anxiety pill prn", "water pill", "none", "N/A",
	"methylene", "methylene blue", "lamotrigine and procarbazine", "1/2 tab lexapro in the am", "MB", "Tylenol T3",
	"ＸＡＮＡＸ", "XANAX\u200b", "x\u0430nax", "İSTANBUL", "lorazepam;diazepam;clonazepam;kratom;phenelzine",
	strings.Repeat("a", 201), strings.Repeat("é", 199), "\xff\xfe xanax", "", "   ", "123 456", "ǅ", "ß lithium",
	"Wellbutrin XL 150mg qam (for mood)", "(lexapro)", "selegiline (Emsam patch) 6mg/24hr",
}

// nameSets maps each drug's generic name to every name it is known by,
// tokenized as read does.
func nameSets() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, d := range drugs {
		set := out[d.generic]
		if set == nil {
			set = map[string]bool{}
			out[d.generic] = set
		}
		for _, n := range append(strings.Split(d.names, ","), d.generic, strings.ReplaceAll(d.generic, "/", " ")) {
			set[strings.Join(tokenize(n), " ")] = true
		}
	}
	return out
}

// FuzzLookupMedication checks the medication matcher on any line: it is
// total and deterministic, keeps the line as given (trimmed), reports a
// drug only when the line holds one of that drug's names (or, marked
// Corrected, a word within two edits of one), puts the most serious drug
// first, and lists as vague only parts of the line.
func FuzzLookupMedication(f *testing.F) {
	for _, s := range medSeeds {
		f.Add(s)
	}
	names := nameSets()
	f.Fuzz(func(t *testing.T, line string) {
		m := LookupMedication(line)
		if again := LookupMedication(line); !reflect.DeepEqual(m, again) {
			t.Fatalf("LookupMedication(%q) is not deterministic:\n%+v\n%+v", line, m, again)
		}
		in := strings.TrimSpace(line)
		if m.Input != in {
			t.Fatalf("Input = %q, want %q", m.Input, in)
		}
		if utf8.RuneCountInString(in) > MaxInput && (m.Recognised || len(m.Vague) > 0 || len(m.Unmatched) > 0) {
			t.Fatalf("a line of %d characters was read: %+v", utf8.RuneCountInString(in), m)
		}
		if !m.Recognised && (m.Generic != "" || len(m.Also) > 0 || m.Level != "") {
			t.Fatalf("LookupMedication(%q): not recognised, but %+v", line, m)
		}
		toks := tokenize(in)
		joined := strings.Join(toks, "")
		all := append([]Match{m}, m.Also...)
		seen := map[string]bool{}
		for i, d := range all {
			if !d.Recognised {
				if i == 0 {
					continue
				}
				t.Fatalf("LookupMedication(%q): Also holds an unrecognised match", line)
			}
			if seen[d.Generic] {
				t.Fatalf("LookupMedication(%q): %s listed twice", line, d.Generic)
			}
			seen[d.Generic] = true
			if !names[d.Generic][d.Name] {
				t.Fatalf("LookupMedication(%q): %q is not a name of %s", line, d.Name, d.Generic)
			}
			if d.Input != in {
				t.Fatalf("LookupMedication(%q): a match's Input is %q", line, d.Input)
			}
			if i > 0 && d.Level.rank() > m.Level.rank() {
				t.Fatalf("LookupMedication(%q): %s (%s) is more serious than the primary %s (%s)", line, d.Generic, d.Level, m.Generic, m.Level)
			}
			if !d.Corrected {
				if !strings.Contains(joined, strings.ReplaceAll(d.Name, " ", "")) {
					t.Fatalf("LookupMedication(%q) found %s (%q), which the line does not hold", line, d.Generic, d.Name)
				}
				continue
			}
			near := false
			for _, w := range toks {
				if editDistance([]rune(w), []rune(d.Name), 2) <= 2 && utf8.RuneCountInString(w) >= 5 {
					near = true
				}
			}
			if !near {
				t.Fatalf("LookupMedication(%q) corrected a word into %s (%q), but no word is within 2 edits", line, d.Generic, d.Name)
			}
		}
		for _, v := range m.Vague {
			if v == "" || !strings.Contains(in, v) {
				t.Fatalf("LookupMedication(%q): vague part %q is not part of the line", line, v)
			}
		}
		for _, w := range m.Unmatched {
			if w == "" || !strings.Contains(joined, w) {
				t.Fatalf("LookupMedication(%q): unmatched word %q is not in the line", line, w)
			}
		}
		if SaysNone(line) && m.Recognised {
			t.Fatalf("%q says there are none, yet %s was recognised", line, m.Generic)
		}
	})
}

// FuzzScreen screens an intake made from arbitrary answers and medication
// lines (separated by "|") and checks the flags: deterministic, sorted by
// level, each of a known rule at its level, Detail at most MaxDetail
// bytes, one flag of a medication rule for every line naming a drug of its
// classes, an exclude flag for every exclusion question answered yes, and
// NewSince over the same lines total and limited to the new list.
func FuzzScreen(f *testing.F) {
	f.Add(30, "psychosis_history=yes&suicidal_now=unsure", "xanax 1mg|kratom|none|anxiety pill", "xanax")
	f.Add(-1, "", "", "")
	f.Add(17, "pregnant=yes&unknown=yes&x=maybe", strings.Repeat("lithium ", 30), "lithium")
	f.Add(131, "", "phenelzine|selegiline patch|"+strings.Repeat("é", 300), "")
	f.Add(45, "", "Lexapro, the one from dr|MB 5mg", "Lexapro")
	f.Fuzz(func(t *testing.T, age int, answers, meds, before string) {
		in := Input{Age: age, Yes: map[string]bool{}, Unsure: map[string]bool{}, Answered: map[string]bool{}}
		for _, kv := range strings.Split(answers, "&") {
			id, v, _ := strings.Cut(kv, "=")
			switch v {
			case "yes":
				in.Yes[id] = true
			case "unsure":
				in.Unsure[id] = true
			}
			in.Answered[id] = true
		}
		if len(meds) > 4000 {
			meds = meds[:4000]
		}
		in.Medications = strings.Split(meds, "|")
		flags := Screen(in)
		if !reflect.DeepEqual(flags, Screen(in)) {
			t.Fatal("Screen is not deterministic")
		}
		for i, fl := range flags {
			if len(fl.Detail) > MaxDetail {
				t.Fatalf("flag %s: Detail of %d bytes", fl.Rule, len(fl.Detail))
			}
			if i > 0 && fl.Level.rank() > flags[i-1].Level.rank() {
				t.Fatalf("flags not sorted by level: %s (%s) after %s (%s)", fl.Rule, fl.Level, flags[i-1].Rule, flags[i-1].Level)
			}
			r, ok := FindRule(fl.Rule)
			if !ok {
				t.Fatalf("flag of unknown rule %q", fl.Rule)
			}
			if fl.Level.rank() == 0 || (r.Question != "" && in.Yes[r.Question] && fl.Level != r.Level) {
				t.Fatalf("flag %s at level %q, rule at %q", fl.Rule, fl.Level, r.Level)
			}
		}
		readings := make([]Match, len(in.Medications))
		for i, line := range in.Medications {
			readings[i] = LookupMedication(line)
		}
		count := map[string]int{}
		for _, fl := range flags {
			count[fl.Rule]++
		}
		for _, r := range Rules() {
			if r.Question != "" && in.Yes[r.Question] && r.Level == Exclude && count[r.ID] == 0 {
				if _, asked := questionIndex[r.Question]; asked {
					t.Fatalf("yes to %s gave no %s flag", r.Question, r.ID)
				}
			}
			if len(r.Classes) == 0 {
				continue
			}
			want := 0
			for _, m := range readings {
				for _, d := range append([]Match{m}, m.Also...) {
					if d.Recognised && contains(r.Classes, d.Class) {
						want++
						break
					}
				}
			}
			if count[r.ID] != want {
				t.Fatalf("rule %s: %d flags, want one for each of %d lines naming a drug of its classes", r.ID, count[r.ID], want)
			}
		}
		news := NewSince(strings.Split(before, "|"), in.Medications)
		trimmed := map[string]bool{}
		for _, line := range in.Medications {
			trimmed[strings.TrimSpace(line)] = true
		}
		for _, n := range news {
			if !trimmed[n.Input] {
				t.Fatalf("NewSince lists %q, not a line of the new list", n.Input)
			}
		}
		if self := NewSince(in.Medications, in.Medications); len(self) > 0 {
			t.Fatalf("NewSince of a list against itself: %+v", self)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
