package staff_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestScheduleWeek: the staff calendar shows a week in the practice's time
// zone, names only the viewer's own patients, and puts appointments on the
// right local day in the week clocks fall back (America/New_York,
// November 7, 2027).
func TestScheduleWeek(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	admin := f.SignIn("admin@example.org")
	if r := f.Do("POST", "/admin/practice", practiceForm("Test Practice", "Mars/Olympus"), admin); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Mars/Olympus") {
		t.Fatalf("bad zone = %d, want 422 keeping the input", r.Status)
	}
	if r := f.Do("POST", "/admin/practice", practiceForm("Test Practice", "America/New_York"), admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save practice = %d", r.Status)
	}
	ny, _ := time.LoadLocation("America/New_York")
	f.Now = time.Date(2027, 11, 3, 12, 0, 0, 0, ny) // Wednesday before the change
	book := func(who string, patientID string, at time.Time, kind string) {
		t.Helper()
		if err := f.St.CreateAppointment(ctx, f.As(who), patientID, &store.Appointment{Kind: kind, StartsAt: at, Minutes: 50}); err != nil {
			t.Fatal(err)
		}
	}
	// Sunday 00:30 EDT (before the change), Sunday 23:30 EST (after it),
	// and theo's patient B on Saturday at 10:00.
	book("thea@example.org", f.PA.ID, time.Date(2027, 11, 7, 0, 30, 0, 0, ny), "preparation")
	book("thea@example.org", f.PA.ID, time.Date(2027, 11, 7, 23, 30, 0, 0, ny), "integration")
	book("theo@example.org", f.PB.ID, time.Date(2027, 11, 6, 10, 0, 0, 0, ny), "integration")
	thea := f.SignIn("thea@example.org")
	r := f.Do("GET", "/calendar?week=2027-11-03&who=all", nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("calendar = %d", r.Status)
	}
	if !strings.Contains(r.Body, "Week of Monday, November 1, 2027") || !strings.Contains(r.Body, "America/New_York") {
		t.Error("the week or zone is not shown")
	}
	_, sunday, _ := strings.Cut(r.Body, "Sunday, November 7")
	if !strings.Contains(sunday, "00:30–01:20") || !strings.Contains(sunday, "23:30–00:20") || strings.Count(sunday, webtest.CanaryA) != 2 {
		t.Errorf("Sunday lacks both of thea's appointments at their local times")
	}
	saturday, _, _ := strings.Cut(r.Body, "Sunday, November 7")
	if _, sat, _ := strings.Cut(saturday, "Saturday, November 6"); !strings.Contains(sat, "10:00–10:50") || !strings.Contains(sat, "booked") || strings.Contains(r.Body, webtest.CanaryB) {
		t.Errorf("theo's appointment is not shown as booked without the name")
	}
	// Her own calendar leaves out theo's.
	if mine := f.Do("GET", "/calendar?week=2027-11-03", nil, thea); strings.Contains(mine.Body, "10:00–10:50") {
		t.Error("thea's own calendar shows theo's appointment")
	}
	if len(f.AuditRows("calendar.read")) < 2 {
		t.Error("calendar views are not audited")
	}
	if bad := f.Do("GET", "/calendar?week=nonsense", nil, thea); bad.Status != http.StatusNotFound {
		t.Errorf("bad week = %d, want 404", bad.Status)
	}

	// The day view of the fall-back Sunday: a time grid of 25 hours (100
	// quarter-hour rows, 01:00 twice), one column per clinician, each
	// appointment one cell spanning its rows.
	if !strings.Contains(r.Body, `href="/calendar?day=2027-11-07&amp;who=all"`) {
		t.Error("the week view does not link to the day")
	}
	day := f.Do("GET", "/calendar?day=2027-11-07&who=all", nil, thea)
	if day.Status != http.StatusOK || !strings.Contains(day.Body, "Sunday, November 7, 2027") {
		t.Fatalf("day view = %d", day.Status)
	}
	_, grid, _ := strings.Cut(day.Body, "<tbody>")
	grid, _, _ = strings.Cut(grid, "</tbody>")
	if n := strings.Count(grid, "<tr"); n != 100 {
		t.Errorf("the fall-back day has %d quarter-hour rows, want 100 (25 hours)", n)
	}
	if n := strings.Count(grid, `<th scope="row" class="day-time">01:00</th>`); n != 2 {
		t.Errorf("01:00 labels %d times on the fall-back day, want 2", n)
	}
	if !strings.Contains(grid, `<td rowspan="4" class="day-busy"><div class="day-entry"><strong>00:30–01:20</strong> Preparation<br><a href="/patients/`+f.PA.ID+`#appointments">`+webtest.CanaryA) {
		t.Error("thea's 00:30 appointment is not one named cell spanning four rows")
	}
	// 23:30 EST ends after midnight: its cell is cut at the day's end.
	if !strings.Contains(grid, `<td rowspan="2" class="day-busy"><div class="day-entry"><strong>23:30–00:20</strong>`) {
		t.Error("the 23:30 appointment is not cut at the end of the day")
	}
	if !strings.Contains(day.Body, `<th scope="col">Thea Therapist</th>`) || !strings.Contains(day.Body, `<th scope="col">Theo Therapist</th>`) {
		t.Error("the day view lacks a column per clinician")
	}
	// Theo's Saturday, seen by thea: booked, unnamed; a spring-forward day
	// has 23 hours.
	sat := f.Do("GET", "/calendar?day=2027-11-06&who="+f.Users["theo@example.org"].ID, nil, thea)
	if !strings.Contains(sat.Body, "10:00–10:50</strong> Integration<br><span class=\"meta\">booked</span>") || strings.Contains(sat.Body, webtest.CanaryB) || strings.Contains(sat.Body, "Thea Therapist</th>") {
		t.Error("theo's day, seen by thea, does not show his appointment as booked in one column")
	}
	book("thea@example.org", f.PA.ID, time.Date(2028, 3, 12, 1, 0, 0, 0, ny), "follow_up")
	spring := f.Do("GET", "/calendar?day=2028-03-12&who=all", nil, thea)
	_, g, _ := strings.Cut(spring.Body, "<tbody>")
	g, _, _ = strings.Cut(g, "</tbody>")
	if strings.Contains(g, ">02:00</th>") || !strings.Contains(g, ">01:00</th>") || !strings.Contains(g, ">03:00</th>") || !strings.Contains(g, ">17:00</th>") || strings.Contains(g, ">18:00</th>") {
		t.Error("the spring-forward day's grid is wrong: it shows 02:00 or 18:00, or lacks 01:00, 03:00 or 17:00")
	}
	if n := strings.Count(g, "<tr"); n != 16*4 { // 01:00 to 18:00 less the missing hour
		t.Errorf("the spring-forward day has %d rows from 01:00, want %d", n, 16*4)
	}
	if bad := f.Do("GET", "/calendar?day=2027-02-30", nil, thea); bad.Status != http.StatusNotFound {
		t.Errorf("bad day = %d, want 404", bad.Status)
	}
}

