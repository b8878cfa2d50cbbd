package site_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestHomeEditorEditsWholePage: the website editor's home page holds
// every text the home page shows (headline, intro, each section's heading
// and text, the buttons); preview shows the whole page without saving;
// saving shows it on the home page, Markdown cleaned; an emptied field
// shows the built-in text again; a bad field comes back at the field with
// what was typed. Audited.
func TestHomeEditorEditsWholePage(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/site/pages/home", nil, admin)
	for _, want := range []string{`name="title"`, `name="body"`, `name="text_eyebrow"`, `name="text_cta"`, `name="text_path_title"`, `name="text_step6_text"`, `name="text_right_button"`, `name="text_portal_text"`, "Screening"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the home page editor lacks %s", want)
		}
	}
	form := url.Values{"title": {"A calmer start"}, "body": {"We work *slowly*."},
		"text_cta": {"Write to us"}, "text_step1_title": {"First talk"},
		"text_step2_text": {"A **doctor** decides.<script>alert(1)</script>"}, "text_portal_title": {"Our patients"}}
	form.Set("action", "preview")
	r = f.Do("POST", "/admin/site/pages/home", form, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Preview of the whole home page") || !strings.Contains(r.Body, "<h3>First talk</h3>") || !strings.Contains(r.Body, "<strong>doctor</strong>") || strings.Contains(r.Body, "<script>alert") {
		t.Fatalf("preview = %d; want the whole page, Markdown cleaned", r.Status)
	}
	if home := f.Do("GET", "/", nil, ""); strings.Contains(home.Body, "First talk") {
		t.Fatal("the preview changed the home page")
	}
	form.Del("action")
	if r := f.Do("POST", "/admin/site/pages/home", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}
	home := f.Do("GET", "/", nil, "")
	for _, want := range []string{"<h1>A calmer start</h1>", "<em>slowly</em>", ">Write to us</a>", "<h3>First talk</h3>", "<strong>doctor</strong>", "Our patients",
		"<h3>Medical evaluation</h3>", ">Sign in to your portal</a>", "Is KAP right for me?"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("the home page lacks %q", want)
		}
	}
	if strings.Contains(home.Body, "<script>alert") || strings.Contains(home.Body, "Make an inquiry") {
		t.Error("the home page shows a script or the old button")
	}
	if rows := f.AuditRows("site.home.save"); len(rows) != 1 {
		t.Errorf("%d site.home.save audit rows, want 1", len(rows))
	}
	// Emptied: the built-in text again.
	form.Set("text_cta", "")
	if r := f.Do("POST", "/admin/site/pages/home", form, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d", r.Status)
	}
	if home := f.Do("GET", "/", nil, ""); !strings.Contains(home.Body, ">Make an inquiry</a>") || !strings.Contains(home.Body, "<h3>First talk</h3>") {
		t.Error("an emptied button does not show the built-in words, or another text was lost")
	}
	// A button on two lines: 422 at the field, what was typed kept.
	form.Set("text_right_button", "Read\nmore")
	form.Set("text_path_title", "Kept heading")
	r = f.Do("POST", "/admin/site/pages/home", form, admin)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="text-right_button-error"`) || !strings.Contains(r.Body, `value="Kept heading"`) {
		t.Fatalf("bad field = %d, want 422 at the field keeping the input", r.Status)
	}
	if home := f.Do("GET", "/", nil, ""); strings.Contains(home.Body, "Kept heading") {
		t.Error("a refused save changed the home page")
	}
	// Other pages keep their simple editor.
	if r := f.Do("GET", "/admin/site/pages/fees", nil, admin); strings.Contains(r.Body, "text_cta") {
		t.Error("the fees page's editor shows the home page's fields")
	}
}
