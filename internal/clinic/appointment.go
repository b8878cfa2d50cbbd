package clinic

import "strings"

// AppointmentType is a kind of appointment on the KAP pathway, with the
// length a practice books it for unless it sets its own.
type AppointmentType struct {
	Kind    string // stored value
	Title   string // for people
	Minutes int    // default length
	// Session marks the KAP sessions (preparation, dosing, integration):
	// check-ins set to "before each session" are due before them, and the
	// patient is invited to fill them in the day before.
	Session bool
}

// AppointmentTypes lists the kinds of appointment in pathway order, with
// their default lengths (issue 6): intake and screening 60 minutes, the
// prescriber's medical evaluation 45, preparation 50, dosing about 3 hours
// (REFERENCE.md section 3: a session runs about 2 to 3 hours including
// recovery), integration 50, follow-up 50.
var AppointmentTypes = []AppointmentType{
	{Kind: "intake", Title: "Intake / screening", Minutes: 60},
	{Kind: "medical_evaluation", Title: "Medical evaluation", Minutes: 45},
	{Kind: "preparation", Title: "Preparation", Minutes: 50, Session: true},
	{Kind: "dosing", Title: "Dosing session", Minutes: 180, Session: true},
	{Kind: "integration", Title: "Integration", Minutes: 50, Session: true},
	{Kind: "follow_up", Title: "Follow-up", Minutes: 50},
	{Kind: "other", Title: "Other", Minutes: 50},
}

// AppointmentMinMinutes and AppointmentMaxMinutes bound an appointment's
// length.
const (
	AppointmentMinMinutes = 15
	AppointmentMaxMinutes = 480
)

// AppointmentTypeOf returns the type of kind, and whether it is known.
func AppointmentTypeOf(kind string) (AppointmentType, bool) {
	for _, t := range AppointmentTypes {
		if t.Kind == kind {
			return t, true
		}
	}
	return AppointmentType{}, false
}

// AppointmentTitle is a kind's name for people ("" for an unknown kind).
func AppointmentTitle(kind string) string {
	t, _ := AppointmentTypeOf(kind)
	return t.Title
}

// SessionKinds lists the kinds that are KAP sessions, as a quoted SQL
// list: 'preparation', 'dosing', 'integration'.
func SessionKinds() string {
	var q []string
	for _, t := range AppointmentTypes {
		if t.Session {
			q = append(q, "'"+t.Kind+"'")
		}
	}
	return strings.Join(q, ", ")
}
