package screening

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// minimalInput returns the smallest adult intake that should fire r alone.
func minimalInput(t *testing.T, r Rule) Input {
	t.Helper()
	in := Input{Age: 40}
	switch {
	case r.Question != "":
		in.Yes = map[string]bool{r.Question: true}
	case r.AgeUnder > 0:
		in.Age = r.AgeUnder - 1
	case len(r.Classes) > 0:
		for _, d := range drugs {
			if slices.Contains(r.Classes, d.class) {
				in.Medications = []string{d.generic}
				break
			}
		}
		if in.Medications == nil {
			t.Fatalf("rule %s: no drug in the table has class %v", r.ID, r.Classes)
		}
	case r.ID == ruleAgeUnknown:
		in.Age = -1
	case r.ID == ruleUnrecognised:
		in.Medications = []string{"asdfgh"}
	case r.ID == ruleUnnamed:
		in.Medications = []string{"water pill"}
	case r.ID == ruleUnsure:
		in.Unsure = map[string]bool{"psychosis_history": true}
	case r.ID == RuleNotAnswered:
		in.Answered = map[string]bool{}
		for _, q := range questions {
			in.Answered[q.ID] = q.ID != "psychosis_history"
		}
	default:
		t.Fatalf("rule %s: no way to build an input that fires it", r.ID)
	}
	return in
}

func TestEveryRuleFiresAlone(t *testing.T) {
	for _, r := range Rules() {
		t.Run(r.ID, func(t *testing.T) {
			got := Screen(minimalInput(t, r))
			if len(got) != 1 || got[0].Rule != r.ID {
				t.Fatalf("Screen(minimal input for %s) = %+v, want exactly one %s flag", r.ID, got, r.ID)
			}
			f := got[0]
			if f.Level != r.Level {
				t.Errorf("flag level = %q, want %q", f.Level, r.Level)
			}
			if f.Reason == "" || f.Source == "" || f.Detail == "" {
				t.Errorf("flag = %+v, want a reason, a source and a detail", f)
			}
			if r.ID != ruleUnsure && (f.Reason != r.Reason || f.Source != r.Source) {
				t.Errorf("flag reason/source = %q / %q, want the rule's %q / %q", f.Reason, f.Source, r.Reason, r.Source)
			}
		})
	}
}

func TestQuietWithoutCause(t *testing.T) {
	yesNo := map[string]bool{}
	for _, q := range Questions() {
		yesNo[q.ID] = false
	}
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"empty adult", Input{Age: 40}},
		{"all answered no", Input{Age: 18, Yes: yesNo, Unsure: yesNo}},
		{"all answered no, with Answered", Input{Age: 18, Yes: yesNo, Unsure: yesNo, Answered: allAnswered()}},
		{"only the info question left blank", Input{Age: 18, Answered: allAnsweredBut("ketamine_prior")}},
		{"unsure about an info question", Input{Age: 30, Unsure: map[string]bool{"ketamine_prior": true}}},
		{"unknown question ids", Input{Age: 30, Yes: map[string]bool{"no_such_question": true}, Unsure: map[string]bool{"nor_this": true}}},
		{"no-concern medications", Input{Age: 65, Medications: []string{"Zoloft 100 mg", "lithium 300mg", "Lipitor 20 mg", "fish oil", "vitamin D3 2000 IU"}}},
		{"lines saying none", Input{Age: 30, Medications: []string{"", "   ", "none", "N/A", "No medications", "nothing at all", "nil"}}},
		{"age 130", Input{Age: 130}},
	} {
		if got := Screen(tc.in); len(got) != 0 {
			t.Errorf("%s: Screen = %+v, want no flags", tc.name, got)
		}
	}
}

func TestRulesData(t *testing.T) {
	rs := Rules()
	ids := map[string]bool{}
	asked := map[string]int{}
	covered := map[string]int{}
	for _, r := range rs {
		if ids[r.ID] {
			t.Errorf("rule id %q appears twice", r.ID)
		}
		ids[r.ID] = true
		if r.Level != Exclude && r.Level != Caution && r.Level != Info {
			t.Errorf("rule %s: level %q, want exclude, caution or info", r.ID, r.Level)
		}
		if r.Reason == "" || r.Source == "" {
			t.Errorf("rule %s: reason %q, source %q, want both", r.ID, r.Reason, r.Source)
		}
		if !strings.HasSuffix(r.Reason, ".") {
			t.Errorf("rule %s: reason %q, want a sentence ending in a full stop", r.ID, r.Reason)
		}
		if r.Question != "" {
			if _, ok := questionIndex[r.Question]; !ok {
				t.Errorf("rule %s: question %q is not asked", r.ID, r.Question)
			}
			asked[r.Question]++
		}
		for _, c := range r.Classes {
			if _, ok := classByID[c]; !ok {
				t.Errorf("rule %s: class %q is not defined", r.ID, c)
			}
			covered[c]++
		}
		if got, ok := FindRule(r.ID); !ok || got.ID != r.ID {
			t.Errorf("FindRule(%q) = %v, %v, want the rule", r.ID, got.ID, ok)
		}
	}
	for _, q := range Questions() {
		if asked[q.ID] != 1 {
			t.Errorf("question %s has %d rules, want 1", q.ID, asked[q.ID])
		}
	}
	for _, c := range classes {
		if covered[c.id] != 1 {
			t.Errorf("class %s is in %d rules, want 1", c.id, covered[c.id])
		}
	}
	if _, ok := FindRule("no-such-rule"); ok {
		t.Error("FindRule(no-such-rule) found a rule, want none")
	}

	// Question rules come in question order, so flags sort the way the intake reads.
	last := -1
	for _, r := range rs {
		if r.Question == "" {
			continue
		}
		if qi := questionIndex[r.Question]; qi < last {
			t.Errorf("rule %s comes after a rule for a later question", r.ID)
		} else {
			last = qi
		}
	}

	// Rules returns a copy.
	rs[0].ID = "changed"
	rs[len(rs)-1].Classes = append(rs[len(rs)-1].Classes, "changed")
	for _, r := range Rules() {
		if r.ID == "changed" || slices.Contains(r.Classes, "changed") {
			t.Fatal("changing the result of Rules changed the rules")
		}
	}
}

