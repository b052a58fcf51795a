package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	// ErrInvalidMessage is returned when a message cannot be sent as it is:
	// a missing or malformed recipient, an empty body, invalid UTF-8.
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrHeaderInjection is returned when To, Subject or From holds a CR, LF
	// or another control character, which could smuggle extra header fields
	// or recipients into the message. Such errors also match ErrInvalidMessage
	// (or ErrInvalidConfig for From).
	ErrHeaderInjection = errors.New("mail: control character in a header field")
	// ErrInvalidConfig is returned by constructors for a bad configuration.
	ErrInvalidConfig = errors.New("mail: invalid configuration")
)

// maxPlainSubject caps a subject that needs no encoding, so that the
// Subject line stays within RFC 5322's 998 characters. Encoded subjects are
// folded and have no such limit.
const maxPlainSubject = 900

// Message is one email. The sender (From) comes from the mailer's
// configuration, never from the message.
type Message struct {
	// To is the single recipient: "user@example.com" or "Name <user@example.com>".
	To string
	// Subject is the subject line, plain UTF-8; it is RFC 2047 encoded when needed.
	Subject string
	// Text is the text/plain body. It is required.
	Text string
	// HTML is the text/html body. When empty, the message is text/plain only.
	HTML string
}

// Mailer sends messages. Implementations must be safe for concurrent use.
type Mailer interface {
	// Send delivers m, or returns an error. It gives up when ctx is done.
	Send(ctx context.Context, m Message) error
}

// Encode returns m as an RFC 5322 message from the sender from, with CRLF
// line endings: a multipart/alternative of a text/plain and a text/html part
// (or text/plain alone when m.HTML is empty), UTF-8, quoted-printable, with
// Date, Message-ID, From, To, Subject and MIME-Version headers. Every mailer in
// this package builds its bytes with it.
func Encode(from string, m Message) ([]byte, error) {
	sender, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	e, err := encode(sender, m, time.Now())
	if err != nil {
		return nil, err
	}
	return e.raw, nil
}

// envelope is an encoded message with the addresses SMTP needs.
type envelope struct {
	from, to string // bare addresses, for MAIL FROM and RCPT TO
	raw      []byte
}

// encode is Encode for an already checked sender, at a given time.
func encode(from *mail.Address, m Message, now time.Time) (envelope, error) {
	to, err := checkMessage(m)
	if err != nil {
		return envelope{}, err
	}
	subject, err := encodeSubject(m.Subject)
	if err != nil {
		return envelope{}, err
	}

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", subject)
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")
	// RFC 3834: tells auto-responders not to answer.
	header("Auto-Submitted", "auto-generated")

	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return envelope{}, err
		}
		return envelope{from: from.Address, to: to.Address, raw: b.Bytes()}, nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("Content-Type", mime.FormatMediaType("multipart/alternative",
		map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// Least preferred first (RFC 2046 §5.1.4): clients show the last part
	// they understand.
	for _, p := range []struct{ typ, s string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return envelope{}, err
		}
		if err := writeQP(w, p.s); err != nil {
			return envelope{}, err
		}
	}
	if err := mw.Close(); err != nil {
		return envelope{}, err
	}
	b.Write(body.Bytes())
	return envelope{from: from.Address, to: to.Address, raw: b.Bytes()}, nil
}

// checkMessage validates m and returns its parsed recipient.
func checkMessage(m Message) (*mail.Address, error) {
	if err := checkHeader("To", m.To); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if err := checkHeader("Subject", m.Subject); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if m.To == "" {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// The address is not secret but may be long; the cause is enough.
		return nil, fmt.Errorf("%w: To: %w", ErrInvalidMessage, err)
	}
	if m.Text == "" {
		return nil, fmt.Errorf("%w: empty text body", ErrInvalidMessage)
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrInvalidMessage)
	}
	return to, nil
}

// checkHeader refuses control characters (tab aside) in a header value.
func checkHeader(name, v string) error {
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("%w: %s", ErrHeaderInjection, name)
		}
	}
	return nil
}

// parseFrom checks a configured sender address.
func parseFrom(from string) (*mail.Address, error) {
	if err := checkHeader("From", from); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if from == "" {
		return nil, fmt.Errorf("%w: From is required", ErrInvalidConfig)
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: From: %w", ErrInvalidConfig, err)
	}
	return a, nil
}

// encodeSubject applies RFC 2047 when s is not plain ASCII, folding between
// encoded words so that no line grows too long.
func encodeSubject(s string) (string, error) {
	enc := mime.QEncoding.Encode("utf-8", s)
	if enc == s {
		if len(s) > maxPlainSubject {
			return "", fmt.Errorf("%w: subject too long", ErrInvalidMessage)
		}
		return s, nil
	}
	// Encoded words never contain a space, so every space separates two words.
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?"), nil
}

// writeQP writes s quoted-printable; the writer turns every line ending
// into CRLF.
func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}

// messageID returns a fresh, globally unique Message-ID in the sender's domain.
func messageID(from string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && isDotAtom(from[i+1:]) {
		domain = from[i+1:]
	}
	return "<" + rand.Text() + "@" + domain + ">"
}

// isDotAtom reports whether s is a plain ASCII domain usable in a Message-ID.
func isDotAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
