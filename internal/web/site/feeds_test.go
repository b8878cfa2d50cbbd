package site_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
	"github.com/mmcdole/gofeed"
)

// TestFeedsParse: the Atom and RSS feeds parse with a real feed parser
// (gofeed, not our own code) and carry the published posts only, with
// absolute links; sitemap.xml is well-formed XML in the sitemaps.org
// namespace listing the pages and posts; robots.txt points to it.
func TestFeedsParse(t *testing.T) {
	f := webtest.NewFixture(t)
	later := f.Now.Add(48 * time.Hour)
	f.Post("thea@example.org", store.Post{Title: "What happens on a dosing day", Summary: "About three hours, start to finish.", Body: "Arrive a little early. **Bring** a ride home.", Tags: []string{"dosing", "preparation"}})
	f.Post("thea@example.org", store.Post{Title: "Integration & the days after <3", Summary: "The work between sessions.", Body: "Notice, write, talk."})
	f.Post("thea@example.org", store.Post{Title: "Not yet", Body: "Scheduled.", PublishAt: &later})
	f.Post("thea@example.org", store.Post{Title: "A draft", Body: "Draft.", Status: store.PostDraft})

	atom := f.Do("GET", "/feed.atom", nil, "")
	if atom.Status != http.StatusOK || !strings.HasPrefix(atom.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("atom = %d %s", atom.Status, atom.Header.Get("Content-Type"))
	}
	feed, err := gofeed.NewParser().ParseString(atom.Body)
	if err != nil {
		t.Fatalf("the Atom feed does not parse: %v\n%s", err, atom.Body)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 2 {
		t.Fatalf("atom: type %q, %d items, want atom with the 2 published posts", feed.FeedType, len(feed.Items))
	}
	titles := feed.Items[0].Title + "|" + feed.Items[1].Title
	if !strings.Contains(titles, "Integration & the days after <3") || !strings.Contains(titles, "What happens on a dosing day") || strings.Contains(atom.Body, "Not yet") || strings.Contains(atom.Body, "A draft") {
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

	rss := f.Do("GET", "/feed.rss", nil, "")
	rfeed, err := gofeed.NewParser().ParseString(rss.Body)
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

	sm := f.Do("GET", "/sitemap.xml", nil, "")
	var urlset struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(sm.Body), &urlset); err != nil {
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
	base := f.Srv.LinkBase(nil)
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
	robots := f.Do("GET", "/robots.txt", nil, "")
	if !strings.Contains(robots.Body, "Sitemap: "+base+"/sitemap.xml") || !strings.Contains(robots.Body, "Disallow: /portal") {
		t.Errorf("robots.txt = %q", robots.Body)
	}
}

// TestPublicPagesCache: a visitor's page carries an ETag and
// Last-Modified; asking again with either gets 304 and no body; an edit
// saved by staff shows at once; a signed-in user's pages are never cached
// or marked cacheable.
func TestPublicPagesCache(t *testing.T) {
	f := webtest.NewFixture(t)
	p := f.Post("thea@example.org", store.Post{Title: "Cached post", Body: "First words."})
	first := f.Do("GET", "/blog/"+p.Slug, nil, "")
	etag, mod := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
	if first.Status != http.StatusOK || etag == "" || mod == "" || first.Header.Get("Cache-Control") != "public, no-cache" || first.Header.Get("Vary") != "Cookie" {
		t.Fatalf("first = %d, ETag %q, Last-Modified %q, Cache-Control %q", first.Status, etag, mod, first.Header.Get("Cache-Control"))
	}
	if r := f.Do("GET", "/blog/"+p.Slug, nil, "", "If-None-Match", etag); r.Status != http.StatusNotModified || r.Body != "" {
		t.Errorf("If-None-Match = %d (%d bytes), want 304 and no body", r.Status, len(r.Body))
	}
	if r := f.Do("GET", "/blog/"+p.Slug, nil, "", "If-Modified-Since", mod); r.Status != http.StatusNotModified {
		t.Errorf("If-Modified-Since = %d, want 304", r.Status)
	}
	if r := f.Do("GET", "/blog/"+p.Slug, nil, "", "If-None-Match", `"something-else"`); r.Status != http.StatusOK {
		t.Errorf("a stale ETag = %d, want 200", r.Status)
	}
	// An edit through the editor shows at once.
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/site/posts/"+p.ID, editorForm("save", "title", "Cached post", "slug", p.Slug, "body", "Second words."), thea); r.Status != http.StatusSeeOther {
		t.Fatalf("edit = %d: %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	after := f.Do("GET", "/blog/"+p.Slug, nil, "")
	if !strings.Contains(after.Body, "Second words.") || after.Header.Get("ETag") == etag {
		t.Error("the edited post is served from the old cache")
	}
	// Signed in: the page is made for the user and never stored.
	mine := f.Do("GET", "/blog/"+p.Slug, nil, thea)
	if mine.Header.Get("ETag") != "" || mine.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a signed-in page: ETag %q, Cache-Control %q", mine.Header.Get("ETag"), mine.Header.Get("Cache-Control"))
	}
}

// TestPostShareLinks: a post carries plain share links (email, Facebook,
// X, LinkedIn, the link to copy) with its address and title escaped into
// them, no third-party script, and the crisis lines beside it.
func TestPostShareLinks(t *testing.T) {
	f := webtest.NewFixture(t)
	p := f.Post("thea@example.org", store.Post{Title: "Rest & repair: sleep after a session", Body: "Sleep helps."})
	r := f.Do("GET", "/blog/"+p.Slug, nil, "")
	u := f.Srv.LinkBase(nil) + "/blog/" + p.Slug
	for _, want := range []string{
		`href="mailto:?subject=Rest%20%26%20repair%3a%20sleep%20after%20a%20session`,
		`href="https://www.facebook.com/sharer/sharer.php?u=` + strings.ReplaceAll(strings.ReplaceAll(u, ":", "%3a"), "/", "%2f"),
		`href="https://x.com/intent/post?url=`, `href="https://www.linkedin.com/sharing/share-offsite/?url=`,
		`id="share-url" type="text" readonly value="` + u + `"`, `tel:988`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the post lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "<script src=\"http") || strings.Contains(r.Body, "connect.facebook") || strings.Contains(r.Body, "platform.twitter") {
		t.Error("the post loads a third-party script")
	}
}

// TestPostAuthorProfile: a post's byline takes the author's public staff
// profile (credentials, and the same author page the About page links to).
func TestPostAuthorProfile(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	thea := f.Users["thea@example.org"]
	if err := f.St.SaveStaffProfile(ctx, f.As("thea@example.org"), &store.StaffProfile{UserID: thea.ID, Slug: "thea-t", Credentials: "LMSW", Bio: "Thea works with adults.", Public: true}); err != nil {
		t.Fatal(err)
	}
	p := f.Post("thea@example.org", store.Post{Title: "Sleep after a session", Body: "Rest."})
	page := f.Do("GET", "/blog/"+p.Slug, nil, "")
	if !strings.Contains(page.Body, `href="/blog/author/thea-t" rel="author">Thea Therapist</a>, LMSW`) {
		t.Error("the byline does not use the staff profile")
	}
	if about := f.Do("GET", "/about", nil, ""); !strings.Contains(about.Body, "/blog/author/thea-t") {
		t.Error("the About page links elsewhere")
	}
	if author := f.Do("GET", "/blog/author/thea-t", nil, ""); author.Status != http.StatusOK || !strings.Contains(author.Body, "Sleep after a session") {
		t.Errorf("the author page = %d, without the post", author.Status)
	}
}

// TestPublicCacheKeyAndRSSText: made-up query strings are served fresh
// and never kept (so they cannot push real pages out); a patient's own
// changes do not empty the cache; RSS descriptions are escaped text.
func TestPublicCacheKeyAndRSSText(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Post("thea@example.org", store.Post{Title: "Doses and words", Summary: `Doses < 1 mg/kg <img src=x onerror=alert(1)>`, Body: "Text."})
	first := f.Do("GET", "/blog", nil, "")
	for i := range 600 {
		if r := f.Do("GET", "/blog?utm="+strings.Repeat("x", i%7)+string(rune('a'+i%26)), nil, ""); r.Header.Get("ETag") != "" {
			t.Fatalf("a page with a made-up query was kept (ETag %q)", r.Header.Get("ETag"))
		}
	}
	f.Srv.PublicPages.Mu.Lock()
	n := len(f.Srv.PublicPages.Entries)
	f.Srv.PublicPages.Mu.Unlock()
	if n != 1 {
		t.Errorf("%d pages kept, want only /blog", n)
	}
	gen := f.Srv.PublicPages.Generation()
	f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("save", 1, 0), f.SignIn("pat@example.org"))
	if f.Srv.PublicPages.Generation() != gen {
		t.Error("a patient's check-in emptied the public page cache")
	}
	if again := f.Do("GET", "/blog", nil, ""); again.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Error("/blog was not served from the cache")
	}
	rss := f.Do("GET", "/feed.rss", nil, "")
	if strings.Contains(rss.Body, "&lt;img") || !strings.Contains(rss.Body, "&amp;lt;img src=x") || !strings.Contains(rss.Body, "Doses &amp;lt; 1 mg/kg") {
		t.Errorf("the RSS description is not escaped text:\n%s", rss.Body)
	}
	feed, err := gofeed.NewParser().ParseString(rss.Body)
	if err != nil || len(feed.Items) != 1 || feed.Items[0].Description != "Doses &lt; 1 mg/kg &lt;img src=x onerror=alert(1)&gt;" {
		t.Errorf("the RSS description a reader sees = %q (%v)", feed.Items[0].Description, err)
	}
}

