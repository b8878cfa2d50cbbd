package clinic

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Co-signature of clinical notes (issue 16 item 3): where the practice
// requires it, a supervisee's signed note waits for their supervisor's
// co-signature before it counts as signed. Source: REFERENCE.md section 4
// "Documentation" (sign and lock; who signed when); supervision itself is
// the practice's arrangement, set by an administrator per clinician.

// Note steps: what someone asks of a note.
const (
	NoteStepSave   = "save"   // save the draft
	NoteStepSign   = "sign"   // the author signs
	NoteStepCosign = "cosign" // the named supervisor co-signs
	NoteStepReturn = "return" // the named supervisor returns it to its author
)

// NoteMove is one step asked of a note: its status now, the step, and how
// the one asking stands to it.
type NoteMove struct {
	Status     string // the note's status now (NoteDraft for a note not started)
	Step       string // NoteStep*
	ByAuthor   bool   // the one asking wrote the note (or it is not started)
	ByCosigner bool   // the one asking is the note's named co-signer
	// Cosigner is, for NoteStepSign, who must co-sign the author's notes
	// ("" when no one must): see NoteCosigner.
	Cosigner string
}

// Next returns the note's status after the step, or why it may not be
// taken: EConflict when the note's status does not allow the step,
// EForbidden when the one asking may not take it, EInvalid for an unknown
// step.
//   - save: a draft, by its author, stays a draft.
//   - sign: a draft, by its author, becomes signed, or awaiting
//     co-signature when someone must co-sign.
//   - cosign: a note awaiting co-signature, by its named co-signer (never
//     its author), becomes signed.
//   - return: a note awaiting co-signature, by its named co-signer, goes
//     back to its author as a draft.
func (m NoteMove) Next() (string, error) {
	switch m.Step {
	case NoteStepSave, NoteStepSign:
		switch {
		case m.Status == NoteSigned:
			return "", Errorf(EConflict, "This note is signed, so it cannot change. Add an addendum below it instead.")
		case m.Status == NoteAwaitingCosign:
			return "", Errorf(EConflict, "This note is signed and waiting for co-signature, so it cannot change. If something needs changing, ask your supervisor to return it to you.")
		case m.Status != NoteDraft:
			return "", Errorf(EConflict, "This note cannot change.")
		case !m.ByAuthor:
			return "", Errorf(EForbidden, "This draft is someone else's. Only its author can change or sign it.")
		case m.Step == NoteStepSave:
			return NoteDraft, nil
		case m.Cosigner != "":
			return NoteAwaitingCosign, nil
		}
		return NoteSigned, nil
	case NoteStepCosign, NoteStepReturn:
		switch {
		case m.ByAuthor:
			return "", Errorf(EForbidden, "You cannot co-sign or return your own note.")
		case !m.ByCosigner:
			return "", Errorf(EForbidden, "Only the supervisor named for this note can co-sign or return it.")
		case m.Status == NoteDraft:
			return "", Errorf(EConflict, "This note was returned to its author and is a draft again: there is nothing to co-sign until they sign it.")
		case m.Status == NoteSigned:
			return "", Errorf(EConflict, "This note is already co-signed.")
		case m.Status != NoteAwaitingCosign:
			return "", Errorf(EConflict, "This note is not waiting for co-signature.")
		case m.Step == NoteStepCosign:
			return NoteSigned, nil
		}
		return NoteDraft, nil
	}
	return "", Errorf(EInvalid, "Unknown step.")
}

// NoteCosigner is who must co-sign a note written by authorID, given the
// supervisor the practice named for them ("" for none): the supervisor,
// and no one when none is named or (never allowed, but not trusted) the
// supervisor is the author.
func NoteCosigner(authorID, supervisorID string) string {
	if supervisorID == "" || supervisorID == authorID {
		return ""
	}
	return supervisorID
}

