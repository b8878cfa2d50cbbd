// Package chart renders symptom scores over time as self-contained SVG.
//
// The output is meant to be embedded inline in pages served with a strict
// Content-Security-Policy: it uses only presentation attributes and class
// names (no style attributes, no style elements, no scripts, no event
// handlers, no external references), and every piece of caller text is
// escaped. Rendering is deterministic: the same input yields byte-identical
// output. The package is pure: it imports no database and no net/http.
package chart

import (
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Point is one score at one moment.
type Point struct {
	At    time.Time
	Value float64
}

// Band is a shaded y-range such as a severity band; Level 0..4 runs from
// lighter to darker shading.
type Band struct {
	From, To float64
	Label    string
	Level    int
}

// Line is a horizontal reference line; Kind "threshold" is drawn dashed and
// any other kind (normally "baseline") solid.
type Line struct {
	Value float64
	Label string
	Kind  string
}

// Marker is a vertical tick on the time axis, such as a dosing session; its
// Label becomes the tick's tooltip.
type Marker struct {
	At    time.Time
	Label string
}

// Spec describes a chart.
type Spec struct {
	Title      string // drawn at the top (ellipsized to fit) and used for <title>
	Desc       string // longer text alternative for <desc>
	YLabel     string // drawn above the y axis
	YMin, YMax float64
	Bands      []Band
	Lines      []Line
	Markers    []Marker
	Points     []Point        // any order; sorted by time for drawing
	Width      int            // viewBox width; 0 means 640, at least 200
	Height     int            // viewBox height; 0 means 280, at least 140
	Loc        *time.Location // zone for tick labels and tooltips; nil means UTC
}

// Palette, matching internal/web/static/style.css.
const (
	colBrand     = "#2f6f5e"
	colBrandDark = "#245849"
	colInk       = "#1f2a27"
	colMuted     = "#51605b"
	colLine      = "#d9dfdb"
	colSurface   = "#ffffff"
	fontFamily   = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Helvetica Neue, Arial, sans-serif"
)

// Font sizes in viewBox units.
const (
	fsTitle = 14.0
	fsLabel = 11.0
	fsSmall = 10.0
)

// bandOpacity is the fill-opacity of a band by Level.
var bandOpacity = [5]string{"0.02", "0.05", "0.08", "0.11", "0.15"}

// SVG renders the chart as a complete <svg> element that scales to the width
// of its container. It never fails: with no points it draws the axes and a
// centred "No scores yet"; points with a NaN or infinite value are skipped and
// values outside YMin..YMax are drawn at the nearest edge (their tooltip keeps
// the real value); an empty or inverted y range becomes YMin..YMin+1.
func SVG(s Spec) string {
	c := newLayout(s)
	var b strings.Builder
	b.Grow(2048 + 260*len(c.points))
	c.write(&b)
	return b.String()
}

type layout struct {
	s                        Spec
	loc                      *time.Location
	w, h                     float64
	id                       string
	left, right, top, bottom float64 // plot area edges
	yMin, yMax               float64
	points                   []Point
	t0, t1                   time.Time // data domain, mapped to left+xPad .. right-xPad
	hasTime                  bool
	xPad                     float64
	lineLabels               []string // ellipsized, parallel to s.Lines
	yTicks                   []float64
	yTickLabels              []string
}

func newLayout(s Spec) *layout {
	c := &layout{s: s, loc: s.Loc}
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.w, c.h = float64(s.Width), float64(s.Height)
	if s.Width == 0 {
		c.w = 640
	}
	if s.Height == 0 {
		c.h = 280
	}
	c.w, c.h = math.Max(c.w, 200), math.Max(c.h, 140)
	c.yMin, c.yMax = s.YMin, s.YMax
	if !finite(c.yMin) {
		c.yMin = 0
	}
	if !finite(c.yMax) || c.yMax <= c.yMin {
		c.yMax = c.yMin + 1
	}
	c.id = "c" + specHash(s)
	c.points = cleanPoints(s.Points)

	// Vertical layout: title row, y-label row, plot, x tick labels.
	c.top = 14
	if s.Title != "" {
		c.top += 18
	}
	if s.YLabel != "" {
		c.top += 16
	}
	if c.top < 16 {
		c.top = 16
	}
	c.bottom = c.h - 26

	c.yTicks = niceTicks(c.yMin, c.yMax, c.bottom-c.top)
	maxW := 0.0
	for _, v := range c.yTicks {
		l := formatNum(v)
		c.yTickLabels = append(c.yTickLabels, l)
		maxW = math.Max(maxW, textWidth(l, fsLabel))
	}
	c.left = math.Max(maxW+14, 28)

	// Reference-line labels live in the right margin.
	maxLabel := c.w * 0.28
	widest := 0.0
	for _, l := range s.Lines {
		t := ellipsize(l.Label, fsLabel, maxLabel)
		c.lineLabels = append(c.lineLabels, t)
		widest = math.Max(widest, textWidth(t, fsLabel))
	}
	c.right = c.w - 16
	if widest > 0 {
		c.right = c.w - (widest + 14)
	}

	// Time domain from points and markers.
	first := true
	extend := func(t time.Time) {
		if first {
			c.t0, c.t1, first = t, t, false
			return
		}
		if t.Before(c.t0) {
			c.t0 = t
		}
		if t.After(c.t1) {
			c.t1 = t
		}
	}
	for _, p := range c.points {
		extend(p.At)
	}
	for _, m := range s.Markers {
		extend(m.At)
	}
	c.hasTime = !first
	if c.hasTime {
		span := c.t1.Sub(c.t0)
		switch {
		case span == 0:
			c.t0, c.t1 = c.t0.Add(-72*time.Hour), c.t1.Add(72*time.Hour)
		case span < time.Hour:
			mid := c.t0.Add(span / 2)
			c.t0, c.t1 = mid.Add(-30*time.Minute), mid.Add(30*time.Minute)
		}
	}
	c.xPad = 12
	return c
}

func (c *layout) x(t time.Time) float64 {
	span := c.t1.Sub(c.t0).Seconds()
	f := t.Sub(c.t0).Seconds() / span
	return c.left + c.xPad + f*(c.right-c.left-2*c.xPad)
}

func (c *layout) y(v float64) float64 {
	v = math.Max(c.yMin, math.Min(c.yMax, v))
	return c.bottom - (v-c.yMin)/(c.yMax-c.yMin)*(c.bottom-c.top)
}

// timeAt is the inverse of x.
func (c *layout) timeAt(px float64) time.Time {
	f := (px - c.left - c.xPad) / (c.right - c.left - 2*c.xPad)
	return c.t0.Add(time.Duration(f * float64(c.t1.Sub(c.t0))))
}

func (c *layout) write(b *strings.Builder) {
	s := c.s
	title := s.Title
	if title == "" {
		title = "Chart"
	}
	labelled := c.id + "-t"
	if s.Desc != "" {
		labelled += " " + c.id + "-d"
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s" font-family="%s">`,
		num(c.w), num(c.h), labelled, fontFamily)
	fmt.Fprintf(b, `<title id="%s-t">%s</title>`, c.id, esc(title))
	if s.Desc != "" {
		fmt.Fprintf(b, `<desc id="%s-d">%s</desc>`, c.id, esc(s.Desc))
	}

	// Header.
	row := 0.0
	if s.Title != "" {
		row += 18
		fmt.Fprintf(b, `<text class="chart-title" x="8" y="%s" font-size="%s" font-weight="600" fill="%s">%s</text>`,
			num(row), num(fsTitle), colInk, esc(ellipsize(s.Title, fsTitle*1.08, c.w-16)))
	}
	if s.YLabel != "" {
		row += 16
		fmt.Fprintf(b, `<text class="chart-ylabel" x="8" y="%s" font-size="%s" fill="%s">%s</text>`,
			num(row), num(fsLabel), colMuted, esc(ellipsize(s.YLabel, fsLabel, c.w-16)))
	}

	// Plot background and bands.
	fmt.Fprintf(b, `<rect class="chart-plot" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
		num(c.left), num(c.top), num(c.right-c.left), num(c.bottom-c.top), colSurface)
	c.writeBands(b)

	// Y grid, ticks and labels.
	b.WriteString(`<g class="chart-yaxis">`)
	for i, v := range c.yTicks {
		y := c.y(v)
		if v != c.yMin {
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
				num(c.left), num(y), num(c.right), num(y), colLine)
		}
		fmt.Fprintf(b, `<text class="chart-ytick" x="%s" y="%s" font-size="%s" text-anchor="end" fill="%s">%s</text>`,
			num(c.left-6), num(y+fsLabel*0.35), num(fsLabel), colMuted, c.yTickLabels[i])
	}
	b.WriteString(`</g>`)

	// Axes.
	fmt.Fprintf(b, `<path class="chart-axes" d="M%s %sV%sH%s" fill="none" stroke="%s" stroke-width="1"/>`,
		num(c.left), num(c.top), num(c.bottom), num(c.right), colMuted)

	c.writeXTicks(b)
	c.writeLines(b)
	c.writeBandLabels(b)
	c.writeMarkers(b)
	c.writePoints(b)
	b.WriteString(`</svg>`)
}

// drawnBand is a band clamped to the y range, ready to draw.
type drawnBand struct {
	lo, hi float64
	label  string
	level  int
}

// bands clamps the spec's bands to the y range and sorts them; neighbours
// separated by a gap of at most one (integer scales: 0–4, 5–9) meet halfway,
// so a score of 5 sits inside the band that contains it.
func (c *layout) bands() []drawnBand {
	var out []drawnBand
	for _, b := range c.s.Bands {
		lo, hi := math.Min(b.From, b.To), math.Max(b.From, b.To)
		if !finite(lo) || !finite(hi) {
			continue
		}
		out = append(out, drawnBand{lo: lo, hi: hi, label: b.Label, level: min(max(b.Level, 0), 4)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	for i := 1; i < len(out); i++ {
		if gap := out[i].lo - out[i-1].hi; gap > 0 && gap <= 1 {
			mid := (out[i].lo + out[i-1].hi) / 2
			out[i-1].hi, out[i].lo = mid, mid
		}
	}
	kept := out[:0]
	for _, b := range out {
		b.lo, b.hi = math.Max(b.lo, c.yMin), math.Min(b.hi, c.yMax)
		if b.hi > b.lo {
			kept = append(kept, b)
		}
	}
	return kept
}

func (c *layout) writeBands(b *strings.Builder) {
	bands := c.bands()
	if len(bands) == 0 {
		return
	}
	b.WriteString(`<g class="chart-bands">`)
	for _, band := range bands {
		yTop, yBot := c.y(band.hi), c.y(band.lo)
		fmt.Fprintf(b, `<rect class="chart-band chart-band-%d" x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s"/>`,
			band.level, num(c.left), num(yTop), num(c.right-c.left), num(yBot-yTop), colMuted, bandOpacity[band.level])
	}
	b.WriteString(`</g>`)
}

