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

// Clinical (progress) notes, issue 16 items 1 to 3: one note per
// appointment, written by a clinician on the care team in a format from
// clinic.NoteFormats. A draft is saved as it is typed, each save against
// the version it was made from, so a stale save is refused rather than
// overwriting newer text. Signing records who, when and the content hash
// (clinic.SignedNote) in one UPDATE; the database's triggers (migration
// 0031) refuse any later change or deletion of the row, and the store
// refuses it first. Addenda are signed, append-only rows under the note.

// Note is one clinical note with its addenda.
type Note struct {
	ID            string // "" for a note not written yet
	PatientID     string
	AppointmentID string
	Kind          string // the appointment's kind
	AppointmentAt time.Time
	Format        string
	Sections      map[string]string
	AuthorID      string
	AuthorName    string
	Status        string // clinic.NoteDraft, clinic.NoteAwaitingCosign, clinic.NoteSigned
	Version       int    // the draft's version; 0 before the first save
	SignedByName  string
	SignedAt      *time.Time
	ContentHash   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Addenda       []NoteAddendum // oldest first

	// Co-signature (note_cosign.go): who must co-sign (set when a
	// supervisee signs), and when and with what hash they did.
	CosignerID   string
	CosignerName string
	CosignedAt   *time.Time
	CosignHash   string
	// Returned is, for a draft its co-signer returned, the latest return
	// and its comment (nil otherwise).
	Returned *NoteReturn
	// PatientName is the patient's name, read for the co-signer's page.
	PatientName string
	// tmpl is the practice's template of the appointment kind as read
	// with the note (note_template.go).
	tmpl *clinic.NoteTemplate
}

// NoteAddendum is one signed addendum to a note.
type NoteAddendum struct {
	ID          string
	Kind        string // clinic.Addendum*
	Body        string
	AuthorID    string
	AuthorName  string
	SignedAt    time.Time
	ContentHash string
	Verified    bool // its hash matches its content and the note's hash
}

// KindTitle is the addendum's kind for people ("Correction").
func (a NoteAddendum) KindTitle() string { return clinic.AddendumTitle(a.Kind) }

// Locked reports whether the note is signed (or signed and waiting for
// co-signature): its content never changes again.
func (n *Note) Locked() bool {
	return n.Status == clinic.NoteSigned || n.Status == clinic.NoteAwaitingCosign
}

// Signed is what the note's signature covers.
func (n *Note) Signed() clinic.SignedNote {
	sn := clinic.SignedNote{Format: n.Format, Sections: n.Sections, AuthorID: n.AuthorID, PatientID: n.PatientID, AppointmentID: n.AppointmentID}
	if n.SignedAt != nil {
		sn.SignedAt = *n.SignedAt
	}
	return sn
}

// Verify reports whether a signed note's stored hash matches its content
// as read now (false for a draft).
func (n *Note) Verify() bool {
	return n.Locked() && n.SignedAt != nil && n.Signed().Verify(n.ContentHash)
}

// Template is the starter template of the note's appointment kind: the
// practice's, as read with the note, or kapstone's default.
func (n *Note) Template() clinic.NoteTemplate {
	if n.tmpl != nil {
		return *n.tmpl
	}
	return clinic.DefaultNoteTemplate(n.Kind)
}

// NoteInput is a save of the note form: the format, the text of each
// section by key, and the draft version the form was made from (0 for a
// note not saved yet).
type NoteInput struct {
	Format   string
	Sections map[string]string
	Version  int
	Attest   bool // signing: the clinician attests the note is complete and accurate
}

// noteAccess runs fn in an audited transaction on patientID's record when
// actor, a clinician, may do p with it (the care team; never admins or
// emergency access).
func (s *Store) noteAccess(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, fn func(tx *Tx, e *Entry) error) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.patientAccess(ctx, actor, patientID, p, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "note"
		return fn(tx, e)
	})
}

// noteRead is noteAccess for a read that changes nothing: inside an open
// view of the patient it is named in the view's one audit row instead of
// writing its own (viewAccess).
func (s *Store) noteRead(ctx context.Context, actor Actor, patientID string, p auth.Permission, action string, fn func(tx *Tx, e *Entry) error) error {
	if err := clinicianOnly(actor); err != nil {
		return err
	}
	return s.viewAccess(ctx, actor, patientID, p, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "note"
		return fn(tx, e)
	})
}

