// Package notify sends short notifications by email. Messages never carry
// patient information: they say that something waits in kapstone, and link
// to it.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Mailer sends one plain-text email.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTP sends mail through an SMTP server named by a URL:
// smtp://user:password@host:587 (STARTTLS when the server offers it) or
// smtps://user:password@host:465 (TLS from the start). Messages are built
// and sent by go-mail, which encodes headers and bodies as the RFCs want
// (a practice name with accents in a subject, long lines in a body).
type SMTP struct {
	client *gomail.Client
	from   string
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
	port := map[string]int{"smtp": 587, "smtps": 465}[u.Scheme]
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("the SMTP port %q is not a port number", p)
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(15 * time.Second),
		gomail.WithTLSConfig(&tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}),
		// One connection per message: no NOOP before it, no RSET after
		// it, so a message the server has accepted is never reported as
		// failed because of a later command.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	if u.Scheme == "smtps" {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("the SMTP settings are not usable: %w", err)
	}
	return &SMTP{client: c, from: from}, nil
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
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return err
	}
	if err := msg.To(to...); err != nil {
		return fmt.Errorf("notify: recipient: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, body)
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	err = m.client.SendWithSMTPClient(c, msg)
	// Once the server has accepted the message it is sent: a failure to
	// say goodbye must not make the caller send it again.
	_ = m.client.CloseWithSMTPClient(c)
	if err != nil && !msg.IsDelivered() {
		return err
	}
	return nil
}