// writeBandLabels labels each band tall enough for text at its top left,
// with a halo so grid and reference lines behind stay readable.
func (c *layout) writeBandLabels(b *strings.Builder) {
	for _, band := range c.bands() {
		yTop, yBot := c.y(band.hi), c.y(band.lo)
		if band.label == "" || yBot-yTop < fsSmall+4 {
			continue
		}
		label := ellipsize(band.label, fsSmall, (c.right-c.left)/2)
		if label == "" {
			continue
		}
		// Prefer the band's top, then just below a reference line inside the
		// band, then its middle and bottom: the first place no line crosses.
		y := yTop + fsSmall + 2
		cands := []float64{y}
		for _, l := range c.s.Lines {
			if ly := c.y(l.Value); finite(l.Value) && ly > yTop && ly < yBot {
				cands = append(cands, ly+fsSmall+3)
			}
		}
		cands = append(cands, (yTop+yBot)/2+fsSmall*0.35, yBot-3)
		for _, cand := range cands {
			if cand-fsSmall < yTop || cand > yBot || c.lineCrosses(cand-fsSmall-1, cand+2) {
				continue
			}
			y = cand
			break
		}
		fmt.Fprintf(b, `<text class="chart-band-label" x="%s" y="%s" font-size="%s" fill="%s"%s>%s</text>`,
			num(c.left+6), num(y), num(fsSmall), colMuted, halo, esc(label))
	}
}

