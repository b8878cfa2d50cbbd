package site

import (
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/markdown"
	"github.com/kapstone/kapstone/internal/store"
)

// feedSize is how many posts the feeds carry.
const feedSize = 20

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	Title      atomText       `xml:"title"`
	ID         string         `xml:"id"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Author     atomPerson     `xml:"author"`
	Summary    atomText       `xml:"summary"`
	Content    atomText       `xml:"content"`
	Categories []atomCategory `xml:"category"`
}

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title     atomText    `xml:"title"`
	Subtitle  atomText    `xml:"subtitle"`
	ID        string      `xml:"id"`
	Links     []atomLink  `xml:"link"`
	Updated   string      `xml:"updated"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

// postID is a post's lasting id in feeds (a tag URI, RFC 4151, from the
// post's own id): readers must not see a post as new when its address
// changes.
func postID(base string, p store.Post) string {
	host := base
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + ",2026:post:" + p.ID
}

// postURL is a post's absolute address.
func postURL(base string, p store.Post) string { return base + "/blog/" + url.PathEscape(p.Slug) }

// feedPosts reads the newest published posts and when the feed last changed.
func (s *Handlers) feedPosts(r *http.Request) ([]store.Post, time.Time, error) {
	posts, _, err := s.Store.PublishedPosts(r.Context(), "", "", feedSize, 0)
	if err != nil {
		return nil, time.Time{}, err
	}
	updated := time.Time{}
	for _, p := range posts {
		if p.UpdatedAt.After(updated) {
			updated = p.UpdatedAt
		}
		if p.PublishAt != nil && p.PublishAt.After(updated) {
			updated = *p.PublishAt
		}
	}
	if updated.IsZero() { // no posts yet: the feed is as new as now
		updated = s.Now().UTC().Truncate(time.Second)
	}
	return posts, updated.UTC(), nil
}

func (s *Handlers) Atom(w http.ResponseWriter, r *http.Request) {
	posts, updated, err := s.feedPosts(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	base := s.LinkBase(r)
	name := s.PracticeName(r.Context())
	f := atomFeed{
		Title:     atomText{Type: "text", Body: name + ": blog"},
		Subtitle:  atomText{Type: "text", Body: "Articles from " + name + " on ketamine-assisted psychotherapy and mental health."},
		ID:        base + "/blog",
		Links:     []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.atom"}, {Rel: "alternate", Type: "text/html", Href: base + "/blog"}},
		Updated:   updated.Format(time.RFC3339),
		Author:    atomPerson{Name: name, URI: base + "/"},
		Generator: "kapstone",
	}
	for _, p := range posts {
		pub := p.UpdatedAt
		if p.PublishAt != nil {
			pub = *p.PublishAt
		}
		upd := p.UpdatedAt
		if upd.Before(pub) {
			upd = pub
		}
		e := atomEntry{
			Title: atomText{Type: "text", Body: p.Title}, ID: postID(base, p),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: postURL(base, p)}},
			Published: pub.UTC().Format(time.RFC3339), Updated: upd.UTC().Format(time.RFC3339),
			Author:  atomPerson{Name: authorLine(p), URI: base + "/blog/author/" + url.PathEscape(p.AuthorSlug)},
			Summary: atomText{Type: "text", Body: p.Summary},
			Content: atomText{Type: "html", Body: string(markdown.Render(p.Body))},
		}
		for _, t := range p.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t})
		}
		f.Entries = append(f.Entries, e)
	}
	writeXML(w, r, "application/atom+xml; charset=utf-8", f)
}

// authorLine is an author's name with their credentials: "Lena Ortiz, LMFT".
func authorLine(p store.Post) string {
	if p.AuthorCredentials == "" || strings.Contains(p.AuthorName, p.AuthorCredentials) {
		return p.AuthorName
	}
	return p.AuthorName + ", " + p.AuthorCredentials
}

type rssItem struct {
	Title      string   `xml:"title"`
	Link       string   `xml:"link"`
	GUID       rssGUID  `xml:"guid"` // the post's id, so a changed address is not a new post
	PubDate    string   `xml:"pubDate"`
	Creator    string   `xml:"dc:creator"`
	Desc       string   `xml:"description"`
	Categories []string `xml:"category"`
}

