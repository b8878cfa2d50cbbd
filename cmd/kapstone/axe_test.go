package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axe-core is the accessibility engine the browser walk runs in chromium.
// It is fetched like a Go module: the pinned tarball from the npm registry,
// once, into a cache directory, and checked against the registry's
// integrity (sha512) before every use. npm itself is not needed. License:
// MPL-2.0; it is test-only and never shipped in the binary.
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

// axeSource returns axe.min.js. Without it the test is skipped, unless
// KAPSTONE_REQUIRE_BROWSER=1 (CI), which makes that a failure: the
// accessibility check is part of the browser tests.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() { axeScript, axeErr = loadAxe() })
	if axeErr != nil {
		if os.Getenv("KAPSTONE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("KAPSTONE_REQUIRE_BROWSER=1 but axe-core %s is not available: %v", axeVersion, axeErr)
		}
		t.Skipf("axe-core %s is not available (%v); set KAPSTONE_REQUIRE_BROWSER=1 to make this a failure", axeVersion, axeErr)
	}
	return axeScript
}

// axeCacheFile is where the tarball is kept: $XDG_CACHE_HOME (or
// ~/.cache)/kapstone/axe-core-<version>/axe-core-<version>.tgz.
func axeCacheFile() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "kapstone", "axe-core-"+axeVersion, "axe-core-"+axeVersion+".tgz"), nil
}

// loadAxe reads the cached tarball, fetching it first when it is missing
// or does not match the integrity, and extracts axe.min.js from it.
func loadAxe() (string, error) {
	file, err := axeCacheFile()
	if err != nil {
		return "", err
	}
	tgz, err := os.ReadFile(file)
	if err != nil || checkIntegrity(tgz, axeIntegrity) != nil {
		// Up to three tries, so a passing network blip does not fail a run.
		for try := 1; ; try++ {
			if tgz, err = fetchAxe(file); err == nil {
				break
			}
			if try == 3 {
				return "", err
			}
			time.Sleep(time.Duration(try) * 2 * time.Second)
		}
	}
	return extractAxe(tgz)
}

// fetchAxe downloads the pinned tarball, checks it and stores it in file
// (through a temporary file and a rename, so a half-written tarball is
// never taken for the real one).
func fetchAxe(file string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, axeURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", axeURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", axeURL, resp.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", axeURL, err)
	}
	if err := checkIntegrity(tgz, axeIntegrity); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", axeURL, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".download-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(tgz); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, err
	}
	return tgz, nil
}

// checkIntegrity compares data with an npm integrity string
// ("sha512-<base64>").
func checkIntegrity(data []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q is not sha512", integrity)
	}
	sum := sha512.Sum512(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("integrity mismatch: got sha512-%s, want %s", got, integrity)
	}
	return nil
}

// extractAxe returns package/axe.min.js from the tarball.
func extractAxe(tgz []byte) (string, error) {
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", errors.New("axe.min.js is not in the tarball")
		}
		if err != nil {
			return "", err
		}
		if h.Name == "package/axe.min.js" {
			b, err := io.ReadAll(io.LimitReader(tr, 16<<20))
			return string(b), err
		}
	}
}

func TestAxeIntegrity(t *testing.T) {
	data := []byte("kapstone")
	sum := sha512.Sum512(data)
	good := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := checkIntegrity(data, good); err != nil {
		t.Errorf("the right integrity fails: %v", err)
	}
	if err := checkIntegrity([]byte("kapstonE"), good); err == nil {
		t.Error("changed data passes the integrity check")
	}
	if err := checkIntegrity(data, "sha1-abc"); err == nil {
		t.Error("a sha1 integrity passes")
	}
	// A tarball without axe.min.js is refused.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	_ = tw.WriteHeader(&tar.Header{Name: "package/README.md", Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	_ = gz.Close()
	if _, err := extractAxe(buf.Bytes()); err == nil {
		t.Error("a tarball without axe.min.js gives no error")
	}
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