// Supervision is an administrator's choice of who co-signs a clinician's
// notes, with the facts the rule needs about the two people.
type Supervision struct {
	SuperviseeID string
	SupervisorID string // "" to need no co-signature
	// SuperviseeWrites and SupervisorWrites say whether each writes
	// clinical notes (a therapist or prescriber: the store asks the one
	// access policy).
	SuperviseeWrites, SupervisorWrites bool
	SupervisorActive                   bool   // the supervisor's account is enabled
	SupervisorsSupervisor              string // who co-signs the supervisor's own notes
	// Pending is how many of the supervisee's notes wait for co-signature.
	Pending int
}

// Check says what is wrong with s, at the field "supervisor_id": only a
// clinician's notes need co-signature, by another clinician whose account
// is enabled, who is neither themselves nor their own supervisee; and a
// clinician with notes waiting for co-signature keeps a supervisor (the
// notes move to a new one; they cannot be left with none).
func (s Supervision) Check() error {
	fe := FieldErrors{}
	switch {
	case !s.SuperviseeWrites:
		fe.Add("supervisor_id", "Only a therapist's or prescriber's notes can need co-signature.")
	case s.SupervisorID == "" && s.Pending > 0:
		fe.Add("supervisor_id", "Notes of this clinician are waiting for co-signature. Name another supervisor (the notes move to them), or let the supervisor co-sign or return them first.")
	case s.SupervisorID == "":
	case s.SupervisorID == s.SuperviseeID:
		fe.Add("supervisor_id", "A clinician cannot co-sign their own notes. Choose someone else.")
	case !s.SupervisorWrites:
		fe.Add("supervisor_id", "Choose a therapist or prescriber: only a clinician co-signs notes.")
	case !s.SupervisorActive:
		fe.Add("supervisor_id", "That account is disabled. Choose a clinician whose account is active.")
	case s.SupervisorsSupervisor == s.SuperviseeID:
		fe.Add("supervisor_id", "That clinician's own notes are co-signed by this one. Two clinicians cannot co-sign each other's notes.")
	}
	return fe.Err()
}

// MaxReturnComment is the longest comment on a returned note, in
// characters.
const MaxReturnComment = 4000

// CheckReturnComment checks the supervisor's comment on a note they
// return (required: the author must know what to change) and returns it
// tidied. Errors are keyed "comment".
func CheckReturnComment(comment string) (string, error) {
	fe := FieldErrors{}
	comment = strings.TrimRight(strings.ReplaceAll(comment, "\r\n", "\n"), " \t\r\n")
	switch {
	case strings.TrimSpace(comment) == "":
		fe.Add("comment", "Say what the author should change, so they know why it came back.")
	case utf8.RuneCountInString(comment) > MaxReturnComment:
		fe.Add("comment", "This comment is too long (at most 4,000 characters). Your text is kept below.")
	}
	CheckText(fe, "comment", comment)
	return comment, fe.Err()
}

// SignedCosign is what a co-signature covers: the note and its author's
// content hash (which covers the note itself), who co-signed and when.
type SignedCosign struct {
	NoteID, NoteHash string
	CosignerID       string
	SignedAt         time.Time
}

// Canonical is the byte form of c that its hash covers, in the form of
// SignedNote.Canonical.
func (c SignedCosign) Canonical() []byte {
	var b strings.Builder
	b.WriteString("kapstone-cosign-v1\n")
	field(&b, "note", c.NoteID)
	field(&b, "note-hash", c.NoteHash)
	field(&b, "cosigner", c.CosignerID)
	field(&b, "signed", signedTime(c.SignedAt))
	return []byte(b.String())
}

// Hash is the SHA-256 of c's canonical form, as "sha256:" and hex.
func (c SignedCosign) Hash() string { return hashOf(c.Canonical()) }

// Verify reports whether hash is c's hash.
func (c SignedCosign) Verify(hash string) bool { return sameHash(c.Hash(), hash) }
