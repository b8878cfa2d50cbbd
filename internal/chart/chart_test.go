package chart

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 1, 5, 15, 30, 0, 0, time.UTC)

// phq9 returns a PHQ-9 spec with its severity bands, a baseline and the
// response threshold, over the given points.
func phq9(points []Point) Spec {
	return Spec{
		Title:  "PHQ-9 depression score",
		Desc:   "PHQ-9 total scores over time on a 0 to 27 scale.",
		YLabel: "PHQ-9",
		YMin:   0, YMax: 27,
		Bands: []Band{
			{0, 4, "Minimal", 0}, {5, 9, "Mild", 1}, {10, 14, "Moderate", 2},
			{15, 19, "Moderately severe", 3}, {20, 27, "Severe", 4},
		},
		Lines: []Line{
			{Value: 18, Label: "Baseline 18", Kind: "baseline"},
			{Value: 9, Label: "Response ≤ 9", Kind: "threshold"},
		},
		Points: points,
	}
}

// series returns n points spread evenly over span, values drifting down.
func series(n int, span time.Duration) []Point {
	ps := make([]Point, n)
	for i := range ps {
		var at time.Time
		if n > 1 {
			at = start.Add(time.Duration(float64(span) * float64(i) / float64(n-1)))
		} else {
			at = start
		}
		v := 20 - 14*float64(i)/math.Max(1, float64(n-1)) + 3*math.Sin(float64(i))
		ps[i] = Point{At: at, Value: math.Round(math.Max(0, math.Min(27, v)))}
	}
	// Reverse, to prove the chart sorts.
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

type textEl struct {
	class, anchor, body string
	x, y, fs            float64
}

type parsed struct {
	w, h  float64
	texts []textEl
	attrs []xml.Attr
	names []string
}

// parse checks that out is well-formed XML with one <svg> root and collects
// every element name, attribute and <text>.
func parse(t *testing.T, out string) parsed {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(out))
	d.Strict = true
	var p parsed
	depth := 0
	var cur *textEl
	roots := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, out)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tk.Name.Local != "svg" {
					t.Fatalf("root is <%s>, want <svg>", tk.Name.Local)
				}
				for _, a := range tk.Attr {
					if a.Name.Local == "viewBox" {
						f := strings.Fields(a.Value)
						p.w, _ = strconv.ParseFloat(f[2], 64)
						p.h, _ = strconv.ParseFloat(f[3], 64)
					}
				}
			}
			depth++
			p.names = append(p.names, tk.Name.Local)
			p.attrs = append(p.attrs, tk.Attr...)
			if tk.Name.Local == "text" {
				cur = &textEl{anchor: "start"}
				for _, a := range tk.Attr {
					switch a.Name.Local {
					case "x":
						cur.x = mustFloat(t, a.Value)
					case "y":
						cur.y = mustFloat(t, a.Value)
					case "font-size":
						cur.fs = mustFloat(t, a.Value)
					case "text-anchor":
						cur.anchor = a.Value
					case "class":
						cur.class = a.Value
					}
				}
			}
		case xml.CharData:
			if cur != nil {
				cur.body += string(tk)
			}
		case xml.EndElement:
			depth--
			if tk.Name.Local == "text" && cur != nil {
				p.texts = append(p.texts, *cur)
				cur = nil
			}
		}
	}
	if roots != 1 {
		t.Fatalf("got %d root elements, want 1", roots)
	}
	return p
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("attribute %q is not a number", s)
	}
	if s != strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) {
		t.Errorf("coordinate %q is not rounded to one decimal", s)
	}
	return f
}

// extent is the estimated horizontal extent of a text element.
func (e textEl) extent() (lo, hi float64) {
	w := textWidth(e.body, e.fs)
	switch e.anchor {
	case "middle":
		return e.x - w/2, e.x + w/2
	case "end":
		return e.x - w, e.x
	}
	return e.x, e.x + w
}

var coordRe = regexp.MustCompile(`^-?\d+(\.\d)?$`)

