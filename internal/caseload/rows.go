// Package caseload writes the therapist caseload's rows: each patient's
// link, badges and PHQ-9 sparkline, in one builder (issue 18).
package caseload

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/chart"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// Stale is a row's "Clearance out of date" badge: how many things changed
// in the intake since the clearance, and when the latest did.
type Stale struct {
	Changes int
	Latest  time.Time
}

// Spark is a row's PHQ-9 trend.
type Spark struct {
	SVG    template.HTML
	Latest int
	Band   string
}

// Page is what the rows show, by patient id.
type Page struct {
	Patients []*store.Patient
	Unread   map[string]int
	News     map[string][]store.CaseloadCount
	Stale    map[string]*Stale
	Sparks   map[string]*Spark
}

// Sparks are the rows' PHQ-9 trends from their scores (oldest first, as
// store.CaseloadScores returns them); none for a patient never scored.
func Sparks(scores map[string][]measure.Point) map[string]*Spark {
	phq9, _ := measure.Get("phq9")
	out := make(map[string]*Spark, len(scores))
	for id, pts := range scores {
		if len(pts) == 0 {
			continue
		}
		cp := make([]chart.Point, len(pts))
		for i, p := range pts {
			cp[i] = chart.Point{At: p.At, Value: float64(p.Total)}
		}
		last := pts[len(pts)-1].Total
		band := ""
		for _, b := range phq9.Bands {
			if last >= b.Min && last <= b.Max {
				band = b.Label
			}
		}
		out[id] = &Spark{SVG: template.HTML(chart.Sparkline("PHQ-9 trend", cp, float64(phq9.Min), float64(phq9.Max), 96, 28)), Latest: last, Band: band}
	}
	return out
}

// Rows writes the caseload's rows (the <li> of each patient, with
// its badges and sparkline) in one builder: 50 rows through the template
// engine, each with a dozen map lookups and conditionals, were half the
// page's CPU (issue 18). It writes what the template wrote, escaped the
// same way: every text from a patient, a badge or the store is
// HTML-escaped, the id in the link path-escaped as well; times are in
// loc, the reader's zone (staff read the practice's).
func Rows(d *Page, loc *time.Location) template.HTML {
	var b strings.Builder
	b.Grow(len(d.Patients) * 1400)
	esc := func(s string) { b.WriteString(template.HTMLEscapeString(s)) }
	for _, p := range d.Patients {
		b.WriteString(`<li><a href="/patients/`)
		esc(url.PathEscape(p.ID))
		b.WriteString(`" class="caseload-row"><span><strong>`)
		esc(p.DisplayName)
		b.WriteString(`</strong>`)
		if n := d.Unread[p.ID]; n != 0 {
			b.WriteString(` <span class="badge badge-info">`)
			b.WriteString(strconv.Itoa(n))
			b.WriteString(` new consult message`)
			if n > 1 {
				b.WriteByte('s')
			}
			b.WriteString(`</span>`)
		}
		stale := d.Stale[p.ID]
		if stale != nil {
			b.WriteString(` <span class="badge badge-bad">Clearance out of date</span>`)
		}
		for _, c := range d.News[p.ID] {
			b.WriteString(` <span class="badge badge-info">`)
			esc(c.Text)
			b.WriteString(`</span>`)
		}
		b.WriteString(`<span class="meta"><span class="stage stage-`)
		esc(string(p.Stage))
		b.WriteString(`">`)
		esc(p.Stage.Title())
		b.WriteString(`</span> · `)
		if p.UserID != "" {
			b.WriteString(`portal account`)
		} else {
			b.WriteString(`no portal account yet`)
		}
		if stale != nil {
			b.WriteString(` · <span class="stale-clearance">`)
			b.WriteString(strconv.Itoa(stale.Changes))
			b.WriteString(` change`)
			if stale.Changes > 1 {
				b.WriteByte('s')
			}
			b.WriteString(` to the intake since the clearance, the latest `)
			esc(stale.Latest.In(loc).Format("Mon Jan 2, 2006, 15:04 MST"))
			b.WriteString(`</span>`)
		}
		b.WriteString(`</span></span>`)
		if sp := d.Sparks[p.ID]; sp != nil {
			b.WriteString(`<span class="spark"><span class="spark-svg">`)
			b.WriteString(string(sp.SVG))
			b.WriteString(`</span><span class="meta">PHQ-9 `)
			b.WriteString(strconv.Itoa(sp.Latest))
			b.WriteString(`</span></span>`)
		}
		b.WriteString(`</a></li>`)
	}
	return template.HTML(b.String())
}
