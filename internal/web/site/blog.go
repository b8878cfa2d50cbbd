package site

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/markdown"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// postsPerPage is how many posts a list page shows.
const postsPerPage = 10

// postCard is a post as a list shows it.
type postCard struct {
	Post    store.Post
	Href    string
	Date    string // in the practice's zone
	DateISO string
	Minutes int
	Excerpt string
	Cover   *coverView
}

// coverView is a cover image with what its <img> needs.
type coverView struct {
	Src           string
	Alt           string
	Width, Height int
	Eager         bool // the first image on the page: not lazy
}

// blogListData is the data of the list, tag and author pages.
type blogListData struct {
	Heading, Intro string
	Posts          []postCard
	Page, Pages    int
	PrevHref       string
	NextHref       string
	URL            string // canonical, absolute
	Description    string
	Empty          string // what to say when there are no posts
}

// blogPostData is the data of a post's page. The share block
// (_share.html) gets the whole page: .Data.Post, .Data.URL,
// .Data.Description and .Crisis.
type blogPostData struct {
	Post        store.Post
	HTML        template.HTML
	Date        string
	DateISO     string
	Minutes     int
	AuthorHref  string
	Cover       *coverView
	Related     []postCard
	URL         string // canonical, absolute
	ImageURL    string // the cover, absolute; "" without one
	Description string
}

// TagHref is the address of a tag's page.
func TagHref(tag string) string { return "/blog/tag/" + url.PathEscape(tag) }

func (s *Handlers) Blog(w http.ResponseWriter, r *http.Request) {
	s.blogList(w, r, "", "", blogListData{
		Heading:     "Blog",
		Intro:       "Notes from our clinicians on ketamine-assisted psychotherapy, preparation and integration, and skills for hard moments.",
		Description: "Notes on ketamine-assisted psychotherapy, preparation, integration and coping skills from the clinicians of " + s.PracticeName(r.Context()) + ".",
		Empty:       "Nothing has been published yet. Please come back soon.",
	}, "/blog")
}

func (s *Handlers) BlogTag(w http.ResponseWriter, r *http.Request) {
	tag := r.PathValue("tag")
	s.blogList(w, r, tag, "", blogListData{
		Heading:     "Posts tagged “" + tag + "”",
		Description: "Posts tagged " + tag + " on the blog of " + s.PracticeName(r.Context()) + ".",
	}, TagHref(tag))
}

func (s *Handlers) BlogAuthor(w http.ResponseWriter, r *http.Request) {
	author := r.PathValue("author")
	s.blogList(w, r, "", author, blogListData{}, "/blog/author/"+url.PathEscape(author))
}

// blogList renders one page of the posts public now, of a tag or an author
// when given. ?page=N past the last page, or not a plain number from 1 up,
// is a 404; so are a tag and an author without posts.
func (s *Handlers) blogList(w http.ResponseWriter, r *http.Request, tag, author string, d blogListData, path string) {
	page := 1
	if v, ok := r.URL.Query()["page"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || strconv.Itoa(n) != v[0] || len(v) > 1 {
			s.NotFound(w, r)
			return
		}
		page = n
	}
	posts, total, err := s.Store.PublishedPosts(r.Context(), tag, author, postsPerPage, (page-1)*postsPerPage)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Pages = max(1, (total+postsPerPage-1)/postsPerPage)
	if author != "" && total == 0 {
		// An author page's old address, from before the credentials left
		// the name (bookmarks, feeds, search engines), moved for good.
		to, err := s.Store.AuthorMoved(r.Context(), author)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if to != "" {
			u := "/blog/author/" + url.PathEscape(to)
			if r.URL.RawQuery != "" {
				u += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, u, http.StatusMovedPermanently)
			return
		}
	}
	if page > d.Pages || total == 0 && (tag != "" || author != "") {
		s.NotFound(w, r)
		return
	}
	d.Page = page
	loc, _ := s.PracticeZone(r)
	first := true
	for _, p := range posts {
		c := s.card(r, p, loc, first)
		first = first && c.Cover == nil
		d.Posts = append(d.Posts, c)
	}
	if author != "" {
		name := clinic.NameWithCredentials(posts[0].AuthorName, posts[0].AuthorCredentials)
		d.Heading = "Posts by " + name
		d.Description = "Posts by " + name + " on the blog of " + s.PracticeName(r.Context()) + "."
	}
	pageHref := func(n int) string {
		if n == 1 {
			return path
		}
		return path + "?page=" + strconv.Itoa(n)
	}
	d.URL = s.LinkBase(r) + pageHref(page)
	if page > 1 {
		d.PrevHref = pageHref(page - 1)
	}
	if page < d.Pages {
		d.NextHref = pageHref(page + 1)
	}
	title := d.Heading
	if page > 1 {
		title += " (page " + strconv.Itoa(page) + ")"
	}
	s.Render(w, r, http.StatusOK, "blog", title, d)
}

