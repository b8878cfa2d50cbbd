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

// TestBrowserStaleClearance: in the demo practice Riley Chen sent a
// changed intake (high blood pressure, a new medication) after the
// prescriber's clearance. The prescriber's caseload marks the patient
// "Clearance out of date", and the chart says so with what changed and
// when, on a desktop and a phone, with dosing on hold.
func TestBrowserStaleClearance(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var rx demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Email == "priya.natarajan@riverbend-medical.example" {
			rx = l
		}
	}
	if rx.Email == "" {
		t.Fatal("the demo has no prescriber login")
	}
	shots := screenshotDir(t)
	save := func(name string, png []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signInBrowser(t, b, in.url, rx.Email, rx.Password, rx.TOTPSecret)

	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	name, _ := json.Marshal("Riley Chen")
	row := run1(t, b, "Riley's row", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).textContent`))
	if !strings.Contains(row, "Clearance out of date") || !strings.Contains(row, "changes to the intake since the clearance") {
		t.Errorf("Riley's caseload row = %q, want the out-of-date badge and what it is about", row)
	}
	if n := run1(t, b, "badges", chromedp.Evaluate[int](`[...document.querySelectorAll('.row-list .badge')].filter(e => e.textContent.includes("Clearance out of date")).length`)); n != 1 {
		t.Errorf("%d out-of-date badges on the caseload, want 1 (Riley only)", n)
	}
	save("clearance-caseload", run1(t, b, "caseload shot", chromedp.FullScreenshot(90)))

	href := run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		b.do(t, size.name, chromedp.EmulateViewport(size.w, size.h))
		b.do(t, "chart "+size.name, chromedp.Navigate(in.url+href), chromedp.WaitVisible(chromedp.ID("clearance-out-of-date")))
		text := run1(t, b, "clearance text", chromedp.Text(chromedp.ID("clearance")))
		for _, want := range []string{"Clearance out of date:", "new medication: Lisinopril 10 mg daily;", "(intake sent ", "high blood pressure", "changed from no to yes", "On hold"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the clearance card lacks %q: %q", size.name, want, text)
			}
		}
		if wide := run1(t, b, "overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s: the chart is wider than the window: %s", size.name, wide)
		}
		b.do(t, "scroll", chromedp.ScrollIntoView(chromedp.ID("clearance")))
		save("clearance-chart-"+size.name, run1(t, b, "clearance shot", chromedp.Screenshot(chromedp.ID("clearance"))))
	}
	b.checkConsole(t)
}
