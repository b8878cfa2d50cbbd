package slug

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMake checks that whatever a title holds, Make gives a slug or
// nothing: Valid (or empty), at most max bytes, made again unchanged, and
// empty only when the title has no letter or digit it could keep.
func FuzzMake(f *testing.F) {
	for _, s := range []string{
		"What happens on a dosing day?", "Ängste verstehen: Café-Gespräche", "ﬁve ½ cups", "日本語", "",
		"--a--b--", "a\x00b\r\nc", "\xff\xfe\xfd", "İstanbul", "K Kelvin", "ǅemal", "ß", "Ⅻ ⁹ ①",
		"a-" + strings.Repeat("b", 100), strings.Repeat("-", 300), "\u202etxt.exe", "a\u0301\u0301\u0301",
	} {
		for _, max := range []int{0, 1, 2, 5, 80} {
			f.Add(s, max)
		}
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			max = abs(max % 1001)
		}
		got := Make(s, max)
		if got != "" && !Valid(got) {
			t.Fatalf("Make(%q, %d) = %q, not a valid slug", s, max, got)
		}
		if len(got) > max {
			t.Fatalf("Make(%q, %d) = %q, longer than %d bytes", s, max, got, max)
		}
		if again := Make(got, max); again != got {
			t.Fatalf("Make is not idempotent: Make(%q) = %q, Make(%q) = %q", s, got, got, again)
		}
		if Make(s, max) != got {
			t.Fatalf("Make(%q, %d) is not deterministic", s, max)
		}
		// A title with an ASCII letter or digit keeps at least one
		// character when there is room for one.
		if max > 0 && got == "" && strings.ContainsFunc(s, func(r rune) bool {
			return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		}) {
			t.Fatalf("Make(%q, %d) is empty though the title has letters", s, max)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Make(%q) = %q, not UTF-8", s, got)
		}
		if Valid(s) && len(s) <= max && Make(s, max) != s {
			t.Fatalf("a valid slug %q is changed to %q", s, Make(s, max))
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
