// Package mailtest reads back the messages written by authkit's mailers,
// for tests: the .eml files of mail.FileMailer, or the DATA an SMTP server
// received. Parse is strict, so a test that reads a message also checks
// that it is well formed.
package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Message is a parsed message.
type Message struct {
	From      string    // the sender, formatted by mail.Address.String: `"Name" <a@example.com>`
	To        string    // the recipient's bare address
	Subject   string    // RFC 2047 decoded
	Date      time.Time // the Date header
	MessageID string    // the Message-ID header, angle brackets included
	Text      string    // the text/plain part, decoded; line endings are CRLF
	HTML      string    // the text/html part, decoded; "" when there is none
	Header    mail.Header
	File      string // the file it was read from, for ReadDir; "" otherwise
}

// Parse reads raw, and fails unless it is a well-formed message as authkit
// writes them: CRLF line endings, lines of at most 998 bytes, one sender and
// one recipient, a Date, a Message-ID, MIME-Version 1.0, and either a UTF-8
// quoted-printable text/plain body or a multipart/alternative of text/plain
// then text/html.
func Parse(raw []byte) (Message, error) {
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			return Message{}, fmt.Errorf("mailtest: bare LF at byte %d", i)
		}
	}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			return Message{}, fmt.Errorf("mailtest: line of %d bytes", len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("mailtest: %w", err)
	}
	h := msg.Header
	m := Message{Header: h, MessageID: h.Get("Message-ID")}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		return Message{}, fmt.Errorf("mailtest: From %q: %v", h.Get("From"), err)
	}
	m.From = from[0].String()
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 {
		return Message{}, fmt.Errorf("mailtest: To %q: %v", h.Get("To"), err)
	}
	m.To = to[0].Address
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("mailtest: Subject: %w", err)
	}
	if m.Date, err = h.Date(); err != nil {
		return Message{}, fmt.Errorf("mailtest: Date: %w", err)
	}
	if !strings.HasPrefix(m.MessageID, "<") || !strings.HasSuffix(m.MessageID, ">") || !strings.Contains(m.MessageID, "@") {
		return Message{}, fmt.Errorf("mailtest: Message-ID %q", m.MessageID)
	}
	if v := h.Get("MIME-Version"); v != "1.0" {
		return Message{}, fmt.Errorf("mailtest: MIME-Version %q", v)
	}

	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return Message{}, fmt.Errorf("mailtest: Content-Type: %w", err)
	}
	switch mt {
	case "text/plain":
		if err := checkText(params, h.Get("Content-Transfer-Encoding")); err != nil {
			return Message{}, err
		}
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			return Message{}, fmt.Errorf("mailtest: body: %w", err)
		}
		m.Text = string(b)
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var types []string
		for {
			p, err := mr.NextRawPart() // raw, to check the encoding ourselves
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return Message{}, fmt.Errorf("mailtest: part: %w", err)
			}
			pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if err != nil {
				return Message{}, fmt.Errorf("mailtest: part Content-Type: %w", err)
			}
			if err := checkText(pp, p.Header.Get("Content-Transfer-Encoding")); err != nil {
				return Message{}, fmt.Errorf("%w (%s part)", err, pt)
			}
			b, err := io.ReadAll(quotedprintable.NewReader(p))
			if err != nil {
				return Message{}, fmt.Errorf("mailtest: %s part: %w", pt, err)
			}
			types = append(types, pt)
			switch pt {
			case "text/plain":
				m.Text = string(b)
			case "text/html":
				m.HTML = string(b)
			}
		}
		if !slices.Equal(types, []string{"text/plain", "text/html"}) {
			return Message{}, fmt.Errorf("mailtest: parts %v, want text/plain then text/html", types)
		}
	default:
		return Message{}, fmt.Errorf("mailtest: Content-Type %q", mt)
	}
	return m, nil
}

func checkText(params map[string]string, cte string) error {
	if params["charset"] != "utf-8" {
		return fmt.Errorf("mailtest: charset %q, want utf-8", params["charset"])
	}
	if !strings.EqualFold(cte, "quoted-printable") {
		return fmt.Errorf("mailtest: Content-Transfer-Encoding %q, want quoted-printable", cte)
	}
	return nil
}

// ReadDir parses every .eml file in dir (FileMailer's output), in name
// order, which is the order they were sent in. It ignores other files,
// such as a FileMailer's temporary files, and fails t on any error.
func ReadDir(t testing.TB, dir string) []Message {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	var msgs []Message
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".eml" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		m, err := Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m.File = path
		msgs = append(msgs, m)
	}
	return msgs
}
