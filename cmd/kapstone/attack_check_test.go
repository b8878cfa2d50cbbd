package main

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// urlAttrs are the attributes that hold a URL a browser may load or follow.
var urlAttrs = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "data": true, "xlink:href": true, "poster": true, "background": true, "srcdoc": true, "content": true}

// dangerousURL reports whether an attribute value is a URL that runs script
// (javascript:, vbscript:, or an HTML data: URL), seen as a browser would:
// without whitespace and control characters, in any case.
func dangerousURL(v string) bool {
	c := strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' || r == '\u200b' || r == '\u00ad' {
			return -1
		}
		return r
	}, v))
	if i := strings.Index(c, "url="); i >= 0 { // <meta http-equiv=refresh content="0;url=...">
		c = c[i+4:]
	}
	return strings.HasPrefix(c, "javascript:") || strings.HasPrefix(c, "vbscript:") || strings.HasPrefix(c, "data:text/html")
}

// htmlInjections parses an HTML answer as a browser would and returns what
// of the corpus became markup or script in it: an element carrying data-kx,
// an event handler or a script calling the hook, a script-running URL in an
// attribute. It is the check of answers the browser does not render (a form
// refused and shown again, the page after a save); the browser pass checks
// the pages themselves.
func htmlInjections(body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return []string{"unparseable HTML: " + err.Error()}
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case k == "data-kx":
					out = append(out, fmt.Sprintf("element <%s data-kx=%q>", n.Data, a.Val))
				case strings.HasPrefix(k, "on") && strings.Contains(a.Val, "__kx"):
					out = append(out, fmt.Sprintf("handler %s=%q on <%s>", k, a.Val, n.Data))
				case urlAttrs[k] && dangerousURL(a.Val):
					out = append(out, fmt.Sprintf("script URL %s=%q on <%s>", k, a.Val, n.Data))
				}
			}
			if n.Data == "script" {
				typ := strings.ToLower(attr(n, "type"))
				if typ == "" || strings.Contains(typ, "javascript") || typ == "module" {
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.TextNode && strings.Contains(c.Data, "__kx('") {
							out = append(out, fmt.Sprintf("script text calls the hook: %.80q", c.Data))
						}
					}
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

// formulaCells returns the cells of a CSV answer that a spreadsheet would
// read as a formula: beginning with = + - @ (or a tab or carriage return
// before one), not neutralised by a leading apostrophe. A plain number
// ("-3", "+2.5") is not a formula.
func formulaCells(body string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for i, row := range rows {
		for j, cell := range row {
			c := strings.TrimLeft(cell, "\t\r ")
			if c == "" || !strings.ContainsRune("=+-@", rune(c[0])) {
				continue
			}
			if _, err := strconv.ParseFloat(c, 64); err == nil {
				continue
			}
			out = append(out, fmt.Sprintf("row %d column %d: %q", i+1, j+1, cell))
		}
	}
	return out, nil
}

var tagRE = regexp.MustCompile(`<[A-Za-z/!?]`)

// feedTitleMarkup parses an RSS or Atom feed and returns the titles that a
// feed reader would render as HTML: an RSS title (which readers treat as
// HTML) or an Atom title of type html holding a tag once its XML is decoded.
func feedTitleMarkup(body string) ([]string, int, error) {
	var doc struct {
		XMLName xml.Name
		// RSS
		Channel struct {
			Title string `xml:"title"`
			Items []struct {
				Title string `xml:"title"`
			} `xml:"item"`
		} `xml:"channel"`
		// Atom
		Title   atomText `xml:"title"`
		Entries []struct {
			Title atomText `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		return nil, 0, err
	}
	var out []string
	n := 0
	check := func(s string) {
		n++
		if tagRE.MatchString(s) {
			out = append(out, s)
		}
	}
	switch doc.XMLName.Local {
	case "rss":
		check(doc.Channel.Title)
		for _, it := range doc.Channel.Items {
			check(it.Title)
		}
	case "feed":
		for _, tt := range append([]atomText{doc.Title}, func() []atomText {
			var ts []atomText
			for _, e := range doc.Entries {
				ts = append(ts, e.Title)
			}
			return ts
		}()...) {
			if tt.Type == "html" || tt.Type == "xhtml" {
				check(tt.Text)
			} else {
				n++
			}
		}
	default:
		return nil, 0, fmt.Errorf("not a feed: <%s>", doc.XMLName.Local)
	}
	return out, n, nil
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// sqlErrorText lists what database errors look like in a body: a page that
// shows one tells an attacker about the query.
// (The patterns are error messages, not words a payload carries, since
// forms show the person's input back.)
var sqlErrorText = regexp.MustCompile(`(?i)SQLSTATE|syntax error at or near|unrecognized token|near "[^"]*": syntax error|no such (table|column)|\bsql: |\bpq: |sqlite3: |SQL logic error|unterminated quoted string|invalid byte sequence for encoding|database is locked`)

// TestAttackChecks shows that the suite's checks fail on what they look for
// and pass what is safe: a formula cell with and without its apostrophe, a
// feed title escaped once and twice, markup and URLs an injection leaves.
func TestAttackChecks(t *testing.T) {
	ids := map[string]bool{}
	for _, p := range attackCorpus {
		if ids[p.ID] {
			t.Errorf("payload id %s appears twice in the corpus", p.ID)
		}
		ids[p.ID] = true
		if strings.Contains(p.Text, "__kx") && !strings.Contains(p.Text, "__kx('{id}')") && !strings.Contains(p.Text, `__kx("{id}")`) && !strings.Contains(p.Text, "__kx%28'{id}'%29") && !strings.Contains(p.Text, "base64") {
			t.Errorf("payload %s calls the hook without its id: %s", p.ID, p.Text)
		}
	}

	csvCases := []struct {
		csv  string
		bad  int
		name string
	}{
		{"name,score\n\"=HYPERLINK(\"\"x\"\")\",3\n", 1, "a formula"},
		{"name,score\n+1+cmd|' /C calc'!A0,3\n-2+3,4\n@SUM(1),5\n", 3, "plus, minus, at"},
		{"name,score\n\"\t=1+1\",3\n", 1, "a tab before the formula"},
		{"name,score\n\"'=HYPERLINK(\"\"x\"\")\",3\n'-2+3,4\n", 0, "neutralised with an apostrophe"},
		{"name,change\nkx,-3\nky,+2.5\n", 0, "plain numbers"},
	}
	for _, c := range csvCases {
		bad, err := formulaCells(c.csv)
		if err != nil || len(bad) != c.bad {
			t.Errorf("formulaCells(%s) = %v, %v; want %d cells", c.name, bad, err, c.bad)
		}
	}

	once := `<rss version="2.0"><channel><title>Blog</title><item><title>&lt;b data-kx="P01"&gt;</title></item></channel></rss>`
	twice := `<rss version="2.0"><channel><title>Blog</title><item><title>&amp;lt;b data-kx="P01"&amp;gt;</title></item></channel></rss>`
	atomText := `<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><entry><title type="text">&lt;b data-kx="P01"&gt;</title></entry></feed>`
	atomHTML := `<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><entry><title type="html">&lt;b data-kx="P01"&gt;</title></entry></feed>`
	for _, c := range []struct {
		feed string
		bad  int
		name string
	}{{once, 1, "RSS title escaped once"}, {twice, 0, "RSS title escaped twice"}, {atomText, 0, "Atom text title"}, {atomHTML, 1, "Atom html title with a tag"}} {
		bad, _, err := feedTitleMarkup(c.feed)
		if err != nil || len(bad) != c.bad {
			t.Errorf("feedTitleMarkup(%s) = %v, %v; want %d titles", c.name, bad, err, c.bad)
		}
	}

	for _, c := range []struct {
		html string
		bad  bool
	}{
		{`<p>&lt;b data-kx="P01"&gt;</p>`, false},
		{`<p><b data-kx="P01"></b></p>`, true},
		{`<img src=x onerror="__kx('P05')">`, true},
		{`<a href="  JaVa&#x09;Script:__kx('P12')">x</a>`, true},
		{`<a href="/patients?q=javascript:x">x</a>`, false},
		{`<iframe src="data:text/html,<script>x</script>"></iframe>`, true},
		{`<meta http-equiv="refresh" content="0;url=javascript:x">`, true},
		{`<script>__kx('P01')</script>`, true},
		{`<script type="application/json">{"a":"__kx('P01')"}</script>`, false},
		{`<textarea><script>__kx('P01')</script></textarea>`, false},
	} {
		if got := len(htmlInjections(c.html)) > 0; got != c.bad {
			t.Errorf("htmlInjections(%s) found something = %v, want %v", c.html, got, c.bad)
		}
	}
}
