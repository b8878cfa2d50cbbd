package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The prescription record (issue 7, item 2): what the prescriber decided,
// kept as a record. kapstone does not e-prescribe, and it neither suggests
// nor checks doses.

// Prescription is one prescription of a patient's, as it stands after its
// dose adjustments.
type Prescription struct {
	ID                 string
	Drug               string
	Route              string
	Strength           string
	Dose               string   // current dose per session (after adjustments)
	DoseMg             *float64 // the current dose in mg, when it is written as a plain amount in mg
	SessionsAuthorised int
	SessionsUsed       int // dosed or discharged sessions since it was recorded (until it ended)
	PrescriberName     string
	At                 time.Time
	Adjustments        []DoseAdjustment // oldest first
	EndedAt            *time.Time
	EndReason          string
	EndedByName        string
	OriginalDose       string // the dose as first prescribed
}

// DoseAdjustment is one change of a prescription's dose per session.
type DoseAdjustment struct {
	Dose, Reason, ByName string
	At                   time.Time
}

// RouteTitle is the prescription's route for people.
func (p *Prescription) RouteTitle() string { return clinic.RouteTitle(p.Route) }

// SessionsLeft is how many authorised sessions are not used yet (never
// below zero).
func (p *Prescription) SessionsLeft() int { return max(0, p.SessionsAuthorised-p.SessionsUsed) }

// Prescriptions is a patient's prescription record for the chart.
type Prescriptions struct {
	Current *Prescription  // nil when none is current
	Past    []Prescription // ended ones, newest first
	// CanPrescribe: the reader may record, adjust and end prescriptions
	// (a prescriber on the patient's care team).
	CanPrescribe bool
	// CanDispense: the reader keeps the controlled-substance log and may
	// reach the patient's dosing, so may dispense take-home doses to them
	// from it (the log's own page, /controlled?patient=).
	CanDispense bool
}

// mayPrescribe reports whether the caller, standing as a says to the patient, may
// record or change the patient's prescriptions: a prescriber on the care
// team (not a therapist, and not through emergency access).
func mayPrescribe(a Access) bool { return a.Can(auth.PermPrescribe) }

