package site_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

func TestBlogHostileMarkdownRendersHarmless(t *testing.T) {
	f := webtest.NewFixture(t)
	body := strings.Join([]string{
		"Hello <script>alert('body')</script>",
		"<img src=x onerror=alert(1)>",
		"[click](javascript:alert(1)) [click2](JaVaScRiPt:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=)",
		"<iframe src=https://evil.example/></iframe>",
		`<p style="color:red" onclick="alert(3)">styled</p>`,
		"<div>\n<svg onload=alert(4)>\n</div>",
		"![pixel](https://evil.example/t.gif)",
	}, "\n\n")
	p := f.Post("thea@example.org", store.Post{Title: `A <script>alert("title")</script> title`, Summary: `"><script>alert(5)</script>`, Body: body, Tags: []string{"safety"}})
	for _, path := range []string{"/blog/" + p.Slug, "/blog", "/blog/tag/safety", "/blog/author/thea-therapist"} {
		r := f.Do("GET", path, nil, "")
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", path, r.Status)
		}
		webtest.CheckShell(t, path, r)
		main := r.Body[strings.Index(r.Body, "<main"):strings.Index(r.Body, "</main>")]
		for _, bad := range []*regexp.Regexp{
			regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)\son[a-z]+\s*=`), regexp.MustCompile(`(?i)javascript:`),
			regexp.MustCompile(`(?i)<iframe`), regexp.MustCompile(`(?i)style=`), regexp.MustCompile(`(?i)<svg`),
			regexp.MustCompile(`(?i)src="https?://`), regexp.MustCompile(`(?i)data:text`),
		} {
			if loc := bad.FindStringIndex(main); loc != nil {
				t.Errorf("GET %s shows %q: %q", path, bad, main[max(0, loc[0]-60):min(len(main), loc[1]+60)])
			}
		}
		head := r.Body[:strings.Index(r.Body, "</head>")]
		if strings.Count(head, "<script") != 1 { // the page's own app.js
			t.Errorf("GET %s has a script in its head beyond app.js", path)
		}
	}
	r := f.Do("GET", "/blog/"+p.Slug, nil, "")
	if !strings.Contains(r.Body, "A &lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; title") {
		t.Errorf("the title is not shown escaped")
	}
	if !strings.Contains(r.Body, `<a href="https://evil.example/t.gif" rel="nofollow noopener">pixel</a>`) {
		t.Errorf("another site's image is not turned into a link")
	}
}

func TestBlogScheduledPostAppearsAtItsTime(t *testing.T) {
	f := webtest.NewFixture(t)
	at := f.Now.Add(90 * time.Minute)
	p := f.Post("thea@example.org", store.Post{Title: "Winter skills: TIPP", Body: "Temperature, intense exercise, paced breathing, paired muscle relaxation.", PublishAt: &at})
	check := func(when string, want bool) {
		t.Helper()
		list := f.Do("GET", "/blog", nil, "")
		if got := strings.Contains(list.Body, "Winter skills: TIPP"); got != want {
			t.Errorf("%s: /blog lists the post = %v, want %v", when, got, want)
		}
		page := f.Do("GET", "/blog/"+p.Slug, nil, "")
		if got := page.Status == http.StatusOK; got != want {
			t.Errorf("%s: GET /blog/%s = %d", when, p.Slug, page.Status)
		}
	}
	check("before its time", false)
	f.Now = at.Add(-time.Second)
	check("a second before its time", false)
	f.Now = at
	check("at its time", true)
	f.Now = at.Add(24 * time.Hour)
	check("a day later", true)
}

