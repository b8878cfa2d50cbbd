package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

type practiceData struct {
	Form   url.Values
	Errors map[string]string
	Notice string
	Zones  []string
	Kinds  []clinic.AppointmentType
}

// handlePractice shows the practice's settings: its name and time zone, the
// usual length of each kind of appointment, and when reminders go out.
func (s *Server) handlePractice(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Practice(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, zone := s.practiceZone(r)
	form := url.Values{"name": {ps.Name}, "time_zone": {zone}, "reminder_hours": {store.FormatReminderHours(ps.ReminderHours)}}
	for _, t := range clinic.AppointmentTypes {
		form.Set("minutes_"+t.Kind, strconv.Itoa(ps.Minutes[t.Kind]))
	}
	d := practiceData{Form: form, Zones: commonZones, Kinds: clinic.AppointmentTypes}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Settings saved."
	}
	s.render(w, r, http.StatusOK, "practice", "Practice settings", d)
}

func (s *Server) handlePracticeSave(w http.ResponseWriter, r *http.Request) {
	ps := store.PracticeSettings{Name: r.PostFormValue("name"), TimeZone: r.PostFormValue("time_zone"), Minutes: map[string]int{}}
	for _, t := range clinic.AppointmentTypes {
		if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes_" + t.Kind))); err == nil {
			ps.Minutes[t.Kind] = n
		}
	}
	hours, problem := store.ParseReminderHours(r.PostFormValue("reminder_hours"))
	ps.ReminderHours = hours
	fe := store.CheckPractice(&ps)
	if problem != "" {
		fe["reminder_hours"] = problem
	}
	if len(fe) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "practice", "Practice settings", practiceData{Form: r.PostForm, Errors: fe, Zones: commonZones, Kinds: clinic.AppointmentTypes})
		return
	}
	if err := s.store.SavePractice(r.Context(), s.actor(r), ps); err != nil {
		s.error(w, r, err)
		return
	}
	s.nameMu.Lock()
	s.nameValue = "" // read the new name at once
	s.nameMu.Unlock()
	http.Redirect(w, r, "/admin/practice?done=saved", http.StatusSeeOther)
}
