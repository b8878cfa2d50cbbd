package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kapstone/kapstone/internal/measure"
)

// The outcome_courses table (migration 0044) keeps, per course of
// treatment and instrument, what the outcomes dashboard needs of its
// completed check-ins (measure.CourseSummary: first, latest and follow-up
// score, how many), in the transaction of each completion. A course is
// the patient, the instrument and the number of the check-in's course (1
// when it has none), as the dashboard has always counted it. The
// follow-up and the quarter (period) are kept for one follow-up window,
// named in window_weeks; a row kept for another window than the
// practice's is computed again (refreshOutcomeCourses) when the window is
// saved and before every read, so a row is never read stale.

// outcomeCourseColumns are the columns an upsert of one course writes.
const outcomeCourseColumns = "patient_id, instrument, course, scores, baseline_id, baseline_at, baseline_total, " +
	"latest_id, latest_at, latest_total, window_weeks, follow_up_id, follow_up_at, follow_up_total, period"

// outcomeCourseKept is one course's row as it is stored.
type outcomeCourseKept struct {
	sum                              measure.CourseSummary
	baselineID, latestID, followUpID string
	window                           measure.Window
}

// outcomeSavepoint names the savepoint of a completion's summary update.
const outcomeSavepoint = "kapstone_outcome"

// errOutcomeBusy is a summary update that would have waited on a
// dashboard refresh holding its course (PostgreSQL).
var errOutcomeBusy = errors.New("outcome summary held by a refresh")

// keepOutcomeCourse is the completion's one call about the outcome
// summary (updateOutcomeCourse), made so that the summary, derived data,
// can neither fail nor delay the completion: the update runs in a
// savepoint of tx and, on PostgreSQL, takes its course without waiting
// (errOutcomeBusy when a refresh holds it). When it fails only the
// savepoint is rolled back, the patient's instrument is noted stale
// (outcome_stale, append-only: the note waits on no one) for the dashboard
// to summarize again from the check-ins before it reads
// (refreshStaleOutcomes), and a warning without PHI is logged. Only when
// the note cannot be written either (the transaction itself is lost) is
// the error returned.
func (s *Store) keepOutcomeCourse(ctx context.Context, tx *Tx, patientID, instrument, courseID string, courseNum int, checkinID string, total int, at time.Time) error {
	if _, err := tx.Exec(ctx, `SAVEPOINT `+outcomeSavepoint); err != nil {
		return err
	}
	err := s.updateOutcomeCourse(ctx, tx, patientID, instrument, courseID, courseNum, checkinID, total, at)
	if err == nil {
		_, err = tx.Exec(ctx, `RELEASE `+outcomeSavepoint)
		return err
	}
	if _, rerr := tx.Exec(ctx, `ROLLBACK TO `+outcomeSavepoint); rerr != nil {
		return fmt.Errorf("outcome summary: %w (then: %v)", err, rerr)
	}
	if _, rerr := tx.Exec(ctx, `RELEASE `+outcomeSavepoint); rerr != nil {
		return fmt.Errorf("outcome summary: %w (then: %v)", err, rerr)
	}
	if _, rerr := tx.Exec(ctx, `INSERT INTO outcome_stale (id, patient_id, instrument) VALUES ($1, $2, $3)`, NewID(), patientID, instrument); rerr != nil {
		return fmt.Errorf("outcome summary: %w (then: %v)", err, rerr)
	}
	reason := "failed"
	if errors.Is(err, errOutcomeBusy) {
		reason = "busy"
	}
	// No patient, instrument or check-in: only that it happened and why.
	slog.Default().WarnContext(ctx, "outcome summary not kept with a completion; it is summarized again from the check-ins before the dashboard reads",
		"reason", reason, "err", err.Error())
	return nil
}