func TestRuleLevels(t *testing.T) {
	want := map[string]Level{
		"psychosis-history": Exclude, "mania-history": Exclude, "mania-recent": Exclude, "aneurysm": Exclude,
		"brain-bleed": Exclude, "ketamine-reaction": Exclude, "pregnant": Exclude, "breastfeeding": Exclude,
		"substance-recent": Exclude, "suicidal-now": Exclude, "age-under-18": Exclude,
		"med-benzodiazepine": Exclude, "med-psychostimulant": Exclude, "med-maoi": Exclude,
		"family-psychosis": Caution, "stroke": Caution, "bp-uncontrolled": Caution,
		"high-blood-pressure": Caution, "heart-disease": Caution, "head-injury": Caution, "dementia": Caution,
		"liver-disease": Caution, "bladder-problems": Caution, "glaucoma": Caution,
		"ketamine-misuse": Caution, "suicide-attempt": Caution, "age-unknown": Caution,
		"med-z-drug": Caution, "med-lamotrigine": Caution, "med-opioid": Caution, "med-cns-depressant": Caution,
		"med-sedative": Caution, "med-nmda-antagonist": Caution, "med-cannabis": Caution,
		"med-non-stimulant-adhd": Caution, "med-st-johns-wort": Caution, "med-antipsychotic": Caution,
		"med-thyroid-hormone": Caution, "med-theophylline": Caution,
		"med-unrecognised": Caution, "med-unnamed": Caution, "answered-unsure": Caution, "not-answered": Caution,
		"ketamine-prior": Info, "med-naltrexone": Info, "med-ketamine": Info,
	}
	for id, lvl := range want {
		r, ok := FindRule(id)
		if !ok {
			t.Errorf("rule %s missing", id)
			continue
		}
		if r.Level != lvl {
			t.Errorf("rule %s level = %q, want %q", id, r.Level, lvl)
		}
	}
	if n := len(Rules()); n != len(want) {
		t.Errorf("Rules() has %d rules, the table here %d: add the new rule's level here", n, len(want))
	}

	// What the reasons and sources must say.
	for _, tc := range []struct {
		id, field, want string
	}{
		{"mania-history", "reason", "prescriber may override"},
		{"mania-history", "reason", "stable"},
		{"mania-history", "source", srcPolicy},
		{"substance-recent", "reason", "deferral"},
		{"substance-recent", "reason", "prescriber may override"},
		{"age-unknown", "reason", "Date of birth not recorded"},
		{"age-unknown", "reason", "confirm the patient is an adult"},
		{"med-psychostimulant", "reason", "phentermine"},
		{"med-maoi", "reason", "linezolid"},
		{"med-maoi", "reason", "methylene blue"},
		{"med-maoi", "source", "J01XX08"},
		{"med-maoi", "source", "V04CG05"},
		{"med-opioid", "reason", "kratom"},
		{"med-non-stimulant-adhd", "reason", "not a stimulant"},
		{"med-non-stimulant-adhd", "reason", "N06BA"},
		{"med-non-stimulant-adhd", "reason", "prescriber's judgement"},
		{"med-st-johns-wort", "reason", "unconfirmed"},
		{"med-st-johns-wort", "reason", "serotonergic"},
		{"med-cannabis", "source", "cannabis"},
		{"med-cns-depressant", "reason", "oxybate"},
		{"med-sedative", "reason", "kava"},
		{"med-nmda-antagonist", "reason", "dissociation"},
		{"not-answered", "source", "kapstone policy: a question left blank is not a no"},
	} {
		r, _ := FindRule(tc.id)
		got := r.Reason
		if tc.field == "source" {
			got = r.Source
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("rule %s %s = %q, want it to contain %q", tc.id, tc.field, got, tc.want)
		}
	}

	// Only what the seed says cites the seed.
	seedSays := []string{"psychosis-history", "mania-history", "mania-recent", "med-benzodiazepine", "med-psychostimulant", "med-maoi"}
	for _, r := range Rules() {
		if cites := strings.Contains(r.Source, srcPolicy); cites != slices.Contains(seedSays, r.ID) {
			t.Errorf("rule %s cites the seed: %v, want %v", r.ID, cites, !cites)
		}
	}
	if r, _ := FindRule("glaucoma"); !strings.Contains(r.Source, "unconfirmed") {
		t.Errorf("glaucoma source = %q, want it to say the label does not confirm it", r.Source)
	}
	if r, _ := FindRule("med-naltrexone"); !strings.Contains(r.Reason+r.Source, "unconfirmed") {
		t.Errorf("naltrexone rule = %q / %q, want it to say the concern is unconfirmed", r.Reason, r.Source)
	}
}