func TestBlogDraftsAreNotPublic(t *testing.T) {
	f := webtest.NewFixture(t)
	d := f.Post("thea@example.org", store.Post{Title: "Half-written thoughts", Status: store.PostDraft})
	if r := f.Do("GET", "/blog/"+d.Slug, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("GET a draft = %d, want 404", r.Status)
	}
	if r := f.Do("GET", "/blog", nil, ""); strings.Contains(r.Body, "Half-written") || !strings.Contains(r.Body, "Nothing has been published yet") {
		t.Errorf("the blog lists a draft, or does not say it is empty")
	}
	// Staff see it in their list, with its state.
	r := f.Do("GET", "/site/posts", nil, f.SignIn("theo@example.org"))
	if !strings.Contains(r.Body, "Half-written thoughts") || !strings.Contains(r.Body, "Draft") {
		t.Errorf("the staff list lacks the draft")
	}
	if strings.Contains(r.Body, `href="/site/posts/`+d.ID+`"`) {
		t.Errorf("theo's list links to thea's post for editing")
	}
}

func TestBlogPagesTagsAndAuthors(t *testing.T) {
	f := webtest.NewFixture(t)
	for i := range 12 {
		at := f.Now.Add(-time.Duration(i) * time.Hour)
		who, tags := "thea@example.org", []string{"integration"}
		if i >= 9 {
			who, tags = "theo@example.org", []string{"dbt", "integration"}
		}
		f.Post(who, store.Post{Title: "Post number " + strconv.Itoa(i), Body: strings.Repeat("word ", 450), PublishAt: &at, Tags: tags})
	}
	first := f.Do("GET", "/blog", nil, "")
	if n := strings.Count(first.Body, `class="post-card"`); n != 10 {
		t.Errorf("page 1 shows %d posts, want 10", n)
	}
	if !strings.Contains(first.Body, "Post number 0") || strings.Contains(first.Body, "Post number 10") || !strings.Contains(first.Body, `href="/blog?page=2"`) {
		t.Errorf("page 1 is not the newest ten with a link to page 2")
	}
	if !strings.Contains(first.Body, "3 min read") {
		t.Errorf("page 1 does not show the reading time of 450 words")
	}
	second := f.Do("GET", "/blog?page=2", nil, "")
	if n := strings.Count(second.Body, `class="post-card"`); second.Status != 200 || n != 2 || !strings.Contains(second.Body, `href="/blog"`) {
		t.Errorf("page 2 = %d with %d posts, want 200 with 2 and a link back", second.Status, n)
	}
	for _, q := range []string{"3", "0", "-1", "abc", "01", "2&page=2", "1.5"} {
		if r := f.Do("GET", "/blog?page="+q, nil, ""); r.Status != http.StatusNotFound {
			t.Errorf("GET /blog?page=%s = %d, want 404", q, r.Status)
		}
	}
	dbt := f.Do("GET", "/blog/tag/dbt", nil, "")
	if n := strings.Count(dbt.Body, `class="post-card"`); dbt.Status != 200 || n != 3 {
		t.Errorf("tag page = %d with %d posts, want 200 with 3", dbt.Status, n)
	}
	if r := f.Do("GET", "/blog/tag/integration?page=2", nil, ""); strings.Count(r.Body, `class="post-card"`) != 2 {
		t.Errorf("tag page 2 does not show the last 2 posts")
	}
	if r := f.Do("GET", "/blog/tag/nothing", nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("empty tag page = %d, want 404", r.Status)
	}
	theo := f.Do("GET", "/blog/author/theo-therapist", nil, "")
	if n := strings.Count(theo.Body, `class="post-card"`); theo.Status != 200 || n != 3 || !strings.Contains(theo.Body, "Posts by Theo Therapist") {
		t.Errorf("author page = %d with %d posts", theo.Status, n)
	}
	if r := f.Do("GET", "/blog/author/nobody", nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("unknown author page = %d, want 404", r.Status)
	}
	// A post links its author and tags, and shows related posts.
	post := f.Do("GET", "/blog/post-number-9", nil, "")
	for _, want := range []string{`href="/blog/author/theo-therapist"`, `href="/blog/tag/dbt"`, "Related posts", `href="/blog/post-number-10"`, "3 min read"} {
		if !strings.Contains(post.Body, want) {
			t.Errorf("post page lacks %s", want)
		}
	}
	related := post.Body[strings.Index(post.Body, "Related posts"):]
	if strings.Count(related[:strings.Index(related, "</section>")], "<li>") != 3 {
		t.Errorf("post page does not show three related posts")
	}
}

