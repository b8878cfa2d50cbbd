package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/icd10"
)

// What a superbill says besides the ledger (issue 21): the practice's
// address, tax id (EIN) and organization NPI (practice settings), each
// clinician's own NPI (users.npi), the patient's postal address and their
// diagnoses (ICD-10-CM codes of internal/icd10, in rank order).

// Practice settings keys of the superbill's practice block.
const (
	settingAddressLine1 = "practice_address_line1"
	settingAddressLine2 = "practice_address_line2"
	settingCity         = "practice_city"
	settingState        = "practice_state"
	settingPostalCode   = "practice_postal_code"
	settingTaxID        = "practice_tax_id"
	settingNPI          = "practice_npi"
)

// practiceBillingIn reads the practice's address, tax id and NPI into ps.
func practiceBillingIn(ctx context.Context, tx *Tx, ps *PracticeSettings) error {
	for _, kv := range []struct {
		key string
		v   *string
	}{
		{settingAddressLine1, &ps.Address.Line1}, {settingAddressLine2, &ps.Address.Line2}, {settingCity, &ps.Address.City},
		{settingState, &ps.Address.State}, {settingPostalCode, &ps.Address.PostalCode}, {settingTaxID, &ps.TaxID}, {settingNPI, &ps.NPI},
	} {
		v, err := settingIn(ctx, tx, kv.key, "")
		if err != nil {
			return err
		}
		*kv.v = v
	}
	return nil
}

// checkPracticeBilling trims ps's address, tax id and NPI and records what
// is wrong with them in fe (fields address_line1 ... address_postal_code,
// tax_id, npi).
func checkPracticeBilling(ps *PracticeSettings, fe clinic.FieldErrors) {
	clinic.CheckAddress(&ps.Address, "address_", fe)
	var msg string
	if ps.TaxID, msg = clinic.CheckEIN(ps.TaxID); msg != "" {
		fe.Add("tax_id", msg)
	}
	if ps.NPI, msg = clinic.CheckNPI(ps.NPI); msg != "" {
		fe.Add("npi", msg)
	} else if ps.NPI != "" && ps.NPI[0] != '2' {
		// Organizations (type 2) are enumerated from 2, individuals from 1.
		fe.Add("npi", "This looks like a person's NPI (it starts with 1). Enter the practice's organization NPI, which starts with 2, or leave it empty.")
	}
}

// practiceBillingValues are the settings SavePractice stores for ps's
// superbill block.
func practiceBillingValues(ps PracticeSettings) [][2]string {
	return [][2]string{{settingAddressLine1, ps.Address.Line1}, {settingAddressLine2, ps.Address.Line2}, {settingCity, ps.Address.City},
		{settingState, ps.Address.State}, {settingPostalCode, ps.Address.PostalCode}, {settingTaxID, ps.TaxID}, {settingNPI, ps.NPI}}
}

// StaffNPI returns userID's own (type 1) NPI, "" when not given, to an
// administrator or to the staff member themself (auth.PermStaffProfile);
// anyone else, or an unknown or patient account, gets ENotFound.
func (s *Store) StaffNPI(ctx context.Context, actor Actor, userID string) (string, error) {
	if !canEditProfile(actor, userID) {
		return "", clinic.Errorf(clinic.ENotFound, "We could not find that staff member.")
	}
	var npi string
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		npi, err = staffNPIIn(ctx, tx, userID)
		return err
	})
	return npi, err
}

// staffNPIIn is userID's own NPI ("" when not given) inside tx, for a
// page that checked its access already (a superbill names the clinician
// of each session); an unknown or patient account is ENotFound.
func staffNPIIn(ctx context.Context, tx *Tx, userID string) (string, error) {
	var npi string
	err := tx.QueryRow(ctx, `SELECT npi FROM users WHERE id = $1 AND role <> 'patient'`, userID).Scan(&npi)
	if errors.Is(err, sql.ErrNoRows) {
		return "", clinic.Errorf(clinic.ENotFound, "We could not find that staff member.")
	}
	return npi, err
}

