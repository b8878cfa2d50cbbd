package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/slug"
)

// SitePage is one of the practice website's pages: its title and its body
// in Markdown. Default is true when nobody has saved the page yet and it
// holds kapstone's built-in text.
type SitePage struct {
	Slug          string
	Title         string
	Body          string // Markdown
	UpdatedAt     time.Time
	UpdatedByName string
	Default       bool
}

// SitePageVersion is one saved version of a page, kept when it is saved.
type SitePageVersion struct {
	ID          string
	Slug        string
	Title       string
	Body        string
	SavedAt     time.Time
	SavedByName string
}

// SiteSlugs are the website's pages, in the order the editor lists them.
var SiteSlugs = []string{"home", "about", "services", "what-to-expect", "is-kap-right", "fees", "contact"}

// ValidSiteSlug reports whether slug is one of SiteSlugs.
func ValidSiteSlug(slug string) bool { return slices.Contains(SiteSlugs, slug) }

// Limits on what a page and a bio may hold.
const (
	SiteTitleMax = 120
	SiteBodyMax  = 20000
	BioMax       = 5000
)

// defaultSitePages is what a page says before an administrator writes it:
// short, accurate and true of any KAP practice.
var defaultSitePages = map[string][2]string{
	"home": {"Care that moves at a human pace.",
		"We offer ketamine-assisted psychotherapy (KAP) for adults living with depression, anxiety and trauma, in partnership with a medical prescriber. Every step is planned with you, and you can pause at any point."},
	"about": {"About the practice",
		"We are a small psychotherapy practice. Our therapists work with a partner prescriber, who makes every medical decision about ketamine; your therapist is with you before, during and after each session."},
	"services": {"What is ketamine-assisted psychotherapy?",
		"Ketamine-assisted psychotherapy (KAP) combines psychotherapy with a low, non-anaesthetic dose of ketamine, a medicine approved in the United States as an anaesthetic and prescribed here off-label.\n\n" +
			"It is not a cure, and it is not for everyone. A prescriber decides whether ketamine is medically safe for you; a therapist prepares you, stays with you through each dosing session (about two to three hours) and helps you make sense of it afterwards.\n\n" +
			"Research on KAP is promising but still early. We will tell you honestly what is known and what is not."},
	"what-to-expect": {"What to expect",
		"**Preparation.** Before any medicine, you meet your therapist to talk about what brings you, set intentions and plan the session: music, eye shades, who is present and whether any touch is welcome.\n\n" +
			"**Dosing sessions.** Each lasts about two to three hours. Your blood pressure is checked before, during and after, and a clinician is with you throughout. Someone you trust takes you home; you do not drive until the next day.\n\n" +
			"**Integration.** In the days after each session you meet your therapist again to make sense of what came up and carry what helps into daily life."},
	"is-kap-right": {"Is KAP right for me?",
		"KAP can help some people, but it is not safe or suitable for everyone. It is usually not offered to people who have had psychosis or schizophrenia, who are in a manic episode or have bipolar I disorder that is not stable, who have high blood pressure or a heart condition that is not under control, or who are pregnant. Some medicines, such as benzodiazepines, stimulants, MAO inhibitors and lamotrigine, may need to be talked through or adjusted, and so does any current alcohol or drug use.\n\n" +
			"None of this is decided by a form. If you are unsure, get in touch: a clinician will talk it through with you."},
	"fees": {"Fees and questions",
		"Please contact us for our current fees. We will tell you the full cost of a course of treatment, including the prescriber's fees, before you begin."},
	"contact": {"Contact us",
		"The quickest way to reach us is the inquiry form. We reply within two working days.\n\n" +
			"This website and our inbox are not watched around the clock. If you are in crisis, use the numbers at the bottom of this page."},
}

// SitePage returns the page with slug for anyone to read: what an
// administrator saved, or else the built-in text (Default set). An unknown
// slug is ENotFound.
func (s *Store) SitePage(ctx context.Context, slug string) (SitePage, error) {
	if !ValidSiteSlug(slug) {
		return SitePage{}, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var p SitePage
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		p, err = sitePageIn(ctx, tx, slug)
		return err
	})
	return p, err
}

