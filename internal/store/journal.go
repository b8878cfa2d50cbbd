package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// The integration journal (issue 7, item 6): after a dosing session the
// patient writes about it in the portal, guided by a few prompts. An entry
// is private unless the patient shares it; the care team sees shared
// entries only, read-only, and nobody else sees any.

// JournalPrompt is one question the journal asks.
type JournalPrompt struct {
	ID, Text, Hint string
}

// JournalPrompts are the practice's integration prompts, in the order the
// form shows them.
var JournalPrompts = []JournalPrompt{
	{ID: "stood_out", Text: "What stood out for you?", Hint: "An image, a moment, a thought: whatever comes first."},
	{ID: "body", Text: "What did you notice in your body, then or since?"},
	{ID: "feelings", Text: "What feelings are still with you?"},
	{ID: "carry", Text: "What would you like to carry into the coming days?", Hint: "Something small is fine."},
}

// MaxJournalAnswer is the longest answer to one prompt, in characters.
const MaxJournalAnswer = 20000

// JournalAnswer is what the patient wrote for one prompt, with the prompt
// as it was worded when they wrote.
type JournalAnswer struct {
	PromptID string `json:"id"`
	Prompt   string `json:"prompt"`
	Hint     string `json:"hint,omitempty"`
	Answer   string `json:"answer"`
}

// JournalEntry is one journal entry as its latest version stands.
type JournalEntry struct {
	ID        string
	SessionID string     // the dosing session it is about, or ""
	SessionAt *time.Time // when that session's dose was given (or it began)
	CreatedAt time.Time
	UpdatedAt time.Time // when the latest version was saved
	Version   int
	Shared    bool
	Answers   []JournalAnswer
}

// Written reports whether any prompt has an answer.
func (e *JournalEntry) Written() bool {
	for _, a := range e.Answers {
		if strings.TrimSpace(a.Answer) != "" {
			return true
		}
	}
	return false
}

// JournalSession is a discharged dosing session of the patient's that has
// no journal entry yet.
type JournalSession struct {
	ID string
	At time.Time // when the dose was given (or the session began)
}

// JournalInput is a save of the journal form. EntryID empty makes a new
// entry (about SessionID, when given); otherwise a new version of that
// entry. Answers are by prompt id.
type JournalInput struct {
	EntryID   string
	SessionID string
	Answers   map[string]string
	Shared    bool
}

// ownJournal runs fn in an audited transaction on patientID's journal when
// actor is that patient; anyone else, staff included, is refused as if the
// patient did not exist.
func (s *Store) ownJournal(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermJournal, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "journal"
		return fn(tx, e)
	})
}

// ownJournalRead is ownJournal for a read that changes nothing: inside an
// open view of the patient (BeginOwnView) it is named in the view's one
// audit row instead of writing its own (viewAccess).
func (s *Store) ownJournalRead(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, e *Entry) error) error {
	return s.viewAccess(ctx, actor, patientID, auth.PermJournal, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "journal"
		return fn(tx, e)
	})
}

// JournalEntries returns the patient's own journal entries, newest first,
// if actor is the patient. Audited as journal.read.
func (s *Store) JournalEntries(ctx context.Context, actor Actor, patientID string) ([]JournalEntry, error) {
	var out []JournalEntry
	err := s.ownJournalRead(ctx, actor, patientID, "journal.read", func(tx *Tx, e *Entry) error {
		var err error
		out, err = journalEntries(ctx, tx, patientID, "", false)
		return err
	})
	return out, err
}

// JournalEntry returns one of the patient's own entries, if actor is the
// patient; an entry of anyone else's, or none, is ENotFound. Audited as
// journal.read.
func (s *Store) JournalEntry(ctx context.Context, actor Actor, patientID, entryID string) (*JournalEntry, error) {
	var out *JournalEntry
	err := s.ownJournalRead(ctx, actor, patientID, "journal.read", func(tx *Tx, e *Entry) error {
		list, err := journalEntries(ctx, tx, patientID, entryID, false)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that journal entry.")
		}
		out, e.ObjectID = &list[0], entryID
		return nil
	})
	return out, err
}

// PendingJournalSessions returns the patient's discharged dosing sessions
// that no journal entry is about yet, newest first, if actor is the patient
// (whether an entry exists is the patient's own business). Audited as
// journal.read.
func (s *Store) PendingJournalSessions(ctx context.Context, actor Actor, patientID string) ([]JournalSession, error) {
	var out []JournalSession
	err := s.ownJournalRead(ctx, actor, patientID, "journal.read", func(tx *Tx, e *Entry) error {
		var err error
		out, err = pendingJournalSessions(ctx, tx, patientID, "")
		return err
	})
	return out, err
}

