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
	"github.com/kapstone/kapstone/internal/measure"
)

// Secure messages (issue 17, item 1): threads between a patient and their
// care team. The patient starts a thread and replies; any clinician on the
// team replies. Each reader has their own read state (message_reads), so
// the patient's and each clinician's unread counts are their own. A
// patient's message with words of acute risk (clinic.RiskPhrases) is sent
// as any other, and raises a review alert for the team in the same
// transaction.

// JobMessageEmail is the job kind of the email that says a new message is
// waiting, with no content (mailjob).
const JobMessageEmail = "message.email"

// Limits on what a message holds, in characters.
const (
	MaxMessage = 5000
	MaxSubject = 120
)

// MessagePageSize is how many threads one page of the staff inbox shows.
const MessagePageSize = 25

// MaxInboxPage is the last page (from 0) of the staff inbox that is ever
// read: a larger page is empty, so page*MessagePageSize cannot overflow.
const MaxInboxPage = 10000

// MessageThread is one thread as a reader sees it.
type MessageThread struct {
	ID          string
	PatientID   string
	PatientName string // the staff inbox only
	Subject     string
	StartedAt   time.Time
	LastAt      time.Time
	Count       int  // messages in the thread
	Unread      int  // messages the reader has not seen (from the other side)
	Risk        bool // the thread holds a patient's message with words of acute risk
	ReadSeq     int  // the last message the reader had seen before this read (Thread only)
	// Answered names the clinicians who have written in the thread, in
	// the order they first did (the staff inbox and thread pages).
	Answered []string
}

// Message is one message in a thread.
type Message struct {
	ID          string
	ThreadID    string
	PatientID   string
	Seq         int
	AuthorID    string
	AuthorName  string
	FromPatient bool
	Body        string
	Risk        bool // a patient's message that held words of acute risk
	At          time.Time
}

// SentMessage is what sending a message did: the message saved, and
// whether it raised a review alert.
type SentMessage struct {
	ThreadID  string
	MessageID string
	Risk      bool
	AlertID   string
}

// MessageInput is a new thread or a reply, as typed.
type MessageInput struct {
	Subject string // a new thread only
	Body    string
}

// RiskPhrases returns the phrases of acute risk (clinic.RiskPhrases) in
// what in holds, its subject and its body together: what is screened when
// a patient's message is sent, and what a page screens when a message
// could not be sent, to show crisis help all the same.
func (in MessageInput) RiskPhrases() []string {
	return clinic.RiskPhrases(in.Subject + " " + in.Body)
}

// validate checks the input; a new thread needs a subject.
func (in *MessageInput) validate(newThread bool) error {
	fe := clinic.FieldErrors{}
	in.Body = strings.TrimSpace(in.Body)
	in.Subject = strings.TrimSpace(in.Subject)
	switch n := utf8.RuneCountInString(in.Body); {
	case n == 0:
		fe.Add("body", "Write your message.")
	case n > MaxMessage:
		fe.Add("body", "Your message is too long: please keep it under 5,000 characters, or split it in two.")
	}
	if newThread {
		switch n := utf8.RuneCountInString(in.Subject); {
		case n == 0:
			fe.Add("subject", "Give your message a short subject.")
		case n > MaxSubject:
			fe.Add("subject", "Please keep the subject under 120 characters.")
		case strings.ContainsAny(in.Subject, "\r\n"):
			fe.Add("subject", "Please keep the subject on one line.")
		}
	}
	return fe.Err()
}

// messageAccess runs fn in an audited transaction on patientID's messages
// (auth.PermMessages: the patient themself, clinicians on the care team).
func (s *Store) messageAccess(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, a Access, e *Entry) error) error {
	return s.patientAccess(ctx, actor, patientID, auth.PermMessages, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "message_thread"
		return fn(tx, a, e)
	})
}

// messageRead is messageAccess for a read that changes nothing: inside an
// open view of the patient (BeginView) it is named in the view's one audit
// row instead of writing its own (viewAccess).
func (s *Store) messageRead(ctx context.Context, actor Actor, patientID, action string, fn func(tx *Tx, a Access, e *Entry) error) error {
	return s.viewAccess(ctx, actor, patientID, auth.PermMessages, action, func(tx *Tx, a Access, e *Entry) error {
		e.ObjectType = "message_thread"
		return fn(tx, a, e)
	})
}