// card is p as a list shows it; eager marks the first cover on the page.
func (s *Handlers) card(r *http.Request, p store.Post, loc *time.Location, eager bool) postCard {
	c := postCard{Post: p, Href: "/blog/" + p.Slug, Minutes: markdown.ReadingMinutes(p.Body), Excerpt: p.Summary}
	if c.Excerpt == "" {
		c.Excerpt = markdown.Plain(p.Body, 200)
	}
	if p.PublishAt != nil {
		c.Date, c.DateISO = p.PublishAt.In(loc).Format("January 2, 2006"), p.PublishAt.UTC().Format(time.RFC3339)
	}
	c.Cover = s.cover(r, p, eager)
	return c
}

// cover is p's cover image, or nil without one (or when it is missing).
func (s *Handlers) cover(r *http.Request, p store.Post, eager bool) *coverView {
	if p.CoverImageID == "" {
		return nil
	}
	im, err := s.Store.ImageInfo(r.Context(), p.CoverImageID)
	if err != nil {
		return nil
	}
	return &coverView{Src: "/media/" + im.ID, Alt: p.CoverAlt, Width: im.Width, Height: im.Height, Eager: eager}
}

func (s *Handlers) BlogPost(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.PublishedPost(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	d := blogPostData{
		Post:       *p,
		HTML:       markdown.Render(p.Body),
		Minutes:    markdown.ReadingMinutes(p.Body),
		AuthorHref: "/blog/author/" + url.PathEscape(p.AuthorSlug),
		Cover:      s.cover(r, *p, true),
		URL:        s.LinkBase(r) + "/blog/" + p.Slug,
	}
	d.Date, d.DateISO = p.PublishAt.In(loc).Format("January 2, 2006"), p.PublishAt.UTC().Format(time.RFC3339)
	if d.Cover != nil {
		d.ImageURL = s.LinkBase(r) + d.Cover.Src
	}
	d.Description = p.Summary
	if d.Description == "" {
		d.Description = markdown.Plain(p.Body, 160)
	}
	related, err := s.Store.RelatedPosts(r.Context(), p, 3)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, rp := range related {
		d.Related = append(d.Related, s.card(r, rp, loc, false))
	}
	s.Render(w, r, http.StatusOK, "blog_post", p.Title, d)
}

// Media serves an uploaded image. Its id never names other bytes, so
// browsers and proxies may keep it for a year.
func (s *Handlers) Media(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("image")
	if !store.ValidID(id) {
		s.NotFound(w, r)
		return
	}
	etag := `"` + id + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	im, err := s.Store.Image(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", im.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(im.Bytes)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(im.Bytes)
	}
}

// postRow is a post in the staff list.
type postRow struct {
	Post    store.Post
	CanEdit bool
	State   string // Draft, Published …, Scheduled for …
	Live    bool   // public now
	Updated string
}

type postsData struct {
	Rows   []postRow
	Notice string
	// Total counts every post; NextURL and PrevURL link the neighbouring
	// pages ("" for none).
	Total            int
	NextURL, PrevURL string
}

// Posts lists the posts for the staff, the most recently changed first, a
// page at a time (keyed by a post's id).
func (s *Handlers) Posts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k := store.PageKey{}
	if v := q.Get("after"); store.ValidID(v) {
		k.After = v
	}
	if v := q.Get("before"); store.ValidID(v) {
		k.Before = v
	}
	page, err := s.Store.Posts(r.Context(), s.Actor(r), k)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	posts := page.Rows
	loc, _ := s.PracticeZone(r)
	now := s.Now()
	actor := s.Actor(r)
	d := postsData{Total: page.Total}
	if page.Next != "" {
		d.NextURL = "/site/posts?after=" + url.QueryEscape(page.Next)
	}
	if page.Prev != "" {
		d.PrevURL = "/site/posts?before=" + url.QueryEscape(page.Prev)
	}
	for _, p := range posts {
		d.Rows = append(d.Rows, postRow{Post: p, CanEdit: store.CanEditPost(actor, &p), State: postState(p, now, loc),
			Live: p.Visible(now), Updated: p.UpdatedAt.In(loc).Format("Jan 2, 2006, 15:04 MST")})
	}
	s.Render(w, r, http.StatusOK, "site_posts", "Blog posts", d)
}