// checkSafe asserts the CSP-relevant rules and that all text stays in the
// viewBox.
func checkSafe(t *testing.T, out string) parsed {
	t.Helper()
	p := parse(t, out)
	low := strings.ToLower(out)
	for _, bad := range []string{"style=", "<style", "<script", "href", "url(", "javascript:"} {
		if strings.Contains(low, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	for _, n := range p.names {
		switch n {
		case "svg", "title", "desc", "g", "rect", "line", "path", "polyline", "circle", "text":
		default:
			t.Errorf("unexpected element <%s>", n)
		}
	}
	for _, a := range p.attrs {
		name := strings.ToLower(a.Name.Local)
		if strings.HasPrefix(name, "on") || name == "style" || strings.Contains(name, "href") {
			t.Errorf("forbidden attribute %s=%q", a.Name.Local, a.Value)
		}
		switch name {
		case "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height":
			if name == "width" && a.Value == "100%" {
				continue
			}
			if !coordRe.MatchString(a.Value) {
				t.Errorf("%s=%q is not rounded to one decimal", name, a.Value)
			}
		}
	}
	if !strings.Contains(out, `role="img"`) || !strings.Contains(out, `aria-labelledby="`) {
		t.Errorf("missing role or aria-labelledby")
	}
	if strings.Contains(out, `width="100%"`) == false {
		t.Errorf("svg does not scale to its container")
	}
	for _, e := range p.texts {
		lo, hi := e.extent()
		if lo < 0 || hi > p.w || e.y-e.fs < 0 || e.y > p.h {
			t.Errorf("text %q (%s) at x %.1f..%.1f y %.1f leaves the %gx%g viewBox", e.body, e.class, lo, hi, e.y, p.w, p.h)
		}
	}
	return p
}

func TestSVGPointCounts(t *testing.T) {
	for _, n := range []int{0, 1, 2, 200} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			s := phq9(series(n, 180*24*time.Hour))
			s.Markers = []Marker{{At: start.Add(24 * time.Hour), Label: "Dosing session 1"}}
			if n == 0 {
				s.Markers = nil
			}
			out := SVG(s)
			p := checkSafe(t, out)
			if got := strings.Count(out, "<circle"); got != n {
				t.Errorf("got %d circles, want %d", got, n)
			}
			if got := strings.Count(out, "<polyline"); (n > 1) != (got == 1) {
				t.Errorf("got %d polylines for %d points", got, n)
			}
			if got := strings.Contains(out, "No scores yet"); got != (n == 0) {
				t.Errorf("empty label present = %v for %d points", got, n)
			}
			ticks := classTexts(p, "chart-xtick")
			if n > 0 && (len(ticks) < 2 || len(ticks) > 6) {
				t.Errorf("got %d x ticks, want 2..6", len(ticks))
			}
			var ys []string
			for _, e := range classTexts(p, "chart-ytick") {
				ys = append(ys, e.body)
			}
			if got, want := strings.Join(ys, ","), "0,5,10,15,20,25"; got != want {
				t.Errorf("y ticks %s, want %s", got, want)
			}
		})
	}
}

func TestSVGPointTooltips(t *testing.T) {
	out := SVG(phq9([]Point{{At: start, Value: 14}, {At: start.AddDate(0, 0, 7), Value: 9.5}}))
	for _, want := range []string{
		"<title>Jan 5, 2026: PHQ-9 14</title>",
		"<title>Jan 12, 2026: PHQ-9 9.5</title>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	// Two points on one day carry the time.
	out = SVG(phq9([]Point{{At: start, Value: 14}, {At: start.Add(time.Hour), Value: 12}}))
	if !strings.Contains(out, "Jan 5, 2026 16:30: PHQ-9 12") {
		t.Errorf("same-day tooltips lack the time:\n%s", out)
	}
}

func TestSVGLocation(t *testing.T) {
	loc := time.FixedZone("EST", -5*3600)
	s := phq9([]Point{{At: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), Value: 7}})
	if out := SVG(s); !strings.Contains(out, "Mar 1, 2026: PHQ-9 7") {
		t.Errorf("UTC tooltip wrong:\n%s", out)
	}
	s.Loc = loc
	if out := SVG(s); !strings.Contains(out, "Feb 28, 2026: PHQ-9 7") {
		t.Errorf("EST tooltip wrong:\n%s", out)
	}
}

