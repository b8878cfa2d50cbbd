package portal_test

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/portal"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestPortalAppointments: a patient sees their upcoming appointments with
// what to prepare (the dosing-day checklist), past ones apart, and can
// download one as a calendar file that a real iCalendar parser reads and
// that carries no clinical detail. Another patient cannot download it.
func TestPortalAppointments(t *testing.T) {
	f := webtest.NewFixture(t)
	f.ClearA()
	thea := f.SignIn("thea@example.org")
	if r := f.BookDosing(thea); r.Status != http.StatusSeeOther {
		t.Fatalf("book dosing = %d", r.Status)
	}
	past := &store.Appointment{Kind: "preparation", StartsAt: f.Now.Add(-3 * time.Hour), Minutes: 50}
	if err := f.St.CreateAppointment(t.Context(), f.As("thea@example.org"), f.PA.ID, past); err != nil {
		t.Fatal(err)
	}
	pat := f.SignIn("pat@example.org")
	if r := f.Do("GET", "/portal", nil, pat); !strings.Contains(r.Body, `href="/portal/appointments"`) {
		t.Fatal("the portal home does not link to appointments")
	}
	r := f.Do("GET", "/portal/appointments", nil, pat)
	if r.Status != http.StatusOK {
		t.Fatalf("appointments page = %d", r.Status)
	}
	up, pastPart, _ := strings.Cut(r.Body, `<h2 id="past">Past</h2>`)
	if !strings.Contains(up, "Dosing session") || !strings.Contains(up, "no driving") || !strings.Contains(up, "Arrange a ride home") {
		t.Error("the upcoming dosing session lacks its preparation checklist")
	}
	if !strings.Contains(pastPart, "Preparation") || strings.Contains(up, "Preparation</h3>") {
		t.Error("the past preparation appointment is not listed as past")
	}
	m := regexp.MustCompile(`/portal/appointments/([A-Za-z0-9_-]+)/ics`).FindStringSubmatch(up)
	if m == nil {
		t.Fatal("no calendar download link")
	}
	ics := f.Do("GET", m[0], nil, pat)
	if ics.Status != http.StatusOK || !strings.HasPrefix(ics.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf(".ics = %d %s", ics.Status, ics.Header.Get("Content-Type"))
	}
	cal, err := goical.NewDecoder(bytes.NewReader([]byte(ics.Body))).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the download: %v\n%s", err, ics.Body)
	}
	ev := cal.Events()
	if len(ev) != 1 {
		t.Fatalf("%d events, want 1", len(ev))
	}
	start, err := ev[0].DateTimeStart(time.UTC)
	if err != nil || !start.Equal(f.Now.Add(72*time.Hour).Truncate(time.Minute)) {
		t.Errorf("DTSTART = %v, %v; want %v", start, err, f.Now.Add(72*time.Hour))
	}
	end, err := ev[0].DateTimeEnd(time.UTC)
	if err != nil || end.Sub(start) != 180*time.Minute {
		t.Errorf("DTEND = %v, %v; want 3 hours after the start", end, err)
	}
	for _, leak := range []string{webtest.CanaryA, "pat@example.org", "ketamine", "Thea"} {
		if strings.Contains(ics.Body, leak) {
			t.Errorf("the calendar file contains %q", leak)
		}
	}
	if got := f.Do("GET", m[0], nil, f.SignIn("bea@example.org")); got.Status != http.StatusNotFound {
		t.Errorf("another patient downloads it: %d, want 404", got.Status)
	}
	if n := len(f.AuditRows("appointments.read")); n < 2 {
		t.Errorf("%d appointments.read audit rows, want one per look", n)
	}
}

// TestPortalPastAppointmentsPaged: a patient seen weekly for years sees
// what is coming and the latest PastAppointmentWindow past appointments,
// with how many there are and a link to earlier ones, page by page (by
// key, never every one at once); an appointment begun an hour ago that
// has not ended is still coming up; cancelled ones are nowhere.
func TestPortalPastAppointmentsPaged(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	thea := f.As("thea@example.org")
	n := portal.PastAppointmentWindow + 5
	week := 7 * 24 * time.Hour
	base := f.Now
	book := func(ap *store.Appointment) {
		t.Helper()
		if err := f.St.CreateAppointment(ctx, thea, f.PA.ID, ap); err != nil {
			t.Fatal(err)
		}
	}
	// Booked ahead, weekly; then the weeks go by.
	for i := range n {
		book(&store.Appointment{Kind: "integration", StartsAt: base.Add(time.Duration(i+1) * week), Minutes: 50})
	}
	f.Now = base.Add(time.Duration(n+1) * week)
	cancelled := &store.Appointment{Kind: "integration", StartsAt: f.Now.Add(-3 * 24 * time.Hour), Minutes: 50}
	f.Now = base // booked before the weeks went by
	book(cancelled)
	if err := f.St.CancelAppointment(ctx, thea, f.PA.ID, cancelled.ID, "Ill."); err != nil {
		t.Fatal(err)
	}
	f.Now = base.Add(time.Duration(n+1) * week)
	running := &store.Appointment{Kind: "preparation", StartsAt: f.Now.Add(-time.Hour), Minutes: 120}
	book(running)
	pat := f.SignIn("pat@example.org")
	r := f.Do("GET", "/portal/appointments", nil, pat)
	up, past, _ := strings.Cut(r.Body, `<h2 id="past">Past</h2>`)
	if !strings.Contains(up, "/portal/appointments/"+running.ID+"/ics") {
		t.Error("the appointment still running is not listed as coming up")
	}
	if got := strings.Count(past, "<li><span><strong>"); got != portal.PastAppointmentWindow {
		t.Errorf("the first page lists %d past appointments, want the latest %d", got, portal.PastAppointmentWindow)
	}
	if !strings.Contains(past, fmt.Sprintf("%d past appointments, %d on this page", n, portal.PastAppointmentWindow)) {
		t.Error("the page does not say how many past appointments there are")
	}
	earlier := regexp.MustCompile(`href="(/portal/appointments\?after=[0-9a-z]+#past)" rel="next">Earlier`).FindStringSubmatch(past)
	if earlier == nil {
		t.Fatalf("no link to earlier appointments:\n%s", past)
	}
	if strings.Contains(past, `rel="prev"`) {
		t.Error("the newest page links to later ones")
	}
	next, _, _ := strings.Cut(earlier[1], "#") // a browser sends no fragment
	second := f.Do("GET", next, nil, pat)
	_, past2, _ := strings.Cut(second.Body, `<h2 id="past">Past</h2>`)
	if got := strings.Count(past2, "<li><span><strong>"); got != n-portal.PastAppointmentWindow {
		t.Errorf("the second page lists %d, want the %d oldest", got, n-portal.PastAppointmentWindow)
	}
	if !strings.Contains(past2, `rel="prev">Later`) || strings.Contains(past2, `rel="next"`) {
		t.Error("the oldest page does not link back to later ones, or links further back")
	}
	if strings.Contains(r.Body+second.Body, cancelled.ID) || strings.Count(past+past2, "<li><span><strong>") != n {
		t.Error("the pages list a cancelled appointment, or not each past one once")
	}
}
