package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// Inquiry is a message from the practice's public inquiry form: who wrote,
// how to reach them, their answers to the two pre-screen questions (which
// decide nothing), and what staff have done with it.
type Inquiry struct {
	ID        string
	Name      string
	Email     string
	Phone     string
	Preferred string // email, phone or text
	Psychosis string // yes, no, unsure or "" (not answered)
	Meds      string // the same
	Message   string
	CreatedAt time.Time
	// SpamReason says why the inquiry may be a robot's (SpamTooFast,
	// SpamNoStamp); "" for an ordinary one. Such an inquiry is kept, in the
	// inbox's possible-spam group, until staff mark it genuine or delete it.
	SpamReason string

	Status        string // new, contacted, converted, closed
	HandledBy     string
	HandledByName string
	HandledAt     *time.Time
	PatientID     string // the patient it became, once converted

	Events []InquiryEvent // status changes, oldest first (Inquiry only)
}

// InquiryEvent is one status change of an inquiry, with its note.
type InquiryEvent struct {
	Status    string
	Note      string
	ActorName string
	At        time.Time
}

// Inquiry statuses.
const (
	InquiryNew       = "new"
	InquiryContacted = "contacted"
	InquiryConverted = "converted"
	InquiryClosed    = "closed"
)

// Reasons an inquiry is kept as possible spam.
const (
	SpamTooFast    = "too fast" // sent sooner after the form opened than a person types
	SpamNoStamp    = "no stamp" // without a valid form stamp (missing, forged or altered)
	InquirySpam    = "spam"     // the inbox filter of possible spam
	inquiryGenuine = "genuine"  // the history entry of one marked genuine
)

// The inquiry form's rate limit: at most InquiryLimit inquiries from one
// client address in InquiryWindow.
const (
	InquiryLimit   = 5
	InquiryWindow  = time.Hour
	InquiryNoteMax = 1000
	InquiryTextMax = 1000
)

// settingFormKey names the practice setting that holds the secret for the
// public forms' stamps and client-address hashes.
const settingFormKey = "form_key"

