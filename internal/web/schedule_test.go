package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
)

// TestScheduleWeek: the staff calendar shows a week in the practice's time
// zone, names only the viewer's own patients, and puts appointments on the
// right local day in the week clocks fall back (America/New_York,
// November 7, 2027).
func TestScheduleWeek(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	admin := f.signIn("admin@example.org")
	if r := f.do("POST", "/admin/practice", url.Values{"name": {"Test Practice"}, "time_zone": {"Mars/Olympus"}}, admin); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Mars/Olympus") {
		t.Fatalf("bad zone = %d, want 422 keeping the input", r.status)
	}
	if r := f.do("POST", "/admin/practice", url.Values{"name": {"Test Practice"}, "time_zone": {"America/New_York"}}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("save practice = %d", r.status)
	}
	ny, _ := time.LoadLocation("America/New_York")
	f.now = time.Date(2027, 11, 3, 12, 0, 0, 0, ny) // Wednesday before the change
	book := func(who string, patientID string, at time.Time, kind string) {
		t.Helper()
		if err := f.st.CreateAppointment(ctx, f.as(who), patientID, &store.Appointment{Kind: kind, StartsAt: at, Minutes: 50}); err != nil {
			t.Fatal(err)
		}
	}
	// Sunday 00:30 EDT (before the change), Sunday 23:30 EST (after it),
	// and theo's patient B on Saturday at 10:00.
	book("thea@example.org", f.pA.ID, time.Date(2027, 11, 7, 0, 30, 0, 0, ny), "preparation")
	book("thea@example.org", f.pA.ID, time.Date(2027, 11, 7, 23, 30, 0, 0, ny), "integration")
	book("theo@example.org", f.pB.ID, time.Date(2027, 11, 6, 10, 0, 0, 0, ny), "integration")
	thea := f.signIn("thea@example.org")
	r := f.do("GET", "/calendar?week=2027-11-03&who=all", nil, thea)
	if r.status != http.StatusOK {
		t.Fatalf("calendar = %d", r.status)
	}
	if !strings.Contains(r.body, "Week of Monday, November 1, 2027") || !strings.Contains(r.body, "America/New_York") {
		t.Error("the week or zone is not shown")
	}
	_, sunday, _ := strings.Cut(r.body, "Sunday, November 7")
	if !strings.Contains(sunday, "00:30–01:20") || !strings.Contains(sunday, "23:30–00:20") || strings.Count(sunday, canaryA) != 2 {
		t.Errorf("Sunday lacks both of thea's appointments at their local times")
	}
	saturday, _, _ := strings.Cut(r.body, "Sunday, November 7")
	if _, sat, _ := strings.Cut(saturday, "Saturday, November 6"); !strings.Contains(sat, "10:00–10:50") || !strings.Contains(sat, "booked") || strings.Contains(r.body, canaryB) {
		t.Errorf("theo's appointment is not shown as booked without the name")
	}
	// Her own calendar leaves out theo's.
	if mine := f.do("GET", "/calendar?week=2027-11-03", nil, thea); strings.Contains(mine.body, "10:00–10:50") {
		t.Error("thea's own calendar shows theo's appointment")
	}
	if len(f.auditRows("calendar.read")) < 2 {
		t.Error("calendar views are not audited")
	}
	if bad := f.do("GET", "/calendar?week=nonsense", nil, thea); bad.status != http.StatusNotFound {
		t.Errorf("bad week = %d, want 404", bad.status)
	}
}
