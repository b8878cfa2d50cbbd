package account

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/ical"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// accountSections fills in the role-specific parts of the account page:
// reminder emails for patients; working hours, time off and the calendar
// feed for clinicians.
func (s *Handlers) accountSections(r *http.Request, d *accountData) error {
	u := shell.SessionFrom(r.Context()).User
	if auth.Can(u.Role, auth.RelNone, auth.PermPortal) {
		on, err := s.Store.RemindersOn(r.Context(), s.Actor(r))
		if clinic.ErrorCode(err) == clinic.ENotFound {
			// A patient account with no patient record (not linked yet,
			// or archived): no reminders to turn on or off, the rest of
			// the account page as usual.
			return nil
		}
		d.Patient, d.RemindersOn = true, on
		return err
	}
	if !auth.Can(u.Role, auth.RelNone, auth.PermCaseload) {
		return nil
	}
	d.Clinician = true
	f, err := s.Store.ActiveCalendarFeed(r.Context(), s.Actor(r))
	if err != nil {
		return err
	}
	d.Feed = f
	hours, err := s.Store.WorkingHours(r.Context(), s.Actor(r))
	if err != nil {
		return err
	}
	for i := 0; i < 7; i++ {
		wd := time.Weekday((i + 1) % 7)
		row := hoursRow{Weekday: wd, Key: strings.ToLower(wd.String()[:3]), Start: "09:00", End: "17:00"}
		for _, h := range hours {
			if h.Weekday == wd {
				row.Works, row.Start, row.End = true, minutesClock(h.Start), minutesClock(h.End)
			}
		}
		if d.Form != nil && d.Form.Get("form") == "hours" { // show what was typed
			row.Works, row.Start, row.End = d.Form.Get("works_"+row.Key) == "yes", d.Form.Get("start_"+row.Key), d.Form.Get("end_"+row.Key)
		}
		d.Days = append(d.Days, row)
	}
	d.Loc, d.Zone = s.PracticeZone(r)
	d.TimeOff, err = s.Store.TimeOffList(r.Context(), s.Actor(r))
	return err
}

// hoursRow is one weekday on the working-hours form.
type hoursRow struct {
	Weekday    time.Weekday
	Key        string // "mon" …
	Works      bool
	Start, End string // "09:00"
}

func minutesClock(m int) string {
	if m == 1440 {
		return "24:00"
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// clockMinutes reads "09:30" as minutes from midnight ("24:00" is 1440).
func clockMinutes(v string) (int, bool) {
	var h, m int
	if n, err := fmt.Sscanf(strings.TrimSpace(v), "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// Hours saves the signed-in clinician's working hours.
func (s *Handlers) Hours(w http.ResponseWriter, r *http.Request) {
	var hours []store.Hours
	fe := clinic.FieldErrors{}
	for i := 0; i < 7; i++ {
		wd := time.Weekday(i)
		key := strings.ToLower(wd.String()[:3])
		if r.PostFormValue("works_"+key) != "yes" {
			continue
		}
		a, ok1 := clockMinutes(r.PostFormValue("start_" + key))
		b, ok2 := clockMinutes(r.PostFormValue("end_" + key))
		if !ok1 || !ok2 {
			fe.Add("hours_"+key, "Enter times like 09:00 and 17:30.")
			continue
		}
		hours = append(hours, store.Hours{Weekday: wd, Start: a, End: b})
	}
	err := fe.Err()
	if err == nil {
		err = s.Store.SetWorkingHours(r.Context(), s.Actor(r), hours)
	}
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.accountPage(w, r, accountData{Errors: e.Fields, Form: r.PostForm}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=hours#hours", http.StatusSeeOther)
}

// TimeOff adds a span of whole days away, in the practice's zone.
func (s *Handlers) TimeOff(w http.ResponseWriter, r *http.Request) {
	loc, _ := s.PracticeZone(r)
	t := &store.TimeOff{Note: r.PostFormValue("off_note")}
	if from, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.PostFormValue("off_from")), loc); err == nil {
		t.Start = from
	}
	if to, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.PostFormValue("off_to")), loc); err == nil {
		t.End = clinic.LocalTime(loc, to.Year(), to.Month(), to.Day()+1, 0, 0, 0) // through the last day
	}
	err := s.Store.AddTimeOff(r.Context(), s.Actor(r), t)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.accountPage(w, r, accountData{Errors: e.Fields, Form: r.PostForm}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=time-off#hours", http.StatusSeeOther)
}

func (s *Handlers) TimeOffDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteTimeOff(r.Context(), s.Actor(r), r.PathValue("off")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=time-off#hours", http.StatusSeeOther)
}

// CalendarFeedCreate makes a new private feed link for the signed-in
// clinician (revoking the old one) and shows it once: only its hash is kept.
func (s *Handlers) CalendarFeedCreate(w http.ResponseWriter, r *http.Request) {
	token := auth.NewToken()
	if err := s.Store.CreateCalendarFeed(r.Context(), s.Actor(r), auth.HashToken(token)); err != nil {
		s.Error(w, r, err)
		return
	}
	s.accountPage(w, r, accountData{
		FeedURL: s.LinkBase(r) + "/calendar/" + token,
		Notice:  "Your new calendar feed is ready. Copy its link now: it will not be shown again.",
	}, http.StatusOK)
}

func (s *Handlers) CalendarFeedRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.RevokeCalendarFeed(r.Context(), s.Actor(r)); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=feed-off#calendar", http.StatusSeeOther)
}

// CalendarFeed serves a clinician's appointments to their calendar
// app. The secret link is the credential (calendar apps cannot sign in);
// events carry the patient's initials and the kind of appointment only.
func (s *Handlers) CalendarFeed(w http.ResponseWriter, r *http.Request) {
	owner, events, err := s.Store.CalendarFeedEvents(r.Context(), auth.HashToken(r.PathValue("token")))
	if err != nil {
		if clinic.ErrorCode(err) == clinic.ENotFound {
			http.Error(w, "No such calendar. Its link may have been replaced or turned off; make a new one under Your account.", http.StatusNotFound)
			return
		}
		s.Error(w, r, err)
		return
	}
	practice := s.PracticeName(r.Context())
	cal := ical.Calendar{Name: practice + " (" + owner + ")", Method: "PUBLISH", Events: feedEvents(events, s.LinkBase(r))}
	body, err := cal.Bytes()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Write(body)
}

// feedEvents turns a clinician's appointments into calendar events.
func feedEvents(list []store.FeedEvent, base string) []ical.Event {
	out := make([]ical.Event, 0, len(list))
	for _, ap := range list {
		ev := ical.Event{
			UID:         ap.ID + "@kapstone",
			Start:       ap.StartsAt,
			End:         ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute),
			Summary:     ap.Initials + " · " + clinic.AppointmentTitle(ap.Kind),
			Description: "Open kapstone for details: " + base + "/patients",
			Status:      ical.StatusConfirmed,
			Sequence:    ap.Sequence,
			Updated:     ap.ChangedAt,
		}
		if ap.Cancelled {
			ev.Status = ical.StatusCancelled
		}
		out = append(out, ev)
	}
	return out
}

// Reminders turns the patient's appointment reminder emails on or off.
func (s *Handlers) Reminders(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("reminders") == "on"
	if err := s.Store.SetReminders(r.Context(), s.Actor(r), on); err != nil {
		s.Error(w, r, err)
		return
	}
	done := "reminders-off"
	if on {
		done = "reminders-on"
	}
	http.Redirect(w, r, "/account?done="+done+"#reminders", http.StatusSeeOther)
}
