package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/rems"
)

// REMSForm is one version of a session's Spravato REMS patient monitoring
// form (internal/rems). kapstone keeps it and records that the practice
// submitted it (on the REMS portal or by fax, outside kapstone): kapstone
// never sends it.
type REMSForm struct {
	ID           string // "" for a form not yet saved (filled from the session as it is now)
	SessionID    string
	PatientID    string
	PatientName  string
	Version      int
	ReplacesID   string
	Fields       rems.Form
	DoseAt       time.Time
	FilledAt     time.Time // when the session's fields were last copied in
	SignedBy     string    // name
	SignedAt     *time.Time
	SubmittedAt  *time.Time
	SubmittedHow string // RemsPortal or RemsFax
	SubmittedBy  string // name
}

// Signed reports whether the version is signed (and so never changes).
func (f REMSForm) Signed() bool { return f.SignedAt != nil }

// Missing is what still keeps the form from being signed (rems.Missing,
// less what the form records as it was: a dose other than 56 or 84 mg
// ("other" on the form) and a monitoring time under 2 hours).
func (f REMSForm) Missing() map[string]string {
	m := rems.Missing(f.Fields)
	delete(m, rems.FDose)
	delete(m, rems.FMinutes)
	return m
}

// How a form was submitted (outside kapstone).
const (
	RemsPortal = "portal"
	RemsFax    = "fax"
)

// REMSConfirm is what the prescriber confirms on the form; the rest comes
// from the session's record.
type REMSConfirm struct {
	ReadyAt          time.Time
	Sedation         string
	SedationGone     string
	Dissociation     string
	DissociationGone string
	RespDepression   string
	RespGone         string
	SpO2             string
	SAE              string
	SAEText          string
}

var remsNames = []string{"esketamine", "spravato"}

