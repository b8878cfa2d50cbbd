package screening

import (
	"slices"
	"strings"
	"testing"
)

// screenRules screens one medication line and returns the flags' rule ids
// and details.
func screenRules(line string) (rules, details []string) {
	for _, f := range Screen(Input{Age: 30, Medications: []string{line}}) {
		rules = append(rules, f.Rule)
		details = append(details, f.Detail)
	}
	return rules, details
}

// TestMixedLinesDefect8 holds the four lines of the clinical review (issue
// 12, defect 8) that passed with no flag: each now gives the flag it needs.
func TestMixedLinesDefect8(t *testing.T) {
	tests := []struct {
		line   string
		rules  []string
		detail string // of the last flag
	}{
		{"Lexapro, anxiety pill prn", []string{ruleUnnamed},
			`"Lexapro, anxiety pill prn": "anxiety pill prn" does not say which medicine: ask which one`},
		{"Zoloft, water pill", []string{ruleUnnamed},
			`"Zoloft, water pill": "water pill" does not say which medicine: ask which one`},
		{"sertraline, MB", []string{ruleUnrecognised},
			`"sertraline, MB": "mb" not recognised: review it`},
		{"Lexapro 10 mg and procarbazine", []string{ruleUnrecognised},
			`"Lexapro 10 mg and procarbazine": "procarbazine" not recognised: review it`},
	}
	for _, tc := range tests {
		rules, details := screenRules(tc.line)
		if !slices.Equal(rules, tc.rules) || details[len(details)-1] != tc.detail {
			t.Errorf("Screen(%q) = %v %q, want %v with detail %q", tc.line, rules, details, tc.rules, tc.detail)
		}
	}

	// The as-you-type check says the same.
	for _, tc := range []struct {
		line             string
		generic          string
		unmatched, vague []string
	}{
		{"Lexapro, anxiety pill prn", "escitalopram", nil, []string{"anxiety pill prn"}},
		{"Zoloft, water pill", "sertraline", nil, []string{"water pill"}},
		{"sertraline, MB", "sertraline", []string{"mb"}, nil},
		{"Lexapro 10 mg and procarbazine", "escitalopram", []string{"procarbazine"}, nil},
	} {
		m := LookupMedication(tc.line)
		if m.Generic != tc.generic || !slices.Equal(m.Unmatched, tc.unmatched) || !slices.Equal(m.Vague, tc.vague) {
			t.Errorf("LookupMedication(%q) = %q unmatched %q vague %q, want %q unmatched %q vague %q",
				tc.line, m.Generic, m.Unmatched, m.Vague, tc.generic, tc.unmatched, tc.vague)
		}
	}
}