func classTexts(p parsed, class string) []textEl {
	var out []textEl
	for _, e := range p.texts {
		if e.class == class {
			out = append(out, e)
		}
	}
	return out
}

func TestSVGXTicksDoNotOverlap(t *testing.T) {
	cases := []struct {
		name   string
		points []Point
	}{
		{"1 day", series(5, 24*time.Hour)},
		{"2 weeks", series(3, 14*24*time.Hour)},
		{"6 months", series(26, 182*24*time.Hour)},
		{"3 years", series(40, 3*365*24*time.Hour)},
		{"200 points", series(200, 2*365*24*time.Hour)},
		{"200 points in a week", series(200, 7*24*time.Hour)},
		{"30 years", series(10, 30*365*24*time.Hour)},
		{"2 points 10 minutes apart", series(2, 10*time.Minute)},
		{"1 point", series(1, 0)},
	}
	for _, width := range []int{200, 360, 640, 1000} {
		for _, tc := range cases {
			t.Run(tc.name+"/"+strconv.Itoa(width), func(t *testing.T) {
				s := phq9(tc.points)
				s.Width = width
				p := checkSafe(t, SVG(s))
				ticks := classTexts(p, "chart-xtick")
				if len(ticks) == 0 || len(ticks) > 6 {
					t.Fatalf("got %d x ticks, want 1..6", len(ticks))
				}
				if width >= 360 && len(ticks) < 2 {
					t.Errorf("got %d x ticks at width %d, want at least 2", len(ticks), width)
				}
				sort.Slice(ticks, func(i, j int) bool { return ticks[i].x < ticks[j].x })
				for i := 1; i < len(ticks); i++ {
					_, prevHi := ticks[i-1].extent()
					lo, _ := ticks[i].extent()
					if prevHi > lo {
						t.Errorf("tick %q (ends %.1f) overlaps %q (starts %.1f)", ticks[i-1].body, prevHi, ticks[i].body, lo)
					}
				}
			})
		}
	}
}

func TestSVGLineLabelsNudged(t *testing.T) {
	s := phq9(series(10, 60*24*time.Hour))
	s.Lines = []Line{
		{Value: 10, Label: "Baseline 10", Kind: "baseline"},
		{Value: 10, Label: "Caseness ≥ 10", Kind: "threshold"},
		{Value: 9, Label: "Response ≤ 9", Kind: "threshold"},
		{Value: 27, Label: "Top", Kind: "baseline"},
		{Value: 0, Label: "Bottom", Kind: "baseline"},
		{Value: 1, Label: "Near bottom", Kind: "baseline"},
	}
	p := checkSafe(t, SVG(s))
	labels := classTexts(p, "chart-line-label")
	if len(labels) != len(s.Lines) {
		t.Fatalf("got %d line labels, want %d", len(labels), len(s.Lines))
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i].y < labels[j].y })
	for i := 1; i < len(labels); i++ {
		if labels[i].y-labels[i-1].y < labels[i].fs {
			t.Errorf("labels %q (y %.1f) and %q (y %.1f) overlap", labels[i-1].body, labels[i-1].y, labels[i].body, labels[i].y)
		}
	}
	if !strings.Contains(SVG(s), `stroke-dasharray`) {
		t.Errorf("threshold lines are not dashed")
	}
}

func TestSVGLongTextFits(t *testing.T) {
	long := strings.Repeat("A very long title about WWW and MMM ", 20)
	s := phq9(series(12, 90*24*time.Hour))
	s.Title, s.YLabel = long, long
	s.Bands[4].Label = long
	s.Lines[0].Label = long
	for _, w := range []int{200, 640} {
		s.Width = w
		p := checkSafe(t, SVG(s))
		if len(classTexts(p, "chart-title")) != 1 {
			t.Errorf("title not drawn")
		}
		for _, e := range p.texts {
			if e.class == "chart-title" && !strings.HasSuffix(e.body, "…") {
				t.Errorf("long title not ellipsized: %q", e.body)
			}
		}
	}
	out := SVG(s)
	if !strings.Contains(out, "<title id=") || !strings.Contains(out, strings.TrimSpace(long)) {
		t.Errorf("the <title> should keep the full title")
	}
}

