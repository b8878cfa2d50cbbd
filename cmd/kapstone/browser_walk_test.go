package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/demo"
)

// walkSize is a window size of the walk.
type walkSize struct {
	tag  string
	w, h int64
}

var (
	walkPhone   = walkSize{"phone", 390, 844}
	walkDesktop = walkSize{"desktop", 1280, 800}
	walkTablet  = walkSize{"tablet", 1024, 768}
	walkBoth    = []walkSize{walkPhone, walkDesktop}
)

// walker walks pages in one browser and keeps every finding per page, so
// one run reports them all.
type walker struct {
	t        *testing.T
	b        *browser
	base     string
	shots    string
	rawNames *regexp.Regexp
	findings map[string][]string
	order    []string
	visits   int
	axeRuns  int
	// focusChecks counts the focused controls whose ring was checked.
	focusChecks int
	rules       map[string]bool
}

// walkDevWords are words for developers that no page may show.
var walkDevWords = regexp.MustCompile(`(?i)\b(issue|reference|seed)\b`)

// walkClockZone finds a clock time followed by a time-zone abbreviation
// ("16:04 UTC", "10:04 am CST", "(10:04 CST)").
var walkClockZone = regexp.MustCompile(`\b\d{1,2}:\d{2}(?:\s?[aApP]\.?[mM]\.?)?\s*\(?\b(UTC|GMT|[A-Z]{1,4}[SD]T|[A-Z]{2,4}T|[+-]\d{2}(?::?\d{2})?)\b`)

// rawNamePattern matches, as whole tokens, every permission name with a
// hyphen (auth.Permissions) and every audit action name the store writes
// (the dotted string literals of internal/store, e.g. measures.read):
// names for code that a page must put in words.
func rawNamePattern(t *testing.T) *regexp.Regexp {
	t.Helper()
	names := map[string]bool{}
	for _, p := range auth.Permissions {
		if strings.Contains(string(p), "-") {
			names[string(p)] = true
		}
	}
	files, err := filepath.Glob("../../internal/store/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no store sources to read audit action names from: %v", err)
	}
	literal := regexp.MustCompile(`"([a-z][a-z_]*(?:\.[a-z][a-z_]*)+)"`)
	notAction := regexp.MustCompile(`\.(db|go|sql|json|html|css|js|png|svg|jpe?g|webp|txt|gz|ics|example|com|org)$`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if !notAction.MatchString(m[1]) {
				names[m[1]] = true
			}
		}
	}
	if !names["measures.read"] || !names["chart.read"] {
		t.Fatalf("the audit action names read from internal/store lack measures.read or chart.read: %d names", len(names))
	}
	var quoted []string
	for n := range names {
		quoted = append(quoted, regexp.QuoteMeta(n))
	}
	sort.Strings(quoted)
	t.Logf("walk: %d permission and audit action names must not show", len(quoted))
	return regexp.MustCompile(`(?:^|[^\w.-])(` + strings.Join(quoted, "|") + `)(?:$|[^\w-])`)
}

func newWalker(t *testing.T, b *browser, base string) *walker {
	return &walker{t: t, b: b, base: base, shots: screenshotDir(t), rawNames: rawNamePattern(t), findings: map[string][]string{}, rules: map[string]bool{}}
}

// find records a finding on a page.
func (w *walker) find(page, format string, args ...any) {
	if _, ok := w.findings[page]; !ok {
		w.order = append(w.order, page)
	}
	f := fmt.Sprintf(format, args...)
	for _, seen := range w.findings[page] {
		if seen == f {
			return
		}
	}
	w.findings[page] = append(w.findings[page], f)
}

// look opens path at each size, waits for ready and checks the page.
func (w *walker) look(name, path, ready string, sizes ...walkSize) {
	w.t.Helper()
	for _, sz := range sizes {
		w.b.do(w.t, name+" at "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(w.base+path), chromedp.WaitVisible(chromedp.CSS(ready)), chromedp.WaitVisible(chromedp.CSS("footer.crisis")))
		w.check(name, sz)
	}
}

