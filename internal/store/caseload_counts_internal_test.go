package store

import (
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
)

// TestCaseloadCountsOneStatement: the caseload's badges for a page of
// patients are one statement whatever the number of sources, each source
// limited to the page's patients (its {patients} list), so the page's
// cost follows its rows, not the practice's size; roles without a count
// source get no query at all.
func TestCaseloadCountsOneStatement(t *testing.T) {
	for _, src := range CaseloadCountSources {
		if strings.Count(src.SQL, "{patients}") != 1 || !strings.Contains(src.SQL, "GROUP BY") {
			t.Errorf("count source %s is not limited to the page's patients, grouped by patient:\n%s", src.Kind, src.SQL)
		}
	}
	q := caseloadCountsQuery(clinic.RoleTherapist, 25)
	if strings.Count(q, ";") != 0 || strings.Count(q, "$26") != len(CaseloadCountSources) || strings.Contains(q, "$27") || strings.Contains(q, "{patients}") {
		t.Errorf("the query for 25 patients is not one statement over $2..$26:\n%s", q)
	}
	if q := caseloadCountsQuery(clinic.RoleAdmin, 25); q != "" {
		t.Errorf("an admin's caseload counts query = %q, want none", q)
	}
	t.Logf("%d count sources in one statement of %d bytes", len(CaseloadCountSources), len(q))
}
