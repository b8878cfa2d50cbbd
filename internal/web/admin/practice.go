package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

type practiceData struct {
	Form   url.Values
	Errors map[string]string
	Notice string
	Zones  []string
	Kinds  []clinic.AppointmentType
}

// Practice shows the practice's settings: its name, phone and email (which
// the portal gives patients), its time zone, the
// usual length of each kind of appointment, and when reminders go out.
func (s *Handlers) Practice(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Store.Practice(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PracticeZone(r)
	form := url.Values{"name": {ps.Name}, "time_zone": {zone}, "reminder_hours": {store.FormatReminderHours(ps.ReminderHours)}, "phone": {ps.Phone}, "email": {ps.Email}}
	for _, t := range clinic.AppointmentTypes {
		form.Set("minutes_"+t.Kind, strconv.Itoa(ps.Minutes[t.Kind]))
	}
	for name, v := range superbillFields(&ps) {
		form.Set(name, *v)
	}
	d := practiceData{Form: form, Zones: shell.CommonZones, Kinds: clinic.AppointmentTypes}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Settings saved."
	}
	s.Render(w, r, http.StatusOK, "practice", "Practice settings", d)
}

func (s *Handlers) PracticeSave(w http.ResponseWriter, r *http.Request) {
	ps := store.PracticeSettings{Name: r.PostFormValue("name"), TimeZone: r.PostFormValue("time_zone"), Minutes: map[string]int{},
		Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	for _, t := range clinic.AppointmentTypes {
		if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes_" + t.Kind))); err == nil {
			ps.Minutes[t.Kind] = n
		}
	}
	for name, v := range superbillFields(&ps) {
		*v = r.PostFormValue(name)
	}
	hours, problem := store.ParseReminderHours(r.PostFormValue("reminder_hours"))
	ps.ReminderHours = hours
	fe := store.CheckPractice(&ps)
	if problem != "" {
		fe["reminder_hours"] = problem
	}
	if len(fe) > 0 {
		s.Render(w, r, http.StatusUnprocessableEntity, "practice", "Practice settings", practiceData{Form: r.PostForm, Errors: fe, Zones: shell.CommonZones, Kinds: clinic.AppointmentTypes})
		return
	}
	if err := s.Store.SavePractice(r.Context(), s.Actor(r), ps); err != nil {
		s.Error(w, r, err)
		return
	}
	s.ForgetPracticeName() // read the new name at once
	http.Redirect(w, r, "/admin/practice?done=saved", http.StatusSeeOther)
}

// superbillFields are the practice page's fields of the superbill's
// practice block (issue 21), by form name.
func superbillFields(ps *store.PracticeSettings) map[string]*string {
	return map[string]*string{"address_line1": &ps.Address.Line1, "address_line2": &ps.Address.Line2, "address_city": &ps.Address.City,
		"address_state": &ps.Address.State, "address_postal_code": &ps.Address.PostalCode, "tax_id": &ps.TaxID, "npi": &ps.NPI}
}