func sitePageIn(ctx context.Context, tx *Tx, slug string) (SitePage, error) {
	p := SitePage{Slug: slug}
	err := tx.QueryRow(ctx, `SELECT p.title, p.body, p.updated_at, coalesce(u.display_name, '')
		FROM site_pages p LEFT JOIN users u ON u.id = p.updated_by WHERE p.slug = $1`, slug).Scan(&p.Title, &p.Body, &p.UpdatedAt, &p.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		d := defaultSitePages[slug]
		p.Title, p.Body, p.Default = d[0], d[1], true
		return p, nil
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, err
}

// SitePages returns every page in SiteSlugs order, for the editor
// (administrators).
func (s *Store) SitePages(ctx context.Context, actor Actor) ([]SitePage, error) {
	if !actor.may(auth.PermSiteEditor) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []SitePage
	err := s.read(ctx, func(tx *Tx) error {
		for _, slug := range SiteSlugs {
			p, err := sitePageIn(ctx, tx, slug)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// CheckSitePage trims a page's title and body and says what is wrong with
// them, field by field.
func CheckSitePage(title, body *string) clinic.FieldErrors {
	*title, *body = strings.TrimSpace(*title), strings.TrimSpace(*body)
	fe := clinic.FieldErrors{}
	switch {
	case *title == "":
		fe.Add("title", "Give the page a title.")
	case utf8.RuneCountInString(*title) > SiteTitleMax || !clinic.SingleLine(*title):
		fe.Add("title", "Write the title on one line, in at most 120 characters.")
	}
	switch {
	case *body == "":
		fe.Add("body", "Write the page's text.")
	case utf8.RuneCountInString(*body) > SiteBodyMax:
		fe.Add("body", "Use at most 20,000 characters.")
	case !clinic.MultiLine(*body):
		fe.Add("body", clinic.TextProblem)
	}
	return fe
}

// SaveSitePage stores a page's title and Markdown body (administrators),
// and keeps the version. An unknown slug is ENotFound; bad fields are
// EInvalid field errors. Audited as site.page.save.
func (s *Store) SaveSitePage(ctx context.Context, actor Actor, slug, title, body string) error {
	if !actor.may(auth.PermSitePage) || !ValidSiteSlug(slug) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if err := CheckSitePage(&title, &body).Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		version, err := s.saveSitePageIn(ctx, tx, actor, slug, title, body)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "site.page.save", ObjectType: "site_page", ObjectID: slug, Detail: "version=" + version})
	})
}

// saveSitePageIn stores a checked page and keeps the version, in tx, and
// returns the version's id.
func (s *Store) saveSitePageIn(ctx context.Context, tx *Tx, actor Actor, slug, title, body string) (string, error) {
	now := s.now()
	if _, err := tx.Exec(ctx, `INSERT INTO site_pages (slug, title, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (slug) DO UPDATE SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		slug, title, body, now, actor.UserID); err != nil {
		return "", err
	}
	id := NewID()
	_, err := tx.Exec(ctx, `INSERT INTO site_page_versions (id, slug, title, body, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, slug, title, body, now, actor.UserID)
	return id, err
}

// SitePageVersions lists the saved versions of a page, newest first, at
// most limit (administrators).
func (s *Store) SitePageVersions(ctx context.Context, actor Actor, slug string, limit int) ([]SitePageVersion, error) {
	if !actor.may(auth.PermSiteEditor) || !ValidSiteSlug(slug) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []SitePageVersion
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (v SitePageVersion, err error) {
			err = row.Scan(&v.ID, &v.Slug, &v.Title, &v.Body, &v.SavedAt, &v.SavedByName)
			v.SavedAt = v.SavedAt.UTC()
			return v, err
		}, `SELECT v.id, v.slug, v.title, v.body, v.saved_at, coalesce(u.display_name, '')
			FROM site_page_versions v LEFT JOIN users u ON u.id = v.saved_by
			WHERE v.slug = $1 ORDER BY v.saved_at DESC, v.id DESC LIMIT $2`, slug, limit)
		return err
	})
	return out, err
}

// SitePagesChangedAt is when any page or public profile last changed: the
// newest saved page or profile, or the zero time when nothing has been
// saved. It is for Last-Modified.
func (s *Store) SitePagesChangedAt(ctx context.Context) (time.Time, error) {
	var newest time.Time
	err := s.read(ctx, func(tx *Tx) error {
		// Plain columns (not max()), so both drivers scan them as times.
		for _, q := range []string{
			`SELECT updated_at FROM site_pages ORDER BY updated_at DESC LIMIT 1`,
			`SELECT updated_at FROM staff_profiles ORDER BY updated_at DESC LIMIT 1`,
			`SELECT updated_at FROM site_texts ORDER BY updated_at DESC LIMIT 1`,
		} {
			var t time.Time
			if err := tx.QueryRow(ctx, q).Scan(&t); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				return err
			}
			if t.After(newest) {
				newest = t.UTC()
			}
		}
		return nil
	})
	return newest, err
}

