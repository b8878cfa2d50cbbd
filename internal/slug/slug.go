// Package slug makes and checks the readable part of an address that names
// something: a blog post, a tag, an author, a staff profile
// ("Lena Ortiz, LMFT" → "lena-ortiz-lmft"). It has no other job, so the
// blog, the site pages and anything after them share one rule.
package slug

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Make lower-cases s and keeps a-z and 0-9, with one hyphen for each run of
// anything else, at most max bytes, cut at a hyphen where it can be.
// Letters with accents keep their letter ("Ängste" → "angste").
func Make(s string, max int) string {
	var b strings.Builder
	dash := false
	// The decomposed form puts an accent in a mark of its own, dropped below.
	for _, r := range strings.ToLower(norm.NFKD.String(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
		if i := strings.LastIndexByte(out, '-'); i > max/2 {
			out = out[:i]
		}
		out = strings.Trim(out, "-")
	}
	return out
}

var pattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Valid reports whether s is a slug: runs of a-z and 0-9 joined by single
// hyphens, like what-to-expect.
func Valid(s string) bool {
	return pattern.MatchString(s)
}
