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
)

// UpdatePatientDetails saves the chart's detail fields of p, if actor may
// (auth.PermDetails) and p.Version is still current: a stale form gets
// EConflict instead of overwriting someone else's change. A changed email
// cancels the patient's unused portal invitations (one sent to a mistyped
// address must not make their account), audited as token.invite.revoke in
// the same transaction. Audited.
func (s *Store) UpdatePatientDetails(ctx context.Context, actor Actor, p *Patient) error {
	return s.patientAccess(ctx, actor, p.ID, auth.PermDetails, "patient.update", func(tx *Tx, a Access, e *Entry) error {
		if err := p.ValidateDetails(s.now()); err != nil {
			return err
		}
		var oldEmail string
		if err := tx.QueryRow(ctx, `SELECT email FROM patients WHERE id = $1`, p.ID).Scan(&oldEmail); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE patients SET display_name = $1, email = $2, legal_name = $3, pronouns = $4, birth_date = $5, phone = $6,
				emergency_name = $7, emergency_phone = $8, emergency_relation = $9, support_name = $10, support_phone = $11, time_zone = $12,
				version = version + 1, updated_at = $13
			WHERE id = $14 AND version = $15`,
			p.DisplayName, p.Email, p.LegalName, p.Pronouns, p.BirthDate, p.Phone,
			p.EmergencyName, p.EmergencyPhone, p.EmergencyRelation, p.SupportName, p.SupportPhone, p.TimeZone,
			s.now(), p.ID, p.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.EConflict, "Someone else changed these details while you were editing. Your changes are below; check them against the saved record and save again.")
		}
		p.Version++
		if strings.EqualFold(strings.TrimSpace(oldEmail), strings.TrimSpace(p.Email)) {
			return nil
		}
		res, err = tx.Exec(ctx, `UPDATE auth_tokens SET used_at = $1 WHERE purpose = $2 AND patient_id = $3 AND used_at IS NULL`, s.now(), TokenInvite, p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return s.appendAudit(ctx, tx, actor, Entry{Action: "token.invite.revoke", PatientID: p.ID, ObjectType: "invitation",
				Detail: "count=" + strconv.FormatInt(n, 10) + "; email changed"})
		}
		return nil
	})
}

// StageChange is one step on a course's timeline.
type StageChange struct {
	From, To clinic.Stage
	Reason   string
	Actor    string // display name
	At       time.Time
}

// ChangeStage moves patientID's course to stage to, with reason, if actor
// may (auth.PermChart) and the move is allowed (clinic.CheckTransition).
// Entering preparation or dosing needs current medical clearance. Moving
// to closed closes the patient's course; leaving closed starts their next
// course (clinic.StartsCourse), whose scores have their own baseline. Audited.
func (s *Store) ChangeStage(ctx context.Context, actor Actor, patientID string, to clinic.Stage, reason string) error {
	if !auth.CanSome(actor.Role, auth.PermClinical) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return s.auditGate(ctx, actor, patientID, "stage="+string(to), s.changeStage(ctx, actor, patientID, to, reason))
}

func (s *Store) changeStage(ctx context.Context, actor Actor, patientID string, to clinic.Stage, reason string) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermClinical, "course.stage", func(tx *Tx, a Access, e *Entry) error {
		var from string
		if err := tx.QueryRow(ctx, `SELECT stage FROM patients WHERE id = $1`, patientID).Scan(&from); err != nil {
			return err
		}
		if err := clinic.CheckTransition(clinic.Stage(from), to, reason); err != nil {
			return err
		}
		if clinic.NeedsClearance(to) {
			if err := s.requireClearance(ctx, tx, patientID); err != nil {
				return &clinic.Error{Code: clinic.EInvalid, Message: clinic.ErrorMessage(err), Fields: map[string]string{"stage": clinic.ErrorMessage(err)}, Err: err}
			}
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE patients SET stage = $1, updated_at = $2 WHERE id = $3`, string(to), now, patientID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stage_changes (id, patient_id, from_stage, to_stage, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			NewID(), patientID, from, string(to), strings.TrimSpace(reason), actor.UserID, now); err != nil {
			return err
		}
		e.Detail = from + "->" + string(to)
		return courseStage(ctx, tx, patientID, clinic.Stage(from), to, now) // closed closes the course; leaving closed starts the next
	})
}

// Timeline returns patientID's stage changes, oldest first, if actor may
// read the chart (auth.PermChart). Part of the chart page, whose read
// (FindChart) is audited: a refusal is audited as denied, a read is not
// audited again.
func (s *Store) Timeline(ctx context.Context, actor Actor, patientID string) ([]StageChange, error) {
	var out []StageChange
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "timeline.read", func(tx *Tx, _ Access) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (StageChange, error) {
			var c StageChange
			var from, to string
			err := row.Scan(&from, &to, &c.Reason, &c.Actor, &c.At)
			c.From, c.To, c.At = clinic.Stage(from), clinic.Stage(to), c.At.UTC()
			return c, err
		}, `SELECT c.from_stage, c.to_stage, c.reason, coalesce(u.display_name, ''), c.at
			FROM stage_changes c LEFT JOIN users u ON u.id = c.actor_id WHERE c.patient_id = $1 ORDER BY c.at, c.id`, patientID)
		return err
	})
	return out, err
}

