package clinic

import (
	"fmt"
	"time"
)

// Series describes a run of appointments at the same local time: a KAP
// dosing series is typically every 14 days, about six times.
type Series struct {
	First    time.Time      // the first appointment's start (any zone)
	Zone     *time.Location // the zone whose wall-clock time the series keeps
	EveryDay int            // days between appointments (14 for every two weeks)
	Count    int            // how many appointments, the first included
}

// MaxSeries bounds a series: a year of weekly appointments.
const MaxSeries = 52

// Starts returns the start of each appointment in the series, in UTC. Each
// keeps the first one's wall-clock time in Zone, so a 10:00 session stays at
// 10:00 across a daylight-saving change (its UTC time moves by an hour).
// A wall-clock time that does not exist on a day (inside a spring-forward
// gap) is moved forward by the gap, as clocks are.
func (s Series) Starts() ([]time.Time, error) {
	if s.Zone == nil {
		return nil, fmt.Errorf("a series needs a time zone")
	}
	if s.EveryDay < 1 || s.EveryDay > 366 {
		return nil, fmt.Errorf("days between appointments must be 1 to 366, not %d", s.EveryDay)
	}
	if s.Count < 1 || s.Count > MaxSeries {
		return nil, fmt.Errorf("a series has 1 to %d appointments, not %d", MaxSeries, s.Count)
	}
	first := s.First.In(s.Zone)
	y, m, d := first.Date()
	hh, mm, ss := first.Clock()
	out := make([]time.Time, 0, s.Count)
	for i := 0; i < s.Count; i++ {
		out = append(out, LocalTime(s.Zone, y, m, d+i*s.EveryDay, hh, mm, ss).UTC())
	}
	return out, nil
}

// LocalTime is the instant a wall clock in loc shows the given date and
// time. Inside a spring-forward gap (a time that never shows) it is moved
// forward by the gap: 02:30 on the spring-forward day in New York is 03:30
// EDT. In a fall-back hour (a time that shows twice) it is the first.
func LocalTime(loc *time.Location, year int, month time.Month, day, hour, min, sec int) time.Time {
	t := time.Date(year, month, day, hour, min, sec, 0, loc)
	// time.Date picks one of the two zones at a transition without saying
	// which; settle it. Normalised fields tell us the intended wall clock.
	want := time.Date(year, month, day, hour, min, sec, 0, time.UTC)
	_, offT := t.Zone()
	// Candidates: the wall clock read with each offset in force around t,
	// two days either side: a gap can be as long as a day (Samoa skipped
	// 30 December 2011), and the offset before it must be seen.
	_, offBefore := t.Add(-48 * time.Hour).Zone()
	_, offAfter := t.Add(48 * time.Hour).Zone()
	var best time.Time
	for _, off := range []int{offBefore, offT, offAfter} {
		c := want.Add(-time.Duration(off) * time.Second)
		if _, o := c.In(loc).Zone(); o == off {
			if best.IsZero() || c.Before(best) {
				best = c
			}
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// No offset gives that wall clock: it is in a gap. Clocks jumped by
	// (after - before); the time is that much later on the new offset.
	return want.Add(-time.Duration(offBefore) * time.Second).In(loc)
}