// FormKey returns the practice's secret for signing the public forms'
// stamps and hashing client addresses: 32 random bytes made once, the first
// time any instance asks, and the same for every instance after that.
func (s *Store) FormKey(ctx context.Context) ([]byte, error) {
	v, err := s.Setting(ctx, settingFormKey, "")
	if err != nil || v == "" {
		b := make([]byte, 32)
		rand.Read(b)
		err = s.write(ctx, func(tx *Tx) error {
			// Two instances asking at once: the first insert wins and both read it.
			if _, err := tx.Exec(ctx, `INSERT INTO practice_settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
				settingFormKey, base64.RawStdEncoding.EncodeToString(b), s.now()); err != nil {
				return err
			}
			v, err = settingIn(ctx, tx, settingFormKey, "")
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	key, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("practice setting %s is not a 32-byte key", settingFormKey)
	}
	return key, nil
}

// mailtoSafe reports whether e is one plain email address, with a dot in
// its domain, made only of characters that cannot change a mailto: link
// (no ?, %, &, #, / or quotes: "x%40y.com?bcc=z" would add a hidden
// recipient to a reply).
func mailtoSafe(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && len(e) <= 254 && strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") &&
		!strings.ContainsAny(e, "?%&#/\\\"'<> ")
}

var answers = map[string]bool{"": true, "yes": true, "no": true, "unsure": true}

// CheckInquiry trims q's fields, fills in the preferred way to reach them
// when it is not given, and says what is wrong, field by field. A name is
// needed, and an email address or a phone number (or both).
func CheckInquiry(q *Inquiry) clinic.FieldErrors {
	for _, f := range []*string{&q.Name, &q.Email, &q.Phone, &q.Preferred, &q.Psychosis, &q.Meds, &q.Message} {
		*f = strings.TrimSpace(*f)
	}
	fe := clinic.FieldErrors{}
	switch {
	case q.Name == "":
		fe.Add("name", "Tell us your name (a first name is fine).")
	case utf8.RuneCountInString(q.Name) > 100 || !clinic.SingleLine(q.Name):
		fe.Add("name", "Write your name on one line, in at most 100 characters.")
	}
	if q.Email != "" && !mailtoSafe(q.Email) {
		fe.Add("email", "Enter an email address like name@example.com, or leave it empty and give a phone number.")
	}
	if q.Phone != "" && !phoneLike(q.Phone) {
		fe.Add("phone", "Enter a phone number, like +1 555 010 2345, or leave it empty and give an email address.")
	}
	if q.Email == "" && q.Phone == "" {
		fe.Add("contact", "Give an email address or a phone number (or both), so we can reach you.")
	}
	if q.Preferred == "" {
		q.Preferred = "email"
		if q.Email == "" {
			q.Preferred = "phone"
		}
	}
	switch q.Preferred {
	case "email":
		if q.Email == "" && q.Phone != "" {
			fe.Add("preferred", "You chose email: give an email address above, or choose a call or a text.")
		}
	case "phone", "text":
		if q.Phone == "" && q.Email != "" {
			fe.Add("preferred", "You chose a call or a text: give a phone number above, or choose email.")
		}
	default:
		fe.Add("preferred", "Choose email, a phone call or a text message.")
	}
	if !answers[q.Psychosis] {
		fe.Add("psychosis", "Choose yes, no or not sure, or leave it unanswered.")
	}
	if !answers[q.Meds] {
		fe.Add("meds", "Choose yes, no or not sure, or leave it unanswered.")
	}
	if utf8.RuneCountInString(q.Message) > InquiryTextMax {
		fe.Add("message", "Use at most 1,000 characters.")
	}
	clinic.CheckText(fe, "message", q.Message)
	return fe
}

// CreateInquiry stores an inquiry from the public form, sent from the
// client address whose keyed hash is addrHash. Bad fields are EInvalid
// field errors; the InquiryLimit+1st inquiry from one address within
// InquiryWindow is ETooMany and stores nothing. An inquiry with a
// SpamReason is stored all the same, as possible spam (see Inquiries).
// Audited as inquiry.create, without the client address (the inquiry keeps
// only its hash).
func (s *Store) CreateInquiry(ctx context.Context, actor Actor, q *Inquiry, addrHash string) error {
	if err := CheckInquiry(q).Err(); err != nil {
		return err
	}
	if addrHash == "" {
		return errors.New("create inquiry: no client address hash")
	}
	if q.SpamReason != "" && q.SpamReason != SpamTooFast && q.SpamReason != SpamNoStamp {
		return errors.New("create inquiry: unknown spam reason " + q.SpamReason)
	}
	actor.Addr = ""
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		q.ID, q.CreatedAt, q.Status = NewID(), now, InquiryNew
		// The address's lock first (audit rows no longer serialise writers
		// on PostgreSQL), so the count below sees every inquiry committed
		// before it and two at once cannot both be the fifth.
		if err := s.d.lockInquiryAddr(ctx, tx.tx, addrHash); err != nil {
			return err
		}
		e := Entry{Action: "inquiry.create", ObjectType: "inquiry", ObjectID: q.ID}
		if q.SpamReason != "" {
			e.Detail = "possible spam: " + q.SpamReason
		}
		if err := s.appendAudit(ctx, tx, actor, e); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM inquiries WHERE client_addr_hash = $1 AND created_at > $2`, addrHash, now.Add(-InquiryWindow)).Scan(&n); err != nil {
			return err
		}
		if n >= InquiryLimit {
			return clinic.Errorf(clinic.ETooMany, "We have had several messages from your connection in the last hour, so this one was not sent. Please try again later, or call the practice.")
		}
		_, err := tx.Exec(ctx, `INSERT INTO inquiries (id, name, email, phone, preferred, psychosis_answer, meds_answer, message, created_at, client_addr_hash, status, spam_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'new', $11)`,
			q.ID, q.Name, q.Email, q.Phone, q.Preferred, q.Psychosis, q.Meds, q.Message, now, addrHash, q.SpamReason)
		return err
	})
}

// canHandleInquiries reports whether actor works the inquiry inbox:
// therapists and administrators. Prescribers, who may belong to another
// organisation, see only the patients referred to them.
func canHandleInquiries(actor Actor) bool {
	return actor.may(auth.PermInquiries)
}

func errNoInquiry() error { return clinic.Errorf(clinic.ENotFound, "We could not find that inquiry.") }

const inquiryColumns = `q.id, q.name, q.email, q.phone, q.preferred, q.psychosis_answer, q.meds_answer, q.message, q.created_at,
	q.status, q.handled_by, coalesce(u.display_name, ''), q.handled_at, q.patient_id, q.spam_reason`

const inquiryFrom = ` FROM inquiries q LEFT JOIN users u ON u.id = q.handled_by`

func scanInquiry(row scanner) (*Inquiry, error) {
	var q Inquiry
	var at nullTime
	if err := row.Scan(&q.ID, &q.Name, &q.Email, &q.Phone, &q.Preferred, &q.Psychosis, &q.Meds, &q.Message, &q.CreatedAt,
		&q.Status, &q.HandledBy, &q.HandledByName, &at, &q.PatientID, &q.SpamReason); err != nil {
		return nil, err
	}
	q.CreatedAt, q.HandledAt = q.CreatedAt.UTC(), at.ptr()
	return &q, nil
}

// InquiryFilters are the inbox's status filters: open is new and contacted;
// spam is the possible spam, which no other filter lists.
var InquiryFilters = []string{"open", InquiryNew, InquiryContacted, InquiryConverted, InquiryClosed, "all", InquirySpam}

// InquiryFilter narrows the inbox: Status is one of InquiryFilters ("" is
// open); Query matches part of the name or the email address (any case).
type InquiryFilter struct {
	Status string
	Query  string
}

// inquiryScope is the FROM and WHERE of the inquiries matching f.
func inquiryScope(f InquiryFilter) (string, []any, error) {
	q, args := inquiryFrom, []any{}
	switch f.Status {
	case "", "open":
		q += ` WHERE q.status IN ('new', 'contacted') AND q.spam_reason = ''`
	case "all":
		q += ` WHERE q.spam_reason = ''`
	case InquirySpam:
		q += ` WHERE q.spam_reason <> ''`
	case InquiryNew, InquiryContacted, InquiryConverted, InquiryClosed:
		q, args = q+` WHERE q.status = $1 AND q.spam_reason = ''`, []any{f.Status}
	default:
		return "", nil, &clinic.Error{Code: clinic.EInvalid, Message: "Choose one of the inbox's filters.", Fields: map[string]string{"status": "Choose one of the inbox's filters."}}
	}
	if f.Query = strings.TrimSpace(f.Query); f.Query != "" {
		args = append(args, "%"+likeEscape(strings.ToLower(f.Query))+"%")
		q += fmt.Sprintf(` AND (lower(q.name) LIKE $%d ESCAPE '\' OR lower(q.email) LIKE $%d ESCAPE '\')`, len(args), len(args))
	}
	return q, args, nil
}

// PageInquiries is the inbox a page at a time, for therapists and
// administrators: the inquiries matching f, newest first (by created_at,
// then id), read by key (see PageKey: the key is an inquiry id), with the
// count of every match. Audited as one inquiry.list naming the filter
// (whether a search was made, never its words).
func (s *Store) PageInquiries(ctx context.Context, actor Actor, f InquiryFilter, k PageKey) (*Page[*Inquiry], error) {
	if !canHandleInquiries(actor) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	scope, args, err := inquiryScope(f)
	if err != nil {
		return nil, err
	}
	detail := "status=" + firstNonEmpty(f.Status, "open")
	if strings.TrimSpace(f.Query) != "" {
		detail += " search=1"
	}
	var out *Page[*Inquiry]
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: scope, Args: args, Table: "inquiries", Alias: "q", Order: []string{"created_at", "id"}, Desc: true},
			inquiryColumns, k, scanInquiry, func(q *Inquiry) string { return q.ID })
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "inquiry.list", ObjectType: "inquiry", Detail: detail})
	})
	return out, err
}

