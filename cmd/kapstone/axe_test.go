package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kapstone/kapstone/internal/npmtarball"
)

// axe-core is the accessibility engine the browser walk runs in chromium.
// It is fetched like a Go module (internal/npmtarball): the pinned tarball
// from the npm registry, once, into a cache directory, and checked against
// the registry's integrity (sha512) before every use. npm itself is not
// needed. License: MPL-2.0; it is test-only and never shipped in the binary.
const (
	axeVersion   = "4.14.1"
	axeURL       = "https://registry.npmjs.org/axe-core/-/axe-core-" + axeVersion + ".tgz"
	axeIntegrity = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

// axeTags are the rule sets the walk asks axe-core to run: WCAG 2.0 A
// and AA, and the AA additions of 2.1 and 2.2.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"}

var (
	axeOnce   sync.Once
	axeScript string
	axeErr    error
)

// axeTarball is axe-core's pinned tarball, cached as
// $XDG_CACHE_HOME (or ~/.cache)/kapstone/axe-core-<version>/.
var axeTarball = npmtarball.Tarball{Name: "axe-core-" + axeVersion, URL: axeURL, Integrity: axeIntegrity}

// axeSource returns axe.min.js. Without it the test is skipped, unless
// KAPSTONE_REQUIRE_BROWSER=1 (CI), which makes that a failure: the
// accessibility check is part of the browser tests.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := axeTarball.File("package/axe.min.js", 16<<20)
		axeScript, axeErr = string(b), err
	})
	if axeErr != nil {
		npmtarball.Unavailable(t, "axe-core "+axeVersion, "KAPSTONE_REQUIRE_BROWSER", axeErr)
	}
	return axeScript
}

// axeViolation is one failed axe-core rule on a page.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeResult is what runAxe reports: the serious and critical violations,
// and how many rules ran.
type axeResult struct {
	Violations []axeViolation `json:"violations"`
	Rules      []string       `json:"rules"`
}

// runAxe injects axe-core into the current page through the DevTools
// protocol (Runtime.evaluate, which the page's Content-Security-Policy does
// not govern, unlike an inline <script>) and runs it with axeTags. It
// returns the serious and critical violations and the ids of the rules that
// ran (passed, failed, incomplete or not applicable).
func runAxe(t *testing.T, b *browser) (axeResult, error) {
	t.Helper()
	src := axeSource(t)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`if (!window.axe) { `+src+"\n}")); err != nil {
		return axeResult{}, fmt.Errorf("inject axe-core: %w", err)
	}
	tags, _ := json.Marshal(axeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]}).then(r => ({
  violations: r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 6).map(n => n.target.join(" ") + (n.failureSummary ? " (" + n.failureSummary.split("\n").slice(1, 2).join("").trim() + ")" : ""))
  })),
  rules: [...r.passes, ...r.violations, ...r.incomplete, ...r.inapplicable].map(v => v.id)
}))`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](script, chromedp.EvalAwaitPromise))
	if err != nil {
		return axeResult{}, fmt.Errorf("axe.run: %w", err)
	}
	sort.Strings(res.Rules)
	return res, nil
}
