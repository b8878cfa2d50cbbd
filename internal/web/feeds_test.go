package web

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/mmcdole/gofeed"
)

// TestFeedsParse: the Atom and RSS feeds parse with a real feed parser
// (gofeed, not our own code) and carry the published posts only, with
// absolute links; sitemap.xml is well-formed XML in the sitemaps.org
// namespace listing the pages and posts; robots.txt points to it.
func TestFeedsParse(t *testing.T) {
	f := newFixture(t)
	later := f.now.Add(48 * time.Hour)
	f.post("thea@example.org", store.Post{Title: "What happens on a dosing day", Summary: "About three hours, start to finish.", Body: "Arrive a little early. **Bring** a ride home.", Tags: []string{"dosing", "preparation"}})
	f.post("thea@example.org", store.Post{Title: "Integration & the days after <3", Summary: "The work between sessions.", Body: "Notice, write, talk."})
	f.post("thea@example.org", store.Post{Title: "Not yet", Body: "Scheduled.", PublishAt: &later})
	f.post("thea@example.org", store.Post{Title: "A draft", Body: "Draft.", Status: store.PostDraft})

	atom := f.do("GET", "/feed.atom", nil, "")
	if atom.status != http.StatusOK || !strings.HasPrefix(atom.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("atom = %d %s", atom.status, atom.header.Get("Content-Type"))
	}
	feed, err := gofeed.NewParser().ParseString(atom.body)
	if err != nil {
		t.Fatalf("the Atom feed does not parse: %v\n%s", err, atom.body)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 2 {
		t.Fatalf("atom: type %q, %d items, want atom with the 2 published posts", feed.FeedType, len(feed.Items))
	}
	titles := feed.Items[0].Title + "|" + feed.Items[1].Title
	if !strings.Contains(titles, "Integration & the days after <3") || !strings.Contains(titles, "What happens on a dosing day") || strings.Contains(atom.body, "Not yet") || strings.Contains(atom.body, "A draft") {
		t.Errorf("atom items = %q", titles)
	}
	for _, it := range feed.Items {
		if !strings.HasPrefix(it.Link, "http") || it.PublishedParsed == nil || it.UpdatedParsed == nil || len(it.Authors) == 0 || it.Authors[0].Name != "Thea Therapist" {
			t.Errorf("atom item %q: link %q, published %v, authors %v", it.Title, it.Link, it.PublishedParsed, it.Authors)
		}
	}
	if !strings.Contains(feed.Items[0].Content+feed.Items[1].Content, "<strong>Bring</strong>") {
		t.Error("the Atom content is not the rendered post")
	}

	rss := f.do("GET", "/feed.rss", nil, "")
	rfeed, err := gofeed.NewParser().ParseString(rss.body)
	if err != nil || rfeed.FeedType != "rss" || rfeed.FeedVersion != "2.0" || len(rfeed.Items) != 2 {
		t.Fatalf("rss: %v, type %q %q, %d items", err, rfeed.FeedType, rfeed.FeedVersion, len(rfeed.Items))
	}
	tags := map[string]bool{}
	for _, it := range rfeed.Items {
		if it.PublishedParsed == nil || it.GUID == "" || !strings.HasPrefix(it.Link, "http") {
			t.Errorf("rss item %q: published %v, guid %q, link %q", it.Title, it.PublishedParsed, it.GUID, it.Link)
		}
		for _, c := range it.Categories {
			tags[c] = true
		}
	}
	if !tags["dosing"] || !tags["preparation"] {
		t.Errorf("rss categories = %v, want the post's tags", tags)
	}

	sm := f.do("GET", "/sitemap.xml", nil, "")
	var urlset struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(sm.body), &urlset); err != nil {
		t.Fatalf("sitemap.xml is not XML: %v", err)
	}
	if urlset.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || urlset.XMLName.Local != "urlset" {
		t.Errorf("sitemap root = %v", urlset.XMLName)
	}
	locs := map[string]bool{}
	for _, u := range urlset.URLs {
		locs[u.Loc] = true
		if !strings.HasPrefix(u.Loc, "http") {
			t.Errorf("sitemap has a relative URL %q", u.Loc)
		}
	}
	base := f.srv.LinkBase(nil)
	for _, want := range []string{base + "/", base + "/about", base + "/blog", base + "/blog/what-happens-on-a-dosing-day"} {
		if !locs[want] {
			t.Errorf("sitemap lacks %s", want)
		}
	}
	for loc := range locs {
		if strings.Contains(loc, "not-yet") || strings.Contains(loc, "a-draft") {
			t.Errorf("sitemap lists an unpublished post: %s", loc)
		}
	}
	robots := f.do("GET", "/robots.txt", nil, "")
	if !strings.Contains(robots.body, "Sitemap: "+base+"/sitemap.xml") || !strings.Contains(robots.body, "Disallow: /portal") {
		t.Errorf("robots.txt = %q", robots.body)
	}
}

