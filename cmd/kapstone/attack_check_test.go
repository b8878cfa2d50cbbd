package main

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
