package clinic

import (
	"strings"
	"time"
)

// A remote dosing session's chaperone (issue 20, part 4): the adult with
// the patient at home checks on them every ChaperoneCheckMinutes and
// reports on a page the clinician's link opens. These are kapstone's
// defaults, not figures from a source (REFERENCE §3 reports the 15-minute
// check as practised; the grace and the link's life are ours).
const (
	// ChaperoneGraceMinutes is how late a check-in may be before the
	// clinician is alerted that it was missed.
	ChaperoneGraceMinutes = 5
	// ChaperoneLinkHours is how long a chaperone link works at most (it
	// ends sooner at discharge, or when revoked).
	ChaperoneLinkHours = 12
)

// What a chaperone's entry on the timeline is: a dosing event of kind
// "check" whose action is one of these. A check the clinician records
// (told by phone) has no such action.
const (
	ChaperoneCheckIn = "chaperone:checkin"
	ChaperoneHelp    = "chaperone:help"
	ChaperoneMissed  = "chaperone:missed"
)

// ChaperoneAlarm reports whether an event's action is a help request or a
// missed check-in: on the timeline, but not a check of the patient.
func ChaperoneAlarm(action string) bool {
	return action == ChaperoneHelp || action == ChaperoneMissed
}

// ChaperoneDue is when the next check is due after the dose at doseAt and
// the checks at checks (any order), and whether it is late now: a check is
// due ChaperoneCheckMinutes after the later of the dose and the last check;
// missed is set once ChaperoneGraceMinutes more have passed.
func ChaperoneDue(doseAt time.Time, checks []time.Time, now time.Time) (due time.Time, late, missed bool) {
	last := doseAt
	for _, c := range checks {
		if c.After(last) {
			last = c
		}
	}
	due = last.Add(ChaperoneCheckMinutes * time.Minute)
	return due, !now.Before(due), !now.Before(due.Add(ChaperoneGraceMinutes * time.Minute))
}

// ChaperoneAnswers is one check-in: is the patient responsive, breathing
// normally, and is there any concern.
type ChaperoneAnswers struct {
	Responsive, Breathing, Concern bool
	Note                           string
}

// Worrying reports whether a check-in calls for the clinician now.
func (a ChaperoneAnswers) Worrying() bool { return !a.Responsive || !a.Breathing || a.Concern }

// Words are the check-in as the timeline shows it.
func (a ChaperoneAnswers) Words() string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	out := "Responsive: " + yn(a.Responsive) + ". Breathing normally: " + yn(a.Breathing) + ". Any concern: " + yn(a.Concern) + "."
	if n := strings.TrimSpace(a.Note); n != "" {
		out += " Note: " + n
	}
	return out
}

// FirstName is the first word of a display name: all a chaperone page
// shows of the patient.
func FirstName(name string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return f
}
