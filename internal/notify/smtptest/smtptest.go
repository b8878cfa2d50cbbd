// Package smtptest is a minimal SMTP server for tests: it accepts
// messages, keeps them, and can be stopped (dropping every connection, as a
// crashed mail server would) and started again on the same address. It can
// also refuse chosen recipients and every login the way real servers do,
// with replies that echo the address or user name.
package smtptest

import (
	"bufio"
	"encoding/base64"
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
	// reject holds the recipient addresses (lower case) RCPT TO refuses.
	reject map[string]bool
	// refuseLogins makes AUTH fail.
	refuseLogins bool
}

// Start listens on addr ("127.0.0.1:0" for any free port).
func Start(addr string) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, conns: map[net.Conn]bool{}, reject: map[string]bool{}}
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

// RejectRecipient makes RCPT TO for addr fail, from the next command on,
// with a permanent error that echoes the address, as Postfix does:
// "550 5.1.1 <addr>: Recipient address rejected: User unknown".
func (s *Sink) RejectRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(addr)] = true
}

// RefuseLogins makes every AUTH fail with "535 5.7.8" and a reply that
// names the user. Without it any login is accepted. The sink offers AUTH
// CRAM-MD5 only (a client on a connection without TLS may use it).
func (s *Sink) RefuseLogins() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseLogins = true
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
		case strings.HasPrefix(cmd, "EHLO"):
			w("250-sink")
			w("250-ENHANCEDSTATUSCODES")
			w("250 AUTH CRAM-MD5")
		case strings.HasPrefix(cmd, "HELO"):
			w("250 sink")
		case strings.HasPrefix(cmd, "AUTH"):
			w("334 PDEyMzQ1LjY3ODlAc2luaz4=") // <12345.6789@sink>
			resp, err := r.ReadString('\n')
			if err != nil {
				return
			}
			s.mu.Lock()
			refuse := s.refuseLogins
			s.mu.Unlock()
			if !refuse {
				w("235 2.7.0 Authentication successful")
				break
			}
			user := "someone"
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(resp)); err == nil {
				user, _, _ = strings.Cut(string(b), " ")
			}
			w("535 5.7.8 Error: authentication failed for " + user)
		case strings.HasPrefix(cmd, "RCPT TO"):
			addr := strings.TrimSpace(line[8:])
			bare := strings.ToLower(strings.Trim(addr, "<>"))
			s.mu.Lock()
			rejected := s.reject[bare]
			if !rejected {
				s.rcpt = append(s.rcpt, addr)
			}
			s.mu.Unlock()
			if rejected {
				w("550 5.1.1 <" + bare + ">: Recipient address rejected: User unknown in virtual mailbox table")
				break
			}
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
