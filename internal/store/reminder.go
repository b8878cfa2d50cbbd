package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// JobReminder is the job kind that emails a patient before an appointment.
const JobReminder = "appointment.reminder"

// JobCheckinInvite is the job kind that asks a patient, 24 hours before a
// session, to fill in the check-ins due before it.
const JobCheckinInvite = "checkin.invite"

// CheckinInviteLead is how long before a session the invitation goes out.
const CheckinInviteLead = 24 * time.Hour

// reminderPayload names an appointment and the version of it the reminder
// was scheduled for: a moved appointment's old reminders find a newer
// sequence and send nothing.
type reminderPayload struct {
	Appointment string `json:"appointment"`
	Sequence    int    `json:"sequence"`
}

// scheduleReminders queues the reminders of appointment id (at sequence
// seq, starting at start) inside tx, once each (dedupe keys), at the
// practice's reminder hours (48 and 24 by default). A reminder whose time
// has already passed at booking is skipped.
func (s *Store) scheduleReminders(ctx context.Context, tx *Tx, id, kind string, seq int, start time.Time) error {
	now := s.now()
	b, _ := json.Marshal(reminderPayload{Appointment: id, Sequence: seq})
	hours, err := reminderHoursIn(ctx, tx)
	if err != nil {
		return err
	}
	for _, h := range hours {
		lead := time.Duration(h) * time.Hour
		at := start.Add(-lead)
		if !at.After(now) {
			continue
		}
		key := JobReminder + ":" + id + ":" + strconv.Itoa(seq) + ":" + lead.String()
		if _, err := s.EnqueueIn(ctx, tx, JobReminder, string(b), at, key); err != nil {
			return err
		}
	}
	// Sessions with "before each session" check-ins get an invitation.
	if t, _ := clinic.AppointmentTypeOf(kind); t.Session {
		at := start.Add(-CheckinInviteLead)
		if !at.After(now) {
			return nil
		}
		key := JobCheckinInvite + ":" + id + ":" + strconv.Itoa(seq)
		if _, err := s.EnqueueIn(ctx, tx, JobCheckinInvite, string(b), at, key); err != nil {
			return err
		}
	}
	return nil
}

// Reminder is what a reminder email needs: where to send it and when the
// appointment is, and the zone to say it in: the patient's, or the practice's
// when the patient has none. No kind, no clinician.
type Reminder struct {
	Email    string
	StartsAt time.Time
	Zone     string
}

// ReminderToSend reads the reminder a job's payload stands for. It answers
// nil (nothing to send) when the appointment was cancelled, moved since,
// has begun, or the patient has no email or turned reminders off. Reading
// the patient's address is audited as the system's, in the same
// transaction.
func (s *Store) ReminderToSend(ctx context.Context, payload string) (*Reminder, error) {
	return s.reminderToSend(ctx, payload, false)
}

// CheckinInviteToSend is ReminderToSend for a check-in invitation: it also
// needs a portal account and a "before each session" check-in assigned.
func (s *Store) CheckinInviteToSend(ctx context.Context, payload string) (*Reminder, error) {
	return s.reminderToSend(ctx, payload, true)
}

func (s *Store) reminderToSend(ctx context.Context, payload string, checkins bool) (*Reminder, error) {
	var p reminderPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Appointment == "" {
		return nil, errors.New("reminder: unreadable payload")
	}
	var out *Reminder
	err := s.write(ctx, func(tx *Tx) error {
		var r Reminder
		var patientID string
		var seq int
		var cancelled, off sql.NullTime
		err := tx.QueryRow(ctx, `SELECT a.patient_id, a.starts_at, a.sequence, a.cancelled_at, p.email, p.time_zone, p.reminders_off_at
			FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.id = $1 AND p.archived_at IS NULL`, p.Appointment).
			Scan(&patientID, &r.StartsAt, &seq, &cancelled, &r.Email, &r.Zone, &off)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		r.StartsAt = r.StartsAt.UTC()
		if cancelled.Valid || off.Valid || seq != p.Sequence || r.Email == "" || !r.StartsAt.After(s.now()) {
			return nil
		}
		action := "reminder.send"
		if checkins {
			action = "checkin.invite"
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM measure_assignments m JOIN patients p ON p.id = m.patient_id
				WHERE m.patient_id = $1 AND m.cadence = 'before_session' AND m.ended_at IS NULL AND p.user_id IS NOT NULL`, patientID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
		}
		if r.Zone == "" { // the patient has not said: the practice's zone
			if r.Zone, err = settingIn(ctx, tx, "time_zone", ""); err != nil {
				return err
			}
		}
		out = &r
		return s.appendAudit(ctx, tx, System, Entry{Action: action, PatientID: patientID, ObjectType: "appointment", ObjectID: p.Appointment})
	})
	return out, err
}

// RemindersOn says whether the patient actor gets reminder emails. A
// patient account without a patient record (or whose record is archived)
// is answered ENotFound, never a bare "no rows".
func (s *Store) RemindersOn(ctx context.Context, actor Actor) (bool, error) {
	if !actor.may(auth.PermPortal) {
		return false, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var off sql.NullTime
	err := s.read(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT reminders_off_at FROM patients WHERE user_id = $1 AND archived_at IS NULL`, actor.UserID).Scan(&off)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find your patient record.")
		}
		return err
	})
	return err == nil && !off.Valid, err
}

// SetReminders turns the patient actor's reminder emails on or off.
// Audited.
func (s *Store) SetReminders(ctx context.Context, actor Actor, on bool) error {
	p, err := s.FindOwnPatient(ctx, actor)
	if err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, p.ID, auth.PermProfile, "reminders.set", func(tx *Tx, a Access, e *Entry) error {
		var v any
		if !on {
			v = s.now()
		}
		e.Detail = "on=" + strconv.FormatBool(on)
		_, err := tx.Exec(ctx, `UPDATE patients SET reminders_off_at = $1 WHERE id = $2`, v, p.ID)
		return err
	})
}
