package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

const (
	testUser = "mailer@example.com"
	testPass = "s3cret pass/word"
	testFrom = "Exämple <no-reply@example.com>"
)

// newTestMailer returns an SMTPMailer for ts, trusting ca.
func newTestMailer(t *testing.T, ts *testServer, mode TLSMode, ca testCA, user, pass string) *SMTPMailer {
	t.Helper()
	m, err := NewSMTPMailer(SMTPConfig{
		Host: ts.host, Port: ts.port, Username: user, Password: pass,
		From: testFrom, TLS: mode, TLSConfig: ca.client,
		DialTimeout: 5 * time.Second, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testComposer(t *testing.T) *Composer {
	t.Helper()
	c, err := NewComposer(ComposerConfig{PublicURL: "https://app.example.com/ui/", AppName: "Ünïcode App"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSMTPMailerStartTLSAndAuth(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, testPass)

	// A token with characters that must be escaped in a query.
	const token = "eyJhbGciOi.J9+x/y=z&a b"
	msg, err := testComposer(t).Verify("Bob.Smith@example.org", token, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := ts.next(t)
	if !r.tls {
		t.Error("the message travelled without TLS")
	}
	if r.user != testUser {
		t.Errorf("authenticated as %q, want %q", r.user, testUser)
	}
	if r.from != "no-reply@example.com" || len(r.to) != 1 || r.to[0] != "Bob.Smith@example.org" {
		t.Errorf("envelope from %q to %q", r.from, r.to)
	}

	p := parseMessage(t, r.data)
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Exämple" || from[0].Address != "no-reply@example.com" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "Bob.Smith@example.org" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if raw := p.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("non-ASCII subject not RFC 2047 encoded: %q", raw)
	}
	if want := "Verify your email address for Ünïcode App"; p.Subject != want {
		t.Errorf("Subject = %q, want %q", p.Subject, want)
	}
	if !strings.HasSuffix(p.Header.Get("Message-ID"), "@example.com>") {
		t.Errorf("Message-ID %q not in the sender's domain", p.Header.Get("Message-ID"))
	}
	link := "https://app.example.com/ui/verify?token=eyJhbGciOi.J9%2Bx%2Fy%3Dz%26a+b"
	checkOneLink(t, p, link)
	for _, part := range []string{p.Text, p.HTML} {
		if !strings.Contains(part, "Bob.Smith@example.org") || !strings.Contains(part, "1 hour") {
			t.Errorf("part lacks the email or the lifetime:\n%s", part)
		}
	}
}

func TestSMTPMailerWrongPassword(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, "wrong")
	err := m.Send(t.Context(), Message{To: "a@example.org", Subject: "s", Text: "t"})
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 535 {
		t.Fatalf("Send with a wrong password = %v, want a 535 reply", err)
	}
	if n := ts.mails.Load(); n != 0 {
		t.Errorf("MAIL FROM sent %d times after a failed AUTH", n)
	}
}

func TestSMTPMailerRefusesServerWithoutStartTLS(t *testing.T) {
	// No TLS on the server, but AUTH offered in clear: a downgrade the
	// client must not fall for.
	ts := startServer(t, serverOpts{user: testUser, pass: testPass, insecureAuth: true})
	m := newTestMailer(t, ts, StartTLS, testCA{}, testUser, testPass)
	err := m.Send(t.Context(), Message{To: "a@example.org", Subject: "s", Text: "t"})
	if !errors.Is(err, ErrNoStartTLS) {
		t.Fatalf("Send = %v, want ErrNoStartTLS", err)
	}
	if a, ml := ts.auths.Load(), ts.mails.Load(); a != 0 || ml != 0 {
		t.Errorf("AUTH sent %d times, MAIL %d times, without TLS", a, ml)
	}
}

func TestSMTPMailerRefusesUntrustedCertificate(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass})
	other := newTestCA(t) // trusts another certificate
	m := newTestMailer(t, ts, StartTLS, other, testUser, testPass)
	err := m.Send(t.Context(), Message{To: "a@example.org", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, want a certificate error", err)
	}
	if a := ts.auths.Load(); a != 0 {
		t.Errorf("AUTH sent %d times to an untrusted server", a)
	}
}

func TestSMTPMailerImplicitTLS(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, implicit: true, user: testUser, pass: testPass})
	m := newTestMailer(t, ts, ImplicitTLS, ca, testUser, testPass)
	if err := m.Send(t.Context(), Message{To: "a@example.org", Subject: "hi", Text: "body"}); err != nil {
		t.Fatal(err)
	}
	if r := ts.next(t); !r.tls || r.user != testUser {
		t.Errorf("tls=%v user=%q", r.tls, r.user)
	}
}

func TestSMTPMailerNoTLSLoopback(t *testing.T) {
	// The server offers STARTTLS; NoTLS must not take it.
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass, insecureAuth: true})
	m := newTestMailer(t, ts, NoTLS, testCA{}, testUser, testPass)
	if err := m.Send(t.Context(), Message{To: "a@example.org", Subject: "hi", Text: "body"}); err != nil {
		t.Fatal(err)
	}
	if r := ts.next(t); r.tls || r.user != testUser {
		t.Errorf("tls=%v user=%q, want plain text, authenticated", r.tls, r.user)
	}
}

