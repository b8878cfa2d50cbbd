package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Psychotherapy notes (issue 16 item 4; SECURITY.md 1.2; 45 CFR 164.501,
// 164.508(a)(2)): a clinician's notes on what was said in a session, kept
// apart from the medical record. Each note is its author's alone: every
// method here takes the acting user and answers anyone else, admins
// included, exactly as for a note that does not exist. The author must also
// be allowed auth.PermPsychNote on the patient by the one policy (a
// therapist or prescriber on the care team; never emergency access). The
// text is sealed (package seal) under the store's data keys before it
// reaches the database; every read and write is audited in its own
// transaction, with ids only, never the text.

// PsychNoteMaxRunes is the longest note, in characters.
const PsychNoteMaxRunes = 50000

// PsychNote is one psychotherapy note.
type PsychNote struct {
	ID            string
	PatientID     string
	PatientName   string // the patient's display name, when read
	AppointmentID string // "" when the note belongs to no appointment
	// AppointmentKind and AppointmentAt describe the linked appointment,
	// when read ("" and zero for none).
	AppointmentKind string
	AppointmentAt   time.Time
	// Body is the note's text: given to CreatePsychNote and
	// UpdatePsychNote, and read only by PsychNote (lists leave it empty, so
	// a list never opens a note).
	Body      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Edited reports whether the note was saved again after it was written.
func (n PsychNote) Edited() bool { return n.UpdatedAt.After(n.CreatedAt) }

// psychNoteAAD is the additional data a note's body is sealed with: the
// table, column and row id ("psychotherapy_notes.body_sealed:<id>", the
// form every sealed column's additional data starts with), then the
// author's and the patient's id, each as ":<column>=<value>", so a sealed
// body copied to another row, or a row given another author or patient,
// no longer opens. Key rotation re-seals a body with the same function,
// from the row's id, author_id and patient_id.
func psychNoteAAD(id, authorID, patientID string) string {
	return sealedOf("psychotherapy_notes", "body_sealed").aad(id, authorID, patientID)
}

// errPsychNoteHidden is a note that is not the actor's own, or does not
// exist: the two are answered alike (psychNoteRefusal).
var errPsychNoteHidden = errors.New("psychotherapy note not found for its author")

// psychNoteNotFound is the answer to anyone but a note's author.
func psychNoteNotFound() error {
	return clinic.Errorf(clinic.ENotFound, "We could not find that note.")
}

// psychNoteRefusal audits a hidden note (not the actor's, or none) as a
// denied action in its own transaction and answers ENotFound; any other err
// is returned as it is.
func (s *Store) psychNoteRefusal(ctx context.Context, actor Actor, patientID, noteID, action string, err error) error {
	if !errors.Is(err, errPsychNoteHidden) {
		return err
	}
	s.endViewRead(ctx)
	e := Entry{Action: action, Outcome: OutcomeDenied, PatientID: patientID, ObjectType: "psychnote", ObjectID: noteID, Detail: "perm=" + string(auth.PermPsychNote) + "; not the author's"}
	if aerr := s.Audit(ctx, actor, e); aerr != nil {
		return aerr
	}
	return psychNoteNotFound()
}

// checkPsychNote checks a note's text (and trims it) and its appointment
// ("" for none), which must be one of patientID's appointments, not
// cancelled; keep is an appointment the note already belongs to, accepted
// even if cancelled since. Every problem is reported at its field.
func checkPsychNote(ctx context.Context, tx *Tx, patientID string, n *PsychNote, keep string) error {
	fe := clinic.FieldErrors{}
	n.Body = strings.TrimSpace(n.Body)
	switch {
	case n.Body == "":
		fe.Add("body", "Write the note first.")
	case utf8.RuneCountInString(n.Body) > PsychNoteMaxRunes:
		fe.Add("body", "Use at most 50000 characters; split a longer note in two.")
	default:
		clinic.CheckText(fe, "body", n.Body)
	}
	n.AppointmentID = strings.TrimSpace(n.AppointmentID)
	if n.AppointmentID != "" && n.AppointmentID != keep {
		var c int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM appointments WHERE id = $1 AND patient_id = $2 AND cancelled_at IS NULL`, n.AppointmentID, patientID).Scan(&c); err != nil {
			return err
		}
		if c == 0 {
			fe.Add("appointment", "Choose one of this patient's appointments, or none.")
		}
	}
	return fe.Err()
}

// psychNoteLink is the appointment_id column's value: NULL for none.
func psychNoteLink(appointmentID string) any {
	if appointmentID == "" {
		return nil
	}
	return appointmentID
}

// CreatePsychNote saves n as a new psychotherapy note by actor about
// patientID, sealed, and sets n.ID, n.Version and the times. Only a
// clinician the policy allows auth.PermPsychNote on the patient (the care
// team) may; anyone else is ENotFound. An empty or overlong text, or an
// appointment that is not the patient's, is EInvalid with the field named.
// Audited as psychnote.create (ids only).
func (s *Store) CreatePsychNote(ctx context.Context, actor Actor, patientID string, n *PsychNote) error {
	if !auth.CanSome(actor.Role, auth.PermPsychNote) || actor.UserID == "" {
		return clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	if s.keys == nil {
		return errors.New("psychotherapy notes: no data key is loaded")
	}
	return s.patientAccess(ctx, actor, patientID, auth.PermPsychNote, "psychnote.create", func(tx *Tx, a Access, e *Entry) error {
		if err := checkPsychNote(ctx, tx, patientID, n, ""); err != nil {
			return err
		}
		id := NewID()
		s.keys.Refresh()
		sealed, err := s.keys.SealString(n.Body, psychNoteAAD(id, actor.UserID, patientID))
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO psychotherapy_notes (id, patient_id, appointment_id, author_id, body_sealed, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $6)`, id, patientID, psychNoteLink(n.AppointmentID), actor.UserID, sealed, now); err != nil {
			return err
		}
		n.ID, n.PatientID, n.Version, n.CreatedAt, n.UpdatedAt = id, patientID, 1, now, now
		e.ObjectType, e.ObjectID = "psychnote", id
		if n.AppointmentID != "" {
			e.Detail = "appointment=" + n.AppointmentID
		}
		return nil
	})
}

