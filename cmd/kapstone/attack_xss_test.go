package main

import (
	"context"
	"fmt"
	"github.com/kapstone/kapstone/internal/suitelog"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// xssResult counts what the injection pass did, for its log line.
type xssResult struct {
	fields      map[string]bool // form key + field name of every free-text field filled
	placements  int             // payload × field placements in accepted submissions
	pairs       map[string]bool // distinct form field × payload saved
	submissions int
	accepted    int
	refused     map[string]int // form key → refused submissions
	why         map[string]string
	reflected   map[string][]string // caller → GET form URLs carrying payloads, rendered too
	saved       map[string][]string // caller → pages a saving POST led to (its 303's Location)
	nreflected  int
	forms       int
}

// TestAttackInjection is the injection and XSS part of the attack suite
// (issue 14, suite item 2). On the demo practice it signs in one caller of
// every role, crawls every GET route of internal/web/routes.go (ids come from
// the links the pages show), fills every free-text field of every form it
// finds with the payload corpus (up to four payloads a value, rotated over
// the fields, so ceil(49/4) submissions of a form place every payload in
// every field that takes them; a field that refuses them is tamed step by
// step), checks every answer and the page each save leads to, then renders
// every page each caller can see in headless chromium, with the CSP bypassed
// and a hook installed before any page script: any call of the hook, any
// dialog, any element carrying a payload's data-kx marker, any
// script-running URL in the DOM fails. CSV exports and feeds are checked by
// parsing them. Search and filter forms (GET) get the payloads in the URL,
// and those pages are rendered too (reflected injection).
func TestAttackInjection(t *testing.T) {
	b := newBrowser(t)
	dir := demoDataDir(t)
	in := start(t, nil, "demo", "-addr", "127.0.0.1:0", "-data-dir", dir)
	started := time.Now()
	patterns := routePatterns(t)
	m := newRouteMatcher(patterns)
	attackers := signInAttackers(t, in.url, dir)

	// 1. Fill every form.
	res := &xssResult{fields: map[string]bool{}, pairs: map[string]bool{}, refused: map[string]int{}, why: map[string]string{}, reflected: map[string][]string{}, saved: map[string][]string{}}
	done := map[string]bool{}
	found := crawlAll(t, attackers, patterns, m, crawlLimitPerRoute)
	for _, a := range attackers {
		for _, pg := range found[a] {
			if !strings.HasPrefix(pg.ctype, "text/html") {
				continue
			}
			for _, f := range pageForms(pg.target, pg.body) {
				key := f.key(m)
				if done[key] {
					continue
				}
				t0 := time.Now()
				done[key] = injectForm(t, a, m, f, key, res)
				if d := time.Since(t0); d > 10*time.Second {
					t.Logf("XSS: slow form %s as %s: %v", key, a.name, d)
				}
			}
		}
	}
	t.Logf("XSS: forms filled in %v", time.Since(started).Round(time.Millisecond))

	// 2. Every page again, now holding the payloads: checked as HTML, CSV
	// or a feed; the HTML pages are then rendered in the browser.
	views := map[*attacker][]string{}
	csvs, feeds, feedTitles, feedPayloads := 0, 0, 0, 0
	carrying, carryingRoutes := 0, map[string]bool{} // views showing payloads (as text)
	rendered := map[string]bool{}
	again := crawlAll(t, attackers, patterns, m, renderLimitPerRoute)
	// The pages a saving form led to, too: the crawl may not find its way
	// back to a record the payloads made (a psychotherapy note is linked
	// only from its patient's chart, and the caseload's order changes as
	// payloads rename patients).
	for _, a := range attackers {
		crawled := map[string]bool{}
		for _, pg := range again[a] {
			crawled[pg.target] = true
		}
		perRoute := map[string]int{}
		for _, loc := range a.savedPages(res) {
			pat := m.match("GET", loc)
			if pat == "" || crawled[loc] || perRoute[pat] >= renderLimitPerRoute {
				continue
			}
			crawled[loc] = true
			r := a.do(t, "GET", loc, nil)
			if r.status != http.StatusOK {
				continue
			}
			perRoute[pat]++
			again[a] = append(again[a], crawledPage{target: loc, pattern: pat, status: r.status, ctype: r.header.Get("Content-Type"), body: r.body})
		}
	}
	for _, a := range attackers {
		for _, pg := range again[a] {
			switch {
			case strings.HasPrefix(pg.ctype, "text/html"):
				for _, hit := range htmlInjections(pg.body) {
					t.Errorf("XSS: %s as %s: %s", pg.target, a.name, hit)
				}
				views[a] = append(views[a], pg.target)
				rendered[pg.pattern] = true
				if strings.Contains(pg.body, "data-kx") {
					carrying++
					carryingRoutes[pg.pattern] = true
				}
			case strings.HasPrefix(pg.ctype, "text/csv"):
				csvs++
				bad, err := formulaCells(pg.body)
				if err != nil {
					t.Errorf("CSV %s as %s does not parse: %v", pg.target, a.name, err)
				}
				for _, c := range bad {
					t.Errorf("CSV %s as %s: a cell a spreadsheet runs as a formula (no leading '): %s", pg.target, a.name, c)
				}
			case a.name == "anon" && strings.Contains(pg.ctype, "xml") && (strings.HasSuffix(pg.target, ".rss") || strings.HasSuffix(pg.target, ".atom")):
				bad, n, err := feedTitleMarkup(pg.body)
				if err != nil {
					t.Errorf("feed %s does not parse: %v", pg.target, err)
				}
				feeds++
				feedTitles += n
				feedPayloads += strings.Count(pg.body, "data-kx")
				for _, s := range bad {
					t.Errorf("feed %s as %s: a title holds HTML once decoded, which feed readers render: %q", pg.target, a.name, s)
				}
			}
		}
	}

	t.Logf("XSS: pages checked as HTML, CSV and feeds in %v; %d pages of %d routes show payloads (as text)", time.Since(started).Round(time.Millisecond), carrying, len(carryingRoutes))

	// 3. The browser.
	hits := &hookHits{}
	b.do(t, "install the hook and bypass the CSP",
		chromedp.ExposeFunc("__kx", func(ctx context.Context, id any) (chromedp.Void, error) {
			hits.add(fmt.Sprint(id))
			return chromedp.Void{}, nil
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
			return err
		}),
	)
	// A dialog would stall the page: a leave-this-page question (a page
	// with unsaved input) is answered; any other (alert, confirm, prompt)
	// is a payload's doing and fails.
	go func() {
		for ev, err := range chromedp.Events(b.ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			if ev.Type != page.DialogTypeBeforeunload {
				hits.add(fmt.Sprintf("a %s dialog saying %q", ev.Type, ev.Message))
			}
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	}()
	viewCount := 0
	for _, a := range attackers {
		targets := append(views[a], res.reflected[a.name]...)
		b.do(t, "cookies for "+a.name, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
				return err
			}
			if a.cookie == nil {
				return nil
			}
			_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: a.cookie.Name, Value: a.cookie.Value, URL: in.url + "/", Path: "/"})
			return err
		}))
		for _, target := range targets {
			hits.at(a.name + " " + target)
			ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
			err := chromedp.Do(ctx, chromedp.Navigate(in.url+target), chromedp.Sleep(20*time.Millisecond))
			if err != nil {
				cancel()
				t.Errorf("XSS: render %s as %s: %v", target, a.name, err)
				continue
			}
			found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](domCheckJS))
			cancel()
			if err != nil {
				t.Errorf("XSS: check %s as %s: %v", target, a.name, err)
				continue
			}
			viewCount++
			for i, f := range found {
				if i == 5 {
					t.Errorf("XSS: %s as %s, in the browser: and %d more", target, a.name, len(found)-i)
					break
				}
				t.Errorf("XSS: %s as %s, in the browser: %s", target, a.name, f)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // late handlers (autofocus, toggle) report
	for _, h := range hits.list() {
		t.Errorf("XSS: the hook ran: %s", h)
	}
	suitelog.Count(t, "XSS: %d payloads in %d fields of %d forms (%d submissions, %d accepted, %d payload×field placements saved, %d distinct), %d GET forms with payloads rendered; %d page views in chromium with %d hook calls; %d CSV exports, %d feeds (%d titles, %d payload markers) parsed; %v",
		len(attackCorpus), len(res.fields), res.forms, res.submissions, res.accepted, res.placements, len(res.pairs), res.nreflected, viewCount, len(hits.list()), csvs, feeds, feedTitles, feedPayloads, time.Since(started).Round(time.Second))
	// The suite must have tested something: a crawl that found no forms,
	// saved no payloads or rendered no pages passes nothing.
	for _, floor := range []struct {
		what     string
		got, min int
	}{
		{"free-text fields filled", len(res.fields), 100},
		{"forms submitted", res.forms, 30},
		{"payload submissions accepted", res.accepted, 100},
		{"page views in chromium", viewCount, 200},
		{"CSV exports parsed", csvs, 1},
		{"feeds parsed", feeds, 2},
		{"payload markers in the feeds", feedPayloads, 1},
	} {
		if floor.got < floor.min {
			t.Errorf("XSS: %d %s, want at least %d: the crawl lost its way, so the suite tested too little", floor.got, floor.what, floor.min)
		}
	}
	var unseen []string
	for _, p := range patterns {
		if strings.HasPrefix(p, "GET ") && !rendered[p] {
			unseen = append(unseen, p)
			if _, ok := notRendered[p]; !ok {
				t.Errorf("XSS: GET route %s was not rendered with payloads: make the crawl reach it, or say in notRendered why it need not be", p)
			}
		}
	}
	t.Logf("XSS: %d GET routes rendered; not rendered (each in notRendered): %s", len(rendered), strings.Join(unseen, "; "))
	var refused []string
	for k, n := range res.refused {
		refused = append(refused, fmt.Sprintf("%s (%d: %s)", k, n, res.why[k]))
	}
	sort.Strings(refused)
	if len(refused) > 0 {
		t.Logf("XSS: forms that refused some or all payload submissions (their refusal pages were checked): %s", strings.Join(refused, "; "))
	}
}

