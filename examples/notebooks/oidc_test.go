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

	"github.com/go-authkit/authkit/internal/idptest"
)

// noFollow follows no redirects, so that each step is seen.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, rawURL string, cookies ...*http.Cookie) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func cookieNamed(t *testing.T, res *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no cookie %s in %v", name, res.Header.Values("Set-Cookie"))
	return nil
}

// signIn runs a provider login from /authorize to the callback's answer.
func signIn(t *testing.T, idp *idptest.Server, authorize, cookie string) (*http.Response, []byte) {
	t.Helper()
	res, body := get(t, authorize)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("authorize: %d %s", res.StatusCode, body)
	}
	state := cookieNamed(t, res, cookie)
	var a struct {
		URL string `json:"authorization_url"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	res, body = get(t, a.URL)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider: %d %s", res.StatusCode, body)
	}
	return get(t, res.Header.Get("Location"), state)
}

func TestOIDCLogin(t *testing.T) {
	idp := idptest.New(t)
	idp.SetUser(idptest.User{Sub: "sub-1", Email: "guinevere@camelot.bt", EmailVerified: true})
	base := startServiceEnv(t, map[string]string{"AUTHKIT_OIDC_CLIENT_SECRET": idp.ClientSecret}, io.Discard,
		"-db", sqliteDSN(t), "-oidc-issuer", idp.URL, "-oidc-client-id", idp.ClientID)
	for _, p := range []string{"/auth/oidc", "/auth/oidc-web", "/auth/associate/oidc"} {
		idp.AddRedirectURI(base + p + "/callback")
	}

	res, body := get(t, base+"/api/providers")
	host := strings.TrimPrefix(idp.URL, "http://")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"label":"`+host+`"`) {
		t.Fatalf("providers: %d %s", res.StatusCode, body)
	}

	// API clients: the jwt backend's JSON.
	res, b := signIn(t, idp, base+"/auth/oidc/authorize", "authkit_oauth.login.jwt.oidc")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); res.StatusCode != http.StatusOK || err != nil || tok.AccessToken == "" {
		t.Fatalf("jwt login: %d %s", res.StatusCode, b)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	me, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(me.Body)
	me.Body.Close()
	if me.StatusCode != http.StatusOK || !strings.Contains(string(b), `"email":"guinevere@camelot.bt"`) || !strings.Contains(string(b), `"is_verified":true`) {
		t.Fatalf("/users/me: %d %s", me.StatusCode, b)
	}

	// The page's button: the cookie backend, back to the page.
	res, _ = signIn(t, idp, base+"/auth/oidc-web/authorize?redirect_to="+url.QueryEscape("/"), "authkit_oauth.login.cookie.oidc")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("web login: %d %v", res.StatusCode, res.Header)
	}
	session := cookieNamed(t, res, "authkit")
	if res, b := get(t, base+"/users/me", session); res.StatusCode != http.StatusOK || !strings.Contains(string(b), "guinevere") {
		t.Fatalf("/users/me with the cookie: %d %s", res.StatusCode, b)
	}
	// No open redirect.
	if res, _ := get(t, base+"/auth/oidc-web/authorize?redirect_to="+url.QueryEscape("https://evil.example/")); res.StatusCode != http.StatusBadRequest {
		t.Errorf("evil redirect_to: %d", res.StatusCode)
	}
}

func TestOIDCNotConfigured(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t))
	res, body := get(t, base+"/api/providers")
	if res.StatusCode != http.StatusOK || string(body) != `{"providers":[]}`+"\n" && string(body) != `{"providers":[]}` {
		t.Errorf("providers: %d %q", res.StatusCode, body)
	}
	if res, _ := get(t, base+"/auth/oidc/authorize"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/auth/oidc/authorize without a provider: %d", res.StatusCode)
	}
}

func TestOIDCBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-oidc-issuer", "http://127.0.0.1:1"}, "go together"},
		{[]string{"-oidc-client-id", "x"}, "go together"},
		{[]string{"-oidc-issuer", "http://" + closedAddr(t), "-oidc-client-id", "x"}, "-oidc-issuer"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		args := append([]string{"-addr", "127.0.0.1:0", "-db", "sqlite:" + filepath.Join(dir, "x.db")}, tc.args...)
		err := run(ctx, args, func(string) string { return "" }, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}
