package staff_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/staff"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestCalendarWindowBounded: a week or a day with more appointments than a
// window shows lists the first ones by time and says how many more there
// are, for everyone's calendar; one clinician's calendar, under the bound,
// says nothing more.
func TestCalendarWindowBounded(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	staff.SetScheduleMaxForTest(t.Cleanup, 2)
	day := time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC) // a Wednesday
	f.Now = day.Add(-24 * time.Hour)
	for i, b := range []struct {
		who, patient string
		hour         int
	}{{"thea@example.org", f.PA.ID, 9}, {"thea@example.org", f.PA.ID, 11}, {"theo@example.org", f.PB.ID, 10}, {"theo@example.org", f.PB.ID, 13}} {
		if err := f.St.CreateAppointment(ctx, f.As(b.who), b.patient, &store.Appointment{Kind: "integration", StartsAt: day.Add(time.Duration(b.hour) * time.Hour), Minutes: 50}); err != nil {
			t.Fatalf("appointment %d: %v", i, err)
		}
	}
	thea := f.SignIn("thea@example.org")
	for _, tt := range []struct {
		url, more string
	}{
		{"/calendar?week=2027-03-10&who=all", "2 more appointments this week are not shown"},
		{"/calendar?day=2027-03-10&who=all", "2 more appointments this day are not shown"},
		{"/calendar?week=2027-03-10", ""},
		{"/calendar?day=2027-03-10", ""},
	} {
		r := f.Do("GET", tt.url, nil, thea)
		if r.Status != http.StatusOK {
			t.Fatalf("%s = %d", tt.url, r.Status)
		}
		if tt.more == "" {
			if strings.Contains(r.Body, `id="schedule-more"`) {
				t.Errorf("%s says more are not shown; its window is under the bound", tt.url)
			}
		} else if !strings.Contains(r.Body, tt.more) || strings.Contains(r.Body, "13:00–13:50") {
			t.Errorf("%s: want %q and the 13:00 appointment (the last) left out", tt.url, tt.more)
		}
	}
	if r := f.Do("GET", "/calendar?day=2027-03-10&who=all", nil, thea); !strings.Contains(r.Body, "4 appointments.") {
		t.Errorf("the day view's count is not every appointment of the day")
	}
}