// remsSession reports whether session d needs a REMS form: its dose was
// drawn from a lot of a product the product list marks REMS. A practice
// that keeps no controlled-substance log has no product list, so there
// the record's own words decide: the dose's lot text or the prescription's
// drug naming esketamine or Spravato (the only REMS ketamine product).
func remsSession(ctx context.Context, tx *Tx, d *DosingSession) (bool, error) {
	if d.DoseAt == nil {
		return false, nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cs_entries e JOIN cs_lots l ON l.id = e.lot_id JOIN cs_products p ON p.id = l.product_id
		WHERE e.session_id = $1 AND e.kind = 'administer' AND p.rems`, d.ID).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	kept, err := csKept(ctx, tx)
	if err != nil || kept {
		return false, err
	}
	text := strings.ToLower(d.DoseLot)
	if d.Prescription != nil {
		text += " " + strings.ToLower(d.Prescription.Drug)
	}
	for _, w := range remsNames {
		if strings.Contains(text, w) {
			return true, nil
		}
	}
	return false, nil
}

// remsPrefill fills the form's fields from the session's record: the dose
// and lot, the monitoring clinician (who ran the session), monitoring from the dose to discharge, the three blood
// pressures (rems.BeforeDose, AtForty, BeforeDischarge) and the lowest
// SpO₂ after the dose. The sedation, dissociation and respiratory
// depression answers (and whether each resolved) come from the readings'
// MOAA/S, dissociation and respiratory signs (rems.Observed) where the
// session recorded them; an answer already on the form (keep) stays, and
// a measure never recorded is left for the prescriber to answer.
func remsPrefill(d *DosingSession, keep rems.Form) rems.Form {
	f := keep
	f.DoseMg, f.Lot, f.Clinician = 0, d.DoseLot, d.Clinician
	if a, ok := clinic.ParseDose(d.DoseAmount, ""); ok && a.Unit == "mg" && a.Amount == float64(int(a.Amount)) {
		f.DoseMg = int(a.Amount)
	}
	f.Start, f.End, f.BPBefore, f.BPForty, f.BPDischarge = time.Time{}, time.Time{}, "", "", ""
	if d.DoseAt == nil {
		return f
	}
	f.Start = d.DoseAt.UTC()
	var end time.Time
	if d.DischargedAt != nil {
		end = d.DischargedAt.UTC()
		f.End = end
		if f.ReadyAt.IsZero() {
			f.ReadyAt = end
		}
	}
	if v := rems.BeforeDose(*d.DoseAt, d.Vitals); v != nil {
		f.BPBefore = v.BP()
	}
	if v := rems.AtForty(*d.DoseAt, d.Vitals); v != nil {
		f.BPForty = v.BP()
	}
	if v := rems.BeforeDischarge(*d.DoseAt, end, d.Vitals); v != nil {
		f.BPDischarge = v.BP()
	}
	// What the readings recorded answer (part 2's MOAA/S, dissociation and
	// respiratory signs); an answer the prescriber already gave is kept.
	obs := [6]string{}
	obs[0], obs[1], obs[2], obs[3], obs[4], obs[5] = rems.Observed(*d.DoseAt, end, d.Vitals)
	for i, p := range []*string{&f.Sedation, &f.SedationGone, &f.Dissociation, &f.DissociationGone, &f.RespDepression, &f.RespGone} {
		if *p == "" {
			*p = obs[i]
		}
	}
	if keep.SpO2 == "" {
		low := -1
		for _, v := range d.Vitals {
			if v.SpO2 != nil && !v.At.Before(*d.DoseAt) && (end.IsZero() || !v.At.After(end)) && (low < 0 || *v.SpO2 < low) {
				low = *v.SpO2
			}
		}
		if low >= 0 {
			f.SpO2 = strconv.Itoa(low)
		}
	}
	return f
}

const remsColumns = `f.id, f.session_id, f.patient_id, p.display_name, f.version, COALESCE(f.replaces_id, ''), f.fields, f.dose_at, f.filled_at,
	COALESCE(sb.display_name, ''), f.signed_at, f.submitted_at, f.submitted_how, COALESCE(ub.display_name, '')`

const remsFrom = ` FROM rems_forms f JOIN patients p ON p.id = f.patient_id LEFT JOIN users sb ON sb.id = f.signed_by LEFT JOIN users ub ON ub.id = f.submitted_by`

func scanREMS(r scanner) (f REMSForm, err error) {
	var fields string
	var signed, submitted sql.NullTime
	if err = r.Scan(&f.ID, &f.SessionID, &f.PatientID, &f.PatientName, &f.Version, &f.ReplacesID, &fields, &f.DoseAt, &f.FilledAt,
		&f.SignedBy, &signed, &submitted, &f.SubmittedHow, &f.SubmittedBy); err != nil {
		return f, err
	}
	f.DoseAt, f.FilledAt, f.SignedAt, f.SubmittedAt = f.DoseAt.UTC(), f.FilledAt.UTC(), utcPtr(signed), utcPtr(submitted)
	return f, json.Unmarshal([]byte(fields), &f.Fields)
}

// remsVersions reads every version of the session's form, newest first.
func remsVersions(ctx context.Context, tx *Tx, patientID, sessionID string) ([]REMSForm, error) {
	return queryAll(ctx, tx, scanREMS, `SELECT `+remsColumns+remsFrom+` WHERE f.session_id = $1 AND f.patient_id = $2 ORDER BY f.version DESC`, sessionID, patientID)
}

// NoREMSForm says why a session has no REMS form.
const NoREMSForm = "This session needs no REMS monitoring form: its dose was not drawn from a product the product list marks REMS."

func errNoREMS() error { return clinic.Errorf(clinic.ENotFound, "We could not find that page.") }

// REMSFormFor reads the session's REMS form: every version, newest first;
// when none is saved yet, one unsaved version filled from the session as
// it is now (ID ""). None (and no error) when the session needs no REMS
// form.
// Whoever may read the chart; audited.
func (s *Store) REMSFormFor(ctx context.Context, actor Actor, patientID, sessionID string) ([]REMSForm, *DosingSession, error) {
	if err := clinicianOnly(actor); err != nil {
		return nil, nil, err
	}
	var out []REMSForm
	var sess *DosingSession
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "rems.read", func(tx *Tx, a Access, e *Entry) error {
		d, err := s.dosingSession(ctx, tx, patientID, sessionID)
		if err != nil {
			return err
		}
		sess = d
		e.ObjectType, e.ObjectID = "dosing_session", sessionID
		if out, err = remsVersions(ctx, tx, patientID, sessionID); err != nil || len(out) > 0 {
			return err
		}
		ok, err := remsSession(ctx, tx, d)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		out = []REMSForm{{SessionID: sessionID, PatientID: patientID, PatientName: d.PatientName, Version: 1, DoseAt: d.DoseAt.UTC(), Fields: remsPrefill(d, rems.Form{})}}
		return nil
	})
	return out, sess, err
}

func onlyPrescriber(actor Actor) error {
	if !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		return clinic.FieldErrors{"form": "Only a prescriber can fill in, sign or record the submission of a REMS form."}.Err()
	}
	return nil
}

// remsWrite runs fn on the newest version of the session's form, locked,
// creating version 1 (filled from the session) when there is none: by a
// prescriber on the care team; audited as action.
func (s *Store) remsWrite(ctx context.Context, actor Actor, patientID, sessionID, action string, fn func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	if err := onlyPrescriber(actor); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermDosing, action, func(tx *Tx, a Access, e *Entry) error {
		d, err := s.dosingSession(ctx, tx, patientID, sessionID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dosing_sessions SET updated_at = updated_at WHERE id = $1`, sessionID); err != nil { // forms of one session take turns
			return err
		}
		all, err := remsVersions(ctx, tx, patientID, sessionID)
		if err != nil {
			return err
		}
		var f REMSForm
		if len(all) > 0 {
			f = all[0]
		} else {
			ok, err := remsSession(ctx, tx, d)
			if err != nil {
				return err
			}
			if !ok {
				return clinic.FieldErrors{"form": NoREMSForm}.Err()
			}
			now := s.now()
			f = REMSForm{ID: NewID(), SessionID: sessionID, PatientID: patientID, Version: 1, DoseAt: d.DoseAt.UTC(), FilledAt: now, Fields: remsPrefill(d, rems.Form{})}
			fields, _ := json.Marshal(f.Fields)
			if _, err := tx.Exec(ctx, `INSERT INTO rems_forms (id, session_id, patient_id, version, fields, dose_at, filled_at, created_by, created_at, updated_at)
				VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $6, $6)`, f.ID, sessionID, patientID, string(fields), f.DoseAt, now, actor.UserID); err != nil {
				return err
			}
		}
		e.ObjectType, e.ObjectID = "rems_form", f.ID
		return fn(tx, d, &f, e)
	})
}

