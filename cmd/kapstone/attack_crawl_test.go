package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
)

// routePatterns reads the route table, internal/web/routes.go, and returns
// every pattern in it ("GET /patients/{patient}", ...). The suite walks the
// real table, so a new route cannot escape it.
func routePatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../../internal/web/routes.go", nil, 0)
	if err != nil {
		t.Fatalf("read the route table: %v", err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "routeTable" {
			return true
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) < 4 {
				return true
			}
			lit, ok := cl.Elts[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err == nil && (strings.HasPrefix(p, "GET /") || strings.HasPrefix(p, "POST /")) {
				out = append(out, p)
			}
			return false
		})
		return false
	})
	if len(out) < 100 {
		t.Fatalf("found %d routes in routes.go; the parser no longer understands the table", len(out))
	}
	return out
}

// routeMatcher tells which route of the table a request would reach.
type routeMatcher struct{ mux *http.ServeMux }

func newRouteMatcher(patterns []string) routeMatcher {
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, http.NotFoundHandler())
	}
	return routeMatcher{mux}
}

// match returns the pattern serving method and target (a path with its
// query), or "".
func (m routeMatcher) match(method, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	r := &http.Request{Method: method, URL: u, Host: "x"}
	_, p := m.mux.Handler(r)
	return p
}

// attacker is one signed-in (or anonymous) caller of the suite.
type attacker struct {
	name   string // "anon", "admin", "therapist", ...
	c      *http.Client
	base   string
	cookie *http.Cookie // the session cookie, for the browser
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (a *attacker) do(t *testing.T, method, target string, form url.Values) reply {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequest(method, a.base+target, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, a.base+target, nil)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	res, err := a.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, target, a.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	return reply{res.StatusCode, res.Header, string(b)}
}

// signInAttackers signs in one login of every demo role (two patients with
// portal accounts), each once, through the real forms, plus an anonymous
// visitor.
func signInAttackers(t *testing.T, base, dir string) []*attacker {
	t.Helper()
	var out []*attacker
	jar, _ := cookiejar.New(nil)
	out = append(out, &attacker{name: "anon", base: base, c: &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}})
	seen := map[string]int{}
	for _, l := range readLogins(t, dir) {
		role := string(l.Role)
		limit := 1
		if role == "patient" || role == "therapist" {
			limit = 2
		}
		if seen[role] >= limit {
			continue
		}
		seen[role]++
		a := &attacker{name: role + strconv.Itoa(seen[role]), base: base}
		jar, _ := cookiejar.New(nil)
		a.c = &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		signInHTTP(t, a, l)
		out = append(out, a)
	}
	return out
}

