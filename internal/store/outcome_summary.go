package store

import (
	"context"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
)

// OutcomeSummary is what the outcome summary PDF shows of one patient:
// who they are, their completed check-ins (oldest first), when they were
// dosed, their owning therapist and the practice.
type OutcomeSummary struct {
	Patient   *Patient
	Checkins  []Checkin   // completed only, oldest first
	Dosed     []time.Time // the dose times of discharged dosing sessions, oldest first
	Therapist string      // the owning therapist's name; "" when the case has none
	Practice  PracticeSettings
}

// ExportOutcomeSummary reads one patient's outcome summary for a PDF, for
// whoever may read their chart (auth.PermChart on the patient: their care
// team, or a clinician with emergency access, marked as such); anyone
// else gets ENotFound, audited as denied. The read and its audit row
// (outcome_summary.export) are one transaction, so no summary leaves
// without its row.
func (s *Store) ExportOutcomeSummary(ctx context.Context, actor Actor, patientID string) (*OutcomeSummary, error) {
	out := &OutcomeSummary{}
	err := s.patientAccess(ctx, actor, patientID, auth.PermChart, "outcome_summary.export", func(tx *Tx, _ Access, e *Entry) error {
		var err error
		if out.Patient, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID)); err != nil {
			return err
		}
		all, err := checkins(ctx, tx, patientID, "")
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.Complete {
				out.Checkins = append(out.Checkins, c)
			}
		}
		out.Dosed, err = queryAll(ctx, tx, func(r scanner) (t time.Time, err error) {
			err = r.Scan(&t)
			return t.UTC(), err
		}, `SELECT dose_at FROM dosing_sessions WHERE patient_id = $1 AND status = 'discharged' AND dose_at IS NOT NULL ORDER BY dose_at`, patientID)
		if err != nil {
			return err
		}
		names, err := queryAll(ctx, tx, func(r scanner) (n string, err error) {
			err = r.Scan(&n)
			return n, err
		}, `SELECT u.display_name FROM care_team t JOIN users u ON u.id = t.user_id
			WHERE t.patient_id = $1 AND t.is_owner AND t.removed_at IS NULL ORDER BY t.user_id`, patientID)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			out.Therapist = names[0]
		}
		if out.Practice, err = practiceIn(ctx, tx); err != nil {
			return err
		}
		e.ObjectType, e.Detail = "outcome_summary", "pdf"
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