// lineCrosses reports whether a reference line lies within y0..y1.
func (c *layout) lineCrosses(y0, y1 float64) bool {
	for _, l := range c.s.Lines {
		if finite(l.Value) {
			if y := c.y(l.Value); y >= y0 && y <= y1 {
				return true
			}
		}
	}
	return false
}

// halo paints a white outline under text.
const halo = ` stroke="` + colSurface + `" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`

func (c *layout) writeLines(b *strings.Builder) {
	if len(c.s.Lines) == 0 {
		return
	}
	type placed struct {
		i    int
		y    float64 // line position
		ly   float64 // label centre
		text string
	}
	var ps []placed
	b.WriteString(`<g class="chart-lines">`)
	for i, l := range c.s.Lines {
		if !finite(l.Value) {
			continue
		}
		y := c.y(l.Value)
		col, dash, kind := colMuted, "", "baseline"
		if l.Kind == "threshold" {
			col, dash, kind = colBrandDark, ` stroke-dasharray="6 4"`, "threshold"
		}
		fmt.Fprintf(b, `<line class="chart-line chart-line-%s" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"%s/>`,
			kind, num(c.left), num(y), num(c.right), num(y), col, dash)
		ps = append(ps, placed{i: i, y: y, ly: y, text: c.lineLabels[i]})
	}
	// Nudge labels apart: top to bottom, then back up from the bottom limit.
	sort.SliceStable(ps, func(a, b int) bool { return ps[a].y < ps[b].y })
	gap := fsLabel + 2
	lo, hi := c.top+fsLabel*0.5, c.bottom+fsLabel*0.5
	for k := range ps {
		if k == 0 {
			ps[k].ly = math.Max(ps[k].ly, lo)
		} else {
			ps[k].ly = math.Max(ps[k].ly, ps[k-1].ly+gap)
		}
	}
	for k := len(ps) - 1; k >= 0; k-- {
		if k == len(ps)-1 {
			ps[k].ly = math.Min(ps[k].ly, hi)
		} else {
			ps[k].ly = math.Min(ps[k].ly, ps[k+1].ly-gap)
		}
	}
	for _, p := range ps {
		if p.text == "" {
			continue
		}
		col := colMuted
		if c.s.Lines[p.i].Kind == "threshold" {
			col = colBrandDark
		}
		fmt.Fprintf(b, `<text class="chart-line-label" x="%s" y="%s" font-size="%s" fill="%s">%s</text>`,
			num(c.right+6), num(p.ly+fsLabel*0.35), num(fsLabel), col, esc(p.text))
	}
	b.WriteString(`</g>`)
}

