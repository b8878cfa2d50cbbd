package staff

import (
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

type scheduleDay struct {
	Date    time.Time
	Today   bool
	Entries []store.CalendarEntry
	Free    []freeSlot // the viewer's own free hours, each linked to the booking form
}

type scheduleData struct {
	Zone       string
	Who        string // clinician id, or "" for everyone
	Clinicians []*clinic.User
	Week       time.Time // Monday
	Prev, Next string    // week parameters
	Days       []scheduleDay
	Loc        *time.Location
	Own        bool   // the viewer's own calendar: free hours link to the booking form
	Notice     string // after booking from a slot
	// More is how many appointments of the week are not shown: a window
	// shows at most store.ScheduleMax (choose a clinician or a day).
	More, Max int
}

// scheduleMax is the most appointments a calendar window shows (a
// variable so a test can make a window overflow).
var scheduleMax = store.ScheduleMax

// Schedule is the staff calendar: one week, Monday to Sunday, in the
// practice's time zone, for one clinician or everyone. Days run from local
// midnight to local midnight, so a week with a daylight-saving change is
// 167 or 169 hours long and no appointment falls between days.
func (s *Handlers) Schedule(w http.ResponseWriter, r *http.Request) {
	loc, zone := s.PracticeZone(r)
	now := s.Now().In(loc)
	day := now
	if q := r.URL.Query().Get("week"); q != "" {
		t, err := time.ParseInLocation("2006-01-02", q, loc)
		if err != nil {
			s.NotFound(w, r)
			return
		}
		day = t
	}
	offset := (int(day.Weekday()) + 6) % 7 // days since Monday
	monday := clinic.LocalTime(loc, day.Year(), day.Month(), day.Day()-offset, 0, 0, 0)
	end := clinic.LocalTime(loc, monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0)
	who := r.URL.Query().Get("who")
	if who == "" {
		u := shell.SessionFrom(r.Context()).User
		if auth.Can(u.Role, auth.RelNone, auth.PermCaseload) {
			who = u.ID
		}
	}
	if who == "all" {
		who = ""
	}
	if q := r.URL.Query().Get("day"); q != "" {
		s.scheduleDay(w, r, q, who)
		return
	}
	entries, total, err := s.Store.ScheduleWindow(r.Context(), s.Actor(r), monday, end, who, scheduleMax)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := scheduleData{Zone: zone, Who: who, Week: monday, Loc: loc, More: total - len(entries), Max: scheduleMax,
		Prev: monday.AddDate(0, 0, -7).Format("2006-01-02"), Next: monday.AddDate(0, 0, 7).Format("2006-01-02")}
	if d.Clinicians, err = s.clinicians(r); err != nil {
		s.Error(w, r, err)
		return
	}
	var hours []store.Hours
	var off []store.TimeOff
	if d.Own = who != "" && who == shell.SessionFrom(r.Context()).User.ID && canBook(r); d.Own {
		if hours, err = s.Store.WorkingHours(r.Context(), s.Actor(r)); err != nil {
			s.Error(w, r, err)
			return
		}
		if off, err = s.Store.TimeOffList(r.Context(), s.Actor(r)); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if r.URL.Query().Get("done") == "booked" {
		d.Notice = "Appointment booked. It shows in the week below."
	}
	for i := 0; i < 7; i++ {
		date := clinic.LocalTime(loc, monday.Year(), monday.Month(), monday.Day()+i, 0, 0, 0)
		next := clinic.LocalTime(loc, monday.Year(), monday.Month(), monday.Day()+i+1, 0, 0, 0)
		sd := scheduleDay{Date: date, Today: !now.Before(date) && now.Before(next)}
		for _, e := range entries {
			if !e.StartsAt.Before(date) && e.StartsAt.Before(next) {
				sd.Entries = append(sd.Entries, e)
			}
		}
		if d.Own {
			sd.Free = freeSlots(loc, date, now, hours, off, sd.Entries)
		}
		d.Days = append(d.Days, sd)
	}
	s.Render(w, r, http.StatusOK, "schedule", "Calendar", d)
}