func pendingJournalSessions(ctx context.Context, tx *Tx, patientID, sessionID string) ([]JournalSession, error) {
	q := `SELECT d.id, d.dose_at, d.created_at FROM dosing_sessions d
		WHERE d.patient_id = $1 AND d.status = 'discharged'
		AND NOT EXISTS (SELECT 1 FROM journal_entries j WHERE j.session_id = d.id)`
	args := []any{patientID}
	if sessionID != "" {
		q += ` AND d.id = $2`
		args = append(args, sessionID)
	}
	q += ` ORDER BY coalesce(d.dose_at, d.created_at) DESC, d.id DESC`
	return queryAll(ctx, tx, func(row scanner) (JournalSession, error) {
		var js JournalSession
		var dosed nullTime
		err := row.Scan(&js.ID, &dosed, &js.At)
		js.At = sessionTime(dosed, js.At)
		return js, err
	}, q, args...)
}

// JournalSessionFor returns the patient's discharged dosing session
// sessionID when it has no journal entry yet (nil when it has one), if
// actor is the patient. A session that is not theirs or not discharged is
// ENotFound. Audited as journal.read.
func (s *Store) JournalSessionFor(ctx context.Context, actor Actor, patientID, sessionID string) (*JournalSession, string, error) {
	var out *JournalSession
	var entryID string
	err := s.ownJournalRead(ctx, actor, patientID, "journal.read", func(tx *Tx, e *Entry) error {
		var err error
		out, entryID, err = journalSession(ctx, tx, patientID, sessionID)
		return err
	})
	return out, entryID, err
}

// journalSession checks that sessionID is one of patientID's discharged
// dosing sessions. It returns the session when no entry is about it yet,
// or the id of the entry that is.
func journalSession(ctx context.Context, tx *Tx, patientID, sessionID string) (*JournalSession, string, error) {
	var entryID string
	err := tx.QueryRow(ctx, `SELECT j.id FROM journal_entries j JOIN dosing_sessions d ON d.id = j.session_id
		WHERE j.session_id = $1 AND j.patient_id = $2 AND d.patient_id = $2`, sessionID, patientID).Scan(&entryID)
	if err == nil {
		return nil, entryID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, "", err
	}
	list, err := pendingJournalSessions(ctx, tx, patientID, sessionID)
	if err != nil {
		return nil, "", err
	}
	if len(list) == 0 {
		return nil, "", clinic.Errorf(clinic.ENotFound, "We could not find that session.")
	}
	return &list[0], "", nil
}

