package notify

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
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
	if err := m.Send(context.Background(), []string{"a@example.org"}, "s", "b"); err == nil {
		t.Fatal("Send to a closed port succeeded")
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
