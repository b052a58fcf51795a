package transport_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/transport"
)

func newCookie(t *testing.T, cfg transport.CookieConfig) *transport.Cookie {
	t.Helper()
	c, err := transport.NewCookie(cfg)
	if err != nil {
		t.Fatalf("NewCookie(%+v): %v", cfg, err)
	}
	return c
}

func TestCookieWriteLoginDefaults(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{})
	rec := httptest.NewRecorder()
	if err := c.WriteLogin(rec, transport.Login{AccessToken: jwtLike, Lifetime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNoContent {
		t.Errorf("status = %d, want 204", rec.Code)
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("body %q, Content-Type %q: want none", rec.Body.String(), rec.Header().Get("Content-Type"))
	}
	want := "authkit=" + jwtLike + "; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"
	if got := rec.Header().Values("Set-Cookie"); len(got) != 1 || got[0] != want {
		t.Errorf("Set-Cookie = %q, want %q", got, want)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
}

// The zero value is NewCookie(CookieConfig{}): the same cookies, token
// and origin checks, not a cookie with no name.
func TestCookieZeroValue(t *testing.T) {
	zero, made := &transport.Cookie{}, newCookie(t, transport.CookieConfig{})
	if zero.Name() != "authkit" {
		t.Errorf("Name = %q", zero.Name())
	}
	for _, write := range []func(c *transport.Cookie, w http.ResponseWriter) error{
		func(c *transport.Cookie, w http.ResponseWriter) error {
			return c.WriteLogin(w, transport.Login{AccessToken: jwtLike, Lifetime: time.Hour})
		},
		func(c *transport.Cookie, w http.ResponseWriter) error { return c.WriteLogout(w) },
	} {
		a, b := httptest.NewRecorder(), httptest.NewRecorder()
		if err := write(zero, a); err != nil {
			t.Fatal(err)
		}
		if err := write(made, b); err != nil {
			t.Fatal(err)
		}
		if got, want := a.Header().Values("Set-Cookie"), b.Header().Values("Set-Cookie"); len(got) != 1 || got[0] != want[0] || a.Code != b.Code {
			t.Errorf("zero value: %d %q, NewCookie: %d %q", a.Code, got, b.Code, want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "authkit", Value: jwtLike})
	if zero.Token(r) != jwtLike {
		t.Errorf("Token = %q", zero.Token(r))
	}
	cross := httptest.NewRequest("POST", "https://api.example.com/auth/cookie/logout", nil)
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	if zero.CheckOrigin(cross) == nil {
		t.Error("zero value: cross-site POST allowed")
	}
	if zero.CarriesRefresh() {
		t.Error("zero value carries refresh tokens")
	}
}

func TestCookieWriteLogout(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{})
	rec := httptest.NewRecorder()
	if err := c.WriteLogout(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("got %d %q, want 204 and no body", rec.Code, rec.Body.String())
	}
	want := "authkit=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
	if got := rec.Header().Values("Set-Cookie"); len(got) != 1 || got[0] != want {
		t.Errorf("Set-Cookie = %q, want %q", got, want)
	}
}

func TestCookieConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  transport.CookieConfig
		want string // Set-Cookie of a one-minute login
	}{
		{"custom", transport.CookieConfig{Name: "sid", Path: "/api", Domain: "example.com", SameSite: http.SameSiteStrictMode},
			"sid=tok; Path=/api; Domain=example.com; Max-Age=60; HttpOnly; Secure; SameSite=Strict"},
		{"insecure", transport.CookieConfig{Insecure: true},
			"authkit=tok; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"},
		{"none", transport.CookieConfig{SameSite: http.SameSiteNoneMode},
			"authkit=tok; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=None"},
		{"host prefix", transport.CookieConfig{HostPrefix: true},
			"__Host-authkit=tok; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax"},
		{"host prefix given", transport.CookieConfig{Name: "__Host-sid", HostPrefix: true},
			"__Host-sid=tok; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax"},
		{"secure prefix", transport.CookieConfig{Name: "__Secure-sid", Domain: "example.com"},
			"__Secure-sid=tok; Path=/; Domain=example.com; Max-Age=60; HttpOnly; Secure; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCookie(t, tt.cfg)
			rec := httptest.NewRecorder()
			// Partial seconds are dropped, so the cookie never outlives the token.
			if err := c.WriteLogin(rec, transport.Login{AccessToken: "tok", Lifetime: time.Minute + 999*time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			if got := rec.Header().Get("Set-Cookie"); got != tt.want {
				t.Errorf("Set-Cookie = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewCookieRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  transport.CookieConfig
	}{
		{"host prefix insecure", transport.CookieConfig{HostPrefix: true, Insecure: true}},
		{"host prefix path", transport.CookieConfig{HostPrefix: true, Path: "/api"}},
		{"host prefix domain", transport.CookieConfig{HostPrefix: true, Domain: "example.com"}},
		{"host name with domain", transport.CookieConfig{Name: "__host-sid", Domain: "example.com"}},
		{"secure prefix insecure", transport.CookieConfig{Name: "__Secure-sid", Insecure: true}},
		{"none insecure", transport.CookieConfig{SameSite: http.SameSiteNoneMode, Insecure: true}},
		{"default mode", transport.CookieConfig{SameSite: http.SameSiteDefaultMode}},
		{"unknown mode", transport.CookieConfig{SameSite: 42}},
		{"bad name", transport.CookieConfig{Name: "a b"}},
		{"bad name semicolon", transport.CookieConfig{Name: "a;b"}},
		{"bad path", transport.CookieConfig{Path: "/a;b"}},
		{"bad domain", transport.CookieConfig{Domain: "exa mple.com"}},
		{"bad origin", transport.CookieConfig{TrustedOrigins: []string{"example.com"}}},
		{"origin with path", transport.CookieConfig{TrustedOrigins: []string{"https://example.com/x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := transport.NewCookie(tt.cfg); err == nil {
				t.Errorf("NewCookie(%+v) = %v, nil; want an error", tt.cfg, c.Name())
			}
		})
	}
}

func TestCookieWriteLoginRefuses(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{})
	for _, l := range []transport.Login{
		{AccessToken: "", Lifetime: time.Hour},
		{AccessToken: "a;b", Lifetime: time.Hour},
		{AccessToken: "tok", Lifetime: 0},
		{AccessToken: "tok", Lifetime: 999 * time.Millisecond},
		{AccessToken: "tok", Lifetime: -time.Hour},
	} {
		rec := httptest.NewRecorder()
		if err := c.WriteLogin(rec, l); err == nil {
			t.Errorf("WriteLogin(%+v) = nil, want an error", l)
		}
		if len(rec.Header().Values("Set-Cookie")) != 0 {
			t.Errorf("WriteLogin(%+v) set a cookie", l)
		}
	}
}

func TestCookieToken(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{})
	tests := []struct {
		name   string
		cookie []string // Cookie header values
		want   string
	}{
		{"none", nil, ""},
		{"one", []string{"authkit=" + jwtLike}, jwtLike},
		{"among others", []string{"a=1; authkit=tok; b=2"}, "tok"},
		{"empty", []string{"authkit="}, ""},
		{"empty and valid", []string{"authkit=; authkit=tok"}, "tok"},
		{"same twice", []string{"authkit=tok; authkit=tok"}, "tok"},
		{"two values", []string{"authkit=tok; authkit=other"}, ""},
		{"two headers", []string{"authkit=tok", "authkit=other"}, ""},
		{"quoted", []string{`authkit="tok"`}, "tok"},
		{"other name", []string{"Authkit=tok; authkitx=tok"}, ""},
		{"not token68", []string{"authkit=a!b"}, ""},
		{"too long", []string{"authkit=" + strings.Repeat("a", 8<<10+1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?authkit=nope", nil)
			for _, h := range tt.cookie {
				r.Header.Add("Cookie", h)
			}
			r.Header.Set("Authorization", "Bearer nope")
			if got := c.Token(r); got != tt.want {
				t.Errorf("Token = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCookieTokenHostPrefix(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{HostPrefix: true})
	if c.Name() != "__Host-authkit" {
		t.Fatalf("Name = %q", c.Name())
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "authkit=planted; __Host-authkit=tok")
	if got := c.Token(r); got != "tok" {
		t.Errorf("Token = %q, want tok", got)
	}
}

func TestCookieCheckOrigin(t *testing.T) {
	c := newCookie(t, transport.CookieConfig{TrustedOrigins: []string{"https://app.example.com"}})
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		wantErr bool
	}{
		{"no browser headers", "POST", nil, false},
		{"same origin fetch", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{"user navigation", "POST", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"cross site", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"same site is not same origin", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"cross site delete", "DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"cross site patch", "PATCH", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"cross site GET", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"cross site HEAD", "HEAD", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"cross site OPTIONS", "OPTIONS", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"origin matches host", "POST", map[string]string{"Origin": "https://api.example.com"}, false},
		{"origin differs (old browser)", "POST", map[string]string{"Origin": "https://evil.example"}, true},
		{"trusted origin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}, false},
		{"untrusted origin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com:8443"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "https://api.example.com/auth/cookie/logout", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			err := c.CheckOrigin(r)
			if (err != nil) != tt.wantErr {
				t.Errorf("CheckOrigin = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestCookieOverRealServer runs login, an authenticated request and logout
// through a real server and a real cookie jar, which applies the
// attributes as a browser would.
func TestCookieOverRealServer(t *testing.T) {
	// Insecure, because the jar withholds Secure cookies over plain HTTP.
	c := newCookie(t, transport.CookieConfig{Insecure: true})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := c.WriteLogin(w, transport.Login{AccessToken: "tok-123", Lifetime: time.Hour}); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := c.WriteLogout(w); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(c.Token(r)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	me := func() string {
		t.Helper()
		resp, err := client.Get(srv.URL + "/me")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	post := func(path string) {
		t.Helper()
		resp, err := client.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
	}

	if got := me(); got != "" {
		t.Fatalf("before login: token %q", got)
	}
	post("/login")
	if got := me(); got != "tok-123" {
		t.Fatalf("after login: token %q", got)
	}
	u, _ := url.Parse(srv.URL)
	if got := jar.Cookies(u); len(got) != 1 || got[0].Name != "authkit" {
		t.Fatalf("jar = %v", got)
	}
	post("/logout")
	if got := jar.Cookies(u); len(got) != 0 {
		t.Fatalf("after logout the jar still holds %v", got)
	}
	if got := me(); got != "" {
		t.Fatalf("after logout: token %q", got)
	}
}

func FuzzCookieToken(f *testing.F) {
	for _, s := range []string{"authkit=tok", "authkit=", "authkit=a; authkit=b", `authkit="tok"`, "a=1; authkit=x==", "authkit=a b", "authkit=\x00"} {
		f.Add(s)
	}
	c, err := transport.NewCookie(transport.CookieConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", h)
		tok := c.Token(r)
		if tok == "" {
			return
		}
		if !strings.Contains(h, tok) || len(tok) > 8<<10 ||
			strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == ',' || r == ';' || r == '\\' }) {
			t.Fatalf("Token(%q) = %q", h, tok)
		}
		// What is accepted can be written back as a cookie, unchanged.
		rec := httptest.NewRecorder()
		if err := c.WriteLogin(rec, transport.Login{AccessToken: tok, Lifetime: time.Hour}); err != nil {
			t.Fatalf("WriteLogin(%q): %v", tok, err)
		}
		r2 := httptest.NewRequest(http.MethodGet, "/", nil)
		r2.Header.Set("Cookie", strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0])
		if got := c.Token(r2); got != tok {
			t.Fatalf("round trip of %q gave %q", tok, got)
		}
	})
}
