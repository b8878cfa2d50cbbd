// Package pdfdoc renders a small document model (a title, lines about
// whom it concerns, headings, paragraphs, lists, label-value rows, tables,
// line charts with bands, signature blocks) to PDF bytes, for the
// documents kapstone hands to a partner prescriber, an insurer or a
// patient: the outcome summary, a signed note with its addenda, a signed
// consent.
//
// The layout is calm and fixed: one column between 20 mm margins, text
// wrapped and continued on a new page rather than run off one, every page
// with a footer saying "Page x of y", when the document was generated (in
// the reader's time zone) and a confidentiality line. It uses the PDF core
// fonts (Helvetica, Courier), so nothing is embedded and the output is
// small; they show Windows-1252 only, and Printable replaces any other
// character sensibly. Rendering reads no file and no network, and the same
// Document gives the same bytes (the PDF's dates are GeneratedAt).
package pdfdoc

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Paper is a page size: Letter or A4.
type Paper string

// The page sizes.
const (
	Letter Paper = "Letter"
	A4     Paper = "A4"
)

// letterZones are time-zone prefixes of the places that use Letter paper
// (North and most of Central and South America, the Philippines).
var letterZones = []string{"America/", "US/", "Canada/", "Pacific/Honolulu", "Asia/Manila"}

// PaperFor returns the paper for a practice in the IANA time zone zone:
// Letter in the Americas (and the Philippines) or when the zone is unknown
// or empty, A4 everywhere else.
func PaperFor(zone string) Paper {
	if zone == "" {
		return Letter
	}
	for _, p := range letterZones {
		if strings.HasPrefix(zone, p) {
			return Letter
		}
	}
	if _, err := time.LoadLocation(zone); err != nil || zone == "UTC" || zone == "Local" {
		return Letter
	}
	return A4
}

// DefaultConfidential is the footer's confidentiality line when a
// Document sets none.
const DefaultConfidential = "Confidential health information. Share only with the people this document is for; do not pass it on without the patient's permission."

// Document is one PDF: a title and lines about it at the top of the first
// page, then Blocks in order.
type Document struct {
	Title    string  // e.g. "Outcome summary"
	Subtitle string  // a line under the title, e.g. what the document is for
	Meta     []Field // who and what it concerns: Patient, Date of birth, Practice
	// RunningHead is repeated at the top of every page after the first
	// (e.g. "Outcome summary · Jane Doe · born 1980-04-02"), so a page that
	// comes loose still says whose it is. Empty: the Title.
	RunningHead string
	Blocks      []Block
	Paper       Paper // "" is Letter
	// GeneratedAt is when the document was made, shown in Zone in every
	// footer and used as the PDF's own dates.
	GeneratedAt time.Time
	Zone        *time.Location // the reader's zone; nil is UTC
	// Confidential is the footer's confidentiality line; "" is
	// DefaultConfidential.
	Confidential string
	Lang         string // the PDF's language tag; "" is "en-US"
}

// Field is one label and its value.
type Field struct {
	Label, Value string
}

// Block is one piece of a document's body: Heading, Paragraph, List,
// Fields, Table, Chart, Signature, Rule or PageBreak.
type Block interface {
	draw(w *writer)
}

// Heading is a section heading: Level 1 (the default) or 2 (smaller). It
// never stands alone at the foot of a page.
type Heading struct {
	Text  string
	Level int
}

// Paragraph is wrapped text; a newline in Text starts a new line. Small
// is small, muted print (sources, notes on method).
type Paragraph struct {
	Text  string
	Small bool
}

// List is a bulleted list, or numbered from 1 when Numbered.
type List struct {
	Items    []string
	Numbered bool
}

// Fields are label-value rows, the label in a narrow column on the left
// and the value wrapped on the right.
type Fields struct {
	Rows []Field
}

// Column is a table column: its title, its share of the table's width
// (weights are relative; 0 counts as 1), and whether its cells are
// right-aligned (numbers).
type Column struct {
	Title  string
	Weight float64
	Right  bool
}

// Table is a table with a header row, repeated on each page it continues
// onto; a cell's text wraps within its column.
type Table struct {
	Columns []Column
	Rows    [][]string
}