type rssGUID struct {
	Permalink bool   `xml:"isPermaLink,attr"`
	Value     string `xml:",chardata"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Desc          string    `xml:"description"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	DC      string     `xml:"xmlns:dc,attr"`
	Channel rssChannel `xml:"channel"`
}

// rssText is plain text made ready for an RSS element: RSS 2.0 has no
// way to say an element is plain text, and feed readers render titles,
// descriptions, authors and categories as HTML, so the HTML-significant
// characters are escaped here and the XML encoder escapes the result
// again. A reader's XML parser then yields "&lt;script&gt;", which its
// HTML rendering shows as the literal text "<script>". (Atom says
// type="text" instead, and carries the text as typed.)
func rssText(s string) string { return html.EscapeString(s) }

func (s *Handlers) RSS(w http.ResponseWriter, r *http.Request) {
	posts, updated, err := s.feedPosts(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	base := s.LinkBase(r)
	name := s.PracticeName(r.Context())
	f := rssFeed{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", DC: "http://purl.org/dc/elements/1.1/", Channel: rssChannel{
		Title: rssText(name + ": blog"), Link: base + "/blog", Desc: rssText("Articles from " + name + " on ketamine-assisted psychotherapy and mental health."),
		Language: "en", LastBuildDate: updated.Format(time.RFC1123Z),
		Self: atomLink{Rel: "self", Type: "application/rss+xml", Href: base + "/feed.rss"},
	}}
	for _, p := range posts {
		pub := p.UpdatedAt
		if p.PublishAt != nil {
			pub = *p.PublishAt
		}
		var tags []string
		for _, t := range p.Tags {
			tags = append(tags, rssText(t))
		}
		f.Channel.Items = append(f.Channel.Items, rssItem{Title: rssText(p.Title), Link: postURL(base, p), GUID: rssGUID{Permalink: false, Value: postID(base, p)},
			PubDate: pub.UTC().Format(time.RFC1123Z), Creator: rssText(authorLine(p)), Desc: rssText(p.Summary), Categories: tags})
	}
	writeXML(w, r, "application/rss+xml; charset=utf-8", f)
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemap struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemapPaths are the public pages a sitemap lists besides the posts.
var sitemapPaths = []string{"/", "/about", "/services", "/what-to-expect", "/is-kap-right", "/fees", "/contact", "/inquiry", "/blog"}

func (s *Handlers) Sitemap(w http.ResponseWriter, r *http.Request) {
	base := s.LinkBase(r)
	m := sitemap{}
	for _, p := range sitemapPaths {
		m.URLs = append(m.URLs, sitemapURL{Loc: base + p})
	}
	authors := map[string]bool{}
	for offset := 0; ; offset += 100 {
		posts, total, err := s.Store.PublishedPosts(r.Context(), "", "", 100, offset)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for _, p := range posts {
			m.URLs = append(m.URLs, sitemapURL{Loc: postURL(base, p), LastMod: p.UpdatedAt.UTC().Format("2006-01-02")})
			if p.AuthorSlug != "" && !authors[p.AuthorSlug] {
				authors[p.AuthorSlug] = true
				m.URLs = append(m.URLs, sitemapURL{Loc: base + "/blog/author/" + url.PathEscape(p.AuthorSlug)})
			}
		}
		if offset+100 >= total || len(posts) == 0 || offset > 49000 { // a sitemap holds at most 50,000 URLs
			break
		}
	}
	writeXML(w, r, "application/xml; charset=utf-8", m)
}

// Robots lets crawlers read the public site and the blog, and keeps
// them out of everything behind a sign-in (which they could not read
// anyway, but need not try).
func (s *Handlers) Robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range []string{"/login", "/portal", "/patients", "/admin", "/account", "/calendar", "/outcomes", "/inquiries", "/site", "/setup", "/invite", "/reset"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("Allow: /\n\nSitemap: " + s.LinkBase(r) + "/sitemap.xml\n")
	w.Write([]byte(b.String()))
}

// writeXML writes v as an XML document.
func writeXML(w http.ResponseWriter, r *http.Request, ctype string, v any) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "feed error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write([]byte(xml.Header))
	w.Write(out)
	w.Write([]byte("\n"))
}