// TestVagueMedicines: an item with no drug that describes a medicine asks
// which medicine it is; the same words beside a named drug say what it is
// for, and are not flagged.
func TestVagueMedicines(t *testing.T) {
	tests := []struct {
		line  string
		vague []string // nil: no med-unnamed flag
	}{
		{"anxiety pill", []string{"anxiety pill"}},
		{"sleeping pill", []string{"sleeping pill"}},
		{"a sleeping pill at night", []string{"a sleeping pill at night"}},
		{"water pill", []string{"water pill"}},
		{"ADHD med", []string{"ADHD med"}},
		{"ADHD meds", []string{"ADHD meds"}},
		{"blood pressure pill", []string{"blood pressure pill"}},
		{"thyroid medication", []string{"thyroid medication"}},
		{"sleep aid", []string{"sleep aid"}},
		{"pain killers", []string{"pain killers"}},
		{"painkiller", []string{"painkiller"}},
		{"antidepressant", []string{"antidepressant"}},
		{"muscle relaxant", []string{"muscle relaxant"}},
		{"blood thinner", []string{"blood thinner"}},
		{"mood stabilizer", []string{"mood stabilizer"}},
		{"a benzo sometimes", []string{"a benzo sometimes"}},
		{"herbal supplements", []string{"herbal supplements"}},
		{"Zoloft; sleeping pill", []string{"sleeping pill"}},
		{"Zoloft + sleeping pill", []string{"sleeping pill"}},
		{"Lexapro with a sleeping pill", []string{"a sleeping pill"}},
		{"Zoloft/water pill", []string{"water pill"}},
		{"Lexapro, anxiety", []string{"anxiety"}}, // a purpose alone, not "for anxiety"
		{"Zoloft, anxiety pill, water pill", []string{"anxiety pill", "water pill"}},
		{"Cymbalta 60mg for pain, depression", []string{"depression"}}, // after a comma: its own item
		{"sleeping tablets (OTC)", []string{"sleeping tablets (OTC)"}},
		{"my mom's blood pressure pill", []string{"my mom's blood pressure pill"}},
		{"Excedrin migraine", nil},         // "excedrin" may be the name: not recognised
		{"Zoloft, Excedrin migraine", nil}, // the same beside a known drug
		{"Cymbalta for pain and depression pills", []string{"depression pills"}},
		// H3: a medicine word alone, or with filler words, beside a named
		// drug (Emsam, Sublocade, Vivitrol, a long-acting antipsychotic).
		{"Lexapro, the patch", []string{"the patch"}},
		{"Lexapro, monthly injection", []string{"monthly injection"}},
		{"Lexapro, shot every month", []string{"shot every month"}},
		{"Lexapro, AIDS meds", []string{"AIDS meds"}},
		{"Lexapro, meds", []string{"meds"}},
		{"Lexapro, my pills", []string{"my pills"}},
		{"Lexapro, inhaler", []string{"inhaler"}},
		{"Lexapro, med from dr", []string{"med from dr"}},
		{"Lexapro, nasal spray", []string{"nasal spray"}},
		{"Lexapro, eye drops", nil}, // "eye" is asked about instead
		{"Lexapro and a patch", []string{"a patch"}},
		{"Lexapro, IM monthly", []string{"IM monthly"}},
		{"Lexapro, liquid at night", []string{"liquid at night"}},
		{"Lexapro, 2 puffs", []string{"2 puffs"}},
		// Fail safe: any other item with no drug that is not dose or
		// timing text.
		{"Lexapro, the one from dr", []string{"the one from dr"}},
		{"Lexapro, not sure of the name", []string{"not sure of the name"}},
		{"Lexapro, etc", []string{"etc"}},
		{"the one from dr, Lexapro", []string{"the one from dr"}},
		{"for sleep, Lexapro", []string{"for sleep"}}, // a "for" with no drug before it
		// Dose and timing text is not an item to ask about.
		{"Lexapro, 10 mg", nil},
		{"Lexapro 10 mg, once a day", nil},
		{"Lexapro, every other day", nil},
		{"Lexapro, as needed, about twice a week", nil},
		{"Lexapro morning and night", nil},
		{"Lexapro 10 mg and 5 mg", nil},
		{"Lexapro, twice a day with food", nil},
		{"Suboxone 8mg/2mg film", nil},
		{"Emsam 6mg/24hr", nil},
		{"ketamine 0.5 mg/kg over 40 min", nil},
		{"Lexapro 10 mg, 1 tab", nil}, // a counted tablet is a dose
		{"Lexapro 5mg, 1/2 tab in the am", nil},
		{"Lexapro, 2 patches", []string{"2 patches"}}, // but Lexapro is no patch
		{"Lexapro, one sleeping pill", []string{"one sleeping pill"}},
		// A purpose beside a named drug.
		{"Lexapro for anxiety", nil},
		{"Cymbalta 60mg for pain and depression", nil},
		{"Lexapro for anxiety/depression", nil},
		{"Lexapro for anxiety & panic", nil},
		{"iron supplement", nil},
		{"Lexapro 10 mg, for anxiety", nil},
		{"sertraline 50 mg every morning for anxiety", nil},
		{"Lasix water pill", nil},
		{"trazodone 50 mg at night prn sleep", nil},
		{"Zoloft 50mg (anxiety)", nil},
		{"birth control pill", nil}, // a name
		{"Armour Thyroid 60 mg", nil},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.line)
		if !slices.Equal(m.Vague, tc.vague) {
			t.Errorf("LookupMedication(%q).Vague = %q, want %q", tc.line, m.Vague, tc.vague)
		}
		rules, details := screenRules(tc.line)
		i := slices.Index(rules, ruleUnnamed)
		switch {
		case tc.vague == nil && i >= 0:
			t.Errorf("Screen(%q) = %v, want no %s flag", tc.line, details, ruleUnnamed)
		case tc.vague != nil && i < 0:
			t.Errorf("Screen(%q) = %v, want a %s flag", tc.line, rules, ruleUnnamed)
		case tc.vague != nil && !strings.Contains(details[i], `"`+tc.vague[0]+`"`):
			t.Errorf("Screen(%q) detail = %q, want it to quote %q", tc.line, details[i], tc.vague[0])
		}
	}
	if rules, details := screenRules("Excedrin migraine"); !slices.Equal(rules, []string{ruleUnrecognised}) || details[0] != `"Excedrin migraine" was not recognised: review it` {
		t.Errorf("Screen(Excedrin migraine) = %q, want only %s", details, ruleUnrecognised)
	}
	// A vague line alone is not also "not recognised": one question is asked.
	if rules, _ := screenRules("anxiety pill"); !slices.Equal(rules, []string{ruleUnnamed}) {
		t.Errorf("Screen(anxiety pill) = %v, want only %s", rules, ruleUnnamed)
	}
	// A vague item and an unknown word on one line: both are asked about.
	if rules, _ := screenRules("blorptex, sleeping pill"); !slices.Equal(rules, []string{ruleUnrecognised, ruleUnnamed}) {
		t.Errorf("Screen(blorptex, sleeping pill) = %v, want %s and %s", rules, ruleUnrecognised, ruleUnnamed)
	}
	// The flag says what it is for and where the rule comes from.
	r, _ := FindRule(ruleUnnamed)
	if r.Level != Caution || !strings.Contains(r.Reason, "which medicine") || !strings.Contains(r.Source, "described but not named") {
		t.Errorf("rule %s = %+v, want a caution asking which medicine, saying why", ruleUnnamed, r)
	}
}

