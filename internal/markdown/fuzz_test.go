package markdown

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// fuzzSeeds are Markdown tricks and HTML that must not survive Render.
var fuzzSeeds = []string{
	"# Title\n\n**bold** _em_ ~~del~~ `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
	"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))",
	"[x](&#106;avascript:alert(1))", "[x](&#x6A;avascript&colon;alert(1))", "[x](\\javascript:alert(1))",
	"<javascript:alert(1)>", "<vbscript:msgbox(1)>", "[x](data:text/html;base64,PHNjcmlwdD4=)",
	"![x](javascript:alert(1))", "![x](https://evil.example/t.gif)", "![x](/media/abc_1)", "![x](//evil.example/x)",
	"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
	"<a href=\"javascript:alert(1)\">x</a>", "<iframe src=//evil.example>", "<style>*{}</style>",
	"[a](<https://x.example/\" onmouseover=\"alert(1)>)", "[a](https://x.example/ \"t\\\" onclick=\\\"x\")",
	"[a][r]\n\n[r]: javascript:alert(1)", "www.evil.example/\"onmouseover=alert(1)//", "x@y.example",
	"<!-- --><script>alert(1)</script> -->", "```html\n<script>alert(1)</script>\n```",
	"\u202e[x](https://a.example)", "[x](https://a.example/\x00)", "\xff\xfe<script>", "> > > > > deep",
	"- [ ] task\n  - nested <b onclick=x>b</b>", "![a](/media/x \"title\" onerror=alert(1))",
	"[<img src=x onerror=alert(1)>](https://a.example)", "<a href=https://a.example>ok</a>",
}

// FuzzRender checks that no Markdown gives HTML that can run a script,
// load another site's image or open a link without rel="nofollow": the
// output is parsed as a browser parses it and every element and attribute
// checked against what Render promises. Plain and ReadingMinutes are
// exercised on the same input.
func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 20000 {
			return // a post is small; goldmark's cost grows with nesting
		}
		out := string(Render(src))
		if out != string(Render(src)) {
			t.Fatalf("Render(%q) is not deterministic", src)
		}
		checkSafeHTML(t, src, out)

		if m := ReadingMinutes(src); m < 1 {
			t.Fatalf("ReadingMinutes(%q) = %d, below 1", src, m)
		}
		for _, n := range []int{0, 1, 10, 160} {
			p := Plain(src, n)
			if !utf8.ValidString(p) && utf8.ValidString(src) {
				t.Fatalf("Plain(%q, %d) = %q is not UTF-8", src, n, p)
			}
			if n > 0 && utf8.RuneCountInString(p) > n+1 {
				t.Fatalf("Plain(%q, %d) = %q: %d characters, more than %d and the ellipsis", src, n, p, utf8.RuneCountInString(p), n)
			}
			if p != strings.TrimSpace(p) || strings.Contains(p, "  ") {
				t.Fatalf("Plain(%q, %d) = %q: white space not collapsed", src, n, p)
			}
		}
	})
}

// forbidden are elements that may run script, load or frame another
// document, or take input.
var forbidden = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true, atom.Form: true,
	atom.Input: true, atom.Button: true, atom.Textarea: true, atom.Select: true, atom.Meta: true,
	atom.Base: true, atom.Link: true, atom.Template: true, atom.Noscript: true, atom.Applet: true,
	atom.Audio: true, atom.Video: true, atom.Source: true,
}

// checkSafeHTML parses out as the body of a page and fails on any element,
// attribute or URL that Render must never produce.
func checkSafeHTML(t *testing.T, src, out string) {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(out), body)
	if err != nil {
		t.Fatalf("Render(%q) = %q does not parse: %v", src, out, err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if forbidden[n.DataAtom] || n.DataAtom == 0 {
				t.Fatalf("Render(%q) = %q holds a <%s> element", src, out, n.Data)
			}
			rel := ""
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case a.Namespace != "" || strings.HasPrefix(key, "on") || key == "style" || key == "srcset" ||
					key == "formaction" || key == "target" || key == "xmlns" || strings.Contains(key, ":"):
					t.Fatalf("Render(%q) = %q: <%s> has attribute %s=%q", src, out, n.Data, a.Key, a.Val)
				case key == "href" || key == "cite" || key == "action" || key == "background" || key == "poster":
					if !SafeURL(a.Val) {
						t.Fatalf("Render(%q) = %q: <%s %s=%q> is not a safe URL", src, out, n.Data, a.Key, a.Val)
					}
				case key == "src":
					if n.DataAtom != atom.Img || !localImage.MatchString(a.Val) {
						t.Fatalf("Render(%q) = %q: <%s src=%q> is not the practice's own image", src, out, n.Data, a.Val)
					}
				case key == "rel":
					rel = a.Val
				}
			}
			if n.DataAtom == atom.A && hasAttr(n, "href") && !strings.Contains(rel, "nofollow") {
				t.Fatalf("Render(%q) = %q: a link without rel=nofollow", src, out)
			}
			if n.DataAtom == atom.H1 {
				t.Fatalf("Render(%q) = %q holds an h1 (the page title is the only one)", src, out)
			}
		}
		if n.Type == html.CommentNode {
			t.Fatalf("Render(%q) = %q holds a comment", src, out)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
