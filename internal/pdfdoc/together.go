package pdfdoc

// Together keeps Blocks on one page: when what they need does not fit in
// what is left of the page, they start on the next (a totals block and
// the notes under it, issue 21). A group taller than a page is drawn as
// it comes. Only headings, paragraphs and fields are measured; other
// blocks in the group count as nothing.
type Together struct {
	Blocks []Block
}

func (t Together) draw(w *writer) {
	h := 0.0
	for _, b := range t.Blocks {
		h += w.height(b)
	}
	if h <= w.bottom-marginTop-10 {
		w.room(h)
	}
	for _, b := range t.Blocks {
		if b != nil {
			b.draw(w)
		}
	}
}

// height is what b needs on the page, as its draw lays it out; 0 for a
// block it does not measure.
func (w *writer) height(b Block) float64 {
	switch b := b.(type) {
	case Heading:
		pt, lh, before := 13.0, 6.5, 4.0
		if b.Level >= 2 {
			pt, lh, before = 11.0, 5.5, 2.5
		}
		w.font("B", pt, colInk)
		return before + float64(len(w.pdf.SplitLines([]byte(w.text(b.Text)), w.width())))*lh + 1
	case Paragraph:
		if b.Small {
			w.font("", 8, colMuted)
			return float64(len(w.pdf.SplitLines([]byte(w.text(b.Text)), w.width())))*3.8 + 2
		}
		w.font("", bodyPt, colInk)
		return float64(len(w.pdf.SplitLines([]byte(w.text(b.Text)), w.width())))*lineBody + 2
	case Fields:
		labelW := min(52, w.width()*0.32)
		h := 2.0
		for _, r := range b.Rows {
			w.font("", bodyPt, colInk)
			values := len(w.pdf.SplitLines([]byte(w.text(r.Value)), w.width()-labelW))
			w.font("", 9, colMuted)
			labels := len(w.pdf.SplitLines([]byte(w.text(r.Label)), labelW-3))
			h += float64(max(values, labels, 1))*lineBody + 0.8
		}
		return h
	}
	return 0
}