// TestShortCodesAreNotDropped: two-letter codes that are not dose, form or
// timing text are asked about; known short codes are read or ignored.
func TestShortCodesAreNotDropped(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		unmatched []string
	}{
		{"sertraline, MB", "sertraline", []string{"mb"}},
		{"sertraline MB", "sertraline", []string{"mb"}},
		{"Zoloft 50 mg, ZZ 10", "sertraline", []string{"zz10"}},
		{"Xanax; QX", "alprazolam", []string{"qx"}},
		{"DM 30 mg", "dextromethorphan", nil}, // a known short name
		{"Zoloft 50 mg po bid", "sertraline", nil},
		{"Zoloft 50 mg od", "sertraline", nil},
		{"Zoloft 50 mg bd", "sertraline", nil},
		{"Xanax 0.5 mg hs prn", "alprazolam", nil},
		{"Wellbutrin XL 150 mg am", "bupropion", nil},
		{"Tylenol T", "acetaminophen", nil}, // a lone letter, no number: not a code
		{"Lexapro 10mg mom's", "escitalopram", []string{"mom"}},
		{"no longer taking Xanax", "alprazolam", nil},
		{"ketamine 0.5 mg/kg over 40 min", "ketamine", nil},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || !slices.Equal(m.Unmatched, tc.unmatched) {
			t.Errorf("LookupMedication(%q) = %q unmatched %q, want %q unmatched %q", tc.in, m.Generic, m.Unmatched, tc.generic, tc.unmatched)
		}
	}
	if rules, _ := screenRules("MB"); !slices.Equal(rules, []string{ruleUnrecognised}) {
		t.Errorf("Screen(MB) = %v, want %s", rules, ruleUnrecognised)
	}
}

// TestNeverCorrectedIntoFillerWords: a word near a dose, form or timing
// word is asked about, never read as one; misspelt drug names are still
// corrected.
func TestNeverCorrectedIntoFillerWords(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		unmatched []string
	}{
		{"Zoloft water", "sertraline", nil},                  // "water" is a purpose, never "wafer"
		{"Zoloft, wafer", "sertraline", nil},                 // the form word itself
		{"Zoloft, batter", "sertraline", []string{"batter"}}, // near "water"? no: never read as filler
		{"Xanax, tablts", "alprazolam", []string{"tablts"}},
		{"Xanax, nightley", "alprazolam", []string{"nightley"}},
		{"Xanax, extented", "alprazolam", []string{"extented"}},
		{"alprazolm 1 mg", "alprazolam", nil}, // a drug name is still corrected
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || !slices.Equal(m.Unmatched, tc.unmatched) {
			t.Errorf("LookupMedication(%q) = %q unmatched %q, want %q unmatched %q", tc.in, m.Generic, m.Unmatched, tc.generic, tc.unmatched)
		}
	}
	// The index holds filler words as candidates only to refuse a
	// correction that is as near to one as to a drug.
	ix := loadIndex()
	near := 0
	for _, w := range []string{"tablts", "nightley", "extented", "capsuls", "mornign"} {
		if c, ok := ix.correct(w); ok && c.drug < 0 {
			near++
			if m := LookupMedication("Zoloft " + w); !slices.Equal(m.Unmatched, []string{w}) {
				t.Errorf("LookupMedication(Zoloft %s) unmatched %q, want it asked about, not read as the filler word %q", w, m.Unmatched, c.word)
			}
		}
	}
	if near < 3 {
		t.Errorf("%d of the words are near a filler word, want at least 3: the check above tests nothing", near)
	}
}

