package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestCalendarBooksFromFreeSlot: the week view of one's own calendar
// links each free hour (not past, not booked) to the booking form with the
// time filled in; the form books it for the patient chosen, keeps what was
// chosen with a message at the field when something is wrong, and books
// only one's own patients. Other clinicians' weeks have no slot links.
func TestCalendarBooksFromFreeSlot(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.Now = time.Date(2026, 12, 8, 12, 30, 0, 0, time.UTC) // Tuesday, practice zone UTC
	if err := f.St.CreateAppointment(ctx, f.As("thea@example.org"), f.PA.ID, &store.Appointment{Kind: "integration", StartsAt: time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC), Minutes: 50}); err != nil {
		t.Fatal(err)
	}
	thea := f.SignIn("thea@example.org")
	r := f.Do("GET", "/calendar?week=2026-12-08", nil, thea)
	if r.Status != http.StatusOK {
		t.Fatalf("week = %d", r.Status)
	}
	slot := func(at string) string { return `href="/calendar/book?at=` + url.QueryEscape(at) + `"` }
	for at, want := range map[string]bool{
		"2026-12-08T14:00": true,  // later today
		"2026-12-11T09:00": true,  // Friday
		"2026-12-08T11:00": false, // past
		"2026-12-09T10:00": false, // booked
		"2026-12-12T10:00": false, // Saturday: no hours set, weekdays only
	} {
		if got := strings.Contains(r.Body, slot(at)); got != want {
			t.Errorf("slot %s linked = %v, want %v", at, got, want)
		}
	}
	if !strings.Contains(r.Body, "Book Friday, December 11 at </span>09:00") {
		t.Error("a slot link does not say what it books")
	}
	if all := f.Do("GET", "/calendar?week=2026-12-08&who=all", nil, thea); strings.Contains(all.Body, "/calendar/book") {
		t.Error("everyone's calendar links slots, which would book as the viewer")
	}

	form := f.Do("GET", "/calendar/book?at=2026-12-11T09%3A00", nil, thea)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `value="2026-12-11T09:00"`) || !strings.Contains(form.Body, webtest.CanaryA) {
		t.Fatalf("booking form = %d, time or patient choice missing", form.Status)
	}
	// No patient chosen: 422, the time kept, the message at the field.
	r = f.Do("POST", "/calendar/book", url.Values{"kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="2026-12-11T09:00"`) || !strings.Contains(r.Body, `id="book-patient-error"`) || !strings.Contains(r.Body, `href="#book-patient"`) {
		t.Fatalf("no patient = %d, want 422 keeping the time with the error at the patient", r.Status)
	}
	// theo books only his own patients.
	theo := f.SignIn("theo@example.org")
	if r := f.Do("POST", "/calendar/book", url.Values{"patient": {f.PA.ID}, "kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}}, theo); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, webtest.CanaryA) {
		t.Fatalf("another's patient = %d, want 422 without the name", r.Status)
	}
	r = f.Do("POST", "/calendar/book", url.Values{"patient": {f.PA.ID}, "kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}, "where": {"in_person"}}, thea)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/calendar?week=2026-12-11&done=booked" {
		t.Fatalf("book = %d %q", r.Status, r.Header.Get("Location"))
	}
	aps, err := f.St.Appointments(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range aps {
		if a.StartsAt.Equal(time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC)) && a.Kind == "integration" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d appointments at the slot, want 1", n)
	}
	r = f.Do("GET", "/calendar?week=2026-12-11&done=booked", nil, thea)
	if !strings.Contains(r.Body, "Appointment booked.") || strings.Contains(r.Body, slot("2026-12-11T09:00")) || !strings.Contains(r.Body, slot("2026-12-11T10:00")) {
		t.Error("after booking, the notice is missing or the booked hour is still offered")
	}
	// The same hour again: a clash, said at the time, the choices kept.
	r = f.Do("POST", "/calendar/book", url.Values{"patient": {f.PA.ID}, "kind": {"integration"}, "starts_at": {"2026-12-11T09:00"}}, thea)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="book-starts_at-error"`) {
		t.Fatalf("clash = %d, want 422 at the time", r.Status)
	}
	// The admin has no caseload: no booking form.
	if r := f.Do("GET", "/calendar/book", nil, f.SignIn("admin@example.org")); r.Status == http.StatusOK {
		t.Errorf("admin booking form = %d", r.Status)
	}
}

// TestFreeSlotsFollowHoursAndTimeOff: with working hours set, the free
// hours are whole hours inside them (none on a day without hours), and
// none while the clinician is away.
func TestFreeSlotsFollowHoursAndTimeOff(t *testing.T) {
	f := webtest.NewFixture(t)
	ctx := t.Context()
	f.Now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) // Sunday before
	theo := f.As("theo@example.org")
	if err := f.St.SetWorkingHours(ctx, theo, []store.Hours{{Weekday: time.Monday, Start: 9*60 + 30, End: 13*60 + 30}}); err != nil {
		t.Fatal(err)
	}
	if err := f.St.AddTimeOff(ctx, theo, &store.TimeOff{Start: time.Date(2026, 12, 7, 11, 30, 0, 0, time.UTC), End: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	r := f.Do("GET", "/calendar?week=2026-12-07", nil, f.SignIn("theo@example.org"))
	var got []string
	for _, part := range strings.Split(r.Body, `href="/calendar/book?at=`)[1:] {
		at, _, _ := strings.Cut(part, `"`)
		at, _ = url.QueryUnescape(at)
		got = append(got, at)
	}
	// 10:00 and 12:00 (11:00 overlaps the time off; 09:30 is not a whole
	// hour; 13:00 would end after 13:30); nothing on other days.
	if strings.Join(got, " ") != "2026-12-07T10:00 2026-12-07T12:00" {
		t.Errorf("free hours = %v", got)
	}
}