// postState says in words whether p is a draft, public, or waiting for its time.
func postState(p store.Post, now time.Time, loc *time.Location) string {
	switch {
	case p.Status != store.PostPublished || p.PublishAt == nil:
		return "Draft"
	case p.PublishAt.After(now):
		return "Scheduled for " + p.PublishAt.In(loc).Format("Mon Jan 2, 2006, 15:04 MST")
	}
	return "Published " + p.PublishAt.In(loc).Format("Jan 2, 2006")
}

// editorData is the data of the post editor.
type editorData struct {
	Post       *store.Post // the saved post; nil for a new one
	Action     string      // where the form posts
	Form       url.Values
	Errors     map[string]string
	Notice     string
	State      string
	Live       bool
	Zone       string
	Authors    []*clinic.User // admins choose the author
	Images     []imageView    // recent uploads, for the cover and the body
	Uploaded   *store.Image   // just uploaded
	Upload     url.Values     // the upload form's input after an error
	UploadErrs map[string]string
	Preview    *previewView
}

// previewView is what a preview shows: the post as it would appear.
type previewView struct {
	Title   string
	HTML    template.HTML
	Minutes int
	Summary string
}

// Snippet is the Markdown that shows im in a post.
func Snippet(im store.Image) string {
	alt := strings.NewReplacer("[", "", "]", "", "\n", " ").Replace(im.Alt)
	return "![" + alt + "](/media/" + im.ID + ")"
}

// imageView is an uploaded image in the editor.
type imageView struct{ store.Image }

// Snippet is the Markdown that shows the image in a post.
func (v imageView) Snippet() string { return Snippet(v.Image) }

// Published reports whether the post being edited is published (public
// now or scheduled), so its buttons are Save changes and Unpublish.
func (d editorData) Published() bool {
	return d.Post != nil && d.Post.Status == store.PostPublished
}

// Snippet is the Markdown for the image just uploaded.
func (d editorData) Snippet() string {
	if d.Uploaded == nil {
		return ""
	}
	return Snippet(*d.Uploaded)
}

func (s *Handlers) PostNew(w http.ResponseWriter, r *http.Request) {
	d := editorData{Action: "/site/posts", Form: url.Values{}}
	s.editorPage(w, r, &d, http.StatusOK)
}

