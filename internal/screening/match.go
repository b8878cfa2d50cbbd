package screening

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Match is what LookupMedication makes of one medication line.
type Match struct {
	Input      string // as given (trimmed)
	Recognised bool
	Generic    string // e.g. "alprazolam"
	ATC        string // e.g. "N05BA12"
	Class      string // class id, e.g. "benzodiazepine"; "" for a recognised drug with no screening concern
	ClassName  string // e.g. "Benzodiazepine"
	Level      Level  // of the class's rule; "" when no concern (see NewSince for what it could not read)
	Reason     string // of the class's rule
	Source     string // of the class's rule
	Name       string // the known name the text was read as, e.g. "xanax"
	Corrected  bool   // the text was read as Name despite a misspelling
	// Also holds further drugs recognised in the same text, e.g. the
	// acetaminophen in "codeine 30 mg + acetaminophen 300 mg".
	Also []Match
	// Unmatched holds the words in the text that are neither a known name nor
	// dose, form or timing text, short codes ("MB") included; Screen asks for
	// a review of them.
	Unmatched []string
	// Vague holds the parts of the text, as typed, that describe a medicine
	// without naming it ("anxiety pill", "water pill", "ADHD med",
	// "antidepressant"); Screen asks which medicine each is.
	Vague []string
}

// MaxInput is the longest medication text, in characters, that is read.
const MaxInput = 200

// LookupMedication reads one medication line, e.g. "xanax 0.5mg",
// "Adderall XR 20 mg", "buprenorphine/naloxone" or "alprazolm". Case, spacing,
// dose, form and timing text, and brand suffixes are ignored; a misspelling
// is corrected when the word has at least 5 letters, is within 1 edit of a
// known name of 5–7 letters or 2 edits of a name of 8 or more, and no other
// known name (nor a dose, form or timing word) is as close; a word is never
// corrected into a dose, form or timing word. The line is read item by item
// (split at commas, semicolons, "+", "&", "/" and the words "and", "with" and
// "plus", except inside a known name such as "buprenorphine/naloxone" or
// "Tylenol with codeine", and a "/" between numbers such as "1/2" or before
// a number such as "8mg/2mg"): an item with no drug that describes a
// medicine without naming it ("anxiety pill", "the patch", "monthly
// injection") is listed in Vague, as is, on a line that names a drug, any
// other item with no drug that is not only dose or timing text ("Lexapro,
// the one from dr"); the words of other items that are not names, dose,
// form or timing text, two-letter codes included, are listed in Unmatched. When several
// drugs are in the text, the Match describes the one whose rule is most
// serious (the first of equals) and lists the others in Also. Text longer
// than MaxInput characters and text with no letters give a Match with
// Recognised false and only Input set; text with no known name gives a Match
// with Recognised false and only Input and Vague set.
func LookupMedication(text string) Match {
	in := strings.TrimSpace(text)
	r, ok := read(in)
	if !ok {
		return Match{Input: in}
	}
	if len(r.found) == 0 {
		return Match{Input: in, Vague: r.vague}
	}
	primary := 0
	for i, f := range r.found {
		if drugs[f.drug].level().rank() > drugs[r.found[primary].drug].level().rank() {
			primary = i
		}
	}
	m := matchOf(in, r.found[primary])
	for i, f := range r.found {
		if i != primary {
			m.Also = append(m.Also, matchOf(in, f))
		}
	}
	m.Unmatched, m.Vague = r.unmatched, r.vague
	return m
}

func matchOf(in string, f found) Match {
	d := &drugs[f.drug]
	m := Match{Input: in, Recognised: true, Generic: d.generic, ATC: d.atc, Class: d.class,
		Name: f.name, Corrected: f.corrected}
	if d.class != "" {
		m.ClassName = classByID[d.class].name
		if r, ok := classRule(d.class); ok {
			m.Level, m.Reason, m.Source = r.Level, r.Reason, r.Source
		}
	}
	return m
}

// level is the level of the drug's class rule, or "" when it has none.
func (d *drug) level() Level {
	if r, ok := classRule(d.class); ok {
		return r.Level
	}
	return ""
}

