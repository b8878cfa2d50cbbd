package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// clockZones finds every "15:04 ZONE" a page shows.
var clockZones = regexp.MustCompile(`\b\d{1,2}:\d{2} ([A-Z]{2,5}|[+-]\d{2,4})\b`)

func pageZones(body string) []string {
	var zones []string
	for _, m := range clockZones.FindAllStringSubmatch(visibleText(body), -1) {
		if !slices.Contains(zones, m[1]) {
			zones = append(zones, m[1])
		}
	}
	return zones
}

// TestTimesInReadersZone: staff read every time in the practice's zone,
// a patient in their own, and the admin's audit log in the practice's:
// labelled, and never two zones on one page (issue 15: "16:04 UTC" next to
// "10:04 CST", and UTC in the portal).
func TestTimesInReadersZone(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	if err := f.St.SetSetting(ctx, store.System, "time_zone", "America/Chicago"); err != nil {
		t.Fatal(err)
	}
	pa := *f.PA
	pa.TimeZone = "America/New_York"
	if err := f.St.UpdatePatientDetails(ctx, f.As("thea@example.org"), &pa); err != nil {
		t.Fatal(err)
	}
	f.Paper("phq9", 8, f.Now.Add(-time.Hour)) // a check-in, on the chart's progress and the portal's
	thea, pat, admin := f.SignIn("thea@example.org"), f.SignIn("pat@example.org"), f.SignIn("admin@example.org")
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", map[string][]string{"kind": {"preparation"}, "starts_at": {"2026-12-01T10:00"}, "minutes": {"50"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("booking = %d", r.Status)
	}
	for _, c := range []struct {
		face, cookie, path, want, moment string
	}{
		// 10:00 in Chicago is 11:00 in New York (16:00 UTC).
		{"staff", thea, "/patients/" + f.PA.ID, "CST", "10:00 CST"},
		{"portal", pat, "/portal/appointments", "EST", "11:00 EST"},
		{"portal", pat, "/portal/progress", "EST", ""},
		{"portal", pat, "/portal/access", "EST", ""},
		{"admin", admin, "/admin/audit", "CST", ""},
	} {
		r := f.Do("GET", c.path, nil, c.cookie)
		if r.Status != http.StatusOK {
			t.Errorf("%s %s = %d", c.face, c.path, r.Status)
			continue
		}
		zones := pageZones(r.Body)
		if !slices.Equal(zones, []string{c.want}) {
			t.Errorf("%s page %s shows times in %v, want only %s", c.face, c.path, zones, c.want)
		}
		if c.moment != "" && !regexp.MustCompile(regexp.QuoteMeta(c.moment)).MatchString(visibleText(r.Body)) {
			t.Errorf("%s page %s does not show the appointment as %s", c.face, c.path, c.moment)
		}
	}
}

// TestAuditDaysInPracticeZone: the audit log's From and To dates are days in
// the practice's zone, the zone its times are shown in: an event at 20:00
// CST on Nov 26 (02:00 UTC on Nov 27) is found under Nov 26, not Nov 27.
func TestAuditDaysInPracticeZone(t *testing.T) {
	f := webtest.NewFixture(t)
	if err := f.St.SetSetting(t.Context(), store.System, "time_zone", "America/Chicago"); err != nil {
		t.Fatal(err)
	}
	f.Now = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	thea := f.SignIn("thea@example.org")
	if r := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); r.Status != http.StatusOK {
		t.Fatalf("chart = %d", r.Status)
	}
	admin := f.SignIn("admin@example.org")
	for day, want := range map[string]bool{"2026-11-26": true, "2026-11-27": false} {
		r := f.Do("GET", "/admin/audit?action=chart.read&from="+day+"&to="+day, nil, admin)
		if got := regexp.MustCompile(`Nov 26, 2026, 20:00 CST`).MatchString(r.Body); r.Status != http.StatusOK || got != want {
			t.Errorf("audit log for %s = %d, shows the 20:00 CST read: %v, want %v", day, r.Status, got, want)
		}
	}
}
