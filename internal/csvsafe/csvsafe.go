// Package csvsafe writes CSV files that a spreadsheet opens without
// running anything in them: every text cell that begins with a character
// a spreadsheet reads as the start of a formula (= + - @, and tab and
// carriage return, which some strip before looking) gets a single quote
// before it (OWASP, "CSV Injection"), so "=HYPERLINK(...)" is shown as
// text. Every CSV kapstone writes goes through Writer. It uses only the
// standard library.
//
// Numbers the program writes itself from an int or a float (Int, Float)
// are not quoted: "-5" made by strconv from a change of -5 is a number
// to a spreadsheet, never a formula, and quoting it would turn it into
// text that cannot be summed. Only a cell made from text (Text: a name, a
// title, anything a person typed or the program did not compute) is
// neutralised.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Cell is one cell of a row: text (neutralised) or a number the program
// wrote.
type Cell struct {
	s      string
	number bool
}

// Text is a cell of text, neutralised when written.
func Text(s string) Cell { return Cell{s: s} }

// Int is a cell holding n, written as a number.
func Int(n int) Cell { return Cell{s: strconv.Itoa(n), number: true} }

// Float is a cell holding f with prec digits after the point, written as
// a number.
func Float(f float64, prec int) Cell {
	return Cell{s: strconv.FormatFloat(f, 'f', prec, 64), number: true}
}

// Cents is a cell holding an amount of money given in integer cents,
// written as a number with two decimals ("1250.50", "-20.00"): made from
// the integer, never through a float, and never quoted (a sign the
// program wrote is no formula).
func Cents(c int64) Cell {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign, u = "-", uint64(-c)
	}
	frac := u % 100
	return Cell{s: sign + strconv.FormatUint(u/100, 10) + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10)), number: true}
}

// Bool is a cell holding "true" or "false".
func Bool(b bool) Cell { return Cell{s: strconv.FormatBool(b), number: true} }

// Neutralise returns s with a single quote before it when it begins with
// = + - @ tab or carriage return, or with one of = + - @ (or its fullwidth
// form, which some spreadsheets read as the ASCII one) after leading
// spaces (a spreadsheet that trims spaces would read a formula), else s.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	if strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, " \u00a0\u3000"))
	if strings.ContainsRune("=+-@\uff1d\uff0b\uff0d\uff20\u2212", first) {
		return "'" + s
	}
	return s
}

// Writer writes rows of cells as CSV.
type Writer struct {
	cw *csv.Writer
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Header writes a row of column names (text, neutralised like any text).
func (w *Writer) Header(names ...string) error {
	cells := make([]Cell, len(names))
	for i, n := range names {
		cells[i] = Text(n)
	}
	return w.Row(cells...)
}

// Row writes one row, neutralising its text cells.
func (w *Writer) Row(cells ...Cell) error {
	rec := make([]string, len(cells))
	for i, c := range cells {
		if c.number {
			rec[i] = c.s
		} else {
			rec[i] = Neutralise(c.s)
		}
	}
	return w.cw.Write(rec)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