func classRule(class string) (Rule, bool) {
	if class == "" {
		return Rule{}, false
	}
	for _, r := range rules {
		if slices.Contains(r.Classes, class) {
			return r, true
		}
	}
	return Rule{}, false
}

// found is one drug recognised in a text.
type found struct {
	drug      int    // index into drugs
	name      string // the known name, tokens joined by spaces
	word      string // the text's word or words that were read as it
	corrected bool
}

// reading is what read makes of a text.
type reading struct {
	found     []found  // in the order of the text, one per drug
	unmatched []string // words that are not names, dose, form or timing text
	// vague holds the items of the text that describe a medicine without
	// naming it ("anxiety pill", "water pill", "ADHD med", "antidepressant"),
	// as typed.
	vague []string
	// vagueKeys holds, for each vague item, its lower-case words but dose,
	// form and timing text ("anxiety pill prn" is "anxiety pill"), for
	// comparing lists.
	vagueKeys []string
}

// token is one run of letters or of digits in a text.
type token struct {
	text       string // lower-case
	start, end int    // byte offsets in the text
	hard       bool   // a comma, semicolon or line break comes before it
	soft       bool   // a "+", "&" or "/" comes before it (not a "/" between two numbers, as in "1/2")
	slash      bool   // the separator before it is a "/" (with no "+" or "&")
}

// tokens splits s into runs of letters and runs of digits, lower-cased,
// noting the separators between them.
func tokens(s string) []token {
	toks := make([]token, 0, 8)
	// An ASCII text is lower-cased once; other text token by token, since
	// lower-casing may change a character's length and the offsets are the
	// text's own.
	lower := ""
	if isASCII(s) {
		lower = strings.ToLower(s)
	}
	kind, start, prevEnd := 0, 0, 0
	flush := func(end int) {
		t := token{start: start, end: end}
		if lower != "" {
			t.text = lower[start:end]
		} else {
			t.text = strings.ToLower(s[start:end])
		}
		gap := s[prevEnd:start]
		switch {
		case len(toks) > 0 && strings.ContainsAny(gap, ",;\n\r"):
			t.hard = true
		case len(toks) > 0 && strings.ContainsAny(gap, "+&"):
			t.soft = true
		case len(toks) > 0 && strings.Contains(gap, "/"):
			t.soft = !isDigits(toks[len(toks)-1].text) || !isDigits(t.text)
			t.slash = t.soft
		}
		toks = append(toks, t)
		prevEnd = end
	}
	for i, r := range s {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != kind {
			if kind != 0 {
				flush(i)
			}
			kind, start = k, i
		}
	}
	if kind != 0 {
		flush(len(s))
	}
	return toks
}

// item is one medicine of a line: the line is split at commas, semicolons,
// "+", "&", "/" and the words "and", "with" and "plus", except inside a
// known name ("buprenorphine/naloxone", "Tylenol with codeine"), a "/"
// between two numbers ("1/2 tab") and a "/" before a number ("8mg/2mg").
type item struct {
	first, last int // token indexes
	drugs       int
	unmatched   []string
	purpose     bool // names what a medicine is for ("anxiety", "water", "ADHD")
	med         bool // says it is a medicine, or its form or route ("pill", "med", "patch", "injection", "IM")
	class       bool // names a kind of medicine ("antidepressant", "painkiller")
	sawFor      bool // a "for" came before any purpose word: "Lexapro, for anxiety"
	forPurpose  bool
	// other: a word that is none of the above and not dose or timing text
	// (doseWords) holds it: "the one from dr", "not sure".
	other bool
}

