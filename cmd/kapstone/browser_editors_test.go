package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBrowserEditors (issue 15): a therapist books from a free hour of
// their week (the slot is a link reachable by keyboard with a visible
// focus; the form opens with the time filled in), and uploads an image in
// the post editor without leaving it: the draft stays and the image's
// Markdown goes in at the cursor. An admin's home page editor and its
// preview are looked at too. Screenshots at 1280x800 and 390x844.
func TestBrowserEditors(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	logins := map[string]demo.Login{}
	for _, l := range readLogins(t, dir) {
		if _, ok := logins[string(l.Role)]; !ok {
			logins[string(l.Role)] = l
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		if run1(t, b, name, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s: page is wider than the window", name)
		}
		png := run1(t, b, name, chromedp.FullScreenshot(90))
		if err := os.WriteFile(filepath.Join(shots, "editors-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	th := logins["therapist"]
	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)

	// The calendar, two weeks on: free hours are links.
	week := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
	for _, sz := range []struct {
		tag  string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
		b.do(t, "calendar "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/calendar?week="+week), chromedp.WaitVisible(chromedp.CSS("a.slot")))
		shoot("calendar-" + sz.tag)
	}
	// Keyboard: tabbing from the last link before the slots reaches a slot,
	// and its focus is drawn.
	focused := run1(t, b, "tab to a slot", chromedp.Evaluate[string](`(() => {
	  const s = document.querySelector("a.slot"); s.focus();
	  const st = getComputedStyle(s);
	  return document.activeElement === s && st.outlineStyle !== "none" && st.outlineWidth !== "0px" ? s.getAttribute("href") : "";
	})()`))
	if !strings.HasPrefix(focused, "/calendar/book?at=") {
		t.Fatalf("a free slot takes no visible keyboard focus (%q)", focused)
	}
	at := strings.ReplaceAll(strings.TrimPrefix(focused, "/calendar/book?at="), "%3A", ":")
	b.do(t, "open the slot", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("book-starts_at")))
	if v := run1(t, b, "slot time", chromedp.Value(chromedp.ID("book-starts_at"))); v != at {
		t.Fatalf("the booking form's time = %q, want the slot's %q", v, at)
	}
	shoot("book-desktop")
	b.do(t, "book phone", chromedp.EmulateViewport(390, 844))
	shoot("book-phone")
	// The patient search answers as one types (no page load, no name in
	// the URL): nothing matches "zzzq", and clearing it lists them again.
	b.do(t, "search patients",
		chromedp.EmulateViewport(1280, 800),
		chromedp.SendKeys(chromedp.ID("book-patient_q"), "zzzq"),
		chromedp.WaitVisible(chromedp.ID("book-none")),
		void(chromedp.Evaluate[bool](`(() => { document.getElementById("book-patient_q").value = ""; return true })()`)),
		chromedp.Click(chromedp.ID("book-find")),
		chromedp.WaitVisible(chromedp.ID("book-matches")),
	)
	if u := run1(t, b, "search url", chromedp.Evaluate[string](`location.href`)); strings.Contains(u, "zzzq") || !strings.Contains(u, "/calendar/book?at=") {
		t.Errorf("the search left the page or put its words in the URL: %s", u)
	}
	b.do(t, "book",
		void(chromedp.Evaluate[bool](`(() => { document.querySelector('#book-matches input[name="patient"]').checked = true; document.getElementById("book-kind").value = "integration"; return true })()`)),
		chromedp.Click(chromedp.CSS(`form[action="/calendar/book"] .actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("schedule-title")),
	)
	if n := run1(t, b, "booked notice", chromedp.Text(chromedp.CSS("main .notice"))); !strings.Contains(n, "Appointment booked") {
		t.Errorf("after booking the calendar says %q", n)
	}
	if run1(t, b, "slot gone", chromedp.Evaluate[bool](`!!document.querySelector('a.slot[href="`+focused+`"]')`)) {
		t.Error("the booked hour is still offered")
	}

	// The post editor: the image uploads without leaving the draft.
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.Black)
	png.Encode(&buf, img)
	file := filepath.Join(t.TempDir(), "lake.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(t, "editor",
		chromedp.Navigate(in.url+"/site/posts/new"),
		chromedp.WaitVisible(chromedp.ID("post-body")),
		chromedp.SendKeys(chromedp.ID("post-title"), "Rest after a session"),
		chromedp.SendKeys(chromedp.ID("post-body"), "Before the image.\n\nAfter the image."),
		// The cursor after the first paragraph.
		void(chromedp.Evaluate[bool](`(() => { const b = document.getElementById("post-body"); b.focus(); b.setSelectionRange(17, 17); return true })()`)),
		chromedp.SetUploadFiles(chromedp.ID("upload-image"), []string{file}),
		chromedp.SendKeys(chromedp.ID("upload-alt"), "A calm lake"),
		chromedp.Click(chromedp.CSS(`button[data-inline-upload]`)),
		void(chromedp.Poll[bool](`document.getElementById("upload-status").textContent.includes("Image uploaded")`)),
	)
	if u := run1(t, b, "still in the editor", chromedp.Location()); !strings.HasSuffix(u, "/site/posts/new") {
		t.Errorf("the upload left the editor for %s", u)
	}
	body := run1(t, b, "post body", chromedp.Value(chromedp.ID("post-body")))
	if !strings.HasPrefix(body, "Before the image.\n\n![A calm lake](/media/") || !strings.HasSuffix(body, ")\n\nAfter the image.") {
		t.Errorf("the post after the upload = %q; want the image's Markdown between the paragraphs", body)
	}
	if v := run1(t, b, "title kept", chromedp.Value(chromedp.ID("post-title"))); v != "Rest after a session" {
		t.Errorf("title after the upload = %q", v)
	}
	if !run1(t, b, "cover choice", chromedp.Evaluate[bool](`[...document.querySelectorAll("#post-cover option")].some(o => o.textContent === "A calm lake (40×30)")`)) {
		t.Error("the uploaded image is not offered as the cover")
	}
	shoot("post-upload-desktop")
	b.do(t, "editor phone", chromedp.EmulateViewport(390, 844))
	shoot("post-upload-phone")
	// On a phone the fields below the post are drawn (not a blank gap).
	if !run1(t, b, "tags on a phone", chromedp.Evaluate[bool](`(() => { const r = document.getElementById("post-tags").getBoundingClientRect(); return r.width > 200 && r.height > 30 })()`)) {
		t.Error("the tags field is not laid out on a phone")
	}
	b.do(t, "scroll to tags", void(chromedp.Evaluate[bool](`(document.getElementById("post-tags").scrollIntoView(), true)`)))
	vp := run1(t, b, "viewport", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(shots, "editors-post-tags-phone.png"), vp, 0o644); err != nil {
		t.Fatal(err)
	}
	signOutBrowser(t, b, "sign out", `header form[action="/logout"] button`)

	// The admin's home page editor, and its preview of the whole page.
	ad := logins["admin"]
	signInBrowser(t, b, in.url, ad.Email, ad.Password, ad.TOTPSecret)
	for _, sz := range []struct {
		tag  string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
		b.do(t, "home editor "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/admin/site/pages/home"), chromedp.WaitVisible(chromedp.ID("text-cta")))
		shoot("home-editor-" + sz.tag)
	}
	b.do(t, "home preview",
		chromedp.SetValue(chromedp.ID("text-step1_title"), "First conversation"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(".home-preview")),
	)
	if s := run1(t, b, "preview", chromedp.Text(chromedp.CSS(".home-preview"))); !strings.Contains(s, "First conversation") {
		t.Errorf("the preview lacks the changed step: %.200q", s)
	}
	shoot("home-preview-desktop")
	b.do(t, "preview phone", chromedp.EmulateViewport(390, 844))
	shoot("home-preview-phone")
	b.checkConsole(t)
	t.Logf("screenshots in %s", shots)
}