func TestSMTPMailerRefusesHeaderInjection(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, testPass)
	for _, msg := range []Message{
		{To: "victim@example.org\r\nBcc: attacker@evil.example", Subject: "s", Text: "t"},
		{To: "victim@example.org\nBcc: attacker@evil.example", Subject: "s", Text: "t"},
		{To: "victim@example.org", Subject: "hello\r\nBcc: attacker@evil.example", Text: "t"},
		{To: "victim@example.org", Subject: "hello\rX-Evil: 1", Text: "t"},
	} {
		if err := m.Send(t.Context(), msg); !errors.Is(err, ErrHeaderInjection) || !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%q, %q) = %v, want ErrHeaderInjection", msg.To, msg.Subject, err)
		}
	}
	if n := ts.conns.Load(); n != 0 {
		t.Errorf("%d connections made for refused messages", n)
	}
	_, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", From: "a@example.com\r\nBcc: x@evil.example"})
	if !errors.Is(err, ErrHeaderInjection) || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("From with CRLF: %v, want ErrHeaderInjection and ErrInvalidConfig", err)
	}
}

func TestSMTPMailerHonoursContext(t *testing.T) {
	ca := newTestCA(t)
	block := make(chan struct{})
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass, block: block})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, testPass)

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Send(ctx, Message{To: "a@example.org", Subject: "s", Text: "t"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send against a stalled server = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v to give up", d)
	}

	// Cancellation, without a deadline, unblocks too.
	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := m.Send(ctx, Message{To: "a@example.org", Subject: "s", Text: "t"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send cancelled = %v, want Canceled", err)
	}

	// The configured Timeout applies without any deadline on ctx.
	m.cfg.Timeout = 300 * time.Millisecond
	if err := m.Send(context.Background(), Message{To: "a@example.org", Subject: "s", Text: "t"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send past Timeout = %v, want DeadlineExceeded", err)
	}
}

func TestNewSMTPMailerConfig(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", From: "no-reply@example.com"}
	m, err := NewSMTPMailer(ok)
	if err != nil {
		t.Fatal(err)
	}
	if m.cfg.Port != 587 || m.cfg.Timeout != DefaultSMTPTimeout || m.cfg.DialTimeout != DefaultDialTimeout ||
		m.cfg.HelloName != "localhost" || m.tls.ServerName != "smtp.example.com" {
		t.Errorf("defaults not applied: %+v", m.cfg)
	}
	// The caller's tls.Config is cloned, not modified.
	tc := &tls.Config{}
	if _, err := NewSMTPMailer(SMTPConfig{Host: "smtp.example.com", From: "a@example.com", TLSConfig: tc}); err != nil || tc.ServerName != "" {
		t.Errorf("caller's tls.Config changed: %q, %v", tc.ServerName, err)
	}

	for name, mod := range map[string]func(*SMTPConfig){
		"no host":                 func(c *SMTPConfig) { c.Host = "" },
		"host with space":         func(c *SMTPConfig) { c.Host = "smtp example.com" },
		"host with path":          func(c *SMTPConfig) { c.Host = "smtp.example.com/x" },
		"port out of range":       func(c *SMTPConfig) { c.Port = 70000 },
		"no TLS to a remote host": func(c *SMTPConfig) { c.TLS = NoTLS },
		"unknown TLS mode":        func(c *SMTPConfig) { c.TLS = 7 },
		"user without password":   func(c *SMTPConfig) { c.Username = "u" },
		"password without user":   func(c *SMTPConfig) { c.Password = "p" },
		"no From":                 func(c *SMTPConfig) { c.From = "" },
		"two senders":             func(c *SMTPConfig) { c.From = "a@example.com, b@example.com" },
		"negative timeout":        func(c *SMTPConfig) { c.Timeout = -1 },
		"hello with CRLF":         func(c *SMTPConfig) { c.HelloName = "x\r\nMAIL FROM:<a@b>" },
	} {
		c := ok
		mod(&c)
		if _, err := NewSMTPMailer(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := NewSMTPMailer(SMTPConfig{Host: h, TLS: NoTLS, From: "a@example.com"}); err != nil {
			t.Errorf("NoTLS to %s: %v", h, err)
		}
	}
}

func TestSMTPConfigStringRedactsPassword(t *testing.T) {
	c := SMTPConfig{Host: "smtp.example.com", Username: "user", Password: "hunter2hunter2", TLS: ImplicitTLS}
	for _, s := range []string{c.String(), fmtV(c)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password shown: %s", s)
		}
	}
	if got, want := c.String(), "smtps://user:xxxxx@smtp.example.com:465"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