// unreadExpr counts, for thread t, the messages from the other side (the
// patient's for staff, staff's for the patient: $fromPatient) after the
// reader's ($reader) last read one.
func unreadExpr(reader, fromPatient string) string {
	return `(SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.from_patient = ` + fromPatient + ` AND m.seq > coalesce((SELECT r.read_seq FROM message_reads r WHERE r.thread_id = t.id AND r.user_id = ` + reader + `), 0))`
}

// PatientThreads returns patientID's threads, newest first, with actor's
// unread count in each, if actor may read the patient's messages (the
// patient, their care team). Audited as message.list.
func (s *Store) PatientThreads(ctx context.Context, actor Actor, patientID string) ([]MessageThread, error) {
	var out []MessageThread
	err := s.messageRead(ctx, actor, patientID, "message.list", func(tx *Tx, a Access, e *Entry) error {
		var err error
		out, err = queryAll(ctx, tx, scanThread, `SELECT t.id, t.patient_id, t.subject, t.created_at, t.last_at, t.last_seq, `+unreadExpr("$2", "$3")+`,
			EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.risk)
			FROM message_threads t WHERE t.patient_id = $1 ORDER BY t.last_at DESC, t.id DESC`, patientID, actor.UserID, a.Relation != auth.RelSelf)
		if err != nil {
			return err
		}
		return answered(ctx, tx, out)
	})
	return out, err
}

func scanThread(row scanner) (MessageThread, error) {
	var t MessageThread
	err := row.Scan(&t.ID, &t.PatientID, &t.Subject, &t.StartedAt, &t.LastAt, &t.Count, &t.Unread, &t.Risk)
	t.StartedAt, t.LastAt = t.StartedAt.UTC(), t.LastAt.UTC()
	return t, err
}

// answered fills in, for each thread, the clinicians who have written in
// it, in the order they first did.
func answered(ctx context.Context, tx *Tx, threads []MessageThread) error {
	if len(threads) == 0 {
		return nil
	}
	idx := map[string]int{}
	var ph []string
	var args []any
	for i, t := range threads {
		idx[t.ID] = i
		args = append(args, t.ID)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	rows, err := queryAll(ctx, tx, func(row scanner) ([2]string, error) {
		var v [2]string
		err := row.Scan(&v[0], &v[1])
		return v, err
	}, `SELECT m.thread_id, u.display_name FROM messages m JOIN users u ON u.id = m.author_id
		WHERE NOT m.from_patient AND m.thread_id IN (`+strings.Join(ph, ", ")+`)
		GROUP BY m.thread_id, u.id, u.display_name ORDER BY m.thread_id, min(m.seq)`, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		i := idx[r[0]]
		threads[i].Answered = append(threads[i].Answered, r[1])
	}
	return nil
}

// Thread returns one of patientID's threads and its messages, oldest
// first, if actor may read the patient's messages, and marks it read by
// actor in the same transaction. A thread of another patient, or none, is
// ENotFound. Audited as message.read.
func (s *Store) Thread(ctx context.Context, actor Actor, patientID, threadID string) (*MessageThread, []Message, error) {
	var th *MessageThread
	var msgs []Message
	err := s.messageRead(ctx, actor, patientID, "message.read", func(tx *Tx, a Access, e *Entry) error {
		e.ObjectID = threadID
		list, err := queryAll(ctx, tx, scanThread, `SELECT t.id, t.patient_id, t.subject, t.created_at, t.last_at, t.last_seq, `+unreadExpr("$3", "$4")+`,
			EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.risk)
			FROM message_threads t WHERE t.id = $1 AND t.patient_id = $2`, threadID, patientID, actor.UserID, a.Relation != auth.RelSelf)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that conversation.")
		}
		if err := answered(ctx, tx, list); err != nil {
			return err
		}
		th = &list[0]
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT read_seq FROM message_reads WHERE thread_id = $1 AND user_id = $2), 0)`, threadID, actor.UserID).Scan(&th.ReadSeq); err != nil {
			return err
		}
		if msgs, err = threadMessages(ctx, tx, `m.thread_id = $1`, threadID); err != nil {
			return err
		}
		// Marked read in the view's closing write when the page reads in
		// one (a read transaction cannot hold it), else here.
		count, now := th.Count, s.now()
		if tx.view != nil {
			tx.view.markedRead += th.Unread
		}
		return tx.afterView(ctx, func(ctx context.Context, tx *Tx) error {
			if err := markThreadRead(ctx, tx, threadID, actor.UserID, count, now); err != nil {
				return err
			}
			return syncUnread(ctx, tx, patientID, threadID, actor.UserID)
		})
	})
	return th, msgs, err
}

// threadMessages reads the messages matching where, oldest first.
func threadMessages(ctx context.Context, tx *Tx, where string, args ...any) ([]Message, error) {
	return queryAll(ctx, tx, func(row scanner) (Message, error) {
		var m Message
		var name sql.NullString
		err := row.Scan(&m.ID, &m.ThreadID, &m.PatientID, &m.Seq, &m.AuthorID, &name, &m.FromPatient, &m.Body, &m.Risk, &m.At)
		m.AuthorName, m.At = name.String, m.At.UTC()
		return m, err
	}, `SELECT m.id, m.thread_id, m.patient_id, m.seq, m.author_id, u.display_name, m.from_patient, m.body, m.risk, m.created_at
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE `+where+` ORDER BY m.created_at, m.thread_id, m.seq`, args...)
}

// markThreadRead records that userID has seen thread up to message seq.
func markThreadRead(ctx context.Context, tx *Tx, threadID, userID string, seq int, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO message_reads (thread_id, user_id, read_seq, read_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (thread_id, user_id) DO UPDATE SET read_seq = excluded.read_seq, read_at = excluded.read_at
		WHERE message_reads.read_seq < excluded.read_seq`, threadID, userID, seq, at)
	return err
}

