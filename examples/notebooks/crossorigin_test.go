package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	frontEnd = "http://localhost:5173" // the front end's own origin
	stranger = "http://evil.example"
)

// crossOrigin sends what a browser on origin sends with fetch(...,
// {credentials: "include"}) to the API on another port of the same host.
func crossOrigin(t *testing.T, method, url, origin, ctype, body string, hdr http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "same-site") // localhost:5173 → 127.0.0.1: cross-site, but the check is the same
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// The cookie backend from a front end on another origin: refused (CSRF)
// unless -trusted-origins names it, and then only it; -cookie-name names
// the cookie.
func TestCookieFromAnotherOrigin(t *testing.T) {
	dir := t.TempDir()
	form := url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}}.Encode()
	for _, tc := range []struct {
		name    string
		args    []string
		cookie  string
		allowed bool
	}{
		{"default", nil, "authkit", false},
		{"trusted", []string{"-trusted-origins", " https://app.example.com, " + frontEnd, "-cookie-name", "fastapiusersauth"}, "fastapiusersauth", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startService(t, append([]string{"-db", "sqlite:" + filepath.Join(dir, tc.name+".db")}, tc.args...)...)
			register(t, base, "ada@example.com", "analytical-engine-1843")
			if res := crossOrigin(t, "POST", base+"/auth/cookie/login", stranger, "application/x-www-form-urlencoded", form, nil); res.StatusCode != 403 {
				t.Fatalf("login from %s: %d, want 403", stranger, res.StatusCode)
			}
			res := crossOrigin(t, "POST", base+"/auth/cookie/login", frontEnd, "application/x-www-form-urlencoded", form, nil)
			if !tc.allowed {
				if res.StatusCode != 403 {
					t.Fatalf("login from an untrusted %s: %d, want 403", frontEnd, res.StatusCode)
				}
				return
			}
			if res.StatusCode != 204 || len(res.Cookies()) != 1 || res.Cookies()[0].Name != tc.cookie || !res.Cookies()[0].HttpOnly {
				t.Fatalf("login from %s: %d %v", frontEnd, res.StatusCode, res.Cookies())
			}
			hdr := http.Header{"Cookie": {tc.cookie + "=" + res.Cookies()[0].Value}}
			// The cookie under its name is what authenticates.
			c := &client{t: t, base: base, hdr: hdr}
			c.expect(200, "GET", "/users/me", "", nil)
			if res := crossOrigin(t, "PATCH", base+"/users/me", stranger, "application/json", `{"display_name":"Eve"}`, hdr); res.StatusCode != 403 {
				t.Fatalf("PATCH from %s: %d, want 403", stranger, res.StatusCode)
			}
			if res := crossOrigin(t, "PATCH", base+"/users/me", frontEnd, "application/json", `{"display_name":"Ada"}`, hdr); res.StatusCode != 200 {
				t.Fatalf("PATCH from %s: %d", frontEnd, res.StatusCode)
			}
			if res := crossOrigin(t, "POST", base+"/auth/cookie/logout", frontEnd, "", "", hdr); res.StatusCode != 204 {
				t.Fatalf("logout from %s: %d", frontEnd, res.StatusCode)
			}
			c.expect(401, "GET", "/users/me", "", nil)
		})
	}
}

// -cors-origins: the front ends named, and only they, may call the API
// from their origin and read the answers, credentials included.
func TestCORS(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t), "-cors-origins", frontEnd)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/users/me", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PATCH")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := preflight(frontEnd)
	want := map[string]string{
		"Access-Control-Allow-Origin":      frontEnd,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, POST, PATCH, DELETE",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type",
	}
	if res.StatusCode != 204 {
		t.Fatalf("preflight: %d", res.StatusCode)
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("preflight %s: %q, want %q", k, got, v)
		}
	}
	if res := preflight(stranger); res.Header.Get("Access-Control-Allow-Origin") != "" || res.StatusCode == 204 {
		t.Errorf("preflight from %s: %d %v", stranger, res.StatusCode, res.Header)
	}
	// An actual request: readable by the front end, not by the stranger;
	// Vary: Origin keeps caches from mixing the two.
	for origin, acao := range map[string]string{frontEnd: frontEnd, stranger: ""} {
		res := crossOrigin(t, "GET", base+"/users/me", origin, "", "", nil)
		if res.StatusCode != 401 || res.Header.Get("Access-Control-Allow-Origin") != acao || res.Header.Get("Vary") != "Origin" {
			t.Errorf("GET from %s: %d %v", origin, res.StatusCode, res.Header)
		}
	}
}

// Origin lists admit exact origins only.
func TestOriginFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-cors-origins", "*"},
		{"-cors-origins", "null"},
		{"-cors-origins", "http://*.example.com"},
		{"-cors-origins", "https://app.example.com/"},
		{"-cors-origins", "app.example.com"},
		{"-trusted-origins", "https://app.example.com/path"},
		{"-trusted-origins", "ftp://app.example.com"},
		{"-cookie-name", "bad name"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, append([]string{"-addr", "127.0.0.1:0", "-db", "sqlite:" + filepath.Join(dir, "x.db")}, args...),
			func(string) string { return "" }, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("run(%q) = %v, want an error about %s", args, err, args[0])
		}
	}
}

// -refresh-jwt: the jwt backend's refresh tokens are JWTs with exp, and
// are still rotated and reuse-detected.
func TestRefreshJWTFlag(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t), "-refresh-jwt")
	register(t, base, "ada@example.com", "analytical-engine-1843")
	form := url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}}.Encode()
	res, err := http.Post(base+"/auth/jwt/login", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if strings.Count(tok.RefreshToken, ".") != 2 {
		t.Fatalf("refresh token %q is not a JWT", tok.RefreshToken)
	}
	c := &client{t: t, base: base}
	var next struct {
		RefreshToken string `json:"refresh_token"`
	}
	c.expect(200, "POST", "/auth/jwt/refresh", `{"refresh_token":"`+tok.RefreshToken+`"}`, &next)
	if strings.Count(next.RefreshToken, ".") != 2 || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("rotated to %q", next.RefreshToken)
	}
	c.expectDetail(400, "POST", "/auth/jwt/refresh", `{"refresh_token":"`+tok.RefreshToken+`"}`, `{"detail":"REFRESH_TOKEN_INVALID"}`)
	c.expectDetail(400, "POST", "/auth/jwt/refresh", `{"refresh_token":"`+next.RefreshToken+`"}`, `{"detail":"REFRESH_TOKEN_INVALID"}`)
}
