package clinic

import (
	"slices"
	"testing"
)

func TestRiskPhrases(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"ordinary", "Can we move Thursday's session to 3pm?", nil},
		{"plain phrase", "I want to kill myself", []string{"kill myself"}},
		{"upper case", "I WANT TO DIE", []string{"want to die"}},
		{"punctuation inside", "kill...myself", []string{"kill myself"}},
		{"punctuation around", "(suicide!)", []string{"suicide"}},
		{"line break between words", "end my\nlife", []string{"end my life"}},
		{"hyphen", "thinking about self-harm again", []string{"self harm"}},
		{"apostrophe dropped", "I'm better off dead", []string{"better off dead"}},
		{"curly apostrophe", "there\u2019s no reason to live", []string{"no reason to live"}},
		{"several, list order, once each", "Overdose. I want to die, I want to die.", []string{"want to die", "overdose"}},
		{"at start and end", "suicidal", []string{"suicidal"}},
		// Word boundaries: no match inside other words.
		{"skill myself", "I need to skill myself up", nil},
		{"diehard", "I'm a diehard fan and want to diet", nil},
		{"suicides plural is another word", "suicides", nil},
		{"hurt myselfie", "hurt myselfie", nil},
		// Negations are deliberately matched (see riskPhrases).
		{"negation not handled", "I don't want to die", []string{"want to die"}},
		{"not suicidal still matches", "I'm not suicidal", []string{"suicidal"}},
		{"digits for words not handled", "want 2 die", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := RiskPhrases(c.text)
			if !slices.Equal(got, c.want) {
				t.Errorf("RiskPhrases(%q) = %q, want %q", c.text, got, c.want)
			}
			if HasRiskWords(c.text) != (len(c.want) > 0) {
				t.Errorf("HasRiskWords(%q) = %v", c.text, !(len(c.want) > 0))
			}
		})
	}
}

func TestNormalizeRiskText(t *testing.T) {
	for in, want := range map[string]string{
		"":               " ",
		"  ":             " ",
		"A--b":           " a b ",
		"I'm OK.":        " im ok ",
		"x\u2018y\u2019": " xy ",
	} {
		if got := normalizeRiskText(in); got != want {
			t.Errorf("normalizeRiskText(%q) = %q, want %q", in, got, want)
		}
	}
}
