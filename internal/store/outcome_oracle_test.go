package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// OutcomesFromCheckinsForTest is the outcomes dashboard's computation as
// it was before the outcome_courses summary (migration 0044): every
// completed check-in of the practice, streamed and grouped by course, each
// course given to measure.FollowUp. Kept as the oracle the summary's
// answers are compared with (outcome_courses_test.go).
// Outcomes returns the outcome of every course on each of instruments that
// actor may count (all patients for an admin, the patients on their care
// teams for a clinician), without names, and the practice's follow-up
// window it used: each course's baseline is its own first score, and its
// follow-up the latest score inside the window (measure.FollowUp, at the
// store's now). It reads every counted score in one query, ordered by
// course, and keeps only one course's scores at a time. PatientKey is
// empty for an actor without a caseload (auth.PermCaseload): an
// administrator counts courses, but cannot tell whose. Audited with
// action (outcomes.read for the dashboard, outcomes.export for the CSV).
func (s *Store) OutcomesFromCheckinsForTest(ctx context.Context, actor Actor, action string, instruments []string) ([]CourseResult, measure.Window, error) {
	var args []any
	var scope string
	// Only someone with a caseload gets each course's pseudonymous patient
	// key; anyone else (an administrator) gets courses to count, keyless.
	perPatient := actor.may(auth.PermCaseload)
	switch {
	case actor.may(auth.PermDirectory):
	case actor.may(auth.PermCaseload):
		scope = ` AND EXISTS (SELECT 1 FROM care_team t WHERE t.patient_id = c.patient_id AND t.user_id = $1 AND t.removed_at IS NULL)`
		args = append(args, actor.UserID)
	default:
		return nil, measure.Window{}, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var in []string
	for _, id := range instruments {
		args = append(args, id)
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	if len(in) == 0 {
		return nil, measure.Window{}, nil
	}
	q := `SELECT c.patient_id, coalesce(u.display_name, ''), c.instrument, coalesce(k.number, 1), c.total, c.completed_at
		FROM checkins c
		JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
		LEFT JOIN courses k ON k.id = c.course_id
		LEFT JOIN care_team o ON o.patient_id = c.patient_id AND o.is_owner AND o.removed_at IS NULL
		LEFT JOIN users u ON u.id = o.user_id
		WHERE c.status = 'complete' AND c.instrument IN (` + strings.Join(in, ", ") + `)` + scope + `
		ORDER BY c.patient_id, c.instrument, coalesce(k.number, 1), c.completed_at, c.id`
	var out []CourseResult
	var w measure.Window
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if w, err = outcomeWindowIn(ctx, tx); err != nil {
			return err
		}
		now := s.now()
		var cur CourseResult
		var curPatient string
		var pts []measure.Point
		flush := func() {
			if len(pts) == 0 {
				return
			}
			if o, ok := measure.FollowUp(cur.Instrument, pts, w, now); ok {
				cur.Outcome = o
				out = append(out, cur)
			}
			pts = pts[:0]
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var pid, therapist, inst string
			var course, total int
			var at time.Time
			if err := rows.Scan(&pid, &therapist, &inst, &course, &total, &at); err != nil {
				rows.Close()
				return err
			}
			if pid != curPatient || inst != cur.Instrument || course != cur.Course {
				flush()
				if pid != curPatient && perPatient {
					cur.PatientKey = s.key.MAC("patient", []byte(pid))[:12]
				}
				curPatient, cur.Therapist, cur.Instrument, cur.Course = pid, therapist, inst, course
			}
			pts = append(pts, measure.Point{At: at.UTC(), Total: total})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		flush()
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "outcomes"})
	})
	return out, w, err
}

