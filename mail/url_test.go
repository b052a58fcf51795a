package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func fmtV(v any) string { return fmt.Sprintf("%v %+v %s", v, v, v) }

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SMTPConfig
	}{
		{"smtp://smtp.example.com", SMTPConfig{Host: "smtp.example.com", Port: 587}},
		{"smtp://user:pass@smtp.example.com:2525", SMTPConfig{Host: "smtp.example.com", Port: 2525, Username: "user", Password: "pass"}},
		{"smtp://user:pass@smtp.example.com:587/", SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "user", Password: "pass"}},
		{"SMTP://smtp.example.com?tls=starttls", SMTPConfig{Host: "smtp.example.com", Port: 587}},
		// Percent-escapes in user and password: '@', ':', '/' and '%'.
		{"smtp://me%40example.com:p%3Ass%2Fw%25rd@smtp.example.com", SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "me@example.com", Password: "p:ss/w%rd"}},
		{"smtps://user:pass@smtp.example.com", SMTPConfig{Host: "smtp.example.com", Port: 465, Username: "user", Password: "pass", TLS: ImplicitTLS}},
		{"smtps://smtp.example.com:4650?tls=implicit", SMTPConfig{Host: "smtp.example.com", Port: 4650, TLS: ImplicitTLS}},
		{"smtp://localhost:1025?tls=none", SMTPConfig{Host: "localhost", Port: 1025, TLS: NoTLS}},
		{"smtp://127.0.0.1?tls=none", SMTPConfig{Host: "127.0.0.1", Port: 25, TLS: NoTLS}},
		{"smtp://[::1]:25?tls=none", SMTPConfig{Host: "::1", Port: 25, TLS: NoTLS}},
		{"smtp://[2001:db8::1]", SMTPConfig{Host: "2001:db8::1", Port: 587}},
	} {
		got, err := ParseSMTPURL(tc.in)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseSMTPURL(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}

	for _, in := range []string{
		"",
		"smtp.example.com:587",
		"http://smtp.example.com",
		"smtp:smtp.example.com",
		"smtp://",
		"smtp://:587",
		"smtp://smtp.example.com:0",
		"smtp://smtp.example.com:65536",
		"smtp://smtp.example.com:-1",
		"smtp://smtp.example.com:x",
		"smtp://smtp.example.com/path",
		"smtp://smtp.example.com#frag",
		"smtp://smtp.example.com?",
		"smtp://smtp.example.com?tls=none", // plain text to a remote host
		"smtp://smtp.example.com?tls=implicit",
		"smtp://smtp.example.com?tls=NONE",
		"smtp://localhost?tls=none&tls=none",
		"smtps://localhost?tls=none",
		"smtp://smtp.example.com?from=a@example.com",
		"smtp://smtp.example.com?tls=%zz",
		"smtp://user@smtp.example.com",   // user without password
		"smtp://:pass@smtp.example.com",  // password without user
		"smtp://bücher.example/",         // not punycode
		"smtp://smtp.example.com%0d%0a/", // CRLF in the host
		"smtp://smtp example.com",
		"smtp://smtp.example.com\r\n",
	} {
		if c, err := ParseSMTPURL(in); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want ErrInvalidConfig", in, c, err)
		}
	}
}

func TestParseSMTPURLErrorsHideThePassword(t *testing.T) {
	const pw = "Sup3rS3cretPassw0rd"
	for _, in := range []string{
		"smtp://user:" + pw + "@smtp.example.com:99999",
		"smtp://user:" + pw + "@smtp.example.com:x",
		"smtp://user:" + pw + "@smtp.example.com/path",
		"smtp://user:" + pw + "@smtp.example.com?tls=none",
		"smtp://user:" + pw + "@smtp example.com",
		"smtp://user:" + pw + "@smtp.example.com\n",
		"user:" + pw + "@smtp.example.com",
		"ftp://user:" + pw + "@smtp.example.com",
		"smtp://user:" + pw + "%zz@smtp.example.com",
	} {
		_, err := ParseSMTPURL(in)
		if err == nil {
			t.Errorf("ParseSMTPURL(%q) succeeded", in)
			continue
		}
		if strings.Contains(err.Error(), pw[:8]) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{
		"smtp://user:pass@smtp.example.com:587",
		"smtps://smtp.example.com",
		"smtp://localhost:1025?tls=none",
		"smtp://[::1]?tls=none",
		"smtp://u%40x:p%3A@h:1",
		"smtp://h:65535/",
		"smtp://h?tls=starttls",
		"smtp://user:pass@h:99999",
		"smtp://a:b@[fe80::1%25eth0]:25",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseSMTPURL(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not match ErrInvalidConfig", err)
			}
			// Whatever the parse problem, the password is not repeated.
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				// (Unless the rest of the URL holds the same text: an error
				// may quote the host.)
				rest := u.Host + u.Path + u.RawQuery + u.User.Username()
				if pw, ok := u.User.Password(); ok && len(pw) >= 6 && strings.Contains(err.Error(), pw) && !strings.Contains(rest, pw) {
					t.Fatalf("error shows the password: %v", err)
				}
			}
			return
		}
		if c.checkTransport() != nil {
			t.Fatalf("accepted config fails its own check: %#v", c)
		}
		if c.Port < 1 || c.Port > 65535 {
			t.Fatalf("port %d", c.Port)
		}
		if c.TLS == NoTLS && !isLoopback(c.Host) {
			t.Fatalf("plain text to %q", c.Host)
		}
		if strings.ContainsAny(c.Host, " \t\r\n/@?#") {
			t.Fatalf("host %q", c.Host)
		}
		// What was parsed prints back to a URL that parses to the same.
		back, err := ParseSMTPURL(c.url().String())
		if err != nil || back != c {
			t.Fatalf("round trip of %#v: %#v, %v", c, back, err)
		}
		if c.Password != "" {
			if r, err := ParseSMTPURL(c.String()); err != nil || r.Password != "xxxxx" {
				t.Fatalf("String() = %q does not redact the password (%v)", c.String(), err)
			}
		}
	})
}
