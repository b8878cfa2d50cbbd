package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
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

	// Set by SaveCheckin: what this save stored and raised.
	Saved   bool               // the answers are stored
	Version int                // the version of the answers now stored
	Signal  measure.RiskSignal // the risk in the answers as stored
	Alert   *RaisedAlert       // the alert the answers opened or added to; nil when none
}

// AssignMeasure asks patientID to complete instrument with cadence,
// replacing an earlier assignment of the same instrument. Clinicians on the
// care team may. Audited.
func (s *Store) AssignMeasure(ctx context.Context, actor Actor, patientID, instrument, cadence string) error {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "measure.assign", func(tx *Tx, a Access, e *Entry) error {
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
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "measure.end", func(tx *Tx, a Access, e *Entry) error {
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
	out, err := queryAll(ctx, tx, func(row scanner) (Assignment, error) {
		var a Assignment
		var last sql.NullString
		err := row.Scan(&a.ID, &a.Instrument, &a.Cadence, &a.AssignedAt, &last)
		a.AssignedAt = a.AssignedAt.UTC()
		if last.Valid {
			a.LastDone = s.d.parseTime(last.String)
		}
		return a, err
	}, `SELECT a.id, a.instrument, a.cadence, a.assigned_at,
			(SELECT max(c.completed_at) FROM checkins c WHERE c.patient_id = a.patient_id AND c.instrument = a.instrument AND c.status = 'complete')
		FROM measure_assignments a WHERE a.patient_id = $1 AND a.ended_at IS NULL ORDER BY a.assigned_at, a.id`, patientID)
	if err != nil {
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
				at := s.d.parseTime(next.String)
				a.Due = at.Sub(now) <= 72*time.Hour && (a.LastDone.IsZero() || at.Sub(a.LastDone) > 72*time.Hour)
			}
		}
	}
	return out, nil
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
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "measures.read", func(tx *Tx, a Access, e *Entry) error {
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
	q := `SELECT ` + checkinColumns + ` FROM checkins WHERE patient_id = $1`
	args := []any{patientID}
	if id != "" {
		q += ` AND id = $2`
		args = append(args, id)
	}
	q += ` ORDER BY coalesce(completed_at, started_at), id`
	return queryAll(ctx, tx, scanCheckin, q, args...)
}

// checkinColumns are the columns scanCheckin reads, of checkins.
const checkinColumns = `id, instrument, status, answers, total, band, risk, started_at, completed_at, coalesce(course_id, '')`

func scanCheckin(row scanner) (Checkin, error) {
	var c Checkin
	var status, answers string
	var total sql.NullInt64
	var done nullTime
	if err := row.Scan(&c.ID, &c.Instrument, &status, &answers, &total, &c.Band, &c.Risk, &c.StartedAt, &done, &c.CourseID); err != nil {
		return c, err
	}
	c.Complete, c.Total, c.StartedAt = status == "complete", int(total.Int64), c.StartedAt.UTC()
	if done.valid {
		c.CompletedAt = done.t
	}
	return c, json.Unmarshal([]byte(answers), &c.Answers)
}

// SaveCheckin stores answers to instrument for patientID: the in-progress
// check-in is created or added to, and with complete it is validated, scored
// and closed for good (a completed check-in never changes). No answer given
// is dropped: an answer to a question the branching would have skipped is
// kept and counted, and every save is a new version of the answers
// (checkin_answers), never an overwrite. Any risk answer (measure.Signal:
// PHQ-9 item 9 above 0, any yes on the risk screen) opens or adds to a
// safety alert in the same transaction. A patient may answer anything the
// portal offers them (an active assignment, due or not, or a check-in they
// started); a risk answer to anything else is kept and alerts all the same.
// An answer that is not one of the choices, or a missing one when
// completing, is EInvalid with its field, the other answers saved anyway.
// The patient (or a clinician on the care team) may. Audited. It returns
// what it stored and raised (Saved, Version, Signal, Alert), with the error
// when there is one.
func (s *Store) SaveCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, complete bool) (*Checkin, error) {
	return s.saveCheckin(ctx, actor, patientID, instrument, answers, complete, time.Time{}, "")
}

