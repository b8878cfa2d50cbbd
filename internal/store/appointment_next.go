package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
)

// NextAppointment is patientID's next booked appointment (the first not
// yet over; nil when none), for the portal home: it reads the
// appointments from the longest appointment ago on, not every one of the
// patient's years. Same access as Appointments; audited as
// appointments.read (next), or named so in an open view.
func (s *Store) NextAppointment(ctx context.Context, actor Actor, patientID string) (*Appointment, error) {
	var next *Appointment
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "appointments.read", func(tx *Tx, a Access, e *Entry) error {
		e.Detail = "next"
		now := s.now()
		list, err := queryAll(ctx, tx, scanAppointment, `SELECT `+appointmentColumns+appointmentFrom+`
			WHERE a.patient_id = $1 AND a.cancelled_at IS NULL AND a.starts_at > $2 ORDER BY a.starts_at, a.id LIMIT 50`, patientID, now.Add(-maxAppointment))
		for i := range list { // oldest first: the first not yet over is the next
			if ap := list[i]; ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute).After(now) {
				next = &list[i]
				break
			}
		}
		return err
	})
	return next, err
}