// TestItemsKeepCombinationsAndDoses: "/", "+", "and" and "with" split items,
// but not inside a known name nor between numbers.
func TestItemsKeepCombinationsAndDoses(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		also      []string
		unmatched []string
	}{
		{"buprenorphine/naloxone 8/2 mg", "buprenorphine/naloxone", nil, nil},
		{"Suboxone 8mg/2mg film", "buprenorphine/naloxone", nil, nil},
		{"hydrocodone/acetaminophen 5/325", "hydrocodone/acetaminophen", nil, nil},
		{"Tylenol with codeine #3", "codeine/acetaminophen", nil, nil},
		{"1/2 tab Xanax", "alprazolam", nil, nil},
		{"Xanax 1/2 tab and Zoloft 1 1/2 tabs", "alprazolam", []string{"sertraline"}, nil},
		{"Xanax/Ativan", "alprazolam", []string{"lorazepam"}, nil},
		{"Zoloft + Xanax", "alprazolam", []string{"sertraline"}, nil},
		{"Zoloft & Xanax", "alprazolam", []string{"sertraline"}, nil},
		{"Zoloft plus Xanax", "alprazolam", []string{"sertraline"}, nil},
		{"Emsam 6mg/24hr", "selegiline", nil, nil},
		{"morphine 10 mg/ml", "morphine", nil, nil},
		{"Zoloft with food", "sertraline", nil, nil},
		{"Zoloft and blorptex", "sertraline", nil, []string{"blorptex"}},
		{"dextroamphetamine and amphetamine", "dextroamphetamine", []string{"amphetamine"}, nil},
		{"Theo-24 300 mg", "theophylline", nil, nil},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		var also []string
		for _, a := range m.Also {
			also = append(also, a.Generic)
		}
		if m.Generic != tc.generic || !slices.Equal(also, tc.also) || !slices.Equal(m.Unmatched, tc.unmatched) || m.Vague != nil {
			t.Errorf("LookupMedication(%q) = %q also %v unmatched %q vague %q, want %q also %v unmatched %q",
				tc.in, m.Generic, also, m.Unmatched, m.Vague, tc.generic, tc.also, tc.unmatched)
		}
	}
}

// TestTokens: separators are noted, a "/" between numbers is not one.
func TestTokens(t *testing.T) {
	var got []string
	for _, tk := range tokens("Xanax 1/2, Zoloft+Abilify/10 mg;İx\nb") {
		s := tk.text
		if tk.hard {
			s = "," + s
		}
		if tk.soft {
			s = "/" + s
		}
		got = append(got, s)
	}
	want := []string{"xanax", "1", "2", ",zoloft", "/abilify", "/10", "mg", ",ix", ",b"}
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
	// Offsets point into the text as given, even where lower-casing
	// changes a character's length.
	text := "İx Xanax"
	toks := tokens(text)
	if len(toks) != 2 || text[toks[1].start:toks[1].end] != "Xanax" {
		t.Errorf("tokens(%q) offsets = %+v, want the second at \"Xanax\"", text, toks)
	}
}

