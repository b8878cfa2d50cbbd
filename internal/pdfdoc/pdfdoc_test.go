package pdfdoc_test

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/pdfdoc"
	"github.com/kapstone/kapstone/internal/pdfdoc/pdftest"
)

var generated = time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC)

func eastern(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sample is a document with every kind of block.
func sample(t *testing.T) pdfdoc.Document {
	day := func(n int) time.Time { return time.Date(2026, 9, 1, 15, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	return pdfdoc.Document{
		Title:       "Outcome summary",
		Subtitle:    "Symptom scores over the course of treatment",
		Meta:        []pdfdoc.Field{{"Patient", "Jane Sample"}, {"Date of birth", "1980-04-02"}, {"Practice", "Riverside Psychotherapy"}},
		RunningHead: "Outcome summary - Jane Sample",
		GeneratedAt: generated,
		Zone:        eastern(t),
		Blocks: []pdfdoc.Block{
			pdfdoc.Heading{Text: "PHQ-9"},
			pdfdoc.Fields{Rows: []pdfdoc.Field{{"Baseline", "21 (Severe)"}, {"Latest", "8 (Mild)"}}},
			pdfdoc.Chart{Spec: chart.Spec{
				Title: "PHQ-9 over time", YLabel: "PHQ-9 score", YMin: 0, YMax: 27,
				Bands:   []chart.Band{{From: 0, To: 4, Label: "Minimal", Level: 0}, {From: 5, To: 9, Label: "Mild", Level: 1}, {From: 10, To: 14, Label: "Moderate", Level: 2}, {From: 15, To: 19, Label: "Moderately severe", Level: 3}, {From: 20, To: 27, Label: "Severe", Level: 4}},
				Lines:   []chart.Line{{Value: 21, Label: "Baseline", Kind: "baseline"}, {Value: 10, Label: "Response", Kind: "threshold"}},
				Markers: []chart.Marker{{At: day(10), Label: "Dosing session"}, {At: day(24), Label: "Dosing session"}},
				Points:  []chart.Point{{At: day(0), Value: 21}, {At: day(14), Value: 15}, {At: day(28), Value: 11}, {At: day(42), Value: 8}},
			}},
			pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Date", Weight: 2}, {Title: "Score", Right: true}, {Title: "Range", Weight: 2}},
				Rows: [][]string{{"Sep 1, 2026", "21", "Severe"}, {"Oct 13, 2026", "8", "Mild"}}},
			pdfdoc.List{Items: []string{"First point", "Second point"}},
			pdfdoc.List{Items: []string{"One", "Two"}, Numbered: true},
			pdfdoc.Rule{},
			pdfdoc.Paragraph{Text: "Thresholds: NHS Talking Therapies.", Small: true},
			pdfdoc.Signature{Label: "Signed", Name: "Thea Therapist", Credentials: "LMFT", At: generated,
				Hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Lines: []pdfdoc.Field{{"Method", "Signed in kapstone"}}},
		},
	}
}

// TestRenderSample: a document with every kind of block renders to a PDF
// whose page has ink and whose text holds the title, the people, the
// chart's labels, the table, the signature with its hash, the footer
// (generated-at time in the reader's zone, page x of y, the
// confidentiality line); the same document gives the same bytes.
func TestRenderSample(t *testing.T) {
	d := sample(t)
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pdfdoc.Render(d)
	if !bytes.Equal(pdf, again) {
		t.Error("the same document rendered twice gives different bytes")
	}
	text, pages := pdftest.Read(t, "sample", pdf)
	flat := pdftest.Flat(text)
	for _, want := range []string{"Outcome summary", "Jane Sample", "1980-04-02", "Riverside Psychotherapy", "PHQ-9 over time",
		"Moderately severe", "Baseline", "Response", "Dosing session", "Sep 1, 2026", "Thea Therapist, LMFT",
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "Dec 3, 2026, 9:30 AM EST", "Page 1 of 2", "Page 2 of 2",
		"Confidential health information", "First point", "2. Two"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if n := pdftest.Ink(pages[0]); n < 5000 {
		t.Errorf("page 1 has %d inked pixels; want a page with something on it", n)
	}
	t.Logf("%d bytes, %d page(s), %d inked pixels on page 1", len(pdf), len(pages), pdftest.Ink(pages[0]))
}

// TestLongTextWraps: a paragraph far longer than a page wraps within the
// margins and continues on further pages, each numbered of the whole, with
// the running head; no word is lost.
func TestLongTextWraps(t *testing.T) {
	var words []string
	for i := range 1500 {
		words = append(words, "word"+strings.Repeat("x", i%7))
	}
	words = append(words, "THE-LAST-WORD")
	long := strings.Repeat("A", 300) // one word wider than the page
	d := pdfdoc.Document{Title: "Note", RunningHead: "Running head line", GeneratedAt: generated,
		Blocks: []pdfdoc.Block{pdfdoc.Heading{Text: "Long"}, pdfdoc.Paragraph{Text: long + " " + strings.Join(words, " ")}}}
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdftest.Read(t, "long", pdf)
	if len(pages) < 2 {
		t.Fatalf("%d page(s); want the text continued on a second page", len(pages))
	}
	flat := pdftest.Flat(text)
	n := len(pages)
	for _, want := range []string{"THE-LAST-WORD", "Page 2 of " + itoa(n), "Page " + itoa(n) + " of " + itoa(n), "Running head line"} {
		if !strings.Contains(flat, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if got := strings.Count(text, "wordxxxxxx"); got != 1500/7 {
		t.Errorf("%d of the %d longest words are in the text; want all", got, 1500/7)
	}
	if got := strings.Count(strings.ReplaceAll(pdftest.Flat(text), " ", ""), strings.Repeat("A", 300)); got != 1 {
		t.Errorf("the 300-letter word is not whole in the text (broken across lines it should still read in order)")
	}
	// No text runs off the page: every line of the text layout fits the
	// page's width in characters, and the right margin has no ink.
	for i, p := range pages {
		b := p.Bounds()
		margin := b.Dx() * 15 / 216 // 15 mm of a Letter page's 216
		ink := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Max.X - margin; x < b.Max.X; x++ {
				if r, g, bl, _ := p.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
					ink++
				}
			}
		}
		if ink > 0 {
			t.Errorf("page %d has %d inked pixels in its right margin: text runs off the page", i+1, ink)
		}
	}
	t.Logf("%d pages", n)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNonCP1252: names and words in scripts and characters the core fonts
// lack render to a valid PDF, letters with marks as their plain letters
// and the rest as "?", never breaking the file or vanishing.
func TestNonCP1252(t *testing.T) {
	d := pdfdoc.Document{Title: "Ghi chú → tóm tắt", Meta: []pdfdoc.Field{{"Patient", "Đặng Thị Ngọc Łódź"}, {"Other", "Иван 王小明 🙂"}},
		GeneratedAt: generated, Blocks: []pdfdoc.Block{
			pdfdoc.Paragraph{Text: "Score ≥ 10 − caseness\t\u200bzero-width\r\nnext line \x00\x07 control"},
			pdfdoc.Table{Columns: []pdfdoc.Column{{Title: "Ωmega"}}, Rows: [][]string{{"ﬁne – “quoted” €5 naïve"}}},
			pdfdoc.Signature{Name: "Zoë Ødegård", At: generated},
		}}
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdftest.Read(t, "unicode", pdf)
	flat := pdftest.Flat(text)
	for _, want := range []string{"Ghi chú -> tóm tat", "Dang Thi Ngoc Lódz", "???? ??? ?", "Score >= 10 - caseness zero-width", "next line",
		"control", "?mega", "fine – “quoted” €5 naïve", "Zoë Ødegård"} {
		if !strings.Contains(flat, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if pdftest.Ink(pages[0]) < 1000 {
		t.Error("the page is blank")
	}
}

// TestEmptyChart: a chart with no points (and one with only bad values)
// draws its axes and says there are no scores, without failing.
func TestEmptyChart(t *testing.T) {
	spec := chart.Spec{Title: "GAD-7 over time", YMin: 0, YMax: 21, Bands: []chart.Band{{From: 0, To: 4, Label: "Minimal", Level: 0}, {From: 5, To: 21, Label: "More", Level: 3}}}
	bad := spec
	bad.Title = "Bad values"
	bad.Points = []chart.Point{{At: generated, Value: math.NaN()}, {At: generated, Value: math.Inf(1)}}
	inverted := chart.Spec{Title: "Inverted range", YMin: 5, YMax: 1, Points: []chart.Point{{At: generated, Value: 3}}}
	d := pdfdoc.Document{Title: "Charts", GeneratedAt: generated, Blocks: []pdfdoc.Block{pdfdoc.Chart{Spec: spec}, pdfdoc.Chart{Spec: bad}, pdfdoc.Chart{Spec: inverted}}}
	pdf, err := pdfdoc.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdftest.Read(t, "empty-chart", pdf)
	if got := strings.Count(text, "No scores yet."); got != 2 {
		t.Errorf("%q appears %d times; want under each of the two charts without points:\n%s", "No scores yet.", got, text)
	}
	if !strings.Contains(text, "Inverted range") {
		t.Error("the chart with an inverted range is missing")
	}
}

// TestPaper: the page is Letter in the Americas or when unknown, A4
// elsewhere, and the PDF's page has that shape.
func TestPaper(t *testing.T) {
	for zone, want := range map[string]pdfdoc.Paper{
		"": pdfdoc.Letter, "America/Chicago": pdfdoc.Letter, "America/Toronto": pdfdoc.Letter, "Pacific/Honolulu": pdfdoc.Letter,
		"Europe/Berlin": pdfdoc.A4, "Australia/Sydney": pdfdoc.A4, "Asia/Tokyo": pdfdoc.A4, "Nowhere/Else": pdfdoc.Letter, "UTC": pdfdoc.Letter,
	} {
		if got := pdfdoc.PaperFor(zone); got != want {
			t.Errorf("PaperFor(%q) = %s, want %s", zone, got, want)
		}
	}
	pdf, err := pdfdoc.Render(pdfdoc.Document{Title: "A4", Paper: pdfdoc.A4, GeneratedAt: generated})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 595.28 841.89]")) {
		t.Error("an A4 document's page is not A4")
	}
	pdf, _ = pdfdoc.Render(pdfdoc.Document{Title: "Letter", GeneratedAt: generated})
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 612.00 792.00]")) {
		t.Error("a document without paper is not on Letter")
	}
}

// TestPrintable: every character becomes one the core fonts can show.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"café – “ok” €":    "café – “ok” €",
		"Đặng Nguyễn":      "Dang Nguyen",
		"a → b ≥ c":        "a -> b >= c",
		"Иван":             "????",
		"tab\there\r\nx":   "tab here\nx",
		"e\u0301 combined": "e combined",
		"bell\x07":         "bell",
		"\ufffd":           "?",
		"ﬁ ½":              "fi ½",
	} {
		if got := pdfdoc.Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdown: a consent's Markdown becomes headings, paragraphs, lists
// and rules, inline formatting dropped, a link's address kept, raw HTML
// left out.
func TestMarkdown(t *testing.T) {
	src := "# Informed consent\n\nKetamine is **not** a cure.\nIt is a *tool*.  \nNew line.\n\n## Risks\n\n" +
		"- Dissociation\n- Nausea, see [the leaflet](https://example.org/leaflet)\n  - nested\n\n1. First\n2. Second\n\n---\n\n> Quoted <b>raw</b>\n\n    code line\n"
	got := pdfdoc.Markdown(src)
	want := []pdfdoc.Block{
		pdfdoc.Heading{Text: "Informed consent", Level: 1},
		pdfdoc.Paragraph{Text: "Ketamine is not a cure. It is a tool.\nNew line."},
		pdfdoc.Heading{Text: "Risks", Level: 2},
		pdfdoc.List{Items: []string{"Dissociation", "Nausea, see the leaflet (https://example.org/leaflet)\n- nested"}},
		pdfdoc.List{Items: []string{"First", "Second"}, Numbered: true},
		pdfdoc.Rule{},
		pdfdoc.Paragraph{Text: "Quoted raw"},
		pdfdoc.Paragraph{Text: "code line"},
	}
	if len(got) != len(want) {
		t.Fatalf("Markdown gave %d blocks, want %d: %#v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("block %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}

// TestSignedDocuments: the shapes the signed note and the consent take
// (a note's sections, its signature with the content hash, addenda each
// with their own signature; a consent's title, version, Markdown body and
// the patient's signature block) render, and their text reads in order.
func TestSignedDocuments(t *testing.T) {
	note := pdfdoc.Document{Title: "Progress note", Subtitle: "Integration session, SOAP",
		Meta: []pdfdoc.Field{{"Patient", "Jane Sample"}, {"Date of birth", "April 2, 1980"}, {"Session", "Dec 1, 2026"}}, GeneratedAt: generated, Zone: eastern(t),
		Blocks: []pdfdoc.Block{
			pdfdoc.Heading{Text: "Subjective", Level: 2}, pdfdoc.Paragraph{Text: "Slept better since the session."},
			pdfdoc.Heading{Text: "Plan", Level: 2}, pdfdoc.Paragraph{Text: "Integration again in two weeks."},
			pdfdoc.Signature{Name: "Thea Therapist", Credentials: "LMFT", At: generated, Hash: "sha256:aaaa"},
			pdfdoc.Heading{Text: "Addendum 1 (correction)", Level: 2}, pdfdoc.Paragraph{Text: "Two weeks, not three."},
			pdfdoc.Signature{Label: "Addendum signed", Name: "Thea Therapist", At: generated.Add(time.Hour), Hash: "sha256:bbbb"},
		}}
	consent := pdfdoc.Document{Title: "Informed consent for ketamine-assisted psychotherapy", Meta: []pdfdoc.Field{{"Version", "3"}, {"Patient", "Jane Sample"}},
		GeneratedAt: generated, Blocks: append(pdfdoc.Markdown("## What happens\n\nYou take ketamine.\n\n- Risk one\n- Risk two\n"),
			pdfdoc.Signature{Label: "Patient's signature", Name: "Jane Sample", At: generated, Hash: "sha256:cccc",
				Lines: []pdfdoc.Field{{"Typed name", "Jane Sample"}, {"Agreement", "I have read this and I agree."}, {"Client address", "203.0.113.7"}}})}
	for name, d := range map[string]pdfdoc.Document{"note": note, "consent": consent} {
		pdf, err := pdfdoc.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		text, pages := pdftest.Read(t, name, pdf)
		flat := pdftest.Flat(text)
		order := map[string][]string{
			"note":    {"Progress note", "Subjective", "Slept better", "Plan", "Signed by Thea Therapist, LMFT", "Content hash sha256:aaaa", "Addendum 1 (correction)", "Two weeks, not three.", "Addendum signed", "sha256:bbbb"},
			"consent": {"Informed consent", "Version Patient 3 Jane Sample", "What happens", "You take ketamine.", "Risk two", "Patient's signature", "Typed name Jane Sample", "I have read this and I agree.", "203.0.113.7", "sha256:cccc"},
		}[name]
		at := 0
		for _, want := range order {
			i := strings.Index(flat[at:], want)
			if i < 0 {
				t.Errorf("%s: %q is missing or out of order:\n%s", name, want, text)
				break
			}
			at += i + len(want)
		}
		if pdftest.Ink(pages[0]) < 3000 {
			t.Errorf("%s: the page is nearly blank", name)
		}
	}
}

// TestChartDots: every point of a series is drawn as a dot in the
// series' colour, including the ones after a labelled value (a value's
// white patch once left the fill white, so every dot after the first was
// drawn white on the line). The chart is the only thing on a Letter page
// without a title: its plot runs from 29 mm to 191.9 mm across and from
// 27 mm to 91 mm down, and two points 10 days apart sit 1/22 of the
// plot's width in from each side.
func TestChartDots(t *testing.T) {
	day0 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	spec := chart.Spec{YMin: 0, YMax: 10, Points: []chart.Point{{At: day0, Value: 5}, {At: day0.AddDate(0, 0, 10), Value: 5}, {At: day0.AddDate(0, 0, 5), Value: 5}}}
	pdf, err := pdfdoc.Render(pdfdoc.Document{GeneratedAt: generated, Blocks: []pdfdoc.Block{pdfdoc.Chart{Spec: spec}}})
	if err != nil {
		t.Fatal(err)
	}
	const dpi = 150
	_, pages := pdftest.ReadAt(t, "dots", pdf, dpi)
	px := func(mm float64) int { return int(mm * dpi / 25.4) }
	left, right, y := 29.0, 191.9, 91-0.5*64
	for _, x := range []float64{left + (right-left)/22, (left + right) / 2, right - (right-left)/22} {
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				r, g, b, _ := pages[0].At(px(x)+dx, px(y)+dy).RGBA()
				if !(g>>8 > r>>8+30 && g>>8 > b>>8+5 && g>>8 < 160) {
					t.Fatalf("the dot at %.1f mm is %d,%d,%d at its centre; want the series' green", x, r>>8, g>>8, b>>8)
				}
			}
		}
	}
}
