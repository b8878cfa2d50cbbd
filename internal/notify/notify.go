// Package notify sends short notifications by email. Messages never carry
// patient information: they say that something waits in kapstone, and link
// to it.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Mailer sends one plain-text email.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// Log is the mailer used when no SMTP server is configured: it logs that
// a message would have been sent (recipients' count and subject only).
type Log struct{ Logger *slog.Logger }

// Send logs the message's subject and number of recipients.
func (l Log) Send(ctx context.Context, to []string, subject, body string) error {
	l.Logger.Info("email not sent: no SMTP server configured", "recipients", len(to), "subject", subject)
	return nil
}

// SMTP sends mail through an SMTP server named by a URL:
// smtp://user:password@host:587 (STARTTLS when the server offers it) or
// smtps://user:password@host:465 (TLS from the start).
type SMTP struct {
	addr     string
	host     string
	implicit bool
	auth     smtp.Auth
	from     string
	timeout  time.Duration
}

// NewSMTP checks an SMTP URL and a sender address and returns the mailer.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("the SMTP URL must look like smtp://user:password@host:587 or smtps://host:465")
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("the sender address %q is not an email address", from)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	m := &SMTP{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), implicit: u.Scheme == "smtps", from: from, timeout: 15 * time.Second}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	return m, nil
}

// Send delivers one message to every recipient, within the mailer's
// timeout. Header injection is refused: no line breaks in the subject or
// in addresses.
func (m *SMTP) Send(ctx context.Context, to []string, subject, body string) error {
	if strings.ContainsAny(subject, "\r\n") {
		return errors.New("notify: line break in subject")
	}
	for _, a := range to {
		if strings.ContainsAny(a, "\r\n") {
			return errors.New("notify: line break in address")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	d := net.Dialer{}
	var conn net.Conn
	var err error
	if m.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", m.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.addr)
	}
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}); err != nil {
				return err
			}
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from); err != nil {
		return err
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := "From: " + m.from + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server has accepted the message: it is sent. A failure to say
	// goodbye must not make the caller send it again.
	_ = c.Quit()
	return nil
}
