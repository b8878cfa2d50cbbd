package shell

import "time"

// DayLayout is how the pages write a day, "Nov 12, 2026": the day of the
// "when" template function's moments ("Nov 12, 2026, 15:04 EST").
const DayLayout = "Jan 2, 2006"

// WhenLayout is how the pages write a moment, labelled with its zone (the
// "when" template function's).
const WhenLayout = "Jan 2, 2006, 15:04 MST"

// Day writes t's day in loc, the way every page writes a day.
func Day(t time.Time, loc *time.Location) string { return t.In(loc).Format(DayLayout) }

// When writes the moment t in loc with the zone, the way every page
// writes a moment.
func When(t time.Time, loc *time.Location) string { return t.In(loc).Format(WhenLayout) }
