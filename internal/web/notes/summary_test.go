package notes_test

import (
	"regexp"
	"strings"
	"testing"
)

// summaryOf and checkSummary are staff_test's (feedback_test.go), for the
// pages that moved here from the staff face.

// summaryOf is the error summary of the section with id section in body
// ("" when none): the text from the section's opening to its first form.
func summaryOf(t *testing.T, body, section string) string {
	t.Helper()
	i := strings.Index(body, `id="`+section+`"`)
	if i < 0 {
		t.Fatalf("no section %q on the page", section)
	}
	rest := body[i:]
	j := strings.Index(rest, "<form")
	if j < 0 {
		j = len(rest)
	}
	k := strings.Index(rest[:j], "data-error-summary")
	if k < 0 {
		return ""
	}
	return rest[k:j]
}

// checkSummary fails unless body holds the error summary of section, with
// role alert, the heading, and a link to each of fields, each an element
// on the page marked invalid.
func checkSummary(t *testing.T, what, body, section string, fields ...string) {
	t.Helper()
	sum := summaryOf(t, body, section)
	if sum == "" {
		t.Errorf("%s: no error summary at the top of #%s", what, section)
		return
	}
	if !strings.Contains(body, `class="error-summary" role="alert"`) || !strings.Contains(sum, "There is a problem") {
		t.Errorf("%s: the summary lacks role=alert or its heading: %s", what, sum)
	}
	for _, id := range fields {
		if !strings.Contains(sum, `href="#`+id+`"`) {
			t.Errorf("%s: the summary does not link to #%s: %s", what, id, sum)
		}
		if !regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*aria-describedby="` + regexp.QuoteMeta(id) + `-error" aria-invalid="true"`).MatchString(body) {
			t.Errorf("%s: field #%s is missing, or not marked invalid with its error", what, id)
		}
	}
	if n := strings.Count(body, "data-error-summary"); n != 1 {
		t.Errorf("%s: %d error summaries on the page, want 1 (at the form posted)", what, n)
	}
}
