package clinic

import (
	"testing"
	"time"
)

func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestSeriesAcrossSpringForward: a weekly 10:00 series over the week clocks
// go forward (Sunday March 14, 2027 in the US) stays at 10:00 local; its UTC
// time moves from 15:00 to 14:00.
func TestSeriesAcrossSpringForward(t *testing.T) {
	ny := newYork(t)
	first := time.Date(2027, 3, 8, 10, 0, 0, 0, ny) // Monday, EST
	got, err := Series{First: first, Zone: ny, EveryDay: 7, Count: 3}.Starts()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2027-03-08T15:00:00Z", "2027-03-15T14:00:00Z", "2027-03-22T14:00:00Z"}
	for i, g := range got {
		if g.Format(time.RFC3339) != want[i] {
			t.Errorf("appointment %d = %s, want %s", i+1, g.Format(time.RFC3339), want[i])
		}
		if l := g.In(ny); l.Hour() != 10 || l.Minute() != 0 || l.Weekday() != time.Monday {
			t.Errorf("appointment %d is %s local, want Monday 10:00", i+1, l)
		}
		if g.Location() != time.UTC {
			t.Errorf("appointment %d not in UTC", i+1)
		}
	}
}

// TestSeriesAcrossFallBack: every two weeks at 09:30 over the November 7,
// 2027 change: 13:30 UTC in EDT, then 14:30 UTC in EST.
func TestSeriesAcrossFallBack(t *testing.T) {
	ny := newYork(t)
	first := time.Date(2027, 10, 28, 9, 30, 0, 0, ny) // Thursday, EDT
	got, err := Series{First: first, Zone: ny, EveryDay: 14, Count: 2}.Starts()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2027-10-28T13:30:00Z", "2027-11-11T14:30:00Z"}
	for i, g := range got {
		if g.Format(time.RFC3339) != want[i] {
			t.Errorf("appointment %d = %s, want %s", i+1, g.Format(time.RFC3339), want[i])
		}
	}
}

// TestSessionLengthOverTransitions: a 3-hour dosing session is 3 real hours
// even on the nights clocks change; only its local end differs.
func TestSessionLengthOverTransitions(t *testing.T) {
	ny := newYork(t)
	for _, c := range []struct {
		name     string
		start    time.Time
		localEnd string
	}{
		{"fall back", LocalTime(ny, 2027, 11, 7, 0, 30, 0), "02:30 EST"},
		{"spring forward", LocalTime(ny, 2027, 3, 14, 0, 30, 0), "04:30 EDT"},
	} {
		end := c.start.Add(180 * time.Minute)
		if got := end.In(ny).Format("15:04 MST"); got != c.localEnd {
			t.Errorf("%s: a 3-hour session from 00:30 ends %s local, want %s", c.name, got, c.localEnd)
		}
	}
}

// TestLocalTimeAtTransitions: a time in the spring-forward gap moves forward
// by the gap; a time in the repeated fall-back hour is the first one.
func TestLocalTimeAtTransitions(t *testing.T) {
	ny := newYork(t)
	gap := LocalTime(ny, 2027, 3, 14, 2, 30, 0)
	if got := gap.Format("15:04 MST"); got != "03:30 EDT" {
		t.Errorf("02:30 on spring-forward day = %s, want 03:30 EDT", got)
	}
	twice := LocalTime(ny, 2027, 11, 7, 1, 30, 0)
	if got := twice.Format("15:04 MST"); got != "01:30 EDT" {
		t.Errorf("01:30 on fall-back day = %s, want the first, 01:30 EDT", got)
	}
	plain := LocalTime(ny, 2027, 7, 1, 12, 0, 0)
	if got := plain.UTC().Format(time.RFC3339); got != "2027-07-01T16:00:00Z" {
		t.Errorf("noon on July 1 = %s, want 16:00Z", got)
	}
	// A zone without daylight saving is unaffected.
	utc := LocalTime(time.UTC, 2027, 3, 14, 2, 30, 0)
	if utc.Hour() != 2 || utc.Minute() != 30 {
		t.Errorf("UTC 02:30 = %s", utc)
	}
}

func TestSeriesRefusesBadInput(t *testing.T) {
	ny := newYork(t)
	now := time.Date(2027, 1, 4, 10, 0, 0, 0, ny)
	for _, s := range []Series{
		{First: now, EveryDay: 14, Count: 6},
		{First: now, Zone: ny, EveryDay: 0, Count: 6},
		{First: now, Zone: ny, EveryDay: 14, Count: 0},
		{First: now, Zone: ny, EveryDay: 14, Count: MaxSeries + 1},
	} {
		if _, err := s.Starts(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	got, err := Series{First: now, Zone: ny, EveryDay: 14, Count: 6}.Starts()
	// Ten weeks later on the calendar, at the same wall-clock time: one
	// hour less than 70 days, because the clocks went forward meanwhile.
	if err != nil || len(got) != 6 || got[5].Sub(got[0]) != 70*24*time.Hour-time.Hour || got[5].In(ny).Format("Jan 2 15:04") != "Mar 15 10:00" {
		t.Errorf("six fortnightly = %v, %v", got, err)
	}
}
