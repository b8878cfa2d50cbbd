package site_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

func TestSitePublicPages(t *testing.T) {
	f := webtest.NewFixture(t)
	for _, tt := range []struct{ path, want string }{
		{"/", "Sign in to your portal"},
		{"/about", "About the practice"},
		{"/services", "not a cure"},
		{"/what-to-expect", "Integration"},
		{"/is-kap-right", "psychosis"},
		{"/fees", "Fees and questions"},
		{"/contact", `href="/inquiry"`},
	} {
		r := f.Do("GET", tt.path, nil, "")
		if r.Status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", tt.path, r.Status)
			continue
		}
		webtest.CheckShell(t, tt.path, r)
		if !strings.Contains(r.Body, tt.want) {
			t.Errorf("GET %s lacks %q", tt.path, tt.want)
		}
		canon := `<link rel="canonical" href="http://localhost` + tt.path + `">`
		if !strings.Contains(r.Body, canon) {
			t.Errorf("GET %s lacks %s", tt.path, canon)
		}
		if !strings.Contains(r.Body, `<meta name="description" content="`) || strings.Contains(r.Body, `<meta name="description" content="">`) {
			t.Errorf("GET %s lacks a description", tt.path)
		}
	}
	home := f.Do("GET", "/", nil, "")
	for _, want := range []string{`href="/login"`, `href="/inquiry"`, `id="pathway"`, "Medical evaluation"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	services := f.Do("GET", "/services", nil, "")
	for _, want := range []string{`href="/what-to-expect"`, `href="/is-kap-right"`, `href="/fees"`} {
		if !strings.Contains(services.Body, want) {
			t.Errorf("services page lacks the link %s", want)
		}
	}
}

func TestSiteEditingByAdmins(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	thea := f.SignIn("thea@example.org")

	if r := f.Do("GET", "/admin/site", nil, admin); r.Status != 200 || !strings.Contains(r.Body, `href="/admin/site/pages/fees"`) || !strings.Contains(r.Body, "Thea Therapist") {
		t.Errorf("GET /admin/site = %d, want the pages and the team", r.Status)
	}
	if r := f.Do("GET", "/admin/site/pages/fees", nil, admin); r.Status != 200 || !strings.Contains(r.Body, "Please contact us for our current fees.") {
		t.Errorf("GET the fees editor = %d, want the built-in text in the form", r.Status)
	}
	body := "Sessions cost **$150** (an example).\n\n<script>alert(1)</script>\n\n[evil](javascript:alert(1))"
	if r := f.Do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees"}, "body": {body}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("a therapist saving a page = %d, want 404", r.Status)
	}

	// Preview shows the text rendered and saves nothing.
	r := f.Do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees"}, "body": {body}, "action": {"preview"}}, admin)
	if r.Status != 200 || !strings.Contains(r.Body, "<strong>$150</strong>") {
		t.Errorf("preview = %d, want the rendered text", r.Status)
	}
	if p, _ := f.St.SitePage(context.Background(), "fees"); !p.Default {
		t.Errorf("preview saved the page")
	}

	// A missing title comes back at the field with the text kept.
	r = f.Do("POST", "/admin/site/pages/fees", url.Values{"title": {""}, "body": {"Kept text"}}, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `aria-describedby="title-error"`) || !strings.Contains(r.Body, "Kept text") {
		t.Errorf("save without a title = %d, want 422 with the error at the title and the text kept", r.Status)
	}

	r = f.Do("POST", "/admin/site/pages/fees", url.Values{"title": {"Fees and FAQ"}, "body": {body}}, admin)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin/site?done=page" {
		t.Fatalf("save = %d %s, want 303 to the editor", r.Status, r.Header.Get("Location"))
	}
	pub := f.Do("GET", "/fees", nil, "")
	if !strings.Contains(pub.Body, "Fees and FAQ") || !strings.Contains(pub.Body, "<strong>$150</strong>") {
		t.Errorf("public fees page does not show the saved text")
	}
	if strings.Contains(pub.Body, "<script>alert") || strings.Contains(pub.Body, "javascript:") {
		t.Errorf("public fees page passes script through: %s", pub.Body)
	}
	if n, _, _ := f.St.CountAudit(context.Background(), "site.page.save", "fees", "", time.Time{}); n != 1 {
		t.Errorf("site.page.save audit rows = %d, want 1", n)
	}

	// The home page's hero comes from the home page's text.
	if r := f.Do("POST", "/admin/site/pages/home", url.Values{"title": {"Welcome to Willow Creek"}, "body": {"We walk *with* you."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save home = %d", r.Status)
	}
	home := f.Do("GET", "/", nil, "")
	if !strings.Contains(home.Body, "<h1>Welcome to Willow Creek</h1>") || !strings.Contains(home.Body, "<em>with</em>") || !strings.Contains(home.Body, `href="/login"`) {
		t.Errorf("home page does not show the saved hero with the sign-in link")
	}

	// An earlier version can be loaded back into the form.
	vs, err := f.St.SitePageVersions(context.Background(), f.As("admin@example.org"), "fees", 5)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions = %v, %v", vs, err)
	}
	if r := f.Do("GET", "/admin/site/pages/fees?version="+vs[0].ID, nil, admin); r.Status != 200 || !strings.Contains(r.Body, "The form holds the version saved") {
		t.Errorf("loading a version = %d, want the notice", r.Status)
	}
}

