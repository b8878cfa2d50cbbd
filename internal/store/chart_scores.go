package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/kapstone/kapstone/internal/auth"
)

// ChartScoreWindow is how many of each questionnaire's latest scores the
// staff chart draws and lists (about six months of weekly check-ins). The
// rest stay one link away (the chart with every score).
const ChartScoreWindow = 26

// ScoreHistory is one questionnaire's completed scores as the chart shows
// them: the latest few, with what the whole history says counted in SQL,
// so the page costs the same after years of weekly check-ins.
type ScoreHistory struct {
	Instrument string
	Count      int // completed scores in all
	Courses    int // courses of treatment with scores on it
	// Rows are the latest scores, oldest first (at most the window asked
	// for); their Answers are not read.
	Rows []Checkin
	// Before is the score just before Rows (nil when Rows start at the
	// first score): whether Rows[0] began a new course.
	Before *Checkin
	// CourseFirst is the latest course's first score (its baseline) and
	// CourseCount how many scores that course has.
	CourseFirst Checkin
	CourseCount int
}

// ChartMeasures is what the staff chart shows of a patient's measures:
// the active assignments and each questionnaire's windowed score history,
// in the order the questionnaires were first completed.
type ChartMeasures struct {
	Assignments []Assignment
	Scores      []ScoreHistory
}

