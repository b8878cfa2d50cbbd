// Package smtptest is a minimal SMTP server for tests: it accepts
// messages, keeps them, and can be stopped (dropping every connection, as a
// crashed mail server would) and started again on the same address.
package smtptest

import (
	"bufio"
	"net"
	"strings"
	"sync"
)

// Sink is a running test SMTP server.
type Sink struct {
	ln    net.Listener
	mu    sync.Mutex
	msgs  []string
	rcpt  []string
	conns map[net.Conn]bool
}

// Start listens on addr ("127.0.0.1:0" for any free port).
func Start(addr string) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, conns: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s, nil
}

// Addr is where the sink listens, as host:port.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops listening and drops every open connection at once.
func (s *Sink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
}

// Messages returns the messages received (headers and body, CRLF lines).
func (s *Sink) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// Recipients returns every RCPT TO address given, in order.
func (s *Sink) Recipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rcpt...)
}

func (s *Sink) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
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
			// Kept and acknowledged under the lock, so Close never drops a
			// connection between the two: a message is kept exactly when
			// the client was told it was accepted.
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			w("250 queued")
			s.mu.Unlock()
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("250 ok")
		}
	}
}
