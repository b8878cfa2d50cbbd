package markdown

import (
	"regexp"
	"strings"
	"testing"
)

// hostile is Markdown a careless or malicious author might write; none of
// it may survive as something a browser runs or loads from elsewhere.
var hostile = []struct{ name, src string }{
	{"script tag", `Hello <script>alert(1)</script> there`},
	{"script block", "<script>\nalert(1)\n</script>\n\nafter"},
	{"img onerror", `<img src=x onerror=alert(1)>`},
	{"img onerror in block", "<div>\n<img src=x onerror=\"alert(1)\">\n</div>"},
	{"javascript link", `[x](javascript:alert(1))`},
	{"mixed-case javascript link", `[x](JaVaScRiPt:alert(1))`},
	{"entity-encoded javascript link", `[x](&#106;avascript:alert(1))`},
	{"tab in javascript link", "[x](<java\tscript:alert(1)>)"},
	{"javascript autolink", `<javascript:alert(1)>`},
	{"javascript reference link", "[x][1]\n\n[1]: javascript:alert(1)"},
	{"vbscript link", `[x](vbscript:msgbox(1))`},
	{"data link", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`},
	{"data image", `![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`},
	{"data png image", `![x](data:image/png;base64,iVBORw0KGgo=)`},
	{"javascript image", `![x](javascript:alert(1))`},
	{"iframe", `<iframe src="https://evil.example/"></iframe>`},
	{"style attribute", `<p style="background:url(https://evil.example/t.gif)">x</p>`},
	{"style block", "<style>body{background:url(https://evil.example/)}</style>"},
	{"raw html block with handler", "<div onclick=\"alert(1)\">click</div>"},
	{"svg", `<svg onload=alert(1)><circle r=1></svg>`},
	{"object", `<object data="https://evil.example/x.swf"></object>`},
	{"form", `<form action="https://evil.example/"><input name=a></form>`},
	{"attribute breakout in title", `[x](https://example.org "a\" onmouseover=\"alert(1)")`},
	{"attribute breakout in alt", `![a" onerror="alert(1)](/media/abc)`},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example/">`},
	{"base tag", `<base href="https://evil.example/">`},
	{"link stylesheet", `<link rel="stylesheet" href="https://evil.example/x.css">`},
	{"html comment trick", `<!-- --><script>alert(1)</script> -->`},
	{"protocol-relative image", `![x](//evil.example/t.gif)`},
	{"remote image", `![tracking pixel](https://evil.example/t.gif)`},
	{"target blank", `<a href="https://example.org" target="_blank">x</a>`},
}

var (
	eventHandler = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	badTags      = regexp.MustCompile(`(?i)<\s*/?\s*(script|iframe|object|embed|style|svg|form|input|meta|base|link|frame)\b`)
	badURL       = regexp.MustCompile(`(?i)(href|src)\s*=\s*"?\s*(javascript|vbscript|data|//)`)
	remoteSrc    = regexp.MustCompile(`(?i)src\s*=\s*"?\s*(https?:)?//`)
)

func TestRenderHostileMarkdownIsHarmless(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Render(tt.src))
			for _, bad := range []struct {
				re   *regexp.Regexp
				what string
			}{{eventHandler, "an event-handler attribute"}, {badTags, "a dangerous element"}, {badURL, "a dangerous URL"}, {remoteSrc, "a request to another site"}} {
				if bad.re.MatchString(got) {
					t.Errorf("Render(%q) = %q, which has %s", tt.src, got, bad.what)
				}
			}
			for _, s := range []string{"style=", "target=", "<!--"} {
				if strings.Contains(strings.ToLower(got), s) {
					t.Errorf("Render(%q) = %q, which has %s", tt.src, got, s)
				}
			}
		})
	}
}

func TestRenderKeepsWhatIsSafe(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"# Title", "<h2>Title</h2>"},
		{"###### Deep", "<h2>Deep</h2>"},
		// A post's sections ("##") sit right under the page's h1, and a
		// level skipped by the author is closed up.
		{"## What it is\n\nText\n\n### Detail", "<h2>What it is</h2>\n<p>Text</p>\n<h3>Detail</h3>"},
		{"# One\n\n#### Deep\n\n## Two", "<h2>One</h2>\n<h3>Deep</h3>\n<h3>Two</h3>"},
		{"**bold** and _soft_", "<p><strong>bold</strong> and <em>soft</em></p>"},
		{"~~gone~~", "<del>gone</del>"},
		{"[988](https://988lifeline.org/)", `<a href="https://988lifeline.org/" rel="nofollow noopener">988</a>`},
		{"[blog](/blog/winter)", `<a href="/blog/winter" rel="nofollow noopener">blog</a>`},
		{"See www.example.org today", `<a href="http://www.example.org" rel="nofollow noopener">www.example.org</a>`},
		{"<care@example.org>", `<a href="mailto:care@example.org" rel="nofollow noopener">care@example.org</a>`},
		{"![A calm lake](/media/0abc)", `<img src="/media/0abc" alt="A calm lake" loading="lazy">`},
		{"![A remote lake](https://example.org/lake.png)", `<a href="https://example.org/lake.png" rel="nofollow noopener">A remote lake</a>`},
		{"[x](JaVaScRiPt:alert(1))", "<p>x</p>"},
		{"[x](&#106;avascript:alert(1))", "<p>x</p>"},
		{"| a | b |\n| - | - |\n| 1 | 2 |", "<td>1</td>"},
		{"```go\nfmt.Println(\"<b>\")\n```", `<pre><code>fmt.Println(&#34;&lt;b&gt;&#34;)`},
		{"5 < 6 & 7 > 2", "<p>5 &lt; 6 &amp; 7 &gt; 2</p>"},
	} {
		if got := string(Render(tt.src)); !strings.Contains(got, tt.want) {
			t.Errorf("Render(%q) = %q, want it to contain %q", tt.src, got, tt.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tt := range []struct {
		src  string
		n    int
		want string
	}{
		{"# Title\n\nSome **bold** text and a [link](https://example.org).", 0, "Title Some bold text and a link."},
		{"Line one\nline two", 0, "Line one line two"},
		{"Tom &amp; Jerry \\*not emphasis\\*", 0, "Tom & Jerry *not emphasis*"},
		{"![alt text](/media/x) words <b>raw</b>", 0, "words raw"},
		{"```\ncode block\n```\n\nafter", 0, "after"},
		{"one two three four five six", 12, "one two…"},
		{"short", 12, "short"},
		{"", 10, ""},
	} {
		if got := Plain(tt.src, tt.n); got != tt.want {
			t.Errorf("Plain(%q, %d) = %q, want %q", tt.src, tt.n, got, tt.want)
		}
	}
}

func TestReadingMinutes(t *testing.T) {
	for _, tt := range []struct {
		words, want int
	}{{0, 1}, {1, 1}, {200, 1}, {201, 2}, {1000, 5}} {
		src := strings.Repeat("word ", tt.words)
		if got := ReadingMinutes(src); got != tt.want {
			t.Errorf("ReadingMinutes(%d words) = %d, want %d", tt.words, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://example.org/": true, "http://example.org": true, "mailto:a@example.org": true,
		"/blog/x": true, "#top": true, "relative/path": true,
		"javascript:alert(1)": false, "JAVASCRIPT:alert(1)": false, " javascript:alert(1)": false,
		"java\nscript:alert(1)": false, "data:text/html,x": false, "vbscript:x": false,
		"//evil.example/": false, "https:///nohost": false, "file:///etc/passwd": false,
	} {
		if got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %v, want %v", u, got, want)
		}
	}
}