// FindChartMeasures is FindMeasures for the chart page: the assignments,
// and of each questionnaire's completed scores the latest window (at
// least 1) with their count, number of courses and the latest course's
// baseline, read in SQL on the checkins_scores index (never the answers,
// never every row). Same access as FindMeasures; audited as measures.read
// (latest N), or named so in an open view.
func (s *Store) FindChartMeasures(ctx context.Context, actor Actor, patientID string, window int) (*ChartMeasures, error) {
	window = max(window, 1)
	m := &ChartMeasures{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "measures.read", func(tx *Tx, a Access, e *Entry) error {
		e.Detail = "latest " + strconv.Itoa(window)
		var err error
		if m.Assignments, err = s.assignments(ctx, tx, patientID); err != nil {
			return err
		}
		m.Scores, err = queryAll(ctx, tx, func(row scanner) (ScoreHistory, error) {
			var h ScoreHistory
			err := row.Scan(&h.Instrument, &h.Count, &h.Courses)
			return h, err
		}, `SELECT instrument, count(*), count(DISTINCT coalesce(course_id, '')) FROM checkins
			WHERE patient_id = $1 AND status = 'complete' AND completed_at IS NOT NULL
			GROUP BY instrument ORDER BY min(completed_at), instrument`, patientID)
		if err != nil {
			return err
		}
		for i := range m.Scores {
			if err := scoreWindow(ctx, tx, patientID, &m.Scores[i], window); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// scoreWindow reads h's latest window of scores (and the one before
// them), and the latest course's first score and count when the window
// does not show where that course began.
func scoreWindow(ctx context.Context, tx *Tx, patientID string, h *ScoreHistory, window int) error {
	rows, err := queryAll(ctx, tx, func(row scanner) (Checkin, error) {
		var c Checkin
		var total sql.NullInt64
		err := row.Scan(&c.ID, &total, &c.Band, &c.CompletedAt, &c.CourseID)
		c.Instrument, c.Complete, c.Total, c.CompletedAt = h.Instrument, true, int(total.Int64), c.CompletedAt.UTC()
		c.StartedAt = c.CompletedAt
		return c, err
	}, `SELECT id, total, band, completed_at, coalesce(course_id, '') FROM checkins
		WHERE patient_id = $1 AND instrument = $2 AND status = 'complete' AND completed_at IS NOT NULL
		ORDER BY completed_at DESC LIMIT `+strconv.Itoa(window+1), patientID, h.Instrument) // no id: the index's order, no sort; a literal limit (a bound one made SQLite compile the statement again at each use)
	if err != nil || len(rows) == 0 {
		return err
	}
	if len(rows) > window {
		b := rows[window]
		h.Before, rows = &b, rows[:window]
	}
	// Oldest first.
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	h.Rows = rows
	course := rows[len(rows)-1].CourseID
	// The latest course began in the window when a shown score follows one
	// of another course (or nothing).
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].CourseID != course {
			break
		}
		prev := h.Before
		if i > 0 {
			prev = &rows[i-1]
		}
		if prev == nil || prev.CourseID != course {
			h.CourseFirst, h.CourseCount = rows[i], len(rows)-i
			return nil
		}
	}
	// It began before the window: its first score and count, in SQL.
	var total sql.NullInt64
	err = tx.QueryRow(ctx, `SELECT id, total, band, completed_at FROM checkins
		WHERE patient_id = $1 AND instrument = $2 AND status = 'complete' AND completed_at IS NOT NULL AND coalesce(course_id, '') = $3
		ORDER BY completed_at, id LIMIT 1`, patientID, h.Instrument, course).Scan(&h.CourseFirst.ID, &total, &h.CourseFirst.Band, &h.CourseFirst.CompletedAt)
	if errors.Is(err, sql.ErrNoRows) { // cannot happen: the latest score is of this course
		h.CourseFirst, h.CourseCount = rows[0], len(rows)
		return nil
	}
	if err != nil {
		return err
	}
	h.CourseFirst.Instrument, h.CourseFirst.Complete, h.CourseFirst.Total, h.CourseFirst.CourseID = h.Instrument, true, int(total.Int64), course
	h.CourseFirst.CompletedAt = h.CourseFirst.CompletedAt.UTC()
	h.CourseFirst.StartedAt = h.CourseFirst.CompletedAt
	return tx.QueryRow(ctx, `SELECT count(*) FROM checkins
		WHERE patient_id = $1 AND instrument = $2 AND status = 'complete' AND completed_at IS NOT NULL AND coalesce(course_id, '') = $3`,
		patientID, h.Instrument, course).Scan(&h.CourseCount)
}

// NotedAppointments returns which of patientID's appointments ids have a
// clinical note, if actor may read notes (auth.PermNoteRead): the chart
// says "Open note" at those, however old, instead of looking for them in
// the first page of the note list. Audited as note.list (appointments
// with notes), or named so in an open view.
func (s *Store) NotedAppointments(ctx context.Context, actor Actor, patientID string, ids []string) (map[string]bool, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args, in := []any{patientID}, make([]string, len(ids))
	for i, id := range ids {
		args, in[i] = append(args, id), "$"+strconv.Itoa(i+2)
	}
	err := s.viewAccess(ctx, actor, patientID, auth.PermNoteRead, "note.list", func(tx *Tx, _ Access, e *Entry) error {
		e.ObjectType, e.Detail = "note", "appointments with notes"
		noted, err := queryAll(ctx, tx, func(r scanner) (id string, err error) {
			err = r.Scan(&id)
			return id, err
		}, `SELECT appointment_id FROM notes WHERE patient_id = $1 AND appointment_id IN (`+strings.Join(in, ", ")+`)`, args...)
		for _, id := range noted {
			out[id] = true
		}
		return err
	})
	return out, err
}

// ChartNoteWindow is how many of the latest clinical notes the chart
// lists; the notes page lists them all, a page at a time.
const ChartNoteWindow = 5

// chartNotesQuery reads a patient's ($1) latest limit notes. The limit is
// a literal, as in scoreWindow. a.patient_id (the same patient: a note is
// on its patient's appointment) lets SQLite walk appointments_patient
// newest first and stop at the limit, instead of joining and sorting every
// note of the patient's years (TestCaseloadPlans).
func chartNotesQuery(limit int) string {
	return `SELECT ` + noteSummaryColumns + noteSummaryFrom + `
		WHERE n.patient_id = $1 AND a.patient_id = $1 ORDER BY a.starts_at DESC, n.id DESC LIMIT ` + strconv.Itoa(limit)
}

// ChartNotes is Notes for the chart's Notes section: the latest limit
// notes (Notes' order; More when there are others) and how many notes the
// patient has in all (Count), if actor may read them. Audited as note.list
// (latest N), or named so in an open view.
func (s *Store) ChartNotes(ctx context.Context, actor Actor, patientID string, limit int) (*NoteList, error) {
	limit = max(limit, 1)
	out := &NoteList{Page: 1}
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	err := s.viewAccess(ctx, actor, patientID, auth.PermNoteRead, "note.list", func(tx *Tx, _ Access, e *Entry) error {
		e.ObjectType, e.Detail = "note", "latest "+strconv.Itoa(limit)
		var err error
		out.Notes, err = queryAll(ctx, tx, scanNoteSummary, chartNotesQuery(limit), patientID)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notes WHERE patient_id = $1`, patientID).Scan(&out.Count); err != nil {
			return err
		}
		out.More = out.Count > len(out.Notes)
		return nil
	})
	return out, err
}
