package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestEncodeMultipart(t *testing.T) {
	text := "Line one\n.leading dot\nFrom the start\n" + strings.Repeat("long ", 40) + "\ntrailing space \nünïcödé = equals\n"
	htm := "<p>Hello <b>ü</b></p>\n<p>" + strings.Repeat("x", 200) + "</p>"
	raw, err := Encode("App <app@example.com>", Message{To: "Bob <bob@example.org>", Subject: "Plain subject", Text: text, HTML: htm})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if p.Subject != "Plain subject" || p.Header.Get("Subject") != "Plain subject" {
		t.Errorf("ASCII subject = %q (raw %q), want it unencoded", p.Subject, p.Header.Get("Subject"))
	}
	// Quoted-printable turns line endings into CRLF; everything else survives.
	if want := strings.ReplaceAll(text, "\n", "\r\n"); p.Text != want {
		t.Errorf("text part:\n%q\nwant\n%q", p.Text, want)
	}
	if want := strings.ReplaceAll(htm, "\n", "\r\n"); p.HTML != want {
		t.Errorf("HTML part:\n%q\nwant\n%q", p.HTML, want)
	}
	if got := p.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
}

func TestEncodeTextOnly(t *testing.T) {
	raw, err := Encode("app@example.com", Message{To: "bob@example.org", Subject: "s", Text: "just text"})
	if err != nil {
		t.Fatal(err)
	}
	if p := parseMessage(t, raw); p.Text != "just text" || p.HTML != "" {
		t.Errorf("text %q html %q", p.Text, p.HTML)
	}
}

func TestEncodeLongNonASCIISubject(t *testing.T) {
	subject := strings.Repeat("Réinitialisez votre mot de passe — ", 12)
	raw, err := Encode("app@example.com", Message{To: "bob@example.org", Subject: subject, Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	// The subject is folded between encoded words of at most 75 bytes
	// (RFC 2047), so no line is longer than "Subject: " and one word.
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	folded := 0
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(line, " =?utf-8?") {
			folded++
		}
		if len(line) > len("Subject: ")+75 && !strings.HasPrefix(line, "Content-Type:") {
			t.Errorf("header line of %d bytes: %q", len(line), line)
		}
	}
	if folded < 5 {
		t.Errorf("a %d-byte subject folded %d times", len(subject), folded)
	}
	if p := parseMessage(t, raw); p.Subject != subject {
		t.Errorf("subject = %q, want %q", p.Subject, subject)
	}
}

func TestEncodeMessageIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		raw, err := Encode("app@example.com", Message{To: "bob@example.org", Text: "t"})
		if err != nil {
			t.Fatal(err)
		}
		id := parseMessage(t, raw).Header.Get("Message-ID")
		if seen[id] {
			t.Fatalf("Message-ID %s repeated", id)
		}
		seen[id] = true
	}
}

func TestEncodeRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		m    Message
		want []error
	}{
		"CRLF in To":         {Message{To: "a@example.org\r\nBcc: x@evil.example", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"LF in To":           {Message{To: "a@example.org\nBcc: x@evil.example", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"CR in To":           {Message{To: "a@example.org\rBcc: x@evil.example", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"folded To":          {Message{To: "a@example.org\r\n b@example.org", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"CRLF in Subject":    {Message{To: "a@example.org", Subject: "hi\r\nBcc: x@evil.example", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"NUL in Subject":     {Message{To: "a@example.org", Subject: "hi\x00", Text: "t"}, []error{ErrInvalidMessage, ErrHeaderInjection}},
		"no recipient":       {Message{Text: "t"}, []error{ErrInvalidMessage}},
		"two recipients":     {Message{To: "a@example.org, b@example.org", Text: "t"}, []error{ErrInvalidMessage}},
		"not an address":     {Message{To: "not an address", Text: "t"}, []error{ErrInvalidMessage}},
		"empty text":         {Message{To: "a@example.org", HTML: "<p>x</p>"}, []error{ErrInvalidMessage}},
		"invalid UTF-8":      {Message{To: "a@example.org", Text: "\xff"}, []error{ErrInvalidMessage}},
		"subject too long":   {Message{To: "a@example.org", Subject: strings.Repeat("a", 1000), Text: "t"}, []error{ErrInvalidMessage}},
		"invalid UTF-8 HTML": {Message{To: "a@example.org", Text: "t", HTML: "\xc3"}, []error{ErrInvalidMessage}},
	} {
		_, err := Encode("app@example.com", tc.m)
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v, want %v", name, err, w)
			}
		}
	}
	for _, from := range []string{"", "app@example.com\r\nBcc: x@evil.example", "a@example.com, b@example.com", "nope"} {
		if _, err := Encode(from, Message{To: "a@example.org", Text: "t"}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("From %q: %v, want ErrInvalidConfig", from, err)
		}
	}
}
