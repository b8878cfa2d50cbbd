// Package notify sends short notifications by email. Messages never carry
// patient information: they say that something waits in kapstone, and link
// to it.
package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
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
// in addresses. Its errors say which step failed and keep the server's
// reply codes, never the server's words or an address (see sendFailure):
// they are logged and kept with the job.
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
		return errors.New("notify: the sender address is not valid")
	}
	if err := msg.To(to...); err != nil {
		// go-mail's error quotes the address, which may be a patient's.
		return errors.New("notify: a recipient address is not valid")
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, body)
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return sendFailure(err)
	}
	err = m.client.SendWithSMTPClient(c, msg)
	// Once the server has accepted the message it is sent: a failure to
	// say goodbye must not make the caller send it again.
	_ = m.client.CloseWithSMTPClient(c)
	if err != nil && !msg.IsDelivered() {
		return sendFailure(err)
	}
	return nil
}

// sendFailure turns an error from reaching or talking to the mail server
// into a short one that says which step failed and keeps the server's
// reply codes (550 5.1.1) but drops everything else it said: servers echo
// recipient addresses ("550 5.1.1 <pat@example.org>: Recipient address
// rejected") and user names in their replies. A cancelled or expired ctx
// stays visible to errors.Is.
func sendFailure(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("sending mail was interrupted: %w", context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the mail server did not answer in time: %w", context.DeadlineExceeded)
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		var what string
		switch se.Reason {
		case gomail.ErrSMTPRcptTo:
			what = "a recipient"
		case gomail.ErrSMTPMailFrom:
			what = "the sender address"
		case gomail.ErrSMTPData, gomail.ErrWriteContent, gomail.ErrSMTPDataClose:
			what = "the message"
		case gomail.ErrConnCheck:
			return errors.New("lost the connection to the mail server")
		default:
			what = "the message"
		}
		if se.ErrorCode() == 0 {
			// No reply code: the connection failed, the server said no.
			return errors.New("the connection to the mail server failed while sending " + what)
		}
		return errors.New("the mail server refused " + what + replyCodes(se.ErrorCode(), se.EnhancedStatusCode()))
	}
	var te *textproto.Error
	isTE := errors.As(err, &te)
	switch {
	// go-mail reports a refused login as "SMTP AUTH failed: <reply>"; a
	// server may also refuse to go on without one (530).
	case strings.HasPrefix(err.Error(), "SMTP AUTH failed"), isTE && te.Code >= 530 && te.Code <= 539:
		if isTE {
			return errors.New("mail server authentication failed" + replyCodes(te.Code, enhancedCode(te.Msg)))
		}
		return errors.New("mail server authentication failed")
	case errors.Is(err, gomail.ErrNoSupportedAuthDiscovered), err.Error() == "server does not support SMTP AUTH":
		return errors.New("mail server authentication failed: the server offers no login method kapstone can use")
	case isTE:
		return errors.New("the mail server refused the connection" + replyCodes(te.Code, enhancedCode(te.Msg)))
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authorityErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	var alertErr tls.AlertError
	var recordErr tls.RecordHeaderError
	var errno syscall.Errno
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return errors.New("could not connect to the mail server: its host name was not found")
		}
		return errors.New("could not connect to the mail server: could not look up its host name")
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authorityErr), errors.As(err, &invalidErr):
		return errors.New("could not connect to the mail server: its TLS certificate is not valid for it")
	case errors.As(err, &alertErr), errors.As(err, &recordErr):
		return errors.New("could not connect to the mail server: the TLS handshake failed")
	case errors.As(err, &errno):
		// A fixed system message: "connection refused", "connection reset by peer".
		return errors.New("could not connect to the mail server: " + errno.Error())
	case errors.As(err, &netErr) && netErr.Timeout():
		return errors.New("the mail server did not answer in time")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the mail server closed the connection")
	case errors.As(err, &netErr):
		return errors.New("could not connect to the mail server")
	}
	return errors.New("could not send the mail")
}

// replyCodes formats an SMTP reply code and an enhanced status code (RFC
// 3463) as " (550 5.1.1)", leaving out what is missing.
func replyCodes(code int, enhanced string) string {
	var parts []string
	if code != 0 {
		parts = append(parts, strconv.Itoa(code))
	}
	if enhanced != "" {
		parts = append(parts, enhanced)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " ") + ")"
}

var enhancedCodeRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// enhancedCode returns the enhanced status code a reply's text starts
// with, or "".
func enhancedCode(text string) string {
	return enhancedCodeRE.FindString(text)
}
