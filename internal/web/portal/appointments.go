package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/ical"
	"github.com/kapstone/kapstone/internal/store"
)

// appointmentGuide is what a patient should know before each kind of
// appointment: practical steps, no clinical details. The dosing-day list
// follows clinical/REFERENCE.md section 3 (KAP as reported by Journey
// Clinical; discharge instructions from procedural-sedation norms): a ride
// home arranged, no driving or major decisions until the next day, about
// 2 to 3 hours, eye shades. How long to fast and which medicines to hold
// are the prescriber's call, so the list sends the patient to them.
var appointmentGuide = map[string][]string{
	"preparation": {
		"Think about what you hope for from treatment; your therapist will help you put it into words.",
		"Bring any questions about the dosing day, touch, music or what it may feel like.",
	},
	"dosing": {
		"Follow your prescriber's instructions about eating and drinking beforehand; ask them if you are unsure.",
		"Ask your prescriber which of your usual medicines to take or pause that day.",
		"Arrange a ride home with an adult: no driving, and no major decisions, until the next day.",
		"Keep the rest of the day quiet, with someone you trust nearby if you can.",
		"Wear comfortable clothes; bring an eye mask or headphones if you prefer your own.",
		"The session lasts about 2 to 3 hours; you leave when your team says you are ready.",
	},
	"integration": {
		"Jot down anything from the dosing session you want to talk about: images, feelings, thoughts.",
		"Notice how you have been sleeping and feeling since; there are no wrong answers.",
	},
	"intake": {
		"Allow about an hour somewhere private where you can talk freely.",
		"Have a list of your medicines and supplements, with doses, and of past treatments for your mental health.",
		"Bring your questions: about KAP, costs, or anything else.",
	},
	"medical_evaluation": {
		"Have a list of every medicine and supplement you take, with doses.",
		"Bring any recent test results or records your prescriber asked for.",
		"Write down your health questions so none is forgotten.",
	},
	"follow_up": {
		"Think about how things have been since your last visit; there are no wrong answers.",
	},
	"other": {
		"Your care team will tell you if there is anything to prepare.",
	},
}

type portalAppointment struct {
	store.Appointment
	Guide []string
}

type portalAppointmentsData struct {
	Zone           string
	OwnZone        bool // the patient set their zone (else Zone is the practice\'s)
	Upcoming, Past []portalAppointment
	PastTotal      int    // past appointments in all
	Earlier, Later string // page keys of the past appointments before and after those listed ("": none)
	Contact        practiceContact
}

// PastAppointmentWindow is how many past appointments the portal lists on
// a page, newest first: a patient seen weekly for years has hundreds.
const PastAppointmentWindow = 20

// Appointments shows a patient their upcoming and past
// appointments, with what to prepare for each upcoming one.
func (s *Handlers) Appointments(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, p, ok := s.OwnView(w, r, "appointments.read")
	if !ok {
		return
	}
	defer view.Close()
	ctx := r.Context()
	now := s.Now()
	// Every appointment that may not have ended (the longest lasts
	// clinic.AppointmentMaxMinutes), and a page of the past ones.
	since := now.Add(-clinic.AppointmentMaxMinutes * time.Minute)
	later, err := s.Store.AppointmentsAfter(ctx, s.Actor(r), p.ID, since)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	past, err := s.Store.PastAppointments(ctx, s.Actor(r), p.ID, since, store.PageKey{After: q.Get("after"), Before: q.Get("before"), Limit: PastAppointmentWindow})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var d portalAppointmentsData
	_, d.Zone = s.PatientZone(r, p)
	d.OwnZone = p != nil && p.TimeZone != ""
	d.PastTotal, d.Earlier, d.Later = past.Total, past.Next, past.Prev
	paged := q.Get("after") != "" || q.Get("before") != ""
	for i := len(later) - 1; i >= 0; i-- { // past: newest first
		ap := later[i]
		if !ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute).After(now) {
			d.PastTotal++
			if !paged || d.Later == "" { // on the newest page of the past
				d.Past = append(d.Past, portalAppointment{Appointment: ap})
			}
		}
	}
	for _, ap := range past.Rows {
		d.Past = append(d.Past, portalAppointment{Appointment: ap})
	}
	for _, ap := range later { // upcoming: soonest first
		if ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute).After(now) {
			d.Upcoming = append(d.Upcoming, portalAppointment{Appointment: ap, Guide: appointmentGuide[ap.Kind]})
		}
	}
	if d.Contact, err = s.practiceContact(ctx); err != nil {
		s.Error(w, r, err)
		return
	}
	s.RenderView(w, r, view, http.StatusOK, "appointments", "Your appointments", d)
}

// AppointmentICS downloads one of the patient's own
// appointments as an iCalendar file for their calendar app. It says only
// that there is an appointment with the practice: calendars are often
// synced to other services, so the kind (a dosing session) stays in the
// portal, as in reminder emails.
func (s *Handlers) AppointmentICS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := s.OwnPatient(w, r)
	if !ok {
		return
	}
	ap, err := s.Store.FindAppointment(ctx, s.Actor(r), p.ID, r.PathValue("appointment"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	practice := s.PracticeName(r.Context())
	cal := ical.Calendar{Method: "PUBLISH", Events: []ical.Event{{
		UID:         ap.ID + "@kapstone",
		Start:       ap.StartsAt,
		End:         ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute),
		Summary:     "Appointment with " + practice,
		Description: "Your appointment with " + practice + ". See your portal for how to prepare: " + s.LinkBase(r) + "/portal/appointments",
		Status:      ical.StatusConfirmed,
		Sequence:    ap.Sequence,
		Updated:     ap.ChangedAt,
	}}}
	body, err := cal.Bytes()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="appointment-%s.ics"`, ap.StartsAt.Format("2006-01-02")))
	w.Write(body)
}
