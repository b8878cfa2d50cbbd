package shell

import (
	"context"
	"log/slog"

	"github.com/kapstone/kapstone/internal/store"
)

// OutboxMailer is the development sender, used when no SMTP server is
// configured: it keeps each email in the database, where administrators
// read it on the Email outbox page, instead of sending it.
type OutboxMailer struct {
	Store *store.Store
	Log   *slog.Logger
}

// Send keeps the email in the outbox.
func (m OutboxMailer) Send(ctx context.Context, to []string, subject, body string) error {
	if err := m.Store.KeepOutboxEmail(ctx, to, subject, body); err != nil {
		return err
	}
	m.Log.InfoContext(ctx, "email kept in the outbox: no SMTP server configured", "recipients", len(to))
	return nil
}