// IntakeVersion is one saved version of a patient's intake.
type IntakeVersion struct {
	Version   int64
	Submitted bool
	Intake    clinic.Intake
	Author    string // display name
	AuthorID  string
	At        time.Time
}

// SaveIntake stores intake as the next version for patientID, a draft or
// submitted, if actor may (the patient themself, or a clinician on the
// care team). Audited as intake.save or intake.submit.
func (s *Store) SaveIntake(ctx context.Context, actor Actor, patientID string, in clinic.Intake, submit bool, questionIDs []string) (int64, error) {
	if !auth.CanSome(actor.Role, auth.PermForms) {
		return 0, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	action := "intake.save"
	if submit {
		action = "intake.submit"
	}
	safety := clinic.IntakeRisk(in.Answers)
	var version int64
	err := s.patientAccess(ctx, actor, patientID, auth.PermForms, action, func(tx *Tx, a Access, e *Entry) error {
		if err := in.Validate(questionIDs, submit); err != nil {
			return err
		}
		body, err := json.Marshal(in)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) + 1 FROM intakes WHERE patient_id = $1`, patientID).Scan(&version); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO intakes (id, patient_id, version, submitted, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			NewID(), patientID, version, submit, string(body), actor.UserID, s.now())
		if err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "intake", patientID
		// A suicide-risk answer alerts the care team as soon as it is saved,
		// draft or not: it is never held back until the form is finished.
		if safety {
			return s.raiseSafetyAlert(ctx, tx, actor, patientID, "intake", clinic.IntakeRiskWords(in.Answers))
		}
		return nil
	})
	if safety && clinic.ErrorCode(err) == clinic.EInvalid {
		// The form could not be saved (another field is wrong), but the
		// answer was given: the alert goes out anyway.
		if aerr := s.patientAccess(ctx, actor, patientID, auth.PermForms, "intake.safety", func(tx *Tx, a Access, e *Entry) error {
			return s.raiseSafetyAlert(ctx, tx, actor, patientID, "intake", clinic.IntakeRiskWords(in.Answers))
		}); aerr != nil {
			return 0, aerr
		}
	}
	return version, err
}

// LatestIntake returns the newest version of patientID's intake (nil when
// there is none), if actor may read the chart. Audited as intake.read.
func (s *Store) LatestIntake(ctx context.Context, actor Actor, patientID string) (*IntakeVersion, error) {
	var iv *IntakeVersion
	err := s.viewAccess(ctx, actor, patientID, auth.PermChart, "intake.read", func(tx *Tx, a Access, e *Entry) error {
		var err error
		iv, err = latestIntake(ctx, tx, patientID, false)
		return err
	})
	return iv, err
}

// latestIntake reads the newest version (submittedOnly: the newest
// submitted one), or nil.
func latestIntake(ctx context.Context, tx *Tx, patientID string, submittedOnly bool) (*IntakeVersion, error) {
	q := `SELECT i.version, i.submitted, i.body, i.author_id, coalesce(u.display_name, ''), i.created_at
		FROM intakes i LEFT JOIN users u ON u.id = i.author_id WHERE i.patient_id = $1`
	if submittedOnly {
		q += ` AND i.submitted`
	}
	q += ` ORDER BY i.version DESC LIMIT 1`
	var iv IntakeVersion
	var body string
	err := tx.QueryRow(ctx, q, patientID).Scan(&iv.Version, &iv.Submitted, &body, &iv.AuthorID, &iv.Author, &iv.At)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	iv.At = iv.At.UTC()
	if err := json.Unmarshal([]byte(body), &iv.Intake); err != nil {
		return nil, err
	}
	return &iv, nil
}

// IntakeHistory lists every version of patientID's intake, newest first,
// without their contents, if actor may read the chart (auth.PermChart).
// Part of the intake page, whose read (LatestIntake) is audited: a refusal
// is audited as denied, a read is not audited again.
func (s *Store) IntakeHistory(ctx context.Context, actor Actor, patientID string) ([]IntakeVersion, error) {
	var out []IntakeVersion
	err := s.patientRead(ctx, actor, patientID, auth.PermChart, "intake.history", func(tx *Tx, _ Access) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (IntakeVersion, error) {
			var iv IntakeVersion
			err := row.Scan(&iv.Version, &iv.Submitted, &iv.AuthorID, &iv.Author, &iv.At)
			iv.At = iv.At.UTC()
			return iv, err
		}, `SELECT i.version, i.submitted, i.author_id, coalesce(u.display_name, ''), i.created_at
			FROM intakes i LEFT JOIN users u ON u.id = i.author_id WHERE i.patient_id = $1 ORDER BY i.version DESC`, patientID)
		return err
	})
	return out, err
}
