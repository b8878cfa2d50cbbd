package chart

import (
	"strconv"
	"strings"
)

// TableRows writes the rows of a chart's score table (the same numbers as
// the SVG, for screen readers): n rows, row(i) giving the i-th's time in
// words, total, band, and whether it began a new course. The bytes are
// those html/template writes for
//
//	{{range}}<tr><td>{{.When}}{{if .NewCourse}} <span class="meta">New course</span>{{end}}</td><td>{{.Total}}</td><td>{{.Band}}</td></tr>{{end}}
//
// made without a template's reflection (a chart lists dozens of scores on
// every view), with the text escaped as html/template escapes it.
func TableRows(n int, row func(i int) (when string, total int, band string, newCourse bool)) string {
	var b strings.Builder
	for i := range n {
		when, total, band, newCourse := row(i)
		b.WriteString("<tr><td>")
		htmlText.WriteString(&b, when)
		if newCourse {
			b.WriteString(` <span class="meta">New course</span>`)
		}
		b.WriteString("</td><td>")
		b.WriteString(strconv.Itoa(total))
		b.WriteString("</td><td>")
		htmlText.WriteString(&b, band)
		b.WriteString("</td></tr>")
	}
	return b.String()
}

// htmlText escapes text in an HTML element as html/template does.
var htmlText = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")
