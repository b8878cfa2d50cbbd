package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// sitePolicy is the route matrix's rows for the website and the inquiry
// form and inbox ({page} and {inquiry} do not exist; {user} is nomfa, a
// therapist). An empty inquiry form is refused at its fields (422), also
// for signed-in callers.
//
//	anon half pA   pB   thea theo rex  admin
var sitePolicy = map[string]map[string]int{
	"GET /about":                        m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /services":                     m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /what-to-expect":               m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /is-kap-right":                 m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /fees":                         m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /contact":                      m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /admin/site":                   m(303, 303, 404, 404, 404, 404, 404, 200),
	"GET /admin/site/pages/{page}":      m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /admin/site/pages/{page}":     m(303, 303, 404, 404, 404, 404, 404, 404),
	"GET /admin/site/team/{user}":       m(303, 303, 404, 404, 404, 404, 404, 200),
	"POST /admin/site/team/{user}":      m(303, 303, 404, 404, 404, 404, 404, 303), // a hidden profile, slug from the name
	"GET /account/profile":              m(303, 303, 404, 404, 200, 200, 200, 200),
	"POST /account/profile":             m(303, 303, 404, 404, 303, 303, 303, 303),
	"GET /inquiry":                      m(200, 200, 200, 200, 200, 200, 200, 200),
	"POST /inquiry":                     m(422, 422, 422, 422, 422, 422, 422, 422),
	"GET /inquiry/thanks":               m(200, 200, 200, 200, 200, 200, 200, 200),
	"GET /inquiries":                    m(303, 303, 404, 404, 200, 200, 200, 200), // rex is told who answers them
	"GET /inquiries/{inquiry}":          m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /inquiries/{inquiry}/status":  m(303, 303, 404, 404, 404, 404, 404, 404),
	"POST /inquiries/{inquiry}/convert": m(303, 303, 404, 404, 404, 404, 404, 404),
}

func init() {
	for k, v := range sitePolicy {
		policy[k] = v
	}
}

func TestSitePublicPages(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ path, want string }{
		{"/", "Sign in to your portal"},
		{"/about", "About the practice"},
		{"/services", "not a cure"},
		{"/what-to-expect", "Integration"},
		{"/is-kap-right", "psychosis"},
		{"/fees", "Fees and questions"},
		{"/contact", `href="/inquiry"`},
	} {
		r := f.do("GET", tt.path, nil, "")
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", tt.path, r.status)
			continue
		}
		checkShell(t, tt.path, r)
		if !strings.Contains(r.body, tt.want) {
			t.Errorf("GET %s lacks %q", tt.path, tt.want)
		}
		canon := `<link rel="canonical" href="http://localhost` + tt.path + `">`
		if !strings.Contains(r.body, canon) {
			t.Errorf("GET %s lacks %s", tt.path, canon)
		}
		if !strings.Contains(r.body, `<meta name="description" content="`) || strings.Contains(r.body, `<meta name="description" content="">`) {
			t.Errorf("GET %s lacks a description", tt.path)
		}
	}
	home := f.do("GET", "/", nil, "")
	for _, want := range []string{`href="/login"`, `href="/inquiry"`, `id="pathway"`, "Medical evaluation"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	services := f.do("GET", "/services", nil, "")
	for _, want := range []string{`href="/what-to-expect"`, `href="/is-kap-right"`, `href="/fees"`} {
		if !strings.Contains(services.body, want) {
			t.Errorf("services page lacks the link %s", want)
		}
	}
}