// notRendered are the GET routes the browser pass does not render, each
// with the reason; any other GET route the crawl misses fails the test, so
// a new page cannot escape the suite.
var notRendered = map[string]string{
	"GET /healthz":              "plain text, no data",
	"GET /readyz":               "plain text, no data",
	"GET /metrics":              "Prometheus text of counts labelled by route pattern and status only, never user input (TestMetrics checks the labels); 404 without its token",
	"GET /static/{hash}/{name}": "the program's own files",
	"GET /media/{image}":        "images, re-encoded by media.Clean (fuzzed)",
	"GET /patients/{patient}/consents/{signature}/scan": "a paper consent's scan: a PDF as an attachment, or an image re-encoded by media.Clean, served with nosniff",
	"GET /feed.atom":        "XML: parsed by the feed check",
	"GET /feed.rss":         "XML: parsed by the feed check",
	"GET /sitemap.xml":      "XML of URLs, no free text",
	"GET /robots.txt":       "plain text, no data",
	"GET /sw.js":            "the program's own script (the safety plan's service worker), no data",
	"GET /calendar/{token}": "iCalendar (fuzzed: internal/ical FuzzCalendar)",
	"GET /portal/appointments/{appointment}/ics": "iCalendar (fuzzed: internal/ical FuzzCalendar)",
	"GET /medications/lookup":                    "JSON for the medication field",
	"GET /outcomes.csv":                          "CSV: parsed by the CSV check",
	"GET /fhir/":                                 "the FHIR API (issue 19): JSON behind a personal API token (a session is no credential there), never markup; every answer is validated against HL7's R4 schema (internal/fhir TestAPI)",
	"GET /oauth/authorize":                       "SMART consent page: needs a registered app's signed request (a public app with its exact redirect URI); its only free text, the app's name, is set by an administrator and escaped (internal/web/account TestSMARTAuthorizationCode)",
	"GET /.well-known/smart-configuration":       "the SMART discovery document: JSON of fixed URLs and scope names, never markup",
	"GET /login/mfa":                             "a sign-in step without data (TestAuthAttacks)",
	"GET /login/mfa/setup":                       "a sign-in step without data (TestAuthAttacks)",
	"GET /setup/{token}":                         "a single-use link page without data (TestAuthAttacks)",
	"GET /invite/{token}":                        "a single-use link page (TestAuthAttacks)",
	"GET /reset/{token}":                         "a single-use link page (TestAuthAttacks)",
	"GET /patients/{patient}/dosing/{session}/chaperone/alarm": "JSON for the session page's watch: an event's id and a fixed word, never user text",
	"GET /chaperone/{token}":                                   "a remote dosing session's chaperone page, behind a link the clinician makes and copies (no crawl reaches it): its free text (the chaperone's and support person's names, the ride, the chaperone's notes) is rendered with payloads and checked escaped by internal/web/chaperone TestChaperonePageEscapesAndAuditsOnce",

	// Issue 21's superbills and statements: PDFs.
	"GET /patients/{patient}/statements/superbill.pdf": "PDF: no markup or script; its text is read with pdftotext (internal/web/superbill TestSuperbillOnDemo)",
	"GET /patients/{patient}/statements/statement.pdf": "PDF: no markup or script; its text is read with pdftotext (internal/web/superbill TestSuperbillOnDemo)",
	"GET /portal/billing/superbill.pdf":                "PDF: no markup or script; its text is read with pdftotext (internal/web/superbill TestSuperbillOnDemo)",
	"GET /portal/billing/statement.pdf":                "PDF: no markup or script; its text is read with pdftotext (internal/web/superbill TestSuperbillOnDemo)",

	// Issue 16's PDF.
	"GET /patients/{patient}/outcome-summary.pdf":                 "PDF: no markup or script; its text is read with pdftotext (internal/web/notes TestOutcomeSummaryPDF)",
	"GET /patients/{patient}/appointments/{appointment}/note.pdf": "PDF: no markup or script; its text is read with pdftotext (internal/web/notes TestNotePDF)",
	"GET /patients/{patient}/consents/{signature}/consent.pdf":    "PDF: no markup or script; its text is read with pdftotext (internal/web/notes TestConsentPDF)",
	"GET /portal/consents/{kind}/{signature}/consent.pdf":         "PDF: no markup or script; its text is read with pdftotext (internal/web/notes TestConsentPDF)",

	// Issue 20: the controlled-substance log's reports.
	"GET /controlled/reports": "PDF or CSV attachments (nosniff): their text is read with pdftotext, the CSV through internal/csvsafe (internal/web/controlled TestControlledLog); a bad request answers with /controlled's page, rendered there",

	// Issue 21: the billing reports' CSV files.
	"GET /billing/reports/csv/{report}": "CSV attachments (nosniff) written through internal/csvsafe, a patient named =cmd checked quoted by internal/web/billingreports TestBillingReportsCSV; a bad range answers with /billing/reports's page, rendered there",

	// Issue 20: the REMS monitoring form, for sessions dosed from a REMS product (none in this suite's data).
	"GET /patients/{patient}/dosing/{session}/rems":     "the REMS monitoring form: only for a session dosed from a REMS product's lot, which this suite's data has none of; its free text (the serious adverse event's description) is rendered with a payload and checked escaped by internal/web/remsform TestREMSFormOnDemo",
	"GET /patients/{patient}/dosing/{session}/rems.pdf": "PDF: no markup or script; its text is read with pdftotext (internal/web/remsform TestREMSFormOnDemo)",
	"GET /rems": "the prescriber's list of REMS forms not yet submitted: empty without a REMS session in this suite's data; its text (patient names, dates) is escaped by html/template, and the list renders in internal/web/remsform TestREMSFormOnDemo",

	// Issue 19: the patient's copy of their record.
	"GET /portal/record.json": "FHIR JSON sent as an attachment with nosniff, never a page; validated against the R4 schema (internal/web/portal TestPortalRecordDownload)",
	"GET /portal/record.pdf":  "PDF: no markup or script; its text is read with pdftotext (internal/web/portal TestPortalRecordDownload)",
}

