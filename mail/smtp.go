package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrNoStartTLS is returned by SMTPMailer.Send when TLS is required and the
// server does not offer STARTTLS. Nothing, credentials included, has been
// sent by then.
var ErrNoStartTLS = errors.New("mail: SMTP server does not offer STARTTLS")

// TLSMode says how SMTPMailer protects its connection.
type TLSMode int

const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else; a server that does not offer STARTTLS is refused with
	// ErrNoStartTLS. It is the zero value, the default, on port 587.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (SMTPS, RFC 8314), on port 465.
	ImplicitTLS
	// NoTLS never uses TLS, even when the server offers it. It is only
	// accepted when Host is localhost, 127.0.0.1 or ::1: a relay on the same
	// machine, or a development mail catcher. Default port 25.
	NoTLS
)

// String returns the mode's name, as in the tls query parameter of an SMTP URL.
func (m TLSMode) String() string {
	switch m {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit"
	case NoTLS:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Defaults of SMTPConfig.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultSMTPTimeout = 30 * time.Second
	DefaultHelloName   = "localhost"
)

// SMTPConfig configures an SMTPMailer. The zero value of each optional
// field means its safe default.
type SMTPConfig struct {
	// Host is the server's name or IP address. Required. With TLS, the
	// server's certificate must be valid for it.
	Host string
	// Port defaults to 587 with StartTLS, 465 with ImplicitTLS, 25 with NoTLS.
	Port int
	// Username and Password, when set, are sent with AUTH PLAIN, only ever
	// over TLS (or to a loopback host with NoTLS). Set both or neither.
	Username string
	Password string
	// From is the sender of every message: "no-reply@example.com" or
	// "Example <no-reply@example.com>". Required.
	From string
	// TLS is the TLS mode; the zero value is StartTLS, required.
	TLS TLSMode
	// TLSConfig is used for STARTTLS and implicit TLS; nil means the system's
	// roots. It is cloned; an empty ServerName is set to Host.
	TLSConfig *tls.Config
	// HelloName is the name sent with EHLO; "" means "localhost".
	HelloName string
	// DialTimeout bounds connecting, TLS handshake included for ImplicitTLS;
	// 0 means DefaultDialTimeout.
	DialTimeout time.Duration
	// Timeout bounds a whole Send, on top of the context's own deadline;
	// 0 means DefaultSMTPTimeout.
	Timeout time.Duration
}

// String describes c as an SMTP URL with the password redacted, so that a
// logged configuration never shows it.
func (c SMTPConfig) String() string { return c.withDefaults().url().Redacted() }

// url returns c as an SMTP URL, password included.
func (c SMTPConfig) url() *url.URL {
	u := &url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	switch c.TLS {
	case ImplicitTLS:
		u.Scheme = "smtps"
	case NoTLS:
		u.RawQuery = "tls=none"
	}
	if c.Username != "" || c.Password != "" {
		u.User = url.UserPassword(c.Username, c.Password)
	}
	return u
}

// withDefaults returns c with its zero fields set to their defaults.
func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.Port == 0 {
		c.Port = defaultPort(c.TLS)
	}
	if c.HelloName == "" {
		c.HelloName = DefaultHelloName
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSMTPTimeout
	}
	return c
}

func defaultPort(m TLSMode) int {
	switch m {
	case ImplicitTLS:
		return 465
	case NoTLS:
		return 25
	}
	return 587
}

// checkTransport validates everything but From.
func (c SMTPConfig) checkTransport() error {
	if c.Host == "" {
		return fmt.Errorf("%w: SMTP host is required", ErrInvalidConfig)
	}
	if !isHostName(c.Host) {
		return fmt.Errorf("%w: SMTP host %q is not a host name or IP address", ErrInvalidConfig, c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("%w: SMTP port %d out of range", ErrInvalidConfig, c.Port)
	}
	switch c.TLS {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if !isLoopback(c.Host) {
			return fmt.Errorf("%w: TLS may only be disabled for localhost, 127.0.0.1 or ::1", ErrInvalidConfig)
		}
	default:
		return fmt.Errorf("%w: unknown TLS mode %d", ErrInvalidConfig, int(c.TLS))
	}
	if (c.Username == "") != (c.Password == "") {
		return fmt.Errorf("%w: SMTP username and password go together", ErrInvalidConfig)
	}
	if err := checkHeader("HelloName", c.HelloName); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c.DialTimeout < 0 || c.Timeout < 0 {
		return fmt.Errorf("%w: negative SMTP timeout", ErrInvalidConfig)
	}
	return nil
}

// isHostName accepts a DNS name's characters, or an IP address (IPv6 with
// an optional zone): nothing that could confuse the dialer.
func isHostName(h string) bool {
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		// netip takes any bytes as a zone; a zone is an interface name.
		return err == nil && (a.Zone() == "" || isNameChars(a.Zone()))
	}
	return isNameChars(h)
}