// TestAvailability: working hours (in the practice's zone) and time off
// limit booking, with the reason at the field; bad hours keep what was typed.
func TestAvailability(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	if err := f.St.SetSetting(ctx, store.System, "time_zone", "America/New_York"); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	thea := f.SignIn("thea@example.org")
	hours := url.Values{"form": {"hours"}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		hours.Set("works_"+d, "yes")
		hours.Set("start_"+d, "09:00")
		hours.Set("end_"+d, "17:00")
	}
	hours.Set("end_fri", "08:00")
	if r := f.Do("POST", "/account/hours", hours, thea); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The end must be after the start") || !strings.Contains(r.Body, `value="08:00"`) {
		t.Fatalf("end before start = %d, want 422 keeping the input", r.Status)
	}
	hours.Set("end_fri", "13:00")
	if r := f.Do("POST", "/account/hours", hours, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("save hours = %d", r.Status)
	}
	if r := f.Do("POST", "/account/time-off", url.Values{"off_from": {"2026-12-07"}, "off_to": {"2026-12-08"}, "off_note": {"Conference"}}, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("time off = %d", r.Status)
	}
	book := func(at time.Time, minutes int) error {
		return f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "preparation", StartsAt: at, Minutes: minutes})
	}
	msg := func(err error) string {
		if e, ok := err.(*clinic.Error); ok {
			return e.Fields["starts_at"]
		}
		return fmt.Sprint(err)
	}
	for _, c := range []struct {
		at      time.Time
		minutes int
		want    string
	}{
		{time.Date(2026, 12, 5, 10, 0, 0, 0, ny), 50, "does not work on Saturdays"},
		{time.Date(2026, 12, 2, 8, 30, 0, 0, ny), 50, "outside the clinician's working hours on Wednesday (09:00–17:00)"},
		{time.Date(2026, 12, 4, 12, 30, 0, 0, ny), 50, "outside the clinician's working hours on Friday (09:00–13:00)"},
		{time.Date(2026, 12, 8, 10, 0, 0, 0, ny), 50, "away then"},
	} {
		if err := book(c.at, c.minutes); !strings.Contains(msg(err), c.want) {
			t.Errorf("booking %s: %v, want %q", c.at, err, c.want)
		}
	}
	if err := book(time.Date(2026, 12, 2, 16, 10, 0, 0, ny), 50); err != nil {
		t.Errorf("16:10–17:00 on a Wednesday: %v", err)
	}
	if err := book(time.Date(2026, 12, 9, 9, 0, 0, 0, ny), 50); err != nil {
		t.Errorf("the day after time off: %v", err)
	}
	if a := f.Do("GET", "/account", nil, thea); !strings.Contains(a.Body, "Mon Dec 7, 2026 to Tue Dec 8, 2026") || !strings.Contains(a.Body, "Conference") {
		t.Error("the account page does not list the time off")
	}
}

