package mail

import (
	"errors"
	htmltemplate "html/template"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
)

func TestComposerLinks(t *testing.T) {
	for _, tc := range []struct {
		public, kind, token, want string
	}{
		{"https://app.example.com", "verify", "abc.def-ghi_jkl", "https://app.example.com/verify?token=abc.def-ghi_jkl"},
		{"https://app.example.com/", "reset", "abc", "https://app.example.com/reset-password?token=abc"},
		{"https://example.com/app/", "verify", "a+b/c=d&e f", "https://example.com/app/verify?token=a%2Bb%2Fc%3Dd%26e+f"},
		{"http://localhost:5173", "reset", `"><script>`, "http://localhost:5173/reset-password?token=%22%3E%3Cscript%3E"},
		{"http://127.0.0.1:3000/x", "verify", "t", "http://127.0.0.1:3000/x/verify?token=t"},
	} {
		c, err := NewComposer(ComposerConfig{PublicURL: tc.public, AppName: "App"})
		if err != nil {
			t.Fatalf("%s: %v", tc.public, err)
		}
		compose := c.Verify
		if tc.kind == "reset" {
			compose = c.Reset
		}
		msg, err := compose("bob@example.org", tc.token, 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if msg.To != "bob@example.org" {
			t.Errorf("To = %q", msg.To)
		}
		raw, err := Encode("app@example.com", msg)
		if err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, raw)
		checkOneLink(t, p, tc.want)
		if !strings.Contains(p.Text, "2 hours") || !strings.Contains(p.HTML, "2 hours") {
			t.Errorf("lifetime missing:\n%s\n%s", p.Text, p.HTML)
		}
	}
}

func TestComposerSubjectsAndEscaping(t *testing.T) {
	c, err := NewComposer(ComposerConfig{PublicURL: "https://app.example.com", AppName: `<b>"Acme" & Co</b>`})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Verify("bob@example.org", "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Reset("bob@example.org", "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if v.Subject != `Verify your email address for <b>"Acme" & Co</b>` || r.Subject != `Reset your <b>"Acme" & Co</b> password` {
		t.Errorf("subjects %q, %q", v.Subject, r.Subject)
	}
	if strings.Contains(v.HTML, "<b>\"Acme") || !strings.Contains(v.HTML, "&lt;b&gt;") {
		t.Errorf("app name not escaped in HTML:\n%s", v.HTML)
	}
	if !strings.Contains(v.Text, `<b>"Acme" & Co</b>`) {
		t.Errorf("text part escaped the app name:\n%s", v.Text)
	}
	if !strings.Contains(r.Text, "works only once") {
		t.Errorf("reset text:\n%s", r.Text)
	}

	// AppName defaults to the public host name.
	c, err = NewComposer(ComposerConfig{PublicURL: "https://app.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Verify("bob@example.org", "t", 0); v.Subject != "Verify your email address for app.example.com" {
		t.Errorf("subject %q", v.Subject)
	}
}

func TestComposerOverrides(t *testing.T) {
	subject := texttemplate.Must(texttemplate.New("").Parse("  Welcome to {{.AppName}}, {{.Email}}\n"))
	c, err := NewComposer(ComposerConfig{
		PublicURL: "https://app.example.com",
		AppName:   "Acme",
		Templates: Templates{Verify: Template{Subject: subject}},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Verify("bob@example.org", "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if v.Subject != "Welcome to Acme, bob@example.org" {
		t.Errorf("subject %q", v.Subject)
	}
	if !strings.Contains(v.Text, "Please confirm") || !strings.Contains(v.HTML, "<!DOCTYPE html>") {
		t.Error("default bodies not kept beside an overridden subject")
	}

	noLink := texttemplate.Must(texttemplate.New("").Parse("Hello {{.Email}}"))
	noLinkHTML := htmltemplate.Must(htmltemplate.New("").Parse("<p>Hello {{.Email}}</p>"))
	badSubject := texttemplate.Must(texttemplate.New("").Parse("Hi\nBcc: x@evil.example"))
	failing := texttemplate.Must(texttemplate.New("").Parse("{{.Missing}}"))
	for name, tpl := range map[string]Templates{
		"text without link":   {Reset: Template{Text: noLink}},
		"HTML without link":   {Verify: Template{HTML: noLinkHTML}},
		"subject with a LF":   {Reset: Template{Subject: badSubject}},
		"template that fails": {Verify: Template{Text: failing}},
	} {
		if _, err := NewComposer(ComposerConfig{PublicURL: "https://app.example.com", Templates: tpl}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestComposerRefuses(t *testing.T) {
	for _, u := range []string{
		"",
		"app.example.com",
		"/verify",
		"http://app.example.com",
		"ftp://app.example.com",
		"javascript:alert(1)",
		"https://user:pw@app.example.com",
		"https://app.example.com/?next=x",
		"https://app.example.com/#x",
		"https:///x",
	} {
		if _, err := NewComposer(ComposerConfig{PublicURL: u}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("PublicURL %q: %v, want ErrInvalidConfig", u, err)
		}
	}
	if _, err := NewComposer(ComposerConfig{PublicURL: "https://app.example.com", AppName: "x\r\nBcc: y"}); !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("AppName with CRLF: %v", err)
	}
	c := testComposer(t)
	for name, f := range map[string]func() (Message, error){
		"empty token":       func() (Message, error) { return c.Verify("bob@example.org", "", time.Hour) },
		"negative lifetime": func() (Message, error) { return c.Reset("bob@example.org", "t", -time.Second) },
		"bad email":         func() (Message, error) { return c.Reset("bob@example.org\r\nBcc: x@evil.example", "t", time.Hour) },
	} {
		if _, err := f(); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v, want ErrInvalidMessage", name, err)
		}
	}
}

func TestLifetimeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                          "",
		-time.Hour:                 "",
		30 * time.Second:           "30 seconds",
		time.Second:                "1 second",
		time.Minute:                "1 minute",
		15 * time.Minute:           "15 minutes",
		90 * time.Minute:           "90 minutes",
		time.Hour:                  "1 hour",
		3 * time.Hour:              "3 hours",
		24 * time.Hour:             "1 day",
		72 * time.Hour:             "3 days",
		25 * time.Hour:             "25 hours",
		time.Hour + 20*time.Second: "1 hour",
	} {
		if got := (Data{Lifetime: d}).LifetimeText(); got != want {
			t.Errorf("LifetimeText(%v) = %q, want %q", d, got, want)
		}
	}
}
