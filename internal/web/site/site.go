package site

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/markdown"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// sitePaths are the public addresses of the website's pages.
var sitePaths = map[string]string{
	"home": "/", "about": "/about", "services": "/services", "what-to-expect": "/what-to-expect",
	"is-kap-right": "/is-kap-right", "fees": "/fees", "contact": "/contact",
}

// kapPages are the pages about the treatment, linked from one another.
var kapPages = []string{"services", "what-to-expect", "is-kap-right", "fees"}

// siteData is what a public page's template gets.
type siteData struct {
	Page        store.SitePage
	Body        template.HTML   // the page's Markdown, rendered and sanitised
	Canonical   string          // absolute URL
	Description string          // for search engines and link previews
	Related     []shell.NavLink // the other pages about the treatment
	Team        []teamMember    // about page
	Home        homeView        // home page
}

// homeView is the home page's texts, Markdown ones rendered and cleaned.
type homeView struct {
	Eyebrow, Headline string
	Intro             template.HTML
	CTA, CTAMore      string
	PathTitle         string
	Steps             []homeStep
	RightTitle        string
	RightText         template.HTML
	RightButton       string
	PortalTitle       string
	PortalText        template.HTML
	PortalButton      string
}

// homeStep is one step of care on the home page.
type homeStep struct {
	Title string
	Text  template.HTML
}

// newHomeView makes the home page from its headline, intro and texts
// (by store.HomeFields key); an empty text shows the built-in one.
func newHomeView(headline, intro string, texts map[string]string) homeView {
	t := func(k string) string {
		if v := texts[k]; v != "" {
			return v
		}
		for _, f := range store.HomeFields {
			if f.Key == k {
				return f.Default
			}
		}
		return ""
	}
	h := homeView{Eyebrow: t("eyebrow"), Headline: headline, Intro: markdown.Render(intro), CTA: t("cta"), CTAMore: t("cta_more"),
		PathTitle: t("path_title"), RightTitle: t("right_title"), RightText: markdown.Render(t("right_text")), RightButton: t("right_button"),
		PortalTitle: t("portal_title"), PortalText: markdown.Render(t("portal_text")), PortalButton: t("portal_button")}
	for i := 1; i <= 6; i++ {
		n := string(rune('0' + i))
		h.Steps = append(h.Steps, homeStep{Title: t("step" + n + "_title"), Text: markdown.Render(t("step" + n + "_text"))})
	}
	return h
}

// teamMember is one public staff profile with its bio rendered.
type teamMember struct {
	*store.StaffProfile
	BioHTML  template.HTML
	HasPosts bool // has published posts: the About page links to them
}

// Initials are the first letters of the first and last word of the
// person's name, for the placeholder beside the bio.
func (m teamMember) Initials() string {
	var first, last rune
	word := true
	for _, r := range m.PublicName() {
		if r == ' ' || r == '-' {
			word = true
			continue
		}
		if word {
			if first == 0 {
				first = r
			} else {
				last = r
			}
		}
		word = false
	}
	out := string(first)
	if last != 0 {
		out += string(last)
	}
	return out
}

// sitePage reads a page and fills what every public page shows.
func (s *Handlers) sitePage(r *http.Request, slug string) (siteData, error) {
	p, err := s.Store.SitePage(r.Context(), slug)
	if err != nil {
		return siteData{}, err
	}
	d := siteData{
		Page:        p,
		Body:        markdown.Render(p.Body),
		Canonical:   s.LinkBase(r) + sitePaths[slug],
		Description: markdown.Plain(p.Body, 160),
	}
	for _, k := range kapPages {
		if k == slug || slug == "home" || slug == "about" || slug == "contact" {
			continue
		}
		d.Related = append(d.Related, shell.NavLink{Href: sitePaths[k], Label: kapLabels[k]})
	}
	return d, nil
}

// kapLabels name the treatment pages in the links between them.
var kapLabels = map[string]string{
	"services": "What is KAP?", "what-to-expect": "What to expect", "is-kap-right": "Is KAP right for me?", "fees": "Fees and questions",
}

