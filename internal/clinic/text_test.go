package clinic

import "testing"

func TestSingleAndMultiLine(t *testing.T) {
	for _, tt := range []struct {
		name, in      string
		single, multi bool
	}{
		{"plain", "Alice O'Neil-Smith", true, true},
		{"accents and scripts", "Zoë Łukasz 王芳 محمد", true, true},
		{"right-to-left marks", "שלום\u200f (Shalom)", true, true},
		{"empty", "", true, true},
		{"CR LF", "A\r\nB", false, true},
		{"LF", "A\nB", false, true},
		{"CR", "A\rB", false, true},
		{"tab", "A\tB", false, true},
		{"NUL", "A\x00B", false, false},
		{"escape", "A\x1b[31mB", false, false},
		{"DEL", "A\x7fB", false, false},
		{"C1 next line", "A\u0085B", false, false},
		{"line separator", "A\u2028B", false, true},
		{"paragraph separator", "A\u2029B", false, true},
		{"right-to-left override", "Dr. \u202eanA", false, false},
		{"left-to-right isolate", "A\u2066B\u2069", false, false},
		{"invalid UTF-8", "A\xffB", false, false},
	} {
		if got := SingleLine(tt.in); got != tt.single {
			t.Errorf("SingleLine(%s %q) = %v, want %v", tt.name, tt.in, got, tt.single)
		}
		if got := MultiLine(tt.in); got != tt.multi {
			t.Errorf("MultiLine(%s %q) = %v, want %v", tt.name, tt.in, got, tt.multi)
		}
	}
	fe := FieldErrors{}
	CheckLine(fe, "name", "A\r\nB")
	CheckLine(fe, "title", "fine")
	CheckText(fe, "note", "a\r\nb")
	CheckText(fe, "body", "a\x00b")
	if len(fe) != 2 || fe["name"] != LineProblem || fe["body"] != TextProblem {
		t.Errorf("field errors = %v, want name and body", fe)
	}
}
