// Package smtptest is a real SMTP server (emersion/go-smtp) on loopback for
// tests that need one to fail and recover: it accepts mail, answers 451
// "try again later" or 550, or is down (connections refused), and records
// what it accepted.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mode is how the server answers.
type Mode int

// The modes; Accept takes every message.
const (
	Accept   Mode = iota
	TryLater      // 451 to every recipient
	Reject        // 550 to every recipient
	Down          // nothing listens: connecting is refused
)

// Mail is one accepted message.
type Mail struct {
	From string
	To   []string
	Data []byte
}

// Server is a test SMTP server. Its mails are accepted in order.
type Server struct {
	t    testing.TB
	addr string

	mu      sync.Mutex
	mode    Mode
	srv     *smtp.Server
	ln      net.Listener
	mails   []Mail
	refused int // recipients answered 451 or 550
	arrived chan struct{}
	wg      sync.WaitGroup
}

// Start starts a server on 127.0.0.1, accepting, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, arrived: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() { s.Set(Down) })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// URL is an smtp:// URL of the server, without TLS (it is on loopback).
func (s *Server) URL() string { return "smtp://" + s.addr + "?tls=none" }

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = discard{}
	s.srv, s.ln = srv, ln
	s.wg.Go(func() { _ = srv.Serve(ln) })
}

// Set switches the mode; from Down, the server listens again on its
// address.
func (s *Server) Set(m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m == s.mode && (m != Down || s.srv == nil) {
		return
	}
	if m == Down && s.srv != nil {
		s.srv.Close()
		s.ln.Close() // Serve may not have registered it yet
		s.srv = nil
		s.mu.Unlock()
		s.wg.Wait()
		s.mu.Lock()
	}
	if m != Down && s.srv == nil {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.t.Errorf("smtptest: listen again on %s: %v", s.addr, err)
			return
		}
		s.serve(ln)
	}
	s.mode = m
}

// Mails returns the messages accepted so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Refused is how many recipients were answered 451 or 550.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Wait waits until n messages in all were accepted, or fails the test
// after timeout.
func (s *Server) Wait(n int, timeout time.Duration) []Mail {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		if m := s.Mails(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			s.t.Fatalf("smtptest: %d of %d mails arrived in %v", len(s.Mails()), n, timeout)
		}
	}
}

type session struct {
	s   *Server
	cur Mail
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.cur = Mail{From: from}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	switch x.s.mode {
	case TryLater:
		x.s.refused++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	case Reject:
		x.s.refused++
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	if len(x.cur.To) == 0 {
		return errors.New("no recipient")
	}
	x.cur.Data = b.Bytes()
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, x.cur)
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.cur = Mail{} }
func (x *session) Logout() error { return nil }

type discard struct{}

func (discard) Printf(string, ...any) {}
func (discard) Println(...any)        {}
