package screening

import (
	"slices"
	"strings"
	"testing"
)

// sinceRow is what a test looks at in one Match of NewSince: the line, the
// generic ("" when not read as a drug) and the class name.
type sinceRow struct{ input, generic, class string }

func sinceRows(ms []Match) []sinceRow {
	var out []sinceRow
	for _, m := range ms {
		out = append(out, sinceRow{m.Input, m.Generic, m.ClassName})
	}
	return out
}

func TestNewSince(t *testing.T) {
	tests := []struct {
		name        string
		before, now []string
		want        []sinceRow
	}{
		// The meaning of the store's newInteracting, kept.
		{"nothing new", []string{"sertraline 50 mg", "Xanax 0.5 mg"}, []string{"sertraline 50 mg", "Xanax 0.5 mg"}, nil},
		{"a new benzodiazepine", []string{"sertraline 50 mg"}, []string{"sertraline 50 mg", "Xanax 0.5 mg at night"},
			[]sinceRow{{"Xanax 0.5 mg at night", "alprazolam", "Benzodiazepine"}}},
		{"the same drug by another name", []string{"Xanax 0.5 mg"}, []string{"alprazolam 1 mg"}, nil},
		{"a misspelt known drug", []string{"Xanax"}, []string{"alprazolm 0.5"}, nil},
		{"a new drug of no concern", []string{"sertraline"}, []string{"sertraline", "lisinopril 10 mg"}, nil},
		{"a new info-level drug", []string{"sertraline"}, []string{"Vivitrol monthly"}, nil},
		{"a new drug on a combination line", []string{"oxycodone 5 mg"}, []string{"oxycodone 5 mg + zolpidem 10 mg", "blorptex 10 mg"},
			[]sinceRow{{"oxycodone 5 mg + zolpidem 10 mg", "zolpidem", "Z-drug sleep medicine"}, {"blorptex 10 mg", "", NotRecognised}}},
		{"each new drug of a combination", nil, []string{"Fioricet with codeine"},
			[]sinceRow{{"Fioricet with codeine", "butalbital/acetaminophen/caffeine", "Barbiturate"}, {"Fioricet with codeine", "codeine", "Opioid"}}},
		{"a combination already known by its parts", []string{"buprenorphine/naloxone 8/2"}, []string{"Suboxone 8 mg film"}, nil},
		{"a new unrecognised line", []string{"sertraline"}, []string{"blorptex"}, []sinceRow{{"blorptex", "", NotRecognised}}},
		{"an unrecognised line already there", []string{"Blorptex  10 MG"}, []string{"blorptex 10 mg"}, nil},
		{"an unrecognised line said twice", nil, []string{"blorptex", "blorptex"},
			[]sinceRow{{"blorptex", "", NotRecognised}, {"blorptex", "", NotRecognised}}},
		{"a line too long to read", nil, []string{strings.Repeat("x", MaxInput+1)},
			[]sinceRow{{strings.Repeat("x", MaxInput+1), "", NotRecognised}}},
		{"blank and none lines", []string{"sertraline"}, []string{"", "  ", "none", "No medications"}, nil},
		{"no list before", nil, []string{"Percocet"}, []sinceRow{{"Percocet", "oxycodone/acetaminophen", "Opioid"}}},
		{"a stopped drug", []string{"Xanax", "sertraline"}, []string{"sertraline"}, nil},
		{"lines trimmed", nil, []string{"  Xanax 1 mg  "}, []sinceRow{{"Xanax 1 mg", "alprazolam", "Benzodiazepine"}}},
		// Defect 8: what was not read on a partly recognised line.
		{"a new vague item beside a known drug", []string{"Zoloft 50 mg"}, []string{"Zoloft 50 mg, water pill"},
			[]sinceRow{{"Zoloft 50 mg, water pill", "", `not named: ask which medicine "water pill" is`}}},
		{"a new anxiety pill", []string{"Lexapro"}, []string{"Lexapro, anxiety pill prn"},
			[]sinceRow{{"Lexapro, anxiety pill prn", "", `not named: ask which medicine "anxiety pill prn" is`}}},
		{"a new unknown drug beside a known one", []string{"Lexapro 10 mg"}, []string{"Lexapro 10 mg and procarbazine"},
			[]sinceRow{{"Lexapro 10 mg and procarbazine", "", `not recognised: check "procarbazine"`}}},
		{"a new short code", []string{"sertraline"}, []string{"sertraline, MB"},
			[]sinceRow{{"sertraline, MB", "", `not recognised: check "mb"`}}},
		{"a vague line alone", nil, []string{"sleeping pill"},
			[]sinceRow{{"sleeping pill", "", `not named: ask which medicine "sleeping pill" is`}}},
		{"a new drug and a new vague item on one line", []string{"Zoloft"}, []string{"Zoloft, Xanax, blorptex, ADHD med"},
			[]sinceRow{
				{"Zoloft, Xanax, blorptex, ADHD med", "alprazolam", "Benzodiazepine"},
				{"Zoloft, Xanax, blorptex, ADHD med", "", `not recognised: check "blorptex"`},
				{"Zoloft, Xanax, blorptex, ADHD med", "", `not named: ask which medicine "ADHD med" is`},
			}},
		{"the vague item already there", []string{"Zoloft, water pill"}, []string{"Zoloft 100 mg, water pill daily"}, nil},
		{"the vague item on its own line before", []string{"Zoloft", "water pill"}, []string{"Zoloft, water pill"}, nil},
		{"the unknown word already there", []string{"procarbazine 50 mg"}, []string{"Lexapro 10 mg and procarbazine"}, nil},
		{"the unknown word said twice", []string{"Zoloft"}, []string{"Zoloft, blorptex, blorptex 5"},
			[]sinceRow{{"Zoloft, blorptex, blorptex 5", "", `not recognised: check "blorptex"`}}},
		// H3: an item made only of medicine words is asked about, not dropped.
		{"a new patch", []string{"Lexapro"}, []string{"Lexapro, the patch"},
			[]sinceRow{{"Lexapro, the patch", "", `not named: ask which medicine "the patch" is`}}},
		{"a new monthly injection", []string{"Lexapro"}, []string{"Lexapro, monthly injection"},
			[]sinceRow{{"Lexapro, monthly injection", "", `not named: ask which medicine "monthly injection" is`}}},
		{"a new shot", []string{"Lexapro"}, []string{"Lexapro, shot every month"},
			[]sinceRow{{"Lexapro, shot every month", "", `not named: ask which medicine "shot every month" is`}}},
		{"new AIDS meds", []string{"Lexapro"}, []string{"Lexapro, AIDS meds"},
			[]sinceRow{{"Lexapro, AIDS meds", "", `not named: ask which medicine "AIDS meds" is`}}},
		{"new meds", []string{"Lexapro"}, []string{"Lexapro, meds"},
			[]sinceRow{{"Lexapro, meds", "", `not named: ask which medicine "meds" is`}}},
		{"new pills", []string{"Lexapro"}, []string{"Lexapro, my pills"},
			[]sinceRow{{"Lexapro, my pills", "", `not named: ask which medicine "my pills" is`}}},
		{"a new inhaler", []string{"Lexapro"}, []string{"Lexapro, inhaler"},
			[]sinceRow{{"Lexapro, inhaler", "", `not named: ask which medicine "inhaler" is`}}},
		{"a new med from the doctor", []string{"Lexapro"}, []string{"Lexapro, med from dr"},
			[]sinceRow{{"Lexapro, med from dr", "", `not named: ask which medicine "med from dr" is`}}},
		{"a new item of filler words", []string{"Lexapro"}, []string{"Lexapro, the one from dr"},
			[]sinceRow{{"Lexapro, the one from dr", "", `not named: ask which medicine "the one from dr" is`}}},
		{"the patch already there", []string{"Lexapro, patch weekly"}, []string{"Lexapro 10 mg, the patch"}, nil},
		{"dose and timing text is not new", []string{"Lexapro"}, []string{"Lexapro 10 mg, every other day", "Lexapro, twice a day with food"}, nil},
		// Defect 12: the label interactions are new drugs that need review.
		{"a new thyroid hormone", []string{"sertraline"}, []string{"sertraline", "Synthroid 88 mcg"},
			[]sinceRow{{"Synthroid 88 mcg", "levothyroxine", "Thyroid hormone"}}},
		{"a new theophylline", nil, []string{"Theo-24 300 mg"},
			[]sinceRow{{"Theo-24 300 mg", "theophylline", "Theophylline or aminophylline"}}},
		{"a thyroid hormone known by its brand", []string{"Synthroid"}, []string{"levothyroxine 100 mcg"}, nil},
	}
	for _, tc := range tests {
		got := NewSince(tc.before, tc.now)
		if rows := sinceRows(got); !slices.Equal(rows, tc.want) {
			t.Errorf("%s: NewSince = %q, want %q", tc.name, rows, tc.want)
			continue
		}
		unrecognised, _ := FindRule(ruleUnrecognised)
		unnamed, _ := FindRule(ruleUnnamed)
		for _, m := range got {
			switch {
			case m.Recognised:
				if m.Level != Exclude && m.Level != Caution || m.Reason == "" || m.Source == "" || m.ATC == "" || m.Also != nil {
					t.Errorf("%s: drug %+v, want an exclude or caution with its reason, source and ATC code, and no Also", tc.name, m)
				}
			case strings.HasPrefix(m.ClassName, "not named"):
				if m.Level != Caution || m.Reason != unnamed.Reason || m.Source != unnamed.Source {
					t.Errorf("%s: %+v, want the %s rule's level, reason and source", tc.name, m, ruleUnnamed)
				}
			default:
				if m.Generic != "" || m.Level != Caution || m.Reason != unrecognised.Reason || m.Source != unrecognised.Source {
					t.Errorf("%s: %+v, want no generic and the %s rule's level, reason and source", tc.name, m, ruleUnrecognised)
				}
			}
		}
	}
}

// TestNewSinceEveryConcernClass: a new drug of every class whose rule is
// exclude or caution is listed; one of an info rule is not.
func TestNewSinceEveryConcernClass(t *testing.T) {
	for _, r := range Rules() {
		for _, c := range r.Classes {
			i := slices.IndexFunc(drugs, func(d drug) bool { return d.class == c })
			line := drugs[i].generic
			got := NewSince([]string{"sertraline"}, []string{line})
			want := r.Level == Exclude || r.Level == Caution
			if (len(got) == 1 && got[0].Class == c) != want || len(got) > 1 {
				t.Errorf("NewSince(new %s, rule %s %s) = %v, want listed: %v", line, r.ID, r.Level, sinceRows(got), want)
			}
		}
	}
}
