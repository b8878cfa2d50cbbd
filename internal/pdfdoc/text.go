package pdfdoc

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// cp1252Specials are the characters Windows-1252 puts at 0x80..0x9F, the
// only ones outside Latin-1 that the PDF core fonts can show.
const cp1252Specials = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"

// encodable reports whether r can be written with the core fonts as is.
func encodable(r rune) bool {
	switch {
	case r == '\n':
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r < 0x80, r >= 0xa0 && r <= 0xff:
		return true
	}
	return strings.ContainsRune(cp1252Specials, r)
}

// substitutes are the readable stand-ins for common characters outside
// Windows-1252 that do not decompose into one of its letters.
var substitutes = map[rune]string{
	'→': "->", '←': "<-", '↑': "^", '↓': "v", '⇒': "=>",
	'≥': ">=", '≤': "<=", '≠': "!=", '≈': "~", '−': "-", '∓': "-/+",
	'‐': "-", '‑': "-", '‒': "-", '―': "-", '⁃': "-",
	'′': "'", '″': "\"", '‛': "'", '‟': "\"", '‹': "<", '›': ">",
	'✓': "[x]", '✔': "[x]", '✗': "[ ]", '✘': "[ ]", '☐': "[ ]", '☑': "[x]", '☒': "[x]",
	'●': "•", '▪': "•", '◦': "•", '‣': "•", '∙': "•",
	'\t': " ", '\u2000': " ", '\u2001': " ", '\u2002': " ", '\u2003': " ", '\u2004': " ", '\u2005': " ",
	'\u2006': " ", '\u2007': " ", '\u2008': " ", '\u2009': " ", '\u200a': " ", '\u202f': " ", '\u205f': " ", '\u3000': " ",
	'\u2028': "\n", '\u2029': "\n",
	'\u200b': "", '\u200c': "", '\u200d': "", '\u2060': "", '\ufeff': "",
	'Đ': "D", 'đ': "d", 'Ł': "L", 'ł': "l", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'Ŧ': "T", 'ŧ': "t",
	'Ŋ': "N", 'ŋ': "n", 'ĸ': "k", 'ſ': "s", 'Ə': "E", 'ə': "e", 'Ɛ': "E", 'ɛ': "e",
}

// Printable returns s with every character the PDF core fonts
// (Windows-1252) cannot show replaced sensibly: a known stand-in (an arrow
// by "->", "≥" by ">=", typographic spaces by a space), or a letter with
// marks by its plain letter ("Đặng" becomes "Dang", "Łódź" "Lódz": ó
// fits as it is), or else "?" (one per character, so a name in a script
// the fonts lack stays visibly present rather than vanishing). Carriage
// returns are dropped, tabs become spaces, other control characters
// vanish; newlines stay.
func Printable(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	ok := true
	for _, r := range s {
		if !encodable(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if encodable(r) {
			b.WriteRune(r)
			continue
		}
		sub, found := substitutes[r]
		switch {
		case found:
			b.WriteString(sub)
		case r == '\r' || unicode.IsControl(r):
		case r == unicode.ReplacementChar:
			b.WriteByte('?')
		default:
			b.WriteString(decompose(r))
		}
	}
	return b.String()
}

// decompose returns r's compatibility decomposition without its marks
// (the usual plain-letter spelling: "ễ" is "e", "ﬁ" is "fi"), or "?" when
// a part of it cannot be shown.
func decompose(r rune) string {
	if isMark(r) {
		return "" // a lone combining mark: its letter is shown already
	}
	var b strings.Builder
	for _, d := range norm.NFKD.String(string(r)) {
		switch {
		case unicode.Is(unicode.Mn, d):
		case encodable(d) && d != '\n':
			b.WriteRune(d)
		default:
			if sub, found := substitutes[d]; found {
				b.WriteString(sub)
			} else {
				return "?"
			}
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// isMark reports whether r is a combining mark.
func isMark(r rune) bool { return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) }
