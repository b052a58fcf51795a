package mail

import (
	"bytes"
	"embed"
	"fmt"
	stdhtml "html"
	htmltemplate "html/template"
	"net"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var defaultFS embed.FS

// Data is what the templates see.
type Data struct {
	// AppName is the application's name, from ComposerConfig.
	AppName string
	// Email is the recipient's address.
	Email string
	// Link is the one link the message carries, token included:
	// <PublicURL>/verify?token=... or <PublicURL>/reset-password?token=...
	Link string
	// Lifetime is how long the token stays valid; 0 when unknown.
	Lifetime time.Duration
	// NewEmail is the address the account moved to, in the notice sent to
	// the old one (Email); "" in other messages.
	NewEmail string
}

// LifetimeText returns Lifetime in words, such as "1 hour", "30 minutes",
// "2 days"; "" when Lifetime is 0.
func (d Data) LifetimeText() string {
	l := d.Lifetime
	switch {
	case l <= 0:
		return ""
	case l < time.Minute:
		return plural(int64(l.Round(time.Second)/time.Second), "second")
	}
	l = l.Round(time.Minute)
	switch {
	case l%(24*time.Hour) == 0:
		return plural(int64(l/(24*time.Hour)), "day")
	case l%time.Hour == 0:
		return plural(int64(l/time.Hour), "hour")
	}
	return plural(int64(l/time.Minute), "minute")
}

func plural(n int64, unit string) string {
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// Template renders one kind of message from Data. A nil field means the
// embedded default for it.
type Template struct {
	// Subject renders the subject line; surrounding white space is trimmed,
	// and a line break inside is refused.
	Subject *texttemplate.Template
	// Text renders the text/plain body.
	Text *texttemplate.Template
	// HTML renders the text/html body.
	HTML *htmltemplate.Template
}

// Templates holds the templates of the messages authkit sends. Verify and
// Reset must show Data.Link; NewComposer checks it.
type Templates struct {
	Verify Template // "verify your email address"
	Reset  Template // "reset your password"
	// EmailChanged is the notice to the old address of an email change,
	// which carries no link: Data.Email is the old address, Data.NewEmail
	// the new one.
	EmailChanged Template
}

// ComposerConfig configures a Composer.
type ComposerConfig struct {
	// PublicURL is the base URL of the front end that receives the links,
	// such as "https://app.example.com" or "https://example.com/app".
	// Required. It must be https, except for localhost and loopback
	// addresses. Links are always built from it, never from a request's Host.
	PublicURL string
	// AppName is shown in the messages; "" means PublicURL's host name.
	AppName string
	// Templates overrides the embedded default templates, field by field.
	Templates Templates
}

// Composer builds the verification and password-reset messages. It is safe
// for concurrent use.
type Composer struct {
	base                        string // PublicURL without a trailing slash
	app                         string
	verify, reset, emailChanged Template
}

// Paths of the links, below PublicURL.
const (
	VerifyPath = "/verify"
	ResetPath  = "/reset-password"
)

// NewComposer checks cfg, fills in the default templates, and renders every
// template once so that a broken override fails here rather than when a
// user is waiting for the mail.
func NewComposer(cfg ComposerConfig) (*Composer, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Opaque != "" || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%w: PublicURL must be an absolute URL without user, query or fragment", ErrInvalidConfig)
	}
	local := u.Hostname() == "localhost" || isLoopbackIP(u.Hostname())
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return nil, fmt.Errorf("%w: PublicURL must use https (http only for localhost)", ErrInvalidConfig)
	}
	c := &Composer{base: strings.TrimRight(u.String(), "/"), app: cfg.AppName}
	if c.app == "" {
		c.app = u.Hostname()
	}
	if err := checkHeader("AppName", c.app); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c.verify, err = withDefaults(cfg.Templates.Verify, "verify"); err != nil {
		return nil, err
	}
	if c.reset, err = withDefaults(cfg.Templates.Reset, "reset"); err != nil {
		return nil, err
	}
	if c.emailChanged, err = withDefaults(cfg.Templates.EmailChanged, "email_changed"); err != nil {
		return nil, err
	}
	const probe = "probe-token"
	if _, err := c.Verify("user@example.com", probe, time.Hour); err != nil {
		return nil, fmt.Errorf("%w: verify template: %w", ErrInvalidConfig, err)
	}
	if _, err := c.Reset("user@example.com", probe, time.Hour); err != nil {
		return nil, fmt.Errorf("%w: reset template: %w", ErrInvalidConfig, err)
	}
	if _, err := c.EmailChanged("old@example.com", "new@example.com"); err != nil {
		return nil, fmt.Errorf("%w: email changed template: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// EmailChanged returns the notice, addressed to oldEmail, that the
// account's email is now newEmail: the owner of the old mailbox learns of
// a change they may not have made.
func (c *Composer) EmailChanged(oldEmail, newEmail string) (Message, error) {
	return c.execute(c.emailChanged, Data{AppName: c.app, Email: oldEmail, NewEmail: newEmail})
}

// Verify returns the "verify your email address" message for a verification
// token that lives for lifetime (0 when unknown), addressed to email.
func (c *Composer) Verify(email, token string, lifetime time.Duration) (Message, error) {
	return c.render(c.verify, VerifyPath, email, token, lifetime)
}

// Reset returns the "reset your password" message for a reset token that
// lives for lifetime (0 when unknown), addressed to email.
func (c *Composer) Reset(email, token string, lifetime time.Duration) (Message, error) {
	return c.render(c.reset, ResetPath, email, token, lifetime)
}

func (c *Composer) render(t Template, path, email, token string, lifetime time.Duration) (Message, error) {
	if token == "" {
		return Message{}, fmt.Errorf("%w: empty token", ErrInvalidMessage)
	}
	if lifetime < 0 {
		return Message{}, fmt.Errorf("%w: negative token lifetime", ErrInvalidMessage)
	}
	d := Data{
		AppName:  c.app,
		Email:    email,
		Link:     c.base + path + "?token=" + url.QueryEscape(token),
		Lifetime: lifetime,
	}
	return c.execute(t, d)
}

// execute renders t with d; a message with a link must show it.
func (c *Composer) execute(t Template, d Data) (Message, error) {
	var subject, text, html bytes.Buffer
	if err := t.Subject.Execute(&subject, d); err != nil {
		return Message{}, fmt.Errorf("mail: subject template: %w", err)
	}
	if err := t.Text.Execute(&text, d); err != nil {
		return Message{}, fmt.Errorf("mail: text template: %w", err)
	}
	if err := t.HTML.Execute(&html, d); err != nil {
		return Message{}, fmt.Errorf("mail: HTML template: %w", err)
	}
	// A message without its link is useless to the user: refuse it loudly.
	if d.Link != "" && !strings.Contains(text.String(), d.Link) {
		return Message{}, fmt.Errorf("mail: text template does not show the link")
	}
	// html/template escapes some of the link's characters (+ as &#43;).
	if d.Link != "" && !strings.Contains(stdhtml.UnescapeString(html.String()), d.Link) {
		return Message{}, fmt.Errorf("mail: HTML template does not show the link")
	}
	m := Message{
		To:      d.Email,
		Subject: strings.TrimSpace(subject.String()),
		Text:    text.String(),
		HTML:    html.String(),
	}
	if _, err := checkMessage(m); err != nil {
		return Message{}, err
	}
	return m, nil
}

// withDefaults fills t's nil fields from the embedded templates/<kind>*.
func withDefaults(t Template, kind string) (Template, error) {
	var err error
	if t.Subject == nil {
		if t.Subject, err = texttemplate.ParseFS(defaultFS, "templates/"+kind+"_subject.txt"); err != nil {
			return t, err
		}
	}
	if t.Text == nil {
		if t.Text, err = texttemplate.ParseFS(defaultFS, "templates/"+kind+".txt"); err != nil {
			return t, err
		}
	}
	if t.HTML == nil {
		if t.HTML, err = htmltemplate.ParseFS(defaultFS, "templates/"+kind+".html"); err != nil {
			return t, err
		}
	}
	return t, nil
}

func isLoopbackIP(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
