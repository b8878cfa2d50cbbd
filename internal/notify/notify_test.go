package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/notify/smtptest"
)

func newSink(t *testing.T) *smtptest.Sink {
	s, err := smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestSMTPSend(t *testing.T) {
	s := newSink(t)
	m, err := NewSMTP("smtp://"+s.Addr(), "kapstone@practice.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), []string{"a@example.org", "b@example.org"}, "A safety alert needs attention", "Open kapstone.\nThanks."); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: A safety alert needs attention") || !strings.Contains(msgs[0], "Open kapstone.\r\nThanks.") {
		t.Fatalf("sink got %q", msgs)
	}
	if len(s.Recipients()) != 2 {
		t.Errorf("recipients = %v, want 2", s.Recipients())
	}
	if err := m.Send(context.Background(), []string{"a@example.org"}, "x\r\nBcc: evil@example.org", "b"); err == nil {
		t.Error("a subject with a line break was sent")
	}
}

func TestSMTPDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	m, err := NewSMTP("smtp://"+addr, "kapstone@practice.example")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), []string{"a@example.org"}, "s", "b")
	if got, want := fmt.Sprint(err), "could not connect to the mail server: connection refused"; got != want {
		t.Errorf("Send to a closed port = %q, want %q", got, want)
	}
}

func TestNewSMTPRefusesBadConfig(t *testing.T) {
	for _, tt := range []struct{ url, from string }{
		{"http://host", "a@example.org"},
		{"smtp://", "a@example.org"},
		{"smtp://host:25", "not an address"},
	} {
		if _, err := NewSMTP(tt.url, tt.from); err == nil {
			t.Errorf("NewSMTP(%q, %q) succeeded, want an error", tt.url, tt.from)
		}
	}
}

// TestSMTPEncodesHeadersAndBody: a subject and body outside ASCII (a
// practice named with an accent) go out MIME-encoded, so every mail
// client shows them as written, and decode back to the original.
func TestSMTPEncodesHeadersAndBody(t *testing.T) {
	s := newSink(t)
	m, err := NewSMTP("smtp://"+s.Addr(), "kapstone@practice.example")
	if err != nil {
		t.Fatal(err)
	}
	subject := "Reminder from Clinique Étoile"
	body := "Bonjour — see you soon.\nhttps://practice.example/portal/appointments/with/a/rather/long/path/that/goes/past/seventy-six/characters"
	if err := m.Send(context.Background(), []string{"a@example.org"}, subject, body); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages", len(msgs))
	}
	raw := msgs[0]
	if strings.Contains(raw, "Étoile") || strings.Contains(raw, "—") {
		t.Errorf("raw message has unencoded non-ASCII text:\n%s", raw)
	}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || got != subject {
		t.Errorf("subject decodes to %q (%v), want %q", got, err, subject)
	}
	if msg.Header.Get("Message-Id") == "" || msg.Header.Get("Date") == "" {
		t.Errorf("missing Message-ID or Date: %v", msg.Header)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	decoded, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(body, "\n", "\r\n"); strings.TrimRight(string(decoded), "\r\n") != want {
		t.Errorf("body decodes to %q, want %q", decoded, want)
	}
}

// TestSMTPErrorsCarryNoAddress: a server that refuses a recipient echoes
// the address in its reply; Send's error keeps the step and the codes and
// drops the reply's text, so no address reaches the job's last_error or the
// log.
func TestSMTPErrorsCarryNoAddress(t *testing.T) {
	s := newSink(t)
	s.RejectRecipient("pat@example.org")
	m, err := NewSMTP("smtp://"+s.Addr(), "kapstone@practice.example")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), []string{"pat@example.org"}, "Appointment reminder", "b")
	if err == nil {
		t.Fatal("Send to a refused recipient succeeded")
	}
	if got, want := err.Error(), "the mail server refused a recipient (550 5.1.1)"; got != want {
		t.Errorf("Send to a refused recipient = %q, want %q", got, want)
	}
	if len(s.Messages()) != 0 {
		t.Errorf("the sink kept %d messages, want none", len(s.Messages()))
	}
	// One refused recipient among several: still no address, and nothing sent.
	err = m.Send(context.Background(), []string{"a@example.org", "pat@example.org"}, "A safety alert", "b")
	if err == nil || strings.Contains(err.Error(), "@") || !strings.Contains(err.Error(), "550 5.1.1") {
		t.Errorf("Send with one refused recipient of two = %v, want the codes and no address", err)
	}

	// A recipient go-mail cannot parse: its error would quote the address.
	err = m.Send(context.Background(), []string{"pat@@example.org"}, "s", "b")
	if err == nil || strings.Contains(err.Error(), "pat") {
		t.Errorf("Send to a malformed address = %v, want an error without the address", err)
	}
}

// TestSMTPLoginRefused: a refused login is reported as such, with its
// codes and without the user name the server echoed (here an address).
func TestSMTPLoginRefused(t *testing.T) {
	s := newSink(t)
	s.RefuseLogins()
	m, err := NewSMTP("smtp://practice%40example.org:wrong@"+s.Addr(), "kapstone@practice.example")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), []string{"a@example.org"}, "s", "b")
	if err == nil {
		t.Fatal("Send with a refused login succeeded")
	}
	if got, want := err.Error(), "mail server authentication failed (535 5.7.8)"; got != want {
		t.Errorf("Send with a refused login = %q, want %q", got, want)
	}
	if len(s.Messages()) != 0 {
		t.Errorf("the sink kept %d messages, want none", len(s.Messages()))
	}
}

// TestSendFailureClasses: failures the sink cannot produce are named by
// their kind, with no text taken from the error they came from.
func TestSendFailureClasses(t *testing.T) {
	leak := "pat@example.org"
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host " + leak, Name: "smtp.example", IsNotFound: true}},
			"could not connect to the mail server: its host name was not found"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: timeoutError(leak)}, "the mail server did not answer in time"},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), "the mail server did not answer in time: context deadline exceeded"},
		{&textproto.Error{Code: 554, Msg: "5.7.1 <" + leak + ">: go away"}, "the mail server refused the connection (554 5.7.1)"},
		{fmt.Errorf("SMTP AUTH failed: %w", io.EOF), "mail server authentication failed"},
		{errors.New("something odd about " + leak), "could not send the mail"},
	} {
		got := sendFailure(tc.err)
		if got.Error() != tc.want {
			t.Errorf("sendFailure(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if err := sendFailure(fmt.Errorf("x: %w", context.Canceled)); !errors.Is(err, context.Canceled) {
		t.Errorf("sendFailure(canceled) = %v, want it to wrap context.Canceled", err)
	}
}

type timeoutError string

func (e timeoutError) Error() string   { return "i/o timeout talking to " + string(e) }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }
