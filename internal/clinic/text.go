package clinic

import (
	"unicode"
	"unicode/utf8"
)

// LineProblem is what a single-line field says when it holds a line break
// or another character that is not text.
const LineProblem = "Write this on one line, without line breaks or control characters."

// TextProblem is what a multi-line field says when it holds a character
// that is not text.
const TextProblem = "Use letters, numbers, punctuation and line breaks only."

// bidiControl reports whether r is a Unicode bidirectional embedding,
// override or isolate control (U+202A–U+202E, U+2066–U+2069): they
// reorder the text around them when shown, so "Dr. Ana" could display as
// something else in a list or a log (the "Trojan Source" trick). The
// marks U+200E, U+200F and U+061C, which a right-to-left name may
// legitimately need, are kept.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// SingleLine reports whether s is text for a single-line field (a name,
// a title, a phone number, an email address, a slug): valid UTF-8 without
// control characters (Unicode category Cc: line feed, carriage return,
// tab, NUL, escape...), without the line and paragraph separators U+2028
// and U+2029, and without bidirectional embedding, override or isolate
// controls. A line break in a name splits a CSV row, an email header or a
// log line, and shows as a different name wherever it is printed. Every
// single-line field the store writes is checked with it (CheckLine).
func SingleLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || r == '\u2028' || r == '\u2029' || bidiControl(r) {
			return false
		}
	}
	return true
}

// MultiLine reports whether s is text for a multi-line field (a note, a
// message, a bio): valid UTF-8 whose only control characters are tab,
// line feed and carriage return (a browser sends a textarea's line breaks
// as CR LF), without bidirectional embedding, override or isolate
// controls.
func MultiLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) && r != '\t' && r != '\n' && r != '\r' || bidiControl(r) {
			return false
		}
	}
	return true
}

// CheckLine adds LineProblem at field when v is not SingleLine (and the
// field has no message yet).
func CheckLine(fe FieldErrors, field, v string) {
	if !SingleLine(v) {
		fe.Add(field, LineProblem)
	}
}

// CheckText adds TextProblem at field when v is not MultiLine (and the
// field has no message yet).
func CheckText(fe FieldErrors, field, v string) {
	if !MultiLine(v) {
		fe.Add(field, TextProblem)
	}
}
