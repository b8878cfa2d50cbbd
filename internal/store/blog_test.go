package store_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

type blogFixture struct {
	s                      *store.Store
	now                    time.Time
	admin, thea, theo, pat store.Actor
	ctx                    context.Context
	t                      *testing.T
}

func newBlogFixture(t *testing.T) *blogFixture {
	t.Helper()
	f := &blogFixture{s: storetest.Open(t), now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), ctx: context.Background(), t: t}
	f.s.Now = func() time.Time { return f.now }
	for _, u := range []struct {
		a    *store.Actor
		name string
		role clinic.Role
	}{
		{&f.admin, "Ada Admin", clinic.RoleAdmin},
		{&f.thea, "Thea Therapist, LMFT", clinic.RoleTherapist},
		{&f.theo, "Theo Therapist", clinic.RoleTherapist},
		{&f.pat, "Pat Patient", clinic.RolePatient},
	} {
		cu := &clinic.User{Email: strings.ToLower(strings.Fields(u.name)[0]) + "@example.org", DisplayName: u.name, Role: u.role}
		if c := clinic.TrailingCredentials(u.name); c != "" { // credentials are kept apart from the name
			cu.DisplayName, cu.Credentials = strings.TrimSuffix(u.name, ", "+c), c
		}
		if err := f.s.CreateUser(f.ctx, store.System, cu, "hash"); err != nil {
			t.Fatal(err)
		}
		*u.a = store.Actor{UserID: cu.ID, Role: u.role}
	}
	return f
}

// save saves a post and fails the test on error.
func (f *blogFixture) save(actor store.Actor, p *store.Post) *store.Post {
	f.t.Helper()
	if err := f.s.SavePost(f.ctx, actor, p); err != nil {
		f.t.Fatalf("SavePost(%q) = %v", p.Title, err)
	}
	return p
}

func (f *blogFixture) published(tag, author string) []string {
	f.t.Helper()
	posts, total, err := f.s.PublishedPosts(f.ctx, tag, author, 100, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if total != len(posts) {
		f.t.Errorf("PublishedPosts(%q, %q) total = %d, want %d", tag, author, total, len(posts))
	}
	var slugs []string
	for _, p := range posts {
		slugs = append(slugs, p.Slug)
	}
	return slugs
}

func fieldError(err error, field string) string {
	var ce *clinic.Error
	if errors.As(err, &ce) && ce.Code == clinic.EInvalid {
		return ce.Fields[field]
	}
	return ""
}

// TestScheduledPostAppearsAtItsTime: a post published for a later time is
// invisible until the store's clock reaches it, and visible from then on.
func TestScheduledPostAppearsAtItsTime(t *testing.T) {
	f := newBlogFixture(t)
	at := f.now.Add(7 * 24 * time.Hour)
	p := f.save(f.thea, &store.Post{Title: "Winter skills", Body: "TIPP.", Status: store.PostPublished, PublishAt: &at})
	if got := f.published("", ""); len(got) != 0 {
		t.Errorf("before its time, PublishedPosts = %v, want none", got)
	}
	if _, err := f.s.PublishedPost(f.ctx, p.Slug); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("before its time, PublishedPost = %v, want ENotFound", err)
	}
	next, err := f.s.NextPublishAt(f.ctx)
	if err != nil || next == nil || !next.Equal(at) {
		t.Errorf("NextPublishAt = %v, %v; want %v", next, err, at)
	}
	f.now = at.Add(-time.Second)
	if got := f.published("", ""); len(got) != 0 {
		t.Errorf("a second before its time, PublishedPosts = %v, want none", got)
	}
	f.now = at
	if got := f.published("", ""); !cmp.Equal(got, []string{"winter-skills"}) {
		t.Errorf("at its time, PublishedPosts = %v, want [winter-skills]", got)
	}
	got, err := f.s.PublishedPost(f.ctx, "winter-skills")
	if err != nil || got.Title != "Winter skills" || got.AuthorName != "Thea Therapist" || got.AuthorSlug != "thea-therapist" {
		t.Errorf("at its time, PublishedPost = %+v, %v", got, err)
	}
	if next, err := f.s.NextPublishAt(f.ctx); err != nil || next != nil {
		t.Errorf("after it appeared, NextPublishAt = %v, %v; want nil", next, err)
	}
	if last, err := f.s.LastSiteChange(f.ctx); err != nil || !last.Equal(at) {
		t.Errorf("LastSiteChange = %v, %v; want the publish time %v", last, err, at)
	}
}

