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

// TestBrowserPsychNote writes a psychotherapy note in chromium as the demo
// therapist, on a desktop (1280×800) and a phone (390×844): from the
// chart's private section to the note's page; an empty note answers at the
// field; the saved note opens with its notice and its text, and the chart
// lists it by its session without its text. Issue 16 item 4.
func TestBrowserPsychNote(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var th demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Email == "lena.ortiz@willowcreek.example" {
			th = l
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string, view bool) {
		t.Helper()
		grab := chromedp.FullScreenshot(90)
		if view { // the chart is long: what is in view
			grab = chromedp.CaptureScreenshot()
		}
		png := run1(t, b, name, grab)
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)
	name, _ := json.Marshal("Jordan Lee")
	chart := in.url + run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	for _, sz := range []struct {
		tag  string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		text := "Spoke of her brother for the first time (" + sz.tag + ")."
		b.do(t, sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(chart), chromedp.WaitVisible(chromedp.ID("psychnotes-title")))
		b.do(t, sz.tag+" index", chromedp.Click(chromedp.CSS(`.chart-index a[href="#psychnotes"]`)))
		b.do(t, sz.tag+" write", chromedp.Click(chromedp.CSS(`#psychnotes a.button`)), chromedp.WaitVisible(chromedp.ID("psychnote-body")))
		shoot("psychnote-"+sz.tag+"-1-new", false)
		b.do(t, sz.tag+" empty", chromedp.Click(chromedp.CSS(`#psychnote button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#psychnote [data-error-summary]`)))
		shoot("psychnote-"+sz.tag+"-2-error", false)
		b.do(t, sz.tag+" type", chromedp.SendKeys(chromedp.ID("psychnote-body"), text), chromedp.Click(chromedp.CSS(`#psychnote button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("psychnote-notice")))
		if got := run1(t, b, "saved text", chromedp.Value(chromedp.ID("psychnote-body"))); got != text {
			t.Errorf("%s: the saved note reads %q, want %q", sz.tag, got, text)
		}
		shoot("psychnote-"+sz.tag+"-3-saved", false)
		b.do(t, sz.tag+" back", chromedp.Navigate(chart), chromedp.WaitVisible(chromedp.ID("psychnotes-title")))
		section := run1(t, b, "section", chromedp.Evaluate[string](`document.getElementById("psychnotes").innerText`))
		if !strings.Contains(section, "visible only to you") || strings.Contains(section, "brother") || len(run1(t, b, "links", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#psychnotes .psychnote-list a")].map(a => a.href)`))) == 0 {
			t.Errorf("%s: the chart's private section = %q, want the note listed without its text", sz.tag, section)
		}
		b.do(t, sz.tag+" scroll", chromedp.ScrollIntoView(chromedp.ID("psychnotes")))
		shoot("psychnote-"+sz.tag+"-4-chart", true)
	}
}
