package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Patient is a person in care. UserID links their portal account, once
// they have accepted an invitation.
type Patient struct {
	ID          string
	UserID      string
	DisplayName string
	Email       string
	CreatedAt   time.Time
}

// Validate checks the fields a person types when adding a patient.
func (p *Patient) Validate() error {
	fe := clinic.FieldErrors{}
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	p.Email = strings.TrimSpace(p.Email)
	if p.DisplayName == "" {
		fe.Add("display_name", "Enter the patient's name.")
	} else if len(p.DisplayName) > 200 {
		fe.Add("display_name", "Use at most 200 characters.")
	}
	if p.Email != "" {
		u := clinic.User{Email: p.Email, DisplayName: "x", Role: clinic.RolePatient}
		if err := u.Validate(); err != nil {
			fe.Add("email", "Enter an email address like name@example.com, or leave it empty.")
		}
	}
	return fe.Err()
}

// TeamMember is one clinician on a patient's care team.
type TeamMember struct {
	User    *clinic.User
	Role    clinic.Role // therapist or prescriber
	IsOwner bool
	AddedAt time.Time
}

// Access is what the caller may do with one patient's record, worked out by
// the one policy (auth.Can) from their relation to the patient.
type Access struct {
	Relation auth.Relation
	Role     clinic.Role
}

// Can reports whether the access allows p.
func (a Access) Can(p auth.Permission) bool { return auth.Can(a.Role, a.Relation, p) }

// relation works out how actor stands to patientID inside tx.
func (s *Store) relation(ctx context.Context, tx *Tx, actor Actor, patientID string) (auth.Relation, error) {
	switch actor.Role {
	case clinic.RolePatient:
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM patients WHERE id = $1 AND user_id = $2 AND archived_at IS NULL`, patientID, actor.UserID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.RelNone, nil
		}
		if err != nil {
			return auth.RelNone, err
		}
		return auth.RelSelf, nil
	case clinic.RoleTherapist, clinic.RolePrescriber:
		var owner bool
		err := tx.QueryRow(ctx, `SELECT is_owner FROM care_team WHERE patient_id = $1 AND user_id = $2 AND removed_at IS NULL`, patientID, actor.UserID).Scan(&owner)
		switch {
		case err == nil && owner:
			return auth.RelOwner, nil
		case err == nil:
			return auth.RelTeam, nil
		case !errors.Is(err, sql.ErrNoRows):
			return auth.RelNone, err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM emergency_access WHERE patient_id = $1 AND user_id = $2 AND expires_at > $3`, patientID, actor.UserID, s.now()).Scan(&n); err != nil {
			return auth.RelNone, err
		}
		if n > 0 {
			return auth.RelEmergency, nil
		}
	}
	return auth.RelNone, nil
}

