package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// pageView asks for path once (the session's first touch) and again, and
// checks that the second view added exactly one audit row, about
// patientID, audited as action, naming each of sections in its detail,
// and began at most two read transactions (the page's view and the
// session's lookup) and one write (the row). It is
// TestChartViewOneAuditRow's check for any page that shows patient data.
func pageView(t *testing.T, f *webtest.Fixture, cookie, path, patientID, action string, sections []string) {
	t.Helper()
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
	f.Do("GET", path, nil, cookie)
	before := rows()
	reads0, writes0 := f.St.Transactions()
	r := f.Do("GET", path, nil, cookie)
	reads1, writes1 := f.St.Transactions()
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d", path, r.Status)
	}
	if n := rows() - before; n != 1 {
		t.Errorf("GET %s added %d audit rows, want 1", path, n)
	}
	var got, detail, patient string
	if err := db.QueryRow(`SELECT action, detail, patient_id FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&got, &detail, &patient); err != nil {
		t.Fatal(err)
	}
	if got != action || patient != patientID {
		t.Errorf("GET %s audited as %s about %s, want %s about %s", path, got, patient, action, patientID)
	}
	if !strings.HasPrefix(detail, "shown: ") {
		t.Errorf("GET %s: audit detail %q does not list what was shown", path, detail)
	}
	for _, s := range sections {
		if !strings.Contains(detail, s) {
			t.Errorf("GET %s: audit detail %q does not name %s", path, detail, s)
		}
	}
	t.Logf("GET %s: %d read and %d write transactions; audit detail %q", path, reads1-reads0, writes1-writes0, detail)
	if reads1-reads0 > 2 || writes1-writes0 > 1 {
		t.Errorf("GET %s began %d read and %d write transactions, want the page's one read (and the session's) and one write", path, reads1-reads0, writes1-writes0)
	}
}

// TestPortalViewsOneAuditRow: each portal page that shows the patient's
// record reads it in one transaction and writes one audit row naming what
// it showed (issue 18), as the chart does.
func TestPortalViewsOneAuditRow(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA()
	thea := f.SignIn("thea@example.org")
	if r := f.BookDosing(thea); r.Status != http.StatusSeeOther {
		t.Fatalf("book dosing = %d", r.Status)
	}
	f.Assign("phq9", "weekly")
	pat := f.SignIn("pat@example.org")
	if r := f.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("submit", 1, 0), pat); r.Status != http.StatusSeeOther {
		t.Fatalf("check-in = %d: %s", r.Status, r.Body)
	}
	plan := url.Values{"base_version": {"0"}, clinic.PlanCoping: {"Walk the dog"}}
	if r := f.Do("POST", "/portal/safety-plan", plan, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("safety plan = %d: %s", r.Status, r.Body)
	}
	if r := f.Do("POST", "/portal/journal", url.Values{"answer_stood_out": {"The music."}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("journal = %d: %s", r.Status, r.Body)
	}
	if r := f.Do("POST", "/portal/messages", url.Values{"subject": {"Parking"}, "body": {"Where do I park?"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("message = %d: %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		path, action string
		sections     []string
	}{
		{"/portal", "portal.read", []string{"patient read", "appointments read (next)", "preparation read", "measures read (latest)", "consent read"}},
		{"/portal/progress", "progress.read", []string{"measures read"}},
		{"/portal/checkins", "checkins.read", []string{"measures read"}},
		{"/portal/journal", "journal.read", []string{"journal read"}},
		{"/portal/messages", "message.list", []string{"message list"}},
		{"/portal/safety-plan", "safety_plan.read", []string{"safety_plan read (version=1)"}},
		{"/portal/safety-plan/edit", "safety_plan.read", []string{"safety_plan read (version=1)"}},
		{"/portal/safety-plan/history", "safety_plan.history", []string{"safety_plan history"}},
	} {
		t.Run(c.path, func(t *testing.T) { pageView(t, f, pat, c.path, f.PA.ID, c.action, c.sections) })
	}
}

// TestStaffRecordViewsOneAuditRow: the care team's safety plan and
// messages pages (which read the plan or threads and the patient's name,
// each once audited on its own) are one read transaction and one audit
// row too.
func TestStaffRecordViewsOneAuditRow(t *testing.T) {
	f := webtest.NewFixture(t)
	pat := f.SignIn("pat@example.org")
	plan := url.Values{"base_version": {"0"}, clinic.PlanCoping: {"Walk the dog"}}
	if r := f.Do("POST", "/portal/safety-plan", plan, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("safety plan = %d: %s", r.Status, r.Body)
	}
	if r := f.Do("POST", "/portal/messages", url.Values{"subject": {"Parking"}, "body": {"Where do I park?"}}, pat); r.Status != http.StatusSeeOther {
		t.Fatalf("message = %d: %s", r.Status, r.Body)
	}
	thea := f.SignIn("thea@example.org")
	base := "/patients/" + f.PA.ID
	for _, c := range []struct {
		path, action string
		sections     []string
	}{
		{base + "/safety-plan", "safety_plan.read", []string{"safety_plan read (version=1)", "patient read"}},
		{base + "/safety-plan/history", "safety_plan.history", []string{"safety_plan history", "patient read"}},
		{base + "/messages", "message.list", []string{"message list", "patient read"}},
	} {
		t.Run(c.path, func(t *testing.T) { pageView(t, f, thea, c.path, f.PA.ID, c.action, c.sections) })
	}
}