func TestQuestions(t *testing.T) {
	wantIDs := []string{
		"psychosis_history", "mania_history", "mania_recent", "family_psychosis",
		"high_blood_pressure", "bp_uncontrolled", "heart_disease", "aneurysm",
		"stroke", "brain_bleed", "head_injury", "dementia",
		"ketamine_reaction", "liver_disease", "bladder_problems", "glaucoma",
		"pregnant", "breastfeeding",
		"substance_recent", "ketamine_misuse", "ketamine_prior",
		"suicide_attempt", "suicidal_now",
	}
	wantSections := []string{SectionMentalHealth, SectionHeart, SectionBrain, SectionOther, SectionPregnancy, SectionSubstances, SectionSafety}
	qs := Questions()
	var ids, sections []string
	for _, q := range qs {
		ids = append(ids, q.ID)
		if len(sections) == 0 || sections[len(sections)-1] != q.Section {
			sections = append(sections, q.Section)
		}
		if !strings.HasSuffix(q.Text, "?") || !strings.Contains(strings.ToLower(q.Text), "you") {
			t.Errorf("question %s text %q, want a second-person question", q.ID, q.Text)
		}
		if len(q.Text) > 200 || len(q.Help) > 200 {
			t.Errorf("question %s: text or help longer than 200 bytes, too long for a phone", q.ID)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("question ids = %v, want %v", ids, wantIDs)
	}
	if !slices.Equal(sections, wantSections) {
		t.Errorf("sections = %v, want %v, each once", sections, wantSections)
	}
}

var atcPattern = regexp.MustCompile(`^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$`)

func TestMedicationTable(t *testing.T) {
	ix, err := buildIndex()
	if err != nil {
		t.Fatalf("buildIndex: %v", err)
	}
	names := 0
	for _, refs := range ix.byFirst {
		names += len(refs)
	}
	if names < 150 {
		t.Errorf("the table has %d names, want at least 150", names)
	}
	for _, d := range drugs {
		switch {
		case d.atc == "":
			if !strings.Contains(d.note, "no ATC code") {
				t.Errorf("%s: no ATC code, and note %q does not say \"no ATC code\"", d.generic, d.note)
			}
		case !atcPattern.MatchString(d.atc):
			t.Errorf("%s: ATC %q is not an ATC code", d.generic, d.atc)
		case len(d.atc) < 7 && !strings.Contains(d.note, "group-level"):
			t.Errorf("%s: ATC %q is a group, and note %q does not say \"group-level\"", d.generic, d.atc, d.note)
		case len(d.atc) == 7 && strings.Contains(d.note, "group-level"):
			t.Errorf("%s: ATC %q is a full code, but note %q says group-level", d.generic, d.atc, d.note)
		}
		if d.class != "" {
			if _, ok := classByID[d.class]; !ok {
				t.Errorf("%s: class %q is not defined", d.generic, d.class)
			}
		}
		// A drug whose class is not the one its ATC code implies must say why;
		// a note is otherwise only for a group-level or missing code.
		implied, longest := "", 0
		for _, c := range classes {
			for _, p := range c.atc {
				if d.atc != "" && strings.HasPrefix(d.atc, p) && len(p) > longest {
					implied, longest = c.id, len(p)
				}
			}
		}
		if implied != d.class && d.note == "" {
			t.Errorf("%s (%s): class %q but ATC implies %q, and no note says why", d.generic, d.atc, d.class, implied)
		}
		if implied == d.class && len(d.atc) == 7 && d.note != "" {
			t.Errorf("%s: has a note but its class is the one its full ATC code implies", d.generic)
		}
		m := LookupMedication(d.generic)
		if !m.Recognised || m.Generic != d.generic || m.Class != d.class {
			t.Errorf("LookupMedication(%q) = %q class %q, want itself, class %q", d.generic, m.Generic, m.Class, d.class)
		}
	}
	for _, c := range classes {
		if !slices.ContainsFunc(drugs, func(d drug) bool { return d.class == c.id }) {
			t.Errorf("class %s has no drug in the table", c.id)
		}
	}
}

func TestLookupMedication(t *testing.T) {
	tests := []struct {
		in      string
		generic string // "" for not recognised
		class   string
	}{
		// Benzodiazepines, by generic, brand, extended release and misspelling.
		{"xanax 0.5mg", "alprazolam", classBenzodiazepine},
		{"Xanax XR 1 mg", "alprazolam", classBenzodiazepine},
		{"ALPRAZOLAM", "alprazolam", classBenzodiazepine},
		{"alprazolm", "alprazolam", classBenzodiazepine},
		{"xanex", "alprazolam", classBenzodiazepine},
		{"  Ativan   1mg  prn ", "lorazepam", classBenzodiazepine},
		{"lorazepam 0.5 mg at night", "lorazepam", classBenzodiazepine},
		{"Klonopin 1 mg twice daily", "clonazepam", classBenzodiazepine},
		{"klonopine", "clonazepam", classBenzodiazepine},
		{"clonazepam ODT 0.25mg", "clonazepam", classBenzodiazepine},
		{"Valium 5mg tab", "diazepam", classBenzodiazepine},
		{"Restoril 15 mg capsule", "temazepam", classBenzodiazepine},
		{"halcion", "triazolam", classBenzodiazepine},
		{"Librax", "chlordiazepoxide/clidinium", classBenzodiazepine},
		{"Onfi 10mg", "clobazam", classBenzodiazepine},
		// Z-drugs.
		{"Ambien CR 12.5mg", "zolpidem", classZDrug},
		{"zolpidum", "zolpidem", classZDrug},
		{"Lunesta 3 mg", "eszopiclone", classZDrug},
		// Psychostimulants.
		{"Adderall XR 20 mg", "amphetamine", classStimulant},
		{"adderal", "amphetamine", classStimulant},
		{"AdderallXR 30mg", "amphetamine", classStimulant},
		{"dextroamphetamine-amphetamine 10 mg", "amphetamine", classStimulant},
		{"Vyvanse 40 mg capsule", "lisdexamfetamine", classStimulant},
		{"Concerta 36mg ER tab", "methylphenidate", classStimulant},
		{"Ritalin LA", "methylphenidate", classStimulant},
		{"Focalin XR 10", "dexmethylphenidate", classStimulant},
		{"Provigil", "modafinil", classStimulant},
		{"Adipex-P 37.5", "phentermine", classStimulant},
		{"phentermine 37.5mg every morning", "phentermine", classStimulant},
		{"Lomaira 8 mg", "phentermine", classStimulant},
		{"Qsymia 7.5/46", "phentermine/topiramate", classStimulant},
		// Non-stimulant ADHD medicines.
		{"Strattera 40mg", "atomoxetine", classNonStimulant},
		{"atomoxetine", "atomoxetine", classNonStimulant},
		{"Qelbree 200 mg", "viloxazine", classNonStimulant},
		{"viloxazine ER", "viloxazine", classNonStimulant},
		// MAOIs.
		{"Emsam patch 6mg/24hr", "selegiline", classMAOB},
		{"Nardil 15mg", "phenelzine", classMAOI},
		{"parnate", "tranylcypromine", classMAOI},
		{"Azilect 1 mg", "rasagiline", classMAOB},
		{"methylene blue", "methylene blue", classMAOI},
		{"Methylene Blue 1% injection", "methylene blue", classMAOI},
		{"ProvayBlue", "methylene blue", classMAOI},
		{"Zyvox 600mg", "linezolid", classMAOI},
		{"linezolid 600 mg twice daily", "linezolid", classMAOI},
		// Barbiturates, oxybates and other sedating medicines.
		{"Fioricet", "butalbital/acetaminophen/caffeine", classBarbiturate},
		{"fioricet 50-325-40 prn headache", "butalbital/acetaminophen/caffeine", classBarbiturate},
		{"butalbital-acetaminophen-caffeine", "butalbital/acetaminophen/caffeine", classBarbiturate},
		{"Fiorinal", "butalbital/aspirin/caffeine", classBarbiturate},
		{"butalbital", "butalbital", classBarbiturate},
		{"phenobarbital 30 mg", "phenobarbital", classBarbiturate},
		{"Xyrem", "sodium oxybate", classOxybate},
		{"sodium oxybate 4.5 g nightly", "sodium oxybate", classOxybate},
		{"Xywav", "mixed oxybate salts", classOxybate},
		{"Soma 350mg", "carisoprodol", classSedative},
		{"carisoprodol", "carisoprodol", classSedative},
		{"Belsomra 10mg", "suvorexant", classSedative},
		{"suvorexant", "suvorexant", classSedative},
		{"Dayvigo 5 mg", "lemborexant", classSedative},
		{"lemborexant", "lemborexant", classSedative},
		{"Quviviq 50mg", "daridorexant", classSedative},
		{"daridorexant", "daridorexant", classSedative},
		{"kava", "kava", classSedative},
		// NMDA antagonists.
		{"Delsym", "dextromethorphan", classNMDA},
		{"dextromethorphan", "dextromethorphan", classNMDA},
		{"DXM 30mg", "dextromethorphan", classNMDA},
		{"Robitussin DM", "dextromethorphan/guaifenesin", classNMDA},
		{"Mucinex DM", "dextromethorphan/guaifenesin", classNMDA},
		{"NyQuil", "acetaminophen/dextromethorphan/doxylamine", classNMDA},
		{"Vicks NyQuil 30 ml at night", "acetaminophen/dextromethorphan/doxylamine", classNMDA},
		{"DayQuil", "acetaminophen/dextromethorphan/phenylephrine", classNMDA},
		{"Auvelity 45/105", "dextromethorphan/bupropion", classNMDA},
		{"Nuedexta 20/10", "dextromethorphan/quinidine", classNMDA},
		{"memantine", "memantine", classNMDA},
		{"Namenda XR", "memantine", classNMDA},
		{"Namenda 10 mg twice daily", "memantine", classNMDA},
		// Cannabis.
		{"CBD gummies", "cannabidiol", classCannabis},
		{"CBD oil", "cannabidiol", classCannabis},
		{"Epidiolex", "cannabidiol", classCannabis},
		{"weed", "cannabis", classCannabis},
		{"Marijuana", "cannabis", classCannabis},
		{"medical marijuana", "cannabis", classCannabis},
		{"cannabis edibles", "cannabis", classCannabis},
		{"THC gummies 10mg", "cannabis", classCannabis},
		{"edibles", "cannabis", classCannabis},
		{"delta-8 THC", "cannabis", classCannabis},
		{"Marinol 2.5mg", "dronabinol", classCannabis},
		// Herbal.
		{"St John's wort", "St John's wort", classStJohnsWort},
		{"st johns wort", "St John's wort", classStJohnsWort},
		{"St. John's Wort 300mg", "St John's wort", classStJohnsWort},
		{"hypericum", "St John's wort", classStJohnsWort},
		// Lamotrigine.
		{"Lamictal XR 200mg", "lamotrigine", classLamotrigine},
		{"lamictle", "lamotrigine", classLamotrigine},
		{"lamotrigine 100 mg daily", "lamotrigine", classLamotrigine},
		// Opioids, including combinations.
		{"Suboxone 8mg/2mg film", "buprenorphine/naloxone", classOpioid},
		{"buprenorphine/naloxone", "buprenorphine/naloxone", classOpioid},
		{"hydrocodone-acetaminophen 5-325", "hydrocodone/acetaminophen", classOpioid},
		{"Norco 10/325", "hydrocodone/acetaminophen", classOpioid},
		{"Percocet 5/325 prn", "oxycodone/acetaminophen", classOpioid},
		{"Tylenol #3", "codeine/acetaminophen", classOpioid},
		{"tylenol with codeine", "codeine/acetaminophen", classOpioid},
		{"Tylenol with Codeine #3", "codeine/acetaminophen", classOpioid},
		{"Tylenol 3", "codeine/acetaminophen", classOpioid},
		{"Tylenol T3", "codeine/acetaminophen", classOpioid},
		{"Tylenol #3 1 tab", "codeine/acetaminophen", classOpioid},
		{"Tylenol No. 3", "codeine/acetaminophen", classOpioid},
		{"Tylenol #4 prn", "codeine/acetaminophen", classOpioid},
		{"T3", "codeine/acetaminophen", classOpioid},
		{"T3 1-2 tabs q4h prn", "codeine/acetaminophen", classOpioid},
		{"acetaminophen-codeine 300/30", "codeine/acetaminophen", classOpioid},
		{"used kratom daily", "kratom", classOpioid},
		{"mitragynine", "kratom", classOpioid},
		{"OxyContin 20mg ER", "oxycodone", classOpioid},
		{"tramadol 50mg", "tramadol", classOpioid},
		{"methadone 80 mg daily", "methadone", classOpioid},
		{"Butrans patch", "buprenorphine", classOpioid},
		{"Sublocade", "buprenorphine", classOpioid},
		{"codeine 30 mg", "codeine", classOpioid},
		// Antipsychotics.
		{"Seroquel XL 50mg at bedtime", "quetiapine", classAntipsychotic},
		{"abilify 5mg", "aripiprazole", classAntipsychotic},
		{"Risperdal Consta", "risperidone", classAntipsychotic},
		{"Zyprexa Zydis 10 mg", "olanzapine", classAntipsychotic},
		{"latuda", "lurasidone", classAntipsychotic},
		{"Symbyax", "olanzapine/fluoxetine", classAntipsychotic},
		// Naltrexone and ketamine.
		{"Vivitrol injection monthly", "naltrexone", classNaltrexone},
		{"LDN 4.5mg", "naltrexone", classNaltrexone},
		{"Contrave", "naltrexone/bupropion", classNaltrexone},
		{"Spravato 56 mg", "esketamine", classKetamine},
		// No screening concern.
		{"Zoloft 100 mg", "sertraline", ""},
		{"sertraline 50 mg every morning for anxiety", "sertraline", ""},
		{"Lexapro 10mg", "escitalopram", ""},
		{"Wellbutrin SR 150 mg twice daily", "bupropion", ""},
		{"Wellbutrin XL", "bupropion", ""},
		{"remeron soltab 15", "mirtazapine", ""},
		{"trazodone 50 mg at night prn sleep", "trazodone", ""},
		{"Effexor XR 75mg", "venlafaxine", ""},
		{"lithium carbonate 300mg", "lithium", ""},
		{"Lithobid", "lithium", ""},
		{"lisinopril 10 mg", "lisinopril", ""},
		{"Norvasc", "amlodipine", ""},
		{"metformin ER 500mg", "metformin", ""},
		{"Synthroid 88 mcg", "levothyroxine", classThyroid},
		{"levothyroxin", "levothyroxine", classThyroid},
		{"atorvastatin 20mg", "atorvastatin", ""},
		{"Advil 400 mg as needed", "ibuprofen", ""},
		{"Tylenol 500 mg", "acetaminophen", ""},
		{"Tylenol 325", "acetaminophen", ""},
		{"Cytomel T3 25 mcg", "liothyronine", classThyroid},
		{"vitamin B12 1000mcg", "vitamin B12", ""},
		{"Emsam patch 6mg/24hr", "selegiline", classMAOB},
		{"lorazepam 0.5 mg q6h prn", "lorazepam", classBenzodiazepine},
		{"Zoloft 50mg 1x daily", "sertraline", ""},
		{"birth control", "hormonal contraceptive", ""},
		{"Sprintec", "hormonal contraceptive", ""},
		{"vitamin D", "vitamin D", ""},
		{"Vitamin D3 2000 IU", "vitamin D", ""},
		{"fish oil 1000mg", "omega-3 fatty acids", ""},
		{"melatonin 3mg", "melatonin", ""},
		{"Magnesium", "magnesium", ""},
		{"magnesium glycinate 400mg", "magnesium", ""},
		{"propranolol 10mg prn", "propranolol", ""},
		{"Zofran ODT 4mg", "ondansetron", ""},
		// Not recognised.
		{"my blue pill", "", ""},
		{"asdfgh", "", ""},
		{"", "", ""},
		{"10 mg", "", ""},
		{"tablet twice daily", "", ""},
		{"!!!", "", ""},
		{"methylene", "", ""}, // the first word of "methylene blue", never read as Methylin
		{"T5", "", ""},
		{"blue", "", ""},
	}
	if len(tests) < 60 {
		t.Fatalf("%d cases, want at least 60", len(tests))
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Input != strings.TrimSpace(tc.in) {
			t.Errorf("LookupMedication(%q).Input = %q, want the trimmed text", tc.in, m.Input)
		}
		if tc.generic == "" {
			if m.Recognised || m.Generic != "" || m.Class != "" || m.Level != "" {
				t.Errorf("LookupMedication(%q) = %+v, want not recognised", tc.in, m)
			}
			continue
		}
		if !m.Recognised || m.Generic != tc.generic || m.Class != tc.class {
			t.Errorf("LookupMedication(%q) = %q (%q, recognised %v), want %q (%q)", tc.in, m.Generic, m.Class, m.Recognised, tc.generic, tc.class)
			continue
		}
		if len(m.Unmatched) > 0 {
			t.Errorf("LookupMedication(%q).Unmatched = %q, want none", tc.in, m.Unmatched)
		}
		wantLevel := Level("")
		if r, ok := classRule(tc.class); ok {
			wantLevel = r.Level
		}
		if m.Level != wantLevel {
			t.Errorf("LookupMedication(%q).Level = %q, want %q", tc.in, m.Level, wantLevel)
		}
		if tc.class != "" && (m.ClassName == "" || m.Reason == "" || m.Source == "") {
			t.Errorf("LookupMedication(%q) = %+v, want a class name, reason and source", tc.in, m)
		}
		if tc.class == "" && (m.ClassName != "" || m.Reason != "" || m.Source != "") {
			t.Errorf("LookupMedication(%q) = %+v, want no class name, reason or source", tc.in, m)
		}
	}
}

func TestLookupMisspellings(t *testing.T) {
	tests := []struct {
		in      string
		generic string // "" for not recognised
	}{
		{"alprazolm", "alprazolam"},
		{"klonopine", "clonazepam"},
		{"adderal", "amphetamine"},
		{"lamictle", "lamotrigine"},
		{"zolpidum", "zolpidem"},
		{"seroquil", "quetiapine"},
		{"wellbutrn", "bupropion"},
		// Ambiguous: as near to another known name.
		{"lonazepam", ""},   // clonazepam, lorazepam
		{"orazepam", ""},    // lorazepam, oxazepam
		{"amodafinil", ""},  // armodafinil, modafinil
		{"sketamine", ""},   // esketamine, ketamine
		{"scitalopram", ""}, // escitalopram, citalopram
		{"someprazole", ""}, // esomeprazole, omeprazole
		{"etazolam", ""},    // estazolam, etizolam
		// Short names and short words are never corrected.
		{"xanx", ""},
		{"norc", ""},
		{"yas", ""},
		{"tumss", ""},
		{"ldm", ""},
		// Too far.
		{"xanaks", ""},
		{"alprzlm", ""},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || m.Recognised != (tc.generic != "") {
			t.Errorf("LookupMedication(%q) = %q (recognised %v), want %q", tc.in, m.Generic, m.Recognised, tc.generic)
			continue
		}
		if tc.generic != "" && !m.Corrected {
			t.Errorf("LookupMedication(%q).Corrected = false, want true", tc.in)
		}
	}
	if m := LookupMedication("xanax"); m.Corrected || m.Name != "xanax" {
		t.Errorf("LookupMedication(xanax) = name %q corrected %v, want name xanax, not corrected", m.Name, m.Corrected)
	}
}

func TestLookupSeveralDrugs(t *testing.T) {
	m := LookupMedication("Zoloft 50mg + Xanax 0.25mg prn + Vivitrol")
	if m.Generic != "alprazolam" || m.Level != Exclude {
		t.Fatalf("LookupMedication(three drugs) = %q %q, want the most serious, alprazolam, exclude", m.Generic, m.Level)
	}
	var also []string
	for _, a := range m.Also {
		also = append(also, a.Generic)
	}
	if !slices.Equal(also, []string{"sertraline", "naltrexone"}) {
		t.Errorf("Also = %v, want [sertraline naltrexone]", also)
	}
	m = LookupMedication("zoloft, xanaks")
	if !m.Recognised || m.Generic != "sertraline" || !slices.Equal(m.Unmatched, []string{"xanaks"}) {
		t.Errorf("LookupMedication(zoloft, xanaks) = %q unmatched %q, want sertraline, unmatched [xanaks]", m.Generic, m.Unmatched)
	}
}

func TestLookupBadInput(t *testing.T) {
	long := strings.Repeat("xanax ", 1000)[:5000]
	fill := "xanax" + strings.Repeat(" 1", (MaxInput-5)/2)
	for _, tc := range []struct {
		name string
		in   string
		want bool
	}{
		{"5,000 characters", long, false},
		{"201 characters", "xanax" + strings.Repeat(" ", 195) + "x", false},
		{"200 characters", fill, true},
		{"no letters", "0.5 / 1 mg (2x)", false},
		{"control characters", "\x00\x01\x02", false},
		{"HTML", "<script>alert(1)</script>", false},
		{"non-ASCII", "セルトラリン", false},
		{"accented letters", "sertralína", true},
	} {
		m := LookupMedication(tc.in)
		if m.Recognised != tc.want {
			t.Errorf("%s: Recognised = %v, want %v", tc.name, m.Recognised, tc.want)
		}
		if m.Input != strings.TrimSpace(tc.in) {
			t.Errorf("%s: Input changed", tc.name)
		}
	}
	if utf8.RuneCountInString(fill) > MaxInput {
		t.Fatalf("test input has %d characters, want at most %d", utf8.RuneCountInString(fill), MaxInput)
	}
}

func TestScreenUnsure(t *testing.T) {
	got := Screen(Input{Age: 30, Unsure: map[string]bool{"pregnant": true, "glaucoma": true, "ketamine_prior": true}})
	if len(got) != 2 {
		t.Fatalf("Screen(unsure pregnant, glaucoma, ketamine_prior) = %+v, want 2 flags (not for the info question)", got)
	}
	preg, _ := FindRule("pregnant")
	glau, _ := FindRule("glaucoma")
	// Both are caution flags of one rule, in question order.
	for i, want := range []Rule{glau, preg} {
		f := got[i]
		if f.Rule != ruleUnsure || f.Level != Caution {
			t.Errorf("flag %d = %s %s, want %s caution", i, f.Rule, f.Level, ruleUnsure)
		}
		if !strings.Contains(f.Reason, want.Reason) || f.Source != want.Source {
			t.Errorf("flag %d reason/source = %q / %q, want the %s rule's", i, f.Reason, f.Source, want.ID)
		}
		if !strings.HasPrefix(f.Detail, "Answered unsure: ") {
			t.Errorf("flag %d detail = %q, want it to start \"Answered unsure: \"", i, f.Detail)
		}
	}

	// Yes and unsure to one question: the yes wins.
	got = Screen(Input{Age: 30, Yes: map[string]bool{"stroke": true}, Unsure: map[string]bool{"stroke": true}})
	if len(got) != 1 || got[0].Rule != "stroke" {
		t.Errorf("Screen(yes and unsure to stroke) = %+v, want only the stroke flag", got)
	}
}

func TestScreenOrder(t *testing.T) {
	in := Input{
		Age:         16,
		Yes:         map[string]bool{"ketamine_prior": true, "suicide_attempt": true, "high_blood_pressure": true, "psychosis_history": true},
		Unsure:      map[string]bool{"glaucoma": true},
		Medications: []string{"Vivitrol", "Zoloft 50mg", "asdfgh", "Percocet", "xanax 1mg"},
	}
	var got []string
	for _, f := range Screen(in) {
		got = append(got, f.Rule)
	}
	want := []string{
		"psychosis-history", "age-under-18", "med-benzodiazepine",
		"high-blood-pressure", "suicide-attempt", "med-opioid", "med-unrecognised", "answered-unsure",
		"ketamine-prior", "med-naltrexone",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Screen order = %v, want %v", got, want)
	}
}

func TestScreenDeterministic(t *testing.T) {
	yes := map[string]bool{}
	unsure := map[string]bool{}
	for i, q := range Questions() {
		if i%2 == 0 {
			yes[q.ID] = true
		} else {
			unsure[q.ID] = true
		}
	}
	in := Input{Age: -1, Yes: yes, Unsure: unsure, Medications: benchMeds}
	first := Screen(in)
	for range 20 {
		if got := Screen(in); !reflect.DeepEqual(got, first) {
			t.Fatalf("Screen gave %+v, then %+v; want the same", first, got)
		}
	}
}

func TestScreenAge(t *testing.T) {
	for _, tc := range []struct {
		age  int
		want string // rule id, or "" for no flag
	}{
		{17, "age-under-18"},
		{0, "age-under-18"},
		{18, ""},
		{90, ""},
		{-1, ruleAgeUnknown},
		{200, ruleAgeUnknown},
	} {
		got := Screen(Input{Age: tc.age})
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("Screen(age %d) = %+v, want no flags", tc.age, got)
		case tc.want != "" && (len(got) != 1 || got[0].Rule != tc.want):
			t.Errorf("Screen(age %d) = %+v, want one %s flag", tc.age, got, tc.want)
		}
	}
	if got := Screen(Input{Age: 200}); len(got) == 1 && !strings.Contains(got[0].Detail, "not plausible") {
		t.Errorf("Screen(age 200) detail = %q, want it to say the age is not plausible", got[0].Detail)
	}
}

