package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/media"
	"github.com/kapstone/kapstone/internal/slug"
)

// The blog (issue 8, item 2). Posts hold no patient information: public
// reads are not audited; every write is.

// Post statuses. A published post is public once its PublishAt has come.
const (
	PostDraft     = "draft"
	PostPublished = "published"
)

// Limits on what a post and an image may hold.
const (
	MaxPostTitle   = 200
	MaxPostSummary = 300
	MaxPostBody    = 100_000
	MaxPostSlug    = 100
	MaxPostTags    = 8
	MaxTagLength   = 30
	MaxAltText     = 200
	MaxImageBytes  = media.MaxBytes
)

// Post is one blog post. Body is Markdown. AuthorSlug and
// AuthorCredentials come from the author's account (see authorSlug).
type Post struct {
	ID, Slug, Title, Summary, Body, AuthorID, AuthorName, AuthorSlug, AuthorCredentials string
	Status                                                                              string
	PublishAt                                                                           *time.Time
	CoverImageID, CoverAlt                                                              string
	Tags                                                                                []string
	UpdatedAt                                                                           time.Time
}

// Visible reports whether p is public at now: published, and its time has come.
func (p *Post) Visible(now time.Time) bool {
	return p.Status == PostPublished && p.PublishAt != nil && !p.PublishAt.After(now)
}

// Scheduled reports whether p is published to appear after now.
func (p *Post) Scheduled(now time.Time) bool {
	return p.Status == PostPublished && p.PublishAt != nil && p.PublishAt.After(now)
}

// CanEditPost reports whether actor may change p (auth.PermEditPost): an
// administrator any post, a therapist or prescriber their own.
func CanEditPost(actor Actor, p *Post) bool {
	return auth.Can(actor.Role, ownRelation(actor, p.AuthorID), auth.PermEditPost)
}

// authorSlug is the part of an author page's address that names the
// author: their public staff profile's address (the one the About page
// links to), else their display name in lower case, each run of other
// characters a hyphen ("Lena Ortiz, LMFT" → "lena-ortiz-lmft").
func authorSlug(displayName, profileSlug string) string {
	if profileSlug != "" {
		return profileSlug
	}
	return slug.Make(displayName, 80)
}

// reservedSlugs would be confusing as a post's address next to the blog's
// own pages and feeds.
var reservedSlugs = []string{"tag", "author", "page", "feed", "rss", "atom", "new"}

const postColumns = `p.id, p.slug, p.title, p.summary, p.body, p.author_id, u.display_name, p.status, p.publish_at, p.cover_image_id, p.cover_alt, p.updated_at,
	coalesce(sp.slug, ''), CASE WHEN sp.user_id IS NULL THEN '' ELSE coalesce(nullif(sp.credentials, ''), u.credentials) END`

// postFrom joins a post's author and, when they have a public staff
// profile, its address and credentials (the same as the About page's).
const postFrom = ` FROM blog_posts p JOIN users u ON u.id = p.author_id LEFT JOIN staff_profiles sp ON sp.user_id = p.author_id AND sp.public`

// visibleAt is the condition for a post that is public at the time in $1.
const visibleAt = `p.status = 'published' AND p.publish_at IS NOT NULL AND p.publish_at <= $1`

func scanPost(row scanner) (Post, error) {
	var p Post
	var at nullTime
	var profileSlug string
	err := row.Scan(&p.ID, &p.Slug, &p.Title, &p.Summary, &p.Body, &p.AuthorID, &p.AuthorName, &p.Status, &at, &p.CoverImageID, &p.CoverAlt, &p.UpdatedAt,
		&profileSlug, &p.AuthorCredentials)
	p.PublishAt = at.ptr()
	p.UpdatedAt = p.UpdatedAt.UTC()
	p.AuthorSlug = authorSlug(p.AuthorName, profileSlug)
	return p, err
}

// placeholders is "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// loadTags fills in the tags of posts, in alphabetical order.
func loadTags(ctx context.Context, tx *Tx, posts []Post) error {
	if len(posts) == 0 {
		return nil
	}
	at := map[string]int{}
	args := make([]any, len(posts))
	for i, p := range posts {
		at[p.ID] = i
		args[i] = p.ID
		posts[i].Tags = nil
	}
	tags, err := queryAll(ctx, tx, func(row scanner) (t [2]string, err error) {
		err = row.Scan(&t[0], &t[1])
		return t, err
	}, `SELECT post_id, tag FROM blog_post_tags WHERE post_id IN (`+placeholders(1, len(posts))+`) ORDER BY tag`, args...)
	if err != nil {
		return err
	}
	for _, t := range tags {
		id, tag := t[0], t[1]
		posts[at[id]].Tags = append(posts[at[id]].Tags, tag)
	}
	return nil
}