// SetStaffNPI stores userID's own NPI (trimmed; "" clears it), for an
// administrator or the staff member themself (auth.PermStaffProfile). An
// NPI that is not ten digits with a valid check digit (clinic.CheckNPI),
// or an organization's (starting with 2), is an EInvalid error on field
// "npi". Audited as user.npi (the number is not PHI; the detail says only
// whether it was set or cleared).
func (s *Store) SetStaffNPI(ctx context.Context, actor Actor, userID, npi string) error {
	if !canEditProfile(actor, userID) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that staff member.")
	}
	npi, msg := clinic.CheckNPI(npi)
	if msg == "" && npi != "" && npi[0] != '1' {
		msg = "This looks like an organization's NPI (it starts with 2). Enter the clinician's own NPI, which starts with 1."
	}
	if msg != "" {
		fe := clinic.FieldErrors{}
		fe.Add("npi", msg)
		return fe.Err()
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET npi = $1, updated_at = $2 WHERE id = $3 AND role <> 'patient'`, npi, s.now(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that staff member.")
		}
		detail := "set"
		if npi == "" {
			detail = "cleared"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "user.npi", ObjectType: "user", ObjectID: userID, Detail: detail})
	})
}

// SavePatientAddress stores patientID's postal address (all empty clears
// it), if actor may change the patient's details (auth.PermDetails). What
// is wrong is an EInvalid error on fields line1, line2, city, state,
// postal_code (clinic.CheckAddress). Audited as patient.update, detail
// "address".
func (s *Store) SavePatientAddress(ctx context.Context, actor Actor, patientID string, a clinic.Address) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermDetails, "patient.update", func(tx *Tx, _ Access, e *Entry) error {
		fe := clinic.FieldErrors{}
		clinic.CheckAddress(&a, "", fe)
		if err := fe.Err(); err != nil {
			return err
		}
		e.Detail = "address"
		_, err := tx.Exec(ctx, `UPDATE patients SET address_line1 = $1, address_line2 = $2, address_city = $3, address_state = $4, address_postal_code = $5, updated_at = $6
			WHERE id = $7`, a.Line1, a.Line2, a.City, a.State, a.PostalCode, s.now(), patientID)
		return err
	})
}

// MaxDiagnoses is how many current diagnoses a patient may have: the
// twelve diagnosis pointers (A to L) of a claim form.
const MaxDiagnoses = 12

// maxDiagnosisRows bounds the history read with the current list.
const maxDiagnosisRows = 200

// Diagnosis is one ICD-10-CM code on a patient's chart.
type Diagnosis struct {
	ID, Code, Text string
	Rank           int // 1 is the primary; among current diagnoses only
	AddedBy        string
	AddedAt        time.Time
	RemovedBy      string     // "" while current
	RemovedAt      *time.Time // nil while current
}

// Diagnoses returns patientID's diagnoses, if actor may read the chart
// (auth.PermChart): the current ones in rank order (the primary first),
// then the removed ones, most recently removed first (at most
// maxDiagnosisRows in all). Audited as diagnosis.read; a foreign or
// missing patient is ENotFound.
func (s *Store) Diagnoses(ctx context.Context, actor Actor, patientID string) ([]Diagnosis, error) {
	var out []Diagnosis
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "diagnosis.read", func(tx *Tx, _ Access, e *Entry) error {
		e.ObjectType = "diagnosis"
		var err error
		out, err = diagnosesIn(ctx, tx, patientID)
		return err
	})
	return out, err
}

func diagnosesIn(ctx context.Context, tx *Tx, patientID string) ([]Diagnosis, error) {
	return queryAll(ctx, tx, func(row scanner) (Diagnosis, error) {
		var d Diagnosis
		var removedAt sql.NullTime
		err := row.Scan(&d.ID, &d.Code, &d.Text, &d.Rank, &d.AddedBy, &d.AddedAt, &d.RemovedBy, &removedAt)
		d.AddedAt = d.AddedAt.UTC()
		if removedAt.Valid {
			t := removedAt.Time.UTC()
			d.RemovedAt = &t
		}
		return d, err
	}, `SELECT d.id, d.code, d.text, d.rank, a.display_name, d.added_at, coalesce(r.display_name, ''), d.removed_at
		FROM patient_diagnoses d JOIN users a ON a.id = d.added_by LEFT JOIN users r ON r.id = d.removed_by
		WHERE d.patient_id = $1
		ORDER BY CASE WHEN d.removed_at IS NULL THEN 0 ELSE 1 END, d.rank, d.removed_at DESC, d.id
		LIMIT `+strconv.Itoa(maxDiagnosisRows), patientID)
}

// currentDiagnosisIDs are patientID's current diagnoses' ids in rank order.
func currentDiagnosisIDs(ctx context.Context, tx *Tx, patientID string) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT id FROM patient_diagnoses WHERE patient_id = $1 AND removed_at IS NULL ORDER BY rank, added_at, id LIMIT `+
		strconv.Itoa(MaxDiagnoses+1), patientID)
}