// isVague reports whether an item with no drug in it describes a medicine
// without naming it, so that it must be asked about. drugBefore says a
// drug is named in an item before it on the line, drugOnLine anywhere on
// the line. It is vague when it holds:
//
//   - a kind of medicine ("antidepressant", "blood thinner"), or a purpose
//     with a medicine word ("anxiety pill", "my mom's blood pressure pill");
//   - else, when it holds an unknown word that may be the medicine's name
//     ("Excedrin migraine", "my blue pill"), never: that word is asked about
//     instead;
//   - a medicine, form or route word ("Lexapro, the patch", "monthly
//     injection", "AIDS meds", "med from dr", "IM monthly");
//   - a purpose on its own ("Lexapro, anxiety"), unless it says what a drug
//     named before it is for ("Lexapro, for anxiety");
//   - fail safe, on a line that names a drug: any other word that is not
//     dose or timing text ("Lexapro, the one from dr", "Lexapro, not sure").
//
// Dose and timing text alone ("Lexapro, 10 mg", "Lexapro, every other day",
// "twice a day with food") is never vague.
func (it *item) isVague(drugBefore, drugOnLine bool) bool {
	switch {
	case it.drugs > 0:
		return false
	case it.class || it.purpose && it.med:
		return true
	case len(it.unmatched) > 0:
		return false
	case it.med:
		return true
	case it.purpose:
		return !it.forPurpose || !drugBefore
	}
	return it.other && drugOnLine
}

// read finds the drugs in a text, item by item. It returns false when the
// text is longer than MaxInput characters or has no letters.
func read(text string) (reading, bool) {
	if len(text) > 4*MaxInput || utf8.RuneCountInString(text) > MaxInput ||
		strings.IndexFunc(text, unicode.IsLetter) < 0 {
		return reading{}, false
	}
	ix := loadIndex()
	toks := tokens(text)
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	var r reading
	addDrug := func(f found) {
		for _, g := range r.found {
			if g.drug == f.drug {
				return
			}
		}
		r.found = append(r.found, f)
	}
	items := make([]item, 0, 4)
	split := true // the next token starts an item
	hard := false // after a comma, semicolon or line break
	for i := 0; i < len(toks); {
		if toks[i].hard || toks[i].soft && !(toks[i].slash && isDigits(words[i])) {
			// A "/" before a number goes on with the dose: "8mg/2mg",
			// "6mg/24hr".
			split = true
		}
		hard = hard || toks[i].hard
		end := i + 1
		for end < len(toks) && !toks[end].hard {
			end++
		}
		n, ref := ix.longest(words[i:end])
		w := words[i]
		if n == 0 && splitWords[w] {
			split = true
			i++
			continue
		}
		if split {
			// "for pain and depression": a purpose joined to the one
			// before by "and", "/" or "+" is said for the same medicine.
			sawFor := !hard && len(items) > 0 && items[len(items)-1].sawFor
			items = append(items, item{first: i, sawFor: sawFor})
			split, hard = false, false
		}
		it := &items[len(items)-1]
		if n > 0 {
			addDrug(found{drug: ref.drug, name: strings.Join(ref.tokens, " "), word: strings.Join(words[i:i+n], " ")})
			it.drugs++
			it.last = i + n - 1
			i += n
			continue
		}
		it.last = i
		i++
		if oralSolids[w] && i-2 >= it.first && (isDigits(words[i-2]) || counts[words[i-2]]) {
			// A counted tablet is the dose of the drug before it:
			// "Lexapro 5 mg, 1/2 tab in the am".
			continue
		}
		if !isDigits(w) && !doseWords[w] && !(w == "other" && i < end && doseWords[words[i]]) {
			// "other" is timing text before a timing word: "every other day".
			it.other = true
		}
		switch {
		case w == "stomach" && i-2 >= it.first && words[i-2] == "empty":
			// "on an empty stomach" is timing text, not a purpose.
			continue
		case purposeWords[w]:
			if !it.purpose {
				it.forPurpose = it.sawFor
			}
			it.purpose = true
			continue
		case medWords[w]:
			it.med = true
			continue
		case classWords[w]:
			it.class = true
			continue
		case w == "for":
			it.sawFor = true
			continue
		case !isLetters(w) || noise[w]:
			continue
		}
		if ref, ok := ix.withSuffix(w); ok {
			addDrug(found{drug: ref.drug, name: ref.tokens[0], word: w})
			it.drugs++
			continue
		}
		if utf8.RuneCountInString(w) < 3 {
			// A short code is never dropped: "MB", or a letter next to a
			// number ("t3", "#3 p"), may be a drug ("Tylenol T3"). A lone
			// letter with no number ("Tylenol T") is not a code.
			switch {
			case i < end && isDigits(words[i]):
				it.unmatched = append(it.unmatched, w+words[i])
				it.last = i
				i++
			case i >= 2 && isDigits(words[i-2]) || utf8.RuneCountInString(w) == 2:
				it.unmatched = append(it.unmatched, w)
			}
			continue
		}
		if ix.multiFirst[w] {
			// The first word of a multi-word name ("methylene" of "methylene
			// blue") whose other words are missing: never read as another
			// drug by correcting its spelling.
			it.unmatched = append(it.unmatched, w)
			continue
		}
		if c, ok := ix.correct(w); ok && c.drug >= 0 {
			addDrug(found{drug: c.drug, name: c.word, word: w, corrected: true})
			it.drugs++
			continue
		}
		// Not a name, and never corrected into a dose, form or timing
		// word: "water" is not "wafer".
		it.unmatched = append(it.unmatched, w)
	}
	drugBefore := false
	for i := range items {
		it := &items[i]
		vague := it.isVague(drugBefore, len(r.found) > 0)
		drugBefore = drugBefore || it.drugs > 0
		if vague {
			end := toks[it.last].end
			if end < len(text) && text[end] == ')' && strings.Contains(text[toks[it.first].start:end], "(") {
				end++
			}
			r.vague = append(r.vague, text[toks[it.first].start:end])
			var key []string
			for _, w := range words[it.first : it.last+1] {
				if isLetters(w) && !doseWords[w] {
					key = append(key, w)
				}
			}
			r.vagueKeys = append(r.vagueKeys, strings.Join(key, " "))
			continue
		}
		r.unmatched = append(r.unmatched, it.unmatched...)
	}
	return r, true
}

