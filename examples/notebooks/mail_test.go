package main

import (
	"bytes"
	"errors"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/go-authkit/authkit/internal/testlog"
)

// message is a mail read back as a mail client would.
type message struct {
	to, subject string
	text, html  string
}

// parseMail reads an RFC 5322 message: multipart/alternative of a
// text/plain and a text/html part, quoted-printable.
func parseMail(t *testing.T, raw []byte) message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read mail: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	msg := message{to: m.Header.Get("To"), subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart() // raw: decode quoted-printable ourselves
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("mail part: %v", err)
		}
		var body io.Reader = p
		if cte := p.Header.Get("Content-Transfer-Encoding"); strings.EqualFold(cte, "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("mail part body: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			msg.text = string(b)
		case "text/html":
			msg.html = string(b)
		}
	}
	if msg.text == "" || msg.html == "" {
		t.Fatalf("mail without a text or an HTML part:\n%s", raw)
	}
	return msg
}

var linkRE = regexp.MustCompile(`https?://[^\s"'<>]+`)

// links returns the distinct links in s, in order.
func links(s string) []string {
	var out []string
	for _, l := range linkRE.FindAllString(s, -1) {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// oneLink checks that the mail carries exactly one link, the same in both
// parts, starting with prefix, and returns its token.
func oneLink(t *testing.T, m message, prefix string) string {
	t.Helper()
	text, htm := links(m.text), links(html.UnescapeString(m.html))
	if len(linkRE.FindAllString(m.text, -1)) != 1 || !slices.Equal(text, htm) {
		t.Fatalf("mail links: text %v, html %v; want one, the same", text, htm)
	}
	token, ok := strings.CutPrefix(text[0], prefix)
	if !ok || token == "" || strings.ContainsAny(token, "&#?") {
		t.Fatalf("link %q, want %s<token>", text[0], prefix)
	}
	return token
}

// waitMails waits until dir holds n .eml files and returns them, oldest first.
func waitMails(t *testing.T, dir string, n int) []message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(names) > n {
			t.Fatalf("%d mails in %s, want %d", len(names), dir, n)
		}
		if len(names) == n {
			slices.Sort(names) // the names sort by time
			var out []message
			for _, name := range names {
				raw, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, parseMail(t, raw))
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails in %s after 10s, want %d", len(names), dir, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// -mail-dir: registering mails the verify link at once; the reset and
// verify mails land as .eml files whose one link points at -public-url,
// and the tokens in them work once.
func TestMailDir(t *testing.T) {
	dir := t.TempDir()
	base := startService(t, "-db", sqliteDSN(t), "-mail-dir", dir, "-public-url", "https://notes.example.com/app")
	anon := &client{t: t, base: base}
	register(t, base, "ada@example.com", pw)
	first := waitMails(t, dir, 1)[0]
	if first.to != "<ada@example.com>" && first.to != "ada@example.com" || first.subject == "" {
		t.Fatalf("verify mail at registration: to %q, subject %q", first.to, first.subject)
	}
	oneLink(t, first, "https://notes.example.com/app/verify?token=")

	anon.expect(202, "POST", "/auth/forgot-password", `{"email":"nobody@example.com"}`, nil)
	anon.expect(202, "POST", "/auth/forgot-password", `{"email":"ada@example.com"}`, nil)
	m := waitMails(t, dir, 2)[1]
	if m.to != "<ada@example.com>" && m.to != "ada@example.com" {
		t.Fatalf("reset mail to %q", m.to)
	}
	if m.subject != "Reset your Notebooks password" {
		t.Fatalf("subject %q", m.subject)
	}
	token := oneLink(t, m, "https://notes.example.com/app/reset-password?token=")

	// The reset token is no access token, nor a verify token: each kind has its own key.
	(&client{t: t, base: base, hdr: map[string][]string{"Authorization": {"Bearer " + token}}}).
		expectDetail(401, "GET", "/users/me", "", `{"detail":"Unauthorized"}`)
	anon.expectDetail(400, "POST", "/auth/verify", `{"token":"`+token+`"}`, `{"detail":"VERIFY_USER_BAD_TOKEN"}`)

	const newPW = "a-brand-new-passphrase"
	anon.expect(200, "POST", "/auth/reset-password", `{"token":"`+token+`","password":"`+newPW+`"}`, nil)
	anon.expectDetail(400, "POST", "/auth/reset-password", `{"token":"`+token+`","password":"another-new-passphrase"}`,
		`{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
	ada := login(t, base, "jwt", "ada@example.com", newPW)

	anon.expect(202, "POST", "/auth/request-verify-token", `{"email":"ada@example.com"}`, nil)
	m = waitMails(t, dir, 3)[2]
	vtoken := oneLink(t, m, "https://notes.example.com/app/verify?token=")
	anon.expectDetail(400, "POST", "/auth/reset-password", `{"token":"`+vtoken+`","password":"yet-another-passphrase"}`,
		`{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
	var u struct {
		IsVerified bool `json:"is_verified"`
	}
	anon.expect(200, "POST", "/auth/verify", `{"token":"`+vtoken+`"}`, &u)
	ada.expect(200, "GET", "/users/me", "", &u)
	if !u.IsVerified {
		t.Fatal("not verified after /auth/verify")
	}
}

// Without -public-url, the links point at the address the service listens on.
func TestMailDirDefaultPublicURL(t *testing.T) {
	dir := t.TempDir()
	base := startService(t, "-db", sqliteDSN(t), "-mail-dir", dir)
	register(t, base, "ada@example.com", pw)
	oneLink(t, waitMails(t, dir, 1)[0], base+"/verify?token=")
	(&client{t: t, base: base}).expect(202, "POST", "/auth/forgot-password", `{"email":"ada@example.com"}`, nil)
	oneLink(t, waitMails(t, dir, 2)[1], base+"/reset-password?token=")
}

// By default, mails are printed on stderr, with a warning.
func TestLogMailer(t *testing.T) {
	var stderr testlog.Buffer
	base := startServiceLogging(t, &stderr, "-db", sqliteDSN(t))
	register(t, base, "ada@example.com", pw)
	(&client{t: t, base: base}).expect(202, "POST", "/auth/forgot-password", `{"email":"ada@example.com"}`, nil)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "----- end of mail -----") {
		if time.Now().After(deadline) {
			t.Fatalf("no mail on stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := stderr.String()
	if !strings.Contains(out, "mails are printed on stderr") || !strings.Contains(out, base+"/reset-password?token=") {
		t.Fatalf("stderr:\n%s", out)
	}
}

// smtpServer is a real SMTP server (emersion/go-smtp) on loopback that
// wants AUTH PLAIN and keeps what it receives.
type smtpServer struct {
	addr string
	got  chan smtpMail
}

type smtpMail struct {
	user, from string
	to         []string
	data       []byte
}

type smtpSession struct {
	srv  *smtpServer
	user string
	cur  smtpMail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "notes" || pass != "s3cret" {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = smtpMail{user: s.user, from: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.got <- s.cur
	return nil
}

func (s *smtpSession) Reset()        { s.cur = smtpMail{} }
func (s *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ts := &smtpServer{got: make(chan smtpMail, 4)}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: ts}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.AllowInsecureAuth = true // plain text, on loopback only
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Serve(l) })
	t.Cleanup(func() {
		_ = s.Close()
		_ = l.Close()
		wg.Wait()
	})
	return ts
}

// -smtp: the verify mail of a registration, then the reset mail, go
// through a real SMTP server, authenticated.
func TestSMTP(t *testing.T) {
	srv := startSMTP(t)
	base := startService(t, "-db", sqliteDSN(t), "-smtp", "smtp://notes:s3cret@"+srv.addr+"?tls=none",
		"-mail-from", "Notes <notes@example.com>")
	next := func(link string) {
		t.Helper()
		select {
		case got := <-srv.got:
			if got.user != "notes" || got.from != "notes@example.com" || !slices.Equal(got.to, []string{"ada@example.com"}) {
				t.Fatalf("SMTP session: user %q from %q to %v", got.user, got.from, got.to)
			}
			oneLink(t, parseMail(t, got.data), base+link)
		case <-time.After(10 * time.Second):
			t.Fatal("no mail reached the SMTP server")
		}
	}
	register(t, base, "ada@example.com", pw)
	next("/verify?token=")
	(&client{t: t, base: base}).expect(202, "POST", "/auth/forgot-password", `{"email":"ada@example.com"}`, nil)
	next("/reset-password?token=")
}

// Each kind of token has its own key, derived from AUTHKIT_SECRET.
func TestDeriveSecrets(t *testing.T) {
	master := []byte("an example secret that is long enough, surely")
	s, err := deriveSecrets(master)
	if err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{s.access, s.reset, s.verify, master}
	for i := range keys {
		if i < 3 && len(keys[i]) != 32 {
			t.Fatalf("key %d has %d bytes", i, len(keys[i]))
		}
		for j := range i {
			if bytes.Equal(keys[i], keys[j]) {
				t.Fatalf("keys %d and %d are the same", i, j)
			}
		}
	}
	again, _ := deriveSecrets(master)
	if !bytes.Equal(again.reset, s.reset) {
		t.Fatal("derivation is not deterministic: tokens would not survive a restart")
	}
	if _, err := deriveSecrets(master[:31]); err == nil {
		t.Fatal("a 31-byte secret was accepted")
	}
}