func TestSVGEscaping(t *testing.T) {
	hostile := `<script>alert("x")</script> & 'q' onload="x"` + "\x00\x1b\xff"
	s := phq9(series(3, 14*24*time.Hour))
	s.Title, s.Desc, s.YLabel = hostile, hostile, hostile
	s.Bands[0].Label = hostile
	s.Lines[0].Label = hostile
	s.Lines[0].Kind = `"><script>`
	s.Markers = []Marker{{At: start, Label: hostile}}
	out := SVG(s)
	checkSafe(t, out)
	for _, bad := range []string{"<script", `"x"`, `onload="`, "\x00", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains unescaped %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("escaped text missing")
	}
	if sp := Sparkline(hostile, series(3, time.Hour), 0, 27, 0, 0); strings.Contains(sp, "<script") {
		t.Errorf("sparkline title not escaped")
	} else {
		checkSafe(t, sp)
	}
}

func TestSVGDeterministicAndIDs(t *testing.T) {
	a := phq9(series(200, 400*24*time.Hour))
	a.Markers = []Marker{{At: start.AddDate(0, 1, 0), Label: "Session"}, {At: start.AddDate(0, 0, 3), Label: "Session"}}
	a.Loc = time.FixedZone("X", 3600)
	first := SVG(a)
	for range 5 {
		if got := SVG(a); got != first {
			t.Fatal("output differs between runs")
		}
	}
	b := a
	b.Points = series(199, 400*24*time.Hour)
	idRe := regexp.MustCompile(`<title id="([^"]+)"`)
	ida, idb := idRe.FindStringSubmatch(first)[1], idRe.FindStringSubmatch(SVG(b))[1]
	if ida == idb {
		t.Errorf("two different charts share the id %s", ida)
	}
	if !strings.Contains(first, `aria-labelledby="`+ida+" "+strings.TrimSuffix(ida, "-t")+`-d"`) {
		t.Errorf("aria-labelledby does not point at the title and desc")
	}
	if !strings.Contains(first, `<desc id="`+strings.TrimSuffix(ida, "-t")+`-d">`) {
		t.Errorf("desc id missing")
	}
	// The caller's slice is not reordered.
	if a.Points[0].At.Before(a.Points[1].At) {
		t.Errorf("SVG sorted the caller's points")
	}
}

func TestSVGOddInputs(t *testing.T) {
	cases := map[string]Spec{
		"zero spec":     {},
		"inverted":      {YMin: 10, YMax: 0, Points: series(3, time.Hour)},
		"out of range":  {YMin: 0, YMax: 21, Points: []Point{{start, -5}, {start.Add(time.Hour), 99}, {start.Add(2 * time.Hour), math.NaN()}}},
		"markers only":  {YMin: 0, YMax: 21, Markers: []Marker{{At: start, Label: "Session 1"}}},
		"tiny":          {YMin: 0, YMax: 80, Width: 10, Height: 10, Title: "PCL-5", Points: series(20, 90*24*time.Hour)},
		"fractional":    {YMin: 0, YMax: 3, Points: series(4, 30*24*time.Hour)},
		"same instants": {YMin: 0, YMax: 27, Points: []Point{{start, 3}, {start, 4}}},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) { checkSafe(t, SVG(s)) })
	}
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   string
	}{
		{0, 27, "0,5,10,15,20,25"},
		{0, 21, "0,5,10,15,20"},
		{0, 80, "0,20,40,60,80"},
		{0, 3, "0,1,2,3"},
		{0, 100, "0,20,40,60,80,100"},
		{0, 10, "0,2,4,6,8,10"},
	}
	for _, tc := range cases {
		var got []string
		for _, v := range niceTicks(tc.lo, tc.hi, 200) {
			got = append(got, formatNum(v))
		}
		if s := strings.Join(got, ","); s != tc.want {
			t.Errorf("niceTicks(%g, %g) = %s, want %s", tc.lo, tc.hi, s, tc.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	for _, n := range []int{0, 1, 2, 50} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			out := Sparkline("PHQ-9 trend", series(n, 90*24*time.Hour), 0, 27, 120, 32)
			p := checkSafe(t, out)
			if len(p.texts) != 0 {
				t.Errorf("sparkline has text elements")
			}
			if got := strings.Count(out, "<circle"); got != min(n, 1) {
				t.Errorf("got %d circles, want %d", got, min(n, 1))
			}
			if got := strings.Count(out, "<polyline"); (n > 1) != (got == 1) {
				t.Errorf("got %d polylines for %d points", got, n)
			}
			if out != Sparkline("PHQ-9 trend", series(n, 90*24*time.Hour), 0, 27, 120, 32) {
				t.Errorf("not deterministic")
			}
		})
	}
	out := Sparkline("x", []Point{{start.AddDate(0, 0, 7), 4}, {start, 20}}, 0, 27, 0, 0)
	if !strings.Contains(out, "<title>Jan 12, 2026: 4</title>") {
		t.Errorf("last point not emphasised with its tooltip:\n%s", out)
	}
}

