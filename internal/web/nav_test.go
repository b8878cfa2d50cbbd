package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	sectionsNav = regexp.MustCompile(`(?s)<nav class="sections".*?</nav>`)
	navHref     = regexp.MustCompile(`href="([^"]+)"`)
)

// navLinks returns the links of the section navigation in body.
func navLinks(body string) []string {
	var out []string
	for _, m := range navHref.FindAllStringSubmatch(sectionsNav.FindString(body), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestNavLinksAnswer: for every role, every link of its navigation answers
// 200 for that role, and the navigation holds only what the role can use:
// the partner prescriber has no inquiry inbox (it would show them nothing to
// do), only the prescriber sets session safety, and the administrator's
// twelve-plus sections come in groups, as do the patient's less used ones
// (the safety plan stays at the top).
func TestNavLinksAnswer(t *testing.T) {
	f := webtest.NewFixture(t)
	checked := 0
	for _, tc := range []struct {
		email        string
		want, absent []string
		groups       int
	}{
		{"thea@example.org", []string{"/patients", "/calendar", "/inquiries", "/outcomes", "/site/posts"}, []string{"/settings/dosing", "/admin/users", "/billing/reports"}, 0},
		{"rex@example.org", []string{"/patients", "/calendar", "/outcomes", "/site/posts", "/settings/dosing"}, []string{"/inquiries", "/admin/users"}, 0},
		{"admin@example.org", []string{"/admin/users", "/patients", "/admin/emergency", "/calendar", "/outcomes", "/admin/instruments", "/settings/dosing", "/admin/practice", "/admin/rooms", "/admin/site", "/site/posts", "/admin/audit", "/admin/jobs", "/billing/reports"}, []string{"/inquiries"}, 5},
		{"pat@example.org", []string{"/portal", "/portal/messages", "/portal/safety-plan", "/portal/skills", "/portal/journal", "/portal/consents"}, []string{"/patients", "/admin/users"}, 2},
	} {
		cookie := f.SignIn(tc.email)
		page := f.Do("GET", "/account", nil, cookie)
		links := navLinks(page.Body)
		if len(links) == 0 {
			t.Fatalf("%s: no section navigation on /account (status %d)", tc.email, page.Status)
		}
		for _, w := range tc.want {
			if !slices.Contains(links, w) {
				t.Errorf("%s: navigation lacks %s (has %v)", tc.email, w, links)
			}
		}
		for _, a := range tc.absent {
			if slices.Contains(links, a) {
				t.Errorf("%s: navigation has %s, which the role cannot use", tc.email, a)
			}
		}
		if n := strings.Count(sectionsNav.FindString(page.Body), `<details class="nav-group`); n != tc.groups {
			t.Errorf("%s: %d navigation groups, want %d", tc.email, n, tc.groups)
		}
		for _, l := range links {
			r := f.Do("GET", l, nil, cookie)
			if r.Status != http.StatusOK {
				t.Errorf("%s: nav link %s = %d, want 200", tc.email, l, r.Status)
			}
			// The page's own link is marked current.
			if !strings.Contains(sectionsNav.FindString(r.Body), `href="`+l+`" aria-current="page"`) {
				t.Errorf("%s: on %s the navigation does not mark it current", tc.email, l)
			}
			checked++
		}
	}
	t.Logf("nav links checked: %d", checked)
}

// TestNavControlledDesignation: the controlled-substance log is in the
// navigation of a prescriber, and of a therapist or administrator only
// once an administrator designates them to keep it
// (users.controlled_substances); the designation shows on the next page,
// and the link answers.
func TestNavControlledDesignation(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	has := func(email, cookie string) bool {
		t.Helper()
		return slices.Contains(navLinks(f.Do("GET", "/account", nil, cookie).Body), "/controlled")
	}
	rex, thea, theo := f.SignIn("rex@example.org"), f.SignIn("thea@example.org"), f.SignIn("theo@example.org")
	if !has("rex", rex) {
		t.Errorf("the prescriber's navigation lacks /controlled")
	}
	for who, c := range map[string]string{"thea": thea, "theo": theo, "admin": admin} {
		if has(who, c) {
			t.Errorf("%s, not designated, has /controlled in the navigation", who)
		}
	}
	for _, email := range []string{"thea@example.org", "admin@example.org"} {
		if r := f.Do("POST", "/admin/users/"+f.Users[email].ID+"/controlled", url.Values{"designated": {"yes"}}, admin); r.Status != http.StatusSeeOther {
			t.Fatalf("designating %s = %d", email, r.Status)
		}
	}
	for who, c := range map[string]string{"thea": thea, "admin": admin} {
		if !has(who, c) {
			t.Errorf("%s, designated, lacks /controlled in the navigation", who)
		}
		if r := f.Do("GET", "/controlled", nil, c); r.Status != http.StatusOK || !strings.Contains(sectionsNav.FindString(r.Body), `href="/controlled" aria-current="page"`) {
			t.Errorf("%s's /controlled = %d, or not marked current", who, r.Status)
		}
	}
	if has("theo", theo) {
		t.Errorf("theo, not designated, has /controlled after the others were designated")
	}
	if r := f.Do("POST", "/admin/users/"+f.Users["thea@example.org"].ID+"/controlled", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("undesignating thea = %d", r.Status)
	}
	if has("thea", thea) {
		t.Errorf("thea, no longer designated, still has /controlled")
	}
}
