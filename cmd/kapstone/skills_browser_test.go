package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBrowserSkillsOnPhone: on a phone (390×844) the demo patient finds
// Skills in one tap from the portal home, writes an emotion log (kept
// private), a cope-ahead plan (shared) and a diary card day; a form sent
// with a problem keeps what was typed. The therapist then sees the shared
// plan from the chart and is answered 404 for the private log by its URL.
// axe-core finds no serious violation on the portal's skills pages and the
// chart's skills page, and no page is wider than the phone. Issue 17,
// item 2.
func TestBrowserSkillsOnPhone(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var pt, th demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Name == "Jordan Lee" {
			pt = l
		}
		if l.Email == "lena.ortiz@willowcreek.example" {
			th = l
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.FullScreenshot(90))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	axed := 0
	check := func(page string) {
		t.Helper()
		if wide := run1(t, b, page+" overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s is wider than the window: %s", page, wide)
		}
		res, err := runAxe(t, b)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		axed++
		for _, v := range res.Violations {
			t.Errorf("%s: axe %s (%s): %s: %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
		}
	}
	saved := func(what string) {
		t.Helper()
		b.do(t, what, chromedp.Click(chromedp.CSS(`.skill-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("skills-done")))
	}

	b.do(t, "phone", chromedp.EmulateViewport(390, 844))
	signInBrowser(t, b, in.url, pt.Email, pt.Password, "")
	b.do(t, "one tap to skills", chromedp.Click(chromedp.CSS(`#home-skills a[href="/portal/skills"]`)), chromedp.WaitVisible(chromedp.ID("skills-title")))
	check("portal skills")
	shoot("skills-phone-1-home")

	// An emotion log, private. Sent first without a feeling: the error is
	// at the field and the words typed are kept.
	b.do(t, "emotion log", chromedp.Click(chromedp.ID("start-emotion")), chromedp.WaitVisible(chromedp.ID("feeling")))
	b.do(t, "intensity", void(chromedp.Evaluate[bool](`(() => { const r = document.getElementById("intensity"); r.value = "80"; r.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)))
	if out := run1(t, b, "range number", chromedp.Text(chromedp.ID("intensity-out"))); out != "80" {
		t.Errorf("the range shows %q, want 80", out)
	}
	b.do(t, "message", chromedp.SendKeys(chromedp.ID("message"), "That I have been carrying too much alone."))
	check("emotion log form")
	b.do(t, "no feeling", chromedp.Click(chromedp.CSS(`.skill-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("feeling-error")))
	if v := run1(t, b, "kept", chromedp.Value(chromedp.ID("message"))); v != "That I have been carrying too much alone." {
		t.Errorf("after the error the message reads %q", v)
	}
	if v := run1(t, b, "kept range", chromedp.Value(chromedp.ID("intensity"))); v != "80" {
		t.Errorf("after the error the intensity reads %q", v)
	}
	shoot("skills-phone-2-emotion-error")
	b.do(t, "feeling", chromedp.SetValue(chromedp.ID("feeling"), "lonely"))
	saved("save emotion log")

	// A cope-ahead plan, shared.
	b.do(t, "cope ahead", chromedp.Click(chromedp.ID("start-cope")), chromedp.WaitVisible(chromedp.ID("situation")))
	b.do(t, "situation", chromedp.SendKeys(chromedp.ID("situation"), "My sister's wedding"),
		void(chromedp.Evaluate[bool](`(document.getElementById("on").value = "2099-06-20", true)`)),
		chromedp.SendKeys(chromedp.ID("hard"), "Seeing my father"),
		chromedp.SendKeys(chromedp.ID("call"), "Priya"),
		chromedp.Click(chromedp.ID("skill-shared")))
	check("cope ahead form")
	shoot("skills-phone-3-cope")
	saved("save cope ahead")

	// Today's diary card.
	b.do(t, "diary card", chromedp.Click(chromedp.ID("start-diary")), chromedp.WaitVisible(chromedp.ID("day")))
	b.do(t, "diary answers", chromedp.Click(chromedp.CSS(`input[name="emotion_sadness"][value="3"]`)),
		chromedp.Click(chromedp.CSS(`input[name="urge_substance"][value="2"]`)),
		chromedp.Click(chromedp.CSS(`input[name="skill"][value="tipp"]`)),
		chromedp.SendKeys(chromedp.ID("sleep"), "7"))
	check("diary card form")
	shoot("skills-phone-4-diary")
	saved("save diary card")
	check("portal skills after saving")
	shoot("skills-phone-5-list")
	var entries map[string]string
	raw := run1(t, b, "entries", chromedp.Evaluate[string](`JSON.stringify(Object.fromEntries([...document.querySelectorAll(".row-list a")].map(a => [a.querySelector("strong").textContent, a.getAttribute("href")])))`))
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		t.Fatal(err)
	}
	private, shared := entries["Feeling lonely (80 of 100)"], entries["Cope ahead: My sister's wedding"]
	if private == "" || shared == "" {
		t.Fatalf("the list lacks the entries written: %v", entries)
	}
	b.do(t, "week", chromedp.Navigate(in.url+"/portal/skills/week"), chromedp.WaitVisible(chromedp.CSS(".diary-week table")))
	check("diary week")
	shoot("skills-phone-6-week")
	signOutBrowser(t, b, "patient sign-out", `header form[action="/logout"] button`)

	// The therapist: the shared plan on the chart's skills page; the
	// private log is 404 by its URL.
	b.do(t, "desktop", chromedp.EmulateViewport(1280, 800))
	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)
	name, _ := json.Marshal(pt.Name)
	chart := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	b.do(t, "chart", chromedp.Navigate(in.url+chart), chromedp.WaitVisible(chromedp.ID("skills-link")))
	b.do(t, "skills page", chromedp.Click(chromedp.ID("skills-link")), chromedp.WaitVisible(chromedp.ID("entries")))
	text := run1(t, b, "skills text", chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "Cope ahead: My sister's wedding") || strings.Contains(text, "Feeling lonely") || strings.Contains(text, "carrying too much") {
		t.Errorf("the chart's skills page shows the wrong entries:\n%s", text)
	}
	check("chart skills (desktop)")
	shoot("skills-desktop-7-chart")
	staffShared := strings.Replace(shared, "/portal/skills/", chart+"/skills/", 1)
	staffPrivate := strings.Replace(private, "/portal/skills/", chart+"/skills/", 1)
	b.do(t, "shared entry", chromedp.Navigate(in.url+staffShared), chromedp.WaitVisible(chromedp.CSS(".skill-answers")))
	if got := run1(t, b, "shared text", chromedp.Text(chromedp.CSS(".skill-answers"))); !strings.Contains(got, "Seeing my father") {
		t.Errorf("the shared plan reads %q", got)
	}
	status := run1(t, b, "private by URL", chromedp.Evaluate[int](`fetch(`+jsString(staffPrivate)+`).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != 404 {
		t.Errorf("the therapist's GET of the private entry = %d, want 404", status)
	}
	b.do(t, "private page", chromedp.Navigate(in.url+staffPrivate), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got := run1(t, b, "private text", chromedp.Text(chromedp.CSS("main"))); strings.Contains(got, "carrying too much") || strings.Contains(got, "lonely") {
		t.Errorf("the private entry's page shows its text: %q", got)
	}
	b.do(t, "phone chart", chromedp.EmulateViewport(390, 844), chromedp.Navigate(in.url+chart+"/skills"), chromedp.WaitVisible(chromedp.ID("entries")))
	check("chart skills (phone)")
	shoot("skills-phone-8-chart")
	t.Logf("axe-core ran on %d pages", axed)
	// The form sent without a feeling (422) and the private entry (404)
	// answer as they should.
	b.checkConsole(t, "422 (Unprocessable Entity) ("+in.url+"/portal/skills)", "404 (Not Found) ("+in.url+staffPrivate+")")
}