func TestDraftsAndUnpublishedPostsAreNotPublic(t *testing.T) {
	f := newBlogFixture(t)
	d := f.save(f.thea, &store.Post{Title: "A draft", Status: store.PostDraft})
	p := f.save(f.thea, &store.Post{Title: "Out now", Status: store.PostPublished})
	if p.PublishAt == nil || !p.PublishAt.Equal(f.now) {
		t.Errorf("publishing with no time set publish_at %v, want now %v", p.PublishAt, f.now)
	}
	if got := f.published("", ""); !cmp.Equal(got, []string{"out-now"}) {
		t.Errorf("PublishedPosts = %v, want [out-now]", got)
	}
	if _, err := f.s.PublishedPost(f.ctx, d.Slug); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("PublishedPost of a draft = %v, want ENotFound", err)
	}
	p.Status = store.PostDraft
	f.now = f.now.Add(time.Minute)
	f.save(f.thea, p)
	if got := f.published("", ""); len(got) != 0 {
		t.Errorf("after unpublishing, PublishedPosts = %v, want none", got)
	}
	all, err := f.s.Posts(f.ctx, f.theo, store.PageKey{})
	if err != nil || len(all.Rows) != 2 || all.Total != 2 {
		t.Errorf("Posts for staff = %+v, %v; want both drafts", all, err)
	}
	if _, err := f.s.Posts(f.ctx, f.pat, store.PageKey{}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("Posts for a patient = %v, want ENotFound", err)
	}
}

func TestPublishedPostsPagesTagsAndAuthors(t *testing.T) {
	f := newBlogFixture(t)
	start := f.now
	for i := range 23 {
		at := start.Add(-time.Duration(i) * time.Hour) // post 0 is the newest
		author, tags := f.thea, []string{"Integration"}
		if i%2 == 1 {
			author, tags = f.theo, []string{"DBT skills", "winter"}
		}
		f.save(author, &store.Post{Title: "Post " + string(rune('a'+i)), Status: store.PostPublished, PublishAt: &at, Tags: tags})
	}
	page, total, err := f.s.PublishedPosts(f.ctx, "", "", 10, 20)
	if err != nil || total != 23 || len(page) != 3 || page[0].Slug != "post-u" || page[2].Slug != "post-w" {
		t.Errorf("third page = %d posts from %v, total %d, %v; want post-u..post-w of 23", len(page), slugsOf(page), total, err)
	}
	if page, total, err := f.s.PublishedPosts(f.ctx, "", "", 10, 30); err != nil || total != 23 || len(page) != 0 {
		t.Errorf("past the end = %d posts, total %d, %v", len(page), total, err)
	}
	if got := f.published("dbt-skills", ""); len(got) != 11 {
		t.Errorf("tag dbt-skills has %d posts, want 11", len(got))
	}
	if got := f.published("integration", "thea-therapist"); len(got) != 12 {
		t.Errorf("thea's integration posts = %d, want 12", len(got))
	}
	if got := f.published("", "theo-therapist"); len(got) != 11 {
		t.Errorf("theo's posts = %d, want 11", len(got))
	}
	if got := f.published("", "nobody"); len(got) != 0 {
		t.Errorf("nobody's posts = %v, want none", got)
	}
	if got := f.published("no-such-tag", ""); len(got) != 0 {
		t.Errorf("no-such-tag's posts = %v, want none", got)
	}
	p, err := f.s.PublishedPost(f.ctx, "post-b")
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(p.Tags, []string{"dbt-skills", "winter"}) {
		t.Errorf("tags = %q, want them normalised and sorted", p.Tags)
	}
	rel, err := f.s.RelatedPosts(f.ctx, p, 3)
	if err != nil || !cmp.Equal(slugsOf(rel), []string{"post-d", "post-f", "post-h"}) {
		t.Errorf("RelatedPosts(post-b) = %v, %v; want the newest posts sharing its tags", slugsOf(rel), err)
	}
	p.Tags = nil
	if rel, err := f.s.RelatedPosts(f.ctx, p, 3); err != nil || !cmp.Equal(slugsOf(rel), []string{"post-a", "post-c", "post-d"}) {
		t.Errorf("RelatedPosts without tags = %v, %v; want the newest others", slugsOf(rel), err)
	}
}

