package admin_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	adminface "github.com/kapstone/kapstone/internal/web/admin"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

func TestDisableEndsSessions(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	thea := f.SignIn("thea@example.org")
	if r := f.Do("POST", "/admin/users/"+f.Users["thea@example.org"].ID+"/disable", url.Values{}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("disable = %d, want 303", r.Status)
	}
	if r := f.Do("GET", "/patients", nil, thea); r.Status != http.StatusSeeOther {
		t.Errorf("disabled user's session = %d, want ended", r.Status)
	}
	if r := f.Login("thea@example.org", webtest.TestPassword, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled user signing in = %d, want 401", r.Status)
	}
	if r := f.Do("POST", "/admin/users/"+f.Users["admin@example.org"].ID+"/disable", url.Values{}, admin); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("admin disabling themself = %d, want 422", r.Status)
	}
}

// TestBreakGlass: a therapist outside the team reads a chart only after
// typing a reason; the access lasts an hour, is audited as emergency access,
// shows on the admin's review list and in the patient's access report.
func TestBreakGlass(t *testing.T) {
	f := webtest.NewFixture(t)
	theo := f.SignIn("theo@example.org")
	chart := "/patients/" + f.PA.ID
	miss := f.Do("GET", chart, nil, theo)
	if miss.Status != http.StatusNotFound || !strings.Contains(miss.Body, "Request emergency access") || strings.Contains(miss.Body, webtest.CanaryA) {
		t.Fatalf("chart outside the team = %d, want 404 offering emergency access without the name", miss.Status)
	}
	if r := f.Do("POST", chart+"/emergency", url.Values{"reason": {"  "}}, theo); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why") {
		t.Fatalf("emergency access without a reason = %d, want 422", r.Status)
	}
	reason := "Patient called the front desk in crisis; Thea is on leave."
	if r := f.Do("POST", chart+"/emergency", url.Values{"reason": {reason}}, theo); r.Status != http.StatusSeeOther {
		t.Fatalf("emergency access = %d, want 303", r.Status)
	}
	open := f.Do("GET", chart, nil, theo)
	if open.Status != http.StatusOK || !strings.Contains(open.Body, webtest.CanaryA) || !strings.Contains(open.Body, "Emergency access.") {
		t.Fatalf("chart with emergency access = %d, want 200 with a banner", open.Status)
	}
	if rows := f.AuditRows("emergency.grant"); len(rows) != 1 || rows[0].PatientID != f.PA.ID || rows[0].ActorID != f.Users["theo@example.org"].ID {
		t.Fatalf("emergency.grant audit rows = %+v, want one for theo on A", rows)
	}
	var reads int
	for _, e := range f.AuditRows("chart.read") {
		// The chart view's one row: the emergency mark, then the sections shown.
		if e.ActorID == f.Users["theo@example.org"].ID && strings.HasPrefix(e.Detail, "emergency; shown: chart read") {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("emergency reads audited = %d, want 1", reads)
	}
	f.Now = f.Now.Add(61 * time.Minute)
	theo = f.SignIn("theo@example.org")
	if r := f.Do("GET", chart, nil, theo); r.Status != http.StatusNotFound {
		t.Errorf("chart 61 minutes after emergency access = %d, want 404", r.Status)
	}
	admin := f.SignIn("admin@example.org")
	list := f.Do("GET", "/admin/emergency", nil, admin)
	if !strings.Contains(list.Body, reason) || !strings.Contains(list.Body, "Theo Therapist") || !strings.Contains(list.Body, "Mark reviewed") {
		t.Fatal("admin review list lacks the grant")
	}
	grant := regexp.MustCompile(`/admin/emergency/([0-9a-z]+)/review`).FindStringSubmatch(list.Body)[1]
	if r := f.Do("POST", "/admin/emergency/"+grant+"/review", url.Values{"note": {"Confirmed with Thea."}}, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("review = %d, want 303", r.Status)
	}
	if r := f.Do("POST", "/admin/emergency/"+grant+"/review", url.Values{}, admin); r.Status != http.StatusConflict {
		t.Errorf("second review = %d, want 409", r.Status)
	}
	pat := f.SignIn("pat@example.org")
	report := f.Do("GET", "/portal/access", nil, pat)
	if !strings.Contains(report.Body, "Theo Therapist") || !strings.Contains(report.Body, "emergency access") {
		t.Error("patient's access report does not show the emergency access")
	}
	if strings.Contains(report.Body, reason) {
		t.Error("patient's access report shows the clinician's free-text reason")
	}
}

