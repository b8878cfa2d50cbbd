package caseload

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// caseloadRowTemplate is the caseload row as the page template wrote it
// before Rows: the builder must write the same bytes.
const caseloadRowTemplate = `{{with .Data}}{{with .Patients}}{{range .}}<li><a href="/patients/{{.ID}}" class="caseload-row"><span><strong>{{.DisplayName}}</strong>{{with index $.Data.Unread .ID}} <span class="badge badge-info">{{.}} new consult message{{if gt . 1}}s{{end}}</span>{{end}}{{with index $.Data.Stale .ID}} <span class="badge badge-bad">Clearance out of date</span>{{end}}{{range index $.Data.News .ID}} <span class="badge badge-info">{{.Text}}</span>{{end}}<span class="meta"><span class="stage stage-{{.Stage}}">{{.Stage.Title}}</span> · {{if .UserID}}portal account{{else}}no portal account yet{{end}}{{with index $.Data.Stale .ID}} · <span class="stale-clearance">{{.Changes}} change{{if gt .Changes 1}}s{{end}} to the intake since the clearance, the latest {{whenIn .Latest $.Data.Zone}}</span>{{end}}</span></span>{{with index $.Data.Sparks .ID}}<span class="spark"><span class="spark-svg">{{.SVG}}</span><span class="meta">PHQ-9 {{.Latest}}</span></span>{{end}}</a></li>{{end}}{{end}}{{end}}`

// TestRowsAsTemplate: Rows writes what the template wrote,
// for rows with and without each badge, sparkline and portal account, and
// with names, ids and badge texts that need escaping.
func TestRowsAsTemplate(t *testing.T) {
	loc, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 8, 9, 30, 0, 0, time.UTC)
	d := Page{
		Patients: []*store.Patient{
			{ID: "p1", DisplayName: `Sam <script>alert("x")</script> & 'O+Brien'`, Stage: clinic.StageMedical, UserID: "u1"},
			{ID: "p-2_x", DisplayName: "Riley", Stage: clinic.Stage(`odd"stage<`)},
			{ID: "p3", DisplayName: "Lee"},
		},
		Unread: map[string]int{"p1": 1, "p-2_x": 3},
		News:   map[string][]store.CaseloadCount{"p1": {{Kind: "journal", N: 2, Text: "2 new <shared> entries"}}, "p3": {{Text: "a"}, {Text: "b"}}},
		Stale:  map[string]*Stale{"p1": {Changes: 1, Latest: at}, "p3": {Changes: 4, Latest: at.Add(200 * 24 * time.Hour)}},
		Sparks: map[string]*Spark{"p1": {SVG: template.HTML(`<svg class="sparkline"></svg>`), Latest: 12}, "p3": {SVG: "<svg/>", Latest: 0}},
	}
	tpl := template.Must(template.New("row").Funcs(template.FuncMap{
		"whenIn": func(t time.Time, _ string) string { return t.In(loc).Format("Mon Jan 2, 2006, 15:04 MST") },
	}).Parse(caseloadRowTemplate))
	var want strings.Builder
	if err := tpl.Execute(&want, map[string]any{"Data": struct {
		Page
		Zone string
	}{d, "UTC"}}); err != nil {
		t.Fatal(err)
	}
	// html/template escapes '+' in text as &#43;; both are the same text.
	got := string(Rows(&d, loc))
	if w := strings.ReplaceAll(want.String(), "&#43;", "+"); got != w {
		t.Errorf("caseloadRows =\n%s\nwant (the template's)\n%s", got, w)
	}
	if d.Patients = nil; Rows(&d, loc) != "" {
		t.Error("no patients: want no rows")
	}
}
