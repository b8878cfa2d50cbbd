package staff

import (
	"net/http"
	"slices"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// The day view is a time grid: one row per slot of slotMinutes, one column
// per clinician, each appointment a cell spanning its rows (a table with
// rowspan, so it needs no inline styles under the strict CSP and reads
// well to a screen reader). Rows cover at least dayFirstHour to
// dayLastHour, widened to take in any appointment outside them.
const (
	slotMinutes  = 15
	dayFirstHour = 8
	dayLastHour  = 18
)

type dayColumn struct {
	ID, Name string
}

type dayCell struct {
	Skip    bool // covered by a cell above
	Rowspan int
	Entries []store.CalendarEntry // none: a free slot
}

type dayRow struct {
	At    time.Time // the slot's start
	Label bool      // a full hour: the time is shown
	Cells []dayCell
}

type dayData struct {
	Zone       string
	Who        string
	Day        time.Time
	Today      bool
	Prev, Next string
	Week       string // the week view of this day
	Clinicians []*clinic.User
	Columns    []dayColumn
	Rows       []dayRow
	Count      int // every appointment of the day
	More       int // how many of them are not shown (a window shows at most Max)
	Max        int
	Loc        *time.Location
}

// scheduleDay is the staff calendar for one day in the practice's zone.
// Slots are counted in elapsed time from local midnight, so a day with a
// daylight-saving change has 23 or 25 hours of rows, each labelled with
// the clock time it really starts at.
func (s *Handlers) scheduleDay(w http.ResponseWriter, r *http.Request, q string, who string) {
	loc, zone := s.PracticeZone(r)
	t, err := time.ParseInLocation("2006-01-02", q, loc)
	if err != nil {
		s.NotFound(w, r)
		return
	}
	start := clinic.LocalTime(loc, t.Year(), t.Month(), t.Day(), 0, 0, 0)
	end := clinic.LocalTime(loc, t.Year(), t.Month(), t.Day()+1, 0, 0, 0)
	entries, total, err := s.Store.ScheduleWindow(r.Context(), s.Actor(r), start, end, who, scheduleMax)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := dayData{Zone: zone, Who: who, Day: start, Loc: loc, Count: total, More: total - len(entries), Max: scheduleMax,
		Prev:  start.AddDate(0, 0, -1).Format("2006-01-02"),
		Next:  end.Format("2006-01-02"),
		Week:  start.Format("2006-01-02"),
		Today: !s.Now().Before(start) && s.Now().Before(end)}
	if d.Clinicians, err = s.clinicians(r); err != nil {
		s.Error(w, r, err)
		return
	}
	for _, c := range d.Clinicians {
		if who == "" || c.ID == who {
			d.Columns = append(d.Columns, dayColumn{ID: c.ID, Name: c.DisplayName})
		}
	}
	for _, e := range entries { // a clinician no longer listed (disabled) keeps a column
		if !slices.ContainsFunc(d.Columns, func(c dayColumn) bool { return c.ID == e.ClinicianID }) {
			d.Columns = append(d.Columns, dayColumn{ID: e.ClinicianID, Name: e.Clinician})
		}
	}
	d.Rows = dayGrid(start, end, clinic.LocalTime(loc, t.Year(), t.Month(), t.Day(), dayFirstHour, 0, 0),
		clinic.LocalTime(loc, t.Year(), t.Month(), t.Day(), dayLastHour, 0, 0), d.Columns, entries)
	s.Render(w, r, http.StatusOK, "schedule_day", "Calendar", d)
}

// dayGrid lays entries out in rows of slotMinutes within start to end (one
// local day), showing at least the rows from open to shut (wall-clock
// times that day). Appointments in one column whose slots overlap after
// rounding share one cell.
func dayGrid(start, end, open, shut time.Time, cols []dayColumn, entries []store.CalendarEntry) []dayRow {
	slot := time.Duration(slotMinutes) * time.Minute
	total := int(end.Sub(start) / slot)
	slotOf := func(t time.Time) int { return int(t.Sub(start) / slot) }
	first := min(slotOf(open), total)
	last := min(slotOf(shut), total) // exclusive
	type block struct {
		from, to int
		entries  []store.CalendarEntry
	}
	blocks := make([][]block, len(cols))
	for ci, c := range cols {
		for _, e := range entries { // entries come sorted by start
			if e.ClinicianID != c.ID {
				continue
			}
			from := max(slotOf(e.StartsAt), 0)
			endAt := e.StartsAt.Add(time.Duration(e.Minutes) * time.Minute)
			to := min(int((endAt.Sub(start)+slot-1)/slot), total) // rounded up
			to = max(to, from+1)
			if n := len(blocks[ci]); n > 0 && from < blocks[ci][n-1].to {
				b := &blocks[ci][n-1]
				b.to = max(b.to, to)
				b.entries = append(b.entries, e)
			} else {
				blocks[ci] = append(blocks[ci], block{from: from, to: to, entries: []store.CalendarEntry{e}})
			}
			first, last = min(first, from), max(last, to)
		}
	}
	first -= first % (60 / slotMinutes) // start on a full hour
	rows := make([]dayRow, 0, last-first)
	for i := first; i < last; i++ {
		at := start.Add(time.Duration(i) * slot)
		row := dayRow{At: at, Label: at.Minute() == 0 || i == first, Cells: make([]dayCell, len(cols))}
		for ci := range cols {
			for _, b := range blocks[ci] {
				switch {
				case b.from == i:
					row.Cells[ci] = dayCell{Rowspan: min(b.to, last) - i, Entries: b.entries}
				case b.from < i && i < b.to:
					row.Cells[ci] = dayCell{Skip: true}
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// clinicians lists therapists and prescribers, for the calendar's choice
// of whose calendar to show.
func (s *Handlers) clinicians(r *http.Request) ([]*clinic.User, error) {
	var out []*clinic.User
	for _, role := range []clinic.Role{clinic.RoleTherapist, clinic.RolePrescriber} {
		staff, err := s.Store.ListStaff(r.Context(), role)
		if err != nil {
			return nil, err
		}
		out = append(out, staff...)
	}
	return out, nil
}
