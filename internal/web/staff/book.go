package staff

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Free slots in the week view: whole hours within the clinician's working
// hours (weekdays from slotOpenHour to slotShutHour when none are set),
// not in the past, not away and not overlapping an appointment.
const (
	freeSlotMinutes = 60
	slotOpenHour    = 9
	slotShutHour    = 17
)

// freeSlot is an empty hour of the viewer's own week, linked to the
// booking form with its time filled in.
type freeSlot struct {
	At   time.Time
	Href string
}

// freeSlots lists the free hours of one local day (date is its midnight)
// for a clinician with hours and time off, given their appointments that
// day (entries) and the time now.
func freeSlots(loc *time.Location, date, now time.Time, hours []store.Hours, off []store.TimeOff, entries []store.CalendarEntry) []freeSlot {
	y, m, d := date.Date()
	var spans [][2]int // minutes from midnight
	if len(hours) == 0 {
		if wd := date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			spans = append(spans, [2]int{slotOpenHour * 60, slotShutHour * 60})
		}
	}
	for _, h := range hours {
		if h.Weekday == date.Weekday() {
			spans = append(spans, [2]int{h.Start, h.End})
		}
	}
	var out []freeSlot
	for _, sp := range spans {
		first := (sp[0] + freeSlotMinutes - 1) / freeSlotMinutes * freeSlotMinutes // the first whole slot
		for min := first; min+freeSlotMinutes <= sp[1]; min += freeSlotMinutes {
			at := clinic.LocalTime(loc, y, m, d, min/60, min%60, 0)
			end := at.Add(freeSlotMinutes * time.Minute)
			if at.Before(now) || at.Hour()*60+at.Minute() != min { // past, or a clock time a change skips
				continue
			}
			busy := false
			for _, e := range entries {
				if e.StartsAt.Before(end) && at.Before(e.StartsAt.Add(time.Duration(e.Minutes)*time.Minute)) {
					busy = true
				}
			}
			for _, t := range off {
				if t.Start.Before(end) && at.Before(t.End) {
					busy = true
				}
			}
			if !busy {
				out = append(out, freeSlot{At: at, Href: "/calendar/book?at=" + url.QueryEscape(at.In(loc).Format("2006-01-02T15:04"))})
			}
		}
	}
	return out
}

// bookData is the booking form opened from a free slot of the calendar:
// the clinician (the viewer), the date and time filled in; the person
// picks the patient and the kind.
type bookData struct {
	Zone      string
	Clinician string
	// The patient picker, which works without JavaScript and costs the same
	// for any caseload: Chosen is the patient chosen (looked up in the
	// viewer's scope); without one, Matches are at most bookMatches of the
	// viewer's patients matching PatientQuery (all of them when it is
	// empty), of MatchTotal. The search is sent by POST with the rest of
	// the form (find=1), so a name is never in a URL.
	Chosen       *store.Patient
	Matches      []*store.Patient
	MatchTotal   int
	PatientQuery string
	Find         bool // the form was sent to search for a patient, not to book
	Kinds        []kindOption
	Rooms        []store.Room
	Form         url.Values
	Errors       map[string]string
	Back         string // the week the slot was in
}

// MinutesFor is the usual length of kind, or of the first kind when kind
// is not one: the hint for an empty length.
func (d bookData) MinutesFor(kind string) int {
	for _, k := range d.Kinds {
		if k.Kind == kind {
			return k.Minutes
		}
	}
	if len(d.Kinds) > 0 {
		return d.Kinds[0].Minutes
	}
	return 0
}

// BookForm is the booking form for a free slot: GET /calendar/book?at=
// 2026-12-03T10:00 (practice time) fills in the time; patient= may choose
// the patient.
func (s *Handlers) BookForm(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	f := url.Values{}
	if at, ok := shell.ParseLocal(r.URL.Query().Get("at"), loc); ok {
		f.Set("starts_at", at.In(loc).Format("2006-01-02T15:04"))
	}
	if p := r.URL.Query().Get("patient"); store.ValidID(p) {
		f.Set("patient", p)
	}
	s.bookPage(w, r, &bookData{Form: f}, http.StatusOK)
}

