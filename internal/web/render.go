package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
)

//go:embed templates/*.html
var templateFS embed.FS

// page is what every template receives.
type page struct {
	Title     string
	Practice  string
	Crisis    crisisView
	User      *clinic.User // nil when nobody is signed in (or MFA is pending)
	RequestID string
	Data      any
}

// crisisView is the country's crisis resources with links typed for
// html/template, which would otherwise blank tel: and sms: URLs. The links
// come from kapstone's own table, never from input.
type crisisView struct {
	Sentence string
	Lines    []crisisLink
}

type crisisLink struct {
	Label, Value string
	Href         template.URL
}

func newCrisisView(c clinic.CrisisResources) crisisView {
	v := crisisView{Sentence: c.Sentence}
	for _, l := range c.Lines {
		v.Lines = append(v.Lines, crisisLink{Label: l.Label, Value: l.Value, Href: template.URL(l.Href)})
	}
	return v
}

// parsePages parses layout.html with each page template, once, at start-up.
func (s *Server) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"asset": s.assets.url}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		// Execute once with empty data so a missing asset or a bad field path fails at start-up.
		if err := t.ExecuteTemplate(new(bytes.Buffer), "layout", page{Data: probeData(name)}); err != nil && strings.Contains(err.Error(), "no static file") {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// probeData is the zero data a page is executed with at start-up.
func probeData(name string) any {
	switch name {
	case "error":
		return errorData{}
	case "login":
		return loginData{}
	case "mfa":
		return mfaData{}
	}
	return nil
}

// render writes page name with status. The page is rendered to a buffer
// first, so a template error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.serverError(w, r, fmt.Errorf("no page template %q", name))
		return
	}
	p := s.newPage(r, title, data)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		if name == "error" { // never recurse
			http.Error(w, "Internal error. "+s.crisis.Sentence, http.StatusInternalServerError)
			return
		}
		s.serverError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) newPage(r *http.Request, title string, data any) page {
	p := page{
		Title:     title,
		Practice:  s.practiceName(r),
		Crisis:    s.crisisView,
		RequestID: requestID(r.Context()),
		Data:      data,
	}
	if sess := sessionFrom(r.Context()); sess != nil && sess.MFADone {
		p.User = sess.User
	}
	return p
}

// practiceName is the practice's name from its settings. When the database
// cannot answer (an error page for a database failure), it falls back to a
// neutral name rather than failing again.
func (s *Server) practiceName(r *http.Request) string {
	name, err := s.store.Setting(r.Context(), "practice_name", "Your practice")
	if err != nil {
		return "kapstone"
	}
	return name
}