// updateOutcomeCourse keeps the course of a check-in just completed in tx
// (checkinID, of patientID on instrument in course courseID, numbered
// courseNum when the caller knows it or else 0, total at at)
// up to date: the score is added to its course's summary (measure's Add),
// or, when Add cannot place it (a paper score dated before the course's
// first, or at the same moment as another), the course is summarized
// again from its check-ins. The completion calls it through
// keepOutcomeCourse. Completions of one patient are serialised by the
// caller (dialect.lockPatientRisk); on PostgreSQL the patient's
// instrument's advisory key and the row are also taken, without waiting
// (errOutcomeBusy), so a refresh and a completion never both write it from
// what they read, and a completion never waits for a refresh.
func (s *Store) updateOutcomeCourse(ctx context.Context, tx *Tx, patientID, instrument, courseID string, courseNum int, checkinID string, total int, at time.Time) error {
	if s.outcomeFault != nil {
		if err := s.outcomeFault(patientID); err != nil {
			return err
		}
	}
	if tx.d.name == EnginePostgres {
		// A refresh summarizing this patient's instrument again holds its
		// key (refreshStaleOutcomes) and may be inserting its rows: never
		// wait for it.
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(`+outcomeLockClass+`, hashtext($1::text || '/' || $2::text))`, patientID, instrument).Scan(&got); err != nil {
			return err
		}
		if !got {
			return errOutcomeBusy
		}
	}
	course := 1
	switch {
	case courseID != "" && courseNum > 0:
		course = courseNum // known to the caller
	case courseID != "":
		if err := tx.QueryRow(ctx, `SELECT number FROM courses WHERE id = $1`, courseID).Scan(&course); err != nil {
			return err
		}
	}
	p := measure.Point{At: at.UTC().Truncate(time.Microsecond), Total: total}
	kept, found, err := readOutcomeCourse(ctx, tx, patientID, instrument, course)
	if err != nil {
		if tx.d.lockNotAvailable(err) {
			return fmt.Errorf("%w: %v", errOutcomeBusy, err)
		}
		return err
	}
	if !found {
		w, err := outcomeWindowIn(ctx, tx)
		if err != nil {
			return err
		}
		kept = outcomeCourseKept{window: w, baselineID: checkinID, latestID: checkinID}
		kept.sum, _ = kept.sum.Add(p, w)
		return upsertOutcomeCourse(ctx, tx, patientID, instrument, course, kept)
	}
	next, ok := kept.sum.Add(p, kept.window)
	if !ok || kept.window == (measure.Window{}) {
		return summarizeOutcomeCourse(ctx, tx, patientID, instrument, course)
	}
	if next.Latest.At.Equal(p.At) {
		kept.latestID = checkinID
	}
	if next.HasFollowUp && next.FollowUp.At.Equal(p.At) {
		kept.followUpID = checkinID
	}
	kept.sum = next
	return upsertOutcomeCourse(ctx, tx, patientID, instrument, course, kept)
}

// readOutcomeCourse reads one course's row (locked for the transaction on
// PostgreSQL, without waiting: a lock-not-available error when a refresh
// holds it); found is false when there is none. Its window is the zero
// Window when the row's window_weeks is not one.
func readOutcomeCourse(ctx context.Context, tx *Tx, patientID, instrument string, course int) (k outcomeCourseKept, found bool, err error) {
	var label string
	var fuID sql.NullString
	var fuAt nullTime
	var fuTotal sql.NullInt64
	q := `SELECT scores, baseline_id, baseline_at, baseline_total, latest_id, latest_at, latest_total, window_weeks, follow_up_id, follow_up_at, follow_up_total
		FROM outcome_courses WHERE patient_id = $1 AND instrument = $2 AND course = $3` + tx.d.forUpdateNoWait()
	err = tx.QueryRow(ctx, q, patientID, instrument, course).Scan(&k.sum.Scores, &k.baselineID, &k.sum.Baseline.At, &k.sum.Baseline.Total,
		&k.latestID, &k.sum.Latest.At, &k.sum.Latest.Total, &label, &fuID, &fuAt, &fuTotal)
	if errors.Is(err, sql.ErrNoRows) {
		return k, false, nil
	}
	if err != nil {
		return k, false, err
	}
	k.sum.Baseline.At, k.sum.Latest.At = k.sum.Baseline.At.UTC(), k.sum.Latest.At.UTC()
	if fuID.Valid && fuAt.valid {
		k.followUpID, k.sum.FollowUp, k.sum.HasFollowUp = fuID.String, measure.Point{At: fuAt.t, Total: int(fuTotal.Int64)}, true
	}
	k.window, _ = measure.ParseWindow(label)
	return k, true, nil
}

// upsertOutcomeCourse writes one course's row.
func upsertOutcomeCourse(ctx context.Context, tx *Tx, patientID, instrument string, course int, k outcomeCourseKept) error {
	var fuID, fuAt, fuTotal any
	if k.sum.HasFollowUp {
		fuID, fuAt, fuTotal = k.followUpID, k.sum.FollowUp.At, k.sum.FollowUp.Total
	}
	_, err := tx.Exec(ctx, `INSERT INTO outcome_courses (`+outcomeCourseColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (patient_id, instrument, course) DO UPDATE SET scores = excluded.scores,
			baseline_id = excluded.baseline_id, baseline_at = excluded.baseline_at, baseline_total = excluded.baseline_total,
			latest_id = excluded.latest_id, latest_at = excluded.latest_at, latest_total = excluded.latest_total,
			window_weeks = excluded.window_weeks, follow_up_id = excluded.follow_up_id, follow_up_at = excluded.follow_up_at,
			follow_up_total = excluded.follow_up_total, period = excluded.period`,
		patientID, instrument, course, k.sum.Scores, k.baselineID, k.sum.Baseline.At, k.sum.Baseline.Total,
		k.latestID, k.sum.Latest.At, k.sum.Latest.Total, k.window.String(), fuID, fuAt, fuTotal, k.sum.Period(k.window))
	return err
}

// summarizeOutcomeCourse computes one course's row again from its
// completed check-ins (measure.Summarize), with the practice's window.
func summarizeOutcomeCourse(ctx context.Context, tx *Tx, patientID, instrument string, course int) error {
	w, err := outcomeWindowIn(ctx, tx)
	if err != nil {
		return err
	}
	scores, err := queryAll(ctx, tx, func(r scanner) (sc courseScore, err error) {
		err = r.Scan(&sc.id, &sc.At, &sc.Total)
		sc.At = sc.At.UTC()
		return sc, err
	}, `SELECT c.id, c.completed_at, c.total FROM checkins c LEFT JOIN courses k ON k.id = c.course_id
		WHERE c.patient_id = $1 AND c.instrument = $2 AND c.status = 'complete' AND coalesce(k.number, 1) = $3
		ORDER BY c.completed_at, c.id`, patientID, instrument, course)
	if err != nil {
		return err
	}
	k, ok := summarizeScores(scores, w)
	if !ok {
		_, err := tx.Exec(ctx, `DELETE FROM outcome_courses WHERE patient_id = $1 AND instrument = $2 AND course = $3`, patientID, instrument, course)
		return err
	}
	return upsertOutcomeCourse(ctx, tx, patientID, instrument, course, k)
}

// courseScore is one completed check-in of a course: its id and score.
type courseScore struct {
	id string
	measure.Point
}

// summarizeScores summarizes a course's scores, in order of time and then
// id (as they are read), with window w (measure.Summarize), with the ids
// of its first, latest and follow-up scores. ok is false for no score.
func summarizeScores(scores []courseScore, w measure.Window) (outcomeCourseKept, bool) {
	pts := make([]measure.Point, len(scores))
	for i, sc := range scores {
		pts[i] = sc.Point
	}
	sum, ok := measure.Summarize(pts, w)
	if !ok {
		return outcomeCourseKept{}, false
	}
	k := outcomeCourseKept{sum: sum, window: w, baselineID: scores[0].id, latestID: scores[len(scores)-1].id}
	if sum.HasFollowUp {
		// The follow-up is the last score in order at its time.
		for i := len(scores) - 1; i > 0; i-- {
			if scores[i].At.Equal(sum.FollowUp.At) {
				k.followUpID = scores[i].id
				break
			}
		}
	}
	return k, true
}

// outcomeStale is the condition of a row kept for another window than $1
// (written as two ranges, so the window_weeks index serves it).
const outcomeStale = `(window_weeks < $1 OR window_weeks > $1)`

// refreshOutcomeCourses computes the follow-up and quarter of every row
// kept for another window than w, in SQL, one index probe per row: the
// latest completed score of the course from w.FromWeeks to w.ToWeeks weeks
// after its baseline, both ends included (measure.Window.Contains), and
// the quarter of that score or, without one, of the window's close
// (measure.CourseSummary.Period). With no such row it is one index probe.
// On PostgreSQL the rows are locked first, in key order, so a completion
// that wrote one of them has committed before they are read; one that
// comes meanwhile does not wait for them: it notes its course stale
// (keepOutcomeCourse), to be summarized again before the next read.
func refreshOutcomeCourses(ctx context.Context, tx *Tx, w measure.Window) error {
	label := w.String()
	from, to := w.FromWeeks*7*24, w.ToWeeks*7*24
	if lock := tx.d.forUpdate(); lock != "" {
		rows, err := tx.Query(ctx, `SELECT 1 FROM outcome_courses WHERE `+outcomeStale+` ORDER BY patient_id, instrument, course`+lock, label)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	plus := func(hours string) string { return tx.d.plusHours("outcome_courses.baseline_at", hours) }
	quarter := tx.d.quarter
	// First the follow-up, marking the rows done so far with "~" (no
	// window), then their quarter from it, naming the window.
	if _, err := tx.Exec(ctx, `UPDATE outcome_courses SET
		(follow_up_id, follow_up_at, follow_up_total) = (SELECT c.id, c.completed_at, c.total FROM checkins c LEFT JOIN courses k ON k.id = c.course_id
			WHERE c.patient_id = outcome_courses.patient_id AND c.instrument = outcome_courses.instrument
				AND coalesce(k.number, 1) = outcome_courses.course AND c.status = 'complete'
				AND c.completed_at >= `+plus("$2")+` AND c.completed_at <= `+plus("$3")+`
			ORDER BY c.completed_at DESC, c.id DESC LIMIT 1),
		window_weeks = '~'
		WHERE `+outcomeStale, label, from, to); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE outcome_courses SET period = `+quarter(`coalesce(follow_up_at, `+plus("$2")+`)`)+`, window_weeks = $1
		WHERE window_weeks = '~'`, label, to)
	return err
}

// outcomeLockClass is the first key of the PostgreSQL advisory lock of
// one patient's instrument's outcome summary (the second is a hash of
// both): a completion tries it, a refresh waits for it.
const outcomeLockClass = "7041994"

// refreshStaleOutcomes summarizes again, from their check-ins, every
// course of each patient's instrument noted stale by a completion
// (keepOutcomeCourse), with the practice's window, and removes the notes
// it read (a note written meanwhile stays for the next read). On
// PostgreSQL it takes each patient's instrument's advisory key first, in
// order, waiting for a completion that holds it (a completion never waits
// for it: it notes the course stale again instead).
func refreshStaleOutcomes(ctx context.Context, tx *Tx) error {
	type note struct{ id, patientID, instrument string }
	notes, err := queryAll(ctx, tx, func(r scanner) (n note, err error) {
		err = r.Scan(&n.id, &n.patientID, &n.instrument)
		return n, err
	}, `SELECT id, patient_id, instrument FROM outcome_stale ORDER BY patient_id, instrument, id`)
	if err != nil || len(notes) == 0 {
		return err
	}
	for i := 0; i < len(notes); {
		n := notes[i]
		j := i
		for ; j < len(notes) && notes[j].patientID == n.patientID && notes[j].instrument == n.instrument; j++ {
		}
		if tx.d.name == EnginePostgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+outcomeLockClass+`, hashtext($1::text || '/' || $2::text))`, n.patientID, n.instrument); err != nil {
				return err
			}
		}
		// Every course it has a row for or a completed check-in in.
		courses, err := queryAll(ctx, tx, func(r scanner) (c int, err error) {
			err = r.Scan(&c)
			return c, err
		}, `SELECT course FROM outcome_courses WHERE patient_id = $1 AND instrument = $2
			UNION SELECT coalesce(k.number, 1) FROM checkins c LEFT JOIN courses k ON k.id = c.course_id
				WHERE c.patient_id = $1 AND c.instrument = $2 AND c.status = 'complete'`, n.patientID, n.instrument)
		if err != nil {
			return err
		}
		for _, c := range courses {
			if err := summarizeOutcomeCourse(ctx, tx, n.patientID, n.instrument, c); err != nil {
				return err
			}
		}
		for _, m := range notes[i:j] {
			if _, err := tx.Exec(ctx, `DELETE FROM outcome_stale WHERE id = $1`, m.id); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}
