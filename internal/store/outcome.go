package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

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

// ExportOutcomes hands the outcome of every course on each of instruments that
// actor may count (all patients for an admin, the patients on their care
// teams for a clinician), without names, and the practice's follow-up
// window it used, to each(w, course) in turn: each course's baseline is its
// own first score, and its follow-up the latest score inside the window
// (measure.FollowUp, at the store's now). It is the per-course export
// (the dashboard counts with OutcomeCounts), so its memory does not grow
// with the practice: it reads one summary row per course
// (outcome_courses, kept in each completion's transaction), never the
// check-ins, a page of outcomeExportPage courses at a time by key, all in
// one read transaction, and hands each row on before reading the next
// page. Rows come in order of PatientKey (so their order says nothing about
// who came first), then patient, instrument and course. PatientKey is empty
// for an actor without a caseload (auth.PermCaseload): an administrator
// counts courses, but cannot tell whose; their rows are in order of
// patient. Audited with action, before the first row is read (the rows go
// to the client as they are read, so the audit row cannot wait for the
// last). An error from each stops the read and is returned.
func (s *Store) ExportOutcomes(ctx context.Context, actor Actor, action string, instruments []string, each func(measure.Window, CourseResult) error) error {
	perPatient := actor.may(auth.PermCaseload)
	sc, ok := outcomeScopeOf(actor, instruments)
	if !ok {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if len(instruments) == 0 {
		return nil
	}
	keyID := s.key.MAC("patient-export-key-id", nil)[:12]
	if perPatient {
		if err := s.fillExportKeys(ctx, sc, keyID); err != nil {
			return err
		}
	}
	if err := s.write(ctx, func(tx *Tx) error {
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "outcomes"})
	}); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.exportOutcomesRead(ctx, sc, perPatient, keyID, each)
		if !errors.Is(err, errExportKeysMissing) {
			return err
		}
		// A course whose patient has no key yet (a first course completed,
		// or summarized again by outcomeTx, since the keys were filled)
		// would be left out by the join: fill again and read again, never
		// send a file short of a row. Nothing was sent yet.
		if attempt == 3 {
			return unavailable(err)
		}
		if err := s.fillExportKeys(ctx, sc, keyID); err != nil {
			return err
		}
	}
}

// errExportKeysMissing is exportOutcomesRead's answer when a course to
// export has a patient without a key in patient_export_keys.
var errExportKeysMissing = errors.New("store: a patient to export has no export key yet")

