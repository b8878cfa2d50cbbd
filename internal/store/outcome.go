package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// settingOutcomeWindow is the follow-up window of the outcomes dashboard,
// in weeks after the baseline: "4-12" (measure.Window's form).
const settingOutcomeWindow = "outcome_window"

// OutcomeWindow reads the practice's follow-up window for outcomes, or
// measure.DefaultWindow (4 to 12 weeks) when it is unset or unreadable.
func (s *Store) OutcomeWindow(ctx context.Context) (measure.Window, error) {
	var w measure.Window
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		w, err = outcomeWindowIn(ctx, tx)
		return err
	})
	return w, err
}

func outcomeWindowIn(ctx context.Context, tx *Tx) (measure.Window, error) {
	v, err := settingIn(ctx, tx, settingOutcomeWindow, "")
	if err != nil {
		return measure.DefaultWindow, err
	}
	if w, ok := measure.ParseWindow(v); ok {
		return w, nil
	}
	return measure.DefaultWindow, nil
}

// SaveOutcomeWindow sets the practice's follow-up window for outcomes, for
// an administrator, within measure.CheckWindow's bounds (an EInvalid error
// at from_weeks or to_weeks otherwise). Audited as setting.change.
func (s *Store) SaveOutcomeWindow(ctx context.Context, actor Actor, w measure.Window) error {
	if !actor.may(auth.PermSettings) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if fe := measure.CheckWindow(w); len(fe) > 0 {
		return &clinic.Error{Code: clinic.EInvalid, Message: "Check the follow-up window.", Fields: fe}
	}
	return s.write(ctx, func(tx *Tx) error {
		// Every course's follow-up for the new window, before the setting
		// and its audit row (so no completion holding a course's row waits
		// on this transaction's audit while it waits on that row).
		if err := refreshOutcomeCourses(ctx, tx, w); err != nil {
			return err
		}
		return s.setSettingIn(ctx, tx, actor, settingOutcomeWindow, w.String())
	})
}

// CourseResult is one course's outcome on one instrument, for the outcomes
// dashboard: no names, only a pseudonymous key.
type CourseResult struct {
	PatientKey string // a keyed hash of the patient id: the same patient, the same key, nothing more; empty for an administrator
	Therapist  string // the owning therapist's name
	Instrument string
	Course     int // the course's number for this patient: 1, 2...
	Outcome    measure.CourseOutcome
}

// Outcomes returns the outcome of every course on each of instruments that
// actor may count (all patients for an admin, the patients on their care
// teams for a clinician), without names, and the practice's follow-up
// window it used: each course's baseline is its own first score, and its
// follow-up the latest score inside the window (measure.FollowUp, at the
// store's now). It reads one summary row per course (outcome_courses,
// kept in each completion's transaction), never the check-ins, in order
// of patient, instrument and course; it is for a per-course export, the
// dashboard counts with OutcomeCounts. PatientKey is empty for an actor
// without a caseload (auth.PermCaseload): an administrator counts
// courses, but cannot tell whose. Audited with action (outcomes.read for
// the dashboard, outcomes.export for the CSV).
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

// OutcomeCount is how many courses of one instrument share everything the
// outcomes dashboard counts of them: their owning therapist, the quarter
// they are counted in, and their outcome (measure.Rate: the status, the
// baseline's total and the follow-up's; no dates, no patients).
type OutcomeCount struct {
	Instrument string
	Therapist  string // the owning therapist's name; "" when the course has none
	Period     string // "2026 Q1" (measure.CourseOutcome.Period); "" while pending
	Outcome    measure.CourseOutcome
	N          int
}

