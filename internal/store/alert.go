package store

import (
	"context"
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
	Source      string // e.g. "intake"
	RaisedAt    time.Time
	AckBy       string
	AckAt       *time.Time
	AckNote     string
}

// raiseSafetyAlert opens an alert for patientID from source inside tx,
// unless one from the same source is already open. It is written in the
// same transaction as the answer that raised it, so the answer is never
// saved without its alert.
func (s *Store) raiseSafetyAlert(ctx context.Context, tx *Tx, actor Actor, patientID, source string) error {
	var open int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM safety_alerts WHERE patient_id = $1 AND source = $2 AND acknowledged_at IS NULL`, patientID, source).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return nil
	}
	id := NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO safety_alerts (id, patient_id, source, raised_at) VALUES ($1, $2, $3, $4)`, id, patientID, source, s.now()); err != nil {
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
		rows, err := tx.Query(ctx, `SELECT a.id, a.patient_id, p.display_name, a.source, a.raised_at
			FROM safety_alerts a JOIN patients p ON p.id = a.patient_id
			JOIN care_team t ON t.patient_id = a.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
			WHERE a.acknowledged_at IS NULL ORDER BY a.raised_at, a.id`, actor.UserID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a SafetyAlert
			if err := rows.Scan(&a.ID, &a.PatientID, &a.PatientName, &a.Source, &a.RaisedAt); err != nil {
				rows.Close()
				return err
			}
			a.RaisedAt = a.RaisedAt.UTC()
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
	rows, err := tx.Query(ctx, `SELECT a.id, a.source, a.raised_at, coalesce(u.display_name, ''), a.acknowledged_at, a.ack_note
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
		if err := rows.Scan(&a.ID, &a.Source, &a.RaisedAt, &a.AckBy, &ack, &a.AckNote); err != nil {
			return nil, err
		}
		a.RaisedAt, a.AckAt = a.RaisedAt.UTC(), ack.ptr()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AcknowledgeSafetyAlert closes alert id of patientID with a note of what
// was done, if actor is a clinician who may read the chart. Audited.
func (s *Store) AcknowledgeSafetyAlert(ctx context.Context, actor Actor, patientID, id, note string) error {
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
		var exists int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM safety_alerts WHERE id = $1 AND patient_id = $2`, id, patientID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that alert.")
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
		rows, err := tx.Query(ctx, `SELECT u.email FROM care_team t JOIN users u ON u.id = t.user_id
			WHERE t.patient_id = $1 AND t.removed_at IS NULL AND u.disabled_at IS NULL ORDER BY u.email`, patientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
