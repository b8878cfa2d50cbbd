package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/clinic"
)

type practiceData struct {
	Form   url.Values
	Errors map[string]string
	Notice string
	Zones  []string
}

// handlePractice shows the practice's settings: its name and time zone.
func (s *Server) handlePractice(w http.ResponseWriter, r *http.Request) {
	_, zone := s.practiceZone(r)
	form := url.Values{"name": {s.practiceName(r.Context())}, "time_zone": {zone}}
	d := practiceData{Form: form, Zones: commonZones}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Settings saved."
	}
	s.render(w, r, http.StatusOK, "practice", "Practice settings", d)
}

func (s *Server) handlePracticeSave(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	zone := strings.TrimSpace(r.PostFormValue("time_zone"))
	fe := clinic.FieldErrors{}
	if name == "" || utf8.RuneCountInString(name) > 80 {
		fe.Add("name", "Enter the practice's name (at most 80 characters).")
	}
	if _, err := time.LoadLocation(zone); zone == "" || err != nil {
		fe.Add("time_zone", "Enter a time zone name like America/New_York.")
	}
	if len(fe) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "practice", "Practice settings", practiceData{Form: r.PostForm, Errors: fe, Zones: commonZones})
		return
	}
	for k, v := range map[string]string{"practice_name": name, "time_zone": zone} {
		if err := s.store.SetSetting(r.Context(), s.actor(r), k, v); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.nameMu.Lock()
	s.nameValue = "" // read the new name at once
	s.nameMu.Unlock()
	http.Redirect(w, r, "/admin/practice?done=saved", http.StatusSeeOther)
}