func TestScreenOneFlagPerRulePerLine(t *testing.T) {
	got := Screen(Input{Age: 30, Medications: []string{"xanax and ativan", "Klonopin 1mg", "xanax and ativan"}})
	if len(got) != 3 {
		t.Fatalf("Screen(3 benzodiazepine lines, one with 2 drugs) = %+v, want 3 flags", got)
	}
	for i, f := range got {
		if f.Rule != "med-benzodiazepine" {
			t.Errorf("flag %d rule = %s, want med-benzodiazepine", i, f.Rule)
		}
	}
	want := `"xanax and ativan" is alprazolam (N05BA12) and lorazepam (N05BA06), a benzodiazepine`
	if got[0].Detail != want || got[2].Detail != want {
		t.Errorf("detail = %q, want %q", got[0].Detail, want)
	}
	if want := `"Klonopin 1mg" is clonazepam (N03AE01), a benzodiazepine`; got[1].Detail != want {
		t.Errorf("detail = %q, want %q", got[1].Detail, want)
	}

	// Two rules on one line: one flag each.
	got = Screen(Input{Age: 30, Medications: []string{"Percocet + Xanax"}})
	if len(got) != 2 || got[0].Rule != "med-benzodiazepine" || got[1].Rule != "med-opioid" {
		t.Errorf("Screen(percocet + xanax) = %+v, want a benzodiazepine and an opioid flag", got)
	}
}

