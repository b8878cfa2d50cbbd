package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOutcomes looks at the outcomes dashboard of the demo practice
// on a phone and a desktop: per course, small groups hidden from the
// administrator, the literature figure
// with its own interval and time point; then at the chart of the demo
// patient whose course started below caseness, which shows no Response or
// Remission badge.
func TestBrowserOutcomes(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	shots := screenshotDir(t)
	look := func(name, path, ready string) string {
		t.Helper()
		var text string
		for _, sz := range []struct {
			tag  string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
			what := name + " at " + sz.tag
			b.do(t, what, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+path), chromedp.WaitVisible(chromedp.CSS(ready)))
			if run1(t, b, what, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
				t.Errorf("%s: page is wider than the window", what)
			}
			png := run1(t, b, what, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(shots, name+"-"+sz.tag+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
			text = run1(t, b, what, chromedp.Text(chromedp.CSS("main")))
		}
		return text
	}
	var admin, lena struct{ Email, Password, TOTPSecret, Name string }
	for _, l := range readLogins(t, dir) {
		switch {
		case l.Role == "admin" && admin.Email == "":
			admin.Email, admin.Password, admin.TOTPSecret = l.Email, l.Password, l.TOTPSecret
		case strings.HasPrefix(l.Email, "lena.ortiz@"):
			lena.Email, lena.Password, lena.TOTPSecret = l.Email, l.Password, l.TOTPSecret
		}
	}
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	text := look("outcomes-dashboard", "/outcomes", "#outcomes-title")
	// The administrator has no caseload: the demo's 4 followed-up courses
	// are too few to show them (measure.MinCell).
	for _, want := range []string{
		"All courses, intention to treat", "fewer than 5", "too few courses to show without identifying patients", "without a follow-up",
		"17/24, 95% CI 51–85%", "after the sixth infusion", "4 to 12 weeks after",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("outcomes dashboard lacks %q", want)
		}
	}
	look("outcomes-gad7", "/outcomes?instrument=gad7", "#outcomes-title")
	signOutBrowser(t, b, "admin sign-out", `header form[action="/logout"] button`)

	signInBrowser(t, b, in.url, lena.Email, lena.Password, lena.TOTPSecret)
	// A therapist sees her own patients' courses in full: Quinn's missing
	// follow-up is counted as not improved.
	if text := look("outcomes-therapist", "/outcomes", "#outcomes-title"); !strings.Contains(text, "1 counted as not improved") || strings.Contains(text, "fewer than 5") {
		t.Errorf("a therapist's outcomes are suppressed or lack her course without a follow-up")
	}
	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	name, _ := json.Marshal("Dana Whitfield")
	href := run1(t, b, "Dana's link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	chart := look("outcomes-chart-below-caseness", href+"#p-phq9", "#p-phq9")
	section := run1(t, b, "PHQ-9 section", chromedp.Screenshot(chromedp.CSS(`section[aria-labelledby="p-phq9"]`)))
	if err := os.WriteFile(filepath.Join(shots, "outcomes-chart-below-caseness-phq9.png"), section, 0o644); err != nil {
		t.Fatal(err)
	}
	badges := run1(t, b, "PHQ-9 badges", chromedp.Text(chromedp.CSS(`section[aria-labelledby="p-phq9"] .outcome-badges`)))
	if !strings.Contains(badges, "Baseline 9") || strings.Contains(badges, "Response") || strings.Contains(badges, "Remission") {
		t.Errorf("PHQ-9 badges of a course from 9 = %q; want no Response or Remission", badges)
	}
	if !strings.Contains(chart, "response and remission are not rated") {
		t.Error("Dana's chart does not say why response and remission are not rated")
	}
	b.checkConsole(t)
}