// StartThread starts a thread for patientID with its first message. Only
// the patient themself may (the care team replies). See ReplyMessage for
// what sending does. Audited as message.send.
func (s *Store) StartThread(ctx context.Context, actor Actor, patientID string, in MessageInput) (*SentMessage, error) {
	if err := in.validate(true); err != nil {
		return nil, err
	}
	var out *SentMessage
	err := s.messageAccess(ctx, actor, patientID, "message.send", func(tx *Tx, a Access, e *Entry) error {
		if a.Relation != auth.RelSelf {
			return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
		}
		id, now := NewID(), s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO message_threads (id, patient_id, subject, started_by, created_at, last_seq, last_at) VALUES ($1, $2, $3, $4, $5, 0, $5)`,
			id, patientID, in.Subject, actor.UserID, now); err != nil {
			return err
		}
		var err error
		out, err = s.addMessage(ctx, tx, actor, a, patientID, id, in, e)
		return err
	})
	return out, err
}

// ReplyMessage adds a message to one of patientID's threads, from the
// patient or a clinician on their care team. In the same transaction it
// marks the thread read by the writer, queues the content-free email to
// the other side, and, for a patient's message with words of acute risk,
// raises (or adds to) the care team's review alert. Audited as
// message.send. An invalid reply is EInvalid with its field, checked only
// once the thread is known to be the patient's.
func (s *Store) ReplyMessage(ctx context.Context, actor Actor, patientID, threadID string, in MessageInput) (*SentMessage, error) {
	var out *SentMessage
	err := s.messageAccess(ctx, actor, patientID, "message.send", func(tx *Tx, a Access, e *Entry) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM message_threads WHERE id = $1 AND patient_id = $2`, threadID, patientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return clinic.Errorf(clinic.ENotFound, "We could not find that conversation.")
		}
		// Checked after the thread: someone else's thread is not found,
		// whatever was typed.
		if err := in.validate(false); err != nil {
			return err
		}
		// A reply has no subject of its own: the thread's was screened
		// with its first message.
		in.Subject = ""
		var err error
		out, err = s.addMessage(ctx, tx, actor, a, patientID, threadID, in, e)
		return err
	})
	return out, err
}