func signInHTTP(t *testing.T, a *attacker, l demo.Login) {
	t.Helper()
	r := a.do(t, "POST", "/login", url.Values{"email": {l.Email}, "password": {l.Password}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign-in of %s = %d", l.Email, r.status)
	}
	if l.TOTPSecret != "" {
		code, _ := auth.TOTPCode(l.TOTPSecret, time.Now())
		r = a.do(t, "POST", "/login/mfa", url.Values{"code": {code}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("second factor of %s = %d", l.Email, r.status)
		}
	}
	u, _ := url.Parse(a.base)
	for _, c := range a.c.Jar.Cookies(u) {
		a.cookie = c
	}
	if a.cookie == nil {
		t.Fatalf("sign-in of %s set no cookie", l.Email)
	}
}

// crawledPage is one page a caller fetched.
type crawledPage struct {
	target  string // path and query
	pattern string // the route that served it
	status  int
	ctype   string
	body    string
}

// crawlLimitPerRoute bounds how many distinct URLs of one route a caller
// visits to find forms: enough to reach records in their different states,
// bounded for CI. renderLimitPerRoute bounds the pages rendered afterwards.
const (
	crawlLimitPerRoute  = 3
	renderLimitPerRoute = 2
)

// crawl visits, as a, every GET route of the table without a wildcard, and
// every same-site link the pages show whose route is a GET route of the
// table (ids come from the data that way), at most limit URLs per route.
// Only answers with status 200 are kept.
func crawl(t *testing.T, a *attacker, patterns []string, m routeMatcher, limit int) []crawledPage {
	t.Helper()
	var queue []string
	for _, p := range patterns {
		if strings.HasPrefix(p, "GET ") && !strings.Contains(p, "{") || p == "GET /{$}" {
			queue = append(queue, strings.TrimSuffix(strings.TrimPrefix(p, "GET "), "{$}"))
		}
	}
	seen := map[string]bool{}
	perRoute := map[string]int{}
	var out []crawledPage
	for len(queue) > 0 {
		target := queue[0]
		queue = queue[1:]
		if seen[target] {
			continue
		}
		seen[target] = true
		pat := m.match("GET", target)
		if pat == "" || perRoute[pat] >= limit {
			continue
		}
		perRoute[pat]++
		r := a.do(t, "GET", target, nil)
		if r.status != http.StatusOK {
			continue
		}
		pg := crawledPage{target: target, pattern: pat, status: r.status, ctype: r.header.Get("Content-Type"), body: r.body}
		out = append(out, pg)
		if !strings.HasPrefix(pg.ctype, "text/html") {
			continue
		}
		for _, l := range pageLinks(r.body) {
			if !seen[l] {
				queue = append(queue, l)
			}
		}
		// Links written out as text (an invitation link in a kept email).
		for _, l := range regexp.MustCompile(regexp.QuoteMeta(a.base)+`(/[^\s"'<>&]*)`).FindAllStringSubmatch(r.body, -1) {
			if !seen[l[1]] {
				queue = append(queue, l[1])
			}
		}
	}
	return out
}

// crawlAll crawls as every caller, then tries, for each caller, the GET
// routes with ids it did not reach with the ids the others' pages showed
// (a patient id in a chart link fills {patient} of a page no link leads
// to, such as the break-glass form of a patient not on one's team).
func crawlAll(t *testing.T, attackers []*attacker, patterns []string, m routeMatcher, limit int) map[*attacker][]crawledPage {
	t.Helper()
	out := map[*attacker][]crawledPage{}
	ids := map[string][]string{} // wildcard name → values seen
	have := map[string]bool{}
	for _, a := range attackers {
		out[a] = crawl(t, a, patterns, m, limit)
		for _, pg := range out[a] {
			path, _, _ := strings.Cut(pg.target, "?")
			ps := strings.Split(strings.TrimPrefix(pg.pattern, "GET /"), "/")
			segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
			for i := range ps {
				if i < len(segs) && strings.HasPrefix(ps[i], "{") && ps[i] != "{$}" && !have[ps[i]+segs[i]] {
					have[ps[i]+segs[i]] = true
					ids[ps[i]] = append(ids[ps[i]], segs[i])
				}
			}
		}
	}
	for _, a := range attackers {
		reached := map[string]bool{}
		for _, pg := range out[a] {
			reached[pg.pattern] = true
		}
		for _, p := range patterns {
			if !strings.HasPrefix(p, "GET ") || !strings.Contains(p, "{") || reached[p] || p == "GET /static/{hash}/{name}" {
				continue
			}
			ps := strings.Split(strings.TrimPrefix(p, "GET /"), "/")
			for k, tries := 0, 0; tries < limit && k < 8; k++ {
				segs := make([]string, len(ps))
				ok := true
				for i, seg := range ps {
					segs[i] = seg
					if strings.HasPrefix(seg, "{") {
						vs := ids[seg]
						if len(vs) == 0 {
							ok = false
							break
						}
						segs[i] = vs[k%len(vs)]
					}
				}
				if !ok {
					break
				}
				target := "/" + strings.Join(segs, "/")
				r := a.do(t, "GET", target, nil)
				if r.status == http.StatusOK {
					out[a] = append(out[a], crawledPage{target: target, pattern: p, status: r.status, ctype: r.header.Get("Content-Type"), body: r.body})
					tries++
				}
			}
		}
	}
	return out
}

// pageLinks returns the same-site links (a href) of an HTML page, as paths
// with their query, without fragments.
func pageLinks(body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			if h := attr(n, "href"); strings.HasPrefix(h, "/") && !strings.HasPrefix(h, "//") {
				if i := strings.IndexByte(h, '#'); i >= 0 {
					h = h[:i]
				}
				out = append(out, h)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// formField is one control of a form as the page rendered it.
type formField struct {
	name, kind string // kind: an input type, "textarea" or "select"
	value      string // as rendered (the selected option for a select)
	options    []string
	checked    bool
	required   bool
	min        string
	maxlength  int
	formaction string // a submit button's own action
	invalid    bool   // the page marked it aria-invalid (a refused form shown again)
}

// webForm is one form of a page.
type webForm struct {
	from    string // the page it is on
	method  string
	action  string // path and query
	fields  []formField
	submits []formField // the named submit buttons
	enctype string
}

// freeText reports whether a field takes free text, where the suite puts
// its payloads.
func (f formField) freeText() bool {
	switch f.kind {
	case "text", "email", "tel", "url", "search", "textarea", "":
		return true
	}
	return false
}

// key identifies a form by where it goes and what it holds, so a form
// shown on many pages is filled once.
func (w webForm) key(m routeMatcher) string {
	var names []string
	for _, f := range w.fields {
		names = append(names, f.name)
	}
	sort.Strings(names)
	return w.method + " " + m.match(w.method, w.action) + " " + strings.Join(names, ",")
}

// pageForms parses the forms of an HTML page.
func pageForms(from, body string) []webForm {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []webForm
	var cur *webForm
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				method := strings.ToUpper(attr(n, "method"))
				if method == "" {
					method = "GET"
				}
				action := attr(n, "action")
				if action == "" {
					action = from
				}
				out = append(out, webForm{from: from, method: method, action: action, enctype: attr(n, "enctype")})
				cur = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input":
				if cur != nil && attr(n, "name") != "" && !hasAttr(n, "disabled") {
					f := formField{name: attr(n, "name"), kind: strings.ToLower(attr(n, "type")), value: attr(n, "value"), checked: hasAttr(n, "checked"), required: hasAttr(n, "required"), min: attr(n, "min"), invalid: attr(n, "aria-invalid") == "true", maxlength: atoi(attr(n, "maxlength"))}
					if f.kind == "submit" || f.kind == "image" {
						f.formaction = attr(n, "formaction")
						cur.submits = append(cur.submits, f)
					} else if f.kind != "file" && f.kind != "button" && f.kind != "reset" {
						cur.fields = append(cur.fields, f)
					}
				}
			case "button":
				if cur != nil && attr(n, "name") != "" && (attr(n, "type") == "" || attr(n, "type") == "submit") {
					cur.submits = append(cur.submits, formField{name: attr(n, "name"), kind: "submit", value: attr(n, "value"), formaction: attr(n, "formaction")})
				}
			case "textarea":
				if cur != nil && attr(n, "name") != "" && !hasAttr(n, "disabled") {
					var text strings.Builder
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.TextNode {
							text.WriteString(c.Data)
						}
					}
					cur.fields = append(cur.fields, formField{name: attr(n, "name"), kind: "textarea", value: text.String(), required: hasAttr(n, "required"), invalid: attr(n, "aria-invalid") == "true", maxlength: atoi(attr(n, "maxlength"))})
				}
			case "select":
				if cur != nil && attr(n, "name") != "" && !hasAttr(n, "disabled") {
					f := formField{name: attr(n, "name"), kind: "select", required: hasAttr(n, "required"), invalid: attr(n, "aria-invalid") == "true"}
					selected := ""
					var opts func(*html.Node)
					opts = func(o *html.Node) {
						if o.Type == html.ElementNode && o.Data == "option" {
							v := attr(o, "value")
							if !hasAttr(o, "value") && o.FirstChild != nil {
								v = strings.TrimSpace(o.FirstChild.Data)
							}
							f.options = append(f.options, v)
							if hasAttr(o, "selected") && selected == "" {
								selected = v
							}
						}
						for c := o.FirstChild; c != nil; c = c.NextSibling {
							opts(c)
						}
					}
					opts(n)
					if selected == "" {
						for _, v := range f.options {
							if v != "" {
								selected = v
								break
							}
						}
					}
					f.value = selected
					cur.fields = append(cur.fields, f)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// values fills the form: free-text fields from text(field index, field),
// every other field as rendered, with a valid-looking value where the page
// left a required one empty (a date, a number, the first option).
// The round picks the submit button (round-robin), so each way of sending
// a form (preview, save, publish) is tried; it returns the values and where
// they go.
//
// tame names the fields a refusal showed invalid, with how many times: a
// free-text one gets back its rendered value (or a short slug-like text), a
// select the next option, a radio group the next answer.
func (w webForm) values(round int, tame map[string]int, text func(i int, f formField) string) (url.Values, string) {
	v := url.Values{}
	radioDone := map[string]bool{}
	radioSeen := map[string]int{}
	for i, f := range w.fields {
		switch {
		case f.freeText() && tame[f.name] > 1:
			// Tamer and tamer (after one payload alone, level 1, was
			// refused too): as rendered, then a valid shape, then a short
			// slug-like text of its own.
			vals := []string{f.value, map[string]string{"tel": "+1 555 010 2345", "email": "kx@kx.example", "url": "https://kx.example/"}[f.kind]}
			vals = append(slices.DeleteFunc(vals, func(s string) bool { return s == "" }), fmt.Sprintf("kx-%d-%d", round, tameSeq.Add(1)))
			v.Add(f.name, vals[min(tame[f.name]-1, len(vals))-1])
		case f.kind == "select" && tame[f.name] > 0 && len(f.options) > 0:
			k := 0
			for j, o := range f.options {
				if o == f.value {
					k = j
				}
			}
			v.Add(f.name, f.options[(k+tame[f.name])%len(f.options)])
		case f.kind == "radio" && tame[f.name] > 0:
			if radioSeen[f.name] == tame[f.name]-1 {
				v.Set(f.name, f.value)
				radioDone[f.name] = true
			}
			radioSeen[f.name]++
		case f.freeText():
			v.Add(f.name, text(i, f))
		case f.kind == "hidden" || f.kind == "select":
			v.Add(f.name, f.value)
		case f.kind == "checkbox":
			if f.checked || f.required {
				val := f.value
				if val == "" {
					val = "on"
				}
				v.Add(f.name, val)
			}
		case f.kind == "radio":
			if f.checked && !radioDone[f.name] && tame[f.name] == 0 {
				v.Set(f.name, f.value)
				radioDone[f.name] = true
			}
		case f.kind == "password":
			// never filled: credentials are another part of the suite
		default:
			// A date, time or number: as rendered; if empty, left empty
			// unless required or refused (a blog post with no time is
			// published now).
			v.Add(f.name, f.value)
			if f.value == "" && (f.required || tame[f.name] > 0) {
				v.Set(f.name, plausible(f))
			}
		}
	}
	for _, f := range w.fields {
		if f.kind == "radio" && !radioDone[f.name] && f.required {
			v.Set(f.name, f.value)
			radioDone[f.name] = true
		}
	}
	action := w.action
	if len(w.submits) > 0 {
		b := w.submits[round%len(w.submits)]
		v.Set(b.name, b.value)
		if b.formaction != "" {
			action = b.formaction
		}
	}
	if i := strings.IndexByte(action, '#'); i >= 0 {
		action = action[:i]
	}
	return v, action
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// tameSeq makes tame texts unique (a slug must be).
var tameSeq atomic.Int64

// plausible is a valid-looking value for an empty field of a type with a
// shape (a date next week, ten in the morning, the minimum number).
func plausible(f formField) string {
	day := time.Now().AddDate(0, 0, 7)
	switch f.kind {
	case "date":
		return day.Format("2006-01-02")
	case "time":
		return "10:00"
	case "datetime-local":
		return day.Format("2006-01-02") + "T10:00"
	case "number", "range":
		if f.min != "" {
			return f.min
		}
		return "1"
	}
	return ""
}

// credentialForm reports whether a form's route handles credentials (sign
// in, second factor, passwords, account links): those are the sessions part
// of the suite, and filling them here would lock the suite's own accounts.
func credentialForm(pattern string) bool {
	for _, p := range []string{"POST /login", "POST /setup/", "POST /invite/", "POST /reset/", "POST /account/password", "POST /account/mfa", "POST /logout"} {
		if strings.HasPrefix(pattern, p) {
			return true
		}
	}
	return false
}
