package pdfdoc

import (
	"math"
	"slices"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
)

// Chart is a line chart of values over time, described as for the web
// pages' SVG (chart.Spec: the points, shaded bands such as severity
// ranges, horizontal reference lines such as a baseline or a response
// threshold, vertical markers such as dosing sessions, the y range, a title
// and a y-axis label; Width and Height are ignored). It is drawn across the
// page, Height millimetres tall (0 is 72), never split across pages, with
// a legend of its lines and markers under it. With no points it draws its
// axes and says "No scores yet."; values outside the y range are drawn at
// its edge, and values that are not numbers are left out.
type Chart struct {
	chart.Spec
	Height float64
}

// band and line shading and styles.
var (
	bandFill = [5]rgb{{238, 245, 241}, {246, 246, 234}, {250, 242, 226}, {250, 233, 222}, {248, 224, 222}}
	colMark  = [2]rgb{{112, 128, 170}, {150, 110, 150}}
)

func (c Chart) draw(w *writer) {
	s := c.Spec
	h := c.Height
	if h <= 0 {
		h = 72
	}
	legend := c.legend()
	total := h
	if len(legend) > 0 {
		total += 6
	}
	w.pdf.SetY(w.pdf.GetY() + 1)
	w.room(total)
	pdf := w.pdf
	top := pdf.GetY()

	yMin, yMax := s.YMin, s.YMax
	if !finite(yMin) {
		yMin = 0
	}
	if !finite(yMax) || yMax <= yMin {
		yMax = yMin + 1
	}
	var pts []chart.Point
	for _, p := range s.Points {
		if finite(p.Value) {
			pts = append(pts, p)
		}
	}
	slices.SortStableFunc(pts, func(a, b chart.Point) int { return a.At.Compare(b.At) })

	// Rows: title, y label, plot, x tick labels.
	y := top
	if s.Title != "" {
		w.font("B", 10.5, colInk)
		pdf.SetXY(w.left, y)
		pdf.CellFormat(w.width(), 5, w.fit(w.text(s.Title), w.width()), "", 0, "L", false, 0, "")
		y += 6
	}
	if s.YLabel != "" {
		w.font("", 7.5, colMuted)
		pdf.SetXY(w.left, y)
		pdf.CellFormat(w.width(), 3.5, w.fit(w.text(s.YLabel), w.width()), "", 0, "L", false, 0, "")
		y += 4.5
	}
	pTop, pBot := y+1, top+h-7
	// The right margin holds the reference lines' labels.
	w.font("", 7.5, colInk)
	labelW := 0.0
	for _, l := range s.Lines {
		labelW = max(labelW, pdf.GetStringWidth(w.text(l.Label)))
	}
	pLeft := w.left + 9
	pRight := w.right - min(max(labelW+3, 4), 34)
	yAt := func(v float64) float64 {
		v = min(max(v, yMin), yMax)
		return pBot - (v-yMin)/(yMax-yMin)*(pBot-pTop)
	}

	// Bands, with their labels at the top left inside the plot when they
	// are tall enough (as on the web chart: a course's scores usually start
	// high on the left and end lower on the right).
	for _, b := range bands(s.Bands, yMin, yMax) {
		f := bandFill[b.level]
		pdf.SetFillColor(f.r, f.g, f.b)
		y0, y1 := yAt(b.hi), yAt(b.lo)
		pdf.Rect(pLeft, y0, pRight-pLeft, y1-y0, "F")
		if b.label != "" && y1-y0 >= 3.2 {
			w.font("", 6.5, colMuted)
			pdf.SetXY(pLeft+1.5, y0+0.4)
			pdf.CellFormat(pRight-pLeft-3, 3, w.fit(w.text(b.label), (pRight-pLeft)/2), "", 0, "L", false, 0, "")
		}
	}
	// Y ticks and grid.
	w.font("", 7, colMuted)
	for _, v := range niceTicks(yMin, yMax) {
		yy := yAt(v)
		w.line(colLine, 0.15, pLeft, yy, pRight, yy)
		pdf.SetXY(w.left, yy-1.5)
		pdf.CellFormat(pLeft-w.left-1.5, 3, formatNum(v), "", 0, "R", false, 0, "")
	}
	w.line(colMuted, 0.25, pLeft, pBot, pRight, pBot)
	w.line(colMuted, 0.25, pLeft, pTop, pLeft, pBot)

	// Time domain from the points and the markers, padded so no point sits
	// on the axis.
	var t0, t1 time.Time
	have := false
	extend := func(t time.Time) {
		if !have {
			t0, t1, have = t, t, true
			return
		}
		if t.Before(t0) {
			t0 = t
		}
		if t.After(t1) {
			t1 = t
		}
	}
	for _, p := range pts {
		extend(p.At)
	}
	for _, m := range s.Markers {
		extend(m.At)
	}
	loc := s.Loc
	if loc == nil {
		loc = w.d.Zone
	}
	if have {
		if t1.Sub(t0) < 24*time.Hour {
			t0, t1 = t0.Add(-3*24*time.Hour), t1.Add(3*24*time.Hour)
		}
		pad := t1.Sub(t0) / 20
		t0, t1 = t0.Add(-pad), t1.Add(pad)
	}
	xAt := func(t time.Time) float64 {
		return pLeft + float64(t.Sub(t0))/float64(t1.Sub(t0))*(pRight-pLeft)
	}
	if have {
		w.font("", 7, colMuted)
		for _, tk := range timeTicks(t0.In(loc), t1.In(loc)) {
			x := xAt(tk.at)
			w.line(colMuted, 0.25, x, pBot, x, pBot+1.2)
			lw := pdf.GetStringWidth(tk.label)
			lx := min(max(x-lw/2, pLeft-4), w.right-lw)
			pdf.SetXY(lx, pBot+1.6)
			pdf.CellFormat(lw, 3, tk.label, "", 0, "L", false, 0, "")
		}
	}

	// Markers: dotted vertical lines, one style per kind of label.
	kinds := markerKinds(s.Markers)
	for _, m := range s.Markers {
		if !have {
			break
		}
		col := colMark[kinds[m.Label]%2]
		pdf.SetDrawColor(col.r, col.g, col.b)
		pdf.SetLineWidth(0.3)
		pdf.SetDashPattern([]float64{0.6, 0.9}, 0)
		x := xAt(m.At)
		pdf.Line(x, pTop, x, pBot)
		pdf.SetDashPattern(nil, 0)
	}

	// Reference lines with their labels in the right margin.
	for _, l := range s.Lines {
		if !finite(l.Value) {
			continue
		}
		yy := yAt(l.Value)
		if l.Kind == "threshold" {
			pdf.SetDashPattern([]float64{1.6, 1.2}, 0)
			w.line(colBrand, 0.35, pLeft, yy, pRight, yy)
			pdf.SetDashPattern(nil, 0)
		} else {
			w.line(colInk, 0.35, pLeft, yy, pRight, yy)
		}
		w.font("", 7.5, colInk)
		pdf.SetXY(pRight+1.5, yy-1.6)
		pdf.CellFormat(w.right-pRight-1.5, 3.2, w.fit(w.text(l.Label), w.right-pRight-1.5), "", 0, "L", false, 0, "")
	}

	// The series, each point with its value when there is room.
	if len(pts) == 0 {
		w.font("", 9, colMuted)
		pdf.SetXY(pLeft, (pTop+pBot)/2-2)
		pdf.CellFormat(pRight-pLeft, 4, w.text("No scores yet."), "", 0, "C", false, 0, "")
	} else {
		// Values first, each on a white patch that hides the grid and the
		// reference lines behind it; then the line and the dots over them.
		labelled := len(pts) <= 16
		w.font("B", 7, colInk)
		pdf.SetFillColor(255, 255, 255)
		for i, p := range pts {
			if !labelled && i != 0 && i != len(pts)-1 {
				continue
			}
			x, yy := xAt(p.At), yAt(p.Value)
			v := formatNum(p.Value)
			lw := pdf.GetStringWidth(v)
			ly := yy - 4.2
			if ly < pTop {
				ly = yy + 1.2
			}
			pdf.Rect(x-lw/2-0.5, ly+0.2, lw+1, 2.6, "F")
			pdf.SetXY(x-lw/2, ly)
			pdf.CellFormat(lw, 3, v, "", 0, "C", false, 0, "")
		}
		pdf.SetDrawColor(colBrand.r, colBrand.g, colBrand.b)
		pdf.SetLineWidth(0.6)
		pdf.SetLineJoinStyle("round")
		for i := 1; i < len(pts); i++ {
			pdf.Line(xAt(pts[i-1].At), yAt(pts[i-1].Value), xAt(pts[i].At), yAt(pts[i].Value))
		}
		pdf.SetFillColor(colBrand.r, colBrand.g, colBrand.b)
		for _, p := range pts {
			pdf.Circle(xAt(p.At), yAt(p.Value), 0.9, "F")
		}
	}

	// The legend.
	if len(legend) > 0 {
		ly := top + h + 1
		x := pLeft
		w.font("", 7.5, colMuted)
		for _, it := range legend {
			lw := pdf.GetStringWidth(w.text(it.label))
			if x+8+lw > w.right {
				break
			}
			switch it.kind {
			case "series":
				w.line(colBrand, 0.6, x, ly+1.5, x+5, ly+1.5)
				pdf.SetFillColor(colBrand.r, colBrand.g, colBrand.b)
				pdf.Circle(x+2.5, ly+1.5, 0.9, "F")
			case "baseline":
				w.line(colInk, 0.35, x, ly+1.5, x+5, ly+1.5)
			case "threshold":
				pdf.SetDashPattern([]float64{1.6, 1.2}, 0)
				w.line(colBrand, 0.35, x, ly+1.5, x+5, ly+1.5)
				pdf.SetDashPattern(nil, 0)
			default:
				col := colMark[it.n%2]
				pdf.SetDrawColor(col.r, col.g, col.b)
				pdf.SetLineWidth(0.3)
				pdf.SetDashPattern([]float64{0.6, 0.9}, 0)
				pdf.Line(x+2.5, ly-0.5, x+2.5, ly+3.5)
				pdf.SetDashPattern(nil, 0)
			}
			w.font("", 7.5, colMuted)
			pdf.SetXY(x+6.5, ly)
			pdf.CellFormat(lw, 3, w.text(it.label), "", 0, "L", false, 0, "")
			x += 6.5 + lw + 6
		}
	}
	pdf.SetY(top + total + 3)
}