// SaveJournalEntry saves the patient's journal form as a new entry or a
// new version of one of their entries, and returns the entry's id. Only
// the patient may. At least one prompt needs an answer. A new entry about a
// session that already has one (the same form sent twice) becomes a new
// version of that entry, so nothing is lost and no session has two.
// Audited as journal.save, with whether it is shared.
func (s *Store) SaveJournalEntry(ctx context.Context, actor Actor, patientID string, in JournalInput) (string, error) {
	entryID := in.EntryID
	err := s.ownJournal(ctx, actor, patientID, "journal.save", func(tx *Tx, e *Entry) error {
		prompts := JournalPrompts
		if entryID == "" && in.SessionID != "" {
			_, existing, err := journalSession(ctx, tx, patientID, in.SessionID)
			if err != nil {
				return err
			}
			entryID = existing
		}
		version := 1
		if entryID != "" {
			list, err := journalEntries(ctx, tx, patientID, entryID, false)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return clinic.Errorf(clinic.ENotFound, "We could not find that journal entry.")
			}
			version = list[0].Version + 1
			prompts = promptsOf(list[0])
		}
		answers, err := journalAnswers(prompts, in.Answers)
		if err != nil {
			return err
		}
		body, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		now := s.now()
		if entryID == "" {
			entryID = NewID()
			var session any
			if in.SessionID != "" {
				session = in.SessionID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, patient_id, session_id, created_at) VALUES ($1, $2, $3, $4)`,
				entryID, patientID, session, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO journal_versions (id, entry_id, version, body, shared, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			NewID(), entryID, version, string(body), in.Shared, actor.UserID, now); err != nil {
			return err
		}
		e.ObjectID, e.Detail = entryID, map[bool]string{true: "shared", false: "private"}[in.Shared]
		return nil
	})
	if err != nil && s.d.isUniqueViolation(err) {
		return "", &clinic.Error{Code: clinic.EConflict, Message: "This entry was saved from somewhere else at the same moment. Open it again; nothing you saved is lost.", Err: err}
	}
	return entryID, err
}

// promptsOf is the prompts an entry was written to, with any of today's
// prompts it did not have after them.
func promptsOf(e JournalEntry) []JournalPrompt {
	var out []JournalPrompt
	seen := map[string]bool{}
	for _, a := range e.Answers {
		out = append(out, JournalPrompt{ID: a.PromptID, Text: a.Prompt, Hint: a.Hint})
		seen[a.PromptID] = true
	}
	for _, p := range JournalPrompts {
		if !seen[p.ID] {
			out = append(out, p)
		}
	}
	return out
}

// JournalFormPrompts is the prompts the form shows for e (today's prompts
// for a new entry), each with what was written.
func JournalFormPrompts(e *JournalEntry) []JournalAnswer {
	prompts := JournalPrompts
	if e != nil {
		prompts = promptsOf(*e)
	}
	var out []JournalAnswer
	for _, p := range prompts {
		a := JournalAnswer{PromptID: p.ID, Prompt: p.Text, Hint: p.Hint}
		if e != nil {
			for _, old := range e.Answers {
				if old.PromptID == p.ID {
					a.Answer = old.Answer
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// journalAnswers checks the answers given (by prompt id) against prompts:
// each at most MaxJournalAnswer characters, and at least one written.
// Errors are keyed answer_<prompt id>.
func journalAnswers(prompts []JournalPrompt, given map[string]string) ([]JournalAnswer, error) {
	fe := clinic.FieldErrors{}
	var out []JournalAnswer
	written := false
	for _, p := range prompts {
		v := strings.TrimRight(strings.ReplaceAll(given[p.ID], "\r\n", "\n"), " \t\n")
		if utf8.RuneCountInString(v) > MaxJournalAnswer {
			fe.Add("answer_"+p.ID, "This answer is too long to save (at most 20,000 characters). Your text is kept below.")
		}
		clinic.CheckText(fe, "answer_"+p.ID, v)
		written = written || strings.TrimSpace(v) != ""
		out = append(out, JournalAnswer{PromptID: p.ID, Prompt: p.Text, Hint: p.Hint, Answer: v})
	}
	if !written && len(prompts) > 0 {
		fe.Add("answer_"+prompts[0].ID, "Write something for at least one of the questions. A few words are enough.")
	}
	return out, fe.Err()
}

// SharedJournal returns the patient's journal entries whose latest version
// is shared, newest first, for a clinician on the care team. Private
// entries are never read. A clinician here by emergency access gets none
// (the patient shared with their care team), and anyone else is refused.
// Audited as journal.read.
func (s *Store) SharedJournal(ctx context.Context, actor Actor, patientID string) ([]JournalEntry, error) {
	var out []JournalEntry
	err := s.viewAccess(ctx, actor, patientID, auth.PermClinicalRead, "journal.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType, e.Detail = "journal", "shared"
		if !a.Can(auth.PermSharedJournal) {
			e.Detail = "journal not shown"
			return nil
		}
		var err error
		out, err = journalEntries(ctx, tx, patientID, "", true)
		return err
	})
	return out, err
}

// journalEntries reads patientID's entries as their latest versions stand,
// newest first: one entry when entryID is given, and only shared ones when
// sharedOnly (the filter is in the query, so a private entry's text is
// never read for staff).
func journalEntries(ctx context.Context, tx *Tx, patientID, entryID string, sharedOnly bool) ([]JournalEntry, error) {
	q := `SELECT j.id, coalesce(j.session_id, ''), d.dose_at, d.created_at, j.created_at, v.created_at, v.version, v.shared, v.body
		FROM journal_entries j
		JOIN journal_versions v ON v.entry_id = j.id AND v.version = (SELECT max(version) FROM journal_versions WHERE entry_id = j.id)
		LEFT JOIN dosing_sessions d ON d.id = j.session_id
		WHERE j.patient_id = $1`
	args := []any{patientID}
	if entryID != "" {
		q += ` AND j.id = $2`
		args = append(args, entryID)
	}
	if sharedOnly {
		q += ` AND v.shared`
	}
	q += ` ORDER BY j.created_at DESC, j.id DESC`
	return queryAll(ctx, tx, func(row scanner) (JournalEntry, error) {
		var je JournalEntry
		var dosed, began nullTime
		var body string
		if err := row.Scan(&je.ID, &je.SessionID, &dosed, &began, &je.CreatedAt, &je.UpdatedAt, &je.Version, &je.Shared, &body); err != nil {
			return je, err
		}
		if began.valid {
			at := sessionTime(dosed, began.t)
			je.SessionAt = &at
		}
		je.CreatedAt, je.UpdatedAt = je.CreatedAt.UTC(), je.UpdatedAt.UTC()
		return je, json.Unmarshal([]byte(body), &je.Answers)
	}, q, args...)
}

// sessionTime is when a dosing session is dated for the patient: when the
// dose was given, or, before that was recorded, when the session began.
func sessionTime(dosed nullTime, began time.Time) time.Time {
	if dosed.valid {
		return dosed.t
	}
	return began.UTC()
}