func (s *Store) saveREMSFields(ctx context.Context, tx *Tx, f *REMSForm, refilled bool) error {
	fields, err := json.Marshal(f.Fields)
	if err != nil {
		return err
	}
	now := s.now()
	if refilled {
		f.FilledAt = now
	}
	res, err := tx.Exec(ctx, `UPDATE rems_forms SET fields = $1, filled_at = $2, updated_at = $3 WHERE id = $4 AND signed_at IS NULL`, string(fields), f.FilledAt, now, f.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errREMSSigned()
	}
	return nil
}

func errREMSSigned() error {
	return clinic.FieldErrors{"form": "This version is signed and never changes: start a correction to change it."}.Err()
}

var yesNo = map[string]bool{"": true, rems.Yes: true, rems.No: true}

// SaveREMSForm records the prescriber's answers on the draft (creating
// it, filled from the session, when there is none). Field errors for bad
// answers; refused once signed. Audited.
func (s *Store) SaveREMSForm(ctx context.Context, actor Actor, patientID, sessionID string, c REMSConfirm) (*REMSForm, error) {
	var out *REMSForm
	err := s.remsWrite(ctx, actor, patientID, sessionID, "rems.save", func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error {
		if f.Signed() {
			return errREMSSigned()
		}
		fe := clinic.FieldErrors{}
		for k, v := range map[string]string{rems.FSedation: c.Sedation, rems.FSedationGone: c.SedationGone, rems.FDiss: c.Dissociation,
			rems.FDissGone: c.DissociationGone, rems.FResp: c.RespDepression, rems.FRespGone: c.RespGone, rems.FSAE: c.SAE} {
			if !yesNo[v] {
				fe.Add(k, "Choose yes or no.")
			}
		}
		c.SpO2, c.SAEText = strings.TrimSpace(c.SpO2), strings.TrimSpace(c.SAEText)
		if n, err := strconv.Atoi(c.SpO2); c.SpO2 != "" && (err != nil || n < 50 || n > 100) {
			fe.Add(rems.FSpO2, "Enter the lowest SpO₂ as a number from 50 to 100.")
		}
		if utf8.RuneCountInString(c.SAEText) > 2000 {
			fe.Add(rems.FSAEText, "Keep the description under 2,000 characters.")
		}
		if !c.ReadyAt.IsZero() && d.DoseAt != nil && c.ReadyAt.Before(*d.DoseAt) {
			fe.Add(rems.FReady, "The patient cannot have been ready to leave before the dose.")
		}
		if len(fe) > 0 {
			return fe.Err()
		}
		x := &f.Fields
		x.ReadyAt, x.Sedation, x.SedationGone, x.Dissociation, x.DissociationGone = c.ReadyAt.UTC(), c.Sedation, c.SedationGone, c.Dissociation, c.DissociationGone
		x.RespDepression, x.RespGone, x.SpO2, x.SAE, x.SAEText = c.RespDepression, c.RespGone, c.SpO2, c.SAE, c.SAEText
		if c.ReadyAt.IsZero() {
			x.ReadyAt = time.Time{}
		}
		out = f
		return s.saveREMSFields(ctx, tx, f, false)
	})
	return out, err
}

// RefreshREMSForm copies the session's record into the draft again (the
// prescriber's answers kept). Refused once signed. Audited.
func (s *Store) RefreshREMSForm(ctx context.Context, actor Actor, patientID, sessionID string) error {
	return s.remsWrite(ctx, actor, patientID, sessionID, "rems.refresh", func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error {
		if f.Signed() {
			return errREMSSigned()
		}
		f.Fields = remsPrefill(d, f.Fields)
		return s.saveREMSFields(ctx, tx, f, true)
	})
}