// walkPageState is what check reads from the page in one evaluation.
type walkPageState struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Text        string   `json:"text"`
	Title       string   `json:"title"`
	Wide        string   `json:"wide"`
	Clipped     []string `json:"clipped"`
	Headings    string   `json:"headings"`
	AuditCodes  []string `json:"auditCodes"`
	TabIndex    []string `json:"tabIndex"`
	Small       []string `json:"small"`
	Broken      []string `json:"broken"`
}

// walkBrokenLinks is a script naming the navigation and pager links whose
// words break across two lines ("← Previous / week"), which reads as two
// links.
const walkBrokenLinks = `[...document.querySelectorAll(".pager a, header nav a")].filter(a => {
  if (a.getClientRects().length === 0 || !a.checkVisibility()) return false; // e.g. in a closed menu
  const r = document.createRange();
  r.selectNodeContents(a);
  return new Set([...r.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top))).size > 1;
}).slice(0, 6).map(a => "“" + a.innerText.replace(/\s+/g, " ").trim() + "”")`

// walkSmallFields is a script naming the text, search, date and time
// fields and menus left at the browser's small default look (under 40 px
// tall) or squeezed (under 48 px wide): the practice's fields are 48 px
// tall, easy to see and to tap, and wide enough to show what is in them.
const walkSmallFields = `[...document.querySelectorAll("input, select, textarea")].filter(e => {
  if (["checkbox", "radio", "hidden", "file", "submit", "button", "image", "range", "color", "reset"].includes(e.type)) return false;
  for (let p = e.parentElement; p; p = p.parentElement) {
    if (p.clientWidth <= 2 && getComputedStyle(p).overflow !== "visible") return false; // visually hidden (a honeypot)
  }
  const r = e.getBoundingClientRect();
  return r.width > 2 && r.height > 2 && (r.height < 40 || r.width < 48);
}).slice(0, 6).map(e => e.tagName.toLowerCase() + "[type=" + e.type + "]" + (e.id ? "#" + e.id : "") + " " + Math.round(e.getBoundingClientRect().width) + "×" + Math.round(e.getBoundingClientRect().height) + " px")`

// walkClipped is a script listing the boxes whose content is cut off
// sideways and scrolls inside them (a table in a .table-wrap on a phone):
// a reader must find the hidden columns by scrolling a box they cannot see
// is wider. A <pre> may scroll; a visually hidden element (1 px) is not a box.
const walkClipped = `[...document.querySelectorAll("body *")].filter(el => {
  if (el.tagName === "PRE" || el.tagName === "TEXTAREA" || el.getClientRects().length === 0 || el.clientWidth <= 2) return false;
  const o = getComputedStyle(el).overflowX;
  return (o === "auto" || o === "scroll" || o === "hidden") && el.scrollWidth > el.clientWidth + 1;
}).slice(0, 6).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().replace(/ +/g, ".") : "") + " shows " + el.clientWidth + " of " + el.scrollWidth + " px" + (el.querySelector("caption, th") ? " (" + el.querySelector("caption, th").innerText.trim().slice(0, 30) + "…)" : ""))`

// walkHeadings is a script naming the first heading that is more than one
// level below the heading before it ("h1 → h3: Title"), or "".
const walkHeadings = `(() => {
  let prev = 0, prevText = "";
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (h.getClientRects().length === 0) continue;
    const level = +h.tagName[1];
    if (prev && level > prev + 1) return "h" + prev + " “" + prevText.slice(0, 40) + "” then h" + level + " “" + h.innerText.trim().slice(0, 40) + "”";
    prev = level; prevText = h.innerText.trim();
  }
  return "";
})()`

