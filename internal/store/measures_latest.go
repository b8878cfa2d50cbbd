package store

import (
	"context"

	"github.com/kapstone/kapstone/internal/auth"
)

// FindLatestMeasures is FindMeasures for a page that shows only where the
// patient stands (the portal home): the assignments, the check-ins in
// progress, and of the completed ones only the latest of each
// questionnaire (oldest first), so its cost does not grow with the years
// of weekly check-ins a patient has. Same access as FindMeasures; audited
// as measures.read (latest), or named so in an open view.
func (s *Store) FindLatestMeasures(ctx context.Context, actor Actor, patientID string) (*Measures, error) {
	m := &Measures{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "measures.read", func(tx *Tx, a Access, e *Entry) error {
		e.Detail = "latest"
		var err error
		if m.Assignments, err = s.assignments(ctx, tx, patientID); err != nil {
			return err
		}
		// The in-progress ones, and the completed one at each
		// questionnaire's latest completion (checkins_patient's order).
		all, err := checkinRows(ctx, tx, `SELECT c.id, c.instrument, c.status, c.answers, c.total, c.band, c.risk, c.started_at, c.completed_at, coalesce(c.course_id, '')
			FROM checkins c WHERE c.patient_id = $1 AND c.status <> 'complete'
			UNION ALL
			SELECT c.id, c.instrument, c.status, c.answers, c.total, c.band, c.risk, c.started_at, c.completed_at, coalesce(c.course_id, '')
			FROM checkins c JOIN (SELECT instrument, max(completed_at) AS at FROM checkins
				WHERE patient_id = $1 AND status = 'complete' GROUP BY instrument) l ON l.instrument = c.instrument AND l.at = c.completed_at
			WHERE c.patient_id = $1 AND c.status = 'complete'
			ORDER BY 9, 8, 1`, patientID)
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.Complete {
				m.Checkins = append(m.Checkins, c)
			} else {
				m.InProgress = append(m.InProgress, c)
			}
		}
		return nil
	})
	return m, err
}

// checkinRows reads check-ins selected by q, whose columns are
// checkinColumns (scanCheckin, checkin.go).
func checkinRows(ctx context.Context, tx *Tx, q string, args ...any) ([]Checkin, error) {
	return queryAll(ctx, tx, scanCheckin, q, args...)
}