// OutcomeCoursesAgreeForTest compares every row of outcome_courses with
// its course summarized again from the completed check-ins
// (measure.Summarize, with the practice's window): the same courses, and
// for each the same count, baseline, latest and follow-up (with their
// check-in ids), the window and the quarter. It returns what differs.
func OutcomeCoursesAgreeForTest(ctx context.Context, s *Store) ([]string, error) {
	var diffs []string
	err := s.read(ctx, func(tx *Tx) error {
		w, err := outcomeWindowIn(ctx, tx)
		if err != nil {
			return err
		}
		type score struct {
			key string
			id  string
			measure.Point
		}
		scores, err := queryAll(ctx, tx, func(r scanner) (sc score, err error) {
			var pid, inst string
			var course int
			err = r.Scan(&pid, &inst, &course, &sc.id, &sc.At, &sc.Total)
			sc.key, sc.At = pid+"/"+inst+"/"+strconv.Itoa(course), sc.At.UTC()
			return sc, err
		}, `SELECT c.patient_id, c.instrument, coalesce(k.number, 1), c.id, c.completed_at, c.total
			FROM checkins c LEFT JOIN courses k ON k.id = c.course_id WHERE c.status = 'complete'
			ORDER BY c.patient_id, c.instrument, coalesce(k.number, 1), c.completed_at, c.id`)
		if err != nil {
			return err
		}
		want := map[string]string{}
		for i := 0; i < len(scores); {
			j := i
			var pts []measure.Point
			for ; j < len(scores) && scores[j].key == scores[i].key; j++ {
				pts = append(pts, scores[j].Point)
			}
			sum, _ := measure.Summarize(pts, w)
			fu := "none"
			if sum.HasFollowUp {
				for k := j - 1; k > i; k-- {
					if scores[k].At.Equal(sum.FollowUp.At) {
						fu = scores[k].id + "@" + sum.FollowUp.At.Format(time.RFC3339Nano) + "=" + strconv.Itoa(sum.FollowUp.Total)
						break
					}
				}
			}
			want[scores[i].key] = fmt.Sprintf("n=%d b=%s@%s=%d l=%s@%s=%d fu=%s w=%s q=%s", sum.Scores,
				scores[i].id, sum.Baseline.At.Format(time.RFC3339Nano), sum.Baseline.Total,
				scores[j-1].id, sum.Latest.At.Format(time.RFC3339Nano), sum.Latest.Total, fu, w, sum.Period(w))
			i = j
		}
		got := map[string]string{}
		rows, err := tx.Query(ctx, `SELECT patient_id, instrument, course, scores, baseline_id, baseline_at, baseline_total,
			latest_id, latest_at, latest_total, window_weeks, follow_up_id, follow_up_at, follow_up_total, period FROM outcome_courses`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pid, inst, bID, lID, label, period string
			var course, n, bTotal, lTotal int
			var bAt, lAt time.Time
			var fuID sql.NullString
			var fuAt nullTime
			var fuTotal sql.NullInt64
			if err := rows.Scan(&pid, &inst, &course, &n, &bID, &bAt, &bTotal, &lID, &lAt, &lTotal, &label, &fuID, &fuAt, &fuTotal, &period); err != nil {
				return err
			}
			fu := "none"
			if fuID.Valid {
				fu = fuID.String + "@" + fuAt.t.Format(time.RFC3339Nano) + "=" + strconv.Itoa(int(fuTotal.Int64))
			}
			got[pid+"/"+inst+"/"+strconv.Itoa(course)] = fmt.Sprintf("n=%d b=%s@%s=%d l=%s@%s=%d fu=%s w=%s q=%s", n,
				bID, bAt.UTC().Format(time.RFC3339Nano), bTotal, lID, lAt.UTC().Format(time.RFC3339Nano), lTotal, fu, label, period)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for k, v := range want {
			if got[k] != v {
				diffs = append(diffs, k+": kept "+got[k]+"; from the check-ins "+v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				diffs = append(diffs, k+": kept "+v+" for a course with no completed check-in")
			}
		}
		return nil
	})
	slices.Sort(diffs)
	return diffs, err
}

// RefreshOutcomeCoursesForTest computes again, in SQL, the follow-up of
// every row kept for another window than the practice's (as before every
// read of the dashboard).
func RefreshOutcomeCoursesForTest(ctx context.Context, s *Store) error {
	return s.write(ctx, func(tx *Tx) error {
		w, err := outcomeWindowIn(ctx, tx)
		if err != nil {
			return err
		}
		return refreshOutcomeCourses(ctx, tx, w)
	})
}

// SetOutcomeFaultForTest makes each outcome summary update call fn with
// the patient's id first, failing the update when fn returns an error (as
// a database error would); nil removes it. Set it while no write runs.
func SetOutcomeFaultForTest(s *Store, fn func(patientID string) error) { s.outcomeFault = fn }

// HoldOutcomeRefreshForTest runs the dashboard's refresh of the summary
// (as its read does before reading: courses noted stale, then rows kept
// for another window) in a write transaction, then, before committing,
// closes held and waits for release, holding whatever the refresh took.
func HoldOutcomeRefreshForTest(ctx context.Context, s *Store, held chan<- struct{}, release <-chan struct{}) error {
	return s.write(ctx, func(tx *Tx) error {
		w, err := outcomeWindowIn(ctx, tx)
		if err != nil {
			return err
		}
		if err := refreshStaleOutcomes(ctx, tx); err != nil {
			return err
		}
		if err := refreshOutcomeCourses(ctx, tx, w); err != nil {
			return err
		}
		close(held)
		<-release
		return nil
	})
}
