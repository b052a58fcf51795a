package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
)

// startService runs the example as main would, on a free port, and returns
// its base URL; it is stopped (as by SIGINT) when the test ends.
func startService(t *testing.T, args ...string) string {
	t.Helper()
	return startServiceLogging(t, io.Discard, args...)
}

// startServiceLogging is startService with the service's stderr (its log,
// and the log mailer's mails) going to stderr.
func startServiceLogging(t *testing.T, stderr io.Writer, args ...string) string {
	t.Helper()
	return startServiceEnv(t, nil, stderr, args...)
}

// startServiceEnv is startServiceLogging with more environment variables
// (AUTHKIT_SECRET is set unless extra sets it).
func startServiceEnv(t *testing.T, extra map[string]string, stderr io.Writer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"AUTHKIT_SECRET": "an example secret that is long enough, surely"}
	maps.Copy(env, extra)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, outW, stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no address line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, outR)
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "notebooks listening on ")
	if !ok {
		t.Fatalf("address line %q", line)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no clean shutdown")
		}
	})
	return base
}

// sqliteDSN is a fresh SQLite database in the test's directory.
func sqliteDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "notebooks.db")
}

// databases are the databases every API test runs on.
var databases = map[string]func(t *testing.T) string{
	"sqlite":   sqliteDSN,
	"postgres": func(t *testing.T) string { return testdb.PostgresURL(t) },
}