// SignREMSForm signs the newest version: the prescriber has reviewed it.
// Refused while a field is missing (REMSForm.Missing); after it the
// version never changes (the database refuses it too). Audited.
func (s *Store) SignREMSForm(ctx context.Context, actor Actor, patientID, sessionID string) error {
	return s.remsWrite(ctx, actor, patientID, sessionID, "rems.sign", func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error {
		if f.Signed() {
			return errREMSSigned()
		}
		if m := f.Missing(); len(m) > 0 {
			return clinic.FieldErrors(m).Err()
		}
		_, err := tx.Exec(ctx, `UPDATE rems_forms SET signed_by = $1, signed_at = $2, updated_at = $2 WHERE id = $3 AND signed_at IS NULL`, actor.UserID, s.now(), f.ID)
		return err
	})
}

// MarkREMSSubmitted records that the practice submitted the signed newest
// version, how (RemsPortal, RemsFax) and when (not in the future). kapstone
// does not send it. Once only. Audited.
func (s *Store) MarkREMSSubmitted(ctx context.Context, actor Actor, patientID, sessionID, how string, at time.Time) error {
	return s.remsWrite(ctx, actor, patientID, sessionID, "rems.submitted", func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error {
		fe := clinic.FieldErrors{}
		if how != RemsPortal && how != RemsFax {
			fe.Add("how", "Choose how it was submitted: on the REMS portal or by fax.")
		}
		now := s.now()
		if at.IsZero() {
			at = now
		}
		if at.After(now.Add(time.Minute)) || at.Before(f.DoseAt) {
			fe.Add("submitted_at", "Enter when it was submitted: after the session and not in the future.")
		}
		if !f.Signed() {
			fe.Add("form", "Sign the form before recording that it was submitted.")
		} else if f.SubmittedAt != nil {
			fe.Add("form", "Its submission is already recorded.")
		}
		if len(fe) > 0 {
			return fe.Err()
		}
		e.Detail = "how=" + how
		_, err := tx.Exec(ctx, `UPDATE rems_forms SET submitted_at = $1, submitted_how = $2, submitted_by = $3, updated_at = $4 WHERE id = $5 AND submitted_at IS NULL`,
			at.UTC(), how, actor.UserID, now, f.ID)
		return err
	})
}

// CorrectREMSForm starts a new draft version of a signed form, its fields
// copied from the signed one (which is kept as it was) and the session's
// record copied in again. Audited.
func (s *Store) CorrectREMSForm(ctx context.Context, actor Actor, patientID, sessionID string) error {
	return s.remsWrite(ctx, actor, patientID, sessionID, "rems.correct", func(tx *Tx, d *DosingSession, f *REMSForm, e *Entry) error {
		if !f.Signed() {
			return clinic.FieldErrors{"form": "This version is a draft: change it directly."}.Err()
		}
		fields, err := json.Marshal(remsPrefill(d, f.Fields))
		if err != nil {
			return err
		}
		now, id := s.now(), NewID()
		e.ObjectID = id
		_, err = tx.Exec(ctx, `INSERT INTO rems_forms (id, session_id, patient_id, version, replaces_id, fields, dose_at, filled_at, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8)`, id, sessionID, patientID, f.Version+1, f.ID, string(fields), f.DoseAt, now, actor.UserID)
		return err
	})
}

// REMSUnsubmitted pages the forms not yet recorded as submitted (the
// newest version of each session's form) of actor's care-team patients,
// oldest dose first, so the overdue come first (rems.Due). A prescriber's
// list; audited as one read naming how many it shows.
func (s *Store) REMSUnsubmitted(ctx context.Context, actor Actor, k PageKey) (*Page[REMSForm], error) {
	if !auth.CanSome(actor.Role, auth.PermPrescriberCall) {
		return nil, errNoREMS()
	}
	var out *Page[REMSForm]
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: remsFrom + ` WHERE f.submitted_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM rems_forms n WHERE n.session_id = f.session_id AND n.version > f.version)
			AND EXISTS (SELECT 1 FROM care_team t WHERE t.patient_id = f.patient_id AND t.user_id = $1 AND t.removed_at IS NULL)`,
			Args: []any{actor.UserID}, Table: "rems_forms", Alias: "f", Order: []string{"dose_at", "id"}},
			remsColumns, k, scanREMS, func(f REMSForm) string { return f.ID })
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "rems.list", ObjectType: "rems_forms", Detail: "forms=" + strconv.Itoa(len(out.Rows))})
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return out, err
}