// hookHits records the hook's calls with the page each came from.
type hookHits struct {
	mu   sync.Mutex
	page string
	hits []string
}

func (h *hookHits) at(page string) {
	h.mu.Lock()
	h.page = page
	h.mu.Unlock()
}

func (h *hookHits) add(id string) {
	h.mu.Lock()
	h.hits = append(h.hits, fmt.Sprintf("payload %s on %s", id, h.page))
	h.mu.Unlock()
}

func (h *hookHits) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hits...)
}

// domCheckJS lists what of the corpus became markup or a script-running URL
// in the live DOM (after any page script ran), in every same-site frame.
const domCheckJS = `(() => {
  const out = [];
  const bad = v => {
    let c = v.replace(/[\u0000-\u0020\u200b\u00ad]/g, "").toLowerCase();
    const i = c.indexOf("url=");
    if (i >= 0) c = c.slice(i + 4);
    return c.startsWith("javascript:") || c.startsWith("vbscript:") || c.startsWith("data:text/html");
  };
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcdoc"];
  const scan = (doc, where) => {
    for (const e of doc.querySelectorAll("*")) {
      for (const a of e.attributes) {
        const n = a.name.toLowerCase();
        if (n === "data-kx") out.push(where + "element <" + e.tagName.toLowerCase() + " data-kx=" + a.value + ">");
        else if (n.startsWith("on") && a.value.includes("__kx")) out.push(where + "handler " + n + "=" + JSON.stringify(a.value));
        else if (urlAttrs.includes(n) && bad(a.value)) out.push(where + "script URL " + n + "=" + JSON.stringify(a.value.slice(0, 120)) + " on <" + e.tagName.toLowerCase() + ">");
        else if (n === "content" && e.tagName === "META" && bad(a.value)) out.push(where + "meta refresh to " + JSON.stringify(a.value));
      }
      if (e.tagName === "IFRAME") {
        try { if (e.contentDocument) scan(e.contentDocument, where + "iframe: "); } catch (err) {}
      }
    }
  };
  scan(document, "");
  return out;
})()`