func TestSiteEditingByAdmins(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin@example.org")
	thea := f.signIn("thea@example.org")

	if r := f.do("GET", "/admin/site", nil, admin); r.status != 200 || !strings.Contains(r.body, `href="/admin/site/pages/fees"`) || !strings.Contains(r.body, "Thea Therapist") {
		t.Errorf("GET /admin/site = %d, want the pages and the team", r.status)
	}
	if r := f.do("GET", "/admin/site/pages/fees", nil, admin); r.status != 200 || !strings.Contains(r.body, "Please contact us for our current fees.") {
		t.Errorf("GET the fees editor = %d, want the built-in text in the form", r.status)
	}
	body := "Sessions cost **$150** (an example).\n\n<script>alert(1)</script>\n\n[evil](javascript:alert(1))"
	if r := f.do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees"}, "body": {body}}, thea); r.status != http.StatusNotFound {
		t.Errorf("a therapist saving a page = %d, want 404", r.status)
	}

	// Preview shows the text rendered and saves nothing.
	r := f.do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees"}, "body": {body}, "action": {"preview"}}, admin)
	if r.status != 200 || !strings.Contains(r.body, "<strong>$150</strong>") {
		t.Errorf("preview = %d, want the rendered text", r.status)
	}
	if p, _ := f.st.SitePage(context.Background(), "fees"); !p.Default {
		t.Errorf("preview saved the page")
	}

	// A missing title comes back at the field with the text kept.
	r = f.do("POST", "/admin/site/pages/fees", url.Values{"title": {""}, "body": {"Kept text"}}, admin)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `aria-describedby="title-error"`) || !strings.Contains(r.body, "Kept text") {
		t.Errorf("save without a title = %d, want 422 with the error at the title and the text kept", r.status)
	}

	r = f.do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees and FAQ"}, "body": {body}}, admin)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/site?done=page" {
		t.Fatalf("save = %d %s, want 303 to the editor", r.status, r.header.Get("Location"))
	}
	pub := f.do("GET", "/fees", nil, "")
	if !strings.Contains(pub.body, "Fees and FAQ") || !strings.Contains(pub.body, "<strong>$150</strong>") {
		t.Errorf("public fees page does not show the saved text")
	}
	if strings.Contains(pub.body, "<script>alert") || strings.Contains(pub.body, "javascript:") {
		t.Errorf("public fees page passes script through: %s", pub.body)
	}
	if n, _, _ := f.st.CountAudit(context.Background(), "site.page.save", "fees", "", time.Time{}); n != 1 {
		t.Errorf("site.page.save audit rows = %d, want 1", n)
	}

	// The home page's hero comes from the home page's text.
	if r := f.do("POST", "/admin/site/pages/home", url.Values{"title": {"Welcome to Willow Creek"}, "body": {"We walk *with* you."}}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("save home = %d", r.status)
	}
	home := f.do("GET", "/", nil, "")
	if !strings.Contains(home.body, "<h1>Welcome to Willow Creek</h1>") || !strings.Contains(home.body, "<em>with</em>") || !strings.Contains(home.body, `href="/login"`) {
		t.Errorf("home page does not show the saved hero with the sign-in link")
	}

	// An earlier version can be loaded back into the form.
	vs, err := f.st.SitePageVersions(context.Background(), f.as("admin@example.org"), "fees", 5)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions = %v, %v", vs, err)
	}
	if r := f.do("GET", "/admin/site/pages/fees?version="+vs[0].ID, nil, admin); r.status != 200 || !strings.Contains(r.body, "The form holds the version saved") {
		t.Errorf("loading a version = %d, want the notice", r.status)
	}
}

func TestStaffProfileEditing(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin@example.org")
	thea := f.signIn("thea@example.org")
	pat := f.signIn("pat@example.org")
	theo := f.users["theo@example.org"]

	if r := f.do("GET", "/account/profile", nil, thea); r.status != 200 || !strings.Contains(r.body, `value="thea-therapist"`) {
		t.Errorf("GET /account/profile as thea = %d, want her form with a suggested address", r.status)
	}
	if r := f.do("GET", "/account/profile", nil, pat); r.status != http.StatusNotFound {
		t.Errorf("GET /account/profile as a patient = %d, want 404", r.status)
	}
	// Public needs a bio: the form comes back with what was typed.
	r := f.do("POST", "/account/profile", url.Values{"credentials": {"LMSW"}, "public": {"yes"}, "slug": {"thea"}}, thea)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="LMSW"`) || !strings.Contains(r.body, `id="bio-error"`) || !strings.Contains(r.body, `value="thea"`) {
		t.Errorf("public profile without a bio = %d, want 422 keeping the input", r.status)
	}
	r = f.do("POST", "/account/profile", url.Values{"credentials": {"LMSW"}, "public": {"yes"}, "slug": {"thea"}, "bio": {"Thea works with *grief*."}}, thea)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/profile?done=saved" {
		t.Fatalf("saving her profile = %d %s", r.status, r.header.Get("Location"))
	}
	// A therapist cannot edit a colleague's profile; an admin can.
	if r := f.do("POST", "/admin/site/team/"+theo.ID, url.Values{"bio": {"x"}}, thea); r.status != http.StatusNotFound {
		t.Errorf("thea editing theo's profile = %d, want 404", r.status)
	}
	r = f.do("POST", "/admin/site/team/"+theo.ID, url.Values{"slug": {"thea"}, "bio": {"Theo."}}, admin)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="slug-error"`) {
		t.Errorf("admin giving theo thea's address = %d, want 422 at the slug", r.status)
	}
	r = f.do("POST", "/admin/site/team/"+theo.ID, url.Values{"credentials": {"MD"}, "bio": {"Theo."}, "public": {"yes"}}, admin)
	if r.status != http.StatusSeeOther {
		t.Fatalf("admin saving theo's profile = %d", r.status)
	}
	// Thea has a post, Theo none: only Thea's writing is linked.
	f.post("thea@example.org", store.Post{Title: "On grief", Body: "Words."})
	about := f.do("GET", "/about", nil, "")
	for _, want := range []string{"Thea Therapist", "LMSW", "<em>grief</em>", `href="/blog/author/thea"`, "Theo Therapist"} {
		if !strings.Contains(about.body, want) {
			t.Errorf("about page lacks %s", want)
		}
	}
	if strings.Contains(about.body, `href="/blog/author/theo-therapist"`) {
		t.Error("about page links to the writing of someone with no posts")
	}
	if strings.Contains(about.body, "Rex Prescriber") {
		t.Errorf("about page shows a profile that was never made public")
	}
	if slug, cred, err := f.st.AuthorProfile(context.Background(), f.users["thea@example.org"].ID); slug != "thea" || cred != "LMSW" || err != nil {
		t.Errorf("AuthorProfile(thea) = %q, %q, %v", slug, cred, err)
	}
}
