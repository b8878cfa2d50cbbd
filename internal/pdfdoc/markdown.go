package pdfdoc

import (
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Markdown returns the blocks of a Markdown text (a consent document's
// body): headings (# as Level 1, deeper as Level 2), paragraphs, bulleted
// and numbered lists, block quotes and code as paragraphs, and thematic
// breaks as rules. Inline formatting is dropped and a link keeps its text
// followed by its address in parentheses, so the printed words are the
// words that were signed. Raw HTML is left out, as on the web pages.
func Markdown(src string) []Block {
	source := []byte(src)
	doc := goldmark.New().Parser().Parse(text.NewReader(source))
	var out []Block
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		out = append(out, mdBlocks(n, source)...)
	}
	return out
}

func mdBlocks(n ast.Node, src []byte) []Block {
	switch v := n.(type) {
	case *ast.Heading:
		level := 1
		if v.Level > 1 {
			level = 2
		}
		return []Block{Heading{Text: inline(n, src), Level: level}}
	case *ast.Paragraph, *ast.TextBlock:
		if t := inline(n, src); t != "" {
			return []Block{Paragraph{Text: t}}
		}
	case *ast.List:
		l := List{Numbered: v.IsOrdered()}
		for it := n.FirstChild(); it != nil; it = it.NextSibling() {
			var parts []string
			for c := it.FirstChild(); c != nil; c = c.NextSibling() {
				if _, nested := c.(*ast.List); nested {
					for g := c.FirstChild(); g != nil; g = g.NextSibling() {
						parts = append(parts, "- "+blockText(g, src))
					}
					continue
				}
				parts = append(parts, blockText(c, src))
			}
			l.Items = append(l.Items, strings.Join(parts, "\n"))
		}
		return []Block{l}
	case *ast.Blockquote:
		var out []Block
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			out = append(out, mdBlocks(c, src)...)
		}
		return out
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			b.Write(seg.Value(src))
		}
		if t := strings.TrimRight(b.String(), "\n"); t != "" {
			return []Block{Paragraph{Text: t}}
		}
	case *ast.ThematicBreak:
		return []Block{Rule{}}
	}
	return nil
}

// blockText is the plain text of a block inside a list item.
func blockText(n ast.Node, src []byte) string {
	if n.Type() == ast.TypeInline || n.Kind() == ast.KindParagraph || n.Kind() == ast.KindTextBlock || n.Kind() == ast.KindHeading {
		return inline(n, src)
	}
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		parts = append(parts, blockText(c, src))
	}
	return strings.Join(parts, "\n")
}

// inline is the text of n's inline children, soft line breaks as spaces
// and hard ones as newlines.
func inline(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch v := c.(type) {
			case *ast.Text:
				b.Write(v.Segment.Value(src))
				switch {
				case v.HardLineBreak():
					b.WriteByte('\n')
				case v.SoftLineBreak():
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(v.Value)
			case *ast.CodeSpan:
				walk(c)
			case *ast.Link:
				before := b.Len()
				walk(c)
				if dest := string(v.Destination); dest != "" && b.Len() > before && !strings.Contains(b.String()[before:], dest) {
					b.WriteString(" (" + dest + ")")
				}
			case *ast.AutoLink:
				b.Write(v.URL(src))
			case *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
