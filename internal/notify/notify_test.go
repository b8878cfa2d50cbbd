package notify

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// sink is a minimal SMTP server for tests: it accepts one message per
// connection and keeps what it was sent.
type sink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func newSink(t *testing.T) *sink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *sink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(line string) { c.Write([]byte(line + "\r\n")) }
	w("220 sink ready")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			w("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			w("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpt = append(s.rcpt, strings.TrimSpace(line[8:]))
			s.mu.Unlock()
			w("250 ok")
		case cmd == "DATA":
			w("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			w("250 queued")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("250 ok")
		}
	}
}

// Messages returns what the sink received.
func (s *sink) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func TestSMTPSend(t *testing.T) {
	s := newSink(t)
	m, err := NewSMTP("smtp://"+s.ln.Addr().String(), "kapstone@practice.example")
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
	if len(s.rcpt) != 2 {
		t.Errorf("recipients = %v, want 2", s.rcpt)
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
