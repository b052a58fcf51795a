package jwks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/peers"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/jwks"
	"github.com/go-authkit/authkit/transport"
)

// betterAuthUser signs a new user up at the better-auth at base, then in
// (as a browser would, in a fresh session), and returns a client holding
// that session.
func betterAuthUser(t *testing.T, base, email string) *http.Client {
	t.Helper()
	var c *http.Client
	for _, path := range []string{"/api/auth/sign-up/email", "/api/auth/sign-in/email"} {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar}
		req, _ := http.NewRequest(http.MethodPost, base+path,
			strings.NewReader(`{"email":"`+email+`","password":"correct horse battery","name":"Ann"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s at better-auth: %d %s", path, res.StatusCode, b)
		}
	}
	return c
}

// betterAuthToken asks better-auth for the session's JWT.
func betterAuthToken(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	res, err := c.Get(base + "/api/auth/token")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK || tok.Token == "" {
		t.Fatalf("better-auth token: %d %v", res.StatusCode, err)
	}
	return tok.Token
}

func header(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// forge re-signs tok's payload with HS256 under header, keyed with key:
// the public key of the kid as an HMAC secret (the classic confusion).
func forge(tok string, hdr map[string]any, key []byte) string {
	h, _ := json.Marshal(hdr)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + strings.Split(tok, ".")[1]
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestBetterAuthIssuer: a user signs in at a real better-auth (npm, on
// PostgreSQL, on loopback) and its JWT opens an authkit-protected route;
// a token of another better-auth, one for another audience, an expired
// one, an unknown kid and an alg switch are refused; a key rotation at
// better-auth is picked up.
func TestBetterAuthIssuer(t *testing.T) {
	const rotate = 3 * time.Second
	bases := peers.StartBetterAuth(t, []string{"ROTATE_SECONDS=3"}, testdb.PostgresURL(t), testdb.PostgresURL(t))
	issuer, other := bases[0], bases[1]
	ann := betterAuthUser(t, issuer, "ann@example.com")
	tok := betterAuthToken(t, ann, issuer)
	firstToken := time.Now()
	kid1, _ := header(t, tok)["kid"].(string)

	st := openStore(t)
	newStrategy := func(audience string, now func() time.Time) (*jwks.Strategy, error) {
		return jwks.New(t.Context(), jwks.Config{
			Issuer: issuer, Audience: audience, JWKSURL: issuer + "/api/auth/jwks",
			Users: st, Provision: true, Claims: jwks.Claims{EmailVerified: "emailVerified"},
			MinRefreshInterval: 100 * time.Millisecond, Now: now,
		})
	}
	remote, err := newStrategy("notes-api", nil)
	if err != nil {
		t.Fatal(err)
	}
	kit, err := authkit.New(authkit.Config{Users: st,
		Backends: []authkit.AuthenticationBackend{{Name: "better-auth", Transport: transport.Bearer{}, Strategy: remote}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kit.AuthRouter("better-auth"); err == nil {
		t.Fatal("AuthRouter: login and logout for better-auth's tokens")
	}
	gh, err := oauth.NewGitHub(oauth.GitHubConfig{ClientID: "id", RedirectURL: "https://app.example/callback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kit.OAuthRouter(gh, "better-auth", authkit.OAuthOptions{}); err == nil || !strings.Contains(err.Error(), "another issuer") {
		t.Fatalf("OAuthRouter through a read-only backend: %v", err)
	}
	api := httptest.NewServer(kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authkit.UserFrom(r.Context())
		io.WriteString(w, u.Email)
	})))
	defer api.Close()
	call := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/notes", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := call(tok); code != http.StatusOK || body != "ann@example.com" {
		t.Fatalf("better-auth's token: %d %s", code, body)
	}

	// Refused.
	otherTok := betterAuthToken(t, betterAuthUser(t, other, "ann@example.com"), other)
	var set struct {
		Keys []struct {
			Kid, X string
		} `json:"keys"`
	}
	res, err := http.Get(issuer + "/api/auth/jwks")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	x, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	unknownKid := header(t, tok)
	unknownKid["kid"] = "no-such-kid"
	hs := header(t, tok)
	hs["alg"] = "HS256"
	none := header(t, tok)
	none["alg"] = "none"
	noneTok := strings.Join(strings.Split(forge(tok, none, nil), ".")[:2], ".") + "."
	for name, token := range map[string]string{
		"another better-auth":       otherTok,
		"unknown kid":               forge(tok, unknownKid, x) + "", // and a signature of nothing
		"alg switch to HS256":       forge(tok, hs, x),
		"alg switch to HS256 (b64)": forge(tok, hs, []byte(set.Keys[0].X)),
		"alg none":                  noneTok,
		"tampered":                  tok[:len(tok)-4] + "AAAA",
	} {
		if code, body := call(token); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, code, body)
		}
	}
	wrongAudience, err := newStrategy("another-api", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrongAudience.Read(t.Context(), tok); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("for another audience: %v, want ErrInvalidToken", err)
	}
	later, err := newStrategy("notes-api", func() time.Time { return time.Now().Add(16 * time.Minute) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := later.Read(t.Context(), tok); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("expired (15 minutes later): %v, want ErrInvalidToken", err)
	}

	// Rotation: once the key is ROTATE_SECONDS old, better-auth signs with
	// a new one, which authkit fetches on its first token.
	time.Sleep(time.Until(firstToken.Add(rotate + 200*time.Millisecond)))
	rotated := betterAuthToken(t, ann, issuer)
	kid2, _ := header(t, rotated)["kid"].(string)
	if kid2 == kid1 {
		t.Fatalf("better-auth did not rotate: kid %s", kid1)
	}
	if code, body := call(rotated); code != http.StatusOK || body != "ann@example.com" {
		t.Fatalf("token of the new key %s: %d %s", kid2, code, body)
	}
	if code, body := call(tok); code != http.StatusOK {
		t.Fatalf("token of the old key, in its grace period: %d %s", code, body)
	}
}
