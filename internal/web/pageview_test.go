package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestChartViewOneAuditRow: a chart view is one read transaction and one
// audit row naming the sections shown (issue 18), for the care team and
// under an emergency grant (the row then carries the emergency mark).
func TestChartViewOneAuditRow(t *testing.T) {
	mp := newMatrixPractice(t)
	f := mp.f
	db := f.RawDB()
	rows := func() (n int64) {
		if _, err := f.St.SealAuditWait(context.Background()); err != nil { // PostgreSQL: chain the pending rows first
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		who       string
		emergency bool
		sections  []string
	}{
		{"thea", false, []string{"chart read", "measures read", "preparation history", "prescription read", "journal read", "dosing list", "consent read", "note list (latest 5)", "note list (appointments with notes)", "psychnote list"}},
		{"tess", true, []string{"chart read", "measures read", "consent read"}},
	} {
		f.Do("GET", "/patients/"+f.PA.ID, nil, mp.cookies[c.who]) // the session's first touch
		before := rows()
		reads0, writes0 := f.St.Transactions()
		r := f.Do("GET", "/patients/"+f.PA.ID, nil, mp.cookies[c.who])
		reads1, writes1 := f.St.Transactions()
		if r.Status != http.StatusOK {
			t.Fatalf("chart as %s = %d", c.who, r.Status)
		}
		if n := rows() - before; n != 1 {
			t.Errorf("chart view as %s added %d audit rows, want 1", c.who, n)
		}
		var action, detail, patient string
		if err := db.QueryRow(`SELECT action, detail, patient_id FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&action, &detail, &patient); err != nil {
			t.Fatal(err)
		}
		if action != "chart.read" || patient != f.PA.ID {
			t.Errorf("chart view as %s audited as %s about %s", c.who, action, patient)
		}
		for _, s := range c.sections {
			if !strings.Contains(detail, s) {
				t.Errorf("chart view as %s: audit detail %q does not name %s", c.who, detail, s)
			}
		}
		if got := strings.HasPrefix(detail, "emergency; shown: "); got != c.emergency {
			t.Errorf("chart view as %s: detail %q, emergency mark %v, want %v", c.who, detail, got, c.emergency)
		}
		// The page, its navigation included, reads in one transaction;
		// the session lookup before it is the other. One write: the row.
		t.Logf("chart view as %s: %d read and %d write transactions; audit detail %q", c.who, reads1-reads0, writes1-writes0, detail)
		if reads1-reads0 > 2 || writes1-writes0 > 1 {
			t.Errorf("chart view as %s began %d read and %d write transactions, want the page's one read (and the session's) and one write", c.who, reads1-reads0, writes1-writes0)
		}
	}
}
