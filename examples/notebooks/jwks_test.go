package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/peers"
	"github.com/go-authkit/authkit/strategy"
)

// The issuer the verifiers pin: fixed, so that it survives the restart
// (and new port) of a rotation.
const testIssuer = "https://notebooks.test"

// jwtLogin registers email (once) and returns a jwt-backend access token.
func jwtLogin(t *testing.T, base, email string) string {
	t.Helper()
	body := `{"email":"` + email + `","password":"analytical-engine-1843"}`
	res, err := http.Post(base+"/auth/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	form := url.Values{"username": {email}, "password": {"analytical-engine-1843"}}
	res, err = http.PostForm(base+"/auth/jwt/login", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("jwt login %s: %d %v", email, res.StatusCode, err)
	}
	return tok.AccessToken
}

func getJSON(t *testing.T, u string, v any) http.Header {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res.Header
}

// tamper changes one character of the token's payload: the signature no
// longer matches.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

// TestVerifiedByOthers: Node (jose) and Python (PyJWT) resource servers
// verify the example's access tokens by its published keys, and refuse a
// tampered one; after a key rotation (authkit keys rotate, then a
// restart) the old tokens still verify and new ones carry the new key.
func TestVerifiedByOthers(t *testing.T) {
	peers.Dir(t)
	peers.CheckPyJWT(t)
	keys := filepath.Join(t.TempDir(), "keys")
	first, err := strategy.GenerateKey(keys, "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db := sqliteDSN(t)
	args := []string{"-db", db, "-jwt-keys", keys, "-issuer", testIssuer, "-limits", "off"}
	verifiers := []string{"jose", "pyjwt"}
	check := func(t *testing.T, base string, tokens []string, want []peers.Verdict) {
		t.Helper()
		for _, v := range verifiers {
			got := peers.Verify(t, v, base+"/.well-known/jwks.json", testIssuer, strategy.DefaultAudience, tokens...)
			for i := range want {
				if got[i].OK != want[i].OK || want[i].OK && got[i].Kid != want[i].Kid {
					t.Errorf("%s, token %d: %+v, want %+v", v, i, got[i], want[i])
				}
			}
		}
	}

	var oldToken string
	t.Run("first key", func(t *testing.T) {
		base := startService(t, args...)
		var disc map[string]string
		getJSON(t, base+"/.well-known/openid-configuration", &disc)
		if disc["issuer"] != testIssuer || disc["jwks_uri"] != testIssuer+"/.well-known/jwks.json" {
			t.Fatalf("discovery %v", disc)
		}
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		h := getJSON(t, base+"/.well-known/jwks.json", &set)
		if len(set.Keys) != 1 || set.Keys[0]["kid"] != first || set.Keys[0]["d"] != nil || h.Get("Cache-Control") != "public, max-age=900" {
			t.Fatalf("jwks %v, Cache-Control %q", set.Keys, h.Get("Cache-Control"))
		}
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		getJSON(t, base+"/openapi.json", &doc)
		for _, p := range []string{"/.well-known/jwks.json", "/.well-known/openid-configuration", "/auth/jwt/introspect", "/auth/jwt/login"} {
			if doc.Paths[p] == nil {
				t.Errorf("the example's OpenAPI document lacks %s", p)
			}
		}
		oldToken = jwtLogin(t, base, "ada@example.com")
		check(t, base, []string{oldToken, tamper(oldToken)}, []peers.Verdict{{OK: true, Kid: first}, {OK: false}})
		// Another audience or issuer pinned: refused.
		for _, v := range verifiers {
			if got := peers.Verify(t, v, base+"/.well-known/jwks.json", "https://other.test", strategy.DefaultAudience, oldToken); got[0].OK {
				t.Errorf("%s accepted the token for another issuer", v)
			}
			if got := peers.Verify(t, v, base+"/.well-known/jwks.json", testIssuer, "other-api", oldToken); got[0].OK {
				t.Errorf("%s accepted the token for another audience", v)
			}
		}
	})
	if t.Failed() {
		return
	}
	// The rotation: the CLI's work (cmd/authkit keys rotate), then a restart.
	second, err := strategy.GenerateKey(keys, "EdDSA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("after rotation", func(t *testing.T) {
		base := startService(t, args...)
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		getJSON(t, base+"/.well-known/jwks.json", &set)
		if len(set.Keys) != 2 || set.Keys[0]["kid"] != second || set.Keys[1]["kid"] != first {
			t.Fatalf("jwks after rotation %v, want %s then %s", set.Keys, second, first)
		}
		newToken := jwtLogin(t, base, "grace@example.com")
		check(t, base, []string{oldToken, newToken, tamper(newToken)},
			[]peers.Verdict{{OK: true, Kid: first}, {OK: true, Kid: second}, {OK: false}})
	})
}