func (c *layout) writeMarkers(b *strings.Builder) {
	if len(c.s.Markers) == 0 {
		return
	}
	ms := append([]Marker(nil), c.s.Markers...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
	b.WriteString(`<g class="chart-markers">`)
	for _, m := range ms {
		x := c.x(m.At)
		tip := m.Label
		d := m.At.In(c.loc).Format("Jan 2, 2006")
		if tip == "" {
			tip = d
		} else {
			tip += " (" + d + ")"
		}
		fmt.Fprintf(b, `<g class="chart-marker"><title>%s</title>`, esc(tip))
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="10" height="20" fill="%s" fill-opacity="0"/>`,
			num(x-5), num(c.bottom-18), colSurface)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`,
			num(x), num(c.bottom-12), num(x), num(c.bottom+2), colBrandDark)
		fmt.Fprintf(b, `<path d="M%s %sh8l-4 6z" fill="%s"/></g>`, num(x-4), num(c.bottom-17), colBrandDark)
	}
	b.WriteString(`</g>`)
}

func (c *layout) writePoints(b *strings.Builder) {
	if len(c.points) == 0 {
		fmt.Fprintf(b, `<text class="chart-empty" x="%s" y="%s" font-size="%s" text-anchor="middle" fill="%s"%s>No scores yet</text>`,
			num((c.left+c.right)/2), num((c.top+c.bottom)/2+fsLabel*0.35+1), num(fsLabel+2), colMuted, halo)
		return
	}
	r, sw := "4", "1.5"
	switch n := len(c.points); {
	case n > 80:
		r, sw = "2.2", "0.75"
	case n > 30:
		r, sw = "3", "1"
	}
	if len(c.points) > 1 {
		b.WriteString(`<polyline class="chart-trend" fill="none" stroke="` + colBrand + `" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" points="`)
		for i, p := range c.points {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(c.x(p.At)))
			b.WriteByte(',')
			b.WriteString(num(c.y(p.Value)))
		}
		b.WriteString(`"/>`)
	}
	// A date is ambiguous when two points share it; then tooltips add the time.
	sameDay := false
	for i := 1; i < len(c.points); i++ {
		y1, m1, d1 := c.points[i-1].At.In(c.loc).Date()
		y2, m2, d2 := c.points[i].At.In(c.loc).Date()
		if y1 == y2 && m1 == m2 && d1 == d2 {
			sameDay = true
			break
		}
	}
	layoutStr := "Jan 2, 2006"
	if sameDay {
		layoutStr = "Jan 2, 2006 15:04"
	}
	prefix := ""
	if c.s.YLabel != "" {
		prefix = c.s.YLabel + " "
	}
	b.WriteString(`<g class="chart-points">`)
	for _, p := range c.points {
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="%s" fill="%s" stroke="%s" stroke-width="%s"><title>%s</title></circle>`,
			num(c.x(p.At)), num(c.y(p.Value)), r, colBrand, colSurface, sw,
			esc(p.At.In(c.loc).Format(layoutStr)+": "+prefix+formatNum(p.Value)))
	}
	b.WriteString(`</g>`)
}

// Sparkline renders a tiny trend line for a caseload row: no axes and no text
// except the <title>, the values on yMin..yMax (an empty or inverted range
// becomes yMin..yMin+1) and the latest point emphasised with a dot whose
// tooltip gives its date (UTC) and value. With no points it draws a faint
// dashed line; width and height default to 120 and 32 when not positive.
func Sparkline(title string, points []Point, yMin, yMax float64, width, height int) string {
	w, h := float64(width), float64(height)
	if width <= 0 {
		w = 120
	}
	if height <= 0 {
		h = 32
	}
	w, h = math.Max(w, 16), math.Max(h, 8)
	if !finite(yMin) {
		yMin = 0
	}
	if !finite(yMax) || yMax <= yMin {
		yMax = yMin + 1
	}
	ps := cleanPoints(points)
	if title == "" {
		title = "Trend"
	}
	hs := fnv.New64a()
	writeHashString(hs, "spark")
	writeHashString(hs, title)
	writeHashFloat(hs, yMin)
	writeHashFloat(hs, yMax)
	writeHashFloat(hs, w)
	writeHashFloat(hs, h)
	for _, p := range ps {
		writeHashInt(hs, p.At.UnixNano())
		writeHashFloat(hs, p.Value)
	}
	id := fmt.Sprintf("s%08x", uint32(hs.Sum64()^(hs.Sum64()>>32)))

	var b strings.Builder
	b.Grow(512 + 16*len(ps))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s-t">`,
		num(w), num(h), id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, esc(title))
	pad := 3.0
	if len(ps) == 0 {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="3 3"/></svg>`,
			num(pad), num(h/2), num(w-pad), num(h/2), colLine)
		return b.String()
	}
	fx := func(i int) float64 {
		if len(ps) == 1 {
			return w / 2
		}
		span := ps[len(ps)-1].At.Sub(ps[0].At).Seconds()
		if span == 0 {
			return pad + float64(i)/float64(len(ps)-1)*(w-2*pad)
		}
		return pad + ps[i].At.Sub(ps[0].At).Seconds()/span*(w-2*pad)
	}
	fy := func(v float64) float64 {
		v = math.Max(yMin, math.Min(yMax, v))
		return h - pad - (v-yMin)/(yMax-yMin)*(h-2*pad)
	}
	fmt.Fprintf(&b, `<line x1="0" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		num(h-0.5), num(w), num(h-0.5), colLine)
	if len(ps) > 1 {
		b.WriteString(`<polyline fill="none" stroke="` + colBrand + `" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round" points="`)
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(fx(i)))
			b.WriteByte(',')
			b.WriteString(num(fy(p.Value)))
		}
		b.WriteString(`"/>`)
	}
	last := ps[len(ps)-1]
	fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"><title>%s</title></circle></svg>`,
		num(fx(len(ps)-1)), num(fy(last.Value)), colBrandDark,
		esc(last.At.UTC().Format("Jan 2, 2006")+": "+formatNum(last.Value)))
	return b.String()
}