// TestPublicPagesCache: a visitor's page carries an ETag and
// Last-Modified; asking again with either gets 304 and no body; an edit
// saved by staff shows at once; a signed-in user's pages are never cached
// or marked cacheable.
func TestPublicPagesCache(t *testing.T) {
	f := newFixture(t)
	p := f.post("thea@example.org", store.Post{Title: "Cached post", Body: "First words."})
	first := f.do("GET", "/blog/"+p.Slug, nil, "")
	etag, mod := first.header.Get("ETag"), first.header.Get("Last-Modified")
	if first.status != http.StatusOK || etag == "" || mod == "" || first.header.Get("Cache-Control") != "public, no-cache" || first.header.Get("Vary") != "Cookie" {
		t.Fatalf("first = %d, ETag %q, Last-Modified %q, Cache-Control %q", first.status, etag, mod, first.header.Get("Cache-Control"))
	}
	if r := f.do("GET", "/blog/"+p.Slug, nil, "", "If-None-Match", etag); r.status != http.StatusNotModified || r.body != "" {
		t.Errorf("If-None-Match = %d (%d bytes), want 304 and no body", r.status, len(r.body))
	}
	if r := f.do("GET", "/blog/"+p.Slug, nil, "", "If-Modified-Since", mod); r.status != http.StatusNotModified {
		t.Errorf("If-Modified-Since = %d, want 304", r.status)
	}
	if r := f.do("GET", "/blog/"+p.Slug, nil, "", "If-None-Match", `"something-else"`); r.status != http.StatusOK {
		t.Errorf("a stale ETag = %d, want 200", r.status)
	}
	// An edit through the editor shows at once.
	thea := f.signIn("thea@example.org")
	if r := f.do("POST", "/site/posts/"+p.ID, editorForm("save", "title", "Cached post", "slug", p.Slug, "body", "Second words."), thea); r.status != http.StatusSeeOther {
		t.Fatalf("edit = %d: %s", r.status, r.body[:min(len(r.body), 300)])
	}
	after := f.do("GET", "/blog/"+p.Slug, nil, "")
	if !strings.Contains(after.body, "Second words.") || after.header.Get("ETag") == etag {
		t.Error("the edited post is served from the old cache")
	}
	// Signed in: the page is made for the user and never stored.
	mine := f.do("GET", "/blog/"+p.Slug, nil, thea)
	if mine.header.Get("ETag") != "" || mine.header.Get("Cache-Control") != "no-store" {
		t.Errorf("a signed-in page: ETag %q, Cache-Control %q", mine.header.Get("ETag"), mine.header.Get("Cache-Control"))
	}
}

// TestPostShareLinks: a post carries plain share links (email, Facebook,
// X, LinkedIn, the link to copy) with its address and title escaped into
// them, no third-party script, and the crisis lines beside it.
func TestPostShareLinks(t *testing.T) {
	f := newFixture(t)
	p := f.post("thea@example.org", store.Post{Title: "Rest & repair: sleep after a session", Body: "Sleep helps."})
	r := f.do("GET", "/blog/"+p.Slug, nil, "")
	u := f.srv.LinkBase(nil) + "/blog/" + p.Slug
	for _, want := range []string{
		`href="mailto:?subject=Rest%20%26%20repair%3a%20sleep%20after%20a%20session`,
		`href="https://www.facebook.com/sharer/sharer.php?u=` + strings.ReplaceAll(strings.ReplaceAll(u, ":", "%3a"), "/", "%2f"),
		`href="https://x.com/intent/post?url=`, `href="https://www.linkedin.com/sharing/share-offsite/?url=`,
		`id="share-url" type="text" readonly value="` + u + `"`, `tel:988`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the post lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<script src=\"http") || strings.Contains(r.body, "connect.facebook") || strings.Contains(r.body, "platform.twitter") {
		t.Error("the post loads a third-party script")
	}
}

// TestPostAuthorProfile: a post's byline takes the author's public staff
// profile (credentials, and the same author page the About page links to).
func TestPostAuthorProfile(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	thea := f.users["thea@example.org"]
	if err := f.st.SaveStaffProfile(ctx, f.as("thea@example.org"), &store.StaffProfile{UserID: thea.ID, Slug: "thea-t", Credentials: "LMSW", Bio: "Thea works with adults.", Public: true}); err != nil {
		t.Fatal(err)
	}
	p := f.post("thea@example.org", store.Post{Title: "Sleep after a session", Body: "Rest."})
	page := f.do("GET", "/blog/"+p.Slug, nil, "")
	if !strings.Contains(page.body, `href="/blog/author/thea-t" rel="author">Thea Therapist</a>, LMSW`) {
		t.Error("the byline does not use the staff profile")
	}
	if about := f.do("GET", "/about", nil, ""); !strings.Contains(about.body, "/blog/author/thea-t") {
		t.Error("the About page links elsewhere")
	}
	if author := f.do("GET", "/blog/author/thea-t", nil, ""); author.status != http.StatusOK || !strings.Contains(author.body, "Sleep after a session") {
		t.Errorf("the author page = %d, without the post", author.status)
	}
}