func TestBlogPostHeadMeta(t *testing.T) {
	f := webtest.NewFixture(t)
	img, err := f.St.SaveImage(context.Background(), f.As("thea@example.org"), testPNG(t, 64, 32), "Still water")
	if err != nil {
		t.Fatal(err)
	}
	p := f.Post("thea@example.org", store.Post{Title: "Dosing day", Summary: "What a dosing day looks like, hour by hour.", Body: "Text.", CoverImageID: img.ID, CoverAlt: "Still water at dawn"})
	r := f.Do("GET", "/blog/"+p.Slug, nil, "")
	for _, want := range []string{
		`<link rel="canonical" href="http://localhost/blog/dosing-day">`,
		`<meta name="description" content="What a dosing day looks like, hour by hour.">`,
		`<meta property="og:type" content="article">`,
		`<meta property="og:title" content="Dosing day">`,
		`<meta property="og:url" content="http://localhost/blog/dosing-day">`,
		`<meta property="og:image" content="http://localhost/media/` + img.ID + `">`,
		`<meta name="twitter:card" content="summary_large_image">`,
		`<img src="/media/` + img.ID + `" alt="Still water at dawn" width="64" height="32">`,
		`By <a href="/blog/author/thea-therapist" rel="author">Thea Therapist</a>`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("post page lacks %s", want)
		}
	}
	list := f.Do("GET", "/blog", nil, "")
	for _, want := range []string{`<link rel="canonical" href="http://localhost/blog">`, `<meta property="og:title"`, `<meta name="description"`} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("list page lacks %s", want)
		}
	}
}

