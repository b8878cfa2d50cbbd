package pdfdoc

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzPrintable: whatever the text, Printable leaves only characters the
// core fonts show, and a document of it renders to a PDF.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"", "plain", "Đặng Thị → ≥ ﬁ", "Иван 王小明 🙂", "a\r\n\tb\x00\x1b", "\xff\xfe broken", "e\u0301\u20dd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return // a document's fields are short; Render's cost grows with the text
		}
		p := Printable(s)
		for _, r := range p {
			if !encodable(r) {
				t.Fatalf("Printable(%q) = %q keeps %U", s, p, r)
			}
		}
		if utf8.ValidString(s) && utf8.RuneCountInString(p) == 0 && utf8.RuneCountInString(s) > 0 {
			for _, r := range s {
				if r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) && substitutes[r] == "" && !isMark(r) {
					t.Fatalf("Printable(%q) lost every character", s)
				}
			}
		}
		pdf, err := Render(Document{Title: s, Meta: []Field{{s, s}}, Blocks: []Block{Heading{Text: s}, Paragraph{Text: s}, List{Items: []string{s}},
			Fields{Rows: []Field{{s, s}}}, Table{Columns: []Column{{Title: s}}, Rows: [][]string{{s}}}, Signature{Name: s, Hash: s}}})
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("Render of %q: %v", s, err)
		}
	})
}