// rerank numbers ids 1, 2, ... in their order.
func rerank(ctx context.Context, tx *Tx, ids []string) error {
	for i, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE patient_diagnoses SET rank = $1 WHERE id = $2 AND rank <> $1`, i+1, id); err != nil {
			return err
		}
	}
	return nil
}

func diagnosisField(msg string) error {
	fe := clinic.FieldErrors{}
	fe.Add("code", msg)
	return fe.Err()
}

// AddDiagnosis puts code (a billable code of icd10, in any spelling
// icd10.Normalize accepts) on patientID's chart, last in rank (first when
// it is the only one), if actor may change the clinical record
// (auth.PermClinical: the care team's clinicians). An unknown code, a
// heading, a code the patient has already, or a thirteenth is an
// EInvalid error on field "code". Audited as diagnosis.add with the code.
func (s *Store) AddDiagnosis(ctx context.Context, actor Actor, patientID, code string) (*Diagnosis, error) {
	var out *Diagnosis
	err := s.patientAccess(ctx, actor, patientID, auth.PermClinical, "diagnosis.add", func(tx *Tx, _ Access, e *Entry) error {
		c, msg := icd10.Check(code)
		if msg != "" {
			return diagnosisField(msg)
		}
		ids, err := currentDiagnosisIDs(ctx, tx, patientID)
		if err != nil {
			return err
		}
		if len(ids) >= MaxDiagnoses {
			return diagnosisField("A superbill holds at most " + strconv.Itoa(MaxDiagnoses) + " diagnoses; remove one first.")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM patient_diagnoses WHERE patient_id = $1 AND code = $2 AND removed_at IS NULL`, patientID, c.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return diagnosisField(c.Code + " is on the chart already.")
		}
		d := Diagnosis{ID: NewID(), Code: c.Code, Text: c.Text, Rank: len(ids) + 1, AddedAt: s.now()}
		if _, err := tx.Exec(ctx, `INSERT INTO patient_diagnoses (id, patient_id, code, text, rank, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			d.ID, patientID, d.Code, d.Text, d.Rank, actor.UserID, d.AddedAt); err != nil {
			if s.d.isUniqueViolation(err) {
				return diagnosisField(c.Code + " is on the chart already.")
			}
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "diagnosis", d.ID, "code="+d.Code
		out = &d
		return nil
	})
	return out, err
}

// changeDiagnosis runs fn on patientID's current diagnoses' ids (in rank
// order) for a current diagnosis id of theirs, then stores the order fn
// returns as the ranks. An id not among them is ENotFound, except that
// with removedDone one of the patient's removed diagnoses is done already
// (nil: a second click of Remove is not an error).
func (s *Store) changeDiagnosis(ctx context.Context, actor Actor, patientID, id, action string, removedDone bool, fn func(tx *Tx, ids []string, i int) ([]string, error)) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, action, func(tx *Tx, _ Access, e *Entry) error {
		ids, err := currentDiagnosisIDs(ctx, tx, patientID)
		if err != nil {
			return err
		}
		i := -1
		for j, x := range ids {
			if x == id {
				i = j
			}
		}
		var code string
		var removed bool
		err = tx.QueryRow(ctx, `SELECT code, removed_at IS NOT NULL FROM patient_diagnoses WHERE id = $1 AND patient_id = $2`, id, patientID).Scan(&code, &removed)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && i < 0 && !(removed && removedDone)) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that diagnosis; it may have been removed.")
		}
		if err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "diagnosis", id, "code="+code
		if i < 0 {
			e.Detail += "; removed already"
			return nil
		}
		if ids, err = fn(tx, ids, i); err != nil {
			return err
		}
		return rerank(ctx, tx, ids)
	})
}

// RemoveDiagnosis marks patientID's current diagnosis id removed (by actor,
// now; the row stays as history) and closes the gap in the ranks, if actor
// may change the clinical record (auth.PermClinical). One removed already
// is left as it is (nil); one not on this patient's chart is ENotFound.
// Audited as diagnosis.remove with the code.
func (s *Store) RemoveDiagnosis(ctx context.Context, actor Actor, patientID, id string) error {
	return s.changeDiagnosis(ctx, actor, patientID, id, "diagnosis.remove", true, func(tx *Tx, ids []string, i int) ([]string, error) {
		if _, err := tx.Exec(ctx, `UPDATE patient_diagnoses SET removed_by = $1, removed_at = $2 WHERE id = $3 AND removed_at IS NULL`, actor.UserID, s.now(), id); err != nil {
			return nil, err
		}
		return append(ids[:i:i], ids[i+1:]...), nil
	})
}

// MakePrimaryDiagnosis moves patientID's current diagnosis id to rank 1,
// the others keeping their order after it, if actor may change the
// clinical record (auth.PermClinical). A diagnosis not current on this
// patient's chart is ENotFound. Audited as diagnosis.primary with the code.
func (s *Store) MakePrimaryDiagnosis(ctx context.Context, actor Actor, patientID, id string) error {
	return s.changeDiagnosis(ctx, actor, patientID, id, "diagnosis.primary", false, func(tx *Tx, ids []string, i int) ([]string, error) {
		return append([]string{id}, append(ids[:i:i], ids[i+1:]...)...), nil
	})
}