func (s *Handlers) bookPage(w http.ResponseWriter, r *http.Request, d *bookData, status int) {
	loc, zone := s.PracticeZone(r)
	d.Zone = zone
	d.Clinician = shell.SessionFrom(r.Context()).User.DisplayName
	if err := s.bookPicker(r, d); err != nil {
		s.Error(w, r, err)
		return
	}
	var err error
	ps, err := s.Store.Practice(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, t := range clinic.AppointmentTypes {
		d.Kinds = append(d.Kinds, kindOption{Kind: t.Kind, Title: t.Title, Minutes: ps.Minutes[t.Kind]})
	}
	if d.Rooms, err = s.Store.Rooms(r.Context()); err != nil {
		s.Error(w, r, err)
		return
	}
	week := s.Now().In(loc)
	if at, ok := shell.ParseLocal(d.Form.Get("starts_at"), loc); ok {
		week = at
	}
	d.Back = "/calendar?week=" + week.Format("2006-01-02")
	s.Render(w, r, status, "schedule_book", "Book an appointment", *d)
}

// bookMatches is the most patients the booking form's picker lists.
const bookMatches = 20

// bookPicker fills d's patient picker: the chosen patient when the form
// names one the viewer may see (else the choice is dropped), or the first
// bookMatches of the viewer's patients matching the search.
func (s *Handlers) bookPicker(r *http.Request, d *bookData) error {
	if id := d.Form.Get("patient"); !d.Find && store.ValidID(id) {
		p, _, err := s.Store.FindPatient(r.Context(), s.Actor(r), id)
		switch clinic.ErrorCode(err) {
		case "":
			d.Chosen = p
			return nil
		case clinic.ENotFound:
		default:
			return err
		}
	}
	d.Form.Del("patient")
	page, err := s.Store.PagePatients(r.Context(), s.Actor(r), store.PatientFilter{Query: d.PatientQuery}, store.PageKey{Limit: bookMatches})
	if err != nil {
		return err
	}
	d.Matches, d.MatchTotal = page.Patients, page.Total
	return nil
}

// Book books the appointment from the calendar's booking form, with the
// viewer as the clinician, and goes back to the week; a problem keeps
// the form with what was chosen and a message at the field.
func (s *Handlers) Book(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	d := &bookData{Form: url.Values{}}
	for _, k := range []string{"patient", "kind", "starts_at", "minutes", "where", "video_link", "chaperone", "room"} {
		d.Form.Set(k, r.PostFormValue(k))
	}
	if r.PostFormValue("find") != "" || (d.Form.Get("patient") == "" && strings.TrimSpace(r.PostFormValue("patient_q")) != "") {
		// Find a patient (Find, or Enter in the search field with no patient
		// chosen): the form comes back with the matches, as filled in.
		d.Find, d.PatientQuery = true, strings.TrimSpace(r.PostFormValue("patient_q"))
		if utf8.RuneCountInString(d.PatientQuery) > 100 {
			d.PatientQuery, d.Errors = "", map[string]string{"patient": "Search with at most 100 characters."}
			s.bookPage(w, r, d, http.StatusUnprocessableEntity)
			return
		}
		s.bookPage(w, r, d, http.StatusOK)
		return
	}
	ap := &store.Appointment{Kind: d.Form.Get("kind"), RoomID: d.Form.Get("room"),
		Remote: d.Form.Get("where") == "remote", VideoLink: d.Form.Get("video_link"), Chaperone: d.Form.Get("chaperone")}
	fe := clinic.FieldErrors{}
	patient := d.Form.Get("patient")
	if !store.ValidID(patient) {
		fe.Add("patient", "Choose the patient.")
	}
	if m := strings.TrimSpace(d.Form.Get("minutes")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < clinic.AppointmentMinMinutes || n > clinic.AppointmentMaxMinutes {
			fe.Add("minutes", "Enter a length from 15 to 480 minutes, or leave it empty for the usual length.")
		}
		ap.Minutes = n
	}
	if t, ok := shell.ParseLocal(d.Form.Get("starts_at"), loc); ok {
		ap.StartsAt = t
	} else {
		fe.Add("starts_at", "Enter the date and time, like 2026-12-03 10:00.")
	}
	if len(fe) == 0 {
		err := s.Store.CreateAppointment(r.Context(), s.Actor(r), patient, ap)
		switch clinic.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/calendar?week="+ap.StartsAt.In(loc).Format("2006-01-02")+"&done=booked", http.StatusSeeOther)
			return
		case clinic.EInvalid:
			if e, ok := err.(*clinic.Error); ok && len(e.Fields) > 0 {
				fe = e.Fields
			} else {
				fe.Add("starts_at", clinic.ErrorMessage(err))
			}
		case clinic.ENotFound:
			// Not on the viewer's care team (or no such patient): the same
			// answer either way.
			fe.Add("patient", "Choose one of your patients.")
		default:
			s.Error(w, r, err)
			return
		}
	}
	d.Errors = fe
	s.bookPage(w, r, d, http.StatusUnprocessableEntity)
}

// canBook reports whether the signed-in person books their own
// appointments (a clinician with a caseload).
func canBook(r *http.Request) bool {
	u := shell.SessionFrom(r.Context()).User
	return auth.Can(u.Role, auth.RelNone, auth.PermCaseload)
}
