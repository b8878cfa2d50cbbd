package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
)

// SafetyAlert is a suicide-risk signal waiting for a clinician.
type SafetyAlert struct {
	ID          string
	PatientID   string
	PatientName string
	Source      string          // e.g. "intake", "phq9", "risk"
	Signal      string          // the highest answer it holds, in words (no free text)
	Urgency     measure.Urgency // how soon to review it: that of its highest answer
	Signals     []AlertSignal   // every risk answer it holds, newest first (the chart's alerts only)
	RaisedAt    time.Time
	LastSignal  time.Time // the newest risk answer this alert stands for
	AckBy       string
	AckAt       *time.Time
	AckNote     string
}

// RaisedAlert is what a risk answer did: the alert it opened or was added
// to, and that alert's standing after it.
type RaisedAlert struct {
	ID      string
	New     bool            // this answer opened the alert
	Urgency measure.Urgency // the alert's urgency: the highest of its answers
	Signal  string          // the alert's highest signal, in words
}

// AlertSignal is one risk answer kept on an alert, with its time.
type AlertSignal struct {
	CheckinID  string
	Level      string
	Urgency    measure.Urgency
	Signal     string
	AnsweredAt time.Time
}

// alertSignal is a risk answer to record on an alert.
type alertSignal struct {
	checkinID string
	words     string
	level     string
	urgency   measure.Urgency
	severity  int
}

// higher reports whether a is worse than b: more urgent, or as urgent and
// more severe (measure.RiskSignal.Higher over stored values).
func (a alertSignal) higher(b alertSignal) bool {
	return measure.RiskSignal{Urgency: a.urgency, Severity: a.severity}.Higher(measure.RiskSignal{Urgency: b.urgency, Severity: b.severity})
}

// raiseSafetyAlert opens an urgent alert for patientID from source inside
// tx, with signal saying what was answered (the intake's risk question), or
// adds the answer to the open one (see raiseAlert).
func (s *Store) raiseSafetyAlert(ctx context.Context, tx *Tx, actor Actor, patientID, source, signal string) error {
	_, err := s.raiseAlert(ctx, tx, actor, patientID, source, alertSignal{words: signal, urgency: measure.UrgencyUrgent})
	return err
}

// raiseAlert opens an alert for patientID from source inside tx for the
// risk answer sig, in the same transaction as the answer, so the answer is
// never saved without its alert. When one from the same source is already
// open, the answer is kept on it (safety_alert_signals, append-only, with
// its time) and its newest-answer time moves on, so no one acknowledges an
// answer they have not seen; the alert shows the highest answer it holds,
// so a milder later answer never lowers or overwrites it. The same answer
// saved again (an autosave) adds nothing. The care team is emailed when the
// alert opens, and again when it becomes urgent. It holds the patient's
// risk lock (as AcknowledgeSafetyAlert does), so an alert read here as open
// is not acknowledged before this transaction ends.
func (s *Store) raiseAlert(ctx context.Context, tx *Tx, actor Actor, patientID, source string, sig alertSignal) (*RaisedAlert, error) {
	if err := s.d.lockPatientRisk(ctx, tx.tx, patientID); err != nil {
		return nil, err
	}
	now := s.now()
	var id string
	var cur alertSignal
	err := tx.QueryRow(ctx, `SELECT id, signal, level, urgency, severity FROM safety_alerts WHERE patient_id = $1 AND source = $2 AND acknowledged_at IS NULL ORDER BY raised_at DESC, id DESC LIMIT 1`,
		patientID, source).Scan(&id, &cur.words, &cur.level, &cur.urgency, &cur.severity)
	if err == nil {
		out := &RaisedAlert{ID: id, Urgency: cur.urgency, Signal: cur.words}
		var last, lastCheckin string
		err := tx.QueryRow(ctx, `SELECT signal, checkin_id FROM safety_alert_signals WHERE alert_id = $1 ORDER BY answered_at DESC, id DESC LIMIT 1`, id).Scan(&last, &lastCheckin)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil && last == sig.words && lastCheckin == sig.checkinID {
			return out, nil // the same answer again
		}
		if err := s.addAlertSignal(ctx, tx, id, sig, now); err != nil {
			return nil, err
		}
		if sig.higher(cur) {
			if err := updatedOne(tx.Exec(ctx, `UPDATE safety_alerts SET signal = $1, level = $2, urgency = $3, severity = $4, last_signal_at = $5 WHERE id = $6 AND acknowledged_at IS NULL`,
				sig.words, sig.level, string(sig.urgency), sig.severity, now, id)); err != nil {
				return nil, err
			}
			if sig.urgency.Rank() > cur.urgency.Rank() {
				if _, err := s.EnqueueIn(ctx, tx, JobAlertEmail, `{"alert":"`+id+`"}`, now, JobAlertEmail+":"+id+":"+string(sig.urgency)); err != nil {
					return nil, err
				}
			}
			out.Urgency, out.Signal = sig.urgency, sig.words
		} else if err := updatedOne(tx.Exec(ctx, `UPDATE safety_alerts SET last_signal_at = $1 WHERE id = $2 AND acknowledged_at IS NULL`, now, id)); err != nil {
			return nil, err
		}
		return out, s.appendAudit(ctx, tx, actor, Entry{Action: "alert.signal", PatientID: patientID, ObjectType: "safety_alert", ObjectID: id, Detail: "source=" + source})
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	id = NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO safety_alerts (id, patient_id, source, signal, level, urgency, severity, raised_at, last_signal_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		id, patientID, source, sig.words, sig.level, string(sig.urgency), sig.severity, now); err != nil {
		return nil, err
	}
	if err := s.addAlertSignal(ctx, tx, id, sig, now); err != nil {
		return nil, err
	}
	// The care team's email goes through the job outbox, written in this
	// transaction: it is sent (and retried) even if the process stops right
	// after the answer is saved. One email per alert, and one more if it
	// becomes urgent; other newer answers update it without emailing again.
	if _, err := s.EnqueueIn(ctx, tx, JobAlertEmail, `{"alert":"`+id+`"}`, now, JobAlertEmail+":"+id); err != nil {
		return nil, err
	}
	return &RaisedAlert{ID: id, New: true, Urgency: sig.urgency, Signal: sig.words},
		s.appendAudit(ctx, tx, actor, Entry{Action: "alert.raise", PatientID: patientID, ObjectType: "safety_alert", ObjectID: id, Detail: "source=" + source})
}

// updatedOne checks that an UPDATE of an open alert changed exactly one
// row. Under the patient's risk lock an alert read as open stays open, so
// anything else is a broken invariant, never a lost answer: the
// transaction fails rather than adding the answer to a closed alert.
func updatedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("alert: %d open alerts updated, want 1", n)
	}
	return nil
}