// PublishedPosts lists the posts public now, newest first, limit of them
// from offset, with the number there are in all (for pages). A tag keeps
// the posts with that tag; an author slug those of that author. Not
// audited: posts are public.
func (s *Store) PublishedPosts(ctx context.Context, tag, authorSlug string, limit, offset int) ([]Post, int, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	offset = max(offset, 0)
	var out []Post
	total := 0
	err := s.read(ctx, func(tx *Tx) error {
		where := ` WHERE ` + visibleAt
		args := []any{s.now()}
		if tag != "" {
			args = append(args, tag)
			where += ` AND EXISTS (SELECT 1 FROM blog_post_tags t WHERE t.post_id = p.id AND t.tag = $` + strconv.Itoa(len(args)) + `)`
		}
		if authorSlug != "" {
			ids, err := authorsWithSlug(ctx, tx, authorSlug)
			if err != nil || len(ids) == 0 {
				return err
			}
			where += ` AND p.author_id IN (` + placeholders(len(args)+1, len(ids)) + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT count(*)`+postFrom+where, args...).Scan(&total); err != nil {
			return err
		}
		if total == 0 || offset >= total {
			return nil
		}
		n := len(args)
		args = append(args, limit, offset)
		var err error
		out, err = queryAll(ctx, tx, scanPost, `SELECT `+postColumns+postFrom+where+
			` ORDER BY p.publish_at DESC, p.id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), args...)
		if err != nil {
			return err
		}
		return loadTags(ctx, tx, out)
	})
	return out, total, err
}

// authorsWithSlug are the ids of the blog's authors whose slug is slug.
func authorsWithSlug(ctx context.Context, tx *Tx, slug string) ([]string, error) {
	type author struct{ id, name, profile string }
	all, err := queryAll(ctx, tx, func(row scanner) (a author, err error) {
		return a, row.Scan(&a.id, &a.name, &a.profile)
	}, `SELECT DISTINCT u.id, u.display_name, coalesce(sp.slug, '') FROM users u JOIN blog_posts p ON p.author_id = u.id
		LEFT JOIN staff_profiles sp ON sp.user_id = u.id AND sp.public`)
	var ids []string
	for _, a := range all {
		if authorSlug(a.name, a.profile) == slug {
			ids = append(ids, a.id)
		}
	}
	return ids, err
}

// AuthorMoved is the current author-page slug of the author whose page
// was at old before their credentials left their name (migration 0026):
// an author without a profile address had the slug of their whole name,
// "Lena Ortiz, LMFT" → lena-ortiz-lmft, and now has lena-ortiz. It is ""
// when old is some author's current slug, or no author with a post public
// now had it.
func (s *Store) AuthorMoved(ctx context.Context, old string) (string, error) {
	var to string
	err := s.read(ctx, func(tx *Tx) error {
		type author struct{ name, creds, profileCreds, profile string }
		all, err := queryAll(ctx, tx, func(row scanner) (a author, err error) {
			return a, row.Scan(&a.name, &a.creds, &a.profileCreds, &a.profile)
		}, `SELECT DISTINCT u.display_name, u.credentials, coalesce(sp.credentials, ''), CASE WHEN sp.public THEN coalesce(sp.slug, '') ELSE '' END
			FROM users u JOIN blog_posts p ON p.author_id = u.id LEFT JOIN staff_profiles sp ON sp.user_id = u.id
			WHERE `+visibleAt, s.now())
		if err != nil {
			return err
		}
		for _, a := range all {
			if authorSlug(a.name, a.profile) == old {
				to = ""
				return nil
			}
			for _, c := range []string{a.creds, a.profileCreds} {
				if c != "" && to == "" && authorSlug(clinic.NameWithCredentials(a.name, c), "") == old {
					to = authorSlug(a.name, a.profile)
				}
			}
		}
		return nil
	})
	return to, err
}