// exportOutcomesRead is ExportOutcomes' read transaction (see it); with
// perPatient, it first checks in the same snapshot that every patient of
// the courses read has a key (errExportKeysMissing, before any row is
// handed on, if not).
func (s *Store) exportOutcomesRead(ctx context.Context, sc outcomeScope, perPatient bool, keyID string, each func(measure.Window, CourseResult) error) error {
	return s.outcomeTx(ctx, func(tx *Tx, w measure.Window) error {
		now := s.now()
		from, args := sc.from, slices.Clone(sc.args)
		if perPatient {
			var one int
			a := append(slices.Clone(sc.args), keyID)
			switch err := tx.QueryRow(ctx, `SELECT 1`+sc.from+sc.where+`
				AND NOT EXISTS (SELECT 1 FROM patient_export_keys x WHERE x.patient_id = o.patient_id AND x.key_id = $`+strconv.Itoa(len(a))+`)
				LIMIT 1`, a...).Scan(&one); {
			case err == nil:
				return errExportKeysMissing
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		// Ordered as the export always sorted its rows: by key, then
		// instrument and course (for an actor without keys: instrument,
		// course, then patient). The patient breaks ties.
		key, order := `''`, []string{`o.instrument`, `o.course`, `o.patient_id`}
		if perPatient {
			args = append(args, keyID)
			from += ` JOIN patient_export_keys x ON x.patient_id = o.patient_id AND x.key_id = $` + strconv.Itoa(len(args))
			key = `x.export_key`
			order = []string{key, `o.patient_id`, `o.instrument`, `o.course`}
		}
		type row struct {
			key, pid string
			r        CourseResult
			c        measure.CourseSummary
		}
		var last *row
		for {
			q, a := `SELECT `+key+`, o.patient_id, `+outcomeTherapist+`, o.instrument, o.course, o.scores,
				o.baseline_at, o.baseline_total, o.latest_at, o.latest_total, o.follow_up_at, o.follow_up_total
				`+from+sc.where, slices.Clone(args)
			if last != nil {
				vals := map[string]any{`x.export_key`: last.key, `o.patient_id`: last.pid, `o.instrument`: last.r.Instrument, `o.course`: last.r.Course}
				ph := make([]string, len(order))
				for i, c := range order {
					a = append(a, vals[c])
					ph[i] = `$` + strconv.Itoa(len(a))
				}
				q += ` AND (` + strings.Join(order, `, `) + `) > (` + strings.Join(ph, `, `) + `)`
			}
			q += ` ORDER BY ` + strings.Join(order, `, `) + ` LIMIT ` + strconv.Itoa(outcomeExportPage)
			page, err := queryAll(ctx, tx, func(r scanner) (row, error) {
				var x row
				var fuAt nullTime
				var fuTotal sql.NullInt64
				err := r.Scan(&x.key, &x.pid, &x.r.Therapist, &x.r.Instrument, &x.r.Course, &x.c.Scores, &x.c.Baseline.At, &x.c.Baseline.Total,
					&x.c.Latest.At, &x.c.Latest.Total, &fuAt, &fuTotal)
				x.c.Baseline.At, x.c.Latest.At = x.c.Baseline.At.UTC(), x.c.Latest.At.UTC()
				if fuAt.valid {
					x.c.FollowUp, x.c.HasFollowUp = measure.Point{At: fuAt.t, Total: int(fuTotal.Int64)}, true
				}
				return x, err
			}, q, a...)
			if err != nil {
				return err
			}
			if onOutcomeExportPage != nil {
				onOutcomeExportPage(len(page))
			}
			for i := range page {
				x := &page[i]
				o, ok := x.c.Outcome(x.r.Instrument, w, now)
				if !ok {
					continue
				}
				x.r.PatientKey, x.r.Outcome = x.key, o
				if err := each(w, x.r); err != nil {
					return err
				}
			}
			if len(page) < outcomeExportPage {
				return nil
			}
			last = &page[len(page)-1]
		}
	})
}

// outcomeExportPage is how many courses ExportOutcomes reads at a time (a
// variable so a test can make the pages small).
var outcomeExportPage = 500

// onOutcomeExportPage, when a test sets it, is told the size of every page
// ExportOutcomes reads.
var onOutcomeExportPage func(rows int)

// fillExportKeys keeps the pseudonymous key (PatientKey: a keyed hash of
// the patient's id, under the audit key whose own keyed hash is keyID) of
// every patient with a course in sc in patient_export_keys, so that
// ExportOutcomes can read its rows in the keys' order from SQL a page at a time.
// A key kept under another audit key is made again. It writes
// outcomeExportPage patients per transaction, and none when all are kept.
func (s *Store) fillExportKeys(ctx context.Context, sc outcomeScope, keyID string) error {
	for {
		var ids []string
		args := append(slices.Clone(sc.args), keyID)
		err := s.read(ctx, func(tx *Tx) error {
			var err error
			ids, err = queryAll(ctx, tx, func(r scanner) (string, error) {
				var id string
				return id, r.Scan(&id)
			}, `SELECT DISTINCT o.patient_id`+sc.from+sc.where+`
				AND NOT EXISTS (SELECT 1 FROM patient_export_keys x WHERE x.patient_id = o.patient_id AND x.key_id = $`+strconv.Itoa(len(args))+`)
				ORDER BY o.patient_id LIMIT `+strconv.Itoa(outcomeExportPage), args...)
			return err
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		err = s.write(ctx, func(tx *Tx) error {
			for _, id := range ids {
				if _, err := tx.Exec(ctx, `INSERT INTO patient_export_keys (patient_id, key_id, export_key) VALUES ($1, $2, $3)
					ON CONFLICT (patient_id) DO UPDATE SET key_id = excluded.key_id, export_key = excluded.export_key`,
					id, keyID, s.PatientKey(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(ids) < outcomeExportPage {
			return err
		}
	}
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
// count (as ExportOutcomes), grouped in SQL by what the dashboard tells apart,
// so that what it reads is bounded by the scores' range, the therapists
// and the quarters, not by the practice's size; the clinical rules are
// applied to each group (measure.Rate). Audited with action as ExportOutcomes.
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

// outcomeScope is the FROM and WHERE of the courses on some instruments
// that an actor may count, and their arguments.
type outcomeScope struct {
	from, where string
	args        []any
}

// outcomeScopeOf is the scope of the courses on instruments that actor may
// count (unarchived patients; a clinician's care teams); false for an
// actor who may count none. With no instruments, args is empty.
func outcomeScopeOf(actor Actor, instruments []string) (outcomeScope, bool) {
	var args []any
	from := ` FROM outcome_courses o`
	switch {
	case actor.may(auth.PermDirectory):
	case actor.may(auth.PermCaseload):
		from = ` FROM care_team m JOIN outcome_courses o ON o.patient_id = m.patient_id`
		args = append(args, actor.UserID)
	default:
		return outcomeScope{}, false
	}
	var in []string
	for _, id := range instruments {
		args = append(args, id)
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	if len(in) == 0 {
		return outcomeScope{}, true
	}
	where := ` WHERE o.instrument IN (` + strings.Join(in, ", ") + `)
		AND o.patient_id NOT IN (SELECT a.id FROM patients a WHERE a.archived_at IS NOT NULL)`
	if len(args) > len(in) {
		where += ` AND m.user_id = $1 AND m.removed_at IS NULL`
	}
	return outcomeScope{from, where, args}, true
}

// outcomeRead runs read in one read transaction, with the FROM and WHERE
// of the courses on instruments that actor may count (outcomeScopeOf) and
// their arguments, then audits it with action in a write transaction that
// commits before the answer is shown (as a View's read is audited: the
// aggregate is not read while holding the writer).
func (s *Store) outcomeRead(ctx context.Context, actor Actor, action string, instruments []string,
	read func(tx *Tx, from, where string, args []any, w measure.Window) error) error {
	sc, ok := outcomeScopeOf(actor, instruments)
	if !ok {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if len(instruments) == 0 {
		return nil
	}
	if err := s.outcomeTx(ctx, func(tx *Tx, w measure.Window) error {
		return read(tx, sc.from, sc.where, sc.args, w)
	}); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx) // what was read is audited even if the client left
	return s.write(ctx, func(tx *Tx) error {
		return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "outcomes"})
	})
}

// outcomeTx runs read in one read transaction with the practice's window.
// Courses a completion noted stale are summarized again from their
// check-ins (refreshStaleOutcomes), and rows of the outcome summary kept
// for another window than the practice's are computed again
// (refreshOutcomeCourses), first, in a write transaction of their own,
// only when there are any.
func (s *Store) outcomeTx(ctx context.Context, read func(tx *Tx, w measure.Window) error) error {
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
			return read(tx, w)
		})
		if err != nil || !stale {
			return err
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
}

// CaseloadSparkPoints is how many of a patient's latest scores a caseload
// row's sparkline shows.
const CaseloadSparkPoints = 26

// caseloadScoreBatch is the most patients one CaseloadScores statement
// asks about (one UNION ALL branch each; SQLite allows 500).
const caseloadScoreBatch = 100

// caseloadScoresQueries holds caseloadScoresQuery's text for n patients
// ($3 to $n+2), built once for each n.
var caseloadScoresQueries sync.Map // int -> string

// caseloadScoresQueryOf is caseloadScoresQuery for n patients, the
// placeholders $3 to $n+2.
func caseloadScoresQueryOf(n int) string {
	if q, ok := caseloadScoresQueries.Load(n); ok {
		return q.(string)
	}
	in := make([]string, n)
	for i := range in {
		in[i] = "$" + strconv.Itoa(i+3)
	}
	q, _ := caseloadScoresQueries.LoadOrStore(n, caseloadScoresQuery(in))
	return q.(string)
}

// caseloadScoresQuery is CaseloadScores' statement for the patients whose
// ids are the placeholders in (the actor's id is $1, the instrument $2):
// one branch per patient, each their latest scores read newest first from
// the index checkins_scores (patient_id, instrument, completed_at,
// course_id, total; completed only) alone and stopped at
// CaseloadSparkPoints, so a patient's long history is not read to draw
// their points. A row names its patient by its branch's number (the
// index into in), not by id: 1,300 ids a page were copied and allocated
// for nothing (issue 18). Its columns are named (no SELECT *) so each connection
// keeps it prepared (selectsStar).
func caseloadScoresQuery(in []string) string {
	branches := make([]string, len(in))
	for i, ph := range in {
		branches[i] = `SELECT ` + strconv.Itoa(i) + ` AS n, total, completed_at FROM (SELECT c.total, c.completed_at FROM checkins c
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
		var uniq []string
		for _, id := range patientIDs {
			if _, seen := out[id]; !seen {
				out[id] = nil
				uniq = append(uniq, id)
			}
		}
		clear(out)
		for ids := range slices.Chunk(uniq, caseloadScoreBatch) {
			args := make([]any, 2, 2+len(ids))
			args[0], args[1] = actor.UserID, instrument
			for _, id := range ids {
				args = append(args, id)
			}
			// Each patient's points go to their own part of one array
			// (a branch returns at most CaseloadSparkPoints rows).
			const k = CaseloadSparkPoints
			backing := make([]measure.Point, len(ids)*k)
			got := make([]int, len(ids))
			rows, err := tx.Query(ctx, caseloadScoresQueryOf(len(ids)), args...)
			if err != nil {
				return err
			}
			var n int
			var pt measure.Point
			for rows.Next() {
				if err := rows.Scan(&n, &pt.Total, &pt.At); err != nil {
					rows.Close()
					return err
				}
				if n < 0 || n >= len(ids) || got[n] >= k {
					rows.Close()
					return fmt.Errorf("caseload scores: an unexpected row of branch %d of %d", n, len(ids))
				}
				pt.At = pt.At.UTC()
				backing[n*k+got[n]] = pt
				got[n]++
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for i, id := range ids {
				if got[i] > 0 {
					pts := backing[i*k : i*k+got[i] : i*k+got[i]]
					slices.Reverse(pts) // oldest first
					out[id] = pts
				}
			}
		}
		return nil
	})
	return out, err
}
