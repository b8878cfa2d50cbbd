package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Co-signature of clinical notes (issue 16 item 3, migration 0033). An
// administrator names the supervisor who co-signs a clinician's notes
// (SetNoteSupervisor). The supervisee's signature then moves the note to
// clinic.NoteAwaitingCosign naming the supervisor as its co-signer; its
// content is locked (the store and the database's trigger refuse any
// change). The co-signer reads it (auth.RelCosigner: a relation to that
// note only, worked out here from notes.cosigner_id), and co-signs it
// (CosignNote: who, when and a hash over the note's hash) or returns it
// to its author with a comment (ReturnNote: back to a draft; the version
// returned, its signature and the comment are kept in note_returns).

// NoteReturn is a note its co-signer returned to its author.
type NoteReturn struct {
	ByName      string
	At          time.Time
	Comment     string
	SignedAt    time.Time // when the author had signed the version returned
	ContentHash string    // that version's hash
}

// CosignVerified reports whether the note's co-signature matches the note
// and its author's hash (false when it has none).
func (n *Note) CosignVerified() bool {
	if n.CosignedAt == nil || n.CosignHash == "" {
		return false
	}
	return clinic.SignedCosign{NoteID: n.ID, NoteHash: n.ContentHash, CosignerID: n.CosignerID, SignedAt: *n.CosignedAt}.Verify(n.CosignHash)
}

// Awaiting reports whether the note is signed by its author and waits for
// co-signature.
func (n *Note) Awaiting() bool { return n.Status == clinic.NoteAwaitingCosign }

// writesNotes reports whether role writes clinical notes (the one policy:
// some relation allows note.write), so may supervise or be supervised.
func writesNotes(role string) bool { return auth.CanSome(clinic.Role(role), auth.PermNoteWrite) }

// supervisorOf returns the supervisor named for userID inside tx ("" for
// none) and whether their account is enabled.
func supervisorOf(ctx context.Context, tx *Tx, userID string) (string, bool, error) {
	var id string
	var active bool
	err := tx.QueryRow(ctx, `SELECT s.supervisor_id, u.disabled_at IS NULL FROM note_supervisors s JOIN users u ON u.id = s.supervisor_id
		WHERE s.user_id = $1`, userID).Scan(&id, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, active, err
}

// NoteSupervisor returns who co-signs userID's notes ("" for no one), for
// an administrator.
func (s *Store) NoteSupervisor(ctx context.Context, actor Actor, userID string) (string, error) {
	if !actor.may(auth.PermAccounts) {
		return "", clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var id string
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		id, _, err = supervisorOf(ctx, tx, userID)
		return err
	})
	return id, err
}

// SetNoteSupervisor names, for an administrator, the supervisor who must
// co-sign userID's clinical notes ("" for no one), as
// clinic.Supervision.Check allows (EInvalid at "supervisor_id"; a user
// that does not exist is ENotFound). Notes of userID waiting for
// co-signature move to the new supervisor in the same transaction.
// Audited as user.supervisor with the old and new supervisor's ids.
func (s *Store) SetNoteSupervisor(ctx context.Context, actor Actor, userID, supervisorID string) error {
	if !actor.may(auth.PermAccounts) {
		return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	return s.write(ctx, func(tx *Tx) error {
		var role string
		err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return clinic.Errorf(clinic.ENotFound, "We could not find that account.")
		}
		if err != nil {
			return err
		}
		sv := clinic.Supervision{SuperviseeID: userID, SupervisorID: supervisorID, SuperviseeWrites: writesNotes(role)}
		if supervisorID != "" {
			var srole string
			err := tx.QueryRow(ctx, `SELECT role, disabled_at IS NULL FROM users WHERE id = $1`, supervisorID).Scan(&srole, &sv.SupervisorActive)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			sv.SupervisorWrites = err == nil && writesNotes(srole)
			if sv.SupervisorsSupervisor, _, err = supervisorOf(ctx, tx, supervisorID); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notes WHERE author_id = $1 AND status = 'awaiting_cosign'`, userID).Scan(&sv.Pending); err != nil {
			return err
		}
		if err := sv.Check(); err != nil {
			return err
		}
		old, _, err := supervisorOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old == supervisorID {
			return nil
		}
		now := s.now().UTC()
		if supervisorID == "" {
			_, err = tx.Exec(ctx, `DELETE FROM note_supervisors WHERE user_id = $1`, userID)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO note_supervisors (user_id, supervisor_id, set_by, set_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (user_id) DO UPDATE SET supervisor_id = excluded.supervisor_id, set_by = excluded.set_by, set_at = excluded.set_at`,
				userID, supervisorID, actor.UserID, now)
		}
		if err != nil {
			return err
		}
		detail := "supervisor " + orNone(old) + " -> " + orNone(supervisorID)
		if supervisorID != "" && sv.Pending > 0 {
			if _, err := tx.Exec(ctx, `UPDATE notes SET cosigner_id = $1 WHERE author_id = $2 AND status = 'awaiting_cosign'`, supervisorID, userID); err != nil {
				return err
			}
			detail += "; " + strconv.Itoa(sv.Pending) + " notes awaiting co-signature moved"
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "user.supervisor", ObjectType: "user", ObjectID: userID, Detail: detail})
	})
}

