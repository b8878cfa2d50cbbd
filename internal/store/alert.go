package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// SafetyAlert is a suicide-risk signal waiting for a clinician.
type SafetyAlert struct {
	ID          string
	PatientID   string
	PatientName string
	Source      string // e.g. "intake", "phq9", "risk"
	Signal      string // what was answered, in words (no free text)
	RaisedAt    time.Time
	LastSignal  time.Time // the newest risk answer this alert stands for
	AckBy       string
	AckAt       *time.Time
	AckNote     string
}

// raiseSafetyAlert opens an alert for patientID from source inside tx, with
// signal saying what was answered. When one from the same source is already
// open, the new answer is recorded on it (signal and time), so a newer,
// perhaps worse answer is never hidden behind an older alert. It is written
// in the same transaction as the answer, so the answer is never saved
// without its alert.
func (s *Store) raiseSafetyAlert(ctx context.Context, tx *Tx, actor Actor, patientID, source, signal string) error {
	now := s.now()
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM safety_alerts WHERE patient_id = $1 AND source = $2 AND acknowledged_at IS NULL ORDER BY raised_at DESC LIMIT 1`, patientID, source).Scan(&id)
	if err == nil {
		if _, err := tx.Exec(ctx, `UPDATE safety_alerts SET signal = $1, last_signal_at = $2 WHERE id = $3`, signal, now, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "alert.signal", PatientID: patientID, ObjectType: "safety_alert", ObjectID: id, Detail: "source=" + source})
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	id = NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO safety_alerts (id, patient_id, source, signal, raised_at, last_signal_at) VALUES ($1, $2, $3, $4, $5, $5)`, id, patientID, source, signal, now); err != nil {
		return err
	}
	// The care team's email goes through the job outbox, written in this
	// transaction: it is sent (and retried) even if the process stops right
	// after the answer is saved. One email per alert; newer answers on an
	// open alert update it without emailing again.
	if _, err := s.EnqueueIn(ctx, tx, JobAlertEmail, `{"alert":"`+id+`"}`, now, JobAlertEmail+":"+id); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: "alert.raise", PatientID: patientID, ObjectType: "safety_alert", ObjectID: id, Detail: "source=" + source})
}

// OpenSafetyAlerts lists the open alerts of the patients on actor's care
// teams, oldest first. Audited when there are any.
func (s *Store) OpenSafetyAlerts(ctx context.Context, actor Actor) ([]SafetyAlert, error) {
	if actor.Role != clinic.RoleTherapist && actor.Role != clinic.RolePrescriber {
		return nil, nil
	}
	var out []SafetyAlert
	err := s.write(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, `SELECT a.id, a.patient_id, p.display_name, a.source, a.signal, a.raised_at, a.last_signal_at
			FROM safety_alerts a JOIN patients p ON p.id = a.patient_id
			JOIN care_team t ON t.patient_id = a.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
			WHERE a.acknowledged_at IS NULL ORDER BY a.raised_at, a.id`, actor.UserID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a SafetyAlert
			if err := rows.Scan(&a.ID, &a.PatientID, &a.PatientName, &a.Source, &a.Signal, &a.RaisedAt, &a.LastSignal); err != nil {
				rows.Close()
				return err
			}
			a.RaisedAt, a.LastSignal = a.RaisedAt.UTC(), a.LastSignal.UTC()
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(out) == 0 {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "alert.list", ObjectType: "safety_alert"})
	})
	return out, err
}

// patientAlerts reads patientID's alerts, open first, newest first.
func patientAlerts(ctx context.Context, tx *Tx, patientID string) ([]SafetyAlert, error) {
	rows, err := tx.Query(ctx, `SELECT a.id, a.source, a.signal, a.raised_at, a.last_signal_at, coalesce(u.display_name, ''), a.acknowledged_at, a.ack_note
		FROM safety_alerts a LEFT JOIN users u ON u.id = a.acknowledged_by
		WHERE a.patient_id = $1 ORDER BY CASE WHEN a.acknowledged_at IS NULL THEN 0 ELSE 1 END, a.raised_at DESC LIMIT 20`, patientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SafetyAlert
	for rows.Next() {
		a := SafetyAlert{PatientID: patientID}
		var ack nullTime
		if err := rows.Scan(&a.ID, &a.Source, &a.Signal, &a.RaisedAt, &a.LastSignal, &a.AckBy, &ack, &a.AckNote); err != nil {
			return nil, err
		}
		a.RaisedAt, a.LastSignal, a.AckAt = a.RaisedAt.UTC(), a.LastSignal.UTC(), ack.ptr()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AcknowledgeSafetyAlert closes alert id of patientID with a note of what
// was done, if actor is a clinician who may read the chart. Audited.
// seen is the alert's LastSignal as the clinician's page showed it: a newer
// answer since then is EConflict, so no one acknowledges an answer they
// have not seen.
func (s *Store) AcknowledgeSafetyAlert(ctx context.Context, actor Actor, patientID, id, note string, seen time.Time) error {
	if actor.Role != clinic.RoleTherapist && actor.Role != clinic.RolePrescriber {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermChart, "alert.acknowledge", func(tx *Tx, a Access, e *Entry) error {
		note = strings.TrimSpace(note)
		if note == "" {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Say what you did (for example: called the patient, safety plan reviewed).", Fields: map[string]string{"ack_note": "Say what you did (for example: called the patient, safety plan reviewed)."}}
		}
		if utf8.RuneCountInString(note) > 2000 {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Use at most 2000 characters.", Fields: map[string]string{"ack_note": "Use at most 2000 characters."}}
		}
		var last time.Time
		err := tx.QueryRow(ctx, `SELECT last_signal_at FROM safety_alerts WHERE id = $1 AND patient_id = $2`, id, patientID).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that alert.")
		}
		if err != nil {
			return err
		}
		if last.UTC().After(seen.UTC().Add(time.Millisecond)) {
			return clinic.Errorf(clinic.EConflict, "A newer answer arrived after you opened this page. Reload the chart, read it, then acknowledge.")
		}
		res, err := tx.Exec(ctx, `UPDATE safety_alerts SET acknowledged_by = $1, acknowledged_at = $2, ack_note = $3 WHERE id = $4 AND patient_id = $5 AND acknowledged_at IS NULL`,
			actor.UserID, s.now(), note, id, patientID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.EConflict, "This alert was already acknowledged.")
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
