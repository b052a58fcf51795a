package strategy_test

import (
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
)

// TestSignerIssuer: with an Issuer the tokens carry iss, and tokens
// without exactly that iss are refused.
func TestSignerIssuer(t *testing.T) {
	c := newClock()
	keys := loadKeys(t)
	ks := &strategy.KeySet{SigningKeyID: "a", SigningKey: keys.ec}
	s := newSigner(t, strategy.SignerConfig{Keys: ks, Audience: "aud", Issuer: "https://auth.example", Now: c.Now})
	tok, err := s.Sign("sub", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Iss string `json:"iss"`
	}
	if _, err := s.Parse(tok, &got); err != nil || got.Iss != "https://auth.example" {
		t.Fatalf("Parse: %v, iss %q", err, got.Iss)
	}
	for name, other := range map[string]*strategy.Signer{
		"no issuer":      newSigner(t, strategy.SignerConfig{Keys: ks, Audience: "aud", Now: c.Now}),
		"another issuer": newSigner(t, strategy.SignerConfig{Keys: ks, Audience: "aud", Issuer: "https://evil.example", Now: c.Now}),
	} {
		tok, err := other.Sign("sub", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Parse(tok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
}

// TestPublicKeys: the signing key first, retired keys until their time,
// and none for a secret.
func TestPublicKeys(t *testing.T) {
	c := newClock()
	keys := loadKeys(t)
	s := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "new", SigningKey: keys.ed,
		VerificationKeys: map[string]crypto.PublicKey{"old": keys.ec.Public(), "next": keys.rsa.Public()},
		RetiredUntil:     map[string]time.Time{"old": c.Now().Add(time.Hour)},
	}})
	ids := func() (out []string) {
		pks, err := s.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range pks {
			out = append(out, k.ID+":"+k.Alg)
		}
		return out
	}
	if got, want := ids(), []string{"new:EdDSA", "next:RS256", "old:ES256"}; !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	oldSigner := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{SigningKeyID: "old", SigningKey: keys.ec}})
	oldTok, _ := oldSigner.Sign("sub", nil)
	c.Add(30 * time.Minute) // the old token is alive, its key too
	if _, err := s.Parse(oldTok, nil); err != nil {
		t.Fatalf("old key before its end: %v", err)
	}
	c.Add(31 * time.Minute)
	if got, want := ids(), []string{"new:EdDSA", "next:RS256"}; !slices.Equal(got, want) {
		t.Fatalf("after the old key's end: %v, want %v", got, want)
	}
	if _, err := s.Parse(oldTok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("old key after its end: %v, want ErrInvalidToken", err)
	}
	hs := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "aud"})
	if _, err := hs.PublicKeys(); !errors.Is(err, strategy.ErrSymmetricKey) {
		t.Fatalf("HS256: %v, want ErrSymmetricKey", err)
	}
	if _, err := strategy.NewSigner(strategy.SignerConfig{Audience: "aud", Keys: &strategy.KeySet{
		SigningKeyID: "a", SigningKey: keys.ed, RetiredUntil: map[string]time.Time{"b": c.Now()},
	}}); err == nil {
		t.Fatal("RetiredUntil of a key that is not in the set accepted")
	}
}

// TestKeyDir: generate, rotate, load and prune a key directory.
func TestKeyDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	c := newClock()
	const maxAge = time.Hour
	if _, err := strategy.LoadKeyDir(dir, maxAge, c.Now()); err == nil {
		t.Fatal("missing directory loaded")
	}
	first, err := strategy.GenerateKey(dir, "ES256", c.Now())
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, first+".pem"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, info.Mode())
	}
	load := func() (*strategy.KeySet, *strategy.Signer) {
		t.Helper()
		ks, err := strategy.LoadKeyDir(dir, maxAge, c.Now())
		if err != nil {
			t.Fatal(err)
		}
		return ks, newSigner(t, strategy.SignerConfig{Keys: ks, Audience: "aud", Now: c.Now})
	}
	ks, s1 := load()
	if ks.SigningKeyID != first || len(ks.VerificationKeys) != 0 {
		t.Fatalf("one key: %+v", ks)
	}
	tok1, _ := s1.Sign("sub", nil)
	c.Add(time.Minute)
	second, err := strategy.GenerateKey(dir, "EdDSA", c.Now())
	if err != nil {
		t.Fatal(err)
	}
	ks, s2 := load()
	if ks.SigningKeyID != second || ks.VerificationKeys[first] == nil {
		t.Fatalf("after rotation: signing %q, verifying %v", ks.SigningKeyID, ks.VerificationKeys)
	}
	if want := c.Now().Add(maxAge); !ks.RetiredUntil[first].Equal(want.Truncate(time.Second)) && !ks.RetiredUntil[first].Equal(want) {
		t.Fatalf("retired until %v, want %v", ks.RetiredUntil[first], want)
	}
	tok2, _ := s2.Sign("sub", nil)
	var h struct{}
	for _, tok := range []string{tok1, tok2} {
		if _, err := s2.Parse(tok, &h); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if p, _, _ := jwt.NewParser().ParseUnverified(tok2, jwt.MapClaims{}); p.Header["kid"] != second {
		t.Fatalf("new token's kid %v, want %s", p.Header["kid"], second)
	}
	if gone, err := strategy.PruneKeyDir(dir, maxAge, c.Now()); err != nil || len(gone) != 0 {
		t.Fatalf("prune too early: %v, %v", gone, err)
	}
	c.Add(maxAge + time.Second)
	ks, _ = load()
	if len(ks.VerificationKeys) != 0 {
		t.Fatalf("retired key still loaded after its tokens expired: %v", ks.VerificationKeys)
	}
	if gone, err := strategy.PruneKeyDir(dir, maxAge, c.Now()); err != nil || !slices.Equal(gone, []string{first}) {
		t.Fatalf("prune: %v, %v; want [%s]", gone, err, first)
	}
	if _, err := strategy.GenerateKey(dir, "HS256", c.Now()); err == nil {
		t.Fatal("HS256 key generated")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := strategy.LoadKeyDir(dir, maxAge, c.Now()); err == nil {
		t.Fatal("a directory with a broken key file loaded")
	}
}