func TestScreenDetails(t *testing.T) {
	tests := []struct {
		line string
		rule string
		want string
	}{
		{"asdfgh", ruleUnrecognised, `"asdfgh" was not recognised: review it`},
		{"  my blue pill ", ruleUnrecognised, `"my blue pill" was not recognised: review it`},
		{"zoloft, xanaks", ruleUnrecognised, `"zoloft, xanaks": "xanaks" not recognised: review it`},
		{"alprazolm 1mg", "med-benzodiazepine", `"alprazolm 1mg" is alprazolam (N05BA12), a benzodiazepine (read from "alprazolm": check the spelling)`},
		{"Lamictal XR", "med-lamotrigine", `"Lamictal XR" is lamotrigine (N03AX09)`},
		{"Emsam patch", "med-maoi", `"Emsam patch" is selegiline (N04BD01), an MAO-B inhibitor (an MAOI)`},
	}
	for _, tc := range tests {
		got := Screen(Input{Age: 30, Medications: []string{tc.line}})
		if len(got) != 1 || got[0].Rule != tc.rule || got[0].Detail != tc.want {
			t.Errorf("Screen(%q) = %+v, want one %s flag with detail %q", tc.line, got, tc.rule, tc.want)
		}
	}
	got := Screen(Input{Age: 30, Yes: map[string]bool{"aneurysm": true}})
	if want := "Answered yes: " + questions[questionIndex["aneurysm"]].Text; len(got) != 1 || got[0].Detail != want {
		t.Errorf("Screen(yes to aneurysm) = %+v, want detail %q", got, want)
	}
}

