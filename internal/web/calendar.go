package web

import (
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/ical"
	"github.com/kapstone/kapstone/internal/store"
)

// accountFeed fills in the calendar feed part of the account page.
func (s *Server) accountFeed(r *http.Request, d *accountData) error {
	u := sessionFrom(r.Context()).User
	if u.Role == clinic.RolePatient {
		d.Patient = true
		on, err := s.store.RemindersOn(r.Context(), s.actor(r))
		d.RemindersOn = on
		return err
	}
	if u.Role != clinic.RoleTherapist && u.Role != clinic.RolePrescriber {
		return nil
	}
	d.Clinician = true
	f, err := s.store.ActiveCalendarFeed(r.Context(), s.actor(r))
	d.Feed = f
	return err
}

// handleCalendarFeedCreate makes a new private feed link for the signed-in
// clinician (revoking the old one) and shows it once: only its hash is kept.
func (s *Server) handleCalendarFeedCreate(w http.ResponseWriter, r *http.Request) {
	token := auth.NewToken()
	if err := s.store.CreateCalendarFeed(r.Context(), s.actor(r), auth.HashToken(token)); err != nil {
		s.error(w, r, err)
		return
	}
	sess := sessionFrom(r.Context())
	list, err := s.store.ListSessions(r.Context(), sess.User.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	left, err := s.store.CountRecoveryCodes(r.Context(), sess.User.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := accountData{Session: sess, Sessions: list, Idle: humanDuration(s.idleLimit(sess.User.Role)), RecoveryLeft: left}
	if err := s.accountFeed(r, &d); err != nil {
		s.error(w, r, err)
		return
	}
	d.FeedURL = s.linkBase(r) + "/calendar/" + token
	d.Notice = "Your new calendar feed is ready. Copy its link now: it will not be shown again."
	s.render(w, r, http.StatusOK, "account", "Your account", d)
}

func (s *Server) handleCalendarFeedRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.store.RevokeCalendarFeed(r.Context(), s.actor(r)); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=feed-off#calendar", http.StatusSeeOther)
}

// handleCalendarFeed serves a clinician's appointments to their calendar
// app. The secret link is the credential (calendar apps cannot sign in);
// events carry the patient's initials and the kind of appointment only.
func (s *Server) handleCalendarFeed(w http.ResponseWriter, r *http.Request) {
	owner, events, err := s.store.CalendarFeedEvents(r.Context(), auth.HashToken(r.PathValue("token")))
	if err != nil {
		if clinic.ErrorCode(err) == clinic.ENotFound {
			http.Error(w, "No such calendar. Its link may have been replaced or turned off; make a new one under Your account.", http.StatusNotFound)
			return
		}
		s.error(w, r, err)
		return
	}
	practice := s.practiceName(r.Context())
	cal := ical.Calendar{Name: practice + " (" + owner + ")", Method: "PUBLISH"}
	for _, ev := range feedEvents(events, s.linkBase(r)) {
		cal.Events = append(cal.Events, ev)
	}
	body, err := cal.Bytes()
	if err != nil {
		s.error(w, r, err)
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
			Summary:     ap.Initials + " · " + kindTitle(ap.Kind),
			Description: "Open kapstone for details: " + base + "/patients",
			Status:      ical.StatusConfirmed,
			Sequence:    ap.Sequence,
			Updated:     ap.StartsAt,
		}
		if ap.Cancelled {
			ev.Status = ical.StatusCancelled
		}
		out = append(out, ev)
	}
	return out
}

// handleReminders turns the patient's appointment reminder emails on or off.
func (s *Server) handleReminders(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("reminders") == "on"
	if err := s.store.SetReminders(r.Context(), s.actor(r), on); err != nil {
		s.error(w, r, err)
		return
	}
	done := "reminders-off"
	if on {
		done = "reminders-on"
	}
	http.Redirect(w, r, "/account?done="+done+"#reminders", http.StatusSeeOther)
}
