package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

type scheduleDay struct {
	Date    time.Time
	Today   bool
	Entries []store.CalendarEntry
}

type scheduleData struct {
	Zone       string
	Who        string // clinician id, or "" for everyone
	Clinicians []*clinic.User
	Week       time.Time // Monday
	Prev, Next string    // week parameters
	Days       []scheduleDay
	Loc        *time.Location
}

// practiceZone is the practice's time zone (a setting; UTC when unset or
// unknown), in which staff see the calendar.
func (s *Server) practiceZone(r *http.Request) (*time.Location, string) {
	name, err := s.store.Setting(r.Context(), "time_zone", "")
	if err == nil && name != "" {
		if loc, lerr := time.LoadLocation(name); lerr == nil {
			return loc, name
		}
	}
	return time.UTC, "UTC"
}

// patientZone is the zone a patient reads times in: their own when they
// have set one, else the practice's.
func (s *Server) patientZone(r *http.Request, p *store.Patient) (*time.Location, string) {
	if p != nil && p.TimeZone != "" {
		if loc, err := time.LoadLocation(p.TimeZone); err == nil {
			return loc, p.TimeZone
		}
	}
	return s.practiceZone(r)
}

// parseLocal reads a datetime-local form value ("2026-12-03T10:00") as a
// wall-clock time in loc. A time skipped by a spring-forward change moves
// forward by the gap, as a series and working hours do (clinic.LocalTime);
// time.ParseInLocation would move it back.
func parseLocal(value string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(value), time.UTC)
	if err != nil {
		return time.Time{}, false
	}
	return clinic.LocalTime(loc, t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0), true
}

// handleSchedule is the staff calendar: one week, Monday to Sunday, in the
// practice's time zone, for one clinician or everyone. Days run from local
// midnight to local midnight, so a week with a daylight-saving change is
// 167 or 169 hours long and no appointment falls between days.
func (s *Server) handleSchedule(w http.ResponseWriter, r *http.Request) {
	loc, zone := s.practiceZone(r)
	now := s.Now().In(loc)
	day := now
	if q := r.URL.Query().Get("week"); q != "" {
		t, err := time.ParseInLocation("2006-01-02", q, loc)
		if err != nil {
			s.notFound(w, r)
			return
		}
		day = t
	}
	offset := (int(day.Weekday()) + 6) % 7 // days since Monday
	monday := clinic.LocalTime(loc, day.Year(), day.Month(), day.Day()-offset, 0, 0, 0)
	end := clinic.LocalTime(loc, monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0)
	who := r.URL.Query().Get("who")
	if who == "" {
		u := sessionFrom(r.Context()).User
		if u.Role != clinic.RoleAdmin {
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
	entries, err := s.store.Schedule(r.Context(), s.actor(r), monday, end, who)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := scheduleData{Zone: zone, Who: who, Week: monday, Loc: loc,
		Prev: monday.AddDate(0, 0, -7).Format("2006-01-02"), Next: monday.AddDate(0, 0, 7).Format("2006-01-02")}
	if d.Clinicians, err = s.clinicians(r); err != nil {
		s.error(w, r, err)
		return
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
		d.Days = append(d.Days, sd)
	}
	s.render(w, r, http.StatusOK, "schedule", "Calendar", d)
}
