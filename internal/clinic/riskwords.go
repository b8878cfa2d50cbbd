package clinic

import (
	"slices"
	"strings"
	"unicode"
)

// Risk words in a patient's secure message (issue 17, build item 1): a
// message that holds one of these phrases is still sent, and the patient
// is shown crisis help at once while the care team gets a review alert.
// It is a screen for a human to look at, never a diagnosis and never a
// reason to hold a message back.
//
// Source: the phrases follow the ideation and behaviour the C-SSRS
// screener asks about (REFERENCE.md 1.5: Q1 wish to be dead, Q2 active
// suicidal thoughts, Q6 suicidal behaviour) and the self-harm and
// overdose risks a KAP practice watches for (REFERENCE.md 6, the safety
// plan's warning signs), in the words patients write. The list is short
// on purpose and NEEDS CLINICIAN REVIEW before a practice relies on it:
// it is not a validated instrument.
//
// Matching: case-insensitive, punctuation-insensitive (apostrophes are
// dropped, so "I'm" is "im"; every other mark or dash is a space, so
// "self-harm" is "self harm"), on whole words only, so "skill myself",
// "diehard", "odd" or "God" do not match "kill myself", "die" or "od".
// A few spellings are made one before matching: "my self" is "myself"
// (but "my self-esteem" stays as it is), "selfharm..." is "self harm...",
// and "OD'd" is "od". "kms" right after a number is kilometres, not a
// phrase of risk.
//
// Negation is deliberately NOT handled: "I don't want to die" and "I'm
// not suicidal" match. A false alert costs a clinician a minute; a missed
// one ("I'm not suicidal, I just want to die") can cost a life, and a
// negation rule would have to understand sentences to be safe. For the
// same reason "don't want to live" and "end things" match whatever
// follows ("...with my parents", "...with him"): the patient sees crisis
// help they may not need and the team reads a message they would read
// anyway.
var riskPhrases = []string{
	"suicide",
	"suicidal",
	"kill myself",
	"killing myself",
	"kms",
	"end my life",
	"ending my life",
	"take my own life",
	"end it all",
	"ending it all",
	"end things",
	"ending things",
	"want to die",
	"wanna die",
	"want to be dead",
	"wanna be dead",
	"wish i was dead",
	"wish i were dead",
	"better off dead",
	"better off without me",
	"dont want to live",
	"do not want to live",
	"dont wanna live",
	"dont want to be here",
	"do not want to be here",
	"no reason to live",
	"no point in living",
	"no point living",
	"hurt myself",
	"hurting myself",
	"harm myself",
	"harming myself",
	"self harm",
	"self harming",
	"cut myself",
	"cutting myself",
	"hang myself",
	"hanging myself",
	"overdose",
	"overdosed",
	"overdosing",
	"od",
	"take all my pills",
	"taking all my pills",
	"took all my pills",
}

// afterNumberNotRisk are phrases that, right after a number, are a unit
// ("5 kms" is five kilometres).
var afterNumberNotRisk = map[string]bool{"kms": true}

// selfCompounds are the words after "my self" that make it a compound
// ("my self-esteem"), so "my self" is not "myself" before them.
var selfCompounds = map[string]bool{
	"esteem": true, "worth": true, "confidence": true, "image": true, "care": true,
	"respect": true, "doubt": true, "talk": true, "compassion": true, "control": true,
}

// riskTokens lowers s and splits it into words of letters and digits:
// apostrophes are dropped ("I'm" is "im", but "OD'd" is "od") and every
// other character separates words. Then "my self" becomes "myself"
// (unless a compound such as "my self-esteem" follows) and "selfharm..."
// becomes "self" "harm...".
func riskTokens(s string) []string {
	var words []string
	var w []rune
	flush := func() {
		if len(w) == 0 {
			return
		}
		word := string(w)
		w = w[:0]
		if word == "od'd" || word == "od'ed" {
			word = "od"
		}
		word = strings.ReplaceAll(word, "'", "")
		if rest, ok := strings.CutPrefix(word, "selfharm"); ok {
			words = append(words, "self", "harm"+rest)
			return
		}
		if word != "" {
			words = append(words, word)
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '\u2019' || r == '\u2018':
			w = append(w, '\'')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w = append(w, r)
		default:
			flush()
		}
	}
	flush()
	out := words[:0]
	for i := 0; i < len(words); i++ {
		if words[i] == "my" && i+1 < len(words) && words[i+1] == "self" && (i+2 == len(words) || !selfCompounds[words[i+2]]) {
			out = append(out, "myself")
			i++
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// normalizeRiskText is text's words (riskTokens) joined by single spaces,
// with a space at each end, so a phrase matches on word boundaries with
// strings.Contains.
func normalizeRiskText(s string) string {
	words := riskTokens(s)
	if len(words) == 0 {
		return " "
	}
	return " " + strings.Join(words, " ") + " "
}

// isNumber reports whether word is all digits.
func isNumber(word string) bool {
	for _, r := range word {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return word != ""
}

// RiskPhrases returns the phrases of acute risk that text holds, in the
// list's order, each once; nil when it holds none. See riskPhrases for the
// list, its source and how it matches.
func RiskPhrases(text string) []string {
	words := riskTokens(text)
	var out []string
	for _, p := range riskPhrases {
		pw := strings.Fields(p)
		for i := 0; i+len(pw) <= len(words); i++ {
			if !slices.Equal(words[i:i+len(pw)], pw) {
				continue
			}
			if afterNumberNotRisk[p] && i > 0 && isNumber(words[i-1]) {
				continue
			}
			out = append(out, p)
			break
		}
	}
	return out
}

// HasRiskWords reports whether text holds any phrase of acute risk
// (RiskPhrases).
func HasRiskWords(text string) bool { return len(RiskPhrases(text)) > 0 }