// practiceForm is the practice settings form as the page fills it in, with
// a name and a zone of the test's choosing.
func practiceForm(name, zone string) url.Values {
	form := url.Values{"name": {name}, "time_zone": {zone}, "reminder_hours": {"48, 24"}, "bp_caution": {"140/90"}, "bp_hold": {"160/100"}}
	for _, t := range clinic.AppointmentTypes {
		form.Set("minutes_"+t.Kind, strconv.Itoa(t.Minutes))
	}
	return form
}

// TestPracticeSettings: an administrator sets each appointment kind's usual
// length and the reminder hours; bad values are refused at their fields,
// keeping what was typed and saving nothing; a booking with no length takes
// the practice's length, and reminders go out at the practice's hours.
func TestPracticeSettings(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	admin := f.SignIn("admin@example.org")
	page := f.Do("GET", "/admin/practice", nil, admin)
	for _, want := range []string{`name="minutes_dosing" type="number" inputmode="numeric" min="15" max="480" value="180"`, `value="60"`, `value="45"`, `value="48, 24"`, "Medical evaluation", "Intake / screening", "Follow-up"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the practice page lacks %q", want)
		}
	}
	bad := practiceForm("Line one\r\nBcc: x@example.org", "America/Chicago")
	bad.Set("minutes_dosing", "three hours")
	bad.Set("minutes_integration", "5")
	bad.Set("reminder_hours", "48, 0")
	r := f.Do("POST", "/admin/practice", bad, admin)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings = %d, want 422", r.Status)
	}
	for _, want := range []string{"on one line", `value="three hours"`, `value="5"`, `value="48, 0"`, "Enter minutes from 15 to 480.", "separated by commas"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the refused form lacks %q", want)
		}
	}
	if ps, err := f.St.Practice(ctx); err != nil || ps.Minutes["dosing"] != 180 || ps.Name == bad.Get("name") {
		t.Fatalf("a refused form changed the settings: %+v, %v", ps, err)
	}
	good := practiceForm("Calm Waters KAP", "America/Chicago")
	good.Set("minutes_integration", "55")
	good.Set("reminder_hours", "2, 72 24")
	if r := f.Do("POST", "/admin/practice", good, admin); r.Status != http.StatusSeeOther {
		t.Fatalf("save = %d %s", r.Status, r.Body)
	}
	if page := f.Do("GET", "/admin/practice", nil, admin); !strings.Contains(page.Body, `value="72, 24, 2"`) || !strings.Contains(page.Body, `value="55"`) {
		t.Error("the saved settings are not shown")
	}
	if n := len(f.AuditRows("setting.change")); n < 4 {
		t.Errorf("%d setting.change audit rows, want one per setting", n)
	}
	// Booked with no length: 55 minutes; reminders at 72, 24 and 2 hours.
	thea := f.SignIn("thea@example.org")
	chicago, _ := time.LoadLocation("America/Chicago")
	at := f.Now.In(chicago).AddDate(0, 0, 5).Truncate(time.Hour)
	form := url.Values{"kind": {"integration"}, "starts_at": {at.Format("2006-01-02T15:04")}, "minutes": {""}}
	if r := f.Do("POST", "/patients/"+f.PA.ID+"/appointments", form, thea); r.Status != http.StatusSeeOther {
		t.Fatalf("book with no length = %d %s", r.Status, r.Body)
	}
	list, err := f.St.Appointments(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil || len(list) != 1 || list[0].Minutes != 55 || !list[0].StartsAt.Equal(at) {
		t.Fatalf("booked %+v, %v; want 55 minutes at %v (entered in the practice's zone)", list, err, at)
	}
	jobs, err := f.St.ListJobs(ctx, store.JobPending, 100)
	if err != nil {
		t.Fatal(err)
	}
	var leads []time.Duration
	for _, j := range jobs {
		if j.Kind == store.JobReminder {
			leads = append(leads, at.Sub(j.RunAt))
		}
	}
	if len(leads) != 3 || leads[0] != 72*time.Hour || leads[1] != 24*time.Hour || leads[2] != 2*time.Hour {
		t.Errorf("reminders at %v before, want 72h, 24h, 2h", leads)
	}
	// The booking form offers the practice's lengths.
	if chart := f.Do("GET", "/patients/"+f.PA.ID, nil, thea); !strings.Contains(chart.Body, `data-minutes="55"`) || !strings.Contains(chart.Body, "Integration (55 min)") {
		t.Error("the booking form does not show the practice's lengths")
	}
}
