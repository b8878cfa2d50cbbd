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
		// Common phrasings (review of issue 17), and their inflected forms.
		{"end it all", "I just want to end it all.", []string{"end it all"}},
		{"ending it all", "thinking of ending it all", []string{"ending it all"}},
		{"take all my pills", "I could take all my pills tonight", []string{"take all my pills"}},
		{"took all my pills", "I took all my pills", []string{"took all my pills"}},
		{"taking all my pills", "I keep thinking about taking all my pills", []string{"taking all my pills"}},
		{"dont want to live anymore", "I don't want to live anymore", []string{"dont want to live"}},
		{"do not want to live", "I do not want to live", []string{"do not want to live"}},
		{"dont want to be here", "I don’t want to be here anymore", []string{"dont want to be here"}},
		{"want to be dead", "I want to be dead", []string{"want to be dead"}},
		{"cut myself", "I cut myself last night", []string{"cut myself"}},
		{"cutting myself", "I started cutting myself again", []string{"cutting myself"}},
		{"hang myself", "I thought about how I would hang myself", []string{"hang myself"}},
		{"hanging myself", "hanging myself", []string{"hanging myself"}},
		{"i overdosed", "I overdosed on Saturday", []string{"overdosed"}},
		{"OD", "I might OD this weekend", []string{"od"}},
		{"OD'd", "I nearly OD'd", []string{"od"}},
		{"OD-ing", "scared of OD-ing", []string{"od"}},
		{"kms", "honestly i want to kms", []string{"kms"}},
		{"killing my self", "I keep thinking about killing my self", []string{"killing myself"}},
		{"kill my-self", "I will kill my-self", []string{"kill myself"}},
		{"selfharm", "selfharm urges are back", []string{"self harm"}},
		{"selfharming", "I was selfharming", []string{"self harming"}},
		{"self harming", "I've been self-harming", []string{"self harming"}},
		{"harming myself", "I keep harming myself", []string{"harming myself"}},
		{"harm myself", "I want to harm myself", []string{"harm myself"}},
		{"no point in living", "there is no point in living", []string{"no point in living"}},
		{"better off without me", "They'd all be better off without me.", []string{"better off without me"}},
		{"end things", "I want to end things", []string{"end things"}},
		{"ending things", "I'm ending things tonight", []string{"ending things"}},
		// Near misses: whole words only, so these do not hit.
		{"odd", "I feel odd after the session", nil},
		{"od inside words", "God, my body hurts, a good day though", nil},
		{"kms after a number", "I walked 5 kms today", nil},
		{"kilometres glued", "ran 10kms", nil},
		{"self-esteem is not myself", "it hurt my self-esteem", nil},
		{"cutting my hair", "I'm cutting my hair short", nil},
		{"pills, not all", "I take my pills every morning", nil},
		{"hangman", "we played hangman", nil},
		{"endings", "happy endings, things are fine", nil},
		{"selfish", "I was selfish to my sister", nil},
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
