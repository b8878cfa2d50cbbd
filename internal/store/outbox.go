package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
)

// outboxKeep is how long the development outbox keeps an email.
const outboxKeep = 30 * 24 * time.Hour

// OutboxEmail is one email kept in the development outbox instead of being
// sent.
type OutboxEmail struct {
	ID         string
	CreatedAt  time.Time
	Recipients []string
	Subject    string
	Body       string
}

// KeepOutboxEmail stores an email in the development outbox (used when no
// SMTP server is configured) and prunes emails older than 30 days.
func (s *Store) KeepOutboxEmail(ctx context.Context, to []string, subject, body string) error {
	return s.write(ctx, func(tx *Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `DELETE FROM outbox_emails WHERE created_at < $1`, now.Add(-outboxKeep)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO outbox_emails (id, created_at, recipients, subject, body) VALUES ($1, $2, $3, $4, $5)`,
			NewID(), now, strings.Join(to, ", "), subject, body)
		return err
	})
}

// OutboxEmails lists the newest limit emails of the development outbox,
// newest first, for an administrator. Recipients' addresses are patient
// information, so every look is audited.
func (s *Store) OutboxEmails(ctx context.Context, actor Actor, limit int) ([]OutboxEmail, error) {
	if !actor.may(auth.PermOutbox) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out []OutboxEmail
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanOutboxEmail, `SELECT id, created_at, recipients, subject, body FROM outbox_emails ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "outbox.read", ObjectType: "outbox", Detail: "count=" + strconv.Itoa(len(out))})
	})
	return out, err
}

func scanOutboxEmail(r scanner) (e OutboxEmail, err error) {
	var to string
	err = r.Scan(&e.ID, &e.CreatedAt, &to, &e.Subject, &e.Body)
	e.CreatedAt = e.CreatedAt.UTC()
	e.Recipients = strings.Split(to, ", ")
	return e, err
}

// PageOutbox is the development outbox a page at a time, newest first (by
// created_at, then id), read by key (see PageKey: the key is an email's
// id), with the count of every email kept, for an administrator; anyone
// else is ENotFound. Recipients' addresses are patient information, so
// every look is audited, as outbox.read.
func (s *Store) PageOutbox(ctx context.Context, actor Actor, k PageKey) (*Page[OutboxEmail], error) {
	if !actor.may(auth.PermOutbox) {
		return nil, clinic.Errorf(clinic.ENotFound, "We could not find that page.")
	}
	var out *Page[OutboxEmail]
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = readPage(ctx, tx, keyset{Scope: ` FROM outbox_emails o WHERE 1 = 1`, Table: "outbox_emails", Alias: "o", Order: []string{"created_at", "id"}, Desc: true},
			`o.id, o.created_at, o.recipients, o.subject, o.body`, k, scanOutboxEmail, func(e OutboxEmail) string { return e.ID })
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, Entry{Action: "outbox.read", ObjectType: "outbox", Detail: "count=" + strconv.Itoa(len(out.Rows))})
	})
	return out, err
}