// The whole journey of a fresh client, on both backends: register, log in,
// /users/me, log out, and the same token refused.
func TestJourney(t *testing.T) {
	for name, dsn := range databases {
		t.Run(name, func(t *testing.T) {
			base := startService(t, "-db", dsn(t))
			c := &http.Client{}
			post := func(path, ctype, body string, hdr map[string]string) *http.Response {
				req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", ctype)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { res.Body.Close() })
				return res
			}
			me := func(hdr map[string]string) int {
				req, _ := http.NewRequest(http.MethodGet, base+"/users/me", nil)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if res := post("/auth/register", "application/json", `{"email":"ada@example.com","password":"analytical-engine-1843"}`, nil); res.StatusCode != 201 {
				t.Fatalf("register: %d", res.StatusCode)
			}
			form := url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}}.Encode()

			res := post("/auth/jwt/login", "application/x-www-form-urlencoded", form, nil)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 {
				t.Fatalf("jwt login: %d %v", res.StatusCode, err)
			}
			auth := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
			if s := me(auth); s != 200 {
				t.Fatalf("me (jwt): %d", s)
			}
			if res := post("/auth/jwt/logout", "", "", auth); res.StatusCode != 204 {
				t.Fatalf("jwt logout: %d", res.StatusCode)
			}
			if s := me(auth); s != 401 {
				t.Fatalf("me after jwt logout: %d", s)
			}

			res = post("/auth/cookie/login", "application/x-www-form-urlencoded", form, nil)
			if res.StatusCode != 204 || len(res.Cookies()) != 1 {
				t.Fatalf("cookie login: %d %v", res.StatusCode, res.Cookies())
			}
			cookie := map[string]string{"Cookie": "authkit=" + res.Cookies()[0].Value}
			if s := me(cookie); s != 200 {
				t.Fatalf("me (cookie): %d", s)
			}
			if res := post("/auth/cookie/logout", "", "", cookie); res.StatusCode != 204 {
				t.Fatalf("cookie logout: %d", res.StatusCode)
			}
			if s := me(cookie); s != 401 {
				t.Fatalf("me after cookie logout: %d", s)
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	unreachable := "redis://:s3cret@" + closedAddr(t) + "/0"
	for _, tc := range []struct {
		args []string
		env  string // AUTHKIT_SECRET
		want string // in the error
	}{
		{args: []string{"-db", "mysql://x"}, want: "sqlite:PATH"},
		{args: []string{"-nope"}, want: "not defined"},
		{args: []string{"extra"}, want: "unexpected arguments"},
		{args: []string{"-smtp", "http://user:s3cret@mail.example.com"}, want: "-smtp"},
		{args: []string{"-smtp", "smtp://user:s3cret@mail.example.com:587/path"}, want: "-smtp"},
		{args: []string{"-smtp", "smtp://user:s3cret@mail.example.com:99999"}, want: "-smtp"},
		{args: []string{"-smtp", "smtp://user:s3cret@mail.example.com?tls=none"}, want: "-smtp"}, // plain text off loopback
		{args: []string{"-smtp", "smtp://user:s3cret@mail.example.com", "-mail-from", "not an address"}, want: "-smtp"},
		{args: []string{"-smtp", "smtp://user:s3cret@127.0.0.1:2525?tls=none", "-mail-dir", dir}, want: "cannot be used together"},
		{args: []string{"-public-url", "http://notes.example.com"}, want: "-public-url"}, // http only for loopback
		{args: []string{"-public-url", "https://notes.example.com/?x=1"}, want: "-public-url"},
		{args: []string{"-public-url", "notes.example.com"}, want: "-public-url"},
		{args: []string{"-mail-from", "Notebooks <no-reply@localhost>\r\nBcc: x@example.com"}, want: "-mail-from"},
		{env: "too short", want: "AUTHKIT_SECRET"},
		{args: []string{"-require-mfa", "sometimes"}, want: "-require-mfa"},
		{args: []string{"-webauthn-rp-id", "127.0.0.1"}, want: "-webauthn-rp-id"},
		{args: []string{"-webauthn-rp-id", "https://example.com"}, want: "-webauthn-rp-id"},
		{args: []string{"-webauthn-origin", "example.com"}, want: "-webauthn-origin"},
		{args: []string{"-webauthn-origin", "https://example.com/page"}, want: "-webauthn-origin"},
		{args: []string{"-webauthn-origin", ","}, want: "-webauthn-origin"},
		{args: []string{"-redis", "http://127.0.0.1:6379"}, want: "-redis"},
		{args: []string{"-redis", "127.0.0.1:6379"}, want: "-redis"},
		{args: []string{"-redis", "redis://user:s3cret@127.0.0.1:notaport/0"}, want: "-redis"},
		{args: []string{"-redis", "redis://user:s3cret@127.0.0.1:6379/notadb"}, want: "-redis"},
		{args: []string{"-redis", "redis://127.0.0.1:6379/0?nonsense=1"}, want: "-redis"},
		{args: []string{"-redis", unreachable}, want: "unreachable"},
		{args: []string{"-jwt-keys", filepath.Join(dir, "no-such-dir")}, want: "-jwt-keys"},
		{args: []string{"-jwt-keys", dir}, want: "-jwt-keys"}, // no key files
		{args: []string{"-issuer", "notes.example.com"}, want: "-issuer"},
		{args: []string{"-debug-addr", "0.0.0.0:0"}, want: "-debug-addr"},
		{args: []string{"-debug-addr", "example.com:6060"}, want: "-debug-addr"},
	} {
		// A case that wrongly starts the service stops after a while and fails.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		args := append([]string{"-addr", "127.0.0.1:0", "-db", "sqlite:" + filepath.Join(dir, "x.db")}, tc.args...)
		err := run(ctx, args, func(string) string { return tc.env }, io.Discard, io.Discard)
		cancel()
		switch {
		case err == nil:
			t.Errorf("run(%q) = nil, want an error", tc.args)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("run(%q) = %v, want it to mention %q", tc.args, err, tc.want)
		case strings.Contains(err.Error(), "s3cret"):
			t.Errorf("run(%q) = %v: the error shows the SMTP password", tc.args, err)
		}
	}
}

func TestMain(m *testing.M) {
	// The example's default database is a file in the working directory;
	// tests always pass -db, so none is left behind.
	os.Exit(m.Run())
}

func TestDefaultPublicURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}, "http://127.0.0.1:8000"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8000}, "http://localhost:8000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8000}, "http://localhost:8000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8000}, "http://[::1]:8000"},
	} {
		if got := defaultPublicURL(tc.addr); got != tc.want {
			t.Errorf("defaultPublicURL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
		if err := checkPublicURL(tc.want); err != nil {
			t.Errorf("%s refused: %v", tc.want, err)
		}
	}
}

// Throttling is on by default; -limits off turns it off for load tests.
func TestLimitsFlag(t *testing.T) {
	wrongLogins := func(base string, n int) []int {
		var statuses []int
		form := url.Values{"username": {"nobody@example.com"}, "password": {"not-the-password"}}.Encode()
		for range n {
			res, err := http.Post(base+"/auth/jwt/login", "application/x-www-form-urlencoded", strings.NewReader(form))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			statuses = append(statuses, res.StatusCode)
		}
		return statuses
	}
	on := wrongLogins(startService(t, "-db", "sqlite:"+filepath.Join(t.TempDir(), "on.db")), 6)
	if want := []int{400, 400, 400, 400, 400, 429}; !slices.Equal(on, want) {
		t.Fatalf("default limits: %v, want %v", on, want)
	}
	off := wrongLogins(startService(t, "-limits", "off", "-db", "sqlite:"+filepath.Join(t.TempDir(), "off.db")), 8)
	for _, s := range off {
		if s != 400 {
			t.Fatalf("-limits off: %v", off)
		}
	}
	if err := run(context.Background(), []string{"-limits", "maybe"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("-limits maybe accepted")
	}
}

// The example declares its own user field, display_name, and serves its
// OpenAPI document, which shows it.
func TestDisplayNameAndOpenAPI(t *testing.T) {
	base := startService(t, "-db", "sqlite:"+filepath.Join(t.TempDir(), "n.db"))
	res, err := http.Post(base+"/auth/register", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"analytical-engine-1843","display_name":"Ada L."}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 || !strings.HasSuffix(string(body), `"is_verified":false,"display_name":"Ada L."}`) {
		t.Fatalf("register: %d %s", res.StatusCode, body)
	}
	res, err = http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		!strings.Contains(string(doc), `"display_name"`) || !strings.Contains(string(doc), `"/auth/jwt/login"`) {
		t.Fatalf("openapi.json: %d %.300s", res.StatusCode, doc)
	}
}