func TestStaffProfileEditing(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	thea := f.SignIn("thea@example.org")
	pat := f.SignIn("pat@example.org")
	theo := f.Users["theo@example.org"]

	if r := f.Do("GET", "/account/profile", nil, thea); r.Status != 200 || !strings.Contains(r.Body, `value="thea-therapist"`) {
		t.Errorf("GET /account/profile as thea = %d, want her form with a suggested address", r.Status)
	}
	if r := f.Do("GET", "/account/profile", nil, pat); r.Status != http.StatusNotFound {
		t.Errorf("GET /account/profile as a patient = %d, want 404", r.Status)
	}
	// Public needs a bio: the form comes back with what was typed.
	r := f.Do("POST", "/account/profile", url.Values{"credentials": {"LMSW"}, "public": {"yes"}, "slug": {"thea"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="LMSW"`) || !strings.Contains(r.Body, `id="bio-error"`) || !strings.Contains(r.Body, `value="thea"`) {
		t.Errorf("public profile without a bio = %d, want 422 keeping the input", r.Status)
	}
	r = f.Do("POST", "/account/profile", url.Values{"credentials": {"LMSW"}, "public": {"yes"}, "slug": {"thea"}, "bio": {"Thea works with *grief*."}}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/profile?done=saved" {
		t.Fatalf("saving her profile = %d %s", r.Status, r.Header.Get("Location"))
	}
	// A therapist cannot edit a colleague's profile; an admin can.
	if r := f.Do("POST", "/admin/site/team/"+theo.ID, url.Values{"bio": {"x"}}, thea); r.Status != http.StatusNotFound {
		t.Errorf("thea editing theo's profile = %d, want 404", r.Status)
	}
	r = f.Do("POST", "/admin/site/team/"+theo.ID, url.Values{"slug": {"thea"}, "bio": {"Theo."}}, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="slug-error"`) {
		t.Errorf("admin giving theo thea's address = %d, want 422 at the slug", r.Status)
	}
	r = f.Do("POST", "/admin/site/team/"+theo.ID, url.Values{"credentials": {"MD"}, "bio": {"Theo."}, "public": {"yes"}}, admin)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("admin saving theo's profile = %d", r.Status)
	}
	// Thea has a post, Theo none: only Thea's writing is linked.
	f.Post("thea@example.org", store.Post{Title: "On grief", Body: "Words."})
	about := f.Do("GET", "/about", nil, "")
	for _, want := range []string{"Thea Therapist", "LMSW", "<em>grief</em>", `href="/blog/author/thea"`, "Theo Therapist"} {
		if !strings.Contains(about.Body, want) {
			t.Errorf("about page lacks %s", want)
		}
	}
	if strings.Contains(about.Body, `href="/blog/author/theo-therapist"`) {
		t.Error("about page links to the writing of someone with no posts")
	}
	if strings.Contains(about.Body, "Rex Prescriber") {
		t.Errorf("about page shows a profile that was never made public")
	}
	if slug, cred, err := f.St.AuthorProfile(context.Background(), f.Users["thea@example.org"].ID); slug != "thea" || cred != "LMSW" || err != nil {
		t.Errorf("AuthorProfile(thea) = %q, %q, %v", slug, cred, err)
	}
}