// UpdatePsychNote saves n.Body and n.AppointmentID as the new text of
// note n.ID about patientID, if actor wrote it and n.Version is still the
// note's version; then n.Version is the new one. A note that is not
// actor's (or none) is ENotFound, audited as denied; a stale version is
// EConflict (someone, or another tab, saved since), with the text not
// saved; bad input is EInvalid as for CreatePsychNote. Audited as
// psychnote.update.
func (s *Store) UpdatePsychNote(ctx context.Context, actor Actor, patientID string, n *PsychNote) error {
	if !auth.CanSome(actor.Role, auth.PermPsychNote) || actor.UserID == "" {
		return psychNoteNotFound()
	}
	if s.keys == nil {
		return errors.New("psychotherapy notes: no data key is loaded")
	}
	err := s.patientAccess(ctx, actor, patientID, auth.PermPsychNote, "psychnote.update", func(tx *Tx, a Access, e *Entry) error {
		var version int64
		var current sql.NullString
		err := tx.QueryRow(ctx, `SELECT version, appointment_id FROM psychotherapy_notes WHERE id = $1 AND patient_id = $2 AND author_id = $3`,
			n.ID, patientID, actor.UserID).Scan(&version, &current)
		if errors.Is(err, sql.ErrNoRows) {
			return errPsychNoteHidden
		}
		if err != nil {
			return err
		}
		if err := checkPsychNote(ctx, tx, patientID, n, current.String); err != nil {
			return err
		}
		if version != n.Version {
			msg := "This note was saved elsewhere (another window?) after you opened it. Your text is below: copy what you need, reload the note, and save again."
			return &clinic.Error{Code: clinic.EConflict, Message: msg, Fields: map[string]string{"body": msg}}
		}
		s.keys.Refresh()
		sealed, err := s.keys.SealString(n.Body, psychNoteAAD(n.ID, actor.UserID, patientID))
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE psychotherapy_notes SET body_sealed = $1, appointment_id = $2, version = version + 1, updated_at = $3
			WHERE id = $4 AND patient_id = $5 AND author_id = $6 AND version = $7`,
			sealed, psychNoteLink(n.AppointmentID), now, n.ID, patientID, actor.UserID, n.Version)
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return clinic.Errorf(clinic.EConflict, "This note was saved elsewhere after you opened it; reload it and save again.")
		}
		n.Version++
		n.PatientID, n.UpdatedAt = patientID, now
		e.ObjectType, e.ObjectID, e.Detail = "psychnote", n.ID, "version="+strconv.FormatInt(n.Version, 10)
		return nil
	})
	return s.psychNoteRefusal(ctx, actor, patientID, n.ID, "psychnote.update", err)
}

// psychNoteColumns are a note's columns for scanPsychNote (body excluded).
const psychNoteColumns = `n.id, n.patient_id, coalesce(p.display_name, ''), coalesce(n.appointment_id, ''), coalesce(ap.kind, ''), ap.starts_at,
	n.version, n.created_at, n.updated_at`

const psychNoteFrom = `FROM psychotherapy_notes n
	JOIN patients p ON p.id = n.patient_id
	LEFT JOIN appointments ap ON ap.id = n.appointment_id`

func scanPsychNote(row scanner, extra ...any) (PsychNote, error) {
	var n PsychNote
	var at nullTime
	err := row.Scan(append([]any{&n.ID, &n.PatientID, &n.PatientName, &n.AppointmentID, &n.AppointmentKind, &at, &n.Version, &n.CreatedAt, &n.UpdatedAt}, extra...)...)
	if p := at.ptr(); p != nil {
		n.AppointmentAt = p.UTC()
	}
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return n, err
}

// PsychNote returns note id about patientID with its text opened, if actor
// wrote it and the policy allows actor auth.PermPsychNote on the patient.
// Anyone else, and a note that does not exist, is ENotFound (audited as
// denied). A body that does not open (its key is gone, or the row was
// tampered with) is an error, never shown. Audited as psychnote.read.
func (s *Store) PsychNote(ctx context.Context, actor Actor, patientID, id string) (*PsychNote, error) {
	if !auth.CanSome(actor.Role, auth.PermPsychNote) || actor.UserID == "" {
		return nil, psychNoteNotFound()
	}
	var out *PsychNote
	err := s.viewAccess(ctx, actor, patientID, auth.PermPsychNote, "psychnote.read", func(tx *Tx, a Access, e *Entry) error {
		var sealed string
		n, err := scanPsychNote(tx.QueryRow(ctx, `SELECT `+psychNoteColumns+`, n.body_sealed `+psychNoteFrom+`
			WHERE n.id = $1 AND n.patient_id = $2 AND n.author_id = $3`, id, patientID, actor.UserID), &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return errPsychNoteHidden
		}
		if err != nil {
			return err
		}
		if s.keys == nil {
			return errors.New("psychotherapy notes: no data key is loaded")
		}
		if n.Body, err = s.keys.OpenString(sealed, psychNoteAAD(n.ID, actor.UserID, patientID)); err != nil {
			return err
		}
		out = &n
		e.ObjectType, e.ObjectID = "psychnote", id
		return nil
	})
	return out, s.psychNoteRefusal(ctx, actor, patientID, id, "psychnote.read", err)
}

// PsychNotePage is a page of a list of notes: at most Limit (1 to 100;
// otherwise 20) from Offset.
type PsychNotePage struct {
	Limit, Offset int
}

func (p PsychNotePage) norm() PsychNotePage {
	if p.Limit <= 0 || p.Limit > 100 {
		p.Limit = 20
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// PsychNotes lists actor's own psychotherapy notes about patientID, newest
// first, one page (in SQL) and whether more follow, without their text. No
// other clinician's note is ever listed. A caller the policy does not allow
// auth.PermPsychNote on the patient is ENotFound. Audited as psychnote.list
// with the count.
func (s *Store) PsychNotes(ctx context.Context, actor Actor, patientID string, page PsychNotePage) ([]PsychNote, bool, error) {
	if !auth.CanSome(actor.Role, auth.PermPsychNote) || actor.UserID == "" {
		return nil, false, clinic.Errorf(clinic.ENotFound, "We could not find that patient.")
	}
	page = page.norm()
	var out []PsychNote
	err := s.viewAccess(ctx, actor, patientID, auth.PermPsychNote, "psychnote.list", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (PsychNote, error) { return scanPsychNote(row) },
			`SELECT `+psychNoteColumns+` `+psychNoteFrom+`
			WHERE n.patient_id = $1 AND n.author_id = $2
			ORDER BY n.created_at DESC, n.id DESC LIMIT `+strconv.Itoa(page.Limit+1)+` OFFSET $3`, patientID, actor.UserID, page.Offset) // a literal limit: a bound one made SQLite compile the statement again at each use
		e.ObjectType, e.ObjectID = "patient", patientID
		e.Detail = "count=" + strconv.Itoa(min(len(out), page.Limit)) + "; offset=" + strconv.Itoa(page.Offset)
		return err
	})
	more := len(out) > page.Limit
	if more {
		out = out[:page.Limit]
	}
	return out, more, err
}

// MyPsychNotes lists actor's own psychotherapy notes across the patients
// the policy still lets them write about (auth.PermPsychNote: their care
// teams, as owner or member; archived patients and teams left are not
// listed), newest first, one page (in SQL) and whether more follow, without
// their text. A role never allowed psychotherapy notes is ENotFound.
// Audited as psychnote.list with the count.
func (s *Store) MyPsychNotes(ctx context.Context, actor Actor, page PsychNotePage) ([]PsychNote, bool, error) {
	if !auth.CanSome(actor.Role, auth.PermPsychNote) || actor.UserID == "" {
		return nil, false, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	page = page.norm()
	// The relations that allow it, from the policy: the owner's and a
	// member's place on the care team are the ones the table can hold.
	ownerOK := auth.Can(actor.Role, auth.RelOwner, auth.PermPsychNote)
	teamOK := auth.Can(actor.Role, auth.RelTeam, auth.PermPsychNote)
	var out []PsychNote
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (PsychNote, error) { return scanPsychNote(row) },
			`SELECT `+psychNoteColumns+` `+psychNoteFrom+`
			WHERE n.author_id = $1 AND p.archived_at IS NULL AND EXISTS (
				SELECT 1 FROM care_team t WHERE t.patient_id = n.patient_id AND t.user_id = $1 AND t.removed_at IS NULL
					AND ((t.is_owner AND $2) OR (NOT t.is_owner AND $3)))
			ORDER BY n.created_at DESC, n.id DESC LIMIT $4 OFFSET $5`, actor.UserID, ownerOK, teamOK, page.Limit+1, page.Offset)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "psychnote.list", ObjectType: "psychnote",
			Detail: "count=" + strconv.Itoa(min(len(out), page.Limit)) + "; offset=" + strconv.Itoa(page.Offset) + "; all patients"})
	})
	more := len(out) > page.Limit
	if more {
		out = out[:page.Limit]
	}
	return out, more, err
}
