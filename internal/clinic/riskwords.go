package clinic

import (
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
// "self-harm" is "self harm"), on whole words only, so "skill myself" or
// "diehard" do not match "kill myself" or "die".
//
// Negation is deliberately NOT handled: "I don't want to die" and "I'm
// not suicidal" match. A false alert costs a clinician a minute; a missed
// one ("I'm not suicidal, I just want to die") can cost a life, and a
// negation rule would have to understand sentences to be safe.
var riskPhrases = []string{
	"suicide",
	"suicidal",
	"kill myself",
	"killing myself",
	"end my life",
	"ending my life",
	"take my own life",
	"want to die",
	"wanna die",
	"wish i was dead",
	"wish i were dead",
	"better off dead",
	"no reason to live",
	"hurt myself",
	"hurting myself",
	"self harm",
	"overdose",
	"overdosing",
}

// normalizeRiskText lowers s, drops apostrophes and turns every run of
// other non-letter, non-digit characters into one space, with a space at
// each end, so a phrase matches on word boundaries with strings.Contains.
func normalizeRiskText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '\u2019' || r == '\u2018':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// RiskPhrases returns the phrases of acute risk that text holds, in the
// list's order, each once; nil when it holds none. See riskPhrases for the
// list, its source and how it matches.
func RiskPhrases(text string) []string {
	norm := normalizeRiskText(text)
	var out []string
	for _, p := range riskPhrases {
		if strings.Contains(norm, " "+p+" ") {
			out = append(out, p)
		}
	}
	return out
}

// HasRiskWords reports whether text holds any phrase of acute risk
// (RiskPhrases).
func HasRiskWords(text string) bool { return len(RiskPhrases(text)) > 0 }
