package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	DisplayName string // the name the patient goes by
	Email       string
	CreatedAt   time.Time

	LegalName         string
	Pronouns          string
	BirthDate         string // YYYY-MM-DD, or ""
	Phone             string
	EmergencyName     string
	EmergencyPhone    string
	EmergencyRelation string
	SupportName       string // who takes them home after a dosing session
	SupportPhone      string
	TimeZone          string // IANA name, e.g. America/Chicago
	Stage             clinic.Stage
	Version           int64 // for optimistic locking of detail edits
	// Address is the postal address a superbill shows (SavePatientAddress).
	Address clinic.Address
}

// Age returns the patient's age in whole years at now, or -1 when the date
// of birth is not known.
func (p *Patient) Age(now time.Time) int {
	d, err := time.Parse("2006-01-02", p.BirthDate)
	if err != nil {
		return -1
	}
	return clinic.Age(d, now)
}

// ValidateDetails checks the chart's detail fields and trims them.
func (p *Patient) ValidateDetails(now time.Time) error {
	fe := clinic.FieldErrors{}
	if err := p.Validate(); err != nil {
		for k, v := range err.(*clinic.Error).Fields {
			fe.Add(k, v)
		}
	}
	for field, v := range map[string]*string{
		"legal_name": &p.LegalName, "pronouns": &p.Pronouns, "phone": &p.Phone,
		"emergency_name": &p.EmergencyName, "emergency_phone": &p.EmergencyPhone, "emergency_relation": &p.EmergencyRelation,
		"support_name": &p.SupportName, "support_phone": &p.SupportPhone, "time_zone": &p.TimeZone, "birth_date": &p.BirthDate,
	} {
		*v = strings.TrimSpace(*v)
		if len([]rune(*v)) > 200 {
			fe.Add(field, "Use at most 200 characters.")
		}
		clinic.CheckLine(fe, field, *v)
	}
	if p.BirthDate != "" {
		if _, msg := clinic.ParseBirthDate(p.BirthDate, now); msg != "" {
			fe.Add("birth_date", msg)
		}
	}
	for field, v := range map[string]string{"phone": p.Phone, "emergency_phone": p.EmergencyPhone, "support_phone": p.SupportPhone} {
		if v != "" && !phoneLike(v) {
			fe.Add(field, "Enter a phone number, like +1 555 010 2345.")
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || !strings.Contains(p.TimeZone, "/") {
			fe.Add("time_zone", "Choose a time zone like America/Chicago.")
		}
	}
	return fe.Err()
}

func phoneLike(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune(" +-().x", c):
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
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
	clinic.CheckLine(fe, "display_name", p.DisplayName)
	clinic.CheckLine(fe, "email", p.Email)
	if p.Email != "" && fe["email"] == "" {
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

// relation works out how actor stands to patientID inside tx, from the
// data alone: the patient record whose account is actor's is RelSelf, a
// place on the care team RelOwner or RelTeam, a live emergency grant
// RelEmergency. What each relation allows is the policy's (auth.Can) to say.
func (s *Store) relation(ctx context.Context, tx *Tx, actor Actor, patientID string) (auth.Relation, error) {
	rel, _, err := s.relationExists(ctx, tx, actor, patientID, false)
	return rel, err
}

// relationQuery is relation's statement: the patient's own account, an
// owner's or a member's care-team row, a live emergency grant ($1 the
// patient, $2 the actor, $3 now).
const relationQuery = `SELECT
		(SELECT count(*) FROM patients WHERE id = $1 AND user_id = $2 AND archived_at IS NULL),
		(SELECT count(*) FROM care_team WHERE patient_id = $1 AND user_id = $2 AND removed_at IS NULL AND is_owner),
		(SELECT count(*) FROM care_team WHERE patient_id = $1 AND user_id = $2 AND removed_at IS NULL),
		(SELECT count(*) FROM emergency_access WHERE patient_id = $1 AND user_id = $2 AND expires_at > $3)`

// relationExists is relation and, when withExists, whether patientID is a
// patient not archived, in the same statement (authorize asks both).
func (s *Store) relationExists(ctx context.Context, tx *Tx, actor Actor, patientID string, withExists bool) (rel auth.Relation, exists bool, err error) {
	if actor.UserID == "" {
		if !withExists {
			return auth.RelNone, false, nil
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM patients WHERE id = $1 AND archived_at IS NULL`, patientID).Scan(&n)
		return auth.RelNone, n > 0, err
	}
	// One round trip.
	var self, owner, team, emergency, live int
	if withExists {
		err = tx.QueryRow(ctx, relationQuery+`,
		(SELECT count(*) FROM patients WHERE id = $1 AND archived_at IS NULL)`,
			patientID, actor.UserID, s.now()).Scan(&self, &owner, &team, &emergency, &live)
	} else {
		err = tx.QueryRow(ctx, relationQuery, patientID, actor.UserID, s.now()).Scan(&self, &owner, &team, &emergency)
	}
	exists = live > 0
	switch {
	case err != nil:
		return auth.RelNone, false, err
	case self > 0:
		return auth.RelSelf, exists, nil
	case owner > 0:
		return auth.RelOwner, exists, nil
	case team > 0:
		return auth.RelTeam, exists, nil
	case emergency > 0:
		return auth.RelEmergency, exists, nil
	}
	return auth.RelNone, exists, nil
}

// authorize checks that actor may do p with patientID inside tx. A refusal
// is audited (in its own transaction, so it survives tx's rollback) and
// answered ENotFound, exactly as for a patient that does not exist, so a
// foreign id reveals nothing.
func (s *Store) authorize(ctx context.Context, tx *Tx, actor Actor, patientID string, p auth.Permission) (Access, error) {
	rel, exists, err := s.viewRelation(ctx, tx, actor, patientID)
	if err != nil {
		return Access{}, err
	}
	a := Access{Relation: rel, Role: actor.Role}
	if !exists || !a.Can(p) {
		return a, errDenied{patientID: patientID, perm: p, exists: exists}
	}
	return a, nil
}

// viewRelation is relationExists, asked once in a view of patientID by
// actor (its one snapshot gives one answer: a chart's sections each ask for
// a permission of their own, and would otherwise read it again each).
func (s *Store) viewRelation(ctx context.Context, tx *Tx, actor Actor, patientID string) (auth.Relation, bool, error) {
	v := tx.view
	if v == nil || v.actor != actor || v.patientID != patientID {
		return s.relationExists(ctx, tx, actor, patientID, true)
	}
	if !v.relKnown {
		rel, exists, err := s.relationExists(ctx, tx, actor, patientID, true)
		if err != nil {
			return rel, exists, err
		}
		v.rel, v.relExists, v.relKnown = rel, exists, true
		v.relReads++
	}
	return v.rel, v.relExists, nil
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
		// The emergency mark is not fn's to set: appendAudit adds it from
		// the actor's relation to the patient, whatever fn does to e.
		if err := fn(tx, a, &e); err != nil {
			return err
		}
		e.PatientID = patientID // whatever fn did to e, the row is about this patient
		return s.appendAudit(ctx, tx, actor, e)
	})
	return s.auditDenied(ctx, actor, patientID, p, action, err)
}

// patientRead runs fn in a read transaction after checking that actor may
// do p with patientID. It is for parts of a page whose own read is
// audited already (the chart, the patient's progress): success writes no
// row; a refusal is audited as denied under action and returned as
// ENotFound, as in patientAccess.
func (s *Store) patientRead(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, fn func(tx *Tx, a Access) error) error {
	err := s.read(ctx, func(tx *Tx) error {
		a, err := s.authorize(ctx, tx, actor, patientID, p)
		if err != nil {
			return err
		}
		return fn(tx, a)
	})
	return s.auditDenied(ctx, actor, patientID, p, action, err)
}

// AuthorizeRecord checks, before a route's handler reads its form, that
// actor may do p with patientID (auth.Can with their relation to the
// patient). A refusal is audited as route.denied, its detail naming p and
// the route (with the emergency mark before them when the actor holds a
// grant), and answered ENotFound, as the store's own checks answer; the
// store checks again when the handler calls it.
func (s *Store) AuthorizeRecord(ctx context.Context, actor Actor, patientID string, p auth.Permission, route string) error {
	err := s.read(ctx, func(tx *Tx) error {
		_, err := s.authorize(ctx, tx, actor, patientID, p)
		return err
	})
	var d errDenied
	if errors.As(err, &d) {
		s.endViewRead(ctx)
		e := Entry{Action: "route.denied", Outcome: OutcomeDenied, ObjectType: "patient", ObjectID: patientID, Detail: "perm=" + string(p) + "; " + route}
		if d.exists {
			e.PatientID = patientID
		}
		if aerr := s.Audit(ctx, actor, e); aerr != nil {
			return aerr
		}
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	return err
}

// auditDenied audits err, when it is authorize's refusal of p, as a
// denied action (in its own transaction) and answers ENotFound; any other
// err is returned as it is.
func (s *Store) auditDenied(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, err error) error {
	var d errDenied
	if errors.As(err, &d) {
		s.endViewRead(ctx)
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

func scanPatient(row scanner) (*Patient, error) {
	var p Patient
	var userID sql.NullString
	var stage string
	if err := row.Scan(&p.ID, &userID, &p.DisplayName, &p.Email, &p.CreatedAt,
		&p.LegalName, &p.Pronouns, &p.BirthDate, &p.Phone, &p.EmergencyName, &p.EmergencyPhone, &p.EmergencyRelation,
		&p.SupportName, &p.SupportPhone, &p.TimeZone, &stage, &p.Version,
		&p.Address.Line1, &p.Address.Line2, &p.Address.City, &p.Address.State, &p.Address.PostalCode); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
		}
		return nil, err
	}
	p.UserID = userID.String
	p.CreatedAt = p.CreatedAt.UTC()
	p.Stage = clinic.Stage(stage)
	return &p, nil
}

const patientColumns = `p.id, p.user_id, p.display_name, p.email, p.created_at,
	p.legal_name, p.pronouns, p.birth_date, p.phone, p.emergency_name, p.emergency_phone, p.emergency_relation,
	p.support_name, p.support_phone, p.time_zone, p.stage, p.version,
	p.address_line1, p.address_line2, p.address_city, p.address_state, p.address_postal_code`

// CreatePatient adds a patient. A therapist who adds one becomes the owner
// of the case; an admin names the owning therapist in ownerID. Audited.
func (s *Store) CreatePatient(ctx context.Context, actor Actor, p *Patient, ownerID string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !actor.may(auth.PermAddPatient) {
		return clinic.Errorf(clinic.EForbidden, "Only therapists and admins add patients.")
	}
	if actor.may(auth.PermOwnCase) {
		ownerID = actor.UserID
	}
	return s.write(ctx, func(tx *Tx) error {
		if err := s.checkStaff(ctx, tx, ownerID, clinic.RoleTherapist, "owner_id"); err != nil {
			return err
		}
		now := s.now()
		p.ID, p.CreatedAt = NewID(), now
		p.Stage, p.Version = clinic.StageInquiry, 1
		if _, err := tx.Exec(ctx, `INSERT INTO patients (id, display_name, email, created_by, created_at, updated_at, stage) VALUES ($1, $2, $3, $4, $5, $5, $6)`,
			p.ID, p.DisplayName, p.Email, firstNonEmpty(actor.UserID, ownerID), now, string(p.Stage)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stage_changes (id, patient_id, from_stage, to_stage, reason, actor_id, at) VALUES ($1, $2, '', $3, $4, $5, $6)`,
			NewID(), p.ID, string(p.Stage), "Added to the practice", firstNonEmpty(actor.UserID, ownerID), now); err != nil {
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
// denied), or inside an open view (BeginView) named in the view's one row.
// A foreign or missing id is ENotFound.
func (s *Store) FindPatient(ctx context.Context, actor Actor, id string) (*Patient, Access, error) {
	var p *Patient
	var acc Access
	err := s.viewAccess(ctx, actor, id, auth.PermProfile, "patient.read", func(tx *Tx, a Access, _ *Entry) error {
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

// PatientFilter narrows the caseload: Query matches part of the name
// (any case); Stage, when set, the course's stage.
type PatientFilter struct {
	Query string
	Stage clinic.Stage
}

// patientScope is the FROM and WHERE of the patients actor may list,
// matching f: their care-team patients for a clinician, every patient for
// an admin (administration only). The placeholders it uses are args.
func patientScope(actor Actor, f PatientFilter) (string, []any, error) {
	return patientScopeOrder(actor, f, false)
}

// patientScopeOrder is patientScope; byName asks, for a clinician, that
// the patients be walked in name order (patients_name_order) and each
// checked against the care team, rather than the care team's rows read
// and sorted: SQLite takes a CROSS JOIN's left table as the outer loop,
// so a page of a large caseload reads about a page of rows, not the
// caseload (PostgreSQL plans the join by its statistics either way).
func patientScopeOrder(actor Actor, f PatientFilter, byName bool) (string, []any, error) {
	var q string
	var args []any
	switch {
	case actor.may(auth.PermCaseload) && byName:
		q = ` FROM patients p CROSS JOIN care_team t
			WHERE t.patient_id = p.id AND t.user_id = $1 AND t.removed_at IS NULL AND p.archived_at IS NULL`
		args = []any{actor.UserID}
	case actor.may(auth.PermCaseload):
		q = ` FROM patients p JOIN care_team t ON t.patient_id = p.id
			WHERE t.user_id = $1 AND t.removed_at IS NULL AND p.archived_at IS NULL`
		args = []any{actor.UserID}
	case actor.may(auth.PermDirectory):
		q = ` FROM patients p WHERE p.archived_at IS NULL`
	default:
		return "", nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if f.Query = strings.TrimSpace(f.Query); f.Query != "" {
		args = append(args, "%"+likeEscape(strings.ToLower(f.Query))+"%")
		q += fmt.Sprintf(` AND (lower(p.display_name) LIKE $%d ESCAPE '\' OR lower(p.legal_name) LIKE $%d ESCAPE '\')`, len(args), len(args))
	}
	if f.Stage != "" {
		args = append(args, string(f.Stage))
		q += fmt.Sprintf(` AND p.stage = $%d`, len(args))
	}
	return q, args, nil
}

// ListPatients returns the patients actor may see, matching f: their
// care-team patients for a clinician, every patient for an admin
// (administration only), by name. Audited as one read of the list. It
// returns every match: pages use PagePatients.
func (s *Store) ListPatients(ctx context.Context, actor Actor, f PatientFilter) ([]*Patient, error) {
	scope, args, err := patientScope(actor, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + patientColumns + scope + ` ORDER BY lower(p.display_name), p.id`
	var out []*Patient
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		if out, err = queryAll(ctx, tx, scanPatient, q, args...); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "patient.list", ObjectType: "patient"})
	})
	return out, err
}

// CaseloadPageSize is how many patients one caseload page shows.
const CaseloadPageSize = 50

// caseloadWalkAbove: a caseload of more than this many pages is read in
// name order (patientScopeOrder) rather than read whole and sorted.
const caseloadWalkAbove = 4

// PatientPage is one page of the patients actor may list.
type PatientPage struct {
	Patients []*Patient
	// Total is how many patients match the filter, on every page.
	Total int
	// Next is the patient id to pass as After for the following page, and
	// Prev the one to pass as Before for the page before; "" when there
	// is none.
	Next, Prev string
}

// PageKey says which page of a list to read: the rows after the row with
// id After, or (when Before is set) the rows before the row with id
// Before, at most Limit of them (CaseloadPageSize when 0). Both empty: the
// first page. A key that names no row (since archived) reads the first
// page. The key is an id, never a name, so no PHI is put in a URL.
type PageKey struct {
	After, Before string
	Limit         int
}

// PagePatients is ListPatients a page at a time, in the same order (by
// lower(display_name), then id), with keyset paging (the next page starts
// after the last row shown, never an OFFSET, so a page costs the same on
// page 1 and page 200, and a patient added meanwhile shifts nothing), and
// the count of every match. Audited as one read of the list, committed
// before the page is returned.
func (s *Store) PagePatients(ctx context.Context, actor Actor, f PatientFilter, k PageKey) (*PatientPage, error) {
	scope, args, err := patientScope(actor, f)
	if err != nil {
		return nil, err
	}
	limit := k.Limit
	if limit <= 0 {
		limit = CaseloadPageSize
	}
	out := &PatientPage{}
	err = s.read(ctx, func(tx *Tx) error {
		cq, ca := `SELECT count(*)`+scope, args
		if q, a, ok := caseloadSizeQuery(actor, f); ok {
			cq, ca = q, a
		}
		if err := tx.QueryRow(ctx, cq, ca...).Scan(&out.Total); err != nil {
			return err
		}
		key, backward := k.After, false
		if k.Before != "" {
			key, backward = k.Before, true
		}
		var name string
		if key != "" {
			// The key is looked up in actor's own scope: an id of a
			// patient actor may not list reads the first page, as an
			// unknown id does, and tells nothing about that patient.
			ka := append(slices.Clone(args), key)
			err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT lower(p.display_name)`+scope+` AND p.id = $%d`, len(ka)), ka...).Scan(&name)
			if errors.Is(err, sql.ErrNoRows) {
				key, backward = "", false
			} else if err != nil {
				return err
			}
		}
		// A caseload much longer than a page is read in name order
		// (patientScopeOrder); a short one is read whole and sorted,
		// cheaper than walking the practice's names to find its few.
		q, a := patientPageQuery(actor, f, out.Total > caseloadWalkAbove*limit, name, key, backward, limit)
		list, err := queryAll(ctx, tx, scanPatient, q, a...)
		if err != nil {
			return err
		}
		more := len(list) > limit
		if more {
			list = list[:limit]
		}
		if backward {
			slices.Reverse(list)
		}
		out.Patients = list
		if len(list) > 0 {
			switch {
			case backward:
				out.Next = list[len(list)-1].ID
				if more {
					out.Prev = list[0].ID
				}
			default:
				if more {
					out.Next = list[len(list)-1].ID
				}
				if key != "" {
					out.Prev = list[0].ID
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Audited before the page is answered, as a View is (view.go): the
	// rows are read in a read transaction, so pages of the caseload read
	// side by side and never queue behind the one writer for their reads;
	// only the audit row is written, and nothing is shown unless it
	// committed (even when the client has gone: what was read is audited).
	actx := context.WithoutCancel(ctx)
	if err := s.write(actx, func(tx *Tx) error {
		return s.appendAudit(actx, tx, actor, Entry{Action: "patient.list", ObjectType: "patient"})
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// caseloadSizeQuery is the statement counting a clinician's caseload
// (every stage, or f.Stage) from caseload_sizes, kept by triggers
// (migration 0048), so the count reads a row per stage rather than a row
// per patient; ok false for a name search or anyone but a clinician,
// counted from the rows.
func caseloadSizeQuery(actor Actor, f PatientFilter) (q string, args []any, ok bool) {
	if !actor.may(auth.PermCaseload) || strings.TrimSpace(f.Query) != "" {
		return "", nil, false
	}
	q, args = `SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM caseload_sizes WHERE user_id = $1`, []any{actor.UserID}
	if f.Stage != "" {
		q, args = q+` AND stage = $2`, append(args, string(f.Stage))
	}
	return q, args, true
}

// patientPageQuery is the statement reading one page of PagePatients
// (limit+1 rows, to know whether more follow): the first page when key is
// "", else the rows after (before, when backward) the patient key, whose
// lower(display_name) is name. byName: see patientScopeOrder.
func patientPageQuery(actor Actor, f PatientFilter, byName bool, name, key string, backward bool, limit int) (string, []any) {
	rows, a, _ := patientScopeOrder(actor, f, byName)
	q := `SELECT ` + patientColumns + rows
	order := ` ORDER BY lower(p.display_name), p.id`
	if key != "" {
		cmp := ">"
		if backward {
			cmp, order = "<", ` ORDER BY lower(p.display_name) DESC, p.id DESC`
		}
		a = append(a, name, key)
		// The name bound alone first, so the index's range starts at
		// the key (an OR of the two would be read from the start).
		q += fmt.Sprintf(` AND lower(p.display_name) %s= $%d AND (lower(p.display_name) %s $%d OR p.id %s $%d)`, cmp, len(a)-1, cmp, len(a)-1, cmp, len(a))
	}
	return q + order + fmt.Sprintf(` LIMIT %d`, limit+1), a
}

// likeEscape escapes LIKE's wildcards so a search matches them literally.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
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
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (TeamMember, error) {
			var m TeamMember
			var role string
			u, err := scanUser(row, &role, &m.IsOwner, &m.AddedAt)
			if err != nil {
				return m, err
			}
			m.User, m.Role, m.AddedAt = u, clinic.Role(role), m.AddedAt.UTC()
			return m, nil
		}, `SELECT u.id, u.email, u.display_name, u.role, u.totp_secret, u.disabled_at, u.created_at, u.credentials, t.team_role, t.is_owner, t.added_at
			FROM care_team t JOIN users u ON u.id = t.user_id
			WHERE t.patient_id = $1 AND t.removed_at IS NULL ORDER BY t.is_owner DESC, t.team_role DESC, lower(u.display_name)`, patientID)
		return err
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
		if err := s.addTeamMember(ctx, tx, actor, patientID, userID, clinic.Role(role), false); err != nil {
			return err
		}
		// What the patient wrote before they joined is unread for them
		// too (a new patient, whose owner is added with them, has
		// written nothing yet).
		return syncUnread(ctx, tx, patientID, "", userID)
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

// PatientTimeZone returns the time zone of the patient whose portal account
// is userID ("" when they have none set), for showing that patient times
// in their zone. It is the account holder's own setting, read for their own
// pages, so it is not audited.
func (s *Store) PatientTimeZone(ctx context.Context, userID string) (string, error) {
	var tz string
	err := s.read(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT time_zone FROM patients WHERE user_id = $1`, userID).Scan(&tz)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return tz, err
}