// TestWriteSamples writes sample charts to $KAPSTONE_SCREENSHOTS/chart-*.svg
// (and an HTML page wrapping each) for a human to look at.
// TestWriteSamples writes sample charts (kept in $KAPSTONE_SCREENSHOTS
// when set, for a person to look at) and checks each file was written whole.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("KAPSTONE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	writeSamples(t, dir)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasPrefix(f.Name(), "chart-") && strings.HasSuffix(f.Name(), ".svg") {
			b, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil || !strings.HasSuffix(strings.TrimSpace(string(b)), "</svg>") {
				t.Errorf("sample %s is not a whole SVG: %v", f.Name(), err)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no sample charts written")
	}
}

func writeSamples(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sessions := []Marker{
		{At: start.AddDate(0, 0, 2), Label: "Dosing session 1"},
		{At: start.AddDate(0, 0, 9), Label: "Dosing session 2"},
		{At: start.AddDate(0, 0, 16), Label: "Dosing session 3"},
	}
	samples := map[string]string{}
	for _, n := range []int{0, 1, 2, 200} {
		s := phq9(series(n, 180*24*time.Hour))
		if n > 0 {
			s.Markers = sessions
		}
		samples["points-"+strconv.Itoa(n)] = SVG(s)
	}
	for name, span := range map[string]time.Duration{
		"span-1day": 24 * time.Hour, "span-2weeks": 14 * 24 * time.Hour, "span-3years": 3 * 365 * 24 * time.Hour,
	} {
		samples[name] = SVG(phq9(series(8, span)))
	}
	narrow := phq9(series(12, 90*24*time.Hour))
	narrow.Width, narrow.Height = 360, 240
	samples["narrow"] = SVG(narrow)
	gad := Spec{Title: "GAD-7 anxiety score", YLabel: "GAD-7", YMax: 21, Points: series(6, 42*24*time.Hour),
		Bands: []Band{{0, 4, "Minimal", 0}, {5, 9, "Mild", 1}, {10, 14, "Moderate", 2}, {15, 21, "Severe", 4}}}
	samples["gad7"] = SVG(gad)
	var sparks strings.Builder
	for _, n := range []int{0, 1, 2, 30} {
		sparks.WriteString(`<div style="width:120px;display:inline-block;margin:8px">` + Sparkline("PHQ-9", series(n, 90*24*time.Hour), 0, 27, 120, 32) + `</div>`)
	}
	samples["sparklines"] = sparks.String()
	for name, svg := range samples {
		if name != "sparklines" {
			if err := os.WriteFile(filepath.Join(dir, "chart-"+name+".svg"), []byte(svg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		html := `<!doctype html><meta charset="utf-8"><body style="margin:0;padding:16px;font-family:system-ui;background:#f7f5f0">` +
			`<div style="max-width:760px;background:#fff">` + svg + `</div>`
		if err := os.WriteFile(filepath.Join(dir, "chart-"+name+".html"), []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkSVG200(b *testing.B) {
	s := phq9(series(200, 365*24*time.Hour))
	s.Markers = []Marker{{At: start.AddDate(0, 0, 2), Label: "Session"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = SVG(s)
	}
}

func BenchmarkSparkline(b *testing.B) {
	ps := series(30, 90*24*time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		_ = Sparkline("PHQ-9", ps, 0, 27, 120, 32)
	}
}