// PublishedPost is the post at slug if it is public now; ENotFound
// otherwise (a draft, a scheduled post before its time, no such post).
func (s *Store) PublishedPost(ctx context.Context, slug string) (*Post, error) {
	var out *Post
	err := s.read(ctx, func(tx *Tx) error {
		p, err := scanPost(tx.QueryRow(ctx, `SELECT `+postColumns+postFrom+` WHERE `+visibleAt+` AND p.slug = $2`, s.now(), slug))
		if errors.Is(err, sql.ErrNoRows) {
			return errPostNotFound()
		}
		if err != nil {
			return err
		}
		ps := []Post{p}
		if err := loadTags(ctx, tx, ps); err != nil {
			return err
		}
		out = &ps[0]
		return nil
	})
	return out, err
}

func errPostNotFound() error {
	return clinic.Errorf(clinic.ENotFound, "We could not find that post. It may have moved, or it is not published yet.")
}

// RelatedPosts are up to n other posts public now for a reader of p: those
// sharing the most tags with it first, then the newest.
func (s *Store) RelatedPosts(ctx context.Context, p *Post, n int) ([]Post, error) {
	var out []Post
	err := s.read(ctx, func(tx *Tx) error {
		args := []any{s.now(), p.ID}
		order := ``
		if len(p.Tags) > 0 {
			order = `(SELECT count(*) FROM blog_post_tags t WHERE t.post_id = p.id AND t.tag IN (` + placeholders(3, len(p.Tags)) + `)) DESC, `
			for _, t := range p.Tags {
				args = append(args, t)
			}
		}
		args = append(args, n)
		var err error
		out, err = queryAll(ctx, tx, scanPost, `SELECT `+postColumns+postFrom+` WHERE `+visibleAt+` AND p.id <> $2 ORDER BY `+order+
			`p.publish_at DESC, p.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		return loadTags(ctx, tx, out)
	})
	return out, err
}

// NextPublishAt is the earliest time a scheduled post becomes public, for
// caches that must not outlive it; nil when nothing is scheduled.
func (s *Store) NextPublishAt(ctx context.Context) (*time.Time, error) {
	var at nullTime
	err := s.read(ctx, func(tx *Tx) error {
		return noRows(tx.QueryRow(ctx, `SELECT publish_at FROM blog_posts WHERE status = 'published' AND publish_at > $1 ORDER BY publish_at LIMIT 1`, s.now()).Scan(&at))
	})
	return at.ptr(), err
}

// LastSiteChange is when the public blog last changed, for Last-Modified:
// the latest of any post's last save (a post that was unpublished changes
// the site too) and the latest publish time that has come. The zero time
// when there are no posts.
func (s *Store) LastSiteChange(ctx context.Context) (time.Time, error) {
	var last time.Time
	err := s.read(ctx, func(tx *Tx) error {
		for _, q := range []string{
			`SELECT p.updated_at FROM blog_posts p ORDER BY p.updated_at DESC LIMIT 1`,
			`SELECT p.publish_at FROM blog_posts p WHERE ` + visibleAt + ` ORDER BY p.publish_at DESC LIMIT 1`,
		} {
			var args []any
			if strings.Contains(q, "$1") {
				args = append(args, s.now())
			}
			var t nullTime
			if err := noRows(tx.QueryRow(ctx, q, args...).Scan(&t)); err != nil {
				return err
			}
			if t.valid && t.t.After(last) {
				last = t.t
			}
		}
		return nil
	})
	return last, err
}

// Posts lists the posts, drafts and scheduled ones too, the most recently
// changed first (by updated_at, then id), a page at a time by key (see
// PageKey: the key is a post id), with the count of all, for the staff blog
// page (any staff member; posts hold no patient information, so the list
// is not audited).
func (s *Store) Posts(ctx context.Context, actor Actor, k PageKey) (*Page[Post], error) {
	if !actor.may(auth.PermBlog) {
		return nil, errPostNotFound()
	}
	var out *Page[Post]
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: postFrom + ` WHERE p.id <> ''`, Table: "blog_posts", Alias: "p", Order: []string{"updated_at", "id"}, Desc: true},
			postColumns, k, scanPost, func(p Post) string { return p.ID })
		if err != nil {
			return err
		}
		return loadTags(ctx, tx, out.Rows)
	})
	return out, err
}

// Post is one post for its editor: ENotFound unless actor may edit it
// (CanEditPost).
func (s *Store) Post(ctx context.Context, actor Actor, id string) (*Post, error) {
	var out *Post
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = postIn(ctx, tx, actor, id)
		return err
	})
	return out, err
}

func postIn(ctx context.Context, tx *Tx, actor Actor, id string) (*Post, error) {
	p, err := scanPost(tx.QueryRow(ctx, `SELECT `+postColumns+postFrom+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !CanEditPost(actor, &p) {
		return nil, errPostNotFound()
	}
	if err != nil {
		return nil, err
	}
	ps := []Post{p}
	if err := loadTags(ctx, tx, ps); err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// CheckPost trims p's fields, normalises its tags (NormalizeTags) and
// says what is wrong with them, by form field, without the database: the
// checks SavePost makes before it looks at other posts, the author and
// the cover image.
func CheckPost(p *Post) clinic.FieldErrors {
	fe := clinic.FieldErrors{}
	p.Title = strings.TrimSpace(p.Title)
	p.Slug = strings.TrimSpace(p.Slug)
	p.Summary = strings.TrimSpace(p.Summary)
	p.CoverImageID = strings.TrimSpace(p.CoverImageID)
	p.CoverAlt = strings.TrimSpace(p.CoverAlt)
	switch n := utf8.RuneCountInString(p.Title); {
	case n == 0:
		fe.Add("title", "Give the post a title.")
	case n > MaxPostTitle:
		fe.Add("title", "Use at most "+strconv.Itoa(MaxPostTitle)+" characters.")
	case hasControl(p.Title):
		fe.Add("title", "Use a title of one line, without special characters.")
	}
	switch {
	case p.Slug == "":
	case len(p.Slug) > MaxPostSlug:
		fe.Add("slug", "Use at most "+strconv.Itoa(MaxPostSlug)+" characters.")
	case !slug.Valid(p.Slug):
		fe.Add("slug", "Use lowercase letters, digits and hyphens only, like what-to-expect.")
	case slices.Contains(reservedSlugs, p.Slug):
		fe.Add("slug", "That address is used by the blog itself; choose another.")
	}
	if utf8.RuneCountInString(p.Summary) > MaxPostSummary {
		fe.Add("summary", "Keep the summary to "+strconv.Itoa(MaxPostSummary)+" characters or fewer.")
	}
	clinic.CheckText(fe, "summary", p.Summary)
	if utf8.RuneCountInString(p.Body) > MaxPostBody {
		fe.Add("body", "The post is too long: keep it under 100,000 characters.")
	}
	clinic.CheckText(fe, "body", p.Body)
	if tags, msg := NormalizeTags(p.Tags); msg != "" {
		fe.Add("tags", msg)
	} else {
		p.Tags = tags
	}
	if p.Status != PostDraft && p.Status != PostPublished {
		fe.Add("status", "Save the post as a draft or publish it.")
	}
	if p.CoverImageID != "" && p.CoverAlt == "" {
		fe.Add("cover_alt", "Describe the cover image for people who cannot see it.")
	}
	if utf8.RuneCountInString(p.CoverAlt) > MaxAltText {
		fe.Add("cover_alt", "Use at most "+strconv.Itoa(MaxAltText)+" characters.")
	}
	clinic.CheckLine(fe, "cover_alt", p.CoverAlt)
	if p.CoverImageID == "" {
		p.CoverAlt = ""
	}
	return fe
}

// SavePost creates p (no ID) or saves the post with p's ID. Any staff
// member writes their own posts; an administrator may edit any post and
// name any staff member as its author. A clinician saving another's post
// gets ENotFound. Validation errors are EInvalid field errors keyed by
// form field: title (1–200 characters), slug (lowercase letters, digits
// and hyphens, unique; made from the title when empty), summary (≤ 300),
// body (≤ 100,000), tags (≤ 8, each ≤ 30; normalised like slugs),
// author, cover_image_id, cover_alt (needed with a cover), status. A
// published post without a publish time is published now. On success p
// has its ID, slug, tags and author as saved. Audited (blog.save).
func (s *Store) SavePost(ctx context.Context, actor Actor, p *Post) error {
	if !actor.may(auth.PermBlog) {
		return errPostNotFound()
	}
	fe := CheckPost(p)
	tags := p.Tags
	return s.write(ctx, func(tx *Tx) error {
		var old *Post
		if p.ID != "" {
			var err error
			if old, err = postIn(ctx, tx, actor, p.ID); err != nil {
				return err
			}
		}
		author := actor.UserID
		switch {
		case auth.Can(actor.Role, auth.RelNone, auth.PermEditPost) && p.AuthorID != "": // may edit anyone's post, so may name its author
			author = p.AuthorID
		case old != nil:
			author = old.AuthorID
		}
		var role string
		var disabled nullTime
		err := tx.QueryRow(ctx, `SELECT role, disabled_at FROM users WHERE id = $1`, author).Scan(&role, &disabled)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err != nil || !auth.Can(clinic.Role(role), auth.RelNone, auth.PermBlog) || disabled.valid && (old == nil || old.AuthorID != author) {
			fe.Add("author", "Choose a member of staff as the author.")
		}
		if p.CoverImageID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM images WHERE id = $1`, p.CoverImageID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				fe.Add("cover_image_id", "Choose an image that has been uploaded.")
			}
		}
		id := p.ID
		if id == "" {
			id = NewID()
		}
		slug := p.Slug
		if slug == "" && fe["title"] == "" {
			if slug, err = freeSlug(ctx, tx, id, p.Title); err != nil {
				return err
			}
		} else if slug != "" && fe["slug"] == "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM blog_posts WHERE slug = $1 AND id <> $2`, slug, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				fe.Add("slug", msgPostSlugTaken)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		publishAt := p.PublishAt
		now := s.now()
		if p.Status == PostPublished && publishAt == nil {
			publishAt = &now
		}
		if old == nil {
			_, err = tx.Exec(ctx, `INSERT INTO blog_posts (id, slug, title, summary, body, author_id, status, publish_at, cover_image_id, cover_alt, created_at, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)`,
				id, slug, p.Title, p.Summary, p.Body, author, p.Status, publishAt, p.CoverImageID, p.CoverAlt, now, actor.UserID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE blog_posts SET slug = $2, title = $3, summary = $4, body = $5, author_id = $6, status = $7, publish_at = $8,
				cover_image_id = $9, cover_alt = $10, updated_at = $11, updated_by = $12 WHERE id = $1`,
				id, slug, p.Title, p.Summary, p.Body, author, p.Status, publishAt, p.CoverImageID, p.CoverAlt, now, actor.UserID)
		}
		if s.d.isUniqueViolation(err) {
			// Another post took the address at the same moment.
			return clinic.FieldErrors{"slug": msgPostSlugTaken}.Err()
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blog_post_tags WHERE post_id = $1`, id); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.Exec(ctx, `INSERT INTO blog_post_tags (post_id, tag) VALUES ($1, $2)`, id, t); err != nil {
				return err
			}
		}
		if err := s.appendAudit(ctx, tx, actor, Entry{Action: "blog.save", ObjectType: "blog_post", ObjectID: id, Detail: p.Status}); err != nil {
			return err
		}
		p.ID, p.Slug, p.Tags, p.AuthorID, p.PublishAt, p.UpdatedAt = id, slug, tags, author, publishAt, now
		return nil
	})
}

