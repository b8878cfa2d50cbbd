package slug

import "testing"

func TestMake(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"What happens on a dosing day?", 80, "what-happens-on-a-dosing-day"},
		// A title with accents keeps its letters in the post's address.
		{"Ängste verstehen: Café-Gespräche", 80, "angste-verstehen-cafe-gesprache"},
		{"Lena Ortiz, LMFT", 80, "lena-ortiz-lmft"},
		{"  --Hello,   World--  ", 80, "hello-world"},
		{"ﬁve ½ cups", 80, "five-1-2-cups"}, // compatibility forms decomposed
		{"日本語", 80, ""},
		{"", 80, ""},
		{"DBT Skills", 1000, "dbt-skills"},
		// Too long: cut at the last hyphen past half the limit.
		{"alpha beta gamma delta", 14, "alpha-beta"},
		// No hyphen past half: cut at the limit, trailing hyphen trimmed.
		{"alpha beta gamma", 6, "alpha"},
		{"abcdefghij", 4, "abcd"},
	} {
		if got := Make(tt.in, tt.max); got != tt.want {
			t.Errorf("Make(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"what-to-expect": true, "a": true, "post-2": true,
		"": false, "Hello": false, "a/b": false, "-a": false, "a-": false, "a--b": false, "ça": false, "a b": false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