// authorize checks that actor may do p with patientID inside tx. A refusal
// is audited (in its own transaction, so it survives tx's rollback) and
// answered ENotFound, exactly as for a patient that does not exist, so a
// foreign id reveals nothing.
func (s *Store) authorize(ctx context.Context, tx *Tx, actor Actor, patientID string, p auth.Permission) (Access, error) {
	rel, err := s.relation(ctx, tx, actor, patientID)
	if err != nil {
		return Access{}, err
	}
	a := Access{Relation: rel, Role: actor.Role}
	var exists int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM patients WHERE id = $1 AND archived_at IS NULL`, patientID).Scan(&exists); err != nil {
		return a, err
	}
	if exists == 0 || !a.Can(p) {
		return a, errDenied{patientID: patientID, perm: p, exists: exists > 0}
	}
	return a, nil
}

type errDenied struct {
	patientID string
	perm      auth.Permission
	exists    bool
}

func (e errDenied) Error() string { return "denied: " + string(e.perm) + " on patient " + e.patientID }

// patientAccess runs fn in a write transaction after checking that actor may
// do p with patientID, and audits the access as action in the same
// transaction (fn may name the object it touched in e). A refusal is
// audited as denied and returned as ENotFound.
func (s *Store) patientAccess(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, fn func(tx *Tx, a Access, e *Entry) error) error {
	err := s.write(ctx, func(tx *Tx) error {
		a, err := s.authorize(ctx, tx, actor, patientID, p)
		if err != nil {
			return err
		}
		e := Entry{Action: action, PatientID: patientID, ObjectType: "patient", ObjectID: patientID}
		if a.Relation == auth.RelEmergency {
			e.Detail = "emergency"
		}
		if err := fn(tx, a, &e); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, e)
	})
	var d errDenied
	if errors.As(err, &d) {
		outcome := Entry{Action: action, Outcome: OutcomeDenied, ObjectType: "patient", ObjectID: patientID, Detail: "perm=" + string(p)}
		if d.exists {
			outcome.PatientID = patientID
		}
		if aerr := s.Audit(ctx, actor, outcome); aerr != nil {
			return aerr
		}
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return err
}

func scanPatient(row interface{ Scan(...any) error }) (*Patient, error) {
	var p Patient
	var userID sql.NullString
	if err := row.Scan(&p.ID, &userID, &p.DisplayName, &p.Email, &p.CreatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
		}
		return nil, err
	}
	p.UserID = userID.String
	p.CreatedAt = p.CreatedAt.UTC()
	return &p, nil
}

const patientColumns = `p.id, p.user_id, p.display_name, p.email, p.created_at`

// CreatePatient adds a patient. A therapist who adds one becomes the owner
// of the case; an admin names the owning therapist in ownerID. Audited.
func (s *Store) CreatePatient(ctx context.Context, actor Actor, p *Patient, ownerID string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if actor.Role == clinic.RoleTherapist {
		ownerID = actor.UserID
	} else if actor.Role != clinic.RoleAdmin && actor.Role != "system" {
		return clinic.Errorf(clinic.EForbidden, "Only therapists and admins add patients.")
	}
	return s.write(ctx, func(tx *Tx) error {
		if err := s.checkStaff(ctx, tx, ownerID, clinic.RoleTherapist, "owner_id"); err != nil {
			return err
		}
		now := s.now()
		p.ID, p.CreatedAt = NewID(), now
		if _, err := tx.Exec(ctx, `INSERT INTO patients (id, display_name, email, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			p.ID, p.DisplayName, p.Email, firstNonEmpty(actor.UserID, ownerID), now); err != nil {
			return err
		}
		if err := s.addTeamMember(ctx, tx, actor, p.ID, ownerID, clinic.RoleTherapist, true); err != nil {
			return err
		}
		if err := s.appendAudit(ctx, tx, actor, Entry{Action: "patient.create", PatientID: p.ID, ObjectType: "patient", ObjectID: p.ID}); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "team.add", PatientID: p.ID, ObjectType: "user", ObjectID: ownerID, Detail: "owner"})
	})
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkStaff checks that userID is an enabled account with role; field names
// the form field for the error.
func (s *Store) checkStaff(ctx context.Context, tx *Tx, userID string, role clinic.Role, field string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1 AND role = $2 AND disabled_at IS NULL`, userID, string(role)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		msg := "Choose a " + string(role) + "."
		return &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{field: msg}}
	}
	return nil
}

// FindPatient returns a patient's record, with the caller's access, if the
// policy lets actor see the profile. Audited as patient.read (a denial as
// denied). A foreign or missing id is ENotFound.
func (s *Store) FindPatient(ctx context.Context, actor Actor, id string) (*Patient, Access, error) {
	var p *Patient
	var acc Access
	err := s.patientAccess(ctx, actor, id, auth.PermProfile, "patient.read", func(tx *Tx, a Access, _ *Entry) error {
		var err error
		acc = a
		p, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, id))
		return err
	})
	return p, acc, err
}

// FindOwnPatient returns the patient record of a patient's own account, or
// ENotFound when the account has none.
func (s *Store) FindOwnPatient(ctx context.Context, actor Actor) (*Patient, error) {
	var p *Patient
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		p, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.user_id = $1 AND p.archived_at IS NULL`, actor.UserID))
		return err
	})
	return p, err
}