// splitWords join two medicines on one line: "Lexapro and procarbazine".
var splitWords = map[string]bool{"and": true, "with": true, "plus": true}

// tokenize lower-cases s and splits it into runs of letters and runs of
// digits; everything else separates tokens.
func tokenize(s string) []string {
	ts := tokens(s)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigits(t string) bool {
	for _, r := range t {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return t != ""
}

func isLetters(t string) bool {
	for _, r := range t {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return t != ""
}

// formSuffixes are release and form markers that follow a brand, with or
// without a space: "Adderall XR", "AdderallXR", "Emsam patch".
var formSuffixes = []string{"xr", "er", "sr", "cr", "xl", "la", "cd", "ir", "dr", "ec", "xt", "odt",
	"patch", "soltab", "solutab"}

// noise holds dose, form, timing and other words that say nothing about
// which drug it is.
var noise = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		mg mcg ug µg g gm gram grams milligram milligrams microgram micrograms ml cc iu unit units meq mmol
		percent puff puffs spray sprays drop drops dose doses dosage strength
		tab tabs tablet tablets cap caps capsule capsules pill pills caplet caplets softgel softgels gummy gummies
		patch patches film films strip strips wafer wafers lozenge lozenges troche soltab solutab spansule sprinkle sprinkles
		pen pens vial vials kit autoinjector
		h hr hrs x q u wk wks mo mos yr yrs oz tsp tbsp hbr
		xr er sr cr xl la cd ir dr ec xt odt mr pr ds hs
		extended release released delayed immediate controlled sustained modified long acting
		orally disintegrating chewable dissolving soluble
		solution liquid suspension syrup elixir injection injectable injections shot shots infusion
		inhaler inhalers inhalation nebulizer nasal cream gel ointment topical transdermal sublingual buccal
		oral orally po sl im iv sc subq subcutaneous intramuscular rectal vaginal
		daily nightly weekly monthly twice thrice once every each per times time day days week weeks month months year years
		hour hours hourly morning mornings evening evenings night nights bedtime noon afternoon lunch breakfast dinner meals meal food
		am pm qd qod bid tid qid qhs qam qpm prn qday
		as needed when necessary required if
		half quarter one two three four five six
		and or with without plus also then of in on to for from by at the a an my me i it its this that
		take takes taking took use uses using used start started starting stopped stop stopping restart
		currently current still now recently previously formerly occasionally sometimes rarely often usually
		about around approx approximately roughly up than more less
		increase increased decrease decreased taper tapering tapered titrating titration
		generic brand name rx otc prescription prescribed over counter dr doctor psychiatrist gp pcp np md
		hcl hydrochloride hydrobromide sodium potassium besylate maleate tartrate succinate mesylate citrate
		sulfate sulphate bitartrate fumarate acetate phosphate carbonate oxide chloride glycinate gluconate
		monohydrate anhydrous salt salts base free
		anxiety depression sleep insomnia pain adhd add focus panic mood bipolar ptsd ocd nerves
		blood pressure bp cholesterol thyroid diabetes sugar heart migraine migraines headache headaches
		allergy allergies asthma reflux heartburn acid stomach nausea acne seizures seizure epilepsy
		not sure unknown unsure remember dont don know
		med meds medicine medicines medication medications drug drugs aid aids script prescriptions
		bd od om on tds qds nocte mane ii iii iv as is be do so us we he ok s no yes kg ea eg ie vs etc
		min mins minute minutes longer other before after bed mouth empty
	`) {
		m[w] = true
	}
	return m
}()

// wordSet returns a set of the space-separated words of s.
func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// purposeWords say what a medicine is for. With a medicine word ("anxiety
// pill", "water pill", "ADHD med"), or on their own as an item, they
// describe a medicine without naming it.
var purposeWords = wordSet(`
	anxiety depression sleep sleeping insomnia pain adhd add focus concentration panic mood moods bipolar ptsd ocd
	nerve nerves nervous stress blood pressure bp cholesterol thyroid diabetes sugar heart migraine migraines
	headache headaches allergy allergies asthma breathing reflux heartburn acid stomach nausea acne seizure seizures
	epilepsy water fluid weight diet appetite muscle muscles joint arthritis hormone hormones psych psychiatric
	mental bladder smoking`)

// medWords say that an item is a medicine without naming it, or give its
// form or route: "Lexapro, the patch" is another medicine.
var medWords = wordSet(`
	pill pills tab tabs tablet tablets cap caps capsule capsules med meds medicine medicines medication medications
	drug drugs shot shots injection injections inhaler inhalers patch patches spray sprays drops drop cream gummy gummies
	aid aids remedy remedies script prescription prescriptions
	caplet caplets softgel softgels film films strip strips wafer wafers lozenge lozenges troche troches spansule
	sprinkle sprinkles pen pens vial vials kit autoinjector puff puffs solution solutions liquid liquids suspension
	suspensions syrup syrups elixir injectable injectables infusion infusions nebulizer nebuliser inhalation
	creams gel gels ointment ointments lotion lotions suppository suppositories
	nasal topical transdermal sublingual buccal rectal vaginal im iv sc subq subcutaneous intramuscular`)

// oralSolids are the forms whose count, right after a number ("1 tab",
// "1/2 tablet", "two capsules"), is dose text.
var oralSolids = wordSet(`tab tabs tablet tablets cap caps capsule capsules pill pills caplet caplets softgel softgels`)

// counts are the words that count oral solids as numbers do.
var counts = wordSet(`one two three four five six half quarter`)

// doseWords are dose, form-release, timing and frequency text that says
// nothing about which medicine it is, with the letters of dotted
// abbreviations ("q.d.", "b.i.d.", "p.r.n."): an item made only of them and
// numbers ("Lexapro, 10 mg", "as needed, about twice a week", "with food") is not
// asked about. "other" is one only before another of them ("every other
// day"). Every other word of an item with no drug makes it one to ask
// about (item.isVague).
var doseWords = wordSet(`
	mg mcg ug µg g gm gram grams milligram milligrams microgram micrograms ml cc iu unit units meq mmol kg percent
	dose doses dosage strength half quarter one two three four five six x
	xr er sr cr xl la cd ir dr ec xt odt mr pr ds extended release released delayed immediate controlled sustained
	modified long acting oral orally po
	daily nightly weekly monthly twice thrice once every each per times time day days week weeks month months year
	years hour hours hourly morning mornings evening evenings night nights bedtime noon afternoon lunch breakfast
	dinner meals meal food empty stomach before after bed mouth h hr hrs q wk wks mo mos yr yrs min mins minute minutes over
	am pm qd qod bid tid qid qhs qam qpm prn qday hs bd od om tds qds nocte mane
	b d h i n o p r s t
	as needed when necessary required if
	and or with without plus also then of in on to at by for the a an my
	take takes taking took use uses using used start started starting stopped stop stopping restart
	currently current still now recently previously formerly occasionally sometimes rarely often usually
	about around approx approximately roughly up than more less
	increase increased decrease decreased taper tapering tapered titrating titration`)

// classWords name a kind of medicine, never one medicine: alone they ask
// which medicine it is.
var classWords = wordSet(`
	antidepressant antidepressants antidepressent antidepressents antianxiety anxiolytic anxiolytics
	painkiller painkillers killer killers benzo benzos benzodiazepine benzodiazepines stimulant stimulants
	sedative sedatives tranquilizer tranquilizers tranquiliser tranquilisers antipsychotic antipsychotics
	neuroleptic neuroleptics antibiotic antibiotics steroid steroids antihistamine antihistamines statin statins
	diuretic diuretics laxative laxatives antacid antacids supplement supplements herbal herbs herb opioid opioids
	opiate opiates narcotic narcotics ssri ssris snri snris maoi maois tca tcas hrt relaxant relaxants
	thinner thinners stabilizer stabilizers stabiliser stabilisers blocker blockers anticonvulsant anticonvulsants
	antiepileptic antiepileptics hypnotic hypnotics`)

// nameRef is one known name of one drug.
type nameRef struct {
	tokens []string
	drug   int
}

// candidate is a word a misspelling may be corrected to; drug is -1 for a
// noise word.
type candidate struct {
	word  string
	runes []rune
	hist  letterCount
	drug  int
}

// letterCount counts a word's letters a to z, and all other characters in
// the last slot. Words within k edits differ by at most 2k in these counts,
// which lets correct skip most candidates without computing a distance.
type letterCount [27]uint8

func countLetters(w []rune) letterCount {
	var c letterCount
	for _, r := range w {
		i := 26
		if r >= 'a' && r <= 'z' {
			i = int(r - 'a')
		}
		if c[i] < 255 {
			c[i]++
		}
	}
	return c
}

// differs reports whether the counts differ by more than limit in total.
func (c *letterCount) differs(o *letterCount, limit int) bool {
	d := 0
	for i := range c {
		d += abs(int(c[i]) - int(o[i]))
		if d > limit {
			return true
		}
	}
	return false
}

type index struct {
	byFirst map[string][]nameRef // longest first
	single  map[string]nameRef   // one-token names
	cands   []candidate          // one-token letter names and noise words
	// multiFirst holds the first words of multi-word names that are not
	// names or noise words themselves.
	multiFirst map[string]bool
}

var loadIndex = sync.OnceValue(func() *index {
	ix, err := buildIndex()
	if err != nil {
		panic(err) // the table is static; a test builds it
	}
	return ix
})

// buildIndex indexes every name of the medication table. It returns an error
// when one name belongs to two drugs with different generic names, or a name
// has no letters.
func buildIndex() (*index, error) {
	ix := &index{byFirst: map[string][]nameRef{}, single: map[string]nameRef{}, multiFirst: map[string]bool{}}
	seen := map[string]int{}
	for di, d := range drugs {
		names := append([]string{d.generic}, strings.Split(d.names, ",")...)
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			toks := tokenize(n)
			for len(toks) > 1 && slices.Contains(formSuffixes, toks[len(toks)-1]) {
				toks = toks[:len(toks)-1]
			}
			if len(toks) == 0 || !slices.ContainsFunc(toks, isLetters) {
				return nil, fmt.Errorf("screening: drug %q: name %q has no letters", d.generic, n)
			}
			key := strings.Join(toks, " ")
			if prev, ok := seen[key]; ok {
				if prev != di && drugs[prev].generic != d.generic {
					return nil, fmt.Errorf("screening: name %q is both %s and %s", key, drugs[prev].generic, d.generic)
				}
				continue
			}
			seen[key] = di
			ref := nameRef{tokens: toks, drug: di}
			ix.byFirst[toks[0]] = append(ix.byFirst[toks[0]], ref)
			if len(toks) == 1 {
				ix.single[toks[0]] = ref
				if isLetters(toks[0]) {
					ix.cands = append(ix.cands, newCandidate(toks[0], di))
				}
			}
		}
	}
	for k, refs := range ix.byFirst {
		if _, isName := ix.single[k]; !isName && !noise[k] && len(refs) > 0 {
			ix.multiFirst[k] = true
		}
	}
	for k := range ix.byFirst {
		slices.SortStableFunc(ix.byFirst[k], func(a, b nameRef) int { return len(b.tokens) - len(a.tokens) })
	}
	words := make([]string, 0, len(noise))
	for w := range noise {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, w := range words {
		if _, isName := seen[w]; !isName {
			ix.cands = append(ix.cands, newCandidate(w, -1))
		}
	}
	return ix, nil
}

func newCandidate(w string, drug int) candidate {
	r := []rune(w)
	return candidate{word: w, runes: r, hist: countLetters(r), drug: drug}
}

// longest returns how many of toks the longest known name at their start
// covers, and that name; 0 when none starts there.
func (ix *index) longest(toks []string) (int, nameRef) {
	for _, ref := range ix.byFirst[toks[0]] {
		if len(ref.tokens) <= len(toks) && slices.Equal(ref.tokens, toks[:len(ref.tokens)]) {
			return len(ref.tokens), ref
		}
	}
	return 0, nameRef{}
}

// withSuffix reads a word that is a one-token name with a form suffix glued
// on, e.g. "adderallxr".
func (ix *index) withSuffix(t string) (nameRef, bool) {
	for _, s := range formSuffixes {
		if base, ok := strings.CutSuffix(t, s); ok && base != "" {
			if ref, ok := ix.single[base]; ok {
				return ref, true
			}
		}
	}
	return nameRef{}, false
}

// allowedEdits is how many edits a misspelling of a word this long may have.
func allowedEdits(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// correct returns the one candidate nearest to t, when it is near enough:
// within allowedEdits of the shorter of the two, and no candidate for
// another drug (or a noise word) is as near. Words under 5 letters are never
// corrected.
func (ix *index) correct(t string) (candidate, bool) {
	w := []rune(t)
	if len(w) < 5 {
		return candidate{}, false
	}
	hist := countLetters(w)
	best, bestDist, tie := -1, 3, false
	for ci := range ix.cands {
		c := &ix.cands[ci]
		if abs(len(c.runes)-len(w)) > 2 || hist.differs(&c.hist, 4) {
			continue
		}
		d := editDistance(w, c.runes, 2)
		switch {
		case d > 2:
		case d < bestDist:
			best, bestDist, tie = ci, d, false
		case d == bestDist && ix.cands[best].drug != c.drug:
			tie = true
		}
	}
	if best < 0 || tie {
		return candidate{}, false
	}
	c := ix.cands[best]
	if bestDist > allowedEdits(min(len(c.runes), len(w))) {
		return candidate{}, false
	}
	return c, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours), or
// limit+1 when it is more than limit.
func editDistance(a, b []rune, limit int) int {
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	var buf [3][32]int
	var rows [3][]int
	if len(b)+1 <= 32 {
		rows = [3][]int{buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]}
	} else {
		rows = [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	}
	prev2, prev, cur := rows[0], rows[1], rows[2]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}
