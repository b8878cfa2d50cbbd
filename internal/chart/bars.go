package chart

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// Bar is one bar of a bar chart: the label under it, its value (drawn
// only: the caller's Text is what a reader is told, in the bar's tooltip)
// and that text.
type Bar struct {
	Label string
	Value float64
	Text  string
}

// BarSpec is a bar chart of a few categories in order (months, say). The
// table of the same numbers beside it is the accessible alternative: the
// SVG is one image with a title and a description.
type BarSpec struct {
	Title  string // drawn at the top and used for <title>
	Desc   string // a longer text alternative for <desc>
	YLabel string // drawn above the y axis
	Bars   []Bar
	// YFormat writes a y tick's value (money, say); nil writes the number.
	YFormat func(float64) string
	Width   int // viewBox width; 0 means 640, at least 200
	Height  int // viewBox height; 0 means 280, at least 140
}

// BarsSVG renders the bar chart as a complete <svg> element that scales to
// the width of its container, with the guarantees of SVG: presentation
// attributes only, every caller text escaped, the same input the same
// bytes. With no bars it draws the axes and "Nothing to show". Values
// below zero are drawn below the zero line; NaN and infinite values as
// zero.
func BarsSVG(s BarSpec) string {
	w, h := float64(s.Width), float64(s.Height)
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 280
	}
	w, h = math.Max(w, 200), math.Max(h, 140)
	id := "b" + barHash(s)
	lo, hi := 0.0, 0.0
	for _, b := range s.Bars {
		if finite(b.Value) {
			lo, hi = math.Min(lo, b.Value), math.Max(hi, b.Value)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	top := 12.0
	if s.Title != "" {
		top += 18
	}
	if s.YLabel != "" {
		top += 16
	}
	left, right, bottom := 72.0, w-12, h-30
	ticks := niceTicks(lo, hi, bottom-top)
	lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	y := func(v float64) float64 { return bottom - (v-lo)/(hi-lo)*(bottom-top) }
	format := s.YFormat
	if format == nil {
		format = formatNum
	}
	title := s.Title
	if title == "" {
		title = "Chart"
	}
	labelled := id + "-t"
	if s.Desc != "" {
		labelled += " " + id + "-d"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s" font-family="%s">`,
		num(w), num(h), labelled, fontFamily)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, esc(title))
	if s.Desc != "" {
		fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, id, esc(s.Desc))
	}
	row := 0.0
	if s.Title != "" {
		row += 18
		fmt.Fprintf(&b, `<text class="chart-title" x="8" y="%s" font-size="%s" font-weight="600" fill="%s">%s</text>`, num(row), num(fsTitle), colInk, esc(ellipsize(s.Title, fsTitle*1.08, w-16)))
	}
	if s.YLabel != "" {
		row += 16
		fmt.Fprintf(&b, `<text class="chart-ylabel" x="8" y="%s" font-size="%s" fill="%s">%s</text>`, num(row), num(fsLabel), colMuted, esc(ellipsize(s.YLabel, fsLabel, w-16)))
	}
	fmt.Fprintf(&b, `<rect class="chart-plot" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(left), num(top), num(right-left), num(bottom-top), colSurface)
	b.WriteString(`<g class="chart-yaxis">`)
	for _, v := range ticks {
		if v != lo {
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, num(left), num(y(v)), num(right), num(y(v)), colLine)
		}
		fmt.Fprintf(&b, `<text class="chart-ytick" x="%s" y="%s" font-size="%s" text-anchor="end" fill="%s">%s</text>`,
			num(left-6), num(y(v)+fsLabel*0.35), num(fsLabel), colMuted, esc(format(v)))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<path class="chart-axes" d="M%s %sV%sH%s" fill="none" stroke="%s" stroke-width="1"/>`, num(left), num(top), num(bottom), num(right), colMuted)
	if len(s.Bars) == 0 {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" font-size="%s" text-anchor="middle" fill="%s">Nothing to show</text>`, num((left+right)/2), num((top+bottom)/2), num(fsLabel), colMuted)
	}
	slot := (right - left) / float64(max(len(s.Bars), 1))
	// Every label when they fit, else every k-th one.
	every := 1
	for _, bar := range s.Bars {
		for textWidth(bar.Label, fsSmall) > slot*float64(every)-4 && every < len(s.Bars) {
			every++
		}
	}
	zero := y(0)
	for i, bar := range s.Bars {
		v := bar.Value
		if !finite(v) {
			v = 0
		}
		x := left + slot*float64(i) + slot*0.2
		y0, y1 := math.Min(y(v), zero), math.Max(y(v), zero)
		fmt.Fprintf(&b, `<rect class="chart-bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			num(x), num(y0), num(slot*0.6), num(math.Max(y1-y0, 0.5)), colBrand, esc(bar.Label+": "+bar.Text))
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="chart-xtick" x="%s" y="%s" font-size="%s" text-anchor="middle" fill="%s">%s</text>`,
				num(left+slot*(float64(i)+0.5)), num(bottom+14), num(fsSmall), colMuted, esc(ellipsize(bar.Label, fsSmall, slot*float64(every)-4)))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func barHash(s BarSpec) string {
	h := fnv.New64a()
	writeHashString(h, s.Title)
	writeHashString(h, s.Desc)
	writeHashString(h, s.YLabel)
	writeHashInt(h, int64(s.Width))
	writeHashInt(h, int64(s.Height))
	for _, b := range s.Bars {
		writeHashString(h, b.Label)
		writeHashFloat(h, b.Value)
		writeHashString(h, b.Text)
	}
	sum := h.Sum64()
	return fmt.Sprintf("%08x", uint32(sum^(sum>>32)))
}
