package superbill

import (
	"net/url"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// TestParsePeriod: each preset, a treatment course, chosen dates, and
// the field errors of a bad choice (table).
func TestParsePeriod(t *testing.T) {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 15, 3, 0, 0, 0, time.UTC) // March 14 in Chicago
	courses := Spans(&store.BillingDocuments{
		Courses: []store.TreatmentCourse{
			{Number: 1, From: time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC), To: time.Date(2025, 9, 30, 15, 0, 0, 0, time.UTC)},
			{Number: 2, From: time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC), To: now, Open: true},
		},
		Packages: []store.PackageCourse{{ID: "pk1", Name: "Six sessions", SoldAt: time.Date(2026, 2, 1, 15, 0, 0, 0, time.UTC),
			From: time.Date(2026, 2, 3, 15, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}},
	}, loc)
	for _, c := range []struct {
		query      string
		from, last string
		errField   string
	}{
		{"", "2026-01-01", "2026-12-31", ""},
		{"period=this-year", "2026-01-01", "2026-12-31", ""},
		{"period=last-year", "2025-01-01", "2025-12-31", ""},
		{"period=last-3-months", "2025-12-14", "2026-03-14", ""},
		{"period=course-1", "2025-06-02", "2025-09-30", ""},
		{"period=course-2", "2026-01-10", "2026-03-14", ""},
		{"period=course-3", "", "", "period"},
		{"period=package-pk1", "2026-02-03", "2026-03-01", ""},
		{"period=package-pk2", "", "", "period"},
		{"period=forever", "", "", "period"},
		{"period=dates&from=2026-02-01&to=2026-02-28", "2026-02-01", "2026-02-28", ""},
		{"period=dates&from=2026-02-01&to=2026-02-01", "2026-02-01", "2026-02-01", ""},
		{"period=dates&from=2026-02-02&to=2026-02-01", "", "", "to"},
		{"period=dates&from=02/01/2026&to=2026-02-01", "", "", "from"},
		{"period=dates&from=2026-02-01", "", "", "to"},
		{"period=dates&from=2000-01-01&to=2026-01-01", "", "", "to"},
	} {
		q, _ := url.ParseQuery(c.query)
		p, errs := ParsePeriod(q, now, loc, courses)
		if c.errField != "" {
			if errs[c.errField] == "" {
				t.Errorf("%q: errors %v, want one on %s", c.query, errs, c.errField)
			}
			continue
		}
		if errs != nil {
			t.Errorf("%q: %v", c.query, errs)
			continue
		}
		if p.FromISO() != c.from || p.LastISO() != c.last || !p.To.Equal(p.Last.AddDate(0, 0, 1)) || p.From.Location() != loc {
			t.Errorf("%q: %s to %s (end %v), want %s to %s", c.query, p.FromISO(), p.LastISO(), p.To, c.from, c.last)
		}
		// A package's period narrows its superbill to that package.
		if want := map[bool]string{true: "pk1"}[c.query == "period=package-pk1"]; p.Purchase != want {
			t.Errorf("%q: purchase %q, want %q", c.query, p.Purchase, want)
		}
		back, _ := url.ParseQuery(p.Query())
		if again, errs := ParsePeriod(back, now, loc, courses); errs != nil || !again.From.Equal(p.From) || !again.To.Equal(p.To) {
			t.Errorf("%q: its query %q reads back as %v to %v", c.query, p.Query(), again.From, again.To)
		}
	}
}
