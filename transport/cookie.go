package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-authkit/authkit/internal/httpjson"
)

// CookieConfig configures a Cookie transport. The zero value is the safe
// default: a cookie named "authkit", HttpOnly, Secure, SameSite=Lax, Path=/,
// no Domain.
type CookieConfig struct {
	// Name of the cookie; "authkit" when empty.
	Name string
	// Path of the cookie; "/" when empty.
	Path string
	// Domain of the cookie; empty (the default) sends it to the exact host
	// only. Setting it shares the cookie with every subdomain.
	Domain string
	// Insecure drops the Secure attribute, for local development over plain
	// HTTP. Never set it in production.
	Insecure bool
	// SameSite of the cookie: Lax when zero; Strict or None may be asked
	// (None requires Secure).
	SameSite http.SameSite
	// HostPrefix prefixes the name with "__Host-", which makes browsers
	// refuse the cookie unless it is Secure, has Path=/ and no Domain: a
	// sibling subdomain can then neither set nor shadow it.
	HostPrefix bool
	// TrustedOrigins are origins ("https://app.example.com") whose
	// cross-origin state-changing requests are nonetheless allowed.
	TrustedOrigins []string
	// RefreshPath, when set, is where the backend's refresh route is
	// mounted ("/auth/cookie/refresh"): refresh tokens then travel in a
	// second HttpOnly cookie, SameSite=Strict, that the browser sends to
	// that path only. Empty: this transport carries no refresh tokens.
	RefreshPath string
}

// Cookie carries the token in an HttpOnly cookie: login answers 204 with
// Set-Cookie, logout answers 204 with the cookie expired. Because the
// browser sends the cookie on its own, Cookie also implements
// OriginChecker, refusing cross-origin state-changing requests.
//
// The zero value, &Cookie{}, is NewCookie(CookieConfig{}): the safe
// defaults. A Cookie must not be copied once used.
type Cookie struct {
	name     string // "" is "authkit"
	path     string // "" is "/"
	domain   string
	insecure bool
	sameSite http.SameSite              // 0 is Lax
	cop      http.CrossOriginProtection // its zero value is valid
	// refreshName and refreshPath: the refresh cookie, when configured.
	refreshName, refreshPath string
}

var (
	_ Transport      = (*Cookie)(nil)
	_ OriginChecker  = (*Cookie)(nil)
	_ RefreshCarrier = (*Cookie)(nil)
)

// NewCookie returns a Cookie transport configured by cfg, or an error for
// an invalid name, path, domain or trusted origin, or for a combination
// browsers would refuse (a __Host- cookie with a Domain, SameSite=None
// without Secure, ...).
func NewCookie(cfg CookieConfig) (*Cookie, error) {
	c := &Cookie{
		name:     cfg.Name,
		path:     cfg.Path,
		domain:   cfg.Domain,
		insecure: cfg.Insecure,
		sameSite: cfg.SameSite,
	}
	if c.name == "" {
		c.name = "authkit"
	}
	if c.path == "" {
		c.path = "/"
	}
	if cfg.HostPrefix && !hasPrefixFold(c.name, "__Host-") {
		c.name = "__Host-" + c.name
	}
	switch c.sameSite {
	case 0:
		c.sameSite = http.SameSiteLaxMode
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if c.insecure {
			return nil, errors.New("transport: cookie: SameSite=None requires Secure")
		}
	default:
		return nil, fmt.Errorf("transport: cookie: unsupported SameSite %d", c.sameSite)
	}
	// Browsers enforce the prefixes (RFC 6265bis §4.1.3), so a cookie that
	// breaks their rules would silently never be stored.
	if hasPrefixFold(c.name, "__Host-") && (c.insecure || c.path != "/" || c.domain != "") {
		return nil, errors.New("transport: cookie: a __Host- cookie requires Secure, Path=/ and no Domain")
	}
	if hasPrefixFold(c.name, "__Secure-") && c.insecure {
		return nil, errors.New("transport: cookie: a __Secure- cookie requires Secure")
	}
	probe := c.cookie("x", 1)
	if err := probe.Valid(); err != nil {
		return nil, fmt.Errorf("transport: cookie: %w", err)
	}
	for _, o := range cfg.TrustedOrigins {
		if err := c.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("transport: cookie: trusted origin: %w", err)
		}
	}
	if cfg.RefreshPath != "" {
		if !strings.HasPrefix(cfg.RefreshPath, "/") {
			return nil, errors.New("transport: cookie: RefreshPath must start with /")
		}
		// A __Host- cookie must have Path=/, so the refresh cookie takes
		// the next best prefix.
		base := c.name
		if hasPrefixFold(base, "__Host-") {
			base = base[len("__Host-"):]
		}
		c.refreshName, c.refreshPath = base+"_refresh", cfg.RefreshPath
		if !c.insecure && !hasPrefixFold(base, "__Secure-") {
			c.refreshName = "__Secure-" + c.refreshName
		}
		if err := c.refreshCookie("x", 1).Valid(); err != nil {
			return nil, fmt.Errorf("transport: cookie: refresh: %w", err)
		}
	}
	return c, nil
}

