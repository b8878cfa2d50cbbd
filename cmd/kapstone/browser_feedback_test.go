package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBrowserFeedbackInView posts chart forms in chromium as the therapist,
// on a desktop (1280×800) and a phone (390×844): a booking without its time
// answers 422 and the page lands at the booking form with the error summary
// in view, its link leading to the field; a good booking lands there again
// with its notice in view. The chart's section index takes one tap to any
// section. Then, on a tablet (1024×768), a dosing session's vitals are saved
// and the page comes back at the vitals form with its notice, the session
// bar (clock, what is due next) still in view. Issue 15.
func TestBrowserFeedbackInView(t *testing.T) {
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
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// until waits for a script to say true, across page loads.
	until := func(what, script string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script))
			cancel()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: timed out (%v)", what, err)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}
	// inView fails unless the element sel is wholly inside the viewport
	// (once the page has loaded and settled on its fragment).
	inView := func(what, sel string) {
		t.Helper()
		js, _ := json.Marshal(sel)
		until(what+" loaded", `document.readyState === "complete" && !!document.querySelector(`+string(js)+`)`)
		time.Sleep(300 * time.Millisecond)
		// A sticky bar at the top (the chart's index, the session bar)
		// covers what is under it: the element must be below it.
		rect := run1(t, b, what, chromedp.Evaluate[[]float64](`(() => {
			const el = document.querySelector(`+string(js)+`), r = el.getBoundingClientRect();
			const bar = document.querySelector(".chart-index, .session-top");
			const covered = bar && !bar.contains(el) && getComputedStyle(bar).position === "sticky" ? bar.getBoundingClientRect().bottom : 0;
			return [r.top, r.bottom, window.innerHeight, Math.max(0, covered)];
		})()`))
		if rect[0] < rect[3]-1 || rect[1] > rect[2] {
			t.Errorf("%s: %s spans %.0f to %.0f px, outside the viewport's free part (%.0f to %.0f)", what, sel, rect[0], rect[1], rect[3], rect[2])
		}
	}
	setValue := func(what, id, value string) {
		t.Helper()
		idj, _ := json.Marshal(id)
		vj, _ := json.Marshal(value)
		b.do(t, what, void(chromedp.Evaluate[bool](`(() => { const el = document.getElementById(`+string(idj)+`); el.value = `+string(vj)+`; el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)))
	}

	signInBrowser(t, b, in.url, th.Email, th.Password, th.TOTPSecret)
	name, _ := json.Marshal("Jordan Lee")
	chart := in.url + run1(t, b, "patient link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+string(name)+`)).getAttribute('href')`))
	posts := 0
	for i, sz := range []struct {
		tag  string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		b.do(t, sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(chart), chromedp.WaitVisible(chromedp.ID("appointments-title")))

		// The section index reaches the consult thread in one tap.
		b.do(t, sz.tag+" index", chromedp.Click(chromedp.CSS(`.chart-index a[href="#consult"]`)))
		inView(sz.tag+" consult after one tap", "#consult-title")
		shoot("feedback-" + sz.tag + "-0-index")

		// A booking without its time: 422, at the booking form.
		setValue(sz.tag+" kind", "ap-kind", "integration")
		setValue(sz.tag+" no time", "ap-start", "")
		b.do(t, sz.tag+" book without a time", chromedp.Click(chromedp.CSS(`#book button[type=submit]`)))
		posts++
		until(sz.tag+" 422 page", `document.readyState === "complete" && !!document.querySelector("#book [data-error-summary]")`)
		inView(sz.tag+" error summary", "#book [data-error-summary]")
		if got := run1(t, b, "summary link", chromedp.Evaluate[string](`(() => { const a = document.querySelector("#book [data-error-summary] a"); return a && document.getElementById(a.getAttribute("href").slice(1)) ? a.getAttribute("href") : ""; })()`)); got != "#ap-start" {
			t.Errorf("%s: the error summary links to %q, want #ap-start (an existing field)", sz.tag, got)
		}
		if focused := run1(t, b, "focus", chromedp.Evaluate[string](`document.activeElement === document.querySelector("[data-error-summary]") ? "" : document.activeElement.outerHTML.slice(0, 80) + " / hasFocus " + document.hasFocus()`)); focused != "" {
			t.Errorf("%s: the error summary does not have the focus: %s", sz.tag, focused)
		}
		if v := run1(t, b, "kept", chromedp.Value(chromedp.ID("ap-kind"))); v != "integration" {
			t.Errorf("%s: the kind typed is not kept: %q", sz.tag, v)
		}
		shoot("feedback-" + sz.tag + "-1-error")

		// The link takes the keyboard to the field.
		b.do(t, sz.tag+" summary link", chromedp.Click(chromedp.CSS(`#book [data-error-summary] a`)))
		if id := run1(t, b, "field focused", chromedp.Evaluate[string](`document.activeElement.id`)); id != "ap-start" {
			t.Errorf("%s: after the summary's link the focus is on %q, want ap-start", sz.tag, id)
		}

		// A good booking: the notice, at the booking form.
		when := time.Now().AddDate(0, 0, 20+i).Format("2006-01-02") + "T15:00"
		setValue(sz.tag+" time", "ap-start", when)
		b.do(t, sz.tag+" book", chromedp.Click(chromedp.CSS(`#book button[type=submit]`)))
		posts++
		until(sz.tag+" booked", `document.readyState === "complete" && location.search.includes("done=appointments") && !!document.getElementById("book-notice")`)
		inView(sz.tag+" notice", "#book-notice")
		shoot("feedback-" + sz.tag + "-2-notice")
	}

	// The dosing session on a tablet: start it, pass the gate, give the
	// dose, then save vitals.
	b.do(t, "tablet", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(chart), chromedp.WaitVisible(chromedp.ID("dosing-title")))
	b.do(t, "start", chromedp.Click(chromedp.CSS(`#dosing form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("gate-title")))
	b.do(t, "gate",
		chromedp.Click(chromedp.CSS(`input[name=meds_reviewed]`)),
		chromedp.Click(chromedp.CSS(`input[name=fasting]`)),
		chromedp.Click(chromedp.CSS(`input[name=pregnancy][value=not_applicable]`)),
		chromedp.Click(chromedp.CSS(`input[name=escort_ok]`)),
		chromedp.SendKeys(chromedp.ID("g-bp"), "126/80"),
		chromedp.SendKeys(chromedp.ID("g-hr"), "70"),
		chromedp.SendKeys(chromedp.ID("g-spo2"), "98"),
		chromedp.Click(chromedp.CSS(`.gate-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("dose-title")))
	inView("gate notice", "#dose-notice")
	pickLot(t, b, "K-2291")
	b.do(t, "dose", chromedp.Click(chromedp.CSS(`#dose button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".session-bar")))
	inView("session bar after the dose", ".session-bar")
	inView("vitals form without scrolling", "#v-bp")
	shoot("feedback-tablet-1-session")

	// A failing vitals entry (posted by the page's script, refused, then
	// posted normally): its summary is in view.
	b.do(t, "bad vitals", chromedp.SendKeys(chromedp.ID("v-bp"), "1380/88"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	posts++
	until("refused", `document.readyState === "complete" && !!document.querySelector("#vitals [data-error-summary]")`)
	inView("vitals error summary", "#vitals [data-error-summary]")
	shoot("feedback-tablet-2-vitals-error")
	// Scrolled down, as a clinician would be, then a good entry.
	b.do(t, "go to the page", chromedp.Navigate(in.url+run1(t, b, "path", chromedp.Evaluate[string](`location.pathname.replace(/\/vitals$/, "")`))), chromedp.WaitVisible(chromedp.ID("v-bp")))
	b.do(t, "scroll", void(chromedp.Evaluate[bool](`(document.getElementById("discharge").scrollIntoView(), true)`)))
	b.do(t, "bar link", chromedp.Click(chromedp.CSS(`.session-bar a[href="#vitals"]`)))
	inView("vitals form from the bar", "#v-bp")
	b.do(t, "vitals", chromedp.SendKeys(chromedp.ID("v-bp"), "138/88"), chromedp.SendKeys(chromedp.ID("v-hr"), "84"), chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	posts++
	until("vitals saved", `document.readyState === "complete" && !!document.getElementById("vitals-notice") && document.getElementById("timeline").textContent.includes("138/88")`)
	inView("vitals notice", "#vitals-notice")
	inView("session bar after the save", ".session-bar")
	shoot("feedback-tablet-3-vitals-saved")

	// The same page on a phone, to look at.
	b.do(t, "phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".session-bar")))
	if wide := run1(t, b, "phone overflow", chromedp.Evaluate[string](widest)); wide != "" {
		t.Errorf("the session page is wider than the phone: %s", wide)
	}
	shoot("feedback-phone-3-session")
	b.checkConsole(t, "422 (Unprocessable Entity)")
	t.Logf("%d forms posted and looked at; screenshots in %s", posts, shots)
}
