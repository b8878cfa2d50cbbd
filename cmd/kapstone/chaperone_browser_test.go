package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestBrowserChaperoneOnPhone runs a remote dosing session's chaperone
// page in chromium at phone size (390×844), with the server's clock
// injected (the fixture's): a check-in every 15 minutes for an hour, with
// the page's reminder when one falls due (its countdown runs on the
// server's time, so a phone whose clock is off is reminded on time); the
// watch job (as the job runner runs it, with nobody's page open) finds a
// missed check-in and alerts the clinician, on their session page and
// caseload; "Need help now" alerts at once (and the clinician's open
// session page shows it without a reload); and once the session is closed
// the link stops working. 911 is in large type at the top; nothing is
// wider than the phone; axe-core finds no serious WCAG 2.2 AA violation.
func TestBrowserChaperoneOnPhone(t *testing.T) {
	b := newBrowser(t)
	f := webtest.NewFixture(t)
	ctx := context.Background()
	dose := f.Now
	id := f.InsertDosingSession(f.PA.ID, "dosed", dose.Add(-30*time.Minute))
	if _, err := f.RawDB().Exec(`UPDATE dosing_sessions SET remote = TRUE, chaperone = 'Sam Lee' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	thea := f.As("thea@example.org")
	token, err := f.St.CreateChaperoneLink(ctx, thea, f.PA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.Srv)
	t.Cleanup(ts.Close)
	page := ts.URL + "/chaperone/" + token
	session := "/patients/" + f.PA.ID + "/dosing/" + id
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.CaptureScreenshot()) // the phone's first screen, as the chaperone sees it
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if wide := run1(t, b, name+" overflow", chromedp.Evaluate[string](widest)); wide != "" {
			t.Errorf("%s is wider than the phone: %s", name, wide)
		}
		res, err := runAxe(t, b) // WCAG 2.2 AA: serious and critical
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range res.Violations {
			t.Errorf("%s: axe %s (%s): %s: %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
		}
	}
	until := func(what, script string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			ok, err := chromedp.Run(c, chromedp.Evaluate[bool](script))
			cancel()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				main, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
				t.Fatalf("%s: timed out (%v); the page reads:\n%s", what, err, main)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	textHas := func(what, sel, text string) {
		t.Helper()
		sj, _ := json.Marshal(sel)
		tj, _ := json.Marshal(text)
		until(what, `document.readyState === "complete" && !!document.querySelector(`+string(sj)+`) && document.querySelector(`+string(sj)+`).textContent.includes(`+string(tj)+`)`)
	}
	watch := func() {
		t.Helper()
		if err := f.St.ChaperoneWatchJob(ctx, store.Job{Kind: store.JobChaperoneWatch, Payload: `{"session":"` + id + `"}`}); err != nil {
			t.Fatal(err)
		}
	}
	alert := func() string {
		t.Helper()
		alerts, err := f.St.OpenSafetyAlerts(ctx, thea)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if a.Source == store.AlertSourceChaperone {
				return a.Signal
			}
		}
		return ""
	}
	// staffSees signs the clinician in (on the fixture's clock) and reads
	// a staff page.
	staffSees := func(path, text string) {
		t.Helper()
		if r := f.Do("GET", path, nil, f.SignIn("thea@example.org")); !strings.Contains(r.Body, text) {
			t.Errorf("%s does not show %q to the clinician", path, text)
		}
	}

	b.do(t, "phone", chromedp.EmulateViewport(390, 844))
	b.do(t, "open the link", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("emergency-title")))
	if px := run1(t, b, "911 size", chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.querySelector(".chaperone-911")).fontSize)`)); px < 40 {
		t.Errorf("911 is %.0f px, want large type (40 px or more)", px)
	}
	if top := run1(t, b, "911 first", chromedp.Evaluate[bool](`document.querySelector(".chaperone-emergency").getBoundingClientRect().top < document.getElementById("checkin").getBoundingClientRect().top`)); !top {
		t.Error("the emergency box is not above the check-in")
	}
	if n := run1(t, b, "staff chrome", chromedp.Evaluate[int](`[...document.querySelectorAll(".site-header nav, form[action='/logout']")].filter(e => e.offsetParent !== null).length`)); n != 0 {
		t.Errorf("the chaperone page has %d pieces of staff chrome", n)
	}
	shoot("chaperone-1-plan")

	// A check-in within every 15 minutes for most of an hour, each two
	// minutes before it is due; the watch job between them finds nothing
	// missed.
	for i := 1; i <= 4; i++ {
		f.Now = dose.Add(time.Duration(13*i) * time.Minute)
		b.do(t, "reload", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("checkin-title")))
		textHas("countdown", ".chaperone-next", "Next check-in due in 2 minutes")
		b.do(t, "answer",
			chromedp.Click(chromedp.CSS(`input[name=responsive][value=yes]`)),
			chromedp.Click(chromedp.CSS(`input[name=breathing][value=yes]`)),
			chromedp.Click(chromedp.CSS(`input[name=concern][value=no]`)),
			chromedp.Click(chromedp.CSS(`#checkin button[type=submit]`)))
		textHas("check-in saved", "#notice", "Check-in saved")
		f.Now = dose.Add(time.Duration(13*i+6) * time.Minute)
		watch()
		if a := alert(); a != "" {
			t.Fatalf("check-in %d on time, and an alert: %q", i, a)
		}
	}
	shoot("chaperone-2-checked")
	// The last check was at 52 minutes: due at 67. Three seconds before,
	// the page counts down, then says it is due, on its own.
	f.Now = dose.Add(67*time.Minute - 3*time.Second)
	b.do(t, "before due", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	textHas("the page's reminder", ".chaperone-next", "A check-in is due now")
	shoot("chaperone-3-due")

	// Missed: past the 5-minute grace, the job alerts the clinician.
	f.Now = dose.Add(71 * time.Minute)
	watch()
	if a := alert(); a != "" {
		t.Fatalf("within the grace, an alert: %q", a)
	}
	f.Now = dose.Add(73 * time.Minute)
	watch()
	if a := alert(); !strings.Contains(a, "missed a check-in") {
		t.Fatalf("after a missed check-in the alert is %q", a)
	}
	staffSees(session, "The chaperone missed a check-in")
	staffSees("/patients", "The chaperone missed a check-in")
	b.do(t, "overdue", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("checkin-title")))
	textHas("overdue on the page", ".chaperone-next", "A check-in is overdue")

	// Need help now: at once.
	b.do(t, "top", void(chromedp.Evaluate[bool](`(window.scrollTo(0, 0), true)`)))
	b.do(t, "help", chromedp.Click(chromedp.CSS(`#help button[type=submit]`)))
	textHas("help sent", "#notice", "The clinician has been alerted")
	if a := alert(); !strings.Contains(a, "asked for help now") {
		t.Errorf("after help now the alert is %q", a)
	}
	staffSees(session, "The chaperone asked for help now")
	staffSees("/patients", "The chaperone asked for help now")
	shoot("chaperone-4-help")
	b.checkConsole(t)

	// The clinician's session page, open in the browser, learns of the
	// next alarm (a check-in with a concern) from its watch, without a
	// reload.
	cookie := f.SignIn("thea@example.org")
	b.do(t, "the clinician's cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: f.Srv.CookieName(), Value: cookie, URL: ts.URL + "/", Path: "/"})
		return err
	}))
	b.do(t, "the session page", chromedp.Navigate(ts.URL+session), chromedp.WaitVisible(chromedp.ID("chaperone-alarm")))
	if r := f.Do("POST", "/chaperone/"+token+"/check", url.Values{"responsive": {"yes"}, "breathing": {"no"}, "concern": {"yes"}, "client_id": {"late"}}, ""); r.Status != 303 {
		t.Fatalf("a check-in with a concern: %d", r.Status)
	}
	textHas("the live banner", "#chaperone-alarm-live", "The chaperone reported a concern")
	if top := run1(t, b, "banner at the top", chromedp.Evaluate[bool](`document.getElementById("chaperone-alarm-live").getBoundingClientRect().top < document.getElementById("chaperone").getBoundingClientRect().top`)); !top {
		t.Error("the live banner is not above the session's forms")
	}
	b.do(t, "top", void(chromedp.Evaluate[bool](`(document.getElementById("chaperone-alarm-live").scrollIntoView(), true)`)))
	shoot("chaperone-4b-staff-live")
	b.do(t, "the clinician leaves", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))

	// The session closed: the link stops working.
	f.Now = dose.Add(7 * time.Hour)
	if err := f.St.StopDosingSession(ctx, thea, f.PA.ID, id, "Went home with the ride."); err != nil {
		t.Fatal(err)
	}
	b.do(t, "after the session", chromedp.Navigate(page))
	textHas("link dead", "main", "does not work any more")
	if n := run1(t, b, "no forms", chromedp.Evaluate[int](`document.querySelectorAll("form[action^='/chaperone/']").length`)); n != 0 {
		t.Errorf("after the session the page still has %d chaperone forms", n)
	}
	shoot("chaperone-5-ended")
	b.checkConsole(t, "404")
}
