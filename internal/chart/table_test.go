package chart

import (
	"html/template"
	"strings"
	"testing"
)

// TestTableRowsAsTemplate: TableRows writes the bytes the template it
// replaces wrote, for text html/template escapes (quotes, ampersands,
// angle brackets, a "+" in a zone's name, NUL) and for plain rows.
func TestTableRowsAsTemplate(t *testing.T) {
	type row struct {
		When      string
		Total     int
		Band      string
		NewCourse bool
	}
	tmpl := template.Must(template.New("t").Parse(`<tbody>{{range .}}<tr><td>{{.When}}{{if .NewCourse}} <span class="meta">New course</span>{{end}}</td><td>{{.Total}}</td><td>{{.Band}}</td></tr>{{end}}</tbody>`))
	for _, tc := range []struct {
		name string
		rows []row
	}{
		{"none", nil},
		{"plain", []row{{"Mon Jan 5, 2026, 15:30 UTC", 23, "Severe", false}, {"Mon Jan 12, 2026, 15:30 UTC", 0, "Minimal", true}}},
		{"escaped", []row{{`Tue Jan 6, 2026, 09:00 +03 <b>"x"</b> & 'y'` + "\x00", -4, `Mild & <i>"moderate"</i>`, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want strings.Builder
			if err := tmpl.Execute(&want, tc.rows); err != nil {
				t.Fatal(err)
			}
			got := "<tbody>" + TableRows(len(tc.rows), func(i int) (string, int, string, bool) {
				r := tc.rows[i]
				return r.When, r.Total, r.Band, r.NewCourse
			}) + "</tbody>"
			if got != want.String() {
				t.Errorf("TableRows wrote\n%s\nthe template\n%s", got, want.String())
			}
		})
	}
}