// Home is the practice's home page: the hero text an administrator
// wrote, the steps of the pathway and the way in to the portal.
func (s *Handlers) Home(w http.ResponseWriter, r *http.Request) {
	d, err := s.sitePage(r, "home")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	texts, _, err := s.Store.HomeTexts(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d.Home = newHomeView(d.Page.Title, d.Page.Body, texts)
	s.Render(w, r, http.StatusOK, "home", "Ketamine-assisted psychotherapy", d)
}

// SitePageHandler serves one of the treatment pages or the contact page.
func (s *Handlers) Page(slug string) http.HandlerFunc {
	tmpl := "site_page"
	if slug == "contact" {
		tmpl = "site_contact"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := s.sitePage(r, slug)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		s.Render(w, r, http.StatusOK, tmpl, d.Page.Title, d)
	}
}

// About is the practice's about page with the public team profiles.
func (s *Handlers) About(w http.ResponseWriter, r *http.Request) {
	d, err := s.sitePage(r, "about")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	team, err := s.Store.PublicTeam(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, p := range team {
		// "Writing by" only for someone with posts: no link to an empty page.
		_, n, err := s.Store.PublishedPosts(r.Context(), "", p.Slug, 1, 0)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Team = append(d.Team, teamMember{StaffProfile: p, BioHTML: markdown.Render(p.Bio), HasPosts: n > 0})
	}
	s.Render(w, r, http.StatusOK, "site_about", d.Page.Title, d)
}

// siteAdminData is the website editor's overview.
type siteAdminData struct {
	Pages  []store.SitePage
	Team   []*store.StaffProfile
	Paths  map[string]string
	Notice string
	Zone   string // the practice's time zone
}

func (s *Handlers) SiteAdmin(w http.ResponseWriter, r *http.Request) {
	d := siteAdminData{Paths: sitePaths}
	_, d.Zone = s.PracticeZone(r)
	var err error
	if d.Pages, err = s.Store.SitePages(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Team, err = s.Store.StaffProfiles(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "page":
		d.Notice = "Page saved. It shows on the website now."
	case "profile":
		d.Notice = "Profile saved."
	}
	s.Render(w, r, http.StatusOK, "admin_site", "Website", d)
}

// sitePageFormData is the editor of one page.
type sitePageFormData struct {
	Slug     string
	Path     string
	Page     store.SitePage
	Title    string
	Body     string
	Errors   map[string]string
	Preview  template.HTML
	Versions []store.SitePageVersion
	Loaded   *store.SitePageVersion // the earlier version loaded into the form
	Zone     string
	// The home page's other texts (slug "home"): the fields, what each
	// holds, and the whole page as previewed.
	HomeFields  []store.HomeField
	Texts       map[string]string
	HomePreview *homeView
}

// homeGroup is one part of the home page in the editor: its fields.
type homeGroup struct {
	Name   string
	Fields []store.HomeField
}

// HomeGroups are the home page's fields by part of the page, in order.
func (d sitePageFormData) HomeGroups() []homeGroup {
	var out []homeGroup
	for _, f := range d.HomeFields {
		if len(out) == 0 || out[len(out)-1].Name != f.Group {
			out = append(out, homeGroup{Name: f.Group})
		}
		out[len(out)-1].Fields = append(out[len(out)-1].Fields, f)
	}
	return out
}

// Text is what the home page's field key shows in the form.
func (d sitePageFormData) Text(key string) string { return d.Texts[key] }

// FieldError is the error at the home page's field key.
func (d sitePageFormData) FieldError(key string) string { return d.Errors["text_"+key] }

func (s *Handlers) SitePageForm(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("page")
	if !store.ValidSiteSlug(slug) {
		s.NotFound(w, r)
		return
	}
	p, err := s.Store.SitePage(r.Context(), slug)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := sitePageFormData{Slug: slug, Path: sitePaths[slug], Page: p, Title: p.Title, Body: p.Body}
	if slug == "home" {
		if d.Texts, _, err = s.Store.HomeTexts(r.Context()); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if v := r.URL.Query().Get("version"); v != "" {
		versions, err := s.Store.SitePageVersions(r.Context(), s.Actor(r), slug, 50)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for i := range versions {
			if versions[i].ID == v {
				d.Loaded = &versions[i]
				d.Title, d.Body = versions[i].Title, versions[i].Body
			}
		}
	}
	s.sitePageForm(w, r, d, http.StatusOK)
}

func (s *Handlers) sitePageForm(w http.ResponseWriter, r *http.Request, d sitePageFormData, status int) {
	var err error
	if d.Versions, err = s.Store.SitePageVersions(r.Context(), s.Actor(r), d.Slug, 10); err != nil {
		s.Error(w, r, err)
		return
	}
	_, d.Zone = s.PracticeZone(r)
	if d.Slug == "home" {
		d.HomeFields = store.HomeFields
	}
	s.Render(w, r, status, "admin_site_page", "Edit "+d.Page.Title, d)
}

// SitePageSave saves a page, or, with action=preview, shows how the
// text will look without saving it.
func (s *Handlers) SitePageSave(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("page")
	if !store.ValidSiteSlug(slug) {
		s.NotFound(w, r)
		return
	}
	p, err := s.Store.SitePage(r.Context(), slug)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := sitePageFormData{Slug: slug, Path: sitePaths[slug], Page: p, Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	if slug == "home" {
		d.Texts = map[string]string{}
		for _, f := range store.HomeFields {
			d.Texts[f.Key] = r.PostFormValue("text_" + f.Key)
		}
	}
	if r.PostFormValue("action") == "preview" {
		d.Errors = store.CheckSitePage(&d.Title, &d.Body)
		if slug == "home" {
			for k, v := range store.CheckHomeTexts(d.Texts) {
				d.Errors[k] = v
			}
			h := newHomeView(d.Title, d.Body, d.Texts)
			d.HomePreview = &h
		} else {
			d.Preview = markdown.Render(d.Body)
		}
		s.sitePageForm(w, r, d, http.StatusOK)
		return
	}
	if slug == "home" {
		err = s.Store.SaveHomePage(r.Context(), s.Actor(r), d.Title, d.Body, d.Texts)
	} else {
		err = s.Store.SaveSitePage(r.Context(), s.Actor(r), slug, d.Title, d.Body)
	}
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		d.Errors = e.Fields
		s.sitePageForm(w, r, d, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/site?done=page", http.StatusSeeOther)
}

// profileFormData is the editor of one staff profile: an administrator's
// (any staff member) or a staff member's own.
type profileFormData struct {
	Profile *store.StaffProfile
	Own     bool
	Action  string // where the form posts
	Form    url.Values
	Errors  map[string]string
	Notice  string
}

// Value is what a field shows: what was posted, or else the saved profile.
func (d profileFormData) Value(name string) string {
	if d.Form != nil {
		return d.Form.Get(name)
	}
	switch name {
	case "slug":
		return d.Profile.Slug
	case "credentials":
		return d.Profile.Credentials
	case "bio":
		return d.Profile.Bio
	}
	return ""
}

// Checked reports whether the public box is ticked.
func (d profileFormData) Checked() bool {
	if d.Form != nil {
		return d.Form.Get("public") == "yes"
	}
	return d.Profile.Public
}

func (s *Handlers) TeamProfileForm(w http.ResponseWriter, r *http.Request) {
	s.profileForm(w, r, r.PathValue("user"), false)
}

func (s *Handlers) OwnProfileForm(w http.ResponseWriter, r *http.Request) {
	s.profileForm(w, r, s.Actor(r).UserID, true)
}

func (s *Handlers) profileForm(w http.ResponseWriter, r *http.Request, userID string, own bool) {
	p, err := s.Store.StaffProfile(r.Context(), s.Actor(r), userID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := profileFormData{Profile: p, Own: own, Action: profileAction(userID, own)}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Profile saved."
	}
	s.Render(w, r, http.StatusOK, "profile", "Website profile", d)
}

func profileAction(userID string, own bool) string {
	if own {
		return "/account/profile"
	}
	return "/admin/site/team/" + userID
}

func (s *Handlers) TeamProfileSave(w http.ResponseWriter, r *http.Request) {
	s.profileSave(w, r, r.PathValue("user"), false)
}

func (s *Handlers) OwnProfileSave(w http.ResponseWriter, r *http.Request) {
	s.profileSave(w, r, s.Actor(r).UserID, true)
}

func (s *Handlers) profileSave(w http.ResponseWriter, r *http.Request, userID string, own bool) {
	p := &store.StaffProfile{UserID: userID, Slug: r.PostFormValue("slug"), Credentials: r.PostFormValue("credentials"),
		Bio: r.PostFormValue("bio"), Public: r.PostFormValue("public") == "yes"}
	err := s.Store.SaveStaffProfile(r.Context(), s.Actor(r), p)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		cur, err := s.Store.StaffProfile(r.Context(), s.Actor(r), userID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		s.Render(w, r, http.StatusUnprocessableEntity, "profile", "Website profile",
			profileFormData{Profile: cur, Own: own, Action: profileAction(userID, own), Form: r.PostForm, Errors: e.Fields})
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if own {
		http.Redirect(w, r, "/account/profile?done=saved", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/site?done=profile", http.StatusSeeOther)
}
