package store

import (
	"context"
	"database/sql"
	"sort"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/measure"
)

// Outcomes is the per-course read as it was before ExportOutcomes streamed
// it: every course that actor may count, read at once into memory, in
// order of patient, instrument and course (the tests' oracle; not in the
// program, whose only per-course reader is ExportOutcomes).
func (s *Store) Outcomes(ctx context.Context, actor Actor, action string, instruments []string) ([]CourseResult, measure.Window, error) {
	perPatient := actor.may(auth.PermCaseload)
	var out []CourseResult
	var w measure.Window
	err := s.outcomeRead(ctx, actor, action, instruments, func(tx *Tx, from, where string, args []any, win measure.Window) error {
		w = win
		now := s.now()
		rows, err := tx.Query(ctx, `SELECT o.patient_id, `+outcomeTherapist+`, o.instrument, o.course, o.scores,
				o.baseline_at, o.baseline_total, o.latest_at, o.latest_total, o.follow_up_at, o.follow_up_total
			`+from+where+` ORDER BY o.patient_id, o.instrument, o.course`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var curPatient, key string
		for rows.Next() {
			var pid string
			var r CourseResult
			var c measure.CourseSummary
			var fuAt nullTime
			var fuTotal sql.NullInt64
			if err := rows.Scan(&pid, &r.Therapist, &r.Instrument, &r.Course, &c.Scores, &c.Baseline.At, &c.Baseline.Total,
				&c.Latest.At, &c.Latest.Total, &fuAt, &fuTotal); err != nil {
				return err
			}
			c.Baseline.At, c.Latest.At = c.Baseline.At.UTC(), c.Latest.At.UTC()
			if fuAt.valid {
				c.FollowUp, c.HasFollowUp = measure.Point{At: fuAt.t, Total: int(fuTotal.Int64)}, true
			}
			o, ok := c.Outcome(r.Instrument, w, now)
			if !ok {
				continue
			}
			if perPatient {
				if pid != curPatient {
					curPatient, key = pid, s.key.MAC("patient", []byte(pid))[:12]
				}
				r.PatientKey = key
			}
			r.Outcome = o
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, w, err
}

// OutcomesByKey is Outcomes in the order the CSV export wrote them when it
// sorted them in memory: by PatientKey, instrument and course, stable.
func (s *Store) OutcomesByKey(ctx context.Context, actor Actor, action string, instruments []string) ([]CourseResult, measure.Window, error) {
	results, w, err := s.Outcomes(ctx, actor, action, instruments)
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.PatientKey != b.PatientKey {
			return a.PatientKey < b.PatientKey
		}
		if a.Instrument != b.Instrument {
			return a.Instrument < b.Instrument
		}
		return a.Course < b.Course
	})
	return results, w, err
}

// SetOutcomeExportPageForTest sets how many courses ExportOutcomes reads at
// a time and has it tell seen the size of every page it reads; it returns a
// func that puts both back.
func SetOutcomeExportPageForTest(n int, seen func(rows int)) func() {
	old, oldSeen := outcomeExportPage, onOutcomeExportPage
	outcomeExportPage, onOutcomeExportPage = n, seen
	return func() { outcomeExportPage, onOutcomeExportPage = old, oldSeen }
}