// cleanPoints drops non-finite values and sorts by time (then value) without
// modifying the caller's slice.
func cleanPoints(in []Point) []Point {
	out := make([]Point, 0, len(in))
	for _, p := range in {
		if finite(p.Value) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// niceTicks returns round tick values within lo..hi: the smallest step of
// 1, 2, 2.5 or 5 times a power of ten giving at most six ticks that are at
// least 18 units apart on a plot of the given pixel height.
func niceTicks(lo, hi, px float64) []float64 {
	span := hi - lo
	mag := math.Pow(10, math.Floor(math.Log10(span/6)))
	for _, f := range []float64{1, 2, 2.5, 5, 10, 20, 25, 50, 100} {
		step := f * mag
		first := math.Ceil(lo/step-1e-9) * step
		n := int(math.Floor((hi-first)/step+1e-9)) + 1
		if n <= 6 && (n <= 1 || step/span*px >= 18) {
			ticks := make([]float64, 0, n)
			for i := 0; i < n; i++ {
				v := first + float64(i)*step
				ticks = append(ticks, math.Round(v/step*1e6)/1e6*step)
			}
			return ticks
		}
	}
	return []float64{lo, hi}
}

// tickUnit is one candidate spacing of time-axis ticks.
type tickUnit struct {
	approx time.Duration
	kind   byte // 'm' minute, 'h' hour, 'd' day, 'w' week, 'M' month, 'y' year
	n      int
}

var tickUnits = []tickUnit{
	{15 * time.Minute, 'm', 15}, {30 * time.Minute, 'm', 30},
	{time.Hour, 'h', 1}, {2 * time.Hour, 'h', 2}, {3 * time.Hour, 'h', 3},
	{6 * time.Hour, 'h', 6}, {12 * time.Hour, 'h', 12},
	{24 * time.Hour, 'd', 1}, {48 * time.Hour, 'd', 2},
	{7 * 24 * time.Hour, 'w', 1}, {14 * 24 * time.Hour, 'w', 2},
	{30 * 24 * time.Hour, 'M', 1}, {61 * 24 * time.Hour, 'M', 2},
	{91 * 24 * time.Hour, 'M', 3}, {182 * 24 * time.Hour, 'M', 6},
	{365 * 24 * time.Hour, 'y', 1}, {2 * 365 * 24 * time.Hour, 'y', 2},
	{5 * 365 * 24 * time.Hour, 'y', 5}, {10 * 365 * 24 * time.Hour, 'y', 10},
	{20 * 365 * 24 * time.Hour, 'y', 20}, {50 * 365 * 24 * time.Hour, 'y', 50},
	{100 * 365 * 24 * time.Hour, 'y', 100},
}

func (u tickUnit) floor(t time.Time) time.Time {
	y, m, d := t.Date()
	loc := t.Location()
	switch u.kind {
	case 'm':
		return time.Date(y, m, d, t.Hour(), t.Minute()/u.n*u.n, 0, 0, loc)
	case 'h':
		return time.Date(y, m, d, t.Hour()/u.n*u.n, 0, 0, 0, loc)
	case 'd':
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case 'w':
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case 'M':
		return time.Date(y, time.Month((int(m)-1)/u.n*u.n+1), 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y/u.n*u.n, 1, 1, 0, 0, 0, 0, loc)
	}
}

func (u tickUnit) next(t time.Time) time.Time {
	switch u.kind {
	case 'm', 'h':
		d := time.Duration(u.n) * time.Minute
		if u.kind == 'h' {
			d = time.Duration(u.n) * time.Hour
		}
		return u.floor(t.Add(d + d/2)) // re-align across DST changes
	case 'd':
		return t.AddDate(0, 0, u.n)
	case 'w':
		return t.AddDate(0, 0, 7*u.n)
	case 'M':
		return t.AddDate(0, u.n, 0)
	default:
		return t.AddDate(u.n, 0, 0)
	}
}

func (u tickUnit) label(t time.Time, first, multiYear bool) string {
	switch u.kind {
	case 'm', 'h':
		if t.Hour() == 0 && t.Minute() == 0 {
			return t.Format("Jan 2")
		}
		if first {
			return t.Format("Jan 2 15:04")
		}
		return t.Format("15:04")
	case 'd', 'w':
		if multiYear {
			return t.Format("Jan 2, 2006")
		}
		return t.Format("Jan 2")
	case 'M':
		return t.Format("Jan 2006")
	default:
		return t.Format("2006")
	}
}

// xTick is a placed time-axis tick.
type xTick struct {
	x      float64 // tick position
	lx     float64 // label centre (kept inside the viewBox)
	label  string
	lw     float64
	tickAt time.Time
}

// xTicks chooses the finest tick unit that yields 2..6 ticks whose labels fit
// in the viewBox without overlapping (falling back to one tick, then none).
func (c *layout) xTicks() []xTick {
	if !c.hasTime {
		return nil
	}
	lo, hi := c.timeAt(c.left).In(c.loc), c.timeAt(c.right).In(c.loc)
	span := hi.Sub(lo)
	var fallback []xTick
	for _, u := range tickUnits {
		if span/u.approx > 12 {
			continue
		}
		var times []time.Time
		for t := u.floor(lo); !t.After(hi) && len(times) <= 6; t = u.next(t) {
			if !t.Before(lo) {
				times = append(times, t)
			}
		}
		if len(times) == 0 || len(times) > 6 {
			continue
		}
		multiYear := times[0].Year() != times[len(times)-1].Year()
		ticks := make([]xTick, len(times))
		ok := true
		for i, t := range times {
			l := u.label(t, i == 0, multiYear)
			lw := textWidth(l, fsLabel)
			x := c.x(t)
			lx := math.Max(lw/2+2, math.Min(c.w-2-lw/2, x))
			ticks[i] = xTick{x: x, lx: lx, label: l, lw: lw, tickAt: t}
			if i > 0 {
				p := ticks[i-1]
				if p.lx+p.lw/2+8 > lx-lw/2 {
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		if len(ticks) >= 2 {
			return ticks
		}
		if fallback == nil {
			fallback = ticks
		}
	}
	return fallback
}

func (c *layout) writeXTicks(b *strings.Builder) {
	ticks := c.xTicks()
	if len(ticks) == 0 {
		return
	}
	b.WriteString(`<g class="chart-xaxis">`)
	for _, t := range ticks {
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
			num(t.x), num(c.bottom), num(t.x), num(c.bottom+4), colMuted)
		fmt.Fprintf(b, `<text class="chart-xtick" x="%s" y="%s" font-size="%s" text-anchor="middle" fill="%s">%s</text>`,
			num(t.lx), num(c.bottom+16), num(fsLabel), colMuted, esc(t.label))
	}
	b.WriteString(`</g>`)
}

// textWidth estimates the rendered width of s conservatively: 0.6 em per
// ordinary character, more for capitals and wide letters, a full em for
// characters outside Latin scripts.
func textWidth(s string, fontSize float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == 'i' || r == 'l' || r == 'j' || r == '.' || r == ',' || r == ':' || r == '\'' || r == '|' || r == ' ':
			w += 0.4
		case r == 'M' || r == 'W' || r == 'm' || r == 'w' || r == '@' || r == '%':
			w += 0.9
		case unicode.IsUpper(r):
			w += 0.72
		case r < 0x250:
			w += 0.6
		default:
			w += 1.0
		}
	}
	return w * fontSize
}

// ellipsize shortens s with "…" until its estimated width fits max; it
// returns "" when not even the ellipsis fits.
func ellipsize(s string, fontSize, max float64) string {
	s = strings.Join(strings.Fields(s), " ")
	if textWidth(s, fontSize) <= max {
		return s
	}
	rs := []rune(s)
	for n := len(rs) - 1; n >= 0; n-- {
		t := strings.TrimRightFunc(string(rs[:n]), unicode.IsSpace) + "…"
		if textWidth(t, fontSize) <= max {
			return t
		}
	}
	return ""
}

// esc escapes text for use in element content and attribute values.
func esc(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\t\n\r") && utf8.ValidString(s) && !hasControl(s) {
		return s
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
			return true
		}
	}
	return false
}