// check asserts what holds on every page of the walk, on the page now
// open, and saves a screenshot.
func (w *walker) check(name string, sz walkSize) {
	w.t.Helper()
	page := name + " " + sz.tag
	w.visits++
	st := run1(w.t, w.b, page, chromedp.Evaluate[walkPageState](`({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, text: document.body.innerText, title: document.title, wide: `+widest+`, clipped: `+walkClipped+`, headings: `+walkHeadings+`, auditCodes: [...document.querySelectorAll("table.audit code")].map(e => e.innerText), tabIndex: [...document.querySelectorAll("[tabindex]")].filter(e => e.tabIndex > 0).map(e => e.outerHTML.slice(0, 60)), small: `+walkSmallFields+`, broken: `+walkBrokenLinks+`})`))
	if st.ScrollWidth > st.InnerWidth {
		w.find(page, "scrolls sideways: %d px wide in a %d px window (%s)", st.ScrollWidth, st.InnerWidth, st.Wide)
	}
	for _, c := range st.Clipped {
		w.find(page, "clips its content in a sideways-scrolling box: %s", c)
	}
	for _, e := range st.TabIndex {
		w.find(page, "a positive tabindex changes the keyboard order: %s", e)
	}
	if len(st.Broken) > 0 {
		w.find(page, "a navigation link breaks across lines: %s", strings.Join(st.Broken, ", "))
	}
	for _, e := range st.Small {
		w.find(page, "a field is unstyled and small, or squeezed: %s", e)
	}
	if st.Headings != "" {
		w.find(page, "skips a heading level: %s", st.Headings)
	}
	for _, f := range textFindings(w.rawNames, st.Title+"\n"+st.Text, st.AuditCodes) {
		w.find(page, "%s", f)
	}
	res, err := runAxe(w.t, w.b)
	if err != nil {
		w.find(page, "axe-core did not run: %v", err)
	} else {
		w.axeRuns++
		for _, r := range res.Rules {
			w.rules[r] = true
		}
		for _, v := range res.Violations {
			w.find(page, "axe %s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
		}
	}
	w.shoot(strings.ReplaceAll(name, " ", "-") + "-" + sz.tag)
	w.checkFocus(page)
}

// walkFocusNow is a script describing what is wrong with the focus ring
// of the focused element ("" when it has none to find, or all is well): it
// must match :focus-visible after a Tab, have an outline at least 2 px wide,
// and the outline must contrast 3:1 with the background behind it (WCAG
// 2.2, 1.4.11 and 2.4.7).
const walkFocusNow = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return "";
  const cs = getComputedStyle(el);
  const desc = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " “" + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30) + "”";
  if (!el.matches(":focus-visible")) return "no :focus-visible after Tab on " + desc;
  if (cs.outlineStyle === "none" || parseFloat(cs.outlineWidth) < 2) return "no visible focus outline on " + desc;
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  let bg = [255, 255, 255];
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c.slice(0, 3); break; }
  }
  const lum = c => { const v = c.map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const a = lum(rgb(cs.outlineColor).slice(0, 3)), b = lum(bg);
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  return ratio < 3 ? "focus outline contrasts only " + ratio.toFixed(1) + ":1 with the background on " + desc : "";
})()`

// walkFocusMain is a script that moves the focus to the first control in
// main (after a Tab, so it shows as keyboard focus), for the Tabs after it.
const walkFocusMain = `(() => {
  const el = document.querySelector("main a[href], main button, main input:not([type=hidden]):not([tabindex='-1']), main select, main textarea, main summary");
  if (el) el.focus();
  return !!el;
})()`

// checkFocus tabs through the first controls of the page (the skip link
// and the crisis line), back from its end (the footer) and through the first
// controls of its main part, and checks each focus ring.
func (w *walker) checkFocus(page string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.b.ctx, 20*time.Second)
	defer cancel()
	look := func() {
		if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](walkFocusNow)); err != nil {
			w.find(page, "focus check failed: %v", err)
		} else if got != "" {
			w.find(page, "%s", got)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)); err != nil {
		w.find(page, "focus check failed: %v", err)
		return
	}
	for range 3 {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent("\t")); err != nil {
			w.find(page, "Tab failed: %v", err)
			return
		}
		look()
	}
	// From the end of the page backwards: the footer, on a dark ground.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`)); err != nil {
		w.find(page, "focus check failed: %v", err)
		return
	}
	for range 2 {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift))); err != nil {
			w.find(page, "Shift+Tab failed: %v", err)
			return
		}
		look()
	}
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](walkFocusMain)); err != nil || !ok {
		return
	}
	look()
	for range 3 {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent("\t")); err != nil {
			w.find(page, "Tab failed: %v", err)
			return
		}
		look()
	}
	w.focusChecks += 9
}