// EnterPaperCheckin records a questionnaire the patient completed on paper
// (or by phone) on date at: scored and closed like any other, entered by a
// clinician on the care team. The date may not be in the future. Like
// every check-in, it belongs to the patient's course in effect at its
// date (clinic.CourseAt).
func (s *Store) EnterPaperCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, at time.Time) (*Checkin, error) {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	if at.IsZero() || at.After(s.now()) {
		return nil, &clinic.Error{Code: clinic.EInvalid, Message: "Enter the date it was completed (not in the future).", Fields: map[string]string{"completed_on": "Enter the date it was completed (not in the future)."}}
	}
	return s.saveCheckin(ctx, actor, patientID, instrument, answers, true, at, "paper")
}

// saveCheckin is SaveCheckin, EnterPaperCheckin and RecordCheckin: a
// non-zero at records a check-in completed then, whole, and via names
// where it came from in the audit detail ("paper", "fhir").
func (s *Store) saveCheckin(ctx context.Context, actor Actor, patientID, instrument string, answers measure.Answers, complete bool, at time.Time, via string) (*Checkin, error) {
	inst, ok, err := s.Instrument(ctx, instrument)
	if err != nil {
		return nil, err
	}
	if !ok || !inst.Ready() {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that questionnaire.")
	}
	if !auth.CanSome(actor.Role, auth.PermForms) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	action := "checkin.save"
	if complete {
		action = "checkin.complete"
	}
	// Only the instrument's questions and their choices are kept; a wrong
	// answer is reported at its question, every other one is saved.
	given, bad := measure.Validate(inst, answers)
	var c *Checkin
	var verr error // why the check-in could not be completed; the answers are saved anyway
	err = s.patientAccess(ctx, actor, patientID, auth.PermForms, action, func(tx *Tx, a Access, e *Entry) error {
		c = &Checkin{Instrument: instrument}
		if err := s.d.lockPatientRisk(ctx, tx.tx, patientID); err != nil {
			return err
		}
		// The in-progress check-in, if any: its answers are kept, the new ones added.
		// (completed_at IS NULL, true of every check-in in progress, lets the
		// index find it without reading the patient's completed ones.)
		stored := measure.Answers{}
		var id string
		var version int
		if at.IsZero() {
			var body string
			err := tx.QueryRow(ctx, `SELECT id, answers, started_at FROM checkins WHERE patient_id = $1 AND instrument = $2 AND completed_at IS NULL AND status = 'in_progress' ORDER BY started_at DESC, id DESC LIMIT 1`, patientID, instrument).Scan(&id, &body, &c.StartedAt)
			switch {
			case err == nil:
				if err := json.Unmarshal([]byte(body), &stored); err != nil {
					return err
				}
				if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM checkin_answers WHERE checkin_id = $1`, id).Scan(&version); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		merged := maps.Clone(stored)
		maps.Copy(merged, given)
		c.Answers = merged
		c.Signal = measure.Signal(inst, merged)
		if !a.Can(auth.PermClinical) && id == "" {
			offered, err := s.offered(ctx, tx, patientID, instrument)
			if err != nil {
				return err
			}
			if !offered && !c.Signal.Positive() {
				return clinic.Errorf(clinic.ENotFound, "Your care team has not asked you for this questionnaire.")
			}
			if !offered {
				e.Detail = instrument + ":not-assigned"
			}
		}
		closing := complete && len(bad) == 0
		fields := maps.Clone(bad)
		if closing {
			res, err := measure.Score(inst, merged)
			var ve *measure.ValidationError
			switch {
			case errors.As(err, &ve):
				closing = false
				maps.Copy(fields, ve.Fields)
			case err != nil:
				return err
			default:
				c.Complete, c.Total, c.Band, c.Risk = true, res.Total, res.Band.Label, string(res.Risk)
			}
		}
		if len(fields) > 0 {
			msg := "That answer is not one of the choices."
			if len(bad) == 0 {
				msg = "Please answer every question."
			}
			verr = &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: fields}
		}
		if !at.IsZero() && !closing {
			return verr // a paper entry is saved only whole
		}
		body, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		now := s.now()
		changed := id == "" || !maps.Equal(stored, merged)
		done := now // when it is completed, if it is
		if !at.IsZero() {
			done = at.UTC().Truncate(time.Microsecond)
		}
		course, courseNum, courseOf := "", 0, time.Time{} // the course (and its number) in effect at courseOf, once looked up
		inserted := false                                 // written complete at once
		if id == "" {
			id = NewID()
			c.StartedAt = now
			courseOf = now
			if closing {
				courseOf = done
			}
			if course, courseNum, err = courseNumberAt(ctx, tx, patientID, courseOf); err != nil {
				return err
			}
			if closing {
				// Answered whole in one post: stored complete in one
				// statement (one write of each of its index entries, not
				// an in-progress row and then its completion).
				if _, err := tx.Exec(ctx, `INSERT INTO checkins (id, patient_id, instrument, status, answers, author_id, started_at, course_id, total, band, risk, completed_at)
					VALUES ($1, $2, $3, 'complete', $4, $5, $6, $7, $8, $9, $10, $11)`,
					id, patientID, instrument, string(body), actor.UserID, now, course, c.Total, c.Band, c.Risk, done); err != nil {
					return err
				}
				inserted = true
			} else if _, err := tx.Exec(ctx, `INSERT INTO checkins (id, patient_id, instrument, status, answers, author_id, started_at, course_id) VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7)`,
				id, patientID, instrument, string(body), actor.UserID, now, course); err != nil {
				return err
			}
		} else if changed {
			if _, err := tx.Exec(ctx, `UPDATE checkins SET answers = $1 WHERE id = $2 AND status = 'in_progress'`, string(body), id); err != nil {
				return err
			}
		}
		if changed {
			version++
			if _, err := tx.Exec(ctx, `INSERT INTO checkin_answers (id, checkin_id, version, answers, author_id, saved_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				NewID(), id, version, string(body), actor.UserID, now); err != nil {
				return err
			}
		}
		c.ID, c.Version, c.StartedAt = id, version, c.StartedAt.UTC()
		if closing {
			if !at.IsZero() && via != "" {
				e.Detail = instrument + ":" + via + strings.TrimPrefix(e.Detail, instrument)
			}
			c.CompletedAt = done
			// The score belongs to the course in effect when it was completed
			// (looked up once when it was started at that same time).
			if c.CourseID = course; courseOf.IsZero() || !courseOf.Equal(done) {
				if c.CourseID, courseNum, err = courseNumberAt(ctx, tx, patientID, done); err != nil {
					return err
				}
			}
			if !inserted {
				if _, err := tx.Exec(ctx, `UPDATE checkins SET status = 'complete', total = $1, band = $2, risk = $3, completed_at = $4, course_id = $5 WHERE id = $6 AND status = 'in_progress'`,
					c.Total, c.Band, c.Risk, done, c.CourseID, id); err != nil {
					return err
				}
			}
			if err := s.keepOutcomeCourse(ctx, tx, patientID, instrument, c.CourseID, courseNum, id, c.Total, done); err != nil {
				return err
			}
		}
		e.ObjectType, e.ObjectID = "checkin", id
		if e.Detail == "" {
			e.Detail = instrument
		}
		if c.Signal.Positive() {
			var err error
			c.Alert, err = s.raiseAlert(ctx, tx, actor, patientID, instrument, alertSignal{
				checkinID: id, words: c.Signal.Words(), level: string(c.Signal.Level), urgency: c.Signal.Urgency, severity: c.Signal.Severity,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Saved = true
	if verr != nil {
		return c, verr
	}
	return c, nil
}

// offered reports whether the portal offers instrument to patientID: it
// has an active assignment of it, due or not.
func (s *Store) offered(ctx context.Context, tx *Tx, patientID, instrument string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM measure_assignments WHERE patient_id = $1 AND instrument = $2 AND ended_at IS NULL`, patientID, instrument).Scan(&n)
	return n > 0, err
}

// AnswerVersion is one saved version of a check-in's answers.
type AnswerVersion struct {
	Version  int
	Answers  measure.Answers
	AuthorID string
	SavedAt  time.Time
}

// CheckinVersions returns every saved version of check-in id's answers,
// oldest first, if actor may read patientID's chart. Audited as
// checkin.versions.
func (s *Store) CheckinVersions(ctx context.Context, actor Actor, patientID, id string) ([]AnswerVersion, error) {
	var out []AnswerVersion
	err := s.patientAccess(ctx, actor, patientID, auth.PermChart, "checkin.versions", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.ObjectID = "checkin", id
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (AnswerVersion, error) {
			var v AnswerVersion
			var body string
			if err := row.Scan(&v.Version, &body, &v.AuthorID, &v.SavedAt); err != nil {
				return v, err
			}
			v.SavedAt = v.SavedAt.UTC()
			return v, json.Unmarshal([]byte(body), &v.Answers)
		}, `SELECT v.version, v.answers, v.author_id, v.saved_at FROM checkin_answers v
			JOIN checkins c ON c.id = v.checkin_id WHERE c.patient_id = $1 AND v.checkin_id = $2 ORDER BY v.version`, patientID, id)
		return err
	})
	return out, err
}