// TestReadsAreAudited: opening a chart writes one chart.read row with the
// patient's id, and a refused look writes a denied row.
func TestReadsAreAudited(t *testing.T) {
	f := webtest.NewFixture(t)
	thea := f.SignIn("thea@example.org")
	before := len(f.AuditRows("chart.read"))
	f.Do("GET", "/patients/"+f.PA.ID, nil, thea)
	rows := f.AuditRows("chart.read")
	if len(rows) != before+1 {
		t.Fatalf("chart.read rows %d -> %d, want one more", before, len(rows))
	}
	last := rows[len(rows)-1]
	if last.PatientID != f.PA.ID || last.ActorID != f.Users["thea@example.org"].ID || last.Outcome != "success" || last.RequestID == "" || last.ClientAddr == "" {
		t.Errorf("audit row = %+v, want thea reading A with request id and address", last)
	}
	f.Do("GET", "/patients/"+f.PB.ID, nil, thea)
	rows = f.AuditRows("chart.read")
	if last := rows[len(rows)-1]; last.Outcome != "denied" || last.ObjectID != f.PB.ID {
		t.Errorf("refused look audited as %+v, want a denied row for B", last)
	}
	for _, e := range f.AuditRows("") {
		for _, field := range []string{e.Detail, e.ObjectID, e.PatientID} {
			if strings.Contains(field, "Canary") || strings.Contains(field, "@") {
				t.Errorf("audit row %d holds a name or an email: %+v", e.Seq, e)
			}
		}
	}
	if p, n, err := f.St.VerifyAudit(context.Background(), nil); err != nil || p != nil || n == 0 {
		t.Errorf("VerifyAudit after the flows = %v, %d rows, %v; want intact", p, n, err)
	}
}

func TestAuditViewer(t *testing.T) {
	f := webtest.NewFixture(t)
	admin := f.SignIn("admin@example.org")
	r := f.Do("GET", "/admin/audit?action=login.&sort=oldest", nil, admin)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "login.success") || strings.Contains(r.Body, "<code>patient.create</code>") {
		t.Fatalf("audit filtered by prefix login. = %d, want only login rows", r.Status)
	}
	byPatient := f.Do("GET", "/admin/audit?patient="+f.PA.ID, nil, admin)
	if !strings.Contains(byPatient.Body, "patient.create") || strings.Contains(byPatient.Body, f.PB.ID) {
		t.Error("audit filtered by patient A shows other patients' rows or misses A's")
	}
	for _, q := range []string{"sort=seq%3B+DROP+TABLE+users", "action=x'+OR+'1'%3D'1", "from=yesterday", "patient=%27+OR+%271%27%3D%271", "actor=Jordan+Lee"} {
		r := f.Do("GET", "/admin/audit?"+q, nil, admin)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("audit with %s = %d, want 422", q, r.Status)
		}
		webtest.CheckShell(t, "audit "+q, r)
	}
	// Paging: with more than a page of rows, there is a next page, and its rows differ.
	for i := 0; i < adminface.AuditPageSize; i++ {
		f.Do("GET", "/admin/users", nil, admin)
	}
	p1 := f.Do("GET", "/admin/audit", nil, admin)
	if !strings.Contains(p1.Body, `rel="next"`) {
		t.Fatal("audit page 1 has no next page link")
	}
	p2 := f.Do("GET", "/admin/audit?page=2", nil, admin)
	first := func(body string) string {
		m := regexp.MustCompile(`<tr class="outcome-\w+">\s*<td[^>]*>(\d+)</td>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if first(p1.Body) == "" || first(p1.Body) == first(p2.Body) {
		t.Errorf("page 1 starts at row %q and page 2 at %q, want different rows", first(p1.Body), first(p2.Body))
	}
	// The pager's links are keyed by row (keyset paging, issue 18): next
	// starts after page 1's last row, previous comes back to page 1.
	nextRE, prevRE := regexp.MustCompile(`href="([^"]*)" rel="next"`), regexp.MustCompile(`href="([^"]*)" rel="prev"`)
	m := nextRE.FindStringSubmatch(p1.Body)
	if m == nil || !strings.Contains(m[1], "after=") {
		t.Fatalf("page 1's next link is not keyed by row: %v", m)
	}
	k2 := f.Do("GET", html.UnescapeString(m[1]), nil, admin)
	if k2.Status != http.StatusOK || first(k2.Body) == "" || first(k2.Body) == first(p1.Body) {
		t.Errorf("keyed page 2 = %d, starts at %q (page 1 at %q)", k2.Status, first(k2.Body), first(p1.Body))
	}
	if m := prevRE.FindStringSubmatch(k2.Body); m == nil {
		t.Error("keyed page 2 has no previous link")
	} else if back := f.Do("GET", html.UnescapeString(m[1]), nil, admin); first(back.Body) == first(k2.Body) || back.Status != http.StatusOK {
		t.Errorf("previous from page 2 = %d, starts at %q", back.Status, first(back.Body))
	}
}