func slugsOf(ps []store.Post) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Slug)
	}
	return out
}

func TestClinicianCannotEditAnothersPost(t *testing.T) {
	f := newBlogFixture(t)
	p := f.save(f.thea, &store.Post{Title: "Thea's post", Status: store.PostDraft})
	if p.AuthorID != f.thea.UserID {
		t.Errorf("author = %s, want the writer", p.AuthorID)
	}
	edit := *p
	edit.Title = "Taken over"
	if err := f.s.SavePost(f.ctx, f.theo, &edit); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("theo saving thea's post = %v, want ENotFound", err)
	}
	if _, err := f.s.Post(f.ctx, f.theo, p.ID); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("theo opening thea's post = %v, want ENotFound", err)
	}
	if err := f.s.SavePost(f.ctx, f.pat, &store.Post{Title: "Patient post", Status: store.PostDraft}); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a patient writing a post = %v, want ENotFound", err)
	}
	// A clinician naming someone else as the author is still the author.
	own := f.save(f.theo, &store.Post{Title: "Theo's post", Status: store.PostDraft, AuthorID: f.thea.UserID})
	if own.AuthorID != f.theo.UserID {
		t.Errorf("theo's post has author %s, want theo", own.AuthorID)
	}
	// An administrator edits any post and may name its author.
	edit.AuthorID = f.theo.UserID
	f.save(f.admin, &edit)
	got, err := f.s.Post(f.ctx, f.theo, p.ID)
	if err != nil || got.Title != "Taken over" {
		t.Errorf("after the admin gave it to theo, Post = %+v, %v", got, err)
	}
	edit.AuthorID = f.pat.UserID
	if err := f.s.SavePost(f.ctx, f.admin, &edit); fieldError(err, "author") == "" {
		t.Errorf("a patient as author = %v, want an author field error", err)
	}
	n, _, err := f.s.CountAudit(f.ctx, "blog.save", p.ID, "", time.Time{})
	if err != nil || n != 2 {
		t.Errorf("blog.save audit rows for the post = %d, %v; want 2", n, err)
	}
}