// addMessage saves in's body as the next message of threadID inside tx.
// A patient's message is screened for words of acute risk in its subject
// (a new thread's) and body together.
func (s *Store) addMessage(ctx context.Context, tx *Tx, actor Actor, a Access, patientID, threadID string, in MessageInput, e *Entry) (*SentMessage, error) {
	body := in.Body
	now := s.now()
	// The thread's row is the lock: two writers number their messages one
	// after the other.
	if _, err := tx.Exec(ctx, `UPDATE message_threads SET last_seq = last_seq + 1, last_at = $1 WHERE id = $2`, now, threadID); err != nil {
		return nil, err
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT last_seq FROM message_threads WHERE id = $1`, threadID).Scan(&seq); err != nil {
		return nil, err
	}
	fromPatient := a.Relation == auth.RelSelf
	var phrases []string
	if fromPatient {
		phrases = in.RiskPhrases()
	}
	out := &SentMessage{ThreadID: threadID, MessageID: NewID(), Risk: len(phrases) > 0}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (id, thread_id, patient_id, seq, author_id, from_patient, body, risk, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		out.MessageID, threadID, patientID, seq, actor.UserID, fromPatient, body, out.Risk, now); err != nil {
		return nil, err
	}
	if err := markThreadRead(ctx, tx, threadID, actor.UserID, seq, now); err != nil {
		return nil, err
	}
	// The care team's unread counts of this thread: one more for each
	// of them after a patient's message, none for a clinician who wrote.
	if err := syncUnread(ctx, tx, patientID, threadID, ""); err != nil {
		return nil, err
	}
	if _, err := s.EnqueueIn(ctx, tx, JobMessageEmail, `{"message":"`+out.MessageID+`"}`, now, JobMessageEmail+":"+out.MessageID); err != nil {
		return nil, err
	}
	e.ObjectID = threadID
	e.Detail = "message=" + out.MessageID
	if out.Risk {
		e.Detail += "; risk"
		ra, err := s.raiseAlert(ctx, tx, actor, patientID, "message", alertSignal{checkinID: out.MessageID, words: MessageRiskWords(phrases), urgency: measure.UrgencyUrgent})
		if err != nil {
			return nil, err
		}
		out.AlertID = ra.ID
	}
	return out, nil
}

// MessageRiskWords says, for the care team's alert, that a message held
// words of acute risk and which of the reviewed list's phrases (never the
// message's own text).
func MessageRiskWords(phrases []string) string {
	return "Message: words of acute risk (" + strings.Join(phrases, ", ") + ")"
}

// StaffInbox returns one page (from 0) of the threads of the patients on
// actor's care teams, newest first, each with actor's unread count and who
// on the team has answered, and whether there is a next page. Paged in SQL:
// a page costs the same however many patients the practice has; a page
// after MaxInboxPage is empty. Audited as message.inbox, one row for each
// patient on the page, naming their threads shown (never a subject).
func (s *Store) StaffInbox(ctx context.Context, actor Actor, page int) ([]MessageThread, bool, error) {
	if !actor.may(auth.PermCaseload) {
		return nil, false, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	if page < 0 {
		page = 0
	}
	if page > MaxInboxPage {
		return nil, false, nil
	}
	var out []MessageThread
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(row scanner) (MessageThread, error) {
			var t MessageThread
			err := row.Scan(&t.ID, &t.PatientID, &t.PatientName, &t.Subject, &t.StartedAt, &t.LastAt, &t.Count, &t.Unread, &t.Risk)
			t.StartedAt, t.LastAt = t.StartedAt.UTC(), t.LastAt.UTC()
			return t, err
		}, `SELECT t.id, t.patient_id, p.display_name, t.subject, t.created_at, t.last_at, t.last_seq, `+unreadExpr("$1", "true")+`,
			EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.risk)
			FROM care_team c JOIN message_threads t ON t.patient_id = c.patient_id
			JOIN patients p ON p.id = t.patient_id AND p.archived_at IS NULL
			WHERE c.user_id = $1 AND c.removed_at IS NULL
			ORDER BY t.last_at DESC, t.id DESC LIMIT $2 OFFSET $3`, actor.UserID, MessagePageSize+1, page*MessagePageSize)
		if err != nil || len(out) == 0 {
			return err
		}
		if err := answered(ctx, tx, out); err != nil {
			return err
		}
		// One row per patient whose name and subjects the page shows, in
		// the order they first appear.
		var patients []string
		shown := map[string][]string{}
		for _, t := range out[:min(len(out), MessagePageSize)] {
			if _, ok := shown[t.PatientID]; !ok {
				patients = append(patients, t.PatientID)
			}
			shown[t.PatientID] = append(shown[t.PatientID], t.ID)
		}
		for _, p := range patients {
			if err := s.appendAudit(ctx, tx, actor, Entry{Action: "message.inbox", PatientID: p, ObjectType: "message_thread",
				Detail: "threads=" + strings.Join(shown[p], ",")}); err != nil {
				return err
			}
		}
		return nil
	})
	more := len(out) > MessagePageSize
	if more {
		out = out[:MessagePageSize]
	}
	return out, more, err
}

// staffUnreadFrom is the patients' messages actor ($1) has not read, on
// the care teams actor is on, of patients not archived (as the inbox).
const staffUnreadFrom = ` FROM care_team c
	JOIN patients p ON p.id = c.patient_id AND p.archived_at IS NULL
	JOIN message_threads t ON t.patient_id = c.patient_id
	JOIN messages m ON m.thread_id = t.id AND m.from_patient
	LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = $1
	WHERE c.user_id = $1 AND c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)`

// StaffUnreadMessages returns how many of their patients' messages the
// clinician actor has not read, on all their care teams (the navigation's
// count). A count holds no patient information and is not audited. It
// reads the clinician's one staff_unread_totals row (kept by triggers,
// migration 0051, equal to staffUnreadCount), so it costs the same
// whatever the size of the caseload.
func (s *Store) StaffUnreadMessages(ctx context.Context, actor Actor) (int, error) {
	if !actor.may(auth.PermCaseload) {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, staffUnreadTotal, actor.UserID).Scan(&n)
	})
	return s.unreadSeen(ctx, actor, n), err
}

// staffUnreadTotal is StaffUnreadMessages' statement: the clinician's ($1)
// kept total.
const staffUnreadTotal = `SELECT coalesce((SELECT n FROM staff_unread_totals WHERE user_id = $1), 0)`

// staffUnreadCount is what staffUnreadTotal reads, counted: the sum of
// the clinician's ($1) message_unread rows, on their active care teams, of
// patients not archived (the tests' oracle; StaffUnreadMessages' statement
// before migration 0051).
const staffUnreadCount = `SELECT coalesce(sum(u.n), 0) FROM message_unread u
	JOIN care_team c ON c.patient_id = u.patient_id AND c.user_id = u.user_id AND c.removed_at IS NULL
	JOIN patients p ON p.id = u.patient_id AND p.archived_at IS NULL
	WHERE u.user_id = $1`

// syncUnread recomputes, from messages and message_reads, the
// message_unread rows of patientID's care team: of thread threadID only
// when set, of the member userID only when set. Called in the transaction
// that sends a message, reads a thread or adds a member, it keeps
// StaffUnreadMessages equal to counting every message (staffUnreadFrom),
// at the cost of one patient's threads.
func syncUnread(ctx context.Context, tx *Tx, patientID, threadID, userID string) error {
	where, args := `patient_id = $1`, []any{patientID}
	sel := ``
	if threadID != "" {
		args = append(args, threadID)
		where += ` AND thread_id = $` + strconv.Itoa(len(args))
		sel += ` AND t.id = $` + strconv.Itoa(len(args))
	}
	if userID != "" {
		args = append(args, userID)
		where += ` AND user_id = $` + strconv.Itoa(len(args))
		sel += ` AND c.user_id = $` + strconv.Itoa(len(args))
	}
	// One recount of a patient's rows at a time (PostgreSQL; SQLite has
	// one writer): each recount's statements then see what a concurrent
	// one (a message sent while a thread is read, a member added while a
	// message is sent) committed, instead of both counting from before the
	// other and one failing on a duplicate key or leaving a stale count. An
	// advisory lock, not the patient's row: the row is already held by the
	// foreign-key checks of these transactions' inserts, and taking it for
	// update after that deadlocked two of them.
	if err := tx.d.lockPatientMessages(tx.ctx(ctx), tx.tx, patientID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM message_unread WHERE `+where, args...); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO message_unread (user_id, thread_id, patient_id, n)
		SELECT c.user_id, t.id, t.patient_id, count(*) FROM care_team c
		JOIN message_threads t ON t.patient_id = c.patient_id
		JOIN messages m ON m.thread_id = t.id AND m.from_patient
		LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = c.user_id
		WHERE c.patient_id = $1 AND c.removed_at IS NULL AND m.seq > coalesce(r.read_seq, 0)`+sel+`
		GROUP BY c.user_id, t.id, t.patient_id
		ON CONFLICT (user_id, thread_id) DO UPDATE SET n = excluded.n`, args...)
	return err
}

// UnreadMessagesForStaff returns, for each of patientIDs on actor's care
// teams with unread messages, how many of that patient's messages actor
// has not read (the caseload's badges). Patients not on actor's teams are
// left out, as if they had none. Not audited: the caseload that shows it
// is.
func (s *Store) UnreadMessagesForStaff(ctx context.Context, actor Actor, patientIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if !actor.may(auth.PermCaseload) || len(patientIDs) == 0 {
		return out, nil
	}
	args := []any{actor.UserID}
	var ph []string
	for _, id := range patientIDs {
		args = append(args, id)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	err := s.read(ctx, func(tx *Tx) error {
		rows, err := queryAll(ctx, tx, func(row scanner) (struct {
			id string
			n  int
		}, error) {
			var v struct {
				id string
				n  int
			}
			err := row.Scan(&v.id, &v.n)
			return v, err
		}, `SELECT t.patient_id, count(*)`+staffUnreadFrom+` AND t.patient_id IN (`+strings.Join(ph, ", ")+`) GROUP BY t.patient_id`, args...)
		for _, r := range rows {
			out[r.id] = r.n
		}
		return err
	})
	return out, err
}

// PatientUnreadMessages returns how many messages from the care team the
// patient patientID has not read, if actor is that patient (the portal's
// count). Anyone else gets ENotFound. Not audited: a count of the
// patient's own.
func (s *Store) PatientUnreadMessages(ctx context.Context, actor Actor, patientID string) (int, error) {
	var n int
	err := s.patientRead(ctx, actor, patientID, auth.PermMessages, "message.count", func(tx *Tx, a Access) error {
		if a.Relation != auth.RelSelf {
			return clinic.Errorf(clinic.ENotFound, "We could not find that page.")
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM message_threads t JOIN messages m ON m.thread_id = t.id AND NOT m.from_patient
			LEFT JOIN message_reads r ON r.thread_id = t.id AND r.user_id = $2
			WHERE t.patient_id = $1 AND m.seq > coalesce(r.read_seq, 0)`, patientID, actor.UserID).Scan(&n)
	})
	return s.unreadSeen(ctx, actor, n), err
}