// OutcomeCounts counts the courses on each of instruments that actor may
// count (as Outcomes), grouped in SQL by what the dashboard tells apart,
// so that what it reads is bounded by the scores' range, the therapists
// and the quarters, not by the practice's size; the clinical rules are
// applied to each group (measure.Rate). Audited with action as Outcomes.
func (s *Store) OutcomeCounts(ctx context.Context, actor Actor, action string, instruments []string) ([]OutcomeCount, measure.Window, error) {
	var out []OutcomeCount
	var w measure.Window
	err := s.outcomeRead(ctx, actor, action, instruments, func(tx *Tx, from, where string, args []any, win measure.Window) error {
		w = win
		args = append(args, w.ClosedBefore(s.now()))
		closed := "$" + strconv.Itoa(len(args))
		// Counted by owner id first, named after (few rows).
		rows, err := tx.Query(ctx, `SELECT g.instrument, coalesce(u.display_name, ''), g.period, g.baseline_total, g.follow_up_total, g.closed, g.n FROM (
				SELECT o.instrument, `+outcomeOwner+` AS owner,
					CASE WHEN o.follow_up_total IS NULL AND o.baseline_at >= `+closed+` THEN '' ELSE o.period END AS period,
					o.baseline_total, o.follow_up_total, CASE WHEN o.baseline_at < `+closed+` THEN 1 ELSE 0 END AS closed, count(*) AS n
				`+from+where+` GROUP BY 1, 2, 3, 4, 5, 6) g
			LEFT JOIN users u ON u.id = g.owner`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c OutcomeCount
			var baseline, isClosed int
			var fu sql.NullInt64
			if err := rows.Scan(&c.Instrument, &c.Therapist, &c.Period, &baseline, &fu, &isClosed, &c.N); err != nil {
				return err
			}
			status := measure.FollowUpPending
			switch {
			case fu.Valid:
				status = measure.FollowUpDone
			case isClosed == 1:
				status = measure.FollowUpMissing
			}
			o, ok := measure.Rate(c.Instrument, status, measure.Point{Total: baseline}, measure.Point{Total: int(fu.Int64)})
			if !ok {
				continue
			}
			c.Outcome = o
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, w, err
}

// outcomeOwner is the id of a course's owning therapist (NULL for none;
// the first by id should a case have two owners), from care_team_owner.
const outcomeOwner = `(SELECT t.user_id FROM care_team t WHERE t.patient_id = o.patient_id AND t.is_owner AND t.removed_at IS NULL ORDER BY t.user_id LIMIT 1)`

// outcomeTherapist is a course's owning therapist's name ("" for none).
const outcomeTherapist = `coalesce((SELECT u.display_name FROM users u WHERE u.id = ` + outcomeOwner + `), '')`

// outcomeRead runs read in one read transaction, with the FROM and WHERE
// of the courses on instruments that actor may count (unarchived
// patients; a clinician's care teams) and their arguments, then audits it
// with action in a write transaction that commits before the answer is
// shown (as a View's read is audited: the aggregate is not read while
// holding the writer). Courses a completion noted stale are summarized
// again from their check-ins (refreshStaleOutcomes), and rows of the
// outcome summary kept for another window than the practice's are
// computed again (refreshOutcomeCourses), first, in a write transaction of
// their own, only when there are any.
func (s *Store) outcomeRead(ctx context.Context, actor Actor, action string, instruments []string,
	read func(tx *Tx, from, where string, args []any, w measure.Window) error) error {
	var args []any
	from := ` FROM outcome_courses o`
	switch {
	case actor.may(auth.PermDirectory):
	case actor.may(auth.PermCaseload):
		from = ` FROM care_team m JOIN outcome_courses o ON o.patient_id = m.patient_id`
		args = append(args, actor.UserID)
	default:
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var in []string
	for _, id := range instruments {
		args = append(args, id)
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	if len(in) == 0 {
		return nil
	}
	where := ` WHERE o.instrument IN (` + strings.Join(in, ", ") + `)
		AND o.patient_id NOT IN (SELECT a.id FROM patients a WHERE a.archived_at IS NOT NULL)`
	if len(args) > len(in) {
		where += ` AND m.user_id = $1 AND m.removed_at IS NULL`
	}
	for attempt := 0; ; attempt++ {
		stale := false
		err := s.read(ctx, func(tx *Tx) error {
			w, err := outcomeWindowIn(ctx, tx)
			if err != nil {
				return err
			}
			var one int
			switch err := tx.QueryRow(ctx, `SELECT 1 FROM outcome_courses WHERE `+outcomeStale+`
				UNION ALL SELECT 1 FROM outcome_stale LIMIT 1`, w.String()).Scan(&one); {
			case err == nil && attempt < 3:
				stale = true
				return nil
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
			return read(tx, from, where, args, w)
		})
		if err != nil {
			return err
		}
		if !stale {
			break
		}
		err = s.write(ctx, func(tx *Tx) error {
			w, err := outcomeWindowIn(ctx, tx)
			if err != nil {
				return err
			}
			if err := refreshStaleOutcomes(ctx, tx); err != nil {
				return err
			}
			return refreshOutcomeCourses(ctx, tx, w)
		})
		if err != nil {
			return err
		}
	}
	ctx = context.WithoutCancel(ctx) // what was read is audited even if the client left
	return s.write(ctx, func(tx *Tx) error {
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "outcomes"})
	})
}

// CaseloadSparkPoints is how many of a patient's latest scores a caseload
// row's sparkline shows.
const CaseloadSparkPoints = 26

// caseloadScoreBatch is the most patients one CaseloadScores statement
// asks about (one UNION ALL branch each; SQLite allows 500).
const caseloadScoreBatch = 100

// caseloadScoresQuery is CaseloadScores' statement for the patients whose
// ids are the placeholders in (the actor's id is $1, the instrument $2):
// one branch per patient, each their latest scores read newest first from
// the index checkins_scores (patient_id, instrument, completed_at,
// course_id, total; completed only) alone and stopped at
// CaseloadSparkPoints, so a patient's long history is not read to draw
// their points. Its columns are named (no SELECT *) so each connection
// keeps it prepared (selectsStar).
func caseloadScoresQuery(in []string) string {
	branches := make([]string, len(in))
	for i, ph := range in {
		branches[i] = `SELECT patient_id, total, completed_at FROM (SELECT c.patient_id, c.total, c.completed_at FROM checkins c
			WHERE c.patient_id = ` + ph + ` AND c.instrument = $2 AND c.status = 'complete'
			AND EXISTS (SELECT 1 FROM care_team t WHERE t.patient_id = ` + ph + ` AND t.user_id = $1 AND t.removed_at IS NULL)
			AND (c.course_id IS NULL OR c.course_id = (SELECT k.id FROM courses k WHERE k.patient_id = ` + ph + ` ORDER BY k.number DESC LIMIT 1))
			ORDER BY c.completed_at DESC LIMIT ` + strconv.Itoa(CaseloadSparkPoints) + `) b` + strconv.Itoa(i)
	}
	return strings.Join(branches, "\nUNION ALL\n")
}

// CaseloadScores returns, for each of patientIDs (a caseload page's) on
// actor's care teams, their latest CaseloadSparkPoints completed scores on
// instrument in their latest course, oldest first (the last is their
// latest score), for the caseload's sparklines. It reads those patients'
// check-ins only, and of each only the scores shown (checkins_scores,
// newest first, stopped at CaseloadSparkPoints), in one statement per
// caseloadScoreBatch patients, however large the practice or long the
// history. The caseload read is audited by PagePatients.
func (s *Store) CaseloadScores(ctx context.Context, actor Actor, instrument string, patientIDs []string) (map[string][]measure.Point, error) {
	out := map[string][]measure.Point{}
	if !actor.may(auth.PermCaseload) || len(patientIDs) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(tx *Tx) error {
		type point struct {
			patientID string
			measure.Point
		}
		var uniq []string
		for _, id := range patientIDs {
			if _, seen := out[id]; !seen {
				out[id] = nil
				uniq = append(uniq, id)
			}
		}
		clear(out)
		for ids := range slices.Chunk(uniq, caseloadScoreBatch) {
			args := []any{actor.UserID, instrument}
			in := make([]string, len(ids))
			for i, id := range ids {
				args = append(args, id)
				in[i] = "$" + strconv.Itoa(len(args))
			}
			scores, err := queryAll(ctx, tx, func(row scanner) (p point, err error) {
				err = row.Scan(&p.patientID, &p.Total, &p.At)
				p.At = p.At.UTC()
				return p, err
			}, caseloadScoresQuery(in), args...)
			if err != nil {
				return err
			}
			for _, p := range scores {
				out[p.patientID] = append(out[p.patientID], p.Point)
			}
			for _, id := range ids {
				slices.Reverse(out[id]) // oldest first
			}
		}
		return nil
	})
	return out, err
}