// Inquiry returns one inquiry with its history, for therapists and
// administrators. Audited as inquiry.read; anyone else, or an unknown id,
// is ENotFound.
func (s *Store) Inquiry(ctx context.Context, actor Actor, id string) (*Inquiry, error) {
	if !canHandleInquiries(actor) {
		return nil, errNoInquiry()
	}
	var q *Inquiry
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if q, err = inquiryIn(ctx, tx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "inquiry.read", ObjectType: "inquiry", ObjectID: id, PatientID: q.PatientID})
	})
	return q, err
}

func inquiryIn(ctx context.Context, tx *Tx, id string) (*Inquiry, error) {
	q, err := scanInquiry(tx.QueryRow(ctx, `SELECT `+inquiryColumns+inquiryFrom+` WHERE q.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoInquiry()
	}
	if err != nil {
		return nil, err
	}
	q.Events, err = queryAll(ctx, tx, func(row scanner) (e InquiryEvent, err error) {
		err = row.Scan(&e.Status, &e.Note, &e.ActorName, &e.At)
		e.At = e.At.UTC()
		return e, err
	}, `SELECT e.status, e.note, coalesce(u.display_name, ''), e.at FROM inquiry_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.inquiry_id = $1 ORDER BY e.at, e.id`, id)
	return q, err
}

// errPossibleSpam refuses work on an inquiry kept as possible spam: it is
// first moved into the inbox (MarkInquiryGenuine), so nothing worked on
// stays hidden in the possible-spam group.
func errPossibleSpam() error {
	return clinic.Errorf(clinic.EConflict, "This inquiry is kept as possible spam. Move it to the inbox first if a person wrote it.")
}

// SetInquiryStatus marks an inquiry contacted or closed, with an optional
// note (therapists and administrators). A converted inquiry stays
// converted, and one kept as possible spam is first moved to the inbox
// (EConflict both). Audited as inquiry.status.
func (s *Store) SetInquiryStatus(ctx context.Context, actor Actor, id, status, note string) error {
	if !canHandleInquiries(actor) {
		return errNoInquiry()
	}
	note = strings.TrimSpace(note)
	fe := clinic.FieldErrors{}
	if status != InquiryContacted && status != InquiryClosed {
		fe.Add("status", "Choose contacted or closed.")
	}
	if utf8.RuneCountInString(note) > InquiryNoteMax {
		fe.Add("note", "Use at most 1,000 characters.")
	}
	clinic.CheckText(fe, "note", note)
	if err := fe.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		q, err := inquiryIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if q.Status == InquiryConverted {
			return clinic.Errorf(clinic.EConflict, "This inquiry has become a patient's record; it stays converted.")
		}
		if q.SpamReason != "" {
			return errPossibleSpam()
		}
		return s.markInquiry(ctx, tx, actor, id, status, note, "")
	})
}

// markInquiry sets an inquiry's status (and patient, when converted),
// records the change in its history and audits it, inside tx. The update
// is refused (EConflict) when the inquiry was converted meanwhile, or is
// kept as possible spam.
func (s *Store) markInquiry(ctx context.Context, tx *Tx, actor Actor, id, status, note, patientID string) error {
	now := s.now()
	res, err := tx.Exec(ctx, `UPDATE inquiries SET status = $1, handled_by = $2, handled_at = $3, patient_id = CASE WHEN $4 = '' THEN patient_id ELSE $4 END
		WHERE id = $5 AND status <> 'converted' AND spam_reason = ''`, status, actor.UserID, now, patientID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return clinic.Errorf(clinic.EConflict, "Someone converted this inquiry to a patient a moment ago.")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO inquiry_events (id, inquiry_id, status, note, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		NewID(), id, status, note, actor.UserID, now); err != nil {
		return err
	}
	action := "inquiry.status"
	if status == InquiryConverted {
		action = "inquiry.convert"
	}
	return s.appendAudit(ctx, tx, actor, Entry{Action: action, ObjectType: "inquiry", ObjectID: id, PatientID: patientID, Detail: "status=" + status})
}

// ConvertInquiry turns an inquiry into a patient (therapists only): a
// patient in stage inquiry with the inquiry's name, email and phone, owned
// by the converting therapist (through CreatePatient), linked from the
// inquiry. It returns the new patient's id. An inquiry already converted,
// or kept as possible spam (move it to the inbox first), is EConflict.
// Audited (patient.create, team.add and inquiry.convert).
//
// CreatePatient runs in its own transaction; should two therapists convert
// the same inquiry at the same moment, the second is told so and the
// patient record it made stays on that therapist's caseload.
func (s *Store) ConvertInquiry(ctx context.Context, actor Actor, id string) (string, error) {
	if !actor.may(auth.PermConvertInquiry) {
		return "", errNoInquiry()
	}
	var q *Inquiry
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		q, err = inquiryIn(ctx, tx, id)
		return err
	})
	if err != nil {
		return "", err
	}
	if q.Status == InquiryConverted {
		return "", clinic.Errorf(clinic.EConflict, "This inquiry has already become a patient's record.")
	}
	if q.SpamReason != "" {
		return "", errPossibleSpam()
	}
	p := &Patient{DisplayName: q.Name, Email: q.Email}
	if err := s.CreatePatient(ctx, actor, p, ""); err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if q.Phone != "" {
			if _, err := tx.Exec(ctx, `UPDATE patients SET phone = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND phone = ''`, q.Phone, s.now(), p.ID); err != nil {
				return err
			}
		}
		return s.markInquiry(ctx, tx, actor, id, InquiryConverted, "", p.ID)
	})
	return p.ID, err
}

// CountPossibleSpam returns how many inquiries wait in the possible-spam
// group, for therapists and administrators (0 for anyone else).
func (s *Store) CountPossibleSpam(ctx context.Context, actor Actor) (int, error) {
	if !canHandleInquiries(actor) {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM inquiries WHERE spam_reason <> ''`).Scan(&n)
	})
	return n, err
}