// legendItem is one entry under a chart.
type legendItem struct {
	kind, label string
	n           int
}

func (c Chart) legend() []legendItem {
	var out []legendItem
	if len(c.Points) > 0 {
		label := "Scores"
		if c.YLabel != "" {
			label = c.YLabel
		}
		out = append(out, legendItem{kind: "series", label: label})
	}
	for _, l := range c.Lines {
		k := "baseline"
		if l.Kind == "threshold" {
			k = "threshold"
		}
		out = append(out, legendItem{kind: k, label: l.Label})
	}
	kinds := markerKinds(c.Markers)
	seen := map[string]bool{}
	for _, m := range c.Markers {
		if !seen[m.Label] {
			seen[m.Label] = true
			out = append(out, legendItem{kind: "marker", label: m.Label, n: kinds[m.Label]})
		}
	}
	if len(out) == 1 && out[0].kind == "series" {
		return nil // a lone series needs no key
	}
	return out
}

// markerKinds numbers the markers' distinct labels in order of first use.
func markerKinds(ms []chart.Marker) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		if _, ok := out[m.Label]; !ok {
			out[m.Label] = len(out)
		}
	}
	return out
}

type drawnBand struct {
	lo, hi float64
	label  string
	level  int
}

// bands clamps bands to yMin..yMax and sorts them; neighbours separated by
// a gap of at most one (integer scales: 0-4, 5-9) meet halfway, as on the
// web chart, so a score of 5 sits inside the band that contains it.
func bands(in []chart.Band, yMin, yMax float64) []drawnBand {
	var out []drawnBand
	for _, b := range in {
		lo, hi := math.Min(b.From, b.To), math.Max(b.From, b.To)
		if !finite(lo) || !finite(hi) {
			continue
		}
		out = append(out, drawnBand{lo: lo, hi: hi, label: b.Label, level: min(max(b.Level, 0), 4)})
	}
	slices.SortStableFunc(out, func(a, b drawnBand) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	for i := 1; i < len(out); i++ {
		if gap := out[i].lo - out[i-1].hi; gap > 0 && gap <= 1 {
			mid := (out[i].lo + out[i-1].hi) / 2
			out[i-1].hi, out[i].lo = mid, mid
		}
	}
	kept := out[:0]
	for _, b := range out {
		b.lo, b.hi = math.Max(b.lo, yMin), math.Min(b.hi, yMax)
		if b.hi > b.lo {
			kept = append(kept, b)
		}
	}
	return kept
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns at most 7 round values from lo to hi.
func niceTicks(lo, hi float64) []float64 {
	span := hi - lo
	mag := math.Pow(10, math.Floor(math.Log10(span/6)))
	for _, f := range []float64{1, 2, 2.5, 5, 10, 20, 25, 50, 100} {
		step := f * mag
		first := math.Ceil(lo/step-1e-9) * step
		n := int(math.Floor((hi-first)/step+1e-9)) + 1
		if n <= 7 {
			out := make([]float64, 0, n)
			for i := range n {
				out = append(out, math.Round((first+float64(i)*step)/step*1e6)/1e6*step)
			}
			return out
		}
	}
	return []float64{lo, hi}
}

// formatNum writes v without a fraction when it is whole, else with one
// decimal.
func formatNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return itoa(int(v))
	}
	r := math.Round(v * 10)
	s := itoa(int(r / 10))
	if r < 0 && r > -10 {
		s = "-0"
	}
	return s + "." + itoa(int(math.Abs(math.Mod(r, 10))))
}