// editorForm is a full editor form.
func editorForm(action string, kv ...string) url.Values {
	v := url.Values{"action": {action}, "title": {"What ketamine-assisted psychotherapy is"}, "slug": {""}, "summary": {"An introduction."},
		"body": {"## What it is\n\nKetamine, given with **psychotherapy**."}, "tags": {"kap, basics"}, "publish_at": {""}, "cover_image_id": {""}, "cover_alt": {""}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

var postLocation = regexp.MustCompile(`^/site/posts/([0-9a-z]{26})\?done=(\w+)$`)

func TestBlogEditor(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.SignIn("thea@example.org")

	// Preview renders the Markdown below the form and saves nothing.
	r := f.Do("POST", "/site/posts", editorForm("preview"), thea)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<h2>What it is</h2>") || !strings.Contains(r.Body, "<strong>psychotherapy</strong>") {
		t.Errorf("preview = %d without the rendered body", r.Status)
	}
	if !strings.Contains(r.Body, `value="What ketamine-assisted psychotherapy is"`) || !strings.Contains(r.Body, "Ketamine, given with **psychotherapy**.</textarea>") {
		t.Errorf("preview does not keep the input")
	}
	if posts, _ := f.St.Posts(ctx, f.As("thea@example.org"), store.PageKey{}); posts.Total != 0 {
		t.Errorf("preview saved %d posts", posts.Total)
	}

	// Save a draft.
	r = f.Do("POST", "/site/posts", editorForm("save"), thea)
	m := postLocation.FindStringSubmatch(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || m == nil || m[2] != "saved" {
		t.Fatalf("save = %d to %q", r.Status, r.Header.Get("Location"))
	}
	id := m[1]
	r = f.Do("GET", r.Header.Get("Location"), nil, thea)
	if r.Status != 200 || !strings.Contains(r.Body, "Saved.") || !strings.Contains(r.Body, `value="what-ketamine-assisted-psychotherapy-is"`) || !strings.Contains(r.Body, `value="basics, kap"`) {
		t.Errorf("editor after save = %d, lacks the notice, slug or tags", r.Status)
	}
	if r := f.Do("GET", "/blog/what-ketamine-assisted-psychotherapy-is", nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("a saved draft is public: %d", r.Status)
	}

	// Another clinician can neither open nor save it; an admin can.
	theo := f.SignIn("theo@example.org")
	if r := f.Do("GET", "/site/posts/"+id, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("theo opening thea's post = %d, want 404", r.Status)
	}
	if r := f.Do("POST", "/site/posts/"+id, editorForm("publish", "title", "Theo was here"), theo); r.Status != http.StatusNotFound {
		t.Errorf("theo saving thea's post = %d, want 404", r.Status)
	}
	admin := f.SignIn("admin@example.org")
	if r := f.Do("GET", "/site/posts/"+id, nil, admin); r.Status != 200 || !strings.Contains(r.Body, `<select id="post-author" name="author"`) {
		t.Errorf("admin opening the post = %d, or no author choice", r.Status)
	}

	// Schedule it for tomorrow at 10:00 (the practice's zone is UTC here).
	r = f.Do("POST", "/site/posts/"+id, editorForm("publish", "publish_at", "2026-11-27T10:00"), thea)
	if m := postLocation.FindStringSubmatch(r.Header.Get("Location")); r.Status != http.StatusSeeOther || m == nil || m[2] != "scheduled" {
		t.Fatalf("publish for tomorrow = %d to %q, want scheduled", r.Status, r.Header.Get("Location"))
	}
	p, err := f.St.Post(ctx, f.As("thea@example.org"), id)
	if err != nil || p.Status != store.PostPublished || p.PublishAt == nil || !p.PublishAt.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("after scheduling, post = %+v, %v", p, err)
	}
	if r := f.Do("GET", "/site/posts", nil, thea); !strings.Contains(r.Body, "Scheduled for Fri Nov 27, 2026, 10:00 UTC") {
		t.Errorf("the staff list does not show the scheduled time")
	}
	r = f.Do("GET", "/site/posts/"+id, nil, thea)
	if !strings.Contains(r.Body, `value="unpublish"`) || strings.Contains(r.Body, `value="publish"`) {
		t.Errorf("a scheduled post's editor does not offer Unpublish instead of Publish")
	}

	// Unpublish.
	r = f.Do("POST", "/site/posts/"+id, editorForm("unpublish", "publish_at", "2026-11-27T10:00"), thea)
	if m := postLocation.FindStringSubmatch(r.Header.Get("Location")); m == nil || m[2] != "unpublished" {
		t.Errorf("unpublish = %d to %q", r.Status, r.Header.Get("Location"))
	}
	if p, _ := f.St.Post(ctx, f.As("thea@example.org"), id); p.Status != store.PostDraft {
		t.Errorf("after unpublishing, status = %s", p.Status)
	}

	// A second post wanting the same address gets the field error and keeps its input.
	r = f.Do("POST", "/site/posts", editorForm("publish", "title", "Another", "slug", "what-ketamine-assisted-psychotherapy-is", "body", "Kept *body*"), theo)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate slug = %d, want 422", r.Status)
	}
	for _, want := range []string{"Another post has this address; choose another.", `aria-describedby="post-slug-hint post-slug-error" aria-invalid="true"`, `value="Another"`, "Kept *body*</textarea>", "Nothing was saved."} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("duplicate slug page lacks %q", want)
		}
	}
	// Other field errors, each at its field.
	r = f.Do("POST", "/site/posts", editorForm("save", "title", "", "publish_at", "tomorrow", "tags", strings.Repeat("x", 31)), theo)
	for _, want := range []string{"Give the post a title.", "Enter a date and time", "Keep each tag to 30 characters or fewer.", `value="tomorrow"`} {
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("invalid form = %d, lacks %q", r.Status, want)
		}
	}
	if posts, _ := f.St.Posts(ctx, f.As("theo@example.org"), store.PageKey{}); posts.Total != 1 {
		t.Errorf("after refused saves there are %d posts, want 1", posts.Total)
	}

	// Publishing now makes it public at once.
	r = f.Do("POST", "/site/posts/"+id, editorForm("publish"), thea)
	if m := postLocation.FindStringSubmatch(r.Header.Get("Location")); m == nil || m[2] != "published" {
		t.Errorf("publish now = %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := f.Do("GET", "/blog/what-ketamine-assisted-psychotherapy-is", nil, ""); r.Status != 200 || !strings.Contains(r.Body, "<h2>What it is</h2>") {
		t.Errorf("published post = %d, or its section heading is not an h2 right under the title", r.Status)
	}
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBlogImageUploadAndMedia(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	data := testPNG(t, 120, 80)
	r := f.Upload(thea, "", data, "A quiet room")
	loc := r.Header.Get("Location")
	id := strings.TrimPrefix(loc, "/site/posts/new?image=")
	if r.Status != http.StatusSeeOther || !store.ValidID(id) {
		t.Fatalf("upload = %d to %q", r.Status, loc)
	}
	r = f.Do("GET", loc, nil, thea)
	if !strings.Contains(r.Body, `value="![A quiet room](/media/`+id+`)"`) {
		t.Errorf("the editor after an upload does not show the image's Markdown")
	}
	if !strings.Contains(r.Body, `<option value="`+id+`">A quiet room (120×80)</option>`) {
		t.Errorf("the editor does not offer the image as a cover")
	}

	m := f.Do("GET", "/media/"+id, nil, "")
	if m.Status != 200 || m.Body != string(data) {
		t.Fatalf("GET /media/%s = %d, %d bytes; want the upload", id, m.Status, len(m.Body))
	}
	for h, want := range map[string]string{
		"Content-Type": "image/png", "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
		"Content-Length": strconv.Itoa(len(data)),
	} {
		if got := m.Header.Get(h); got != want {
			t.Errorf("GET /media: %s = %q, want %q", h, got, want)
		}
	}
	if r := f.Do("GET", "/media/"+id, nil, "", "If-None-Match", `"`+id+`"`); r.Status != http.StatusNotModified {
		t.Errorf("GET /media with its ETag = %d, want 304", r.Status)
	}
	if r := f.Do("GET", "/media/"+store.NewID(), nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("GET /media of no image = %d, want 404", r.Status)
	}

	// Uploading from a post's editor goes back to it.
	p := f.Post("thea@example.org", store.Post{Title: "With pictures", Status: store.PostDraft})
	if r := f.Upload(thea, "?post="+p.ID, data, ""); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/site/posts/"+p.ID+"?image=") {
		t.Errorf("upload from a post = %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := f.Upload(f.SignIn("theo@example.org"), "?post="+p.ID, data, ""); r.Status != http.StatusNotFound {
		t.Errorf("upload from another's post = %d, want 404", r.Status)
	}

	// Not images, and too large.
	for name, b := range map[string][]byte{
		"html":      []byte("<!doctype html><script>alert(1)</script>"),
		"svg":       []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`),
		"text":      []byte("just some words"),
		"too large": append(testPNG(t, 4, 4), make([]byte, store.MaxImageBytes+10)...),
	} {
		r := f.Upload(thea, "?post="+p.ID, b, "x")
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("upload of %s = %d, want 422 (or 413)", name, r.Status)
			continue
		}
		if r.Status == http.StatusUnprocessableEntity && !strings.Contains(r.Body, `id="upload-image-error"`) {
			t.Errorf("upload of %s: no error at the file field", name)
		}
	}
	if images, _ := f.St.RecentImages(context.Background(), f.As("thea@example.org"), 10); len(images) != 2 {
		t.Errorf("%d images kept, want the 2 good uploads", len(images))
	}
}