// StaffProfile is what the public website says about one staff member.
// Name is the account's display name. A profile that was never saved has
// a suggested Slug and Saved false.
type StaffProfile struct {
	UserID      string
	Name        string
	Role        clinic.Role
	Slug        string
	Credentials string // e.g. "LMSW", "MD"
	Bio         string // Markdown
	Public      bool
	UpdatedAt   time.Time
	Saved       bool
}

// PublicName is the name without a trailing ", credentials" (display names
// often carry them), so the website can show the credentials once.
func (p *StaffProfile) PublicName() string {
	if p.Credentials != "" {
		if n, ok := strings.CutSuffix(p.Name, ", "+p.Credentials); ok {
			return n
		}
	}
	return p.Name
}

// slugFrom makes a URL slug from a name: lower-case letters and digits
// joined by hyphens, credentials after a comma left out.
func slugFrom(name string) string {
	name, _, _ = strings.Cut(name, ",")
	s := slug.Make(name, 60) // the blog's rule: accents kept as their letter
	if len(s) < 2 {
		s = "team-" + strings.ToLower(NewID()[:6])
	}
	return s
}

// CheckStaffProfile trims a profile's fields (making a slug from the name
// when it has none) and says what is wrong with them, field by field.
func CheckStaffProfile(p *StaffProfile) clinic.FieldErrors {
	p.Slug = strings.ToLower(strings.TrimSpace(p.Slug))
	p.Credentials = strings.TrimSpace(p.Credentials)
	p.Bio = strings.TrimSpace(p.Bio)
	if p.Slug == "" {
		p.Slug = slugFrom(p.Name)
	}
	fe := clinic.FieldErrors{}
	if len(p.Slug) < 2 || len(p.Slug) > 60 || !slug.Valid(p.Slug) {
		fe.Add("slug", "Use 2 to 60 lower-case letters, digits and single hyphens, like lena-ortiz.")
	}
	if utf8.RuneCountInString(p.Credentials) > 60 || !clinic.SingleLine(p.Credentials) {
		fe.Add("credentials", "Write the credentials on one line, in at most 60 characters, like LMSW or MD.")
	}
	if utf8.RuneCountInString(p.Bio) > BioMax {
		fe.Add("bio", "Use at most 5,000 characters.")
	}
	if p.Public && p.Bio == "" {
		fe.Add("bio", "Write a short bio before showing the profile on the website.")
	}
	return fe
}

// canEditProfile reports whether actor may read and change userID's
// profile (auth.PermStaffProfile): administrators any staff member's, staff
// their own.
func canEditProfile(actor Actor, userID string) bool {
	return auth.Can(actor.Role, ownRelation(actor, userID), auth.PermStaffProfile)
}

const profileColumns = `u.id, u.display_name, u.role, coalesce(p.slug, ''), coalesce(nullif(p.credentials, ''), u.credentials), coalesce(p.bio, ''), coalesce(p.public, false), p.updated_at`

func scanProfile(row scanner) (*StaffProfile, error) {
	var p StaffProfile
	var role string
	var at nullTime
	if err := row.Scan(&p.UserID, &p.Name, &role, &p.Slug, &p.Credentials, &p.Bio, &p.Public, &at); err != nil {
		return nil, err
	}
	p.Role = clinic.Role(role)
	if at.valid {
		p.UpdatedAt, p.Saved = at.t, true
	}
	return &p, nil
}

// StaffProfile returns userID's website profile for actor to edit:
// administrators may read any enabled staff member's, staff their own. A
// profile never saved comes back with a suggested slug. Anyone else, a
// patient's account or a missing user is ENotFound.
func (s *Store) StaffProfile(ctx context.Context, actor Actor, userID string) (*StaffProfile, error) {
	if !canEditProfile(actor, userID) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var p *StaffProfile
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		p, err = staffProfileIn(ctx, tx, userID)
		return err
	})
	return p, err
}