// timeTick is one placed tick of the time axis.
type timeTick struct {
	at    time.Time
	label string
}

// timeTicks returns 2 to 7 calendar-aligned ticks between lo and hi (in
// their zone): days, weeks (Mondays), months, quarters or years, the
// finest that keeps to 7.
func timeTicks(lo, hi time.Time) []timeTick {
	type unit struct {
		kind byte // 'd', 'w', 'M', 'y'
		n    int
	}
	floor := func(u unit, t time.Time) time.Time {
		y, m, d := t.Date()
		switch u.kind {
		case 'd':
			return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
		case 'w':
			back := (int(t.Weekday()) + 6) % 7
			return time.Date(y, m, d-back, 0, 0, 0, 0, t.Location())
		case 'M':
			return time.Date(y, time.Month((int(m)-1)/u.n*u.n+1), 1, 0, 0, 0, 0, t.Location())
		}
		return time.Date(y/u.n*u.n, 1, 1, 0, 0, 0, 0, t.Location())
	}
	next := func(u unit, t time.Time) time.Time {
		switch u.kind {
		case 'd':
			return t.AddDate(0, 0, u.n)
		case 'w':
			return t.AddDate(0, 0, 7*u.n)
		case 'M':
			return t.AddDate(0, u.n, 0)
		}
		return t.AddDate(u.n, 0, 0)
	}
	for _, u := range []unit{{'d', 1}, {'d', 2}, {'w', 1}, {'w', 2}, {'M', 1}, {'M', 2}, {'M', 3}, {'M', 6}, {'y', 1}, {'y', 2}, {'y', 5}, {'y', 10}} {
		var ts []time.Time
		for t := floor(u, lo); !t.After(hi) && len(ts) <= 7; t = next(u, t) {
			if !t.Before(lo) {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 || len(ts) > 7 {
			continue
		}
		multiYear := ts[0].Year() != ts[len(ts)-1].Year()
		out := make([]timeTick, len(ts))
		for i, t := range ts {
			var l string
			switch {
			case u.kind == 'y':
				l = t.Format("2006")
			case u.kind == 'M':
				l = t.Format("Jan 2006")
			case multiYear:
				l = t.Format("Jan 2, 2006")
			default:
				l = t.Format("Jan 2")
			}
			out[i] = timeTick{at: t, label: l}
		}
		return out
	}
	return nil
}