func (s *Handlers) PostEdit(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.Post(r.Context(), s.Actor(r), r.PathValue("post"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	loc, _ := s.PracticeZone(r)
	d := editorData{Post: p, Action: "/site/posts/" + p.ID, Form: postForm(p, loc)}
	switch r.URL.Query().Get("done") {
	case "saved":
		d.Notice = "Saved."
	case "published":
		d.Notice = "Published."
	case "scheduled":
		d.Notice = "Scheduled: the post appears on the blog at its publish time."
	case "unpublished":
		d.Notice = "Taken off the blog. It is a draft again."
	}
	s.editorPage(w, r, &d, http.StatusOK)
}

// postForm is p as the editor's form values.
func postForm(p *store.Post, loc *time.Location) url.Values {
	f := url.Values{"title": {p.Title}, "slug": {p.Slug}, "summary": {p.Summary}, "body": {p.Body},
		"tags": {strings.Join(p.Tags, ", ")}, "cover_image_id": {p.CoverImageID}, "cover_alt": {p.CoverAlt}, "author": {p.AuthorID}}
	if p.PublishAt != nil {
		f.Set("publish_at", p.PublishAt.In(loc).Format("2006-01-02T15:04"))
	}
	return f
}

// editorPage fills in what every view of the editor shows and renders it.
func (s *Handlers) editorPage(w http.ResponseWriter, r *http.Request, d *editorData, status int) {
	actor := s.Actor(r)
	loc, zone := s.PracticeZone(r)
	d.Zone = zone
	if d.Post != nil {
		d.State, d.Live = postState(*d.Post, s.Now(), loc), d.Post.Visible(s.Now())
	}
	recent, err := s.Store.RecentImages(r.Context(), actor, 12)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, im := range recent {
		d.Images = append(d.Images, imageView{im})
	}
	if id := r.URL.Query().Get("image"); id != "" && d.Uploaded == nil {
		if im, err := s.Store.ImageInfo(r.Context(), id); err == nil {
			d.Uploaded = im
		}
	}
	// The current cover stays a choice even when it is no longer recent.
	if id := d.Form.Get("cover_image_id"); id != "" && !hasImage(d.Images, id) {
		if im, err := s.Store.ImageInfo(r.Context(), id); err == nil {
			d.Images = append(d.Images, imageView{*im})
		}
	}
	if auth.Can(actor.Role, auth.RelNone, auth.PermEditPost) {
		for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber, clinic.RoleAdmin} {
			us, err := s.Store.ListStaff(r.Context(), role)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			d.Authors = append(d.Authors, us...)
		}
		if d.Form.Get("author") == "" {
			d.Form.Set("author", actor.UserID)
		}
	}
	title := "New post"
	if d.Post != nil {
		title = "Edit: " + d.Post.Title
	}
	s.Render(w, r, status, "site_post", title, *d)
}

func hasImage(ims []imageView, id string) bool {
	for _, im := range ims {
		if im.ID == id {
			return true
		}
	}
	return false
}

func (s *Handlers) PostCreate(w http.ResponseWriter, r *http.Request) {
	s.savePost(w, r, nil)
}

func (s *Handlers) PostSave(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.Post(r.Context(), s.Actor(r), r.PathValue("post"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.savePost(w, r, p)
}

// savePost handles the editor's buttons: preview renders the post below
// the form and saves nothing; save keeps the post's status (a new post is
// a draft); publish makes it public at its publish time (now when empty);
// unpublish makes it a draft again. A form with errors comes back with
// what was typed and a message at each field.
func (s *Handlers) savePost(w http.ResponseWriter, r *http.Request, old *store.Post) {
	loc, _ := s.PracticeZone(r)
	d := editorData{Post: old, Action: "/site/posts", Form: r.PostForm}
	if old != nil {
		d.Action = "/site/posts/" + old.ID
	}
	p := &store.Post{
		Title: r.PostFormValue("title"), Slug: r.PostFormValue("slug"), Summary: r.PostFormValue("summary"),
		Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"), Tags: strings.Split(r.PostFormValue("tags"), ","),
		CoverImageID: r.PostFormValue("cover_image_id"), CoverAlt: r.PostFormValue("cover_alt"),
		AuthorID: r.PostFormValue("author"), Status: store.PostDraft,
	}
	action := r.PostFormValue("action")
	if action == "preview" {
		d.Preview = &previewView{Title: strings.TrimSpace(p.Title), HTML: markdown.Render(p.Body), Minutes: markdown.ReadingMinutes(p.Body), Summary: strings.TrimSpace(p.Summary)}
		s.editorPage(w, r, &d, http.StatusOK)
		return
	}
	if old != nil {
		p.ID, p.Status = old.ID, old.Status
	}
	done := "saved"
	switch action {
	case "publish":
		p.Status, done = store.PostPublished, "published"
	case "unpublish":
		p.Status, done = store.PostDraft, "unpublished"
	}
	fe := store.CheckPost(p)
	if v := strings.TrimSpace(r.PostFormValue("publish_at")); v != "" {
		if t, ok := shell.ParseLocal(v, loc); ok {
			p.PublishAt = &t
		} else {
			fe.Add("publish_at", "Enter a date and time, like 2026-12-03 10:00.")
		}
	}
	if len(fe) == 0 {
		err := s.Store.SavePost(r.Context(), s.Actor(r), p)
		var ce *clinic.Error
		if errors.As(err, &ce) && ce.Code == clinic.EInvalid {
			fe = ce.Fields
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if len(fe) > 0 {
		d.Errors = fe
		s.editorPage(w, r, &d, http.StatusUnprocessableEntity)
		return
	}
	if p.Scheduled(s.Now()) && action == "publish" {
		done = "scheduled"
	}
	http.Redirect(w, r, "/site/posts/"+p.ID+"?done="+done, http.StatusSeeOther)
}

// draftFields are the post editor's fields an upload from the editor
// carries along, so that the draft comes back with the new image.
var draftFields = []string{"title", "slug", "summary", "body", "tags", "publish_at", "cover_image_id", "cover_alt", "author"}

// readUpload reads an upload's multipart form part by part: its text
// fields (the description, and the editor's draft when the editor's form
// sent it) and the image's bytes. Reading in order keeps the draft's
// fields, which come before the file, even when the file is too large.
func readUpload(w http.ResponseWriter, r *http.Request) (url.Values, []byte, clinic.FieldErrors) {
	r.Body = http.MaxBytesReader(w, r.Body, shell.MaxUploadBytes)
	vals, fe := url.Values{}, clinic.FieldErrors{}
	var data []byte
	mr, err := r.MultipartReader()
	if err != nil {
		fe.Add("image", "Choose an image to upload.")
		return vals, nil, fe
	}
	failed := func(err error) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fe.Add("image", "That file is larger than the "+strconv.FormatInt(tooBig.Limit>>20, 10)+" MB that can be uploaded here. Save a smaller copy and upload that.")
		} else {
			fe.Add("image", "The upload could not be read. Please try again.")
		}
	}
	text := 0 // bytes of text fields read, bounded like any form
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			failed(err)
			break
		}
		name := part.FormName()
		if name == "image" {
			// One byte more than allowed, so SaveImage sees it is too large.
			if data, err = io.ReadAll(io.LimitReader(part, store.MaxImageBytes+1)); err != nil {
				failed(err)
				break
			}
			continue
		}
		if part.FileName() != "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, int64(maxTextBytes-text+1)))
		if err != nil {
			failed(err)
			break
		}
		if text += len(b); text > maxTextBytes {
			fe.Add("image", "The upload could not be read. Please try again.")
			break
		}
		vals.Add(name, string(b))
	}
	if len(fe) == 0 && len(data) == 0 {
		fe.Add("image", "Choose an image to upload.")
	}
	return vals, data, fe
}

// maxTextBytes bounds the text fields of an upload (the draft), as any
// form is bounded.
const maxTextBytes = 1 << 20

// uploadAnswer is the JSON answer to an upload from the editor's script.
type uploadAnswer struct {
	ID      string            `json:"id,omitempty"`
	Snippet string            `json:"snippet,omitempty"`
	Label   string            `json:"label,omitempty"` // as the cover choice names it
	Errors  map[string]string `json:"errors,omitempty"`
}

// ImageUpload keeps an uploaded image. Sent by the editor's script
// (Accept: application/json) it answers the image's Markdown as JSON, and
// the script puts it at the cursor. Sent by the editor's form without
// script, the draft came along: the editor comes back with the draft as
// it was (not saved) and the Markdown to paste. Sent without a draft it
// goes back to the editor, which shows the Markdown.
func (s *Handlers) ImageUpload(w http.ResponseWriter, r *http.Request) {
	back := "/site/posts/new"
	var old *store.Post
	vals, data, fe := readUpload(w, r)
	if id := r.URL.Query().Get("post"); id != "" {
		p, err := s.Store.Post(r.Context(), s.Actor(r), id)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		old, back = p, "/site/posts/"+p.ID
	}
	asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	_, withDraft := vals["body"]
	var im *store.Image
	if len(fe) == 0 {
		var err error
		im, err = s.Store.SaveImage(r.Context(), s.Actor(r), data, vals.Get("alt"))
		var ce *clinic.Error
		if errors.As(err, &ce) && ce.Code == clinic.EInvalid {
			fe = ce.Fields
		} else if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	switch {
	case asJSON && len(fe) > 0:
		writeJSON(w, http.StatusUnprocessableEntity, uploadAnswer{Errors: fe})
		return
	case asJSON:
		label := im.Alt
		if label == "" {
			label = "Image " + im.ID
		}
		writeJSON(w, http.StatusOK, uploadAnswer{ID: im.ID, Snippet: Snippet(*im), Label: label + " (" + strconv.Itoa(im.Width) + "×" + strconv.Itoa(im.Height) + ")"})
		return
	case len(fe) == 0 && !withDraft:
		http.Redirect(w, r, back+"?image="+im.ID, http.StatusSeeOther)
		return
	}
	loc, _ := s.PracticeZone(r)
	d := editorData{Post: old, Action: "/site/posts", Form: url.Values{}, Uploaded: im}
	if old != nil {
		d.Action, d.Form = "/site/posts/"+old.ID, postForm(old, loc)
	}
	if withDraft {
		// The draft as it was in the form: nothing of it is saved here.
		d.Form = url.Values{}
		for _, k := range draftFields {
			if v, ok := vals[k]; ok {
				d.Form[k] = v
			}
		}
		d.Form.Set("body", strings.ReplaceAll(d.Form.Get("body"), "\r\n", "\n"))
	}
	status := http.StatusOK
	if len(fe) > 0 {
		d.UploadErrs, d.Upload, status = fe, url.Values{"alt": {vals.Get("alt")}}, http.StatusUnprocessableEntity
	}
	s.editorPage(w, r, &d, status)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