const msgPostSlugTaken = "Another post has this address; choose another."

// freeSlug is a slug made from title that no post but id has: the title's
// slug, or it with -2, -3, … added.
func freeSlug(ctx context.Context, tx *Tx, id, title string) (string, error) {
	base := slug.Make(title, 80)
	if base == "" || slices.Contains(reservedSlugs, base) {
		base = "post"
	}
	taken := map[string]bool{}
	rows, err := queryAll(ctx, tx, func(row scanner) (s string, err error) { return s, row.Scan(&s) },
		`SELECT slug FROM blog_posts WHERE (slug = $1 OR slug LIKE $2) AND id <> $3`, base, base+"-%", id)
	if err != nil {
		return "", err
	}
	for _, s := range rows {
		taken[s] = true
	}
	slug := base
	for i := 2; taken[slug]; i++ {
		slug = base + "-" + strconv.Itoa(i)
	}
	return slug, nil
}

// NormalizeTags turns what an editor typed into tags: each lower-cased
// and slug-like ("DBT skills" → "dbt-skills"), empty ones and repeats
// dropped. The message says what is wrong when there are more than
// MaxPostTags or one is longer than MaxTagLength.
func NormalizeTags(in []string) ([]string, string) {
	out := []string{}
	for _, t := range in {
		n := slug.Make(t, 1000)
		if n == "" || slices.Contains(out, n) {
			continue
		}
		if len(n) > MaxTagLength {
			return nil, "Keep each tag to " + strconv.Itoa(MaxTagLength) + " characters or fewer."
		}
		out = append(out, n)
	}
	if len(out) > MaxPostTags {
		return nil, "Use at most " + strconv.Itoa(MaxPostTags) + " tags."
	}
	slices.Sort(out)
	return out, ""
}

