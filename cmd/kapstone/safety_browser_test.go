package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// TestBrowserSafetyPlanOffline (issue 17): Casey, on a 390x844 phone,
// opens her safety plan; with the network off (the page and the service
// worker both offline) a reload shows the plan and 988 from the worker's
// cache, and the crisis page opens too, while any other page fails. Back
// online she signs out: the cache and the worker are gone, and offline
// the plan no longer opens. The plan, its print view and the crisis page
// pass axe-core and the walk's layout checks at phone and desktop sizes.
func TestBrowserSafetyPlanOffline(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	logins := map[string]demo.Login{}
	for _, l := range readLogins(t, dir) {
		logins[l.Email] = l
	}
	casey, lena := logins["casey.morgan@mail.example"], logins["lena.ortiz@willowcreek.example"]
	if casey.Password == "" || lena.Password == "" {
		t.Fatal("the demo has no login for Casey Morgan or Lena Ortiz")
	}
	w := newWalker(t, b, in.url)
	w.look("visitor crisis", "/crisis", "#crisis-page-title", walkBoth...)

	b.do(t, "phone", chromedp.EmulateViewport(390, 844))
	signInBrowser(t, b, in.url, casey.Email, casey.Password, "")
	// One tap from the portal's navigation.
	if href := run1(t, b, "nav link", chromedp.Evaluate[string](`(document.querySelector("nav.sections a[href='/portal/safety-plan']") || {}).textContent || ""`)); href != "My safety plan" {
		t.Errorf("the portal's navigation link to the plan reads %q", href)
	}
	w.look("patient safety-plan", "/portal/safety-plan", "#plan-title", walkBoth...)
	w.look("patient safety-plan-edit", "/portal/safety-plan/edit", "#plan-edit-title", walkBoth...)
	w.look("patient safety-plan-history", "/portal/safety-plan/history", "#plan-history-title", walkPhone)

	// The print view: one page, without the site's header and footers.
	b.do(t, "plan", chromedp.EmulateViewport(390, 844), chromedp.Navigate(in.url+"/portal/safety-plan"), chromedp.WaitVisible(chromedp.ID("plan-title")))
	pdf, err := printPlan(b)
	if err != nil {
		t.Fatalf("print the plan: %v", err)
	}
	if n := bytes.Count(pdf, []byte("/Type /Page\n")) + bytes.Count(pdf, []byte("/Type /Page\r")) + bytes.Count(pdf, []byte("/Type /Page ")) + bytes.Count(pdf, []byte("/Type /Page>")) + bytes.Count(pdf, []byte("/Type/Page/")) + bytes.Count(pdf, []byte("/Type/Page>")); n != 1 {
		t.Errorf("the printed plan has %d pages, want 1", n)
	}
	if err := os.WriteFile(filepath.Join(w.shots, "safety-plan-print.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, "print media")(chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}))
	b.do(t, "print size", chromedp.EmulateViewport(800, 1100))
	if hidden := run1(t, b, "print hides", chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('.site-header')).display === 'none' && getComputedStyle(document.querySelector('footer.crisis')).display === 'none' && getComputedStyle(document.querySelector('.safety-plan .actions')).display === 'none'`)); !hidden {
		t.Error("printed, the plan still shows the header, the crisis footer or its buttons")
	}
	w.shoot("safety-plan-print-media")
	must(t, "screen media")(chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}))
	b.do(t, "phone again", chromedp.EmulateViewport(390, 844))

	// The worker has kept the plan and the crisis page.
	b.do(t, "plan again", chromedp.Navigate(in.url+"/portal/safety-plan"), chromedp.WaitVisible(chromedp.ID("plan-title")))
	waitTrue(t, b, "the worker controls the page", `!!navigator.serviceWorker.controller`)
	waitAsync(t, b, "the plan and the crisis page are kept", `caches.open("kapstone-safety-v1").then(c => Promise.all([c.match("/portal/safety-plan"), c.match("/crisis")])).then(r => r.every(Boolean))`)

	// She adds a reason in the portal; the kept copy follows the save.
	b.do(t, "edit", chromedp.Navigate(in.url+"/portal/safety-plan/edit"), chromedp.WaitVisible(chromedp.ID("reasons")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("reasons").value += "\nMy morning coffee on the porch"`),
		chromedp.Click(chromedp.CSS(`form.plan-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("plan-notice")))
	if n := run1(t, b, "notice", chromedp.Text(chromedp.ID("plan-notice"))); n != "Saved as version 3." {
		t.Errorf("after the save the page says %q, want Saved as version 3.", n)
	}
	waitAsync(t, b, "the kept plan is the new version", `caches.match("/portal/safety-plan").then(r => r ? r.text() : "").then(t => t.includes("My morning coffee on the porch"))`)

	// kapstone is down behind its proxy: the plan's answer is a 503. The
	// worker shows the kept plan, not the proxy's error page.
	planURL := in.url + "/portal/safety-plan"
	stop := interceptPlan(t, b, planURL, 503)
	b.do(t, "plan behind a 503", chromedp.Navigate(planURL), chromedp.WaitReady("body"))
	text := run1(t, b, "plan behind a 503", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "My morning coffee on the porch") || strings.Contains(text, "proxy-error-canary") {
		t.Errorf("with kapstone down (503), the plan page shows:\n%.300s", text)
	}
	if n := stop(); n == 0 {
		t.Error("no request for the plan was answered 503: the check above proved nothing")
	}
	// A network that hangs: the kept plan shows after the worker's wait
	// (3 s), not never; the held request then goes on to the server.
	stop = interceptPlan(t, b, planURL, 0)
	began := time.Now()
	b.do(t, "plan on a hanging network", chromedp.Navigate(planURL), chromedp.WaitVisible(chromedp.ID("plan-title")))
	took := time.Since(began)
	if took > 12*time.Second || !strings.Contains(run1(t, b, "plan on a hanging network", chromedp.Text(chromedp.CSS("main"))), "My morning coffee on the porch") {
		t.Errorf("on a hanging network the plan took %v or lacks the kept text", took)
	}
	if n := stop(); n == 0 {
		t.Error("no request for the plan was held: the check above proved nothing")
	}
	t.Logf("plan behind a hanging network shown after %v", took.Round(100*time.Millisecond))

	// Offline: the tab and its service worker.
	var mu sync.Mutex
	sources := map[string]string{}
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Response != nil {
			mu.Lock()
			sources[e.Response.URL] = string(e.Response.ServiceWorkerResponseSource)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.do(t, "plan saved", chromedp.Navigate(planURL+"?saved=3"), chromedp.WaitVisible(chromedp.ID("plan-title")))
	setOffline(t, b, true)
	b.do(t, "offline reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("plan-title")))
	text = run1(t, b, "offline plan", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"My safety plan", "Seeing the ocean again", "My morning coffee on the porch", "Jess (sister) 555 010 0142", "988", "741741"} {
		if !strings.Contains(text, want) {
			t.Errorf("offline, the plan lacks %q:\n%s", want, text)
		}
	}
	if href := run1(t, b, "988 link", chromedp.Evaluate[string](`[...document.querySelectorAll('.plan-help a')].map(a => a.getAttribute('href')).join(' ')`)); !strings.Contains(href, "tel:988") || !strings.Contains(href, "sms:988") {
		t.Errorf("offline, the plan's crisis links are %q, want tel:988 and sms:988", href)
	}
	mu.Lock()
	src := sources[in.url+"/portal/safety-plan?saved=3"]
	mu.Unlock()
	if src != string(network.ServiceWorkerResponseSourceCacheStorage) {
		t.Errorf("offline, the plan came from %q, want the service worker's cache-storage", src)
	}
	w.shoot("safety-plan-offline-phone")
	b.do(t, "offline crisis", chromedp.Navigate(in.url+"/crisis"), chromedp.WaitVisible(chromedp.ID("crisis-page-title")))
	if err := navigateQuick(b, in.url+"/portal/journal"); err == nil {
		if got := run1(t, b, "journal offline", chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').innerText : ""`)); got != "" {
			t.Errorf("offline, a page the worker must not keep opened: %.200q", got)
		}
	}

	// Back online, sign out: the kept copy and the worker are gone.
	setOffline(t, b, false)
	b.do(t, "online plan", chromedp.Navigate(in.url+"/portal/safety-plan"), chromedp.WaitVisible(chromedp.ID("plan-title")))
	signOutBrowser(t, b, "sign out", `header form[action="/logout"] button`)
	// The signed-out page's script marks the page once it has cleared.
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if run1(t, b, "cleared", chromedp.Evaluate[bool](`document.documentElement.getAttribute("data-offline-cleared") === "1"`)) {
			break
		}
	}
	if n := run1(t, b, "caches", chromedp.Evaluate[int](`caches.keys().then(k => k.length)`, chromedp.EvalAwaitPromise)); n != 0 {
		t.Errorf("after sign-out caches.keys() has %d caches, want none", n)
	}
	if n := run1(t, b, "workers", chromedp.Evaluate[int](`navigator.serviceWorker.getRegistrations().then(r => r.length)`, chromedp.EvalAwaitPromise)); n != 0 {
		t.Errorf("after sign-out %d service workers are registered, want none", n)
	}
	setOffline(t, b, true)
	if err := navigateQuick(b, in.url+"/portal/safety-plan"); err == nil {
		if got := run1(t, b, "plan after sign-out", chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); strings.Contains(got, "Seeing the ocean again") {
			t.Error("offline after sign-out, the plan still opens")
		}
	}
	w.shoot("safety-plan-after-signout-offline")
	setOffline(t, b, false)

	// Her therapist reads the plan from the chart; no worker is registered
	// for staff.
	signInBrowser(t, b, in.url, lena.Email, lena.Password, lena.TOTPSecret)
	b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
	chart := run1(t, b, "Casey's chart", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes("Casey Morgan")).getAttribute('href')`))
	b.do(t, "chart", chromedp.Navigate(in.url+chart), chromedp.WaitVisible(chromedp.CSS(`.chart-index a[href$="/safety-plan"]`)))
	w.look("therapist safety-plan", chart+"/safety-plan", "#plan-title", walkBoth...)
	w.look("therapist safety-plan-history", chart+"/safety-plan/history", "#plan-history-title", walkDesktop)
	if n := run1(t, b, "staff workers", chromedp.Evaluate[int](`navigator.serviceWorker.getRegistrations().then(r => r.length)`, chromedp.EvalAwaitPromise)); n != 0 {
		t.Errorf("a staff page registered %d service workers, want none", n)
	}
	b.checkConsole(t, "ERR_INTERNET_DISCONNECTED", "Failed to fetch", "FetchEvent")

	t.Logf("safety plan walk: %d page visits, axe-core ran %d times; screenshots in %s", w.visits, w.axeRuns, w.shots)
	for _, p := range w.order {
		t.Errorf("%s: %s", p, strings.Join(w.findings[p], "; "))
	}
}

// setOffline turns the network of the tab and of its service worker off
// or on (DevTools network emulation).
func setOffline(t *testing.T, b *browser, off bool) {
	t.Helper()
	conds := []*network.Conditions{{URLPattern: "", Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}
	what := fmt.Sprintf("offline=%v", off)
	ctxs := []context.Context{b.ctx}
	// The service worker is a target of its own: its fetches are offline
	// only when its own network is (as DevTools does for every target).
	targets, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatalf("%s: targets: %v", what, err)
	}
	for _, tg := range targets {
		if tg.Type == "service_worker" {
			wctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(tg.TargetID))
			t.Cleanup(cancel)
			ctxs = append(ctxs, wctx)
		}
	}
	for _, ctx := range ctxs {
		must(t, what)(chromedp.Call(ctx, network.Enable, network.EnableParams{}))
		must(t, what)(chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: conds}))
	}
	must(t, what)(chromedp.Call(b.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}))
	t.Logf("%s: %d targets (the tab and %d service workers)", what, len(ctxs), len(ctxs)-1)
}

// must fails the test when the protocol command whose result it takes
// failed.
func must(t *testing.T, what string) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// navigateQuick navigates and waits a moment, returning the navigation's
// error (offline, a page not kept fails to load).
func navigateQuick(b *browser, url string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	time.Sleep(300 * time.Millisecond)
	return err
}

// waitAsync waits until script's promise resolves to true.
func waitAsync(t *testing.T, b *browser, what, script string) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still false after 30 s: %s", what, script)
}

// printPlan prints the current page as the browser would (Letter paper).
func printPlan(b *browser) ([]byte, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// interceptPlan answers the service worker's requests for url with status
// (a proxy's error page, as when kapstone is down behind it), or with
// status 0 holds them unanswered (a network that hangs), until the
// returned stop is called; stop lets held requests go on to the server and
// returns how many requests it caught. The page's own navigation is
// answered by the worker, so the worker's target is the one intercepted.
func interceptPlan(t *testing.T, b *browser, url string, status int64) (stop func() int) {
	t.Helper()
	targets, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatalf("intercept: targets: %v", err)
	}
	var mu sync.Mutex
	type pausedAt struct {
		ctx context.Context
		id  fetch.RequestID
	}
	var held []pausedAt
	caught := 0
	var ctxs []context.Context
	for _, tg := range targets {
		if tg.Type != "service_worker" {
			continue
		}
		wctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(tg.TargetID))
		t.Cleanup(cancel)
		paused := make(chan fetch.RequestID, 16)
		if err := chromedp.Listen(wctx, func(ev any) {
			if e, ok := ev.(*fetch.EventRequestPaused); ok {
				select {
				case paused <- e.RequestID:
				default:
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		go func() {
			for id := range paused {
				mu.Lock()
				caught++
				if status == 0 {
					held = append(held, pausedAt{wctx, id})
					mu.Unlock()
					continue
				}
				mu.Unlock()
				chromedp.Call(wctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: id, ResponseCode: status,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}},
					Body:            []byte("<!doctype html><title>Bad gateway</title><p>proxy-error-canary: the server is not answering.</p>")})
			}
		}()
		must(t, "intercept")(chromedp.Call(wctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: url}}}))
		ctxs = append(ctxs, wctx)
	}
	if len(ctxs) == 0 {
		t.Fatal("intercept: no service worker is running")
	}
	return func() int {
		mu.Lock()
		ps := held
		held = nil
		mu.Unlock()
		for _, p := range ps {
			chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: p.id})
		}
		for _, ctx := range ctxs {
			must(t, "stop intercepting")(chromedp.Call(ctx, fetch.Disable, cdp.Empty{}))
		}
		mu.Lock()
		defer mu.Unlock()
		return caught
	}
}
