package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// CalendarEntry is one appointment on a staff calendar. PatientName is
// filled only for the viewer's own patients (their care teams); others
// show as booked, with the clinician and room, so the practice can plan
// without seeing who.
type CalendarEntry struct {
	ID          string
	Kind        string
	StartsAt    time.Time
	Minutes     int
	ClinicianID string
	Clinician   string
	Room        string
	PatientID   string // only with PatientName
	PatientName string
}

// ScheduleMax is the most appointments one calendar window shows: a
// window with more (a practice's busiest week, everyone's) shows the
// first ScheduleMax and says how many more there are, to be seen by
// clinician or by day.
const ScheduleMax = 400

// ScheduleWindow lists the appointments (not cancelled) starting in
// [from, to), of clinicianID or of everyone when it is "", for a staff
// member: the first limit by time (ScheduleMax when limit is 0 or more than
// it), and how many the window holds in all, so a page can say how many it
// does not show. Audited once per look, as the viewer's.
func (s *Store) ScheduleWindow(ctx context.Context, actor Actor, from, to time.Time, clinicianID string, limit int) ([]CalendarEntry, int, error) {
	if limit <= 0 || limit > ScheduleMax {
		limit = ScheduleMax
	}
	var total int
	if !actor.may(auth.PermSchedule) {
		return nil, 0, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []CalendarEntry
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM appointments a
			WHERE a.cancelled_at IS NULL AND a.starts_at >= $1 AND a.starts_at < $2 AND ($3 = '' OR a.clinician_id = $3)`, from.UTC(), to.UTC(), clinicianID).Scan(&total); err != nil {
			return err
		}
		var err error
		out, err = queryAll(ctx, tx, func(r scanner) (e CalendarEntry, err error) {
			err = r.Scan(&e.ID, &e.Kind, &e.StartsAt, &e.Minutes, &e.ClinicianID, &e.Clinician, &e.Room, &e.PatientID, &e.PatientName)
			e.StartsAt = e.StartsAt.UTC()
			return e, err
		}, `SELECT a.id, a.kind, a.starts_at, a.minutes, a.clinician_id, coalesce(u.display_name, ''), coalesce(r.name, ''),
				CASE WHEN ct.user_id IS NULL THEN '' ELSE a.patient_id END, CASE WHEN ct.user_id IS NULL THEN '' ELSE p.display_name END
			FROM appointments a
			JOIN patients p ON p.id = a.patient_id
			LEFT JOIN users u ON u.id = a.clinician_id
			LEFT JOIN rooms r ON r.id = a.room_id
			LEFT JOIN care_team ct ON ct.patient_id = a.patient_id AND ct.user_id = $1 AND ct.removed_at IS NULL
			WHERE a.cancelled_at IS NULL AND a.starts_at >= $2 AND a.starts_at < $3 AND ($4 = '' OR a.clinician_id = $4)
			ORDER BY a.starts_at, u.display_name, a.id LIMIT $5`, actor.UserID, from.UTC(), to.UTC(), clinicianID, limit)
		if err != nil {
			return err
		}
		// One row per patient named on the page, so each patient's access
		// report shows it; the others appear only as "booked".
		seen := map[string]bool{}
		for _, e := range out {
			if e.PatientID == "" || seen[e.PatientID] {
				continue
			}
			seen[e.PatientID] = true
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.read", PatientID: e.PatientID, ObjectType: "calendar", Detail: "from=" + from.UTC().Format("2006-01-02")}); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "calendar.read", ObjectType: "calendar", Detail: "from=" + from.UTC().Format("2006-01-02")})
	})
	return out, total, err
}
