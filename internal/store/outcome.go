package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

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
// store's now). It reads every counted score in one query, ordered by
// course, and keeps only one course's scores at a time. PatientKey is
// empty for an actor without a caseload (auth.PermCaseload): an
// administrator counts courses, but cannot tell whose. Audited with
// action (outcomes.read for the dashboard, outcomes.export for the CSV).
func (s *Store) Outcomes(ctx context.Context, actor Actor, action string, instruments []string) ([]CourseResult, measure.Window, error) {
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
