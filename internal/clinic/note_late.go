package clinic

import (
	"strconv"
	"strings"
	"time"
)

// Late notes (issue 16 item 3): an appointment the patient attended whose
// note is not signed (none written, a draft, or waiting for
// co-signature) more than the practice's number of days after it.

// DefaultNoteLateDays is how many days after an appointment its note may
// stay unsigned before it counts as late, unless the practice sets its
// own: 3. This is not a regulation; it is a common practice expectation
// (notes written within a few days while the session is fresh; many
// payers and supervisors ask for 24 to 72 hours). Admins change it in the
// note settings.
const DefaultNoteLateDays = 3

// MaxNoteLateDays bounds the setting: a month.
const MaxNoteLateDays = 31

// CheckNoteLateDays reads the setting as typed: a whole number of days
// from 1 to MaxNoteLateDays. Errors are keyed "late_days".
func CheckNoteLateDays(raw string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 1 || n > MaxNoteLateDays {
		fe := FieldErrors{}
		fe.Add("late_days", "Enter a whole number of days from 1 to "+strconv.Itoa(MaxNoteLateDays)+".")
		return 0, fe.Err()
	}
	return n, nil
}

// dayNumber is the calendar day of t in loc, as a count of days.
func dayNumber(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// NoteLate reports whether the note of an appointment attended at
// startsAt is late at now, and by how many days: a note not signed
// (status NoteDraft, NoteAwaitingCosign, or "" for none written) is late
// from the start of the day after the appointment's day plus days, in the
// practice's zone loc, by calendar days (with days 3, an appointment on a
// Monday is late from Friday 00:00: 1 day late). A signed note is never
// late.
func NoteLate(startsAt, now time.Time, days int, status string, loc *time.Location) (bool, int) {
	if status == NoteSigned {
		return false, 0
	}
	late := dayNumber(now, loc) - (dayNumber(startsAt, loc) + days)
	if late < 1 {
		return false, 0
	}
	return true, late
}

// NoteLateCutoff is the instant before which an attended appointment's
// unsigned note is late at now (NoteLate's rule as a bound for a query):
// the start, in loc, of the day days before today.
func NoteLateCutoff(now time.Time, days int, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d-days, 0, 0, 0, 0, loc)
}
