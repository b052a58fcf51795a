package strategy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestKeyPinsAlgorithm checks the key lookup on its own: golang-jwt's
// methods also refuse a key of the wrong type, which hides this check from
// the black-box tests, yet the lookup must not rely on that (RFC 8725
// §3.1: the key decides the algorithm, not the token).
func TestKeyPinsAlgorithm(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(SignerConfig{Audience: "aud", Keys: &KeySet{
		SigningKeyID: "ec", SigningKey: ec, VerificationKeys: map[string]crypto.PublicKey{"ed": edPub},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		header string
		ok     bool
	}{
		{`{"alg":"ES256","kid":"ec"}`, true},
		{`{"alg":"EdDSA","kid":"ed"}`, true},
		{`{"alg":"EdDSA","kid":"ec"}`, false},
		{`{"alg":"ES256","kid":"ed"}`, false},
		{`{"alg":"RS256","kid":"ec"}`, false},
		{`{"alg":"HS256","kid":"ec"}`, false},
		{`{"alg":"ES384","kid":"ec"}`, false},
		{`{"alg":"ES256"}`, false},
		{`{"alg":"ES256","kid":"x"}`, false},
		{`{"alg":"ES256","kid":"ec","crit":["b64"]}`, false},
	} {
		tok, _, err := jwt.NewParser().ParseUnverified(b64(tt.header)+"."+b64(`{}`)+".", jwt.MapClaims{})
		if err != nil {
			t.Fatalf("%s: %v", tt.header, err)
		}
		key, err := s.key(tok)
		if tt.ok && (err != nil || key == nil) {
			t.Errorf("%s: key = %v, %v; want the key", tt.header, key, err)
		}
		if !tt.ok && err == nil {
			t.Errorf("%s: key = %T, want an error", tt.header, key)
		}
	}

	// With a secret, only HS256 gets it.
	h, err := NewSigner(SignerConfig{Audience: "aud", Secret: make([]byte, MinSecretLen)})
	if err != nil {
		t.Fatal(err)
	}
	for _, header := range []string{`{"alg":"HS384"}`, `{"alg":"ES256","kid":"ec"}`} {
		tok, _, err := jwt.NewParser().ParseUnverified(b64(header)+"."+b64(`{}`)+".", jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		if key, err := h.key(tok); err == nil {
			t.Errorf("%s: key = %T, want an error", header, key)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
