package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// NoteExport is what the signed-note PDF shows: the note with its addenda,
// whom it is about, the practice, the credentials of everyone who signed
// (by user id), and for a dosing note the session record as it is now.
type NoteExport struct {
	Note        *Note
	Patient     *Patient
	Practice    PracticeSettings
	SignerID    string
	Credentials map[string]string // user id -> credentials ("" when none)
	Dosing      *DosingSession    // a dosing note's session; nil when none was recorded
}

// ExportNote reads the signed note of appointmentID for a PDF, for whoever
// may read the patient's notes (auth.PermNoteRead: the care team's
// clinicians; never admins, emergency access or the patient); anyone else
// gets ENotFound, audited as denied. A note that is not signed has no PDF
// (EConflict, saying so). The read and its audit row (note.export, with
// the content hash) are one transaction, so no note leaves without its
// row.
func (s *Store) ExportNote(ctx context.Context, actor Actor, patientID, appointmentID string) (*NoteExport, error) {
	out := &NoteExport{Credentials: map[string]string{}}
	err := s.noteAccess(ctx, actor, patientID, auth.PermNoteRead, "note.export", func(tx *Tx, e *Entry) error {
		n, err := noteIn(ctx, tx, patientID, appointmentID, false)
		if err != nil {
			return err
		}
		if !n.Locked() {
			return clinic.Errorf(clinic.EConflict, "This note is not signed yet, so there is no PDF of it. A note can be downloaded once its author has signed it.")
		}
		out.Note = n
		if out.Patient, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID)); err != nil {
			return err
		}
		if out.Practice, err = practiceIn(ctx, tx); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT signed_by FROM notes WHERE id = $1`, n.ID).Scan(&out.SignerID); err != nil {
			return err
		}
		ids := []string{out.SignerID}
		for _, a := range n.Addenda {
			ids = append(ids, a.AuthorID)
		}
		for _, id := range ids {
			if _, done := out.Credentials[id]; done {
				continue
			}
			var c string
			if err := tx.QueryRow(ctx, `SELECT credentials FROM users WHERE id = $1`, id).Scan(&c); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			out.Credentials[id] = c
		}
		if n.Kind == "dosing" {
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM dosing_sessions WHERE patient_id = $1 AND appointment_id = $2 AND appointment_id <> ''
				ORDER BY created_at DESC LIMIT 1`, patientID, appointmentID).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			default:
				if out.Dosing, err = s.dosingSession(ctx, tx, patientID, id); err != nil {
					return err
				}
			}
		}
		e.ObjectID, e.Detail = n.ID, "pdf "+n.ContentHash
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ConsentExport is what the signed-consent PDF shows: the signature (with
// its revocation), the exact text signed, whom it is about and the
// practice.
type ConsentExport struct {
	Signature ConsentSignature
	Document  *ConsentDocument // the version signed, with its body
	Patient   *Patient
	Practice  PracticeSettings
}

// Matches reports whether the hash recorded at signing is the hash of the
// document's text as stored now.
func (c *ConsentExport) Matches() bool { return c.Signature.TextHash == c.Document.Hash() }

// ExportConsent reads signature signatureID of patientID with the text
// signed, for a PDF: for the patient themself and the clinicians on the
// care team (auth.PermConsent; not emergency access, not admins); anyone
// else, and a signature that is not the patient's, gets ENotFound. The
// read and its audit row (consent.export) are one transaction.
func (s *Store) ExportConsent(ctx context.Context, actor Actor, patientID, signatureID string) (*ConsentExport, error) {
	out := &ConsentExport{}
	err := s.patientAccess(ctx, actor, patientID, auth.PermConsent, "consent.export", func(tx *Tx, a Access, e *Entry) error {
		g, err := consentSignatureIn(ctx, tx, patientID, signatureID)
		if err != nil {
			return err
		}
		out.Signature = *g
		if out.Document, err = consentDocumentIn(ctx, tx, g.DocumentID); err != nil {
			return err
		}
		if out.Patient, err = scanPatient(tx.QueryRow(ctx, `SELECT `+patientColumns+` FROM patients p WHERE p.id = $1`, patientID)); err != nil {
			return err
		}
		if out.Practice, err = practiceIn(ctx, tx); err != nil {
			return err
		}
		e.ObjectType, e.ObjectID, e.Detail = "consent_signature", g.ID, "pdf"
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