// MarkInquiryGenuine moves an inquiry kept as possible spam into the inbox
// as an ordinary one (therapists and administrators), with a history entry.
// One that is not possible spam is EConflict. Audited as inquiry.genuine.
func (s *Store) MarkInquiryGenuine(ctx context.Context, actor Actor, id string) error {
	if !canHandleInquiries(actor) {
		return errNoInquiry()
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE inquiries SET spam_reason = '' WHERE id = $1 AND spam_reason <> ''`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if _, err := inquiryIn(ctx, tx, id); err != nil {
				return err
			}
			return clinic.Errorf(clinic.EConflict, "This inquiry is already in the inbox.")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inquiry_events (id, inquiry_id, status, note, actor_id, at) VALUES ($1, $2, $3, '', $4, $5)`,
			NewID(), id, inquiryGenuine, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "inquiry.genuine", ObjectType: "inquiry", ObjectID: id})
	})
}

// DeleteSpamInquiry deletes an inquiry kept as possible spam, with its
// history (therapists and administrators), only while no one has worked on
// it: status new and no patient made from it. An ordinary inquiry, or one
// worked on, is never deleted (EConflict): its notes are the practice's
// record. Audited as inquiry.delete.
func (s *Store) DeleteSpamInquiry(ctx context.Context, actor Actor, id string) error {
	if !canHandleInquiries(actor) {
		return errNoInquiry()
	}
	return s.write(ctx, func(tx *Tx) error {
		q, err := inquiryIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if q.SpamReason == "" {
			return clinic.Errorf(clinic.EConflict, "Only an inquiry kept as possible spam can be deleted.")
		}
		if q.Status != InquiryNew || q.PatientID != "" {
			return clinic.Errorf(clinic.EConflict, "This inquiry has been worked on, so it is kept with its history. Move it to the inbox instead.")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inquiry_events WHERE inquiry_id = $1`, id); err != nil {
			return err
		}
		// The conditions again, in the statement itself: an inquiry worked
		// on meanwhile by another transaction is never deleted (the error
		// rolls back the history's deletion too).
		res, err := tx.Exec(ctx, `DELETE FROM inquiries WHERE id = $1 AND spam_reason <> '' AND status = 'new' AND patient_id = ''`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return clinic.Errorf(clinic.EConflict, "Someone worked on this inquiry a moment ago, so it is kept.")
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "inquiry.delete", ObjectType: "inquiry", ObjectID: id, Detail: "possible spam: " + q.SpamReason})
	})
}
