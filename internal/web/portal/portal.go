package portal

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// practiceContact is how a patient reaches the practice about an
// appointment: its phone (with a tel: link) and email, from the practice
// settings; either may be empty.
type practiceContact struct {
	Name      string
	Phone     string
	PhoneHref template.URL // tel: link; html/template would blank a tel: URL given as a string
	Email     string
}

// Any reports whether the practice gave a phone or an email.
func (c practiceContact) Any() bool { return c.Phone != "" || c.Email != "" }

// telHref is the tel: link of a phone number the practice settings
// accepted (digits, spaces, + - ( ) . and an x before an extension): the
// leading + and the digits before any extension.
func telHref(phone string) template.URL {
	number, _, _ := strings.Cut(strings.ToLower(phone), "x")
	var b strings.Builder
	for i, c := range strings.TrimSpace(number) {
		if c >= '0' && c <= '9' || c == '+' && i == 0 {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

func (s *Handlers) practiceContact(ctx context.Context) (practiceContact, error) {
	ps, err := s.Store.Practice(ctx)
	if err != nil {
		return practiceContact{}, err
	}
	c := practiceContact{Name: ps.Name, Phone: ps.Phone, Email: ps.Email}
	if c.Phone != "" {
		c.PhoneHref = telHref(c.Phone)
	}
	return c, nil
}

// consentPrompt is a consent the portal home asks the patient to read and
// sign: the KAP informed consent never signed, or any kind whose newer
// version asks for consent again (Again).
type consentPrompt struct {
	Kind, Title string
	Again       bool
}

type portalData struct {
	ToSign  []consentPrompt
	Patient *store.Patient
	Team    []store.TeamMember
	Zone    string
	Next    *portalAppointment // the next appointment, with what to prepare
	Prep    *shell.PrepView    // the preparation record, for a dosing or preparation session next
	Due     []checkinLink      // check-ins to do now
	Contact practiceContact
	Latest  *latestScore // the latest check-in score, in words; nil when none

	// Places for the rest of issue 17, hidden while empty (wired by the
	// messages and safety plan parts): SafetyPlanURL is the patient's
	// safety plan page, shown beside the crisis lines; MessagesURL is
	// their messages, with UnreadMessages new ones.
	SafetyPlanURL  string
	MessagesURL    string
	UnreadMessages int
}

// latestScore is the patient's most recent check-in score, for the
// portal home's "your progress".
type latestScore struct {
	Name  string    // "PHQ-9"
	Total int       // the score
	Band  string    // its severity band, in lower case ("mild")
	At    time.Time // when it was completed
	Day   string    // the day it was completed, in the patient's zone ("Thursday, December 3")
}

// latestOf is the most recent completed check-in of checkins (oldest
// first) that has a score to show: the risk screen is left out.
func latestOf(checkins []store.Checkin) *latestScore {
	for i := len(checkins) - 1; i >= 0; i-- {
		c := checkins[i]
		inst, ok := measure.Get(c.Instrument)
		if !ok || c.Instrument == "risk" {
			continue
		}
		return &latestScore{Name: inst.Name, Total: c.Total, Band: strings.ToLower(c.Band), At: c.CompletedAt}
	}
	return nil
}

// PlanFor reports whether the next appointment is one the preparation
// record is for: a dosing session, or the preparation session before one.
func (d portalData) PlanFor() bool {
	return d.Next != nil && (d.Next.Kind == "dosing" || d.Next.Kind == "preparation")
}

// Home is the patient's home: their next appointment and what to prepare
// for it, the check-ins due (each with a button to start it), their care
// team and how to reach the practice, and where to go next.
func (s *Handlers) Home(w http.ResponseWriter, r *http.Request) {
	actor := s.Actor(r)
	// The whole page reads in one transaction and is audited in one row
	// naming what it showed, written before the page is sent (store.View).
	r, view, own, ok := s.OwnView(w, r, "portal.read")
	if !ok {
		return
	}
	defer view.Close()
	ctx := r.Context()
	p, _, err := s.Store.FindPatient(ctx, actor, own.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := portalData{Patient: p}
	if d.Team, err = s.Store.CareTeam(ctx, actor, p.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	loc, zone := s.PatientZone(r, p)
	d.Zone = zone
	next, err := s.Store.NextAppointment(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if next != nil {
		d.Next = &portalAppointment{Appointment: *next, Guide: appointmentGuide[next.Kind]}
	}
	if d.PlanFor() {
		prep, err := s.Store.Preparation(ctx, actor, p.ID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		d.Prep = &shell.PrepView{}
		if prep != nil {
			d.Prep.Preparation = *prep
		}
	}
	// Where the patient stands: the latest of each questionnaire, not
	// every check-in of the years (the progress page shows those).
	m, err := s.Store.FindLatestMeasures(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Latest = latestOf(m.Checkins); d.Latest != nil {
		d.Latest.Day = d.Latest.At.In(loc).Format("Monday, January 2")
	}
	if d.Due, _, err = s.checkinLinks(r, m); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Contact, err = s.practiceContact(ctx); err != nil {
		s.Error(w, r, err)
		return
	}
	// Consents to sign: the KAP informed consent before dosing, and any
	// kind the practice asked everyone to consent to again. A consent the
	// patient withdrew is theirs to give again, not to be asked for here.
	consents, err := s.Store.PatientConsents(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, c := range consents {
		switch {
		case c.Status() == clinic.ConsentReconsent:
			d.ToSign = append(d.ToSign, consentPrompt{Kind: c.Kind, Title: c.Title, Again: true})
		case c.Kind == clinic.ConsentKAP && c.Status() == clinic.ConsentNotSigned:
			d.ToSign = append(d.ToSign, consentPrompt{Kind: c.Kind, Title: c.Title})
		}
	}
	// Messages with the care team (issue 17): how many are new.
	if d.UnreadMessages, err = s.Store.PatientUnreadMessages(ctx, actor, p.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	d.MessagesURL = "/portal/messages"
	// The safety plan, beside the crisis lines, once there is one.
	has, _, err := s.Store.SafetyPlanExists(ctx, actor, p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if has {
		d.SafetyPlanURL = "/portal/safety-plan"
	}
	s.RenderView(w, r, view, http.StatusOK, "portal", "Your portal", d)
}

type accessReportData struct {
	Rows []store.AccessReportRow
}

// AccessReport shows a patient who has looked at or changed their record.
func (s *Handlers) AccessReport(w http.ResponseWriter, r *http.Request) {
	// One read transaction and one audit row for the page (store.View).
	r, view, ok := s.ownView(w, r, "access_report.read")
	if !ok {
		return
	}
	defer view.Close()
	rows, err := s.Store.AccessReport(r.Context(), s.Actor(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.RenderView(w, r, view, http.StatusOK, "access_report", "Who has seen your record", accessReportData{Rows: rows})
}