// Rule is a thin horizontal line across the page.
type Rule struct{}

// PageBreak starts a new page.
type PageBreak struct{}

// Signature is a signature block: who signed (Name, Role), when (At, shown
// in the document's zone), the hash of the content they signed, and any
// further lines (how it was signed, from where). Label heads the block,
// e.g. "Signed", "Addendum signed", "Patient's signature". The block is
// never split across pages.
type Signature struct {
	Label       string
	Name        string
	Credentials string // after the name, e.g. "LMFT"
	At          time.Time
	Hash        string // e.g. "sha256:3f5a..."; "" shows no hash line
	Lines       []Field
}

// The palette, as in internal/chart and the web pages.
type rgb struct{ r, g, b int }

var (
	colInk     = rgb{31, 42, 39}
	colMuted   = rgb{81, 96, 91}
	colBrand   = rgb{47, 111, 94}
	colLine    = rgb{217, 223, 219}
	colSurface = rgb{244, 247, 245}
)

// Page geometry in millimetres.
const (
	marginX      = 20.0
	marginTop    = 18.0
	footerHeight = 20.0 // the footer's band at the foot of the page
	bodyPt       = 10.0
	lineBody     = 5.0
)

// writer is one document being drawn.
type writer struct {
	pdf          *fpdf.Fpdf
	d            Document
	tr           func(string) string
	pageW, pageH float64
	left, right  float64 // content edges
	bottom       float64 // the lowest y the body may reach
}