// num formats a coordinate rounded to one decimal, without a trailing ".0".
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatNum formats a score with at most two decimals.
func formatNum(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// specHash derives a short id from everything that affects the drawing, so
// two different charts on one page get different ids.
func specHash(s Spec) string {
	h := fnv.New64a()
	writeHashString(h, s.Title)
	writeHashString(h, s.Desc)
	writeHashString(h, s.YLabel)
	writeHashFloat(h, s.YMin)
	writeHashFloat(h, s.YMax)
	writeHashInt(h, int64(s.Width))
	writeHashInt(h, int64(s.Height))
	if s.Loc != nil {
		writeHashString(h, s.Loc.String())
	}
	for _, b := range s.Bands {
		writeHashFloat(h, b.From)
		writeHashFloat(h, b.To)
		writeHashString(h, b.Label)
		writeHashInt(h, int64(b.Level))
	}
	for _, l := range s.Lines {
		writeHashFloat(h, l.Value)
		writeHashString(h, l.Label)
		writeHashString(h, l.Kind)
	}
	for _, m := range s.Markers {
		writeHashInt(h, m.At.UnixNano())
		writeHashString(h, m.Label)
	}
	for _, p := range s.Points {
		writeHashInt(h, p.At.UnixNano())
		writeHashFloat(h, p.Value)
	}
	sum := h.Sum64()
	return fmt.Sprintf("%08x", uint32(sum^(sum>>32)))
}

type hashWriter interface{ Write([]byte) (int, error) }

func writeHashString(h hashWriter, s string) {
	writeHashInt(h, int64(len(s)))
	h.Write([]byte(s))
}

func writeHashFloat(h hashWriter, v float64) { writeHashInt(h, int64(math.Float64bits(v))) }

func writeHashInt(h hashWriter, v int64) {
	var buf [8]byte
	for i := range buf {
		buf[i] = byte(v >> (8 * i))
	}
	h.Write(buf[:])
}