// payloadsPerValue is how many payloads one field value carries at most.
const payloadsPerValue = 4

// injectForm sends one form once per payload of the corpus, rotating the
// payloads over its free-text fields, and checks every answer (and the page
// a save leads to) for injected markup.
//
// It reports whether the form took payloads; a form that took none is left
// for another caller to try.
func injectForm(t *testing.T, a *attacker, m routeMatcher, f webForm, key string, res *xssResult) bool {
	t.Helper()
	pattern := m.match(f.method, f.action)
	if pattern == "" || credentialForm(pattern) || strings.Contains(f.enctype, "multipart") {
		return true
	}
	var text []int
	for i, fl := range f.fields {
		if fl.freeText() {
			text = append(text, i)
		}
	}
	if len(text) == 0 {
		return true
	}
	// Each value carries up to payloadsPerValue payloads of the corpus
	// (as many as the field's maxlength allows, at least one; one alone
	// once the field refused more), rotated over the fields, so
	// ceil(payloads/payloadsPerValue) rounds place every payload in every
	// field that takes them.
	var placed map[string][]string // field → payload ids of the attempt
	var tame map[string]int
	fill := func(round int, shaped bool) func(i int, fl formField) string {
		return func(i int, fl formField) string {
			first := attackCorpus[(round*payloadsPerValue+i)%len(attackCorpus)]
			switch {
			case fl.kind == "email" || shaped && strings.Contains(fl.name, "email"):
				return first.email(round)
			case fl.kind == "url" || shaped && strings.Contains(fl.name, "url"):
				placed[fl.name] = []string{first.ID}
				return first.url()
			case shaped && (fl.kind == "tel" || strings.Contains(fl.name, "phone")):
				return "+1 555 010 2345"
			}
			var parts []string
			size := 0
			for k := 0; k < payloadsPerValue; k++ {
				p := attackCorpus[(round*payloadsPerValue+i+k)%len(attackCorpus)]
				s := p.line()
				if fl.kind == "textarea" {
					s = p.text()
				}
				if k > 0 && (tame[fl.name] > 0 || fl.maxlength > 0 && size+1+len([]rune(s)) > fl.maxlength) {
					break
				}
				parts = append(parts, s)
				placed[fl.name] = append(placed[fl.name], p.ID)
				size += len([]rune(s)) + 1
			}
			if fl.kind == "textarea" {
				return strings.Join(parts, "\n\n")
			}
			return strings.Join(parts, " ")
		}
	}
	if f.method == http.MethodGet {
		// A search or filter: the payloads go in the URL; the answer is
		// checked here and rendered in the browser.
		for round := 0; round < len(attackCorpus); round += 7 {
			placed, tame = map[string][]string{}, nil
			v, action := f.values(round, nil, fill(round, false))
			target := action
			if i := strings.IndexByte(target, '?'); i >= 0 {
				target = target[:i]
			}
			target += "?" + v.Encode()
			r := a.do(t, "GET", target, nil)
			res.submissions++
			checkAnswer(t, a, "GET "+target, r)
			res.reflected[a.name] = append(res.reflected[a.name], target)
			res.nreflected++
		}
		res.forms++
		for _, i := range text {
			res.fields[key+" "+f.fields[i].name] = true
		}
		return true
	}
	fails, took := 0, 0
	needsFresh := false
	tame = map[string]int{} // fields a refusal marked invalid, kept tame for later rounds
	rounds := (len(attackCorpus) + payloadsPerValue - 1) / payloadsPerValue
	for round := 0; round < rounds && fails < 4; round++ {
		ok := false
		why := ""
		refetched := false
		if needsFresh && round > 0 {
			f = freshForm(t, a, m, f, key)
		}
		for attempt := 0; attempt < 4 && !ok; attempt++ {
			placed = map[string][]string{}
			v, action := f.values(round, tame, fill(round, attempt > 0))
			r := a.do(t, "POST", action, v)
			res.submissions++
			checkAnswer(t, a, "POST "+action, r)
			switch {
			case r.status == http.StatusSeeOther:
				ok = true
				if loc := r.header.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
					checkAnswer(t, a, "GET "+loc+" (after "+pattern+")", a.do(t, "GET", loc, nil))
					res.saved[a.name] = append(res.saved[a.name], loc)
				}
			case r.status == http.StatusOK && !strings.Contains(r.body, `aria-invalid="true"`) && !strings.Contains(r.body, "field-error"):
				ok = true // saved and shown in place (a preview, a page that answers 200)
			default:
				why = fmt.Sprint(r.status) + ": " + refusalReasons(r.body)
				marked := false
				for _, again := range pageForms(action, r.body) {
					if again.method != f.method || m.match(again.method, again.action) != pattern {
						continue
					}
					for _, fl := range again.fields {
						if fl.invalid {
							tame[fl.name]++
							marked = true
						}
					}
				}
				// Radio groups left unanswered: answer them. Dates, times
				// and numbers left empty too, when the refusal marked no
				// field (a date left empty may mean "now", as a blog post's).
				for _, fl := range f.fields {
					if (fl.kind == "radio" || !marked && plausible(fl) != "") && v.Get(fl.name) == "" && tame[fl.name] == 0 {
						tame[fl.name] = 1
						marked = true
					}
				}
				if !marked && !refetched {
					// Nothing marked at a field: the record may have moved on
					// (a version, a token in a hidden field). Take the form
					// afresh from its page.
					refetched = true
					f = freshForm(t, a, m, f, key)
					needsFresh = true // a record with a version: take it afresh each round
				} else if !marked {
					attempt = 4 // nothing more to change
				}
			}
		}
		if ok {
			fails = 0
			took++
			res.accepted++
			for name, ids := range placed {
				for _, id := range ids {
					res.pairs[key+" "+name+" "+id] = true
					res.placements++
				}
			}
			continue
		}
		fails++
		if res.refused[pattern] == 0 {
			res.why[pattern] = why
		}
		res.refused[pattern]++
	}
	if took > 0 {
		res.forms++
		for _, i := range text {
			res.fields[key+" "+f.fields[i].name] = true
		}
	}
	return took > 0
}

