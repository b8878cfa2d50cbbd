package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// visibleText is what a reader sees of a page: no scripts, styles or tags.
func visibleText(body string) string {
	body = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(body), " ")
}

// developerWords are words from kapstone's code and notes that no page may
// show its readers: issue numbers, the reference notes, the product seed,
// the scoring library the notes cite, file names, raw addresses, and audit
// action or permission names.
var developerWords = regexp.MustCompile(`\b(?i:issues?)\b|REFERENCE|\b(?i:seed)\b|(?i:camcops)|\b[a-z0-9_]+\.md\b|https?://|\b(?:chart|patient|patients|measures|measure|outcomes|intake|timeline|appointments|appointment|checkin|journal|dosing|preparation|prescription|alert|course|evaluation|clearance|consult|team|token|emergency|audit|access_report)\.[a-z_]+(?:\.[a-z_]+)?\b`)

// TestNoDeveloperWords renders the pages that show rule and score sources
// and audit actions, to staff and to a patient, and fails on developer words
// (issue 15: "kapstone product seed (issue 4)", "REFERENCE.md 1.3",
// "camcops tasks/pcl5.py", raw URLs, "(measures.read)").
func TestNoDeveloperWords(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/intake", webtest.IntakeForm("submit", []string{"psychosis_history", "mania_history"}, "Xanax 0.5mg", "blorptex", "sleeping pill", "Synthroid"), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("intake = %d", r.Status)
	}
	f.Paper("phq9", 14, f.Now.Add(-6*7*24*time.Hour))
	f.Paper("phq9", 4, f.Now.Add(-time.Hour))
	f.Paper("gad7", 12, f.Now.Add(-time.Hour))
	thea, rex, admin := f.SignIn("thea@example.org"), f.SignIn("rex@example.org"), f.SignIn("admin@example.org")
	chart := "/patients/" + f.PA.ID
	// Staff read the patient's outcomes, so the access report lists those reads.
	for _, p := range []string{chart, "/patients/" + f.PA.ID + "/progress", "/outcomes"} {
		f.Do("GET", p, nil, thea)
	}
	// A queued job of each kind shows on the jobs page in words.
	if err := f.St.RequestPasswordReset(t.Context(), store.Actor{}, f.Users["pat@example.org"].ID, f.Users["pat@example.org"].ID); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ who, cookie, path, must string }{
		{"admin", admin, "/admin/jobs", "Password reset link by email"},
		{"thea", thea, chart, "Source:"},
		{"rex", rex, chart, "Source:"},
		{"thea", thea, "/screening/rules", "Spravato"},
		{"thea", thea, "/outcomes", ""},
		{"admin", admin, "/admin/instruments", "Weathers FW"},
		{"patient", pat, "/portal/access", "Opened your record"},
		{"patient", pat, "/portal/progress", ""},
	}
	for _, p := range pages {
		r := f.Do("GET", p.path, nil, p.cookie)
		if r.Status != http.StatusOK {
			t.Errorf("GET %s as %s = %d", p.path, p.who, r.Status)
			continue
		}
		text := visibleText(r.Body)
		if p.must != "" && !strings.Contains(text, p.must) {
			t.Errorf("GET %s as %s lacks %q: the test would not see the sources", p.path, p.who, p.must)
		}
		for _, m := range developerWords.FindAllStringIndex(text, 5) {
			t.Errorf("GET %s as %s shows developer words %q in …%s…", p.path, p.who, text[m[0]:m[1]], text[max(0, m[0]-60):min(len(text), m[1]+60)])
		}
	}
	t.Logf("%d pages checked", len(pages))
}

// TestCredentialsShownOnce: a therapist whose account and website profile
// both carry LCSW is "Sam Whitaker, LCSW" once on the post's byline, the
// author page's title and heading, the About page and the chart's care team
// (issue 15: "Sam Whitaker, LCSW, LCSW", also in <title>).
func TestCredentialsShownOnce(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	sam := &clinic.User{Email: "sam@example.org", DisplayName: "Sam Whitaker", Credentials: "LCSW", Role: clinic.RoleTherapist}
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	if err := f.St.CreateUserWithTOTP(ctx, store.System, sam, hash, webtest.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	f.Users[sam.Email] = sam
	if err := f.St.SaveStaffProfile(ctx, f.As(sam.Email), &store.StaffProfile{UserID: sam.ID, Slug: "sam-whitaker", Credentials: "LCSW", Bio: "Sam works with adults.", Public: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.St.AddTeamMember(ctx, f.As("thea@example.org"), f.PA.ID, sam.ID); err != nil {
		t.Fatal(err)
	}
	p := f.Post(sam.Email, store.Post{Title: "Sleep after a session", Body: "Rest."})
	for _, c := range []struct{ who, path string }{
		{"", "/blog/" + p.Slug}, {"", "/blog/author/sam-whitaker"}, {"", "/about"}, {"thea@example.org", "/patients/" + f.PA.ID},
	} {
		cookie := ""
		if c.who != "" {
			cookie = f.SignIn(c.who)
		}
		r := f.Do("GET", c.path, nil, cookie)
		text := visibleText(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(text, "Sam Whitaker") {
			t.Errorf("GET %s = %d, want 200 naming Sam Whitaker", c.path, r.Status)
		}
		if strings.Contains(text, "LCSW, LCSW") || strings.Contains(text, "LCSW , LCSW") {
			t.Errorf("GET %s shows the credentials twice", c.path)
		}
		if title := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(r.Body); title != nil && strings.Count(title[1], "LCSW") > 1 {
			t.Errorf("GET %s: <title> %q shows the credentials twice", c.path, title[1])
		}
	}
	if r := f.Do("GET", "/blog/author/sam-whitaker", nil, ""); !strings.Contains(r.Body, "Posts by Sam Whitaker, LCSW") {
		t.Errorf("author page does not say Posts by Sam Whitaker, LCSW")
	}
	// A name that still carries its credentials (one migration 0026 did not
	// recognise) gets no second copy from the profile either.
	if _, err := f.RawDB().Exec(`UPDATE users SET display_name = 'Sam Whitaker, LCSW', credentials = '' WHERE email = 'sam@example.org'`); err != nil {
		t.Fatal(err)
	}
	f.Srv.PublicPages.Clear()
	for _, path := range []string{"/blog/" + p.Slug, "/blog/author/sam-whitaker"} {
		if r := f.Do("GET", path, nil, ""); strings.Contains(visibleText(r.Body), "LCSW , LCSW") || strings.Contains(r.Body, "LCSW, LCSW") {
			t.Errorf("GET %s with the credentials in the name shows them twice", path)
		}
	}
}
