package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/demo"
)

// navTops is a script giving the top offset of each top-level entry of the
// section navigation (a link or a group's summary), in order.
const navTops = `[...document.querySelectorAll("nav.sections .wrap > a, nav.sections .wrap > details > summary")].map(e => Math.round(e.getBoundingClientRect().top))`

// TestBrowserAdminNav: the administrator's navigation fits one row on a
// 1280x800 desktop and at most two on a 390x844 phone; each group opens
// as a menu inside the window (also on the phone, where the rightmost
// group's menu would otherwise run off the screen), and a link in it leads
// to its page, marked current with its group.
func TestBrowserAdminNav(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var admin demo.Login
	for _, l := range readLogins(t, dir) {
		if l.Role == "admin" {
			admin = l
			break
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	checked := 0
	for _, sz := range []struct {
		tag     string
		w, h    int64
		maxRows int
	}{{"desktop", 1280, 800, 1}, {"phone", 390, 844, 2}} {
		b.do(t, "accounts at "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("table.data")))
		tops := run1(t, b, "nav tops", chromedp.Evaluate[[]int](navTops))
		if len(tops) < 5 {
			t.Fatalf("%s: %d top-level navigation entries, want the 5 groups", sz.tag, len(tops))
		}
		rows := map[int]bool{}
		for _, top := range tops {
			rows[top] = true
		}
		if len(rows) > sz.maxRows {
			t.Errorf("%s: the navigation takes %d rows (tops %v), want at most %d", sz.tag, len(rows), tops, sz.maxRows)
		}
		shoot("admin-nav-" + sz.tag)
		groups := run1(t, b, "groups", chromedp.Evaluate[[]string](`[...document.querySelectorAll("nav.sections details.nav-group > summary")].map(s => s.textContent.trim())`))
		for i, g := range groups {
			sel := `nav.sections details.nav-group:nth-of-type(` + strconv.Itoa(i+1) + `)`
			b.do(t, "open "+g, chromedp.Click(chromedp.CSS(sel+" > summary")), chromedp.WaitVisible(chromedp.CSS(sel+" .nav-menu a")))
			// The menu lies inside the window, above the page (not under it),
			// and only one menu is open.
			inside := run1(t, b, "menu box", chromedp.Evaluate[bool](`(() => { const r = document.querySelector("`+sel+` .nav-menu").getBoundingClientRect();
				const a = document.querySelector("`+sel+` .nav-menu a"); const c = a.getBoundingClientRect();
				return r.left >= 0 && r.right <= window.innerWidth && document.elementFromPoint(c.left + 5, c.top + c.height / 2).closest(".nav-menu") !== null; })()`))
			if !inside {
				t.Errorf("%s: the %s menu runs off the window or lies under the page", sz.tag, g)
			}
			if n := run1(t, b, "open menus", chromedp.Evaluate[int](`document.querySelectorAll("nav.sections details[open]").length`)); n != 1 {
				t.Errorf("%s: %d menus open after opening %s, want 1", sz.tag, n, g)
			}
			if run1(t, b, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
				t.Errorf("%s: with the %s menu open the page is wider than the window", sz.tag, g)
			}
			if i == len(groups)-1 {
				shoot("admin-nav-" + sz.tag + "-open")
			}
			checked++
		}
		// Escape closes the menu; a link in a menu leads to its page.
		b.do(t, "escape", chromedp.KeyEvent("\x1b"))
		if n := run1(t, b, "open menus", chromedp.Evaluate[int](`document.querySelectorAll("nav.sections details[open]").length`)); n != 0 {
			t.Errorf("%s: %d menus open after Escape, want 0", sz.tag, n)
		}
		b.do(t, "to the audit log", chromedp.Click(chromedp.CSS(`nav.sections details.nav-group:last-of-type > summary`)),
			chromedp.Click(chromedp.CSS(`nav.sections a[href="/admin/audit"]`)), chromedp.WaitVisible(chromedp.CSS("table.audit")))
		cur := run1(t, b, "current", chromedp.Evaluate[string](`document.querySelector("nav.sections details.nav-current > summary").textContent + "|" + document.querySelector('nav.sections a[aria-current="page"]').getAttribute("href")`))
		if !strings.HasPrefix(cur, "System") || !strings.HasSuffix(cur, "|/admin/audit") {
			t.Errorf("%s: on the audit log the navigation marks %q, want System and /admin/audit", sz.tag, cur)
		}
	}
	b.checkConsole(t)
	t.Logf("menus opened: %d; screenshots in %s", checked, shots)
}

// TestBrowserInvitationAndEmergencySearch looks at the pages of issue 15's
// staff part in chromium, on a phone and a desktop: the link shown after
// inviting a colleague (in view, selectable, with a copy button, and saying
// it was not emailed, as the demo has no email server), the list of
// invitations, and a therapist's search, asked for as a second step,
// finding a patient outside their care team with the break-glass form.
func TestBrowserInvitationAndEmergencySearch(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	var admin, lena demo.Login
	for _, l := range readLogins(t, dir) {
		switch {
		case l.Role == "admin" && admin.Email == "":
			admin = l
		case strings.HasPrefix(l.Email, "lena."):
			lena = l
		}
	}
	shots := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png := run1(t, b, name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sizes := []struct {
		tag  string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 800}}
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	for i, sz := range sizes {
		email := "newhire" + strconv.Itoa(i) + "@willowcreek.example"
		b.do(t, "invite form at "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/admin/users/new"), chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/users"]`)),
			void(chromedp.Evaluate[bool](`(() => { const f = document.querySelector('form[action="/admin/users"]');
				f.querySelector('input[type=email]').value = "`+email+`";
				(f.querySelector('input[name=display_name]') || f.querySelector('input[type=text]')).value = "Noor Newhire";
				return true; })()`)),
			chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("new-link")))
		text := run1(t, b, "link box", chromedp.Text(chromedp.ID("new-link")))
		if !strings.Contains(text, "It was not emailed: no email server is set up") {
			t.Errorf("%s: the link box reads %q, want it to say the link was not emailed", sz.tag, text)
		}
		if !run1(t, b, "copy button", chromedp.Evaluate[bool](`!document.querySelector('button[data-copy="the-link"]').hidden`)) {
			t.Errorf("%s: no copy button beside the link", sz.tag)
		}
		if top := run1(t, b, "link box top", chromedp.Evaluate[float64](`document.getElementById("new-link").getBoundingClientRect().top`)); top < 0 || top > float64(sz.h)-120 {
			t.Errorf("%s: the new link is at %.0f px, out of view", sz.tag, top)
		}
		if run1(t, b, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s: the accounts page is wider than the window", sz.tag)
		}
		if !strings.Contains(run1(t, b, "invitations", chromedp.Text(chromedp.CSS(".invitations"))), email) {
			t.Errorf("%s: the invitation is not listed", sz.tag)
		}
		shoot("people-invited-" + sz.tag)
	}
	signOutBrowser(t, b, "admin sign-out", `header form[action="/logout"] button`)

	signInBrowser(t, b, in.url, lena.Email, lena.Password, lena.TOTPSecret)
	for _, sz := range sizes {
		// The caseload search shows Lena's own patients only, and offers
		// the practice-wide search as a second step.
		b.do(t, "search at "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/patients?q=Riley"), chromedp.WaitVisible(chromedp.CSS(".outside-offer a")))
		if n := run1(t, b, "outside before asking", chromedp.Evaluate[int](`document.querySelectorAll(".outside-team").length`)); n != 0 {
			t.Errorf("%s: the caseload search shows patients outside the care team before being asked", sz.tag)
		}
		if right := run1(t, b, "offer right edge", chromedp.Evaluate[float64](`document.querySelector(".outside-offer a").getBoundingClientRect().right`)); right > float64(sz.w) {
			t.Errorf("%s: the practice-wide search link ends at %.0f px, past the window", sz.tag, right)
		}
		shoot("people-search-offer-" + sz.tag)
		b.do(t, "search all at "+sz.tag, chromedp.Click(chromedp.CSS(".outside-offer a")), chromedp.WaitVisible(chromedp.CSS(".outside-team")),
			chromedp.Click(chromedp.CSS(".outside-team summary")), chromedp.WaitVisible(chromedp.CSS(".outside-team textarea")))
		if run1(t, b, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s: the search page is wider than the window", sz.tag)
		}
		shoot("people-outside-team-" + sz.tag)
	}
	b.do(t, "break glass", chromedp.SendKeys(chromedp.CSS(".outside-team textarea"), "Riley called in crisis; Sam cannot be reached."),
		chromedp.Click(chromedp.CSS(".outside-team button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".emergency-banner")))
	b.checkConsole(t)
	t.Logf("screenshots in %s", shots)
}