// textFindings checks a page's visible text: no developer words, no raw
// permission or audit action names (rawNames; auditCodes are the audit
// log's action column, the one place for them, since its filter takes
// them), and clock times in one time zone only.
func textFindings(rawNames *regexp.Regexp, text string, auditCodes []string) []string {
	var out []string
	for _, m := range uniq(walkDevWords.FindAllString(text, -1)) {
		out = append(out, fmt.Sprintf("shows the developer word %q: …%s…", m, around(text, m)))
	}
	codeless := text
	for _, c := range auditCodes {
		codeless = strings.ReplaceAll(codeless, c, "")
	}
	var raw []string
	for _, m := range rawNames.FindAllStringSubmatch(codeless, -1) {
		raw = append(raw, m[1])
	}
	if raw = uniq(raw); len(raw) > 0 {
		sort.Strings(raw)
		out = append(out, fmt.Sprintf("shows raw permission or audit action names %s: …%s…", strings.Join(raw, ", "), around(text, raw[0])))
	}
	zones := map[string]string{}
	for _, m := range walkClockZone.FindAllStringSubmatch(text, -1) {
		if _, ok := zones[m[1]]; !ok {
			zones[m[1]] = m[0]
		}
	}
	if len(zones) > 1 {
		var seen []string
		for _, v := range zones {
			seen = append(seen, strings.TrimSpace(v))
		}
		sort.Strings(seen)
		out = append(out, fmt.Sprintf("shows times in %d time zones: %s", len(zones), strings.Join(seen, " / ")))
	}
	return out
}

// TestWalkTextFindings: the walk's text checks find what the issue saw
// (a citation of REFERENCE.md, a flag source naming the seed and issue,
// "(measures.read)" in the access report, 16:04 UTC beside 10:04 CST) and
// pass plain sentences.
func TestWalkTextFindings(t *testing.T) {
	raw := rawNamePattern(t)
	for _, tt := range []struct {
		text string
		want []string // substrings, one per finding, in order; none: no finding
	}{
		{"Opened your record · Dec 3, 2026, 10:04 CST", nil},
		{"Source: kapstone product seed (issue 4)", []string{`developer word "seed"`, `developer word "issue"`}},
		{"REFERENCE.md 1.3, wording unconfirmed", []string{`developer word "REFERENCE"`}},
		{"Worked on your record (measures.read)", []string{"raw permission or audit action names measures.read"}},
		{"Needs clinical-read on the chart", []string{"names clinical-read"}},
		{"Read your chart, e.g. the measures. Read more.", nil},
		{"Dose at 16:04 UTC; vitals at 10:04 CST", []string{"2 time zones: 10:04 CST / 16:04 UTC"}},
		{"Session 9:30 am CST to 11:00 am CST", nil},
	} {
		got := textFindings(raw, tt.text, nil)
		if len(got) != len(tt.want) {
			t.Errorf("%q: findings %q, want %d", tt.text, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%q: finding %q lacks %q", tt.text, got[i], w)
			}
		}
	}
	// The audit log's own action column may show the codes.
	if got := textFindings(raw, "440 Morgan Reyes audit.view success", []string{"audit.view"}); len(got) != 0 {
		t.Errorf("the audit log's action codes are findings: %q", got)
	}
}