// NoteFor returns the note of appointmentID, one of patientID's
// appointments, with its addenda, if actor may read the patient's notes.
// When none is written yet it returns a new, unsaved note (ID "", Version
// 0) in the appointment kind's format. A cancelled appointment, or one
// that is not the patient's, is ENotFound. Audited as note.read.
func (s *Store) NoteFor(ctx context.Context, actor Actor, patientID, appointmentID string) (*Note, error) {
	var out *Note
	err := s.noteRead(ctx, actor, patientID, auth.PermNoteRead, "note.read", func(tx *Tx, e *Entry) error {
		var err error
		out, err = noteIn(ctx, tx, patientID, appointmentID, false)
		if out != nil {
			e.ObjectID = out.ID
			if out.ID == "" {
				e.ObjectType, e.ObjectID, e.Detail = "appointment", appointmentID, "no note yet"
			}
		}
		return err
	})
	return out, err
}

// noteIn reads the note of appointmentID inside tx (a new one when none
// is written), with its addenda. With lock it locks the note's row first
// (a no-op UPDATE of a draft) so two saves take turns.
func noteIn(ctx context.Context, tx *Tx, patientID, appointmentID string, lock bool) (*Note, error) {
	n := &Note{PatientID: patientID, AppointmentID: appointmentID}
	err := tx.QueryRow(ctx, `SELECT kind, starts_at FROM appointments WHERE id = $1 AND patient_id = $2 AND cancelled_at IS NULL`,
		appointmentID, patientID).Scan(&n.Kind, &n.AppointmentAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that appointment.")
	}
	if err != nil {
		return nil, err
	}
	n.AppointmentAt = n.AppointmentAt.UTC()
	tmpl, _, err := noteTemplateIn(ctx, tx, n.Kind)
	if err != nil {
		return nil, err
	}
	n.tmpl = &tmpl
	if lock {
		if _, err := tx.Exec(ctx, `UPDATE notes SET draft_version = draft_version WHERE appointment_id = $1 AND patient_id = $2 AND status = 'draft'`,
			appointmentID, patientID); err != nil {
			return nil, err
		}
	}
	var body string
	var signedAt, cosignedAt nullTime
	err = tx.QueryRow(ctx, `SELECT n.id, n.format, n.sections, n.author_id, coalesce(a.display_name, ''), n.status, n.draft_version,
		coalesce(b.display_name, ''), n.signed_at, n.content_hash, n.created_at, n.updated_at,
		n.cosigner_id, coalesce(c.display_name, ''), n.cosigned_at, n.cosign_hash
		FROM notes n LEFT JOIN users a ON a.id = n.author_id LEFT JOIN users b ON b.id = n.signed_by
		LEFT JOIN users c ON c.id = n.cosigner_id AND n.cosigner_id <> ''
		WHERE n.appointment_id = $1 AND n.patient_id = $2`, appointmentID, patientID).Scan(
		&n.ID, &n.Format, &body, &n.AuthorID, &n.AuthorName, &n.Status, &n.Version,
		&n.SignedByName, &signedAt, &n.ContentHash, &n.CreatedAt, &n.UpdatedAt,
		&n.CosignerID, &n.CosignerName, &cosignedAt, &n.CosignHash)
	if errors.Is(err, sql.ErrNoRows) {
		n.Format, n.Status, n.Sections = n.Template().Format, clinic.NoteDraft, map[string]string{}
		return n, nil
	}
	if err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	if signedAt.valid {
		n.SignedAt = &signedAt.t
	}
	if cosignedAt.valid {
		n.CosignedAt = &cosignedAt.t
	}
	if n.Status == clinic.NoteDraft {
		var r NoteReturn
		err := tx.QueryRow(ctx, `SELECT coalesce(u.display_name, ''), x.returned_at, x.comment, x.signed_at, x.content_hash
			FROM note_returns x LEFT JOIN users u ON u.id = x.returned_by WHERE x.note_id = $1 ORDER BY x.returned_at DESC, x.id DESC LIMIT 1`,
			n.ID).Scan(&r.ByName, &r.At, &r.Comment, &r.SignedAt, &r.ContentHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil {
			r.At, r.SignedAt = r.At.UTC(), r.SignedAt.UTC()
			n.Returned = &r
		}
	}
	if err := json.Unmarshal([]byte(body), &n.Sections); err != nil {
		return nil, err
	}
	n.Addenda, err = queryAll(ctx, tx, func(r scanner) (a NoteAddendum, err error) {
		err = r.Scan(&a.ID, &a.Kind, &a.Body, &a.AuthorID, &a.AuthorName, &a.SignedAt, &a.ContentHash)
		a.SignedAt = a.SignedAt.UTC()
		a.Verified = clinic.SignedAddendum{NoteID: n.ID, NoteHash: n.ContentHash, Kind: a.Kind, Body: a.Body, AuthorID: a.AuthorID, SignedAt: a.SignedAt}.Verify(a.ContentHash)
		return a, err
	}, `SELECT x.id, x.kind, x.body, x.author_id, coalesce(u.display_name, ''), x.signed_at, x.content_hash
		FROM note_addenda x LEFT JOIN users u ON u.id = x.author_id WHERE x.note_id = $1 ORDER BY x.signed_at, x.id`, n.ID)
	return n, err
}

// staleDraft is the answer to a save made from an older version of the
// draft than the one saved.
func staleDraft(n *Note) error {
	return clinic.Errorf(clinic.EConflict, "This draft was saved from another window or device at %s, after you opened it, so your text was not saved over it. Compare the saved text shown here with yours, then save again to keep yours.",
		n.UpdatedAt.Format("15:04 UTC"))
}

// writeDraft checks in against the note n (read and locked in tx) and
// saves it as the draft's next version, creating the note when it is new.
// Only the author changes a draft; a signed note is refused.
func (s *Store) writeDraft(ctx context.Context, tx *Tx, actor Actor, n *Note, in NoteInput) error {
	if _, err := (clinic.NoteMove{Status: n.Status, Step: clinic.NoteStepSave, ByAuthor: n.ID == "" || n.AuthorID == actor.UserID}).Next(); err != nil {
		if clinic.ErrorCode(err) == clinic.EForbidden {
			return clinic.Errorf(clinic.EForbidden, "This draft is %s's. Only its author can change or sign it.", n.AuthorName)
		}
		return err
	}
	if in.Version != n.Version {
		return staleDraft(n)
	}
	sections, err := clinic.CheckNoteSections(in.Format, in.Sections)
	if err != nil {
		return err
	}
	if n.ID != "" && in.Format != n.Format {
		// Another format would drop the text of sections it does not have.
		for k, v := range n.Sections {
			if _, kept := sections[k]; !kept && v != "" {
				return &clinic.Error{Code: clinic.EInvalid, Message: "The format cannot change now.", Fields: map[string]string{
					"format": "This draft has text in sections the other format does not have, so its format cannot change now."}}
			}
		}
	}
	body, err := json.Marshal(sections)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if n.ID == "" {
		n.ID, n.AuthorID, n.CreatedAt = NewID(), actor.UserID, now
		if _, err := tx.Exec(ctx, `INSERT INTO notes (id, patient_id, appointment_id, kind, format, sections, author_id, status, draft_version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', 1, $8, $8)`,
			n.ID, n.PatientID, n.AppointmentID, n.Kind, in.Format, string(body), actor.UserID, now); err != nil {
			if s.d.isUniqueViolation(err) {
				return &clinic.Error{Code: clinic.EConflict, Message: "Someone started this note at the same moment. Open it again; your text is below and was not saved.", Err: err}
			}
			return err
		}
		n.Version = 1
	} else {
		res, err := tx.Exec(ctx, `UPDATE notes SET format = $1, sections = $2, draft_version = draft_version + 1, updated_at = $3
			WHERE id = $4 AND status = 'draft' AND draft_version = $5 AND author_id = $6`,
			in.Format, string(body), now, n.ID, in.Version, actor.UserID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			if err == nil {
				err = staleDraft(n)
			}
			return err
		}
		n.Version++
	}
	n.Format, n.Sections, n.UpdatedAt = in.Format, sections, now
	return nil
}

// SaveNoteDraft saves the note form for appointmentID of patientID as a
// draft by actor, creating the note on its first save (in.Version 0), and
// returns the note as saved (with its new version). A save made from an
// older version than the one stored is refused (EConflict) and changes
// nothing; so is a save of a signed note, a save of someone else's draft
// (EForbidden) and text that is not text (EInvalid, at the section). The
// care team only. Audited as note.draft.
func (s *Store) SaveNoteDraft(ctx context.Context, actor Actor, patientID, appointmentID string, in NoteInput) (*Note, error) {
	var out *Note
	err := s.noteAccess(ctx, actor, patientID, auth.PermNoteWrite, "note.draft", func(tx *Tx, e *Entry) error {
		n, err := noteIn(ctx, tx, patientID, appointmentID, true)
		if err != nil {
			return err
		}
		if err := s.writeDraft(ctx, tx, actor, n, in); err != nil {
			return err
		}
		e.ObjectID, e.Detail, out = n.ID, "version "+strconv.Itoa(n.Version), n
		return nil
	})
	return out, err
}

// SignNote saves the note form as the draft's next version (as
// SaveNoteDraft does) and signs it, in one transaction: it records actor
// as signer, the time and the content hash (clinic.SignedNote), and the
// note is locked for good. Only the note's author signs, with the
// attestation given (EInvalid at "attest"), and never an empty note
// (EInvalid). Audited as note.sign with the hash.
func (s *Store) SignNote(ctx context.Context, actor Actor, patientID, appointmentID string, in NoteInput) (*Note, error) {
	var out *Note
	err := s.noteAccess(ctx, actor, patientID, auth.PermNoteWrite, "note.sign", func(tx *Tx, e *Entry) error {
		n, err := noteIn(ctx, tx, patientID, appointmentID, true)
		if err != nil {
			return err
		}
		if !n.Locked() && (n.ID == "" || n.AuthorID == actor.UserID) {
			fe := clinic.FieldErrors{}
			if !clinic.NoteWritten(in.Format, in.Sections) {
				f, _ := clinic.NoteFormatOf(in.Format)
				key := "format"
				if len(f.Sections) > 0 {
					key = "section_" + f.Sections[0].Key
				}
				fe.Add(key, "This note is empty. Write at least one section before signing it.")
			}
			if !in.Attest {
				fe.Add("attest", "Tick the box to confirm the note is complete and accurate before you sign it.")
			}
			if err := fe.Err(); err != nil {
				return err
			}
		}
		// Who must co-sign: the supervisor the practice named for the
		// author (clinic.NoteCosigner), whose account must be enabled.
		sup, active, err := supervisorOf(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		cosigner := clinic.NoteCosigner(actor.UserID, sup)
		if cosigner != "" && !active {
			return clinic.Errorf(clinic.EConflict, "Your notes need co-signature, but the account of the supervisor named for you is disabled, so the note was not signed. Ask the practice's administrator to name another supervisor; your text is kept below.")
		}
		next, err := clinic.NoteMove{Status: n.Status, Step: clinic.NoteStepSign, ByAuthor: n.ID == "" || n.AuthorID == actor.UserID, Cosigner: cosigner}.Next()
		if err != nil && clinic.ErrorCode(err) != clinic.EForbidden {
			return err
		}
		if err := s.writeDraft(ctx, tx, actor, n, in); err != nil {
			return err
		}
		at := s.now().UTC().Truncate(time.Second)
		n.SignedAt = &at
		n.Status, n.CosignerID = next, cosigner
		n.ContentHash = n.Signed().Hash()
		res, err := tx.Exec(ctx, `UPDATE notes SET status = $6, signed_by = $1, signed_at = $2, content_hash = $3, updated_at = $2, cosigner_id = $7
			WHERE id = $4 AND status = 'draft' AND draft_version = $5 AND author_id = $1`,
			actor.UserID, at, n.ContentHash, n.ID, n.Version, next, cosigner)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			if err == nil {
				err = staleDraft(n)
			}
			return err
		}
		e.ObjectID, e.Detail, out = n.ID, n.ContentHash, n
		if next == clinic.NoteAwaitingCosign {
			e.Detail += "; awaiting co-signature by " + cosigner
			n.CosignerName = actorName(ctx, tx, cosigner)
		}
		return nil
	})
	return out, err
}

// AddNoteAddendum adds a signed addendum by actor (a clinician on the care
// team) under the signed note of appointmentID: kind and body as
// clinic.CheckAddendum checks them, signed now, its hash covering the
// note's hash. A draft takes no addendum (it is still changed directly).
// Audited as note.addendum with the hash.
func (s *Store) AddNoteAddendum(ctx context.Context, actor Actor, patientID, appointmentID, kind, body string) (*NoteAddendum, error) {
	var out *NoteAddendum
	err := s.noteAccess(ctx, actor, patientID, auth.PermNoteWrite, "note.addendum", func(tx *Tx, e *Entry) error {
		n, err := noteIn(ctx, tx, patientID, appointmentID, false)
		if err != nil {
			return err
		}
		if n.Awaiting() {
			return clinic.Errorf(clinic.EConflict, "This note is waiting for co-signature. Addenda can be added once it is co-signed; to change it now, ask your supervisor to return it to you.")
		}
		if !n.Locked() {
			return clinic.Errorf(clinic.EConflict, "Only a signed note takes addenda. Change the draft itself, then sign it.")
		}
		body, err := clinic.CheckAddendum(kind, body)
		if err != nil {
			return err
		}
		a := NoteAddendum{ID: NewID(), Kind: kind, Body: body, AuthorID: actor.UserID, SignedAt: s.now().UTC().Truncate(time.Second)}
		a.ContentHash = clinic.SignedAddendum{NoteID: n.ID, NoteHash: n.ContentHash, Kind: a.Kind, Body: a.Body, AuthorID: a.AuthorID, SignedAt: a.SignedAt}.Hash()
		a.Verified = true
		if _, err := tx.Exec(ctx, `INSERT INTO note_addenda (id, note_id, kind, body, author_id, signed_at, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, n.ID, a.Kind, a.Body, a.AuthorID, a.SignedAt, a.ContentHash); err != nil {
			return err
		}
		e.ObjectID, e.Detail, out = n.ID, "addendum "+a.ID+" "+a.ContentHash, &a
		return nil
	})
	return out, err
}

// NoteSummary is one line of a patient's list of notes.
type NoteSummary struct {
	AppointmentID string
	Kind          string
	AppointmentAt time.Time
	Status        string
	AuthorName    string
	SignedAt      *time.Time
	Addenda       int
}

// NotePageSize is how many notes a page of the list shows.
const NotePageSize = 20

// NoteList is one page of a patient's notes, newest appointment first.
type NoteList struct {
	Notes []NoteSummary
	Page  int  // from 1
	More  bool // a later page exists
	Count int  // every note of the patient (ChartNotes only)
}

// Notes returns page (from 1) of patientID's notes, newest appointment
// first, NotePageSize to a page (paged in SQL), if actor may read them.
// Audited as note.list.
func (s *Store) Notes(ctx context.Context, actor Actor, patientID string, page int) (*NoteList, error) {
	if page < 1 {
		page = 1
	}
	out := &NoteList{Page: page}
	if err := clinicianOnly(actor); err != nil {
		return nil, err
	}
	err := s.viewAccess(ctx, actor, patientID, auth.PermNoteRead, "note.list", func(tx *Tx, _ Access, e *Entry) error {
		e.ObjectType = "note"
		e.Detail = "page " + strconv.Itoa(page)
		list, err := queryAll(ctx, tx, scanNoteSummary, `SELECT `+noteSummaryColumns+noteSummaryFrom+`
			WHERE n.patient_id = $1 AND a.patient_id = $1 ORDER BY a.starts_at DESC, n.id DESC LIMIT $2 OFFSET $3`, // a.patient_id: see ChartNotes
			patientID, NotePageSize+1, (page-1)*NotePageSize)
		if err != nil {
			return err
		}
		if len(list) > NotePageSize {
			list, out.More = list[:NotePageSize], true
		}
		out.Notes = list
		return nil
	})
	return out, err
}

// NoteDosingSession returns the dosing session recorded for the dosing
// appointment appointmentID of patientID (nil when none was), read live
// from the session record, for the note page to show beside the note: the
// note links to the record and never copies it. Audited as dosing.read.
func (s *Store) NoteDosingSession(ctx context.Context, actor Actor, patientID, appointmentID string) (*DosingSession, error) {
	var out *DosingSession
	err := s.noteRead(ctx, actor, patientID, auth.PermNoteRead, "dosing.read", func(tx *Tx, e *Entry) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM dosing_sessions WHERE patient_id = $1 AND appointment_id = $2 AND appointment_id <> ''
			ORDER BY created_at DESC LIMIT 1`, patientID, appointmentID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			e.ObjectType, e.ObjectID, e.Detail = "appointment", appointmentID, "no dosing session"
			return nil
		}
		if err != nil {
			return err
		}
		e.ObjectType, e.ObjectID = "dosing_session", id
		out, err = s.dosingSession(ctx, tx, patientID, id)
		return err
	})
	return out, err
}

// noteSummaryColumns are the columns scanNoteSummary reads, from
// noteSummaryFrom (the notes list and the chart's latest notes).
const noteSummaryColumns = `n.appointment_id, n.kind, a.starts_at, n.status, coalesce(u.display_name, ''), n.signed_at,
	(SELECT count(*) FROM note_addenda x WHERE x.note_id = n.id)`

const noteSummaryFrom = ` FROM notes n JOIN appointments a ON a.id = n.appointment_id LEFT JOIN users u ON u.id = n.author_id`

// scanNoteSummary reads noteSummaryColumns.
func scanNoteSummary(r scanner) (ns NoteSummary, err error) {
	var signed nullTime
	err = r.Scan(&ns.AppointmentID, &ns.Kind, &ns.AppointmentAt, &ns.Status, &ns.AuthorName, &signed, &ns.Addenda)
	ns.AppointmentAt = ns.AppointmentAt.UTC()
	if signed.valid {
		ns.SignedAt = &signed.t
	}
	return ns, err
}