// ListPatients returns the patients actor may see: their care-team patients
// for a clinician, every patient for an admin (administration only), by
// name. Audited as one read of the list.
func (s *Store) ListPatients(ctx context.Context, actor Actor) ([]*Patient, error) {
	var q string
	var args []any
	switch actor.Role {
	case clinic.RoleTherapist, clinic.RolePrescriber:
		q = `SELECT ` + patientColumns + ` FROM patients p JOIN care_team t ON t.patient_id = p.id
			WHERE t.user_id = $1 AND t.removed_at IS NULL AND p.archived_at IS NULL ORDER BY lower(p.display_name), p.id`
		args = []any{actor.UserID}
	case clinic.RoleAdmin:
		q = `SELECT ` + patientColumns + ` FROM patients p WHERE p.archived_at IS NULL ORDER BY lower(p.display_name), p.id`
	default:
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []*Patient
	err := s.write(ctx, func(tx *Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPatient(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "patient.list", ObjectType: "patient"})
	})
	return out, err
}

// CareTeam returns the active care team of patientID, owner first, if actor
// may see the patient's profile. Not audited separately: callers read it
// with the profile.
func (s *Store) CareTeam(ctx context.Context, actor Actor, patientID string) ([]TeamMember, error) {
	var out []TeamMember
	err := s.read(ctx, func(tx *Tx) error {
		if _, err := s.authorize(ctx, tx, actor, patientID, auth.PermProfile); err != nil {
			return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
		}
		rows, err := tx.Query(ctx, `SELECT u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, t.team_role, t.is_owner, t.added_at
			FROM care_team t JOIN users u ON u.id = t.user_id
			WHERE t.patient_id = $1 AND t.removed_at IS NULL ORDER BY t.is_owner DESC, t.team_role DESC, lower(u.display_name)`, patientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m TeamMember
			var role string
			u, err := scanUser(rows, &role, &m.IsOwner, &m.AddedAt)
			if err != nil {
				return err
			}
			u.TOTPSecret = ""
			m.User, m.Role, m.AddedAt = u, clinic.Role(role), m.AddedAt.UTC()
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// AddTeamMember puts a therapist or prescriber on patientID's care team.
// Only an admin or the owning therapist may. Audited.
func (s *Store) AddTeamMember(ctx context.Context, actor Actor, patientID, userID string) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermTeam, "team.add", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.ObjectID = "user", userID
		var role string
		err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1 AND disabled_at IS NULL`, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && role != string(clinic.RoleTherapist) && role != string(clinic.RolePrescriber)) {
			return &clinic.Error{Code: clinic.EInvalid, Message: "Choose a therapist or a prescriber.", Fields: map[string]string{"user_id": "Choose a therapist or a prescriber."}}
		}
		if err != nil {
			return err
		}
		return s.addTeamMember(ctx, tx, actor, patientID, userID, clinic.Role(role), false)
	})
}

func (s *Store) addTeamMember(ctx context.Context, tx *Tx, actor Actor, patientID, userID string, role clinic.Role, owner bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO care_team (id, patient_id, user_id, team_role, is_owner, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		NewID(), patientID, userID, string(role), owner, actor.UserID, s.now())
	if s.d.isUniqueViolation(err) {
		return &clinic.Error{Code: clinic.EConflict, Message: "That person is already on the care team.", Fields: map[string]string{"user_id": "Already on the care team."}}
	}
	return err
}

// RemoveTeamMember takes userID off patientID's care team (the row is kept,
// marked removed). The owner cannot be removed. Audited.
func (s *Store) RemoveTeamMember(ctx context.Context, actor Actor, patientID, userID string) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermTeam, "team.remove", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.ObjectID = "user", userID
		res, err := tx.Exec(ctx, `UPDATE care_team SET removed_at = $1, removed_by = $2 WHERE patient_id = $3 AND user_id = $4 AND removed_at IS NULL AND NOT is_owner`,
			s.now(), actor.UserID, patientID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.EInvalid, "That person is not a member who can be removed (the owning therapist stays on the team).")
		}
		return nil
	})
}