// OwnUnreadMessages is PatientUnreadMessages for the patient whose account
// actor is (the portal's navigation); 0 for an account with no patient.
func (s *Store) OwnUnreadMessages(ctx context.Context, actor Actor) (int, error) {
	p, err := s.FindOwnPatient(ctx, actor)
	if clinic.ErrorCode(err) == clinic.ENotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return s.PatientUnreadMessages(ctx, actor, p.ID)
}

// MessageEmail is the content-free notification of one new message.
type MessageEmail struct {
	To []string
	// ToPatient is set when the patient is told (a clinician wrote);
	// otherwise the care team is (the patient wrote).
	ToPatient bool
}

// MessageEmailToSend returns who is told of the message a JobMessageEmail
// job names: the patient, when a clinician wrote and the patient has a
// portal account and an email; the care team's active clinicians other
// than the writer, when the patient wrote. nil when there is no one.
// Reading the addresses is audited as the system's (message.notify).
func (s *Store) MessageEmailToSend(ctx context.Context, payload string) (*MessageEmail, error) {
	var p struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Message == "" {
		return nil, errors.New("message email: unreadable payload")
	}
	var out *MessageEmail
	err := s.write(ctx, func(tx *Tx) error {
		var patientID, author string
		var fromPatient bool
		err := tx.QueryRow(ctx, `SELECT m.patient_id, m.author_id, m.from_patient FROM messages m JOIN patients p ON p.id = m.patient_id
			WHERE m.id = $1 AND p.archived_at IS NULL`, p.Message).Scan(&patientID, &author, &fromPatient)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var to []string
		if fromPatient {
			to, err = queryStrings(ctx, tx, `SELECT u.email FROM care_team c JOIN users u ON u.id = c.user_id
				WHERE c.patient_id = $1 AND c.removed_at IS NULL AND u.disabled_at IS NULL AND u.id <> $2 ORDER BY u.email`, patientID, author)
		} else {
			to, err = queryStrings(ctx, tx, `SELECT p.email FROM patients p JOIN users u ON u.id = p.user_id
				WHERE p.id = $1 AND p.email <> '' AND u.disabled_at IS NULL`, patientID)
		}
		if err != nil || len(to) == 0 {
			return err
		}
		out = &MessageEmail{To: to, ToPatient: !fromPatient}
		return s.appendAudit(ctx, tx, System, Entry{Action: "message.notify", PatientID: patientID, ObjectType: "message", ObjectID: p.Message})
	})
	return out, err
}