// hasControl reports whether s is not one line of text (clinic.SingleLine).
func hasControl(s string) bool { return !clinic.SingleLine(s) }

// Image is an uploaded picture for the blog or the website, served at
// /media/{ID}. Bytes is only filled by Image.
type Image struct {
	ID, ContentType string
	Width, Height   int
	Size            int
	Alt             string
	UploadedBy      string
	CreatedAt       time.Time
	Bytes           []byte
}

// SaveImage keeps an uploaded image (staff). Its type is read from the
// bytes, never from a file name or a client's word: a JPEG, PNG or GIF of
// at most 5 MB, 10,000 pixels a side and media.MaxPixels in all, whose
// decoding takes at most media.MaxDecoded (read from its header, before
// decoding), else an EInvalid error on the "image" field naming its size; alt (at most 200 characters) is its description. Audited
// (image.upload).
func (s *Store) SaveImage(ctx context.Context, actor Actor, data []byte, alt string) (*Image, error) {
	if !actor.may(auth.PermBlog) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	fe := clinic.FieldErrors{}
	img := &Image{Alt: strings.TrimSpace(alt), Size: len(data), UploadedBy: actor.UserID}
	// Checked, decoded and encoded again (media.Clean): what is kept is
	// only the picture, without its metadata or anything appended.
	// At most media.MaxDecodes are decoded at once; a request cancelled
	// while it waits its turn gives up its place.
	if pic, err := media.CleanContext(ctx, data); err != nil && !media.IsProblem(err) {
		return nil, err
	} else if err != nil {
		fe.Add("image", err.Error())
	} else {
		data = pic.Bytes
		img.ContentType, img.Width, img.Height, img.Size = pic.ContentType, pic.Width, pic.Height, len(pic.Bytes)
	}
	if utf8.RuneCountInString(img.Alt) > MaxAltText {
		fe.Add("alt", "Use at most "+strconv.Itoa(MaxAltText)+" characters.")
	} else if hasControl(img.Alt) {
		fe.Add("alt", "Describe the image in one line.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		img.ID, img.CreatedAt = NewID(), s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO images (id, content_type, width, height, bytes, size, alt, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			img.ID, img.ContentType, img.Width, img.Height, data, img.Size, img.Alt, img.UploadedBy, img.CreatedAt); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "image.upload", ObjectType: "image", ObjectID: img.ID})
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

const imageColumns = `id, content_type, width, height, size, alt, uploaded_by, created_at`

func scanImage(row scanner, more ...any) (Image, error) {
	var im Image
	err := row.Scan(append([]any{&im.ID, &im.ContentType, &im.Width, &im.Height, &im.Size, &im.Alt, &im.UploadedBy, &im.CreatedAt}, more...)...)
	im.CreatedAt = im.CreatedAt.UTC()
	return im, err
}

// Image is the image with id, with its bytes, for anyone (images are
// public, at addresses nobody can guess). ENotFound when there is none.
func (s *Store) Image(ctx context.Context, id string) (*Image, error) {
	var out *Image
	err := s.read(ctx, func(tx *Tx) error {
		var data []byte
		im, err := scanImage(tx.QueryRow(ctx, `SELECT `+imageColumns+`, bytes FROM images WHERE id = $1`, id), &data)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that image.")
		}
		if err != nil {
			return err
		}
		im.Bytes = data
		out = &im
		return nil
	})
	return out, err
}

// ImageInfo is the image with id without its bytes; ENotFound when there
// is none.
func (s *Store) ImageInfo(ctx context.Context, id string) (*Image, error) {
	var out *Image
	err := s.read(ctx, func(tx *Tx) error {
		im, err := scanImage(tx.QueryRow(ctx, `SELECT `+imageColumns+` FROM images WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that image.")
		}
		out = &im
		return err
	})
	return out, err
}

// RecentImages are the n images uploaded last, without their bytes, for
// the editor (staff).
func (s *Store) RecentImages(ctx context.Context, actor Actor, n int) ([]Image, error) {
	if !actor.may(auth.PermBlog) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []Image
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (Image, error) { return scanImage(row) },
			`SELECT `+imageColumns+` FROM images ORDER BY created_at DESC, id DESC LIMIT $1`, n)
		return err
	})
	return out, err
}