// addAlertSignal keeps one risk answer on alert id, with its time.
func (s *Store) addAlertSignal(ctx context.Context, tx *Tx, id string, sig alertSignal, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO safety_alert_signals (id, alert_id, checkin_id, level, urgency, severity, signal, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		NewID(), id, sig.checkinID, sig.level, string(sig.urgency), sig.severity, sig.words, at)
	return err
}

// alertSignals reads every risk answer kept on alert id, newest first.
func alertSignals(ctx context.Context, tx *Tx, id string) ([]AlertSignal, error) {
	return queryAll(ctx, tx, func(row scanner) (AlertSignal, error) {
		var g AlertSignal
		err := row.Scan(&g.CheckinID, &g.Level, &g.Urgency, &g.Signal, &g.AnsweredAt)
		g.AnsweredAt = g.AnsweredAt.UTC()
		return g, err
	}, `SELECT checkin_id, level, urgency, signal, answered_at FROM safety_alert_signals WHERE alert_id = $1 ORDER BY answered_at DESC, id DESC`, id)
}

// openAlertsQuery is OpenSafetyAlerts' statement ($1: the clinician).
const openAlertsQuery = `SELECT a.id, a.patient_id, p.display_name, a.source, a.signal, a.urgency, a.raised_at, a.last_signal_at
	FROM safety_alerts a CROSS JOIN care_team t JOIN patients p ON p.id = a.patient_id
	WHERE t.patient_id = a.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
	AND a.acknowledged_at IS NULL ORDER BY CASE WHEN a.urgency = 'working_day' THEN 1 ELSE 0 END, a.raised_at, a.id`

// OpenSafetyAlerts lists the open alerts of the patients on actor's care
// teams, oldest first. Audited when there are any. It reads the open
// alerts (safety_alerts_open_time; SQLite takes a CROSS JOIN's left table
// as the outer loop) and checks each against the care team, so it costs
// the practice's open alerts, not the caseload.
func (s *Store) OpenSafetyAlerts(ctx context.Context, actor Actor) ([]SafetyAlert, error) {
	if !actor.may(auth.PermCaseload) {
		return nil, nil
	}
	var out []SafetyAlert
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (SafetyAlert, error) {
			var a SafetyAlert
			err := row.Scan(&a.ID, &a.PatientID, &a.PatientName, &a.Source, &a.Signal, &a.Urgency, &a.RaisedAt, &a.LastSignal)
			a.RaisedAt, a.LastSignal = a.RaisedAt.UTC(), a.LastSignal.UTC()
			return a, err
		}, openAlertsQuery, actor.UserID)
		if err != nil || len(out) == 0 {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "alert.list", ObjectType: "safety_alert"})
	})
	return out, err
}

