package shell

import (
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

// PracticeZone is the practice's time zone (a setting; UTC when unset or
// unknown), in which staff see the calendar.
func (s *App) PracticeZone(r *http.Request) (*time.Location, string) {
	name, err := s.Store.Setting(r.Context(), "time_zone", "")
	if err == nil && name != "" {
		if loc, lerr := loadZone(name); lerr == nil {
			return loc, name
		}
	}
	return time.UTC, "UTC"
}

// PatientZone is the zone a patient reads times in: their own when they
// have set one, else the practice's.
func (s *App) PatientZone(r *http.Request, p *store.Patient) (*time.Location, string) {
	if p != nil && p.TimeZone != "" {
		if loc, err := loadZone(p.TimeZone); err == nil {
			return loc, p.TimeZone
		}
	}
	return s.PracticeZone(r)
}

// ParseLocal reads a datetime-local form value ("2026-12-03T10:00") as a
// wall-clock time in loc. A time skipped by a spring-forward change moves
// forward by the gap, as a series and working hours do (clinic.LocalTime);
// time.ParseInLocation would move it back.
func ParseLocal(value string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(value), time.UTC)
	if err != nil {
		return time.Time{}, false
	}
	return clinic.LocalTime(loc, t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0), true
}