func staffProfileIn(ctx context.Context, tx *Tx, userID string) (*StaffProfile, error) {
	p, err := scanProfile(tx.QueryRow(ctx, `SELECT `+profileColumns+` FROM users u LEFT JOIN staff_profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.role <> 'patient' AND u.disabled_at IS NULL`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that person.")
	}
	if err == nil && !p.Saved {
		p.Slug = slugFrom(p.Name)
	}
	return p, err
}

// SaveStaffProfile stores p (its slug, credentials, bio and whether it is
// public) for p.UserID: administrators for any staff member, staff for
// themselves. A slug another profile has is an EInvalid field error, also
// when two are saved at the same moment. Audited as profile.save.
func (s *Store) SaveStaffProfile(ctx context.Context, actor Actor, p *StaffProfile) error {
	if !canEditProfile(actor, p.UserID) && !actor.may(auth.PermSitePage) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	return s.write(ctx, func(tx *Tx) error {
		cur, err := staffProfileIn(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		p.Name, p.Role = cur.Name, cur.Role
		if err := CheckStaffProfile(p).Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff_profiles WHERE slug = $1 AND user_id <> $2`, p.Slug, p.UserID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errProfileSlugTaken()
		}
		// Nor the address another author's posts have by their name (when
		// they have no profile), which would let one clinician's page take
		// over another's.
		names, err := queryStrings(ctx, tx, `SELECT display_name FROM users WHERE id <> $1 AND role IN ('admin', 'therapist', 'prescriber')`, p.UserID)
		if err != nil {
			return err
		}
		for _, name := range names {
			if authorSlug(name, "") == p.Slug {
				return errProfileSlugTaken()
			}
		}
		now := s.now()
		_, err = tx.Exec(ctx, `INSERT INTO staff_profiles (user_id, slug, credentials, bio, public, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id) DO UPDATE SET slug = excluded.slug, credentials = excluded.credentials, bio = excluded.bio,
				public = excluded.public, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.UserID, p.Slug, p.Credentials, p.Bio, p.Public, now, actor.UserID)
		if s.d.isUniqueViolation(err) {
			return errProfileSlugTaken()
		}
		if err != nil {
			return err
		}
		// One set of credentials per person: the profile's are the account's,
		// shown after the name in the staff app too (issue 15).
		if _, err := tx.Exec(ctx, `UPDATE users SET credentials = $1, updated_at = $2 WHERE id = $3`, p.Credentials, now, p.UserID); err != nil {
			return err
		}
		p.UpdatedAt, p.Saved = now, true
		detail := "hidden"
		if p.Public {
			detail = "public"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "profile.save", ObjectType: "user", ObjectID: p.UserID, Detail: detail})
	})
}

func errProfileSlugTaken() error {
	return clinic.FieldErrors{"slug": "Another profile uses that web address; choose another."}.Err()
}

// publicProfiles is the query for profiles anyone may read: public, of an
// enabled staff account.
const publicProfiles = `SELECT ` + profileColumns + ` FROM staff_profiles p JOIN users u ON u.id = p.user_id
	WHERE p.public AND u.disabled_at IS NULL AND u.role <> 'patient'`

// PublicTeam lists the public profiles of enabled staff, for the about
// page: therapists first, then prescribers, then the rest, by name.
func (s *Store) PublicTeam(ctx context.Context) ([]*StaffProfile, error) {
	var out []*StaffProfile
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanProfile, publicProfiles+`
			ORDER BY CASE u.role WHEN 'therapist' THEN 1 WHEN 'prescriber' THEN 2 ELSE 3 END, lower(u.display_name), u.id`)
		return err
	})
	return out, err
}

// StaffProfiles lists every enabled staff member with their profile
// (saved or not), for the website editor (administrators).
func (s *Store) StaffProfiles(ctx context.Context, actor Actor) ([]*StaffProfile, error) {
	if !actor.may(auth.PermSiteEditor) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []*StaffProfile
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanProfile, `SELECT `+profileColumns+` FROM users u LEFT JOIN staff_profiles p ON p.user_id = u.id
			WHERE u.role <> 'patient' AND u.disabled_at IS NULL
			ORDER BY CASE u.role WHEN 'therapist' THEN 1 WHEN 'prescriber' THEN 2 ELSE 3 END, lower(u.display_name), u.id`)
		return err
	})
	return out, err
}

// ProfileBySlug returns the public profile with slug, for anyone; a hidden
// profile, a disabled account or an unknown slug is ENotFound.
func (s *Store) ProfileBySlug(ctx context.Context, slug string) (*StaffProfile, error) {
	var p *StaffProfile
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		p, err = scanProfile(tx.QueryRow(ctx, publicProfiles+` AND p.slug = $1`, slug))
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that person.")
		}
		return err
	})
	return p, err
}

// AuthorProfile returns the slug and credentials of userID's public
// profile, for a blog post's byline and its link to /blog/author/{slug}.
// Both are "" (and err nil) when the person has no public profile.
func (s *Store) AuthorProfile(ctx context.Context, userID string) (slug, credentials string, err error) {
	err = s.read(ctx, func(tx *Tx) error {
		p, err := scanProfile(tx.QueryRow(ctx, publicProfiles+` AND p.user_id = $1`, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		slug, credentials = p.Slug, p.Credentials
		return nil
	})
	return slug, credentials, err
}