func TestScreenDetailCap(t *testing.T) {
	lines := []string{
		strings.Repeat("a", 5000),
		strings.Repeat("é", 5000),
		strings.Repeat("xanax ", 1000),
		strings.Repeat("ü", 150) + " xanax",
		"xanax ativan valium klonopin restoril halcion librium serax tranxene onfi doral versed " + strings.Repeat("ö", 80),
		"asdf qwer zxcv uiop hjkl bnmq wert yuio sdfg xcvb tyui ghjk vbnm erty dfgh cvbn rtyu fghj qwas zxqw xanax",
	}
	for _, f := range Screen(Input{Age: 30, Medications: lines}) {
		if len(f.Detail) > MaxDetail || !utf8.ValidString(f.Detail) {
			t.Errorf("%s detail has %d bytes (valid UTF-8: %v), want at most %d: %q", f.Rule, len(f.Detail), utf8.ValidString(f.Detail), MaxDetail, f.Detail)
		}
	}
	got := Screen(Input{Age: 30, Medications: lines[:1]})
	if len(got) != 1 || got[0].Rule != ruleUnrecognised || !strings.HasSuffix(got[0].Detail, `..." was not recognised: review it`) {
		t.Errorf("Screen(5,000 letters) = %+v, want one unrecognised flag quoting the cut line", got)
	}
}