// TestAuthorPageCannotBeTakenOver: a clinician cannot give their profile
// the address another author's posts go by.
func TestAuthorPageCannotBeTakenOver(t *testing.T) {
	f := webtest.NewFixture(t)
	f.Post("thea@example.org", store.Post{Title: "Thea's post", Body: "Mine."})
	theo := f.Users["theo@example.org"]
	err := f.St.SaveStaffProfile(t.Context(), f.As("theo@example.org"), &store.StaffProfile{UserID: theo.ID, Slug: "thea-therapist", Bio: "Theo.", Public: true})
	if clinic.ErrorCode(err) != clinic.EInvalid {
		t.Fatalf("taking thea's author address = %v, want refused", err)
	}
}

// TestAboutLinksOnlyToWriters: the About page links to an author's posts
// only when there are some; staff find their website profile from their
// account page.
func TestAboutLinksOnlyToWriters(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	for _, who := range []string{"thea@example.org", "theo@example.org"} {
		u := f.Users[who]
		if err := f.St.SaveStaffProfile(ctx, f.As(who), &store.StaffProfile{UserID: u.ID, Bio: "Works with adults.", Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.Post("thea@example.org", store.Post{Title: "A post", Body: "Words."})
	about := f.Do("GET", "/about", nil, "")
	if !strings.Contains(about.Body, "Writing by Thea") || strings.Contains(about.Body, "Writing by Theo") {
		t.Error("the About page links to a writer without posts, or not to one with posts")
	}
	if acct := f.Do("GET", "/account", nil, f.SignIn("theo@example.org")); !strings.Contains(acct.Body, `href="/account/profile"`) {
		t.Error("the account page does not lead to the website profile")
	}
	if acct := f.Do("GET", "/account", nil, f.SignIn("pat@example.org")); strings.Contains(acct.Body, `href="/account/profile"`) {
		t.Error("a patient is offered a website profile")
	}
}

// TestOldAuthorAddress: an author page's address from before credentials
// left the name (migration 0026: "Thea Therapist, LMFT" was
// thea-therapist-lmft) answers 301 to the current one, keeping the page
// asked for; other credentials, and a name with no posts public now, stay
// 404.
func TestOldAuthorAddress(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	thea := f.Users["thea@example.org"]
	// A profile not public: the author page keeps the name's address, and
	// the account has the credentials.
	if err := f.St.SaveStaffProfile(ctx, f.As("thea@example.org"), &store.StaffProfile{UserID: thea.ID, Slug: "thea-hidden", Credentials: "LMFT", Public: false}); err != nil {
		t.Fatal(err)
	}
	f.Post("thea@example.org", store.Post{Title: "Sleep after a session", Body: "Rest."})
	if r := f.Do("GET", "/blog/author/thea-therapist", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("current author page = %d, want 200", r.Status)
	}
	for old, want := range map[string]string{
		"/blog/author/thea-therapist-lmft":        "/blog/author/thea-therapist",
		"/blog/author/thea-therapist-lmft?page=1": "/blog/author/thea-therapist?page=1",
	} {
		r := f.Do("GET", old, nil, "")
		if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 301 to %s", old, r.Status, r.Header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/blog/author/thea-therapist-lcsw", "/blog/author/theo-therapist-lmft"} {
		if r := f.Do("GET", path, nil, ""); r.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.Status)
		}
	}
}

// TestPublicPageContentLength: a cached public page is sent with its
// Content-Length, made afresh or from the cache, over a real connection
// (not chunked), and a 304 carries none.
func TestPublicPageContentLength(t *testing.T) {
	f := webtest.NewFixture(t)
	p := f.Post("thea@example.org", store.Post{Title: "A long post", Body: strings.Repeat("Preparation is where most of the work happens. ", 400)})
	srv := httptest.NewServer(f.Srv)
	defer srv.Close()
	var etag string
	for i, what := range []string{"made afresh", "from the cache"} {
		res, err := http.Get(srv.URL + "/blog/" + p.Slug)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || len(body) < 10000 {
			t.Fatalf("post %s = %d, %d bytes", what, res.StatusCode, len(body))
		}
		if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) || len(res.TransferEncoding) > 0 {
			t.Errorf("post %s (request %d): Content-Length %q, Transfer-Encoding %v, for %d bytes", what, i+1, res.Header.Get("Content-Length"), res.TransferEncoding, len(body))
		}
		etag = res.Header.Get("ETag")
	}
	r := f.Do("GET", "/blog/"+p.Slug, nil, "", "If-None-Match", etag)
	if r.Status != http.StatusNotModified || r.Header.Get("Content-Length") != "" {
		t.Errorf("304 = %d with Content-Length %q, want none", r.Status, r.Header.Get("Content-Length"))
	}
}