// shoot saves a full-page screenshot when KAPSTONE_SCREENSHOTS names a
// directory.
func (w *walker) shoot(file string) {
	w.t.Helper()
	if os.Getenv("KAPSTONE_SCREENSHOTS") == "" {
		return // only when someone will look at them: they take a third of the walk
	}
	png := run1(w.t, w.b, file, chromedp.FullScreenshot(80))
	if err := os.WriteFile(filepath.Join(w.shots, "walk-"+file+".jpg"), png, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// walkFeedbackInView is a script: the text of the first error summary or
// notice (role=alert, role=status, .notice, .error-summary) that has words
// the page did not show before the post (before: walkFeedbackNow's list) and
// is inside the viewport, as "in view: ..."; otherwise "none in view ..."
// with those outside it.
const walkFeedbackInView = `((before) => {
  const out = [];
  for (const el of document.querySelectorAll('[role=alert], [role=status], .notice, .error-summary')) {
    const text = el.innerText.trim();
    if (!text || el.getClientRects().length === 0 || before.includes(text) || el.matches(".session-clock, .session-clock *")) continue;
    const r = el.getBoundingClientRect();
    if (r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth) return "in view: " + text.slice(0, 80);
    out.push(Math.round(r.top + window.scrollY) + " px down: " + text.slice(0, 60));
  }
  return "none in view (viewport " + window.innerHeight + " px, scrolled " + Math.round(window.scrollY) + " px); outside it: " + (out.join(" | ") || "nothing");
})`

// walkFeedbackNow is a script: the texts of the feedback elements on the
// page before a form post, which do not count as its answer.
const walkFeedbackNow = `[...document.querySelectorAll('[role=alert], [role=status], .notice, .error-summary')].map(el => el.innerText.trim()).filter(t => t)`

// afterPost checks, once the page after a form post is ready, that an
// error summary or a notice is in the viewport, then checks the page.
func (w *walker) afterPost(name string, sz walkSize, before []string) {
	w.t.Helper()
	time.Sleep(150 * time.Millisecond) // let a fragment scroll settle
	js, _ := json.Marshal(before)
	got := run1(w.t, w.b, name, chromedp.Evaluate[string](walkFeedbackInView+"("+string(js)+")"))
	if !strings.HasPrefix(got, "in view: ") {
		w.find(name+" "+sz.tag, "after the form post no new error or notice is in view: %s", got)
	} else {
		w.t.Logf("%s %s: %s", name, sz.tag, got)
	}
	if os.Getenv("KAPSTONE_SCREENSHOTS") != "" { // what the person sees right after the post
		png := run1(w.t, w.b, name, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(w.shots, "walk-"+strings.ReplaceAll(name, " ", "-")+"-"+sz.tag+"-viewport.png"), png, 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	w.check(name, sz)
}

// submit posts a form on the page now open (steps do it), waits for the
// next page holding ready, and checks it with afterPost.
func (w *walker) submit(name string, sz walkSize, ready string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	before := run1(w.t, w.b, name, chromedp.Evaluate[[]string](walkFeedbackNow))
	w.b.do(w.t, name+" mark", chromedp.Evaluate[chromedp.Void](`window.walkOldPage = true`))
	w.b.do(w.t, name, steps...)
	waitTrue(w.t, w.b, name, `!window.walkOldPage && document.readyState === "complete" && !!document.querySelector(`+jsString(ready)+`)`)
	w.afterPost(name, sz, before)
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if k := strings.ToLower(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// around is up to 40 characters either side of the first s in text.
func around(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		i = strings.Index(strings.ToLower(text), strings.ToLower(s))
	}
	if i < 0 {
		return s
	}
	lo, hi := max(0, i-40), min(len(text), i+len(s)+40)
	return strings.Join(strings.Fields(text[lo:hi]), " ")
}

// TestBrowserWalk walks each role's main journey in chromium at a phone
// (390×844) and a desktop (1280×800) size, and the dosing session at a
// tablet's (1024×768): a visitor, a therapist, the partner prescriber, two
// patients and an admin. On every page nothing scrolls sideways, no text
// is for developers (issue, REFERENCE, seed, a permission or audit action
// name), times are not shown in two time zones, and axe-core finds no
// serious or critical WCAG 2.2 AA violation; after every form post the
// error summary or notice is in view. All findings are reported together.
func TestBrowserWalk(t *testing.T) {
	start0 := time.Now()
	b := newBrowser(t)
	axeSource(t) // fetch (or fail) before starting anything else
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	logins := map[string]demo.Login{}
	for _, l := range readLogins(t, dir) {
		logins[l.Email] = l
		if _, ok := logins[string(l.Role)]; !ok {
			logins[string(l.Role)] = l
		}
	}
	w := newWalker(t, b, in.url)
	signOut := func(who string) {
		signOutBrowser(t, b, who+" sign-out", `header form[action="/logout"] button`)
	}
	patientHref := func(name string) string {
		t.Helper()
		b.do(t, "caseload", chromedp.Navigate(in.url+"/patients"), chromedp.WaitVisible(chromedp.ID("patients-title")))
		return run1(t, b, name+" link", chromedp.Evaluate[string](`[...document.querySelectorAll('.row-list a')].find(a => a.textContent.includes(`+jsString(name)+`)).getAttribute('href')`))
	}

	// A visitor: the home page, the blog, a post, the inquiry form.
	w.look("visitor home", "/", "main h1", walkBoth...)
	w.look("visitor blog", "/blog", ".post-list", walkBoth...)
	w.look("visitor post", "/blog/"+demo.BlogCoverSlug, ".post-cover img", walkBoth...)
	w.look("visitor inquiry", "/inquiry", "#inquiry-title", walkBoth...)
	for _, sz := range walkBoth {
		// Sent empty: the errors.
		b.do(t, "inquiry empty "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/inquiry"), chromedp.WaitVisible(chromedp.ID("name")))
		w.submit("visitor inquiry-errors", sz, ".field-error, .error-summary", chromedp.Click(chromedp.CSS(`form[action="/inquiry"] button[type=submit]`)))
	}
	b.do(t, "inquiry "+walkPhone.tag, chromedp.EmulateViewport(walkPhone.w, walkPhone.h), chromedp.Navigate(in.url+"/inquiry"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Alex"), chromedp.SendKeys(chromedp.ID("email"), "alex@mail.example"))
	time.Sleep(3500 * time.Millisecond) // a person takes a few seconds
	w.submit("visitor inquiry-sent", walkPhone, "main h1", chromedp.Click(chromedp.CSS(`form[action="/inquiry"] button[type=submit]`)))

	// The therapist: caseload, a chart (and a booking that fails),
	// calendar, outcomes, inquiries, and a dosing session.
	lena := logins["lena.ortiz@willowcreek.example"]
	signInBrowser(t, b, in.url, lena.Email, lena.Password, lena.TOTPSecret)
	w.look("therapist caseload", "/patients", "#patients-title", walkBoth...)
	jordan := patientHref("Jordan Lee")
	w.look("therapist chart", jordan, "#appointments", walkBoth...)
	w.look("therapist timeline", jordan+"/timeline", "#timeline-title", walkBoth...) // issue 17: the chart's timeline
	w.look("therapist diagnoses", jordan+"/diagnoses?q=recurrent", "#results-title", walkBoth...)
	w.look("therapist address", jordan+"/address", "#line1", walkBoth...)
	w.look("therapist billing", jordan+"/billing", "#billing-title", walkBoth...)          // issue 21: the patient's ledger
	w.look("therapist statements", jordan+"/statements", "#statements-title", walkBoth...) // superbills and statements
	for _, sz := range walkBoth {
		b.do(t, "booking "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+jordan), chromedp.WaitVisible(chromedp.ID("ap-start")))
		w.submit("therapist booking-fails", sz, "#appointments .field-error, .error-summary", chromedp.ScrollIntoView(chromedp.ID("ap-start")),
			chromedp.Click(chromedp.CSS(`form[action$="/appointments#book"] button[type=submit]`)))
	}
	w.look("therapist calendar", "/calendar", "#schedule-title", walkBoth...)
	w.look("therapist outcomes", "/outcomes", "#outcomes-title", walkBoth...)
	w.look("therapist inquiries", "/inquiries", "#inbox-title", walkBoth...)
	w.look("therapist account", "/account", "#hours", walkBoth...)
	// Secure messages (issue 17): the shared inbox and a thread.
	w.look("therapist messages", "/messages", "#inbox-title", walkBoth...)
	b.do(t, "inbox", chromedp.Navigate(in.url+"/messages"), chromedp.WaitVisible(chromedp.CSS("#inbox a")))
	w.look("therapist message-thread", run1(t, b, "thread link", chromedp.Evaluate[string](`document.querySelector('#inbox a').getAttribute('href')`)), "#thread-title", walkBoth...)
	// Clinical notes (issue 16): Lena's late notes, the notes of Sam's she
	// co-signs, one of them, and a signed note with both signatures.
	w.look("therapist late-notes", "/notes/late", "main h1", walkBoth...)
	w.look("therapist cosign-list", "/notes/cosign", "main h1", walkBoth...)
	b.do(t, "cosign list", chromedp.Navigate(in.url+"/notes/cosign"), chromedp.WaitVisible(chromedp.CSS(".cosign-list a")))
	w.look("therapist cosign", run1(t, b, "cosign link", chromedp.Evaluate[string](`document.querySelector('.cosign-list a').getAttribute('href')`)), "#cosign", walkBoth...)
	b.do(t, "jordan notes", chromedp.Navigate(in.url+jordan), chromedp.WaitVisible(chromedp.CSS("#notes .note-list a")))
	w.look("therapist signed-note", run1(t, b, "note link", chromedp.Evaluate[string](`document.querySelector('#notes .note-list a').getAttribute('href')`)), "#signature", walkBoth...)
	b.do(t, "tablet", chromedp.EmulateViewport(walkTablet.w, walkTablet.h), chromedp.Navigate(in.url+jordan), chromedp.WaitVisible(chromedp.ID("dosing-title")),
		chromedp.Click(chromedp.CSS(`#dosing form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("gate-title")))
	gate := run1(t, b, "session address", chromedp.Location())
	gate = strings.TrimPrefix(gate, in.url)
	if i := strings.IndexAny(gate, "?#"); i >= 0 {
		gate = gate[:i]
	}
	w.check("therapist dosing-gate", walkTablet)
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
	w.check("therapist dosing-dose", walkTablet)
	pickLot(t, b, "K-2291")
	b.do(t, "dose", chromedp.Click(chromedp.CSS(`#dose button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".session-bar")))
	w.look("therapist dosing-session", gate, ".session-bar", walkTablet, walkPhone, walkDesktop)
	b.do(t, "vitals", chromedp.EmulateViewport(walkTablet.w, walkTablet.h), chromedp.Navigate(in.url+gate), chromedp.WaitVisible(chromedp.ID("v-bp")),
		chromedp.SendKeys(chromedp.ID("v-bp"), "138/88"), chromedp.SendKeys(chromedp.ID("v-hr"), "84"))
	w.submit("therapist dosing-vitals-saved", walkTablet, `#timeline`, chromedp.Click(chromedp.CSS(`#vitals button[type=submit]`)))
	signOut("therapist")

	// The partner prescriber: caseload, a chart with a clearance.
	rx := logins["priya.natarajan@riverbend-medical.example"]
	signInBrowser(t, b, in.url, rx.Email, rx.Password, rx.TOTPSecret)
	w.look("prescriber caseload", "/patients", "#patients-title", walkBoth...)
	w.look("prescriber chart", patientHref("Riley Chen"), "#clearance", walkBoth...)
	w.look("prescriber controlled substances", "/controlled", "#controlled-title", walkBoth...)
	// The REMS forms not yet submitted, and the demo's esketamine session's form (issue 20).
	w.look("prescriber REMS forms", "/rems", "#rems-list-title", walkBoth...)
	for _, sz := range walkBoth {
		b.do(t, "open the REMS form at "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/rems"),
			chromedp.WaitVisible(chromedp.CSS(`td[data-label="Form"] a`)), chromedp.Click(chromedp.CSS(`td[data-label="Form"] a`)), chromedp.WaitVisible(chromedp.ID("rems-title")))
		w.check("prescriber REMS form", sz)
	}
	signOut("prescriber")

	// Two patients: portal home, a check-in (an answer saved),
	// appointments, progress, the access report.
	for _, email := range []string{"jordan.lee@mail.example", "riley.chen@mail.example"} {
		pt, ok := logins[email]
		if !ok {
			t.Fatalf("the demo has no login %s", email)
		}
		who := "patient " + strings.Split(email, ".")[0]
		signInBrowser(t, b, in.url, pt.Email, pt.Password, "")
		w.look(who+" portal", "/portal", "#portal-title", walkBoth...)
		w.look(who+" checkins", "/portal/checkins", "#checkins-title", walkBoth...)
		w.look(who+" messages", "/portal/messages", "#messages-title", walkBoth...)
		if who == "patient jordan" {
			b.do(t, "messages", chromedp.Navigate(in.url+"/portal/messages"), chromedp.WaitVisible(chromedp.CSS(".message-threads a")))
			w.look(who+" message-thread", run1(t, b, "thread link", chromedp.Evaluate[string](`document.querySelector('.message-threads a').getAttribute('href')`)), "#thread-title", walkBoth...)
			b.do(t, "message empty", chromedp.EmulateViewport(walkPhone.w, walkPhone.h), chromedp.Navigate(in.url+"/portal/messages"), chromedp.WaitVisible(chromedp.ID("message-subject")))
			w.submit(who+" message-errors", walkPhone, ".field-error, .error-summary", chromedp.Click(chromedp.CSS(`#new-message button[type=submit]`)))
		}
		if who == "patient riley" {
			// A message with words of acute risk: sent, and crisis help
			// at once on the page after.
			b.do(t, "message risk", chromedp.EmulateViewport(walkPhone.w, walkPhone.h), chromedp.Navigate(in.url+"/portal/messages"), chromedp.WaitVisible(chromedp.ID("message-subject")),
				chromedp.SendKeys(chromedp.ID("message-subject"), "Tonight"), chromedp.SendKeys(chromedp.ID("message-body"), "I keep thinking everyone would be better off dead without me."))
			w.submit(who+" message-risk-sent", walkPhone, "#sent", chromedp.Click(chromedp.CSS(`#new-message button[type=submit]`)))
		}
		w.look(who+" checkin", "/portal/checkins/phq9", "#checkin-title", walkBoth...)
		for _, sz := range walkBoth {
			b.do(t, "check-in answer "+sz.tag, chromedp.EmulateViewport(sz.w, sz.h), chromedp.Navigate(in.url+"/portal/checkins/phq9"), chromedp.WaitVisible(chromedp.ID("checkin-title")))
			w.submit(who+" checkin-saved", sz, "main h1", chromedp.Evaluate[chromedp.Void](`(() => { const r = document.querySelector('form.checkin input[type=radio][value="1"]'); r.checked = true; const b = document.querySelector('form.checkin button[name=action][value=save]'); b.form.requestSubmit(b); })()`))
		}
		w.look(who+" appointments", "/portal/appointments", "#appointments-title", walkBoth...)
		w.look(who+" progress", "/portal/progress", "#progress-title", walkBoth...)
		w.look(who+" access", "/portal/access", "main h1", walkBoth...)
		w.look(who+" billing", "/portal/billing", "#billing-title", walkBoth...)
		w.look(who+" consents", "/portal/consents", "#consents-title", walkBoth...)
		w.look(who+" consent", "/portal/consents/kap_informed_consent", "#consent-title", walkBoth...)
		signOut(who)
	}

	// The admin: accounts, practice, audit log, jobs, website, rooms.
	admin := logins["admin"]
	signInBrowser(t, b, in.url, admin.Email, admin.Password, admin.TOTPSecret)
	w.look("admin accounts", "/admin/users", "table.data", walkBoth...)
	w.look("admin practice", "/admin/practice", "#practice-title", walkBoth...)
	w.look("admin audit", "/admin/audit", "table.audit", walkBoth...)
	w.look("admin jobs", "/admin/jobs", "main h1", walkBoth...)
	w.look("admin website", "/admin/site", "#site-title", walkBoth...)
	w.look("admin rooms", "/admin/rooms", "#rooms-title", walkBoth...)
	w.look("admin fees", "/admin/fees", "#fees-title", walkBoth...)                        // issue 21
	w.look("admin billing", patientHref("Riley Chen")+"/billing", "#payment", walkBoth...) // owes $100: every form
	w.look("admin billing-reports", "/billing/reports?preset=this-year", "#reports-title", walkBoth...)
	w.look("admin note-settings", "/admin/notes", "#templates", walkBoth...)
	w.look("admin note-template", "/admin/notes/templates/dosing", "main h1", walkBoth...)
	w.look("admin late-notes", "/notes/late", "main h1", walkBoth...)
	w.look("admin consents", "/admin/consents", "#consents-title", walkBoth...)
	w.look("admin consent", "/admin/consents/kap_informed_consent", "#consent-title", walkBoth...)
	signOut("admin")
	b.checkConsole(t, "(Unprocessable Entity)", "(Unauthorized)", "(Bad Request)")

	var rules []string
	for r := range w.rules {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	t.Logf("walk: %d page visits (pages × window sizes), axe-core %s ran %d times with %d rules (%s), %d focus rings checked, in %s; screenshots in %s",
		w.visits, axeVersion, w.axeRuns, len(rules), strings.Join(axeTags, ", "), w.focusChecks, time.Since(start0).Round(time.Second), w.shots)
	if len(w.findings) > 0 {
		var msg strings.Builder
		n := 0
		for _, page := range w.order {
			fmt.Fprintf(&msg, "\n%s:", page)
			for _, f := range w.findings[page] {
				fmt.Fprintf(&msg, "\n  - %s", f)
				n++
			}
		}
		t.Errorf("the walk found %d problems on %d pages:%s", n, len(w.findings), msg.String())
	}
}