var benchMeds = []string{
	"Zoloft 100 mg every morning",
	"Xanax XR 1mg",
	"Adderall XR 20 mg",
	"lisinopril 10mg",
	"vitamin D3 2000 IU",
	"Lamictal 200 mg at night",
	"Suboxone 8/2 film",
	"klonopine 0.5 mg prn",
	"my blue pill",
	"Seroquel XL 50mg at bedtime",
}

func BenchmarkScreen(b *testing.B) {
	in := Input{
		Age:         34,
		Yes:         map[string]bool{"mania_history": true, "high_blood_pressure": true, "ketamine_prior": true},
		Unsure:      map[string]bool{"bladder_problems": true},
		Medications: benchMeds,
	}
	Screen(in)
	b.ReportAllocs()
	for b.Loop() {
		Screen(in)
	}
}

func BenchmarkLookupMedication(b *testing.B) {
	LookupMedication("x")
	for _, bc := range []struct{ name, in string }{
		{"exact", "Xanax XR 1mg"},
		{"misspelt", "klonopine 0.5 mg prn"},
		{"unrecognised", "my blue pill"},
		{"5000 chars", strings.Repeat("a", 5000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LookupMedication(bc.in)
			}
		})
	}
}

// allAnswered returns an Answered map holding every question.
func allAnswered() map[string]bool { return allAnsweredBut() }

// allAnsweredBut returns an Answered map holding every question but the given ones.
func allAnsweredBut(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, q := range questions {
		if !slices.Contains(ids, q.ID) {
			m[q.ID] = true
		}
	}
	return m
}

func TestScreenNotAnswered(t *testing.T) {
	var cautionOrExclude []string
	for _, q := range questions {
		if r, ok := questionRule(q.ID); ok && (r.Level == Exclude || r.Level == Caution) {
			cautionOrExclude = append(cautionOrExclude, q.ID)
		}
	}
	for _, tc := range []struct {
		name string
		in   Input
		want []string // question ids flagged not-answered, in order
	}{
		{"nil Answered: old callers, no flags", Input{Age: 30}, nil},
		{"blank questionnaire", Input{Age: 30, Answered: map[string]bool{}}, cautionOrExclude},
		{"all answered", Input{Age: 30, Answered: allAnswered()}, nil},
		{"two left blank", Input{Age: 30, Answered: allAnsweredBut("aneurysm", "glaucoma")}, []string{"aneurysm", "glaucoma"}},
		{"the info question left blank", Input{Age: 30, Answered: allAnsweredBut("ketamine_prior")}, nil},
		{"false counts as not answered", Input{Age: 30, Answered: func() map[string]bool {
			m := allAnswered()
			m["pregnant"] = false
			return m
		}()}, []string{"pregnant"}},
		{"yes counts as answered", Input{Age: 30, Answered: allAnsweredBut("stroke"), Yes: map[string]bool{"stroke": true}}, nil},
		{"unsure counts as answered", Input{Age: 30, Answered: allAnsweredBut("stroke"), Unsure: map[string]bool{"stroke": true}}, nil},
	} {
		var got []string
		for _, f := range Screen(tc.in) {
			if f.Rule != RuleNotAnswered {
				continue
			}
			q := questions[slices.IndexFunc(questions, func(q Question) bool { return "Not answered: "+q.Text == f.Detail })]
			got = append(got, q.ID)
			if f.Level != Caution {
				t.Errorf("%s: flag level = %q, want caution", tc.name, f.Level)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: not-answered flags for %v, want %v", tc.name, got, tc.want)
		}
		var fromFunc []string
		for _, q := range Unanswered(tc.in) {
			fromFunc = append(fromFunc, q.ID)
		}
		if !slices.Equal(fromFunc, tc.want) {
			t.Errorf("%s: Unanswered = %v, want %v", tc.name, fromFunc, tc.want)
		}
	}

	// A blank questionnaire never screens as clean.
	if got := Screen(Input{Age: 30, Answered: map[string]bool{}}); len(got) == 0 {
		t.Error("Screen(blank questionnaire) = no flags, want not-answered flags")
	}
	got := Screen(Input{Age: 30, Answered: allAnsweredBut("brain_bleed")})
	if want := "Not answered: " + questions[questionIndex["brain_bleed"]].Text; len(got) != 1 || got[0].Detail != want {
		t.Errorf("Screen(brain_bleed blank) = %+v, want one flag with detail %q", got, want)
	}
}

func TestLookupAlsoAndUnmatched(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		also      []string
		unmatched []string
	}{
		{"Tylenol and kratom", "kratom", []string{"acetaminophen"}, nil},
		{"kratom and Tylenol", "kratom", []string{"acetaminophen"}, nil},
		{"Kratom powder", "kratom", nil, []string{"powder"}},
		{"kava kava tea", "kava", nil, []string{"tea"}},
		{"DM cough syrup", "dextromethorphan", nil, []string{"cough"}},
		{"Tylenol T5", "acetaminophen", nil, []string{"t5"}},
		{"Tylenol and Xanax and Delsym", "alprazolam", []string{"acetaminophen", "dextromethorphan"}, nil},
		{"Fioricet with codeine", "butalbital/acetaminophen/caffeine", []string{"codeine"}, nil},
		{"Zoloft + weed", "cannabis", []string{"sertraline"}, nil},
		{"methylene blue and Ritalin", "methylene blue", []string{"methylphenidate"}, nil},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		var also []string
		for _, a := range m.Also {
			also = append(also, a.Generic)
			if !a.Recognised || a.Input != m.Input {
				t.Errorf("LookupMedication(%q).Also entry = %+v, want recognised with the same Input", tc.in, a)
			}
		}
		if m.Generic != tc.generic || !slices.Equal(also, tc.also) || !slices.Equal(m.Unmatched, tc.unmatched) {
			t.Errorf("LookupMedication(%q) = %q also %v unmatched %q, want %q also %v unmatched %q",
				tc.in, m.Generic, also, m.Unmatched, tc.generic, tc.also, tc.unmatched)
		}
	}
	// The Also entry says why it matters, so a caller can show "also recognised: ...".
	m := LookupMedication("Xanax and kratom")
	if len(m.Also) != 1 || m.Also[0].Generic != "kratom" || m.Also[0].Level != Caution || m.Also[0].ClassName != "Opioid" {
		t.Errorf("LookupMedication(Xanax and kratom).Also = %+v, want kratom, an opioid, caution", m.Also)
	}
}