// FindPrescriptions reads patientID's current and past prescriptions, if
// actor is a clinician who may read the chart. Audited as
// prescription.read.
func (s *Store) FindPrescriptions(ctx context.Context, actor Actor, patientID string) (*Prescriptions, error) {
	out := &Prescriptions{}
	err := s.viewAccess(ctx, actor, patientID, auth.PermClinicalRead, "prescription.read", func(tx *Tx, a Access, e *Entry) error {
		out.CanPrescribe = mayPrescribe(a)
		if a.Can(auth.PermDosing) {
			keep, err := csAllowed(ctx, tx, actor, auth.PermControlled)
			if err != nil {
				return err
			}
			out.CanDispense = keep
		}
		all, err := prescriptionsIn(ctx, tx, patientID, false)
		if err != nil {
			return err
		}
		for i := range all {
			if all[i].EndedAt == nil && out.Current == nil {
				out.Current = &all[i]
			} else {
				out.Past = append(out.Past, all[i])
			}
		}
		e.ObjectType = "prescription"
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordPrescription records a new prescription for patientID and returns
// its id. Only a prescriber on the care team may (anyone else gets
// ENotFound, audited as denied). The input is checked field by field
// (clinic.PrescriptionInput.Validate); a patient whose current prescription
// has not been ended gets a field error saying so. Audited.
func (s *Store) RecordPrescription(ctx context.Context, actor Actor, patientID string, in clinic.PrescriptionInput) (string, error) {
	id := NewID()
	err := s.prescriptionWrite(ctx, actor, patientID, "prescription.record", func(tx *Tx, e *Entry) error {
		if err := in.Validate(); err != nil {
			return err
		}
		cur, err := currentPrescriptionIn(ctx, tx, patientID)
		if err != nil {
			return err
		}
		if cur != nil {
			return clinic.FieldErrors{"form": "This patient already has a current prescription. End it (with the reason) before recording a new one."}.Err()
		}
		var number int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(number), 0) + 1 FROM prescriptions WHERE patient_id = $1`, patientID).Scan(&number); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO prescriptions (id, patient_id, number, drug, route, strength, dose, dose_mg, sessions_authorised, prescriber_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, patientID, number, in.Drug, in.Route, in.Strength, in.Dose, doseMgArg(in.Dose), in.SessionsAuthorised, actor.UserID, s.now())
		e.ObjectType, e.ObjectID, e.Detail = "prescription", id, "route="+in.Route
		return err
	})
	return id, err
}

// AdjustDose changes the dose per session of patientID's current
// prescription, which must be prescriptionID (a form made before the
// prescription was ended or replaced gets EConflict). The new dose and the
// reason are required, and the dose must differ from the current one. Only
// a prescriber on the care team may. Audited.
func (s *Store) AdjustDose(ctx context.Context, actor Actor, patientID, prescriptionID, dose, reason string) error {
	return s.prescriptionWrite(ctx, actor, patientID, "prescription.adjust", func(tx *Tx, e *Entry) error {
		dose, reason = strings.TrimSpace(dose), strings.TrimSpace(reason)
		fe := clinic.FieldErrors{}
		if msg := clinic.CheckDose(dose); msg != "" {
			fe.Add("dose", msg)
		}
		if msg := clinic.CheckReason(reason, "Give the reason for changing the dose."); msg != "" {
			fe.Add("reason", msg)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		cur, err := s.currentFor(ctx, tx, patientID, prescriptionID)
		if err != nil {
			return err
		}
		if strings.EqualFold(cur.Dose, dose) {
			return clinic.FieldErrors{"dose": "That is the current dose. Enter the new dose per session."}.Err()
		}
		seq := len(cur.Adjustments) + 1
		_, err = tx.Exec(ctx, `INSERT INTO prescription_adjustments (id, prescription_id, seq, dose, dose_mg, reason, adjusted_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, NewID(), cur.ID, seq, dose, doseMgArg(dose), reason, actor.UserID, s.now())
		e.ObjectType, e.ObjectID = "prescription", cur.ID
		return err
	})
}

// EndPrescription ends patientID's current prescription, which must be
// prescriptionID, for reason (required). A new one may then be recorded.
// Only a prescriber on the care team may. Audited.
func (s *Store) EndPrescription(ctx context.Context, actor Actor, patientID, prescriptionID, reason string) error {
	return s.prescriptionWrite(ctx, actor, patientID, "prescription.end", func(tx *Tx, e *Entry) error {
		reason = strings.TrimSpace(reason)
		if msg := clinic.CheckReason(reason, "Give the reason for ending this prescription."); msg != "" {
			return clinic.FieldErrors{"reason": msg}.Err()
		}
		cur, err := s.currentFor(ctx, tx, patientID, prescriptionID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO prescription_ends (prescription_id, reason, ended_by, ended_at) VALUES ($1, $2, $3, $4)`,
			cur.ID, reason, actor.UserID, s.now())
		e.ObjectType, e.ObjectID = "prescription", cur.ID
		return err
	})
}

// prescriptionWrite runs fn in an audited write on patientID's chart when
// actor may prescribe for the patient (mayPrescribe); anyone else is
// refused as if the patient did not exist, and the refusal is audited. The
// patient's row is locked first, so concurrent changes to one patient's
// prescriptions happen one after the other (SQLite has one writer anyway);
// a unique number that still collides is a conflict, not a failure.
func (s *Store) prescriptionWrite(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	err := s.patientAccess(ctx, actor, patientID, auth.PermPrescribe, action, func(tx *Tx, a Access, e *Entry) error {
		if _, err := tx.Exec(ctx, `UPDATE patients SET version = version WHERE id = $1`, patientID); err != nil {
			return err
		}
		return fn(tx, e)
	})
	if err != nil && s.d.isUniqueViolation(err) {
		return &clinic.Error{Code: clinic.EConflict, Message: "Someone else changed this prescription at the same moment. Check the record and try again.",
			Fields: map[string]string{"form": "Someone else changed this prescription at the same moment. Check the record and try again."}, Err: err}
	}
	return err
}

// currentFor returns patientID's current prescription when it is
// prescriptionID, and otherwise a conflict: the form was made for a
// prescription that has since ended or been replaced.
func (s *Store) currentFor(ctx context.Context, tx *Tx, patientID, prescriptionID string) (*Prescription, error) {
	cur, err := currentPrescriptionIn(ctx, tx, patientID)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.ID != prescriptionID {
		msg := "This prescription is no longer current (it was ended or replaced). Check the record below."
		return nil, &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"form": msg}}
	}
	return cur, nil
}

// currentPrescriptionIn reads the patient's current (not ended)
// prescription inside tx, nil when none. No access check or audit (for
// store code that has done both).
func currentPrescriptionIn(ctx context.Context, tx *Tx, patientID string) (*Prescription, error) {
	list, err := prescriptionsIn(ctx, tx, patientID, true)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// prescriptionsIn reads patientID's prescriptions, newest first (only the
// current one, when currentOnly), each with its adjustments, current dose
// and sessions used.
func prescriptionsIn(ctx context.Context, tx *Tx, patientID string, currentOnly bool) ([]Prescription, error) {
	q := `SELECT p.id, p.drug, p.route, p.strength, p.dose, p.dose_mg, p.sessions_authorised, coalesce(u.display_name, ''), p.created_at,
			e.ended_at, coalesce(e.reason, ''), coalesce(eu.display_name, '')
		FROM prescriptions p
		LEFT JOIN users u ON u.id = p.prescriber_id
		LEFT JOIN prescription_ends e ON e.prescription_id = p.id
		LEFT JOIN users eu ON eu.id = e.ended_by
		WHERE p.patient_id = $1`
	if currentOnly {
		q += ` AND e.prescription_id IS NULL`
	}
	q += ` ORDER BY p.number DESC`
	list, err := queryAll(ctx, tx, func(row scanner) (Prescription, error) {
		var p Prescription
		var mg sql.NullFloat64
		var ended nullTime
		err := row.Scan(&p.ID, &p.Drug, &p.Route, &p.Strength, &p.Dose, &mg, &p.SessionsAuthorised, &p.PrescriberName, &p.At,
			&ended, &p.EndReason, &p.EndedByName)
		p.At, p.EndedAt, p.OriginalDose = p.At.UTC(), ended.ptr(), p.Dose
		if mg.Valid {
			p.DoseMg = &mg.Float64
		}
		return p, err
	}, q, patientID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		p := &list[i]
		type adj struct {
			DoseAdjustment
			mg sql.NullFloat64
		}
		adjs, err := queryAll(ctx, tx, func(row scanner) (adj, error) {
			var a adj
			err := row.Scan(&a.Dose, &a.mg, &a.Reason, &a.ByName, &a.At)
			a.At = a.At.UTC()
			return a, err
		}, `SELECT a.dose, a.dose_mg, a.reason, coalesce(u.display_name, ''), a.created_at
			FROM prescription_adjustments a LEFT JOIN users u ON u.id = a.adjusted_by
			WHERE a.prescription_id = $1 ORDER BY a.seq`, p.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range adjs {
			p.Adjustments = append(p.Adjustments, a.DoseAdjustment)
			p.Dose, p.DoseMg = a.Dose, nil
			if a.mg.Valid {
				mg := a.mg.Float64
				p.DoseMg = &mg
			}
		}
		// Sessions given under this prescription: dosed or discharged,
		// with the dose (or, before a dose time is recorded, the session)
		// at or after the prescription and before it ended.
		until := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		if p.EndedAt != nil {
			until = *p.EndedAt
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM dosing_sessions
			WHERE patient_id = $1 AND status IN ('dosed', 'discharged') AND coalesce(dose_at, created_at) >= $2 AND coalesce(dose_at, created_at) < $3`,
			patientID, p.At, until).Scan(&p.SessionsUsed); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// doseMgArg is the numeric dose in mg to store beside dose, or NULL.
func doseMgArg(dose string) any {
	if d, ok := clinic.ParseDose(dose, ""); ok && d.Unit == "mg" {
		return d.Amount
	}
	return nil
}