// isNameChars reports whether s is non-empty and made of the characters of
// DNS names (and interface names).
func isNameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// isLoopback is net/smtp's rule for sending credentials without TLS.
func isLoopback(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// SMTPMailer sends each message over a new SMTP connection with net/smtp.
// It is safe for concurrent use.
type SMTPMailer struct {
	cfg  SMTPConfig
	from *mail.Address
	tls  *tls.Config
}

// NewSMTPMailer checks cfg and returns a mailer for it. It does not connect.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.checkTransport(); err != nil {
		return nil, err
	}
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, err
	}
	var tc *tls.Config
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	return &SMTPMailer{cfg: cfg, from: from, tls: tc}, nil
}

// Send delivers m. It gives up when ctx is done or the configured Timeout
// has passed, whichever comes first; the error then matches ctx's error.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	env, err := encode(s.from, m, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	err = s.send(ctx, env)
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(dl) {
		// The connection's deadline, the same instant, fired first.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// send runs one SMTP session for env.
func (s *SMTPMailer) send(ctx context.Context, env envelope) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("mail: smtp dial: %w", err)
	}
	// The deadline bounds every read and write; cancelling ctx moves it to
	// now, which unblocks whatever I/O is waiting.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("mail: smtp greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fmt.Errorf("mail: smtp EHLO: %w", err)
	}
	if s.cfg.TLS == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return ErrNoStartTLS
		}
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("mail: smtp STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		// PlainAuth itself refuses to send the password in clear to
		// anything but a loopback host.
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("mail: smtp AUTH: %w", err)
		}
	}
	if err := c.Mail(env.from); err != nil {
		return fmt.Errorf("mail: smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(env.to); err != nil {
		return fmt.Errorf("mail: smtp RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: smtp DATA: %w", err)
	}
	if _, err := w.Write(env.raw); err != nil {
		return fmt.Errorf("mail: smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: smtp DATA: %w", err)
	}
	// The server has accepted the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (s *SMTPMailer) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: s.cfg.DialTimeout}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	if s.cfg.TLS == ImplicitTLS {
		return (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

// ParseSMTPURL reads an SMTP server's address and credentials from a URL:
//
//	smtp://user:pass@host:port          STARTTLS, required (port 587 by default)
//	smtps://user:pass@host:port         implicit TLS (port 465 by default)
//	smtp://localhost:1025?tls=none      no TLS; loopback hosts only (port 25 by default)
//
// User and password are optional (no AUTH without them) and percent-decoded.
// The returned configuration has its Port set; From and the other fields are
// left for the caller. Errors never repeat the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error repeats the whole URL, password included: keep its cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return SMTPConfig{}, fmt.Errorf("%w: SMTP URL: %w", ErrInvalidConfig, err)
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.TLS = StartTLS
	case "smtps":
		c.TLS = ImplicitTLS
	default:
		// The "scheme" of a mistyped URL may be a user name: don't print it.
		return SMTPConfig{}, fmt.Errorf("%w: SMTP URL scheme must be smtp or smtps", ErrInvalidConfig)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.ForceQuery {
		return SMTPConfig{}, fmt.Errorf("%w: SMTP URL must look like smtp://user:pass@host:port", ErrInvalidConfig)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("%w: SMTP URL query: %w", ErrInvalidConfig, err)
	}
	for k, v := range q {
		if k != "tls" || len(v) != 1 {
			return SMTPConfig{}, fmt.Errorf("%w: SMTP URL: unknown or repeated parameter %q", ErrInvalidConfig, k)
		}
		switch {
		case v[0] == "none" && c.TLS == StartTLS:
			c.TLS = NoTLS
		case v[0] == "starttls" && c.TLS == StartTLS:
		case v[0] == "implicit" && c.TLS == ImplicitTLS:
		default:
			return SMTPConfig{}, fmt.Errorf("%w: SMTP URL: tls=%q does not fit scheme %s", ErrInvalidConfig, v[0], u.Scheme)
		}
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("%w: SMTP URL port %q out of range", ErrInvalidConfig, p)
		}
		c.Port = n
	} else {
		c.Port = defaultPort(c.TLS)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if err := c.checkTransport(); err != nil {
		return SMTPConfig{}, err
	}
	return c, nil
}