func orNone(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

// SupervisorChoice is a clinician an administrator may name as a
// supervisor.
type SupervisorChoice struct {
	ID, Name string
}

// SupervisorChoices lists, for an administrator, the clinicians who may
// co-sign userID's notes: enabled therapists and prescribers other than
// userID, by name.
func (s *Store) SupervisorChoices(ctx context.Context, actor Actor, userID string) ([]SupervisorChoice, error) {
	if !actor.may(auth.PermAccounts) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []SupervisorChoice
	err := s.read(ctx, func(tx *Tx) error {
		type row struct{ id, name, role string }
		rows, err := queryAll(ctx, tx, func(r scanner) (x row, err error) {
			err = r.Scan(&x.id, &x.name, &x.role)
			return x, err
		}, `SELECT id, display_name, role FROM users WHERE id <> $1 AND disabled_at IS NULL AND role <> 'patient' ORDER BY display_name, id`, userID) // the staff, not every patient's account
		for _, x := range rows {
			if writesNotes(x.role) {
				out = append(out, SupervisorChoice{ID: x.id, Name: x.name})
			}
		}
		return err
	})
	return out, err
}

// cosignAccess runs fn in an audited transaction on the note noteID when
// actor stands to it in a relation that allows p: auth.RelCosigner when
// the note names actor as its co-signer (waiting for them, or co-signed
// by them), none otherwise; the care team is not asked (a supervisor
// outside it reads this note and nothing else of the record). A refusal,
// or a note that does not exist or whose patient is archived, is audited
// as denied and answered ENotFound.
func (s *Store) cosignAccess(ctx context.Context, actor Actor, noteID string, p auth.Permission, action string, fn func(tx *Tx, n *Note, e *Entry) error) error {
	notFound := clinic.Errorf(clinic.ENotFound, "We could not find that note.")
	if !auth.CanSome(actor.Role, p) {
		return notFound
	}
	var patientID string
	denied := false
	err := s.write(ctx, func(tx *Tx) error {
		var apptID, cosigner string
		err := tx.QueryRow(ctx, `SELECT n.patient_id, n.appointment_id, n.cosigner_id FROM notes n JOIN patients p ON p.id = n.patient_id
			WHERE n.id = $1 AND p.archived_at IS NULL`, noteID).Scan(&patientID, &apptID, &cosigner)
		if errors.Is(err, sql.ErrNoRows) {
			denied = true
			return notFound
		}
		if err != nil {
			return err
		}
		rel := auth.RelNone
		if cosigner != "" && cosigner == actor.UserID {
			rel = auth.RelCosigner
		}
		if !auth.Can(actor.Role, rel, p) {
			denied = true
			return notFound
		}
		n, err := noteIn(ctx, tx, patientID, apptID, true)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT display_name FROM patients WHERE id = $1`, patientID).Scan(&n.PatientName); err != nil {
			return err
		}
		e := Entry{Action: action, PatientID: patientID, ObjectType: "note", ObjectID: noteID}
		if err := fn(tx, n, &e); err != nil {
			return err
		}
		e.PatientID = patientID
		return s.appendAudit(ctx, tx, actor, e)
	})
	if denied {
		if aerr := s.Audit(ctx, actor, Entry{Action: action, Outcome: OutcomeDenied, PatientID: patientID, ObjectType: "note", ObjectID: noteID, Detail: "perm=" + string(p)}); aerr != nil {
			return aerr
		}
	}
	return err
}

// NoteForCosign returns the note noteID, with its patient's name, for its
// co-signer (waiting for their co-signature, or co-signed by them);
// anyone else is told it does not exist. Audited as note.read.
func (s *Store) NoteForCosign(ctx context.Context, actor Actor, noteID string) (*Note, error) {
	var out *Note
	err := s.cosignAccess(ctx, actor, noteID, auth.PermNoteCosign, "note.read", func(tx *Tx, n *Note, e *Entry) error {
		e.Detail, out = "as co-signer", n
		return nil
	})
	return out, err
}

// CosignNote co-signs the note noteID as its named co-signer, with the
// attestation given (EInvalid at "attest"): the note must wait for
// co-signature (clinic.NoteMove) and its author's hash must verify
// (EConflict otherwise). It records the time and a hash over the note's
// hash (clinic.SignedCosign) and the note is signed, locked for good.
// Audited as note.cosign with the hash.
func (s *Store) CosignNote(ctx context.Context, actor Actor, noteID string, attest bool) (*Note, error) {
	var out *Note
	err := s.cosignAccess(ctx, actor, noteID, auth.PermNoteCosign, "note.cosign", func(tx *Tx, n *Note, e *Entry) error {
		next, err := clinic.NoteMove{Status: n.Status, Step: clinic.NoteStepCosign, ByAuthor: n.AuthorID == actor.UserID, ByCosigner: n.CosignerID == actor.UserID}.Next()
		if err != nil {
			return err
		}
		if !attest {
			fe := clinic.FieldErrors{}
			fe.Add("attest", "Tick the box to confirm you reviewed the note before you co-sign it.")
			return fe.Err()
		}
		if !n.Verify() {
			return clinic.Errorf(clinic.EConflict, "This note does not match its author's signature, so it cannot be co-signed. Tell the practice's administrator.")
		}
		at := s.now().UTC().Truncate(time.Second)
		hash := clinic.SignedCosign{NoteID: n.ID, NoteHash: n.ContentHash, CosignerID: actor.UserID, SignedAt: at}.Hash()
		res, err := tx.Exec(ctx, `UPDATE notes SET status = $1, cosigned_at = $2, cosign_hash = $3, updated_at = $2
			WHERE id = $4 AND status = 'awaiting_cosign' AND cosigner_id = $5`, next, at, hash, n.ID, actor.UserID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			if err == nil {
				err = clinic.Errorf(clinic.EConflict, "This note changed while you were reading it. Open it again.")
			}
			return err
		}
		n.Status, n.CosignedAt, n.CosignHash = next, &at, hash
		n.CosignerName, out = actorName(ctx, tx, actor.UserID), n
		e.Detail = hash
		return nil
	})
	return out, err
}

// actorName is userID's display name ("" when unknown).
func actorName(ctx context.Context, tx *Tx, userID string) string {
	var name string
	tx.QueryRow(ctx, `SELECT display_name FROM users WHERE id = $1`, userID).Scan(&name)
	return name
}

// ReturnNote returns the note noteID to its author as a draft, with the
// co-signer's comment (clinic.CheckReturnComment; EInvalid at "comment").
// Only the named co-signer, and only a note waiting for co-signature
// (clinic.NoteMove). The version returned, its author's signature and the
// comment are kept in note_returns; the note's signature is cleared and
// its draft version moves on, so a form open from before is refused
// rather than saved over it. Audited as note.return (not the comment).
func (s *Store) ReturnNote(ctx context.Context, actor Actor, noteID, comment string) error {
	return s.cosignAccess(ctx, actor, noteID, auth.PermNoteCosign, "note.return", func(tx *Tx, n *Note, e *Entry) error {
		next, err := clinic.NoteMove{Status: n.Status, Step: clinic.NoteStepReturn, ByAuthor: n.AuthorID == actor.UserID, ByCosigner: n.CosignerID == actor.UserID}.Next()
		if err != nil {
			return err
		}
		comment, err := clinic.CheckReturnComment(comment)
		if err != nil {
			return err
		}
		body, err := json.Marshal(n.Sections)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		id := NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO note_returns (id, note_id, returned_by, returned_at, comment, format, sections, signed_by, signed_at, content_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, n.ID, actor.UserID, now, comment, n.Format, string(body), n.AuthorID, *n.SignedAt, n.ContentHash); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE notes SET status = $1, signed_by = '', signed_at = NULL, content_hash = '', cosigner_id = '',
			draft_version = draft_version + 1, updated_at = $2 WHERE id = $3 AND status = 'awaiting_cosign' AND cosigner_id = $4`,
			next, now, n.ID, actor.UserID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			if err == nil {
				err = clinic.Errorf(clinic.EConflict, "This note changed while you were reading it. Open it again.")
			}
			return err
		}
		e.Detail = "return " + id + " of " + n.ContentHash
		return nil
	})
}