// freshForm takes form f afresh from its page (a version or token in a
// hidden field moves on with each save).
func freshForm(t *testing.T, a *attacker, m routeMatcher, f webForm, key string) webForm {
	t.Helper()
	for _, fresh := range pageForms(f.from, a.do(t, "GET", f.from, nil).body) {
		if fresh.key(m) == key {
			return fresh
		}
	}
	return f
}

// checkAnswer fails on a server error and on any injected markup in an HTML
// answer.
func checkAnswer(t *testing.T, a *attacker, what string, r reply) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("XSS: %s as %s = %d, want no server error", what, a.name, r.status)
	}
	if strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		for i, hit := range htmlInjections(r.body) {
			if i == 5 {
				t.Errorf("XSS: %s as %s: and more", what, a.name)
				break
			}
			t.Errorf("XSS: %s as %s: %s", what, a.name, hit)
		}
	}
}

var fieldErrorRE = regexp.MustCompile(`(?s)class="(?:field-error|form-error)[^"]*"[^>]*>(.*?)</`)

// refusalReasons is what a refused form said at its fields, for the log.
func refusalReasons(body string) string {
	var out []string
	for _, m := range fieldErrorRE.FindAllStringSubmatch(body, 6) {
		out = append(out, strings.TrimSpace(html.UnescapeString(m[1])))
	}
	if len(out) == 0 && len(body) > 0 {
		return strings.SplitN(body, " ", 2)[0]
	}
	return strings.Join(out, " | ")
}

// savedPages returns the distinct pages (path without query or fragment)
// a's saving POSTs led to, in order.
func (a *attacker) savedPages(res *xssResult) []string {
	seen := map[string]bool{}
	var out []string
	for _, loc := range res.saved[a.name] {
		if i := strings.IndexAny(loc, "?#"); i >= 0 {
			loc = loc[:i]
		}
		if !seen[loc] {
			seen[loc] = true
			out = append(out, loc)
		}
	}
	return out
}
