package csvsafe

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

func TestNeutralise(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("https://evil.example","x")`, `'=HYPERLINK("https://evil.example","x")`},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"", ""},
		{"Thea Novak", "Thea Novak"},
		{"a=b", "a=b"},
		{"2026 Q1", "2026 Q1"},
		{"'already", "'already"},
		// After spaces, and fullwidth forms (review finding).
		{" =cmd", "' =cmd"},
		{"   @SUM(A1)", "'   @SUM(A1)"},
		{"\u00a0+1", "'\u00a0+1"},
		{"\uff1d1+1", "'\uff1d1+1"},
		{"\uff20SUM(A1)", "'\uff20SUM(A1)"},
		{"\u2212" + "5", "'\u2212" + "5"},
		{" Thea", " Thea"},
		{"   ", "   "},
	} {
		if got := Neutralise(tt.in); got != tt.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWriterNumbersStayNumbers: text cells are neutralised, numbers the
// program wrote (a change of -5) are not.
func TestWriterNumbersStayNumbers(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Header("name", "change", "mean", "ok")
	w.Row(Text("=cmd|' /C calc'!A0"), Int(-5), Float(-2.25, 1), Bool(true))
	w.Row(Text("-5"), Int(7), Float(0, 1), Bool(false))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"name", "change", "mean", "ok"}, {"'=cmd|' /C calc'!A0", "-5", "-2.2", "true"}, {"'-5", "7", "0.0", "false"}}
	for i := range want {
		if i >= len(rows) || !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[min(i, len(rows)-1)], want[i])
		}
	}
}

// TestCents: money in cents is written with two decimals from the
// integer, signs kept and never quoted.
func TestCents(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Row(Cents(0), Cents(5), Cents(125050), Cents(-2000), Cents(-1), Cents(-9223372036854775808), Text("-20.00")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "0.00,0.05,1250.50,-20.00,-0.01,-92233720368547758.08,'-20.00\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