// Render draws d and returns the PDF's bytes. It fails only when the PDF
// library does (it reports a problem rather than writing a broken file).
func Render(d Document) ([]byte, error) {
	size := "Letter"
	if d.Paper == A4 {
		size = "A4"
	}
	if d.Zone == nil {
		d.Zone = time.UTC
	}
	if d.Confidential == "" {
		d.Confidential = DefaultConfidential
	}
	if d.Lang == "" {
		d.Lang = "en-US"
	}
	pdf := fpdf.New("P", "mm", size, "")
	w := &writer{pdf: pdf, d: d, tr: pdf.UnicodeTranslatorFromDescriptor("cp1252")}
	w.pageW, w.pageH = pdf.GetPageSize()
	w.left, w.right = marginX, w.pageW-marginX
	w.bottom = w.pageH - footerHeight - 4
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(d.GeneratedAt.UTC())
	pdf.SetModificationDate(d.GeneratedAt.UTC())
	// The title goes into the PDF's metadata as UTF-16, where any
	// character is fine, but fpdf panics on bytes that are not UTF-8.
	pdf.SetTitle(strings.ToValidUTF8(d.Title, "\uFFFD"), true)
	pdf.SetProducer("kapstone", true)
	pdf.SetLang(d.Lang)
	pdf.AliasNbPages("{nb}")
	pdf.SetHeaderFunc(w.header)
	pdf.SetFooterFunc(w.footer)
	pdf.AddPage()
	w.titleBlock()
	for _, b := range d.Blocks {
		if b != nil {
			b.draw(w)
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return nil, errors.New("pdfdoc: empty output")
	}
	return out.Bytes(), nil
}

// text returns s as the core fonts' bytes.
func (w *writer) text(s string) string { return w.tr(Printable(s)) }

func (w *writer) font(style string, pt float64, c rgb) {
	w.pdf.SetFont("Helvetica", style, pt)
	w.pdf.SetTextColor(c.r, c.g, c.b)
}

func (w *writer) width() float64 { return w.right - w.left }

// room starts a new page unless h millimetres fit below the current line.
func (w *writer) room(h float64) {
	if w.pdf.GetY()+h > w.bottom {
		w.pdf.AddPage()
	}
}

// header draws the running head on every page after the first.
func (w *writer) header() {
	if w.pdf.PageNo() == 1 {
		return
	}
	head := w.d.RunningHead
	if head == "" {
		head = w.d.Title
	}
	w.font("", 8, colMuted)
	w.pdf.SetXY(w.left, 10)
	w.pdf.CellFormat(w.width(), 4, w.fit(w.text(head), w.width()), "", 0, "L", false, 0, "")
	w.line(colLine, 0.2, w.left, 15, w.right, 15)
	w.pdf.SetXY(w.left, marginTop+1)
}

// footer draws the confidentiality line, when the document was generated,
// and the page's number of the whole.
func (w *writer) footer() {
	y := w.pageH - footerHeight + 2
	w.line(colLine, 0.2, w.left, y, w.right, y)
	w.font("", 7.5, colMuted)
	lines := w.pdf.SplitLines([]byte(w.text(w.d.Confidential)), w.width())
	yy := y + 2
	for i, l := range lines {
		if i == 2 {
			break
		}
		w.pdf.SetXY(w.left, yy)
		w.pdf.CellFormat(w.width(), 3.4, string(l), "", 0, "L", false, 0, "")
		yy += 3.4
	}
	gen := "Generated " + w.d.GeneratedAt.In(w.d.Zone).Format("Jan 2, 2006, 3:04 PM MST")
	w.pdf.SetXY(w.left, yy+1)
	w.pdf.CellFormat(w.width()/2, 3.4, w.text(gen), "", 0, "L", false, 0, "")
	w.pdf.SetXY(w.left+w.width()/2, yy+1)
	w.pdf.CellFormat(w.width()/2, 3.4, w.text("Page ")+itoa(w.pdf.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
}

// titleBlock draws the title, subtitle and meta fields on the first page.
func (w *writer) titleBlock() {
	pdf := w.pdf
	pdf.SetXY(w.left, marginTop)
	if w.d.Title != "" {
		w.font("B", 18, colInk)
		w.wrapped(w.text(w.d.Title), 8)
	}
	if w.d.Subtitle != "" {
		w.font("", 10.5, colMuted)
		w.wrapped(w.text(w.d.Subtitle), 5)
	}
	if len(w.d.Meta) > 0 {
		pdf.SetY(pdf.GetY() + 3)
		// Two columns of label over value.
		colW := w.width() / 2
		for i := 0; i < len(w.d.Meta); i += 2 {
			y := pdf.GetY()
			h := 0.0
			for j := i; j < i+2 && j < len(w.d.Meta); j++ {
				x := w.left + float64(j-i)*colW
				f := w.d.Meta[j]
				w.font("", 8, colMuted)
				pdf.SetXY(x, y)
				pdf.CellFormat(colW-4, 3.8, w.text(f.Label), "", 0, "L", false, 0, "")
				w.font("B", 10.5, colInk)
				lines := pdf.SplitLines([]byte(w.text(f.Value)), colW-4)
				yy := y + 4
				for _, l := range lines {
					pdf.SetXY(x, yy)
					pdf.CellFormat(colW-4, 5, string(l), "", 0, "L", false, 0, "")
					yy += 5
				}
				h = max(h, yy-y)
			}
			pdf.SetY(y + h + 1.5)
		}
	}
	y := pdf.GetY() + 2
	w.line(colBrand, 0.6, w.left, y, w.right, y)
	pdf.SetY(y + 5)
}

// wrapped writes already-encoded text wrapped to the content width, lh
// millimetres a line, starting new pages as needed; the font is set.
func (w *writer) wrapped(s string, lh float64) {
	w.wrappedAt(s, w.left, w.width(), lh, "L")
}

func (w *writer) wrappedAt(s string, x, width, lh float64, align string) {
	for _, l := range w.pdf.SplitLines([]byte(s), width) {
		w.room(lh)
		w.pdf.SetXY(x, w.pdf.GetY())
		w.pdf.CellFormat(width, lh, string(l), "", 1, align, false, 0, "")
	}
}

// fit shortens encoded text s with "..." until it is at most width wide.
func (w *writer) fit(s string, width float64) string {
	if w.pdf.GetStringWidth(s) <= width {
		return s
	}
	for len(s) > 0 && w.pdf.GetStringWidth(s+"...") > width {
		s = s[:len(s)-1]
	}
	return s + "..."
}

func (w *writer) line(c rgb, width, x1, y1, x2, y2 float64) {
	w.pdf.SetDrawColor(c.r, c.g, c.b)
	w.pdf.SetLineWidth(width)
	w.pdf.Line(x1, y1, x2, y2)
}

func (h Heading) draw(w *writer) {
	pt, lh, before := 13.0, 6.5, 4.0
	if h.Level >= 2 {
		pt, lh, before = 11.0, 5.5, 2.5
	}
	// Keep the heading with at least three lines of what follows.
	w.pdf.SetY(w.pdf.GetY() + before)
	w.font("B", pt, colInk)
	lines := w.pdf.SplitLines([]byte(w.text(h.Text)), w.width())
	w.room(float64(len(lines))*lh + 3*lineBody)
	w.wrapped(w.text(h.Text), lh)
	w.pdf.SetY(w.pdf.GetY() + 1)
}

func (p Paragraph) draw(w *writer) {
	if p.Small {
		w.font("", 8, colMuted)
		w.wrapped(w.text(p.Text), 3.8)
	} else {
		w.font("", bodyPt, colInk)
		w.wrapped(w.text(p.Text), lineBody)
	}
	w.pdf.SetY(w.pdf.GetY() + 2)
}

func (l List) draw(w *writer) {
	indent := 6.0
	for i, item := range l.Items {
		mark := "\x95" // the bullet in Windows-1252
		if l.Numbered {
			mark = itoa(i+1) + "."
		}
		w.font("", bodyPt, colInk)
		w.room(lineBody)
		y := w.pdf.GetY()
		w.pdf.SetXY(w.left, y)
		w.pdf.CellFormat(indent, lineBody, mark, "", 0, "L", false, 0, "")
		w.pdf.SetXY(w.left+indent, y)
		w.wrappedAt(w.text(item), w.left+indent, w.width()-indent, lineBody, "L")
		w.pdf.SetY(w.pdf.GetY() + 0.8)
	}
	w.pdf.SetY(w.pdf.GetY() + 1.5)
}

func (f Fields) draw(w *writer) {
	labelW := min(52, w.width()*0.32)
	for _, r := range f.Rows {
		w.font("", bodyPt, colInk)
		lines := w.pdf.SplitLines([]byte(w.text(r.Value)), w.width()-labelW)
		w.room(min(float64(len(lines)), 3) * lineBody)
		y := w.pdf.GetY()
		w.font("", 9, colMuted)
		labels := w.pdf.SplitLines([]byte(w.text(r.Label)), labelW-3)
		for i, l := range labels {
			w.pdf.SetXY(w.left, y+float64(i)*lineBody)
			w.pdf.CellFormat(labelW-3, lineBody, string(l), "", 0, "L", false, 0, "")
		}
		w.pdf.SetY(y)
		w.font("", bodyPt, colInk)
		page := w.pdf.PageNo()
		w.wrappedAt(w.text(r.Value), w.left+labelW, w.width()-labelW, lineBody, "L")
		if end := y + float64(max(1, len(labels)))*lineBody; w.pdf.PageNo() == page && w.pdf.GetY() < end {
			w.pdf.SetY(end) // a label longer than its value
		}
		w.pdf.SetY(w.pdf.GetY() + 0.8)
	}
	w.pdf.SetY(w.pdf.GetY() + 2)
}

func (Rule) draw(w *writer) {
	w.room(4)
	y := w.pdf.GetY() + 1.5
	w.line(colLine, 0.3, w.left, y, w.right, y)
	w.pdf.SetY(y + 3)
}

func (PageBreak) draw(w *writer) { w.pdf.AddPage() }

func (t Table) draw(w *writer) {
	if len(t.Columns) == 0 {
		return
	}
	total := 0.0
	for _, c := range t.Columns {
		total += weight(c)
	}
	widths := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = w.width() * weight(c) / total
	}
	const pad, lh = 1.6, 4.6
	cells := func(row []string, style string) ([][][]byte, float64) {
		w.font(style, 9, colInk)
		out := make([][][]byte, len(t.Columns))
		n := 1
		for i := range t.Columns {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			out[i] = w.pdf.SplitLines([]byte(w.text(v)), widths[i]-2*pad)
			n = max(n, len(out[i]))
		}
		return out, float64(n)*lh + 2*pad
	}
	drawRow := func(row [][][]byte, h float64, style string, fill bool) {
		y, x := w.pdf.GetY(), w.left
		if fill {
			w.pdf.SetFillColor(colSurface.r, colSurface.g, colSurface.b)
			w.pdf.Rect(w.left, y, w.width(), h, "F")
		}
		w.font(style, 9, colInk)
		for i, c := range t.Columns {
			align := "L"
			if c.Right {
				align = "R"
			}
			for j, l := range row[i] {
				w.pdf.SetXY(x+pad, y+pad+float64(j)*lh)
				w.pdf.CellFormat(widths[i]-2*pad, lh, string(l), "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		w.line(colLine, 0.2, w.left, y+h, w.right, y+h)
		w.pdf.SetY(y + h)
	}
	titles := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		titles[i] = c.Title
	}
	head, headH := cells(titles, "B")
	header := func() { drawRow(head, headH, "B", true) }
	_, firstH := cells(nil, "")
	if len(t.Rows) > 0 {
		_, firstH = cells(t.Rows[0], "")
	}
	w.room(headH + firstH) // never a header alone at the foot of a page
	header()
	for _, r := range t.Rows {
		c, h := cells(r, "")
		if w.pdf.GetY()+h > w.bottom {
			w.pdf.AddPage()
			header()
		}
		drawRow(c, h, "", false)
	}
	w.pdf.SetY(w.pdf.GetY() + 4)
}

func weight(c Column) float64 {
	if c.Weight <= 0 {
		return 1
	}
	return c.Weight
}

func (s Signature) draw(w *writer) {
	type line struct {
		label, value string
		mono         bool
	}
	var ls []line
	who := s.Name
	if s.Credentials != "" {
		who += ", " + s.Credentials
	}
	ls = append(ls, line{"Signed by", who, false})
	if !s.At.IsZero() {
		ls = append(ls, line{"Signed at", s.At.In(w.d.Zone).Format("Jan 2, 2006, 3:04 PM MST"), false})
	}
	for _, f := range s.Lines {
		ls = append(ls, line{f.Label, f.Value, false})
	}
	if s.Hash != "" {
		ls = append(ls, line{"Content hash", s.Hash, true})
	}
	const pad, labelW, lh = 4.0, 34.0, 4.8
	valW := w.width() - 2*pad - labelW
	wrap := func(l line) [][]byte {
		if l.mono {
			w.pdf.SetFont("Courier", "", 8)
		} else {
			w.font("", 9.5, colInk)
		}
		return w.pdf.SplitLines([]byte(w.text(l.value)), valW)
	}
	h := 2*pad + 6
	for _, l := range ls {
		h += float64(max(1, len(wrap(l)))) * lh
	}
	w.pdf.SetY(w.pdf.GetY() + 2)
	w.room(h)
	y := w.pdf.GetY()
	w.pdf.SetDrawColor(colBrand.r, colBrand.g, colBrand.b)
	w.pdf.SetLineWidth(0.6)
	w.pdf.Line(w.left, y, w.left, y+h)
	w.pdf.SetFillColor(colSurface.r, colSurface.g, colSurface.b)
	w.pdf.Rect(w.left+0.3, y, w.width()-0.3, h, "F")
	label := s.Label
	if label == "" {
		label = "Signed"
	}
	w.font("B", 10.5, colBrand)
	w.pdf.SetXY(w.left+pad, y+pad)
	w.pdf.CellFormat(w.width()-2*pad, 5, w.fit(w.text(label), w.width()-2*pad), "", 0, "L", false, 0, "")
	yy := y + pad + 6
	for _, l := range ls {
		w.font("", 8.5, colMuted)
		w.pdf.SetXY(w.left+pad, yy)
		w.pdf.CellFormat(labelW, lh, w.fit(w.text(l.label), labelW-2), "", 0, "L", false, 0, "")
		rows := wrap(l)
		if l.mono {
			w.pdf.SetTextColor(colInk.r, colInk.g, colInk.b)
		}
		for _, r := range rows {
			w.pdf.SetXY(w.left+pad+labelW, yy)
			w.pdf.CellFormat(valW, lh, string(r), "", 0, "L", false, 0, "")
			yy += lh
		}
		if len(rows) == 0 {
			yy += lh
		}
	}
	w.pdf.SetY(y + h + 4)
}

func itoa(n int) string { return strconv.Itoa(n) }