// TestLabelInteractionsDefect12: thyroid hormones and theophylline or
// aminophylline are caution flags, by generic and brand, with the label
// they come from.
func TestLabelInteractionsDefect12(t *testing.T) {
	tests := []struct {
		in      string
		generic string
		class   string
	}{
		{"levothyroxine 100 mcg", "levothyroxine", classThyroid},
		{"Synthroid 88 mcg", "levothyroxine", classThyroid},
		{"Levoxyl", "levothyroxine", classThyroid},
		{"Unithroid 50", "levothyroxine", classThyroid},
		{"Euthyrox 75 mcg", "levothyroxine", classThyroid},
		{"Tirosint 50 mcg capsule", "levothyroxine", classThyroid},
		{"Levo-T", "levothyroxine", classThyroid},
		{"L-thyroxine", "levothyroxine", classThyroid},
		{"levothyroxin", "levothyroxine", classThyroid},
		{"Cytomel 5 mcg", "liothyronine", classThyroid},
		{"liothyronine", "liothyronine", classThyroid},
		{"Armour Thyroid 60 mg", "thyroid desiccated", classThyroid},
		{"NP Thyroid 30", "thyroid desiccated", classThyroid},
		{"Nature-Throid", "thyroid desiccated", classThyroid},
		{"desiccated thyroid", "thyroid desiccated", classThyroid},
		{"liotrix", "levothyroxine/liothyronine", classThyroid},
		{"theophylline 300 mg ER", "theophylline", classTheophylline},
		{"Theo-24 400mg", "theophylline", classTheophylline},
		{"Uniphyl 400 mg", "theophylline", classTheophylline},
		{"Elixophyllin elixir", "theophylline", classTheophylline},
		{"Theochron", "theophylline", classTheophylline},
		{"theophyline", "theophylline", classTheophylline},
		{"aminophylline 225 mg", "aminophylline", classTheophylline},
		{"Phyllocontin", "aminophylline", classTheophylline},
		{"oxtriphylline", "choline theophyllinate", classTheophylline},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || m.Class != tc.class || m.Level != Caution || len(m.Unmatched) > 0 {
			t.Errorf("LookupMedication(%q) = %q %q %q unmatched %q, want %q %q caution", tc.in, m.Generic, m.Class, m.Level, m.Unmatched, tc.generic, tc.class)
		}
	}
	for _, tc := range []struct {
		line, rule, detail string
	}{
		{"Synthroid 88 mcg", "med-thyroid-hormone", `"Synthroid 88 mcg" is levothyroxine (H03AA01), a thyroid hormone`},
		{"Cytomel", "med-thyroid-hormone", `"Cytomel" is liothyronine (H03AA02), a thyroid hormone`},
		{"Uniphyl 400 mg", "med-theophylline", `"Uniphyl 400 mg" is theophylline (R03DA04), a theophylline (xanthine bronchodilator)`},
		{"aminophylline", "med-theophylline", `"aminophylline" is aminophylline (R03DA05), a theophylline (xanthine bronchodilator)`},
	} {
		rules, details := screenRules(tc.line)
		if !slices.Equal(rules, []string{tc.rule}) || details[0] != tc.detail {
			t.Errorf("Screen(%q) = %v %q, want one %s flag %q", tc.line, rules, details, tc.rule, tc.detail)
		}
	}
	for _, tc := range []struct{ id, field, want string }{
		{"med-thyroid-hormone", "reason", "hypertension and tachycardia"},
		{"med-thyroid-hormone", "source", "Synthroid"},
		{"med-thyroid-hormone", "source", "7.6"},
		{"med-thyroid-hormone", "source", "Kaplan JA, Cooperman LH"},
		{"med-thyroid-hormone", "source", "not confirmed on the ketamine label"},
		{"med-thyroid-hormone", "source", "H03AA"},
		{"med-theophylline", "reason", "seizure threshold"},
		{"med-theophylline", "source", "Ketalar"},
		{"med-theophylline", "source", "7.1 Theophylline or Aminophylline"},
		{"med-theophylline", "source", "revised 10/2024"},
		{"med-theophylline", "source", "R03DA04"},
	} {
		r, ok := FindRule(tc.id)
		got := r.Reason
		if tc.field == "source" {
			got = r.Source
		}
		if !ok || r.Level != Caution || !strings.Contains(got, tc.want) {
			t.Errorf("rule %s: level %q %s %q, want caution and %q", tc.id, r.Level, tc.field, got, tc.want)
		}
	}
}

// TestDoseAndTimingTextRaisesNothing: frequency and dose text, beside the
// drug or after a comma (as the intake joins a medication's fields), gives
// no flag (H4: the intake screens the Frequency field too).
func TestDoseAndTimingTextRaisesNothing(t *testing.T) {
	for _, text := range []string{
		"each morning", "twice a day with food", "as needed, about twice a week", "every other day",
		"at bedtime", "1 hour before bed", "on an empty stomach", "by mouth daily", "1 tablet by mouth daily",
		"once a day", "2x/day", "q.d.", "prn", "weekly", "in the morning, with breakfast", "10 mg, 1/2 tab",
		"morning and night", "after meals", "b.i.d. p.r.n.", "p.o. q.h.s.", "every 4-6 hours as needed", "3 times a week",
	} {
		for _, line := range []string{"Lexapro 10 mg " + text, "Lexapro 10 mg, " + text} {
			if rules, details := screenRules(line); len(rules) > 0 {
				t.Errorf("Screen(%q) = %q, want no flag", line, details)
			}
			if got := NewSince([]string{"Lexapro"}, []string{line}); len(got) > 0 {
				t.Errorf("NewSince(Lexapro, %q) = %q, want nothing new", line, sinceRows(got))
			}
		}
	}
}