// CarriesRefresh implements RefreshCarrier: with a RefreshPath.
func (c *Cookie) CarriesRefresh() bool { return c.refreshPath != "" }

// RefreshToken implements RefreshCarrier: the refresh cookie's value, or "".
func (c *Cookie) RefreshToken(r *http.Request) string {
	if c.refreshPath == "" {
		return ""
	}
	ck, err := r.Cookie(c.refreshName)
	if err != nil || !validToken(ck.Value) {
		return ""
	}
	return ck.Value
}

// refreshCookie is the refresh token's cookie: sent to the refresh route
// only, never cross-site.
func (c *Cookie) refreshCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: c.refreshName, Value: value, Path: c.refreshPath, Domain: c.domain,
		MaxAge: maxAge, HttpOnly: true, Secure: !c.insecure, SameSite: http.SameSiteStrictMode,
	}
}

// Name returns the cookie's name, with its prefix if any.
func (c *Cookie) Name() string {
	if c.name == "" {
		return "authkit"
	}
	return c.name
}

// Token returns the value of the cookie, or "" when the request carries no
// such cookie, an empty or malformed one, or several with different values
// (a cookie planted by a sibling subdomain must not silently win).
func (c *Cookie) Token(r *http.Request) string {
	tok := ""
	for _, ck := range r.CookiesNamed(c.Name()) {
		if ck.Value == "" {
			continue
		}
		if tok != "" && ck.Value != tok {
			return ""
		}
		tok = ck.Value
	}
	if !validToken(tok) {
		return ""
	}
	return tok
}

// WriteLogin writes 204 with the cookie set to l.AccessToken for
// l.Lifetime (whole seconds, at least one).
func (c *Cookie) WriteLogin(w http.ResponseWriter, l Login) error {
	if !validToken(l.AccessToken) {
		return errors.New("transport: cookie: access token is not a token68")
	}
	maxAge := int(l.Lifetime / time.Second)
	if maxAge < 1 {
		return fmt.Errorf("transport: cookie: lifetime %v is shorter than a second", l.Lifetime)
	}
	http.SetCookie(w, c.cookie(l.AccessToken, maxAge))
	if l.RefreshToken != "" && c.refreshPath != "" {
		if !validToken(l.RefreshToken) || l.RefreshLifetime < time.Second {
			return errors.New("transport: cookie: bad refresh token or lifetime")
		}
		http.SetCookie(w, c.refreshCookie(l.RefreshToken, int(l.RefreshLifetime/time.Second)))
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

// WriteLogout writes 204 with the cookie emptied and expired (Max-Age=0).
func (c *Cookie) WriteLogout(w http.ResponseWriter) error {
	// A negative MaxAge is how net/http writes "Max-Age=0".
	http.SetCookie(w, c.cookie("", -1))
	if c.refreshPath != "" {
		http.SetCookie(w, c.refreshCookie("", -1))
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

// CheckOrigin returns an error for a cross-origin request with an unsafe
// method (anything but GET, HEAD, OPTIONS) from a browser, unless its
// origin is trusted. It follows http.CrossOriginProtection: Sec-Fetch-Site
// first, then Origin against Host; requests with neither header (non-browser
// clients) pass.
func (c *Cookie) CheckOrigin(r *http.Request) error {
	if err := c.cop.Check(r); err != nil {
		return fmt.Errorf("transport: cookie: %w", err)
	}
	return nil
}

func (c *Cookie) cookie(value string, maxAge int) *http.Cookie {
	ck := &http.Cookie{
		Name:     c.Name(),
		Value:    value,
		Path:     c.path,
		Domain:   c.domain,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !c.insecure,
		SameSite: c.sameSite,
	}
	if ck.Path == "" {
		ck.Path = "/"
	}
	if ck.SameSite == 0 {
		ck.SameSite = http.SameSiteLaxMode
	}
	return ck
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
