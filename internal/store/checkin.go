package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// Cadences an instrument can be assigned with, in display order.
var Cadences = []string{"before_session", "weekly", "once"}

// Assignment is an instrument a patient is asked to complete, and how often.
type Assignment struct {
	ID         string
	Instrument string
	Cadence    string
	AssignedAt time.Time
	Due        bool      // a check-in is due now
	LastDone   time.Time // zero when never
}

// Checkin is one completion (or a saved, unfinished attempt) of an instrument.
type Checkin struct {
	ID          string
	Instrument  string
	Complete    bool
	Answers     measure.Answers
	Total       int
	Band        string
	Risk        string
	StartedAt   time.Time
	CompletedAt time.Time
	CourseID    string // the course of treatment it belongs to (clinic.CourseAt at completion)
}

// AssignMeasure asks patientID to complete instrument with cadence,
// replacing an earlier assignment of the same instrument. Clinicians on the
// care team may. Audited.
func (s *Store) AssignMeasure(ctx context.Context, actor Actor, patientID, instrument, cadence string) error {
	if actor.Role != clinic.RoleTherapist && actor.Role != clinic.RolePrescriber {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermChart, "measure.assign", func(tx *Tx, a Access, e *Entry) error {
		fe := clinic.FieldErrors{}
		if inst, ok, err := s.instrument(ctx, tx, instrument); err != nil {
			return err
		} else if !ok || !inst.Ready() {
			fe.Add("instrument", "Choose a questionnaire from the list (the risk screen and PCL-5 need your practice's wording first).")
		}
		known := false
		for _, c := range Cadences {
			known = known || c == cadence
		}
		if !known {
			fe.Add("cadence", "Choose before each session, weekly, or once.")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE measure_assignments SET ended_at = $1 WHERE patient_id = $2 AND instrument = $3 AND ended_at IS NULL`, now, patientID, instrument); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO measure_assignments (id, patient_id, instrument, cadence, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			NewID(), patientID, instrument, cadence, actor.UserID, now)
		e.Detail = instrument + ":" + cadence
		return err
	})
}

// EndAssignment stops asking patientID to complete instrument. Audited.
func (s *Store) EndAssignment(ctx context.Context, actor Actor, patientID, instrument string) error {
	if actor.Role != clinic.RoleTherapist && actor.Role != clinic.RolePrescriber {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermChart, "measure.end", func(tx *Tx, a Access, e *Entry) error {
		if _, ok := measure.Get(instrument); !ok {
			return clinic.Errorf(clinic.ENotFound, "We could not find that questionnaire.")
		}
		_, err := tx.Exec(ctx, `UPDATE measure_assignments SET ended_at = $1 WHERE patient_id = $2 AND instrument = $3 AND ended_at IS NULL`, s.now(), patientID, instrument)
		e.Detail = instrument
		return err
	})
}

// assignments reads patientID's active assignments with whether each is due.
// Once: due until completed. Weekly: due when the last completion is 7 days
// old or more. Before each session: due when a session starts within 3 days
// and nothing was completed in the 3 days before it.
func (s *Store) assignments(ctx context.Context, tx *Tx, patientID string) ([]Assignment, error) {
	rows, err := tx.Query(ctx, `SELECT a.id, a.instrument, a.cadence, a.assigned_at,
			(SELECT max(c.completed_at) FROM checkins c WHERE c.patient_id = a.patient_id AND c.instrument = a.instrument AND c.status = 'complete')
		FROM measure_assignments a WHERE a.patient_id = $1 AND a.ended_at IS NULL ORDER BY a.assigned_at, a.id`, patientID)
	if err != nil {
		return nil, err
	}
	var out []Assignment
	for rows.Next() {
		var a Assignment
		var last sql.NullString
		if err := rows.Scan(&a.ID, &a.Instrument, &a.Cadence, &a.AssignedAt, &last); err != nil {
			rows.Close()
			return nil, err
		}
		a.AssignedAt = a.AssignedAt.UTC()
		if last.Valid {
			a.LastDone = parseDBTime(last.String)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var next sql.NullString
	if err := tx.QueryRow(ctx, `SELECT min(starts_at) FROM appointments WHERE patient_id = $1 AND cancelled_at IS NULL AND starts_at > $2 AND kind IN (`+clinic.SessionKinds()+`)`, patientID, now).Scan(&next); err != nil {
		return nil, err
	}
	for i := range out {
		a := &out[i]
		switch a.Cadence {
		case "once":
			a.Due = a.LastDone.IsZero() || a.LastDone.Before(a.AssignedAt)
		case "weekly":
			a.Due = a.LastDone.IsZero() || now.Sub(a.LastDone) >= 7*24*time.Hour
		case "before_session":
			if next.Valid {
				at := parseDBTime(next.String)
				a.Due = at.Sub(now) <= 72*time.Hour && (a.LastDone.IsZero() || at.Sub(a.LastDone) > 72*time.Hour)
			}
		}
	}
	return out, nil
}

// parseDBTime reads a time that an aggregate (max, min) returned as text on
// SQLite or as a timestamp string on PostgreSQL.
func parseDBTime(s string) time.Time {
	for _, layout := range []string{sqliteTimeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Measures is what the portal and the chart show of a patient's measures.
type Measures struct {
	Assignments []Assignment
	Checkins    []Checkin // completed, oldest first
	InProgress  []Checkin // saved but not finished
}

// FindMeasures reads patientID's assignments and check-ins, if actor may
// read the chart (the patient, or the care team). Audited as measures.read.
func (s *Store) FindMeasures(ctx context.Context, actor Actor, patientID string) (*Measures, error) {
	m := &Measures{}
	err := s.patientAccess(ctx, actor, patientID, auth.PermChart, "measures.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		if m.Assignments, err = s.assignments(ctx, tx, patientID); err != nil {
			return err
		}
		all, err := checkins(ctx, tx, patientID, "")
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

func checkins(ctx context.Context, tx *Tx, patientID, id string) ([]Checkin, error) {
	q := `SELECT id, instrument, status, answers, total, band, risk, started_at, completed_at, coalesce(course_id, '') FROM checkins WHERE patient_id = $1`
	args := []any{patientID}
	if id != "" {
		q += ` AND id = $2`
		args = append(args, id)
	}
	q += ` ORDER BY coalesce(completed_at, started_at), id`
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Checkin
	for rows.Next() {
		var c Checkin
		var status, answers string
		var total sql.NullInt64
		var done nullTime
		if err := rows.Scan(&c.ID, &c.Instrument, &status, &answers, &total, &c.Band, &c.Risk, &c.StartedAt, &done, &c.CourseID); err != nil {
			return nil, err
		}
		c.Complete, c.Total, c.StartedAt = status == "complete", int(total.Int64), c.StartedAt.UTC()
		if done.valid {
			c.CompletedAt = done.t
		}
		if err := json.Unmarshal([]byte(answers), &c.Answers); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveCheckin stores answers to instrument for patientID: the in-progress
// check-in is created or updated, and with complete it is validated, scored
// and closed for good (a completed check-in never changes). A risk answer
// (PHQ-9 item 9 above 0, or a risk screen at moderate or high) raises a
// safety alert in the same transaction; when the answers cannot be saved
// because another answer is missing or wrong, the alert is raised anyway.
// The patient (or a clinician on the care team) may. Audited. It returns
// the check-in (scored when complete).
func (s *Store) SaveCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, complete bool) (*Checkin, error) {
	return s.saveCheckin(ctx, actor, patientID, instrument, answers, complete, time.Time{})
}

// EnterPaperCheckin records a questionnaire the patient completed on paper
// (or by phone) on date at: scored and closed like any other, entered by a
// clinician on the care team. The date may not be in the future. Like
// every check-in, it belongs to the patient's course in effect at its
// date (clinic.CourseAt).
func (s *Store) EnterPaperCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, at time.Time) (*Checkin, error) {
	if actor.Role != clinic.RoleTherapist && actor.Role != clinic.RolePrescriber {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	if at.IsZero() || at.After(s.now()) {
		return nil, &clinic.Error{Code: clinic.EInvalid, Message: "Enter the date it was completed (not in the future).", Fields: map[string]string{"completed_on": "Enter the date it was completed (not in the future)."}}
	}
	return s.saveCheckin(ctx, actor, patientID, instrument, answers, true, at)
}

func (s *Store) saveCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, complete bool, at time.Time) (*Checkin, error) {
	inst, ok, err := s.Instrument(ctx, instrument)
	if err != nil {
		return nil, err
	}
	if !ok || !inst.Ready() {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that questionnaire.")
	}
	if actor.Role == clinic.RoleAdmin {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	action := "checkin.save"
	if complete {
		action = "checkin.complete"
	}
	// Only the instrument's questions and only their choices are kept; a
	// wrong answer is reported at its question, the others are saved.
	bad := map[string]string{}
	for id, v := range answers {
		okItem := false
		for _, it := range inst.Items {
			if it.ID == id {
				for _, o := range it.Options {
					okItem = okItem || o.Value == v
				}
			}
		}
		if !okItem {
			bad[id] = "That answer is not one of the choices."
			delete(answers, id)
		}
	}
	// Answers to questions no longer asked (a branch the patient turned
	// back from) are dropped before anything else looks at them.
	answers = measure.Prune(inst, answers)
	var c *Checkin
	var verr error // why the check-in could not be completed; the answers are saved anyway
	risky, signal := riskSignal(inst, answers, nil)
	err = s.patientAccess(ctx, actor, patientID, auth.PermChart, action, func(tx *Tx, a Access, e *Entry) error {
		if actor.Role == clinic.RolePatient {
			if err := s.checkDue(ctx, tx, patientID, instrument); err != nil {
				if !risky {
					return err
				}
				// Not due, but a risk answer all the same: the alert goes out.
				verr, e.Detail = err, instrument+":not-due"
				return s.raiseSafetyAlert(ctx, tx, actor, patientID, instrument, signal)
			}
		}
		c = &Checkin{Instrument: instrument, Answers: answers}
		closing := complete && len(bad) == 0
		if len(bad) > 0 {
			verr = &clinic.Error{Code: clinic.EInvalid, Message: "That answer is not one of the choices.", Fields: bad}
		}
		if closing {
			res, err := measure.Score(inst, answers)
			var ve *measure.ValidationError
			switch {
			case errors.As(err, &ve):
				verr, closing = &clinic.Error{Code: clinic.EInvalid, Message: "Please answer every question.", Fields: ve.Fields}, false
			case err != nil:
				return err
			default:
				c.Complete, c.Total, c.Band, c.Risk = true, res.Total, res.Band.Label, string(res.Risk)
				if r2, sig := riskSignal(inst, answers, &res); r2 {
					risky, signal = true, sig
				}
			}
		}
		body, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		now := s.now()
		var id string
		err = sql.ErrNoRows // a paper entry is always a check-in of its own
		if at.IsZero() {
			err = tx.QueryRow(ctx, `SELECT id FROM checkins WHERE patient_id = $1 AND instrument = $2 AND status = 'in_progress' ORDER BY started_at DESC LIMIT 1`, patientID, instrument).Scan(&id)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if !at.IsZero() && !closing {
				return verr // a paper entry is saved only whole
			}
			id = NewID()
			var course string
			if course, err = courseAt(ctx, tx, patientID, now); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO checkins (id, patient_id, instrument, status, answers, author_id, started_at, course_id) VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7)`,
				id, patientID, instrument, string(body), actor.UserID, now, course)
		case err == nil:
			_, err = tx.Exec(ctx, `UPDATE checkins SET answers = $1 WHERE id = $2 AND status = 'in_progress'`, string(body), id)
		}
		if err != nil {
			return err
		}
		c.ID, c.StartedAt = id, now
		if closing {
			if !at.IsZero() {
				now = at.UTC().Truncate(time.Microsecond)
				e.Detail = instrument + ":paper"
			}
			c.CompletedAt = now
			// The score belongs to the course in effect when it was completed.
			if c.CourseID, err = courseAt(ctx, tx, patientID, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE checkins SET status = 'complete', total = $1, band = $2, risk = $3, completed_at = $4, course_id = $5 WHERE id = $6 AND status = 'in_progress'`,
				c.Total, c.Band, c.Risk, now, c.CourseID, id); err != nil {
				return err
			}
		}
		e.ObjectType, e.ObjectID = "checkin", id
		if e.Detail == "" {
			e.Detail = instrument
		}
		if risky {
			return s.raiseSafetyAlert(ctx, tx, actor, patientID, instrument, signal)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return c, verr
	}
	return c, nil
}

// checkDue refuses a patient's check-in of an instrument that is not
// assigned to them, or not due (a once-only questionnaire already done, a
// weekly one done this week), unless one is already in progress: the
// latest score is what the care team and the dashboard read, so it is not
// the patient's to redo at will.
func (s *Store) checkDue(ctx context.Context, tx *Tx, patientID, instrument string) error {
	var started int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM checkins WHERE patient_id = $1 AND instrument = $2 AND status = 'in_progress'`, patientID, instrument).Scan(&started); err != nil {
		return err
	}
	if started > 0 {
		return nil
	}
	as, err := s.assignments(ctx, tx, patientID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Instrument == instrument {
			if a.Due {
				return nil
			}
			return &clinic.Error{Code: clinic.EConflict, Message: "This check-in is not due yet. Thank you: your care team has your latest answers."}
		}
	}
	return clinic.Errorf(clinic.ENotFound, "Your care team has not asked you for this questionnaire.")
}

// riskSignal reports whether answers, even unfinished, already hold a risk
// signal, and says what it is in words (no free text): a risk item answered
// above zero (PHQ-9 item 9), or an answer (or, with res, a result) that the
// risk screen's triage rates moderate or high.
func riskSignal(inst measure.Instrument, a measure.Answers, res *measure.Result) (bool, string) {
	for _, it := range inst.Items {
		if v, ok := a[it.ID]; it.Risk && ok && v > 0 {
			label := strconv.Itoa(v)
			for _, o := range it.Options {
				if o.Value == v {
					label = o.Label
				}
			}
			return true, inst.Name + " item 9 (thoughts that they would be better off dead, or of hurting themselves): " + strings.ToLower(label)
		}
	}
	if res != nil && res.Risk.Alert() {
		return true, inst.Name + ": " + string(res.Risk) + " risk"
	}
	for _, r := range inst.Triage {
		if v, ok := a[r.Item]; ok && v == r.Value && r.Level.Alert() {
			return true, inst.Name + ": an answer rated " + string(r.Level) + " risk"
		}
	}
	return false, ""
}
