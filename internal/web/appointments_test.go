package web

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/kapstone/kapstone/internal/store"
)

// TestPortalAppointments: a patient sees their upcoming appointments with
// what to prepare (the dosing-day checklist), past ones apart, and can
// download one as a calendar file that a real iCalendar parser reads and
// that carries no clinical detail. Another patient cannot download it.
func TestPortalAppointments(t *testing.T) {
	f := newFixture(t)
	f.clearA()
	thea := f.signIn("thea@example.org")
	if r := f.bookDosing(thea); r.status != http.StatusSeeOther {
		t.Fatalf("book dosing = %d", r.status)
	}
	past := &store.Appointment{Kind: "preparation", StartsAt: f.now.Add(-3 * time.Hour), Minutes: 50}
	if err := f.st.CreateAppointment(t.Context(), f.as("thea@example.org"), f.pA.ID, past); err != nil {
		t.Fatal(err)
	}
	pat := f.signIn("pat@example.org")
	if r := f.do("GET", "/portal", nil, pat); !strings.Contains(r.body, `href="/portal/appointments"`) {
		t.Fatal("the portal home does not link to appointments")
	}
	r := f.do("GET", "/portal/appointments", nil, pat)
	if r.status != http.StatusOK {
		t.Fatalf("appointments page = %d", r.status)
	}
	up, pastPart, _ := strings.Cut(r.body, "<h2>Past</h2>")
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
	ics := f.do("GET", m[0], nil, pat)
	if ics.status != http.StatusOK || !strings.HasPrefix(ics.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf(".ics = %d %s", ics.status, ics.header.Get("Content-Type"))
	}
	cal, err := goical.NewDecoder(bytes.NewReader([]byte(ics.body))).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the download: %v\n%s", err, ics.body)
	}
	ev := cal.Events()
	if len(ev) != 1 {
		t.Fatalf("%d events, want 1", len(ev))
	}
	start, err := ev[0].DateTimeStart(time.UTC)
	if err != nil || !start.Equal(f.now.Add(72*time.Hour).Truncate(time.Minute)) {
		t.Errorf("DTSTART = %v, %v; want %v", start, err, f.now.Add(72*time.Hour))
	}
	end, err := ev[0].DateTimeEnd(time.UTC)
	if err != nil || end.Sub(start) != 180*time.Minute {
		t.Errorf("DTEND = %v, %v; want 3 hours after the start", end, err)
	}
	for _, leak := range []string{canaryA, "pat@example.org", "ketamine", "Thea"} {
		if strings.Contains(ics.body, leak) {
			t.Errorf("the calendar file contains %q", leak)
		}
	}
	if got := f.do("GET", m[0], nil, f.signIn("bea@example.org")); got.status != http.StatusNotFound {
		t.Errorf("another patient downloads it: %d, want 404", got.status)
	}
	if n := len(f.auditRows("appointments.read")); n < 2 {
		t.Errorf("%d appointments.read audit rows, want one per look", n)
	}
}