// TestPublicCacheKeyAndRSSText: made-up query strings are served fresh
// and never kept (so they cannot push real pages out); a patient's own
// changes do not empty the cache; RSS descriptions are escaped text.
func TestPublicCacheKeyAndRSSText(t *testing.T) {
	f := newFixture(t)
	f.post("thea@example.org", store.Post{Title: "Doses and words", Summary: `Doses < 1 mg/kg <img src=x onerror=alert(1)>`, Body: "Text."})
	first := f.do("GET", "/blog", nil, "")
	for i := range 600 {
		if r := f.do("GET", "/blog?utm="+strings.Repeat("x", i%7)+string(rune('a'+i%26)), nil, ""); r.header.Get("ETag") != "" {
			t.Fatalf("a page with a made-up query was kept (ETag %q)", r.header.Get("ETag"))
		}
	}
	f.srv.PublicPages.Mu.Lock()
	n := len(f.srv.PublicPages.Entries)
	f.srv.PublicPages.Mu.Unlock()
	if n != 1 {
		t.Errorf("%d pages kept, want only /blog", n)
	}
	gen := f.srv.PublicPages.Generation()
	f.do("POST", "/portal/checkins/phq9", phq9Form("save", 1, 0), f.signIn("pat@example.org"))
	if f.srv.PublicPages.Generation() != gen {
		t.Error("a patient's check-in emptied the public page cache")
	}
	if again := f.do("GET", "/blog", nil, ""); again.header.Get("ETag") != first.header.Get("ETag") {
		t.Error("/blog was not served from the cache")
	}
	rss := f.do("GET", "/feed.rss", nil, "")
	if strings.Contains(rss.body, "&lt;img") || !strings.Contains(rss.body, "&amp;lt;img src=x") || !strings.Contains(rss.body, "Doses &amp;lt; 1 mg/kg") {
		t.Errorf("the RSS description is not escaped text:\n%s", rss.body)
	}
	feed, err := gofeed.NewParser().ParseString(rss.body)
	if err != nil || len(feed.Items) != 1 || feed.Items[0].Description != "Doses &lt; 1 mg/kg &lt;img src=x onerror=alert(1)&gt;" {
		t.Errorf("the RSS description a reader sees = %q (%v)", feed.Items[0].Description, err)
	}
}

// TestAuthorPageCannotBeTakenOver: a clinician cannot give their profile
// the address another author's posts go by.
func TestAuthorPageCannotBeTakenOver(t *testing.T) {
	f := newFixture(t)
	f.post("thea@example.org", store.Post{Title: "Thea's post", Body: "Mine."})
	theo := f.users["theo@example.org"]
	err := f.st.SaveStaffProfile(t.Context(), f.as("theo@example.org"), &store.StaffProfile{UserID: theo.ID, Slug: "thea-therapist", Bio: "Theo.", Public: true})
	if clinic.ErrorCode(err) != clinic.EInvalid {
		t.Fatalf("taking thea's author address = %v, want refused", err)
	}
}

// TestAboutLinksOnlyToWriters: the About page links to an author's posts
// only when there are some; staff find their website profile from their
// account page.
func TestAboutLinksOnlyToWriters(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, who := range []string{"thea@example.org", "theo@example.org"} {
		u := f.users[who]
		if err := f.st.SaveStaffProfile(ctx, f.as(who), &store.StaffProfile{UserID: u.ID, Bio: "Works with adults.", Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.post("thea@example.org", store.Post{Title: "A post", Body: "Words."})
	about := f.do("GET", "/about", nil, "")
	if !strings.Contains(about.body, "Writing by Thea") || strings.Contains(about.body, "Writing by Theo") {
		t.Error("the About page links to a writer without posts, or not to one with posts")
	}
	if acct := f.do("GET", "/account", nil, f.signIn("theo@example.org")); !strings.Contains(acct.body, `href="/account/profile"`) {
		t.Error("the account page does not lead to the website profile")
	}
	if acct := f.do("GET", "/account", nil, f.signIn("pat@example.org")); strings.Contains(acct.body, `href="/account/profile"`) {
		t.Error("a patient is offered a website profile")
	}
}