func TestScreenFlagsEveryDrugOnALine(t *testing.T) {
	tests := []struct {
		line  string
		rules []string
	}{
		{"Tylenol and kratom", []string{"med-opioid"}},
		{"kratom and Tylenol", []string{"med-opioid"}},
		{"Zoloft, Xanax, Adderall", []string{"med-benzodiazepine", "med-psychostimulant"}},
		{"Tylenol T3", []string{"med-opioid"}},
		{"Tylenol T5", []string{ruleUnrecognised}},
		{"Fioricet with codeine", []string{"med-opioid", "med-cns-depressant"}},
		{"weed and kava", []string{"med-sedative", "med-cannabis"}},
		{"methylene blue", []string{"med-maoi"}},
		{"methylene", []string{ruleUnrecognised}},
		{"NyQuil + Belsomra", []string{"med-sedative", "med-nmda-antagonist"}},
		{"St John's wort, Strattera", []string{"med-non-stimulant-adhd", "med-st-johns-wort"}},
	}
	for _, tc := range tests {
		var got []string
		for _, f := range Screen(Input{Age: 30, Medications: []string{tc.line}}) {
			got = append(got, f.Rule)
		}
		if !slices.Equal(got, tc.rules) {
			t.Errorf("Screen(%q) rules = %v, want %v", tc.line, got, tc.rules)
		}
	}
}

func TestScreenNewDetails(t *testing.T) {
	tests := []struct {
		line string
		rule string
		want string
	}{
		{"used kratom daily", "med-opioid", `"used kratom daily" is kratom, an opioid`},
		{"Tylenol and kratom", "med-opioid", `"Tylenol and kratom" is kratom, an opioid`},
		{"Tylenol T3", "med-opioid", `"Tylenol T3" is codeine/acetaminophen (N02AJ06), an opioid`},
		{"Zyvox 600mg", "med-maoi", `"Zyvox 600mg" is linezolid (J01XX08), an MAOI`},
		{"methylene blue", "med-maoi", `"methylene blue" is methylene blue (V04CG05), an MAOI`},
		{"Adipex-P 37.5", "med-psychostimulant", `"Adipex-P 37.5" is phentermine (A08AA01), a psychostimulant`},
		{"Fioricet and Xyrem", "med-cns-depressant", `"Fioricet and Xyrem" is butalbital/acetaminophen/caffeine (N02BE) and sodium oxybate (N07XX04), a barbiturate and an oxybate (GHB), a CNS depressant`},
		{"Tylenol T5", ruleUnrecognised, `"Tylenol T5": "t5" not recognised: review it`},
	}
	for _, tc := range tests {
		got := Screen(Input{Age: 30, Medications: []string{tc.line}})
		if len(got) != 1 || got[0].Rule != tc.rule || got[0].Detail != tc.want {
			t.Errorf("Screen(%q) = %+v, want one %s flag with detail %q", tc.line, got, tc.rule, tc.want)
		}
	}
}

func TestShortCodesNextToDigits(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		unmatched []string
	}{
		{"Tylenol T3", "codeine/acetaminophen", nil},
		{"Tylenol T5", "acetaminophen", []string{"t5"}},
		{"Tylenol 5 T", "acetaminophen", []string{"t"}},
		{"Tylenol T", "acetaminophen", nil}, // a lone letter with no number is not a code
		{"Emsam 6mg/24hr", "selegiline", nil},
		{"Zoloft 50 mg 2x daily", "sertraline", nil},
		{"lorazepam 1mg q8h", "lorazepam", nil},
		{"Synthroid T4 88", "levothyroxine", []string{"t4"}},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || !slices.Equal(m.Unmatched, tc.unmatched) {
			t.Errorf("LookupMedication(%q) = %q unmatched %q, want %q unmatched %q", tc.in, m.Generic, m.Unmatched, tc.generic, tc.unmatched)
		}
	}
}

func TestMultiWordNamesBeatFuzzyWords(t *testing.T) {
	tests := []struct {
		in        string
		generic   string
		corrected bool
	}{
		{"methylene blue", "methylene blue", false},
		{"Methylene Blue 50 mg", "methylene blue", false},
		{"methylene", "", false}, // once read as Methylin (methylphenidate)
		{"methylin", "methylphenidate", false},
		{"methylinn", "methylphenidate", true},
	}
	for _, tc := range tests {
		m := LookupMedication(tc.in)
		if m.Generic != tc.generic || m.Corrected != tc.corrected {
			t.Errorf("LookupMedication(%q) = %q corrected %v, want %q corrected %v", tc.in, m.Generic, m.Corrected, tc.generic, tc.corrected)
		}
	}
}