// CosignSummary is one line of a supervisor's list of notes awaiting their
// co-signature: who and when, never the note's text.
type CosignSummary struct {
	NoteID        string
	PatientName   string
	Kind          string
	AppointmentAt time.Time
	AuthorName    string
	SignedAt      time.Time
}

// CosignList is one page of notes awaiting actor's co-signature, the
// longest waiting first.
type CosignList struct {
	Notes []CosignSummary
	Page  int
	More  bool
}

// NotesAwaitingCosign returns page (from 1) of the notes waiting for
// actor's co-signature, the longest waiting first, NotePageSize to a page
// (paged in SQL over the partial index notes_cosigner), for a clinician.
// Audited as note.cosign.list.
func (s *Store) NotesAwaitingCosign(ctx context.Context, actor Actor, page int) (*CosignList, error) {
	if !auth.CanSome(actor.Role, auth.PermNoteCosign) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if page < 1 {
		page = 1
	}
	out := &CosignList{Page: page}
	err := s.write(ctx, func(tx *Tx) error {
		list, err := queryAll(ctx, tx, func(r scanner) (c CosignSummary, err error) {
			err = r.Scan(&c.NoteID, &c.PatientName, &c.Kind, &c.AppointmentAt, &c.AuthorName, &c.SignedAt)
			c.AppointmentAt, c.SignedAt = c.AppointmentAt.UTC(), c.SignedAt.UTC()
			return c, err
		}, `SELECT n.id, p.display_name, n.kind, a.starts_at, coalesce(u.display_name, ''), n.signed_at
			FROM notes n JOIN patients p ON p.id = n.patient_id JOIN appointments a ON a.id = n.appointment_id
			LEFT JOIN users u ON u.id = n.author_id
			WHERE n.cosigner_id = $1 AND n.status = 'awaiting_cosign' AND p.archived_at IS NULL
			ORDER BY n.signed_at, n.id LIMIT $2 OFFSET $3`, actor.UserID, NotePageSize+1, (page-1)*NotePageSize)
		if err != nil {
			return err
		}
		if len(list) > NotePageSize {
			list, out.More = list[:NotePageSize], true
		}
		out.Notes = list
		return s.appendAudit(ctx, tx, actor, Entry{Action: "note.cosign.list", ObjectType: "note", Detail: "page " + strconv.Itoa(page)})
	})
	return out, err
}

// CountAwaitingCosign counts the notes waiting for actor's co-signature
// (0 for anyone who co-signs none), for a badge: no names, not audited.
func (s *Store) CountAwaitingCosign(ctx context.Context, actor Actor) (int, error) {
	if !auth.CanSome(actor.Role, auth.PermNoteCosign) {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM notes n JOIN patients p ON p.id = n.patient_id
			WHERE n.cosigner_id = $1 AND n.status = 'awaiting_cosign' AND p.archived_at IS NULL`, actor.UserID).Scan(&n)
	})
	return n, err
}
