// Package markdown turns the Markdown that staff write (blog posts, page
// text) into HTML that is safe to show anyone: goldmark parses it with the
// GitHub extensions (tables, strikethrough, bare links), raw HTML is never
// passed through, links and images are checked on the way, and bluemonday
// sanitises the result against an allowlist. It also gives the plain text
// of a post for excerpts and its reading time.
package markdown

import (
	"bytes"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// WordsPerMinute is the reading speed ReadingMinutes assumes.
const WordsPerMinute = 200

// md is safe for concurrent use: every Convert gets a parser context of
// its own. Its HTML renderer is not "unsafe", so raw HTML in the source is
// dropped (an HTML comment that the sanitiser then removes).
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(checkLinks{}, 100))),
)

// policy is the last word on what reaches a page: bluemonday's policy for
// user content (no scripts, styles, event handlers, frames or forms; URLs
// only http, https, mailto or relative), plus the two attributes the
// transformer adds.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow noopener$`)).OnElements("a")
	p.AllowAttrs("loading").Matching(regexp.MustCompile(`^lazy$`)).OnElements("img")
	p.RequireNoFollowOnLinks(true)
	return p
}()

// Render returns src as sanitised HTML. Headings are renumbered under the
// page's title, the only h1: the highest level the text uses becomes h2
// (authors write "#" or "##" for a section alike), and no heading is more
// than one level below the one before it (screen readers navigate by
// level; a jump from h2 to h4 hides a level). Links get rel="nofollow noopener" and no
// target, a link whose URL is not http, https, mailto or relative keeps
// only its text, and images load lazily. Only the practice's own images
// (/media/...) are shown: any other image becomes a link to it, so a page
// never makes a request to another site.
func Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return "" // only a failing writer errs, and a bytes.Buffer does not
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes()))
}

// ReadingMinutes is how long src takes to read at WordsPerMinute, rounded
// up; at least 1.
func ReadingMinutes(src string) int {
	words := len(strings.Fields(Plain(src, 0)))
	return max(1, (words+WordsPerMinute-1)/WordsPerMinute)
}

// Plain returns the words of src without markup, for excerpts and
// descriptions: whitespace collapsed, images, code blocks and raw HTML
// left out. When n > 0 and the text is longer than n characters it is cut
// at a word boundary and ends with "…".
func Plain(src string, n int) string {
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	var b strings.Builder
	ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if node.Type() == ast.TypeBlock {
			b.WriteByte(' ')
		}
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := node.(type) {
		case *ast.Image, *ast.RawHTML, *ast.HTMLBlock, *ast.CodeBlock, *ast.FencedCodeBlock:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			b.Write(resolve(v.Value(source)))
			if v.SoftLineBreak() || v.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(v.Value)
		case *ast.AutoLink:
			b.Write(v.Label(source))
		}
		return ast.WalkContinue, nil
	})
	out := strings.Join(strings.Fields(b.String()), " ")
	if n <= 0 || utf8.RuneCountInString(out) <= n {
		return out
	}
	cut := []rune(out)[:n]
	if i := lastSpace(cut); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(string(cut), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' {
			return i
		}
	}
	return -1
}

// resolve turns backslash escapes and character references in a text
// segment into the characters they stand for.
func resolve(b []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(b)))
}

// renumberHeadings puts the document's headings under the page's h1: the
// highest level used becomes 2, and each heading is at most one level below
// the heading before it (see Render).
func renumberHeadings(doc *ast.Document) {
	var heads []*ast.Heading
	top := 6
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := node.(*ast.Heading); ok && entering {
			heads = append(heads, h)
			top = min(top, h.Level)
		}
		return ast.WalkContinue, nil
	})
	prev := 1 // the page's title
	for _, h := range heads {
		h.Level = min(h.Level-top+2, prev+1, 6)
		prev = h.Level
	}
}

// checkLinks rewrites the parsed document before it is rendered; see Render.
type checkLinks struct{}

// Transform implements parser.ASTTransformer.
func (checkLinks) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	renumberHeadings(doc)
	source := reader.Source()
	type change struct {
		old, new ast.Node // new nil: replace old by its children
	}
	var changes []change
	ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := node.(type) {
		case *ast.Heading:
			// Renumbered in a second walk, once the highest level is known.
		case *ast.Link:
			if SafeURL(string(resolve(v.Destination))) {
				v.SetAttributeString("rel", []byte("nofollow noopener"))
			} else {
				changes = append(changes, change{old: v})
			}
		case *ast.AutoLink:
			u := string(v.URL(source))
			if v.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
				u = "mailto:" + u
			}
			if SafeURL(u) {
				v.SetAttributeString("rel", []byte("nofollow noopener"))
			} else {
				changes = append(changes, change{old: v, new: ast.NewString(v.Label(source))})
			}
		case *ast.Image:
			switch {
			case localImage.Match(v.Destination):
				v.SetAttributeString("loading", []byte("lazy"))
			case SafeURL(string(resolve(v.Destination))):
				// Another site's image: a link to it, with the alt text.
				l := ast.NewLink()
				l.Destination, l.Title = v.Destination, v.Title
				l.SetAttributeString("rel", []byte("nofollow noopener"))
				changes = append(changes, change{old: v, new: l})
			default:
				changes = append(changes, change{old: v})
			}
		}
		return ast.WalkContinue, nil
	})
	for _, c := range changes {
		parent := c.old.Parent()
		if parent == nil {
			continue
		}
		if c.new != nil && c.new.Kind() == ast.KindLink {
			moveChildren(c.old, c.new)
		}
		if c.new == nil {
			for ch := c.old.FirstChild(); ch != nil; ch = c.old.FirstChild() {
				parent.InsertBefore(parent, c.old, ch)
			}
			parent.RemoveChild(parent, c.old)
			continue
		}
		parent.ReplaceChild(parent, c.old, c.new)
	}
}

func moveChildren(from, to ast.Node) {
	for ch := from.FirstChild(); ch != nil; ch = from.FirstChild() {
		to.AppendChild(to, ch)
	}
}

// localImage is the form of an image the practice serves itself.
var localImage = regexp.MustCompile(`^/media/[A-Za-z0-9_-]{1,64}$`)

// SafeURL reports whether u may be a link's target: an http, https or
// mailto URL, or a relative one (a path or a #fragment). javascript:,
// data:, vbscript: and every other scheme are not, in any letter case.
func SafeURL(u string) bool {
	if strings.ContainsFunc(u, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return false
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.Host != ""
	case "mailto":
		return true
	case "":
		return !strings.HasPrefix(u, "//") // protocol-relative: another site
	}
	return false
}
