package staff_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

var (
	caseloadRowRE  = regexp.MustCompile(`class="caseload-row"`)
	caseloadNextRE = regexp.MustCompile(`<a href="(/patients\?[^"]*)" rel="next">`)
	caseloadPrevRE = regexp.MustCompile(`<a href="(/patients\?[^"]*)" rel="prev">`)
)

// TestCaseloadPages: a caseload longer than a page shows CaseloadPageSize
// rows, the count of all, and a next link keyed by a patient id (no name
// in the URL) that keeps the search; the next page holds the rest, with a
// link back; a PHQ-9 sparkline shows on the page its patient is on.
func TestCaseloadPages(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := context.Background()
	thea := f.As("thea@example.org")
	extra := store.CaseloadPageSize + 5
	for i := range extra {
		if err := f.St.CreatePatient(ctx, thea, &store.Patient{DisplayName: fmt.Sprintf("Paged Person %03d", i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.Paper("phq9", 12, f.Now.Add(-48*60*60*1e9))
	tok := f.SignIn("thea@example.org")
	total := extra + 1 // and patient A
	r := f.Do("GET", "/patients", nil, tok)
	if r.Status != http.StatusOK || len(caseloadRowRE.FindAllString(r.Body, -1)) != store.CaseloadPageSize || !strings.Contains(r.Body, fmt.Sprintf("%d patients", total)) {
		t.Fatalf("first page = %d, %d rows; want %d rows and %q", r.Status, len(caseloadRowRE.FindAllString(r.Body, -1)), store.CaseloadPageSize, fmt.Sprintf("%d patients", total))
	}
	if !strings.Contains(r.Body, webtest.CanaryA) || !strings.Contains(r.Body, "PHQ-9 12") {
		t.Error("patient A (first by name) or their PHQ-9 sparkline is missing from the first page")
	}
	m := caseloadNextRE.FindStringSubmatch(r.Body)
	if m == nil || caseloadPrevRE.MatchString(r.Body) {
		t.Fatal("the first page has no next link, or a previous one")
	}
	next := html.UnescapeString(m[1])
	if strings.Contains(strings.ToLower(next), "paged") || !strings.Contains(next, "after=") {
		t.Errorf("next link %q: want a patient id, never a name", next)
	}
	r = f.Do("GET", next, nil, tok)
	if n := len(caseloadRowRE.FindAllString(r.Body, -1)); r.Status != http.StatusOK || n != total-store.CaseloadPageSize || caseloadNextRE.MatchString(r.Body) {
		t.Fatalf("second page = %d, %d rows; want %d and no next link", r.Status, n, total-store.CaseloadPageSize)
	}
	if strings.Contains(r.Body, webtest.CanaryA) || !strings.Contains(r.Body, fmt.Sprintf("Paged Person %03d", extra-1)) {
		t.Error("the second page repeats patient A or misses the last patient")
	}
	m = caseloadPrevRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the second page has no previous link")
	}
	if r := f.Do("GET", html.UnescapeString(m[1]), nil, tok); len(caseloadRowRE.FindAllString(r.Body, -1)) != store.CaseloadPageSize || !strings.Contains(r.Body, webtest.CanaryA) {
		t.Error("previous page is not the first page")
	}
	// A search keeps itself in the page links.
	r = f.Do("GET", "/patients?q=paged", nil, tok)
	if m := caseloadNextRE.FindStringSubmatch(r.Body); m == nil || !strings.Contains(html.UnescapeString(m[1]), "q=paged") || !strings.Contains(r.Body, fmt.Sprintf("%d patients match", extra)) {
		t.Error("a searched caseload's next link drops the search, or the count is wrong")
	}
	// A key that is not an id reads the first page.
	if r := f.Do("GET", "/patients?after=%27%3B--", nil, tok); r.Status != http.StatusOK || !strings.Contains(r.Body, webtest.CanaryA) {
		t.Errorf("a junk page key = %d, want the first page", r.Status)
	}
}