// patientAlerts reads patientID's alerts, open first, newest first, each
// open one with every risk answer it holds.
func patientAlerts(ctx context.Context, tx *Tx, patientID string) ([]SafetyAlert, error) {
	out, err := queryAll(ctx, tx, func(row scanner) (SafetyAlert, error) {
		a := SafetyAlert{PatientID: patientID}
		var ack nullTime
		err := row.Scan(&a.ID, &a.Source, &a.Signal, &a.Urgency, &a.RaisedAt, &a.LastSignal, &a.AckBy, &ack, &a.AckNote)
		a.RaisedAt, a.LastSignal, a.AckAt = a.RaisedAt.UTC(), a.LastSignal.UTC(), ack.ptr()
		return a, err
	}, `SELECT a.id, a.source, a.signal, a.urgency, a.raised_at, a.last_signal_at, coalesce(u.display_name, ''), a.acknowledged_at, a.ack_note
		FROM safety_alerts a LEFT JOIN users u ON u.id = a.acknowledged_by
		WHERE a.patient_id = $1 ORDER BY CASE WHEN a.acknowledged_at IS NULL THEN 0 ELSE 1 END, a.raised_at DESC LIMIT 20`, patientID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].AckAt != nil {
			continue
		}
		var err error
		if out[i].Signals, err = alertSignals(ctx, tx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AcknowledgeSafetyAlert closes alert id of patientID with a note of what
// was done, if actor is a clinician who may read the chart. Audited.
// seen is the alert's LastSignal as the clinician's page showed it: a newer
// answer since then is EConflict, so no one acknowledges an answer they
// have not seen.
func (s *Store) AcknowledgeSafetyAlert(ctx context.Context, actor Actor, patientID, id, note string, seen time.Time) error {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "alert.acknowledge", func(tx *Tx, a Access, e *Entry) error {
		note = strings.TrimSpace(note)
		if note == "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Say what you did (for example: called the patient, safety plan reviewed).", Fields: map[string]string{"ack_note": "Say what you did (for example: called the patient, safety plan reviewed)."}}
		}
		if utf8.RuneCountInString(note) > 2000 {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Use at most 2000 characters.", Fields: map[string]string{"ack_note": "Use at most 2000 characters."}}
		}
		if !clinic.MultiLine(note) {
			return clinic.FieldErrors{"ack_note": clinic.TextProblem}.Err()
		}
		// Under the patient's risk lock no answer is added while this runs;
		// one conditional UPDATE closes the alert only if it is still open
		// and holds no answer newer than the one the page showed (compared
		// exactly: both engines keep microseconds, and seen is the stored
		// value sent back by the page).
		if err := s.d.lockPatientRisk(ctx, tx.tx, patientID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE safety_alerts SET acknowledged_by = $1, acknowledged_at = $2, ack_note = $3
			WHERE id = $4 AND patient_id = $5 AND acknowledged_at IS NULL AND last_signal_at <= $6`,
			actor.UserID, s.now(), note, id, patientID, seen.UTC())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			// Say why: no such alert, already acknowledged, or a newer answer.
			var ack nullTime
			err := tx.QueryRow(ctx, `SELECT acknowledged_at FROM safety_alerts WHERE id = $1 AND patient_id = $2`, id, patientID).Scan(&ack)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return clinic.Errorf(clinic.ENotFound, "We could not find that alert.")
			case err != nil:
				return err
			case ack.ptr() != nil:
				return clinic.Errorf(clinic.EConflict, "This alert was already acknowledged.")
			}
			return clinic.Errorf(clinic.EConflict, "A newer answer arrived after you opened this page. Reload the chart, read it, then acknowledge.")
		}
		e.ObjectType, e.ObjectID = "safety_alert", id
		return nil
	})
}

// CareTeamEmails returns the email addresses of the enabled clinicians on
// patientID's care team (for notifications that carry no patient data).
func (s *Store) CareTeamEmails(ctx context.Context, patientID string) ([]string, error) {
	var out []string
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = queryStrings(ctx, tx, `SELECT u.email FROM care_team t JOIN users u ON u.id = t.user_id
			WHERE t.patient_id = $1 AND t.removed_at IS NULL AND u.disabled_at IS NULL ORDER BY u.email`, patientID)
		return err
	})
	return out, err
}

// JobAlertEmail is the job kind that emails a care team about a new safety
// alert. Its payload names the alert only: no patient information.
const JobAlertEmail = "alert.email"

// AlertEmailRecipients returns the care team's addresses for the alert
// alertID, and whether it is still open (an acknowledged alert needs no
// email any more). A missing alert is an error.
func (s *Store) AlertEmailRecipients(ctx context.Context, alertID string) (emails []string, open bool, err error) {
	var patientID string
	var ack sql.NullTime
	err = s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT patient_id, acknowledged_at FROM safety_alerts WHERE id = $1`, alertID).Scan(&patientID, &ack)
	})
	if err != nil {
		return nil, false, err
	}
	if ack.Valid {
		return nil, false, nil
	}
	emails, err = s.CareTeamEmails(ctx, patientID)
	return emails, true, err
}