func TestSavePostValidation(t *testing.T) {
	f := newBlogFixture(t)
	first := f.save(f.thea, &store.Post{Title: "What happens on a dosing day?", Status: store.PostDraft})
	if first.Slug != "what-happens-on-a-dosing-day" {
		t.Errorf("slug from the title = %q", first.Slug)
	}
	second := f.save(f.theo, &store.Post{Title: "What happens on a dosing day", Status: store.PostDraft})
	if second.Slug != "what-happens-on-a-dosing-day-2" {
		t.Errorf("second slug from the same title = %q, want -2", second.Slug)
	}
	for _, tt := range []struct {
		name  string
		p     store.Post
		field string
	}{
		{"explicit slug taken", store.Post{Title: "x", Slug: "what-happens-on-a-dosing-day", Status: "draft"}, "slug"},
		{"slug with capitals", store.Post{Title: "x", Slug: "Hello", Status: "draft"}, "slug"},
		{"slug with a slash", store.Post{Title: "x", Slug: "a/b", Status: "draft"}, "slug"},
		{"reserved slug", store.Post{Title: "x", Slug: "tag", Status: "draft"}, "slug"},
		{"no title", store.Post{Title: "  ", Status: "draft"}, "title"},
		{"long title", store.Post{Title: strings.Repeat("a", 201), Status: "draft"}, "title"},
		{"long summary", store.Post{Title: "x", Summary: strings.Repeat("a", 301), Status: "draft"}, "summary"},
		{"long body", store.Post{Title: "x", Body: strings.Repeat("a", 100_001), Status: "draft"}, "body"},
		{"nine tags", store.Post{Title: "x", Tags: strings.Split("a,b,c,d,e,f,g,h,i", ","), Status: "draft"}, "tags"},
		{"long tag", store.Post{Title: "x", Tags: []string{strings.Repeat("t", 31)}, Status: "draft"}, "tags"},
		{"bad status", store.Post{Title: "x", Status: "live"}, "status"},
		{"unknown cover", store.Post{Title: "x", CoverImageID: "nope", CoverAlt: "a", Status: "draft"}, "cover_image_id"},
		{"cover without alt", store.Post{Title: "x", CoverImageID: "nope", Status: "draft"}, "cover_alt"},
	} {
		p := tt.p
		err := f.s.SavePost(f.ctx, f.thea, &p)
		if fieldError(err, tt.field) == "" {
			t.Errorf("%s: SavePost = %v, want a %s field error", tt.name, err, tt.field)
		}
		if p.ID != "" {
			t.Errorf("%s: a refused post got id %s", tt.name, p.ID)
		}
	}
	if all, _ := f.s.Posts(f.ctx, f.admin, store.PageKey{}); all.Total != 2 {
		t.Errorf("after refused saves there are %d posts, want 2", all.Total)
	}
	// Renaming keeps the address unless it is changed.
	first.Title = "Dosing day, step by step"
	f.save(f.thea, first)
	if first.Slug != "what-happens-on-a-dosing-day" {
		t.Errorf("slug after a rename = %q, want it kept", first.Slug)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{0x2f, 0x6f, 0x5e, 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveImage(t *testing.T) {
	f := newBlogFixture(t)
	data := pngBytes(t, 40, 30)
	img, err := f.s.SaveImage(f.ctx, f.thea, data, "  A calm lake  ")
	if err != nil {
		t.Fatal(err)
	}
	if img.ContentType != "image/png" || img.Width != 40 || img.Height != 30 || img.Alt != "A calm lake" || img.Size != len(data) {
		t.Errorf("SaveImage = %+v", img)
	}
	got, err := f.s.Image(f.ctx, img.ID)
	if err != nil || !bytes.Equal(got.Bytes, data) || got.ContentType != "image/png" {
		t.Errorf("Image = %v bytes, %v", len(got.Bytes), err)
	}
	if _, err := f.s.Image(f.ctx, "nope"); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("Image(nope) = %v, want ENotFound", err)
	}
	big := append(pngBytes(t, 10, 10), make([]byte, store.MaxImageBytes)...)
	for name, b := range map[string][]byte{
		"html":        []byte("<html><script>alert(1)</script></html>"),
		"svg":         []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"empty":       nil,
		"over 5 MB":   big,
		"truncated":   data[:20],
		"webp header": []byte("RIFF\x00\x00\x00\x00WEBPVP8 "),
	} {
		if _, err := f.s.SaveImage(f.ctx, f.thea, b, ""); fieldError(err, "image") == "" {
			t.Errorf("SaveImage(%s) = %v, want an image field error", name, err)
		}
	}
	if _, err := f.s.SaveImage(f.ctx, f.pat, data, ""); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("a patient uploading = %v, want ENotFound", err)
	}
	recent, err := f.s.RecentImages(f.ctx, f.theo, 5)
	if err != nil || len(recent) != 1 || recent[0].ID != img.ID || recent[0].Bytes != nil {
		t.Errorf("RecentImages = %+v, %v", recent, err)
	}
	// A post may use it as its cover.
	p := f.save(f.thea, &store.Post{Title: "Lake", Status: store.PostPublished, CoverImageID: img.ID, CoverAlt: "A calm lake"})
	if pp, err := f.s.PublishedPost(f.ctx, p.Slug); err != nil || pp.CoverImageID != img.ID || pp.CoverAlt != "A calm lake" {
		t.Errorf("PublishedPost cover = %+v, %v", pp, err)
	}
}

func TestNormalizeTags(t *testing.T) {
	got, msg := store.NormalizeTags([]string{" DBT Skills ", "dbt-skills", "", "Winter!", "ça va"})
	if msg != "" || !cmp.Equal(got, []string{"ca-va", "dbt-skills", "winter"}) {
		t.Errorf("NormalizeTags = %q, %q", got, msg)
	}
}
