package strategy_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
)

// testKeys are fixed key pairs read from testdata/keys (written by
// OpenSSL), so that no test waits for RSA key generation.
type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

func loadKeys(t testing.TB) testKeys {
	t.Helper()
	return testKeys{
		rsa:  mustPriv(t, "rsa2048.pem").(*rsa.PrivateKey),
		rsa2: mustPriv(t, "rsa2048b.pem").(*rsa.PrivateKey),
		ec:   mustPriv(t, "p256.pem").(*ecdsa.PrivateKey),
		ed:   mustPriv(t, "ed25519.pem").(ed25519.PrivateKey),
	}
}

func readKeyFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustPriv(t testing.TB, name string) crypto.Signer {
	t.Helper()
	k, err := strategy.ParsePrivateKeyPEM(readKeyFile(t, name))
	if err != nil {
		t.Fatalf("ParsePrivateKeyPEM(%s): %v", name, err)
	}
	return k
}

// rawKey parses a PEM file with the standard library alone, bypassing
// authkit's checks, to hand refused keys to NewSigner.
func rawKey(t testing.TB, name string) any {
	t.Helper()
	b, _ := pem.Decode(readKeyFile(t, name))
	if b == nil {
		t.Fatalf("%s: no PEM", name)
	}
	var k any
	var err error
	if b.Type == "PUBLIC KEY" {
		k, err = x509.ParsePKIXPublicKey(b.Bytes)
	} else {
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

// opaque hides the type of a crypto.Signer, as a key held by a KMS would.
type opaque struct{ crypto.Signer }

// pssSigner is an RSA signer that signs PSS whatever it is asked: a KMS
// configured for the wrong scheme.
type pssSigner struct{ *rsa.PrivateKey }

func (p pssSigner) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	return p.PrivateKey.Sign(r, digest, &rsa.PSSOptions{Hash: crypto.SHA256})
}

// TestKeySetAlgorithms: each kind of key signs with its algorithm, writes
// its kid, and verifies its own tokens, whether the key is a standard
// library type or an opaque crypto.Signer.
func TestKeySetAlgorithms(t *testing.T) {
	k := loadKeys(t)
	for _, tt := range []struct {
		alg string
		key crypto.Signer
	}{
		{"RS256", k.rsa}, {"ES256", k.ec}, {"EdDSA", k.ed},
		{"RS256", opaque{k.rsa}}, {"ES256", opaque{k.ec}}, {"EdDSA", opaque{k.ed}},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			c := newClock()
			s := newSigner(t, strategy.SignerConfig{
				Keys:     &strategy.KeySet{SigningKeyID: "key-1", SigningKey: tt.key},
				Audience: "aud", Now: c.Now,
			})
			tok, err := s.Sign("user", map[string]string{"email": "a@b.c"})
			if err != nil {
				t.Fatal(err)
			}
			header, _ := decodeParts(t, tok)
			if header["alg"] != tt.alg || header["kid"] != "key-1" || header["typ"] != "JWT" || len(header) != 3 {
				t.Errorf("header = %v", header)
			}
			var extra struct {
				Email string `json:"email"`
			}
			claims, err := s.Parse(tok, &extra)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if claims.Subject != "user" || extra.Email != "a@b.c" || !claims.IssuedAt.Equal(c.Now()) {
				t.Errorf("claims %+v, extra %+v", claims, extra)
			}
			// The token is standard: golang-jwt alone verifies it with the
			// public key.
			pub := tt.key.Public()
			if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
				jwt.WithValidMethods([]string{tt.alg}), jwt.WithTimeFunc(c.Now)); err != nil {
				t.Errorf("golang-jwt refuses the token: %v", err)
			}
			// One signature per token: ECDSA is randomised, RSA and Ed25519
			// are not, but the jti differs.
			again, err := s.Sign("user", nil)
			if err != nil || again == tok {
				t.Errorf("second token %q, %v", again, err)
			}
		})
	}
}

// TestKeySetRotation walks through a rotation from an Ed25519 key to a
// P-256 key across instances: the new key is announced, then signs, then
// the old one is dropped.
func TestKeySetRotation(t *testing.T) {
	k := loadKeys(t)
	c := newClock()
	cfg := func(ks strategy.KeySet) strategy.SignerConfig {
		return strategy.SignerConfig{Keys: &ks, Audience: "aud", Now: c.Now}
	}
	before := newSigner(t, cfg(strategy.KeySet{SigningKeyID: "2025-01", SigningKey: k.ed}))
	announced := newSigner(t, cfg(strategy.KeySet{SigningKeyID: "2025-01", SigningKey: k.ed,
		VerificationKeys: map[string]crypto.PublicKey{"2025-06": k.ec.Public()}}))
	rotated := newSigner(t, cfg(strategy.KeySet{SigningKeyID: "2025-06", SigningKey: k.ec,
		VerificationKeys: map[string]crypto.PublicKey{"2025-01": k.ed.Public()}}))
	after := newSigner(t, cfg(strategy.KeySet{SigningKeyID: "2025-06", SigningKey: k.ec}))

	oldTok, err := before.Sign("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	newTok, err := rotated.Sign("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := decodeParts(t, oldTok); h["kid"] != "2025-01" || h["alg"] != "EdDSA" {
		t.Errorf("old token header %v", h)
	}
	if h, _ := decodeParts(t, newTok); h["kid"] != "2025-06" || h["alg"] != "ES256" {
		t.Errorf("new token header %v", h)
	}
	for _, tt := range []struct {
		name  string
		s     *strategy.Signer
		tok   string
		valid bool
	}{
		{"old token, old instance", before, oldTok, true},
		{"new token, instance without the new key", before, newTok, false},
		{"new token, instance that announced the new key", announced, newTok, true},
		{"old token during the overlap", rotated, oldTok, true},
		{"new token during the overlap", rotated, newTok, true},
		{"old token once the old key is removed", after, oldTok, false},
		{"new token once the old key is removed", after, newTok, true},
	} {
		_, err := tt.s.Parse(tt.tok, nil)
		if tt.valid && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.valid && !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("%s: Parse = %v, want ErrInvalidToken", tt.name, err)
		}
	}
}

// TestSecretRotation: with PreviousSecrets, tokens of the previous secret
// verify, new ones are signed with Secret only.
func TestSecretRotation(t *testing.T) {
	c := newClock()
	oldSecret, newSecret := secret, []byte(strings.Repeat("n", 32))
	before := newSigner(t, strategy.SignerConfig{Secret: oldSecret, Audience: "aud", Now: c.Now})
	rotated := newSigner(t, strategy.SignerConfig{Secret: newSecret, PreviousSecrets: [][]byte{oldSecret}, Audience: "aud", Now: c.Now})
	after := newSigner(t, strategy.SignerConfig{Secret: newSecret, Audience: "aud", Now: c.Now})
	oldTok, err := before.Sign("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	newTok, err := rotated.Sign("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := decodeParts(t, newTok); len(h) != 2 || h["alg"] != "HS256" {
		t.Errorf("header %v, want alg and typ only", h)
	}
	if _, err := rotated.Parse(oldTok, nil); err != nil {
		t.Errorf("old token during the overlap: %v", err)
	}
	if _, err := after.Parse(newTok, nil); err != nil {
		t.Errorf("new token is not signed with the new secret: %v", err)
	}
	if _, err := before.Parse(newTok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("new token with the old secret: %v", err)
	}
	if _, err := after.Parse(oldTok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("old token once the old secret is removed: %v", err)
	}
}

// TestNewSignerKeysRefuses: every bad key configuration is an error from
// the constructor, never a panic, and the unsupported keys say so.
func TestNewSignerKeysRefuses(t *testing.T) {
	k := loadKeys(t)
	rsa1024 := rawKey(t, "rsa1024.pem").(*rsa.PrivateKey)
	p384 := rawKey(t, "p384.pem").(*ecdsa.PrivateKey)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mismatched := &ecdsa.PrivateKey{PublicKey: k.ec.PublicKey, D: big.NewInt(5)}
	_, edOther, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ks := func(signing crypto.Signer, verify map[string]crypto.PublicKey) *strategy.KeySet {
		return &strategy.KeySet{SigningKeyID: "k", SigningKey: signing, VerificationKeys: verify}
	}
	one := func(pub crypto.PublicKey) map[string]crypto.PublicKey { return map[string]crypto.PublicKey{"v": pub} }
	tests := []struct {
		name        string
		cfg         strategy.SignerConfig
		unsupported bool // the error wraps ErrUnsupportedKey
	}{
		{"Secret and Keys", strategy.SignerConfig{Secret: secret, Keys: ks(k.ed, nil)}, false},
		{"PreviousSecrets and Keys", strategy.SignerConfig{PreviousSecrets: [][]byte{secret}, Keys: ks(k.ed, nil)}, false},
		{"short previous secret", strategy.SignerConfig{Secret: secret, PreviousSecrets: [][]byte{secret[:31]}}, false},
		{"previous secrets alone", strategy.SignerConfig{PreviousSecrets: [][]byte{secret}}, false},
		{"empty KeySet", strategy.SignerConfig{Keys: &strategy.KeySet{}}, false},
		{"no SigningKeyID", strategy.SignerConfig{Keys: &strategy.KeySet{SigningKey: k.ed}}, false},
		{"no SigningKey", strategy.SignerConfig{Keys: &strategy.KeySet{SigningKeyID: "k"}}, false},
		{"typed nil RSA key", strategy.SignerConfig{Keys: ks((*rsa.PrivateKey)(nil), nil)}, true},
		{"empty RSA key", strategy.SignerConfig{Keys: ks(&rsa.PrivateKey{}, nil)}, true},
		{"typed nil ECDSA key", strategy.SignerConfig{Keys: ks((*ecdsa.PrivateKey)(nil), nil)}, true},
		{"empty ECDSA key", strategy.SignerConfig{Keys: ks(&ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: elliptic.P256()}}, nil)}, true},
		{"short Ed25519 key", strategy.SignerConfig{Keys: ks(k.ed[:40], nil)}, true},
		{"RSA 1024 signing key", strategy.SignerConfig{Keys: ks(rsa1024, nil)}, true},
		{"RSA 1024 behind a KMS", strategy.SignerConfig{Keys: ks(opaque{rsa1024}, nil)}, true},
		{"P-384 signing key", strategy.SignerConfig{Keys: ks(p384, nil)}, true},
		{"P-224 signing key", strategy.SignerConfig{Keys: ks(p224, nil)}, true},
		{"ECDSA key not matching its public key", strategy.SignerConfig{Keys: ks(mismatched, nil)}, false},
		{"KMS signing PSS", strategy.SignerConfig{Keys: ks(pssSigner{k.rsa}, nil)}, false},
		{"RSA 1024 verification key", strategy.SignerConfig{Keys: ks(k.ed, one(&rsa1024.PublicKey))}, true},
		{"P-384 verification key", strategy.SignerConfig{Keys: ks(k.ed, one(p384.Public()))}, true},
		{"X25519 verification key", strategy.SignerConfig{Keys: ks(k.ed, one(rawKey(t, "x25519.pub.pem")))}, true},
		{"private key as verification key", strategy.SignerConfig{Keys: ks(k.ed, one(k.rsa))}, true},
		{"HMAC secret as verification key", strategy.SignerConfig{Keys: ks(k.ed, one(secret))}, true},
		{"nil verification key", strategy.SignerConfig{Keys: ks(k.ed, one(nil))}, true},
		{"empty RSA public key", strategy.SignerConfig{Keys: ks(k.ed, one(&rsa.PublicKey{}))}, true},
		{"ECDSA point off the curve", strategy.SignerConfig{Keys: ks(k.ed, one(&ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}))}, true},
		{"ECDSA public key without point", strategy.SignerConfig{Keys: ks(k.ed, one(&ecdsa.PublicKey{Curve: elliptic.P256()}))}, true},
		{"short Ed25519 public key", strategy.SignerConfig{Keys: ks(k.ed, one(ed25519.PublicKey(make([]byte, 31))))}, true},
		{"empty verification kid", strategy.SignerConfig{Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: k.ed,
			VerificationKeys: map[string]crypto.PublicKey{"": k.ec.Public()}}}, false},
		{"signing kid with another key", strategy.SignerConfig{Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: k.ed,
			VerificationKeys: map[string]crypto.PublicKey{"k": edOther.Public()}}}, false},
		{"signing kid with another type of key", strategy.SignerConfig{Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: k.ed,
			VerificationKeys: map[string]crypto.PublicKey{"k": k.ec.Public()}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Audience = "aud"
			s, err := strategy.NewSigner(tt.cfg)
			if err == nil || s != nil {
				t.Fatalf("NewSigner = %T, %v; want an error", s, err)
			}
			if got := errors.Is(err, strategy.ErrUnsupportedKey); got != tt.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupportedKey) = %v, want %v", err, got, tt.unsupported)
			}
		})
	}

	// The signing key may be listed among the verification keys.
	if _, err := strategy.NewSigner(strategy.SignerConfig{Audience: "aud", Keys: &strategy.KeySet{
		SigningKeyID: "k", SigningKey: k.ed, VerificationKeys: map[string]crypto.PublicKey{"k": k.ed.Public()},
	}}); err != nil {
		t.Errorf("signing key listed under its own kid: %v", err)
	}
	// An empty Secret beside Keys is no secret (an unset variable).
	if _, err := strategy.NewSigner(strategy.SignerConfig{Audience: "aud", Secret: []byte(""), Keys: ks(k.ed, nil)}); err != nil {
		t.Errorf("empty Secret beside Keys: %v", err)
	}
}

// TestKeySetCopied: changing the caller's map later changes nothing.
func TestKeySetCopied(t *testing.T) {
	k := loadKeys(t)
	verify := map[string]crypto.PublicKey{"ec": k.ec.Public()}
	s := newSigner(t, strategy.SignerConfig{Audience: "aud", Keys: &strategy.KeySet{SigningKeyID: "ed", SigningKey: k.ed, VerificationKeys: verify}})
	ec := newSigner(t, strategy.SignerConfig{Audience: "aud", Keys: &strategy.KeySet{SigningKeyID: "ec", SigningKey: k.ec}})
	tok, err := ec.Sign("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	delete(verify, "ec")
	verify["other"] = k.rsa.Public()
	if _, err := s.Parse(tok, nil); err != nil {
		t.Errorf("Parse after the caller changed its map: %v", err)
	}
}

// TestKeySetRefuses is the table of forgeries against a signer with key
// pairs: kid "rsa" signs, "ec" and "ed" verify. Most tokens are signed with
// a real key, so that only the property under test is wrong.
func TestKeySetRefuses(t *testing.T) {
	k := loadKeys(t)
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "rsa", SigningKey: k.rsa,
		VerificationKeys: map[string]crypto.PublicKey{"ec": k.ec.Public(), "ed": k.ed.Public()},
	}})
	now := c.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "user", "aud": []string{"aud"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": v7(now)}
	}
	kid := func(id string) map[string]any { return map[string]any{"kid": id} }
	p384 := rawKey(t, "p384.pem").(*ecdsa.PrivateKey)
	rsaPubDER, err := x509.MarshalPKIXPublicKey(k.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})
	attacker := k.rsa2 // a key of the right type that is not configured
	attackerDER, err := x509.MarshalPKIXPublicKey(attacker.Public())
	if err != nil {
		t.Fatal(err)
	}
	attackerJWK := map[string]any{
		"kty": "RSA", "kid": "rsa",
		"n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(attacker.E)).Bytes()),
	}

	// Control: a token from each configured key verifies.
	for id, key := range map[string]any{"rsa": k.rsa, "ec": k.ec, "ed": k.ed} {
		m := map[string]jwt.SigningMethod{"rsa": jwt.SigningMethodRS256, "ec": jwt.SigningMethodES256, "ed": jwt.SigningMethodEdDSA}[id]
		if _, err := s.Parse(signAlg(t, m, good(), kid(id), key), nil); err != nil {
			t.Fatalf("a valid %s token is refused: %v", id, err)
		}
	}
	valid := signAlg(t, jwt.SigningMethodRS256, good(), kid("rsa"), k.rsa)
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token string
	}{
		// Algorithm confusion (RFC 8725 §2.1, §3.1).
		{"HS256 with the RSA public key PEM as secret", signAlg(t, jwt.SigningMethodHS256, good(), kid("rsa"), rsaPubPEM)},
		{"HS256 with the RSA public key DER as secret", signAlg(t, jwt.SigningMethodHS256, good(), kid("rsa"), rsaPubDER)},
		{"HS256 with the public key PEM, no kid", signAlg(t, jwt.SigningMethodHS256, good(), nil, rsaPubPEM)},
		{"HS256 with the kid as secret", signAlg(t, jwt.SigningMethodHS256, good(), kid(strings.Repeat("k", 32)), []byte(strings.Repeat("k", 32)))},
		{"ES256 under the RSA kid", signAlg(t, jwt.SigningMethodES256, good(), kid("rsa"), k.ec)},
		{"RS256 under the ECDSA kid", signAlg(t, jwt.SigningMethodRS256, good(), kid("ec"), k.rsa)},
		{"EdDSA under the ECDSA kid", signAlg(t, jwt.SigningMethodEdDSA, good(), kid("ec"), k.ed)},
		{"ES256 under the Ed25519 kid", signAlg(t, jwt.SigningMethodES256, good(), kid("ed"), k.ec)},
		{"PS256 with the RSA key", signAlg(t, jwt.SigningMethodPS256, good(), kid("rsa"), k.rsa)},
		{"RS384 with the RSA key", signAlg(t, jwt.SigningMethodRS384, good(), kid("rsa"), k.rsa)},
		{"RS512 with the RSA key", signAlg(t, jwt.SigningMethodRS512, good(), kid("rsa"), k.rsa)},
		{"ES384 under the ECDSA kid", signAlg(t, jwt.SigningMethodES384, good(), kid("ec"), p384)},
		{"alg none", signAlg(t, jwt.SigningMethodNone, good(), kid("rsa"), jwt.UnsafeAllowNoneSignatureType)},
		{"alg none with the RSA signature", raw(`{"alg":"none","kid":"rsa"}`, mustJSON(t, good()), parts[2])},
		{"alg rs256 lowercase", raw(`{"alg":"rs256","kid":"rsa","typ":"JWT"}`, mustJSON(t, good()), parts[2])},

		// kid (RFC 8725 §3.10): required, and names a configured key.
		{"no kid", signAlg(t, jwt.SigningMethodRS256, good(), nil, k.rsa)},
		{"empty kid", signAlg(t, jwt.SigningMethodRS256, good(), kid(""), k.rsa)},
		{"numeric kid", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": 1}, k.rsa)},
		{"kid array", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": []string{"rsa"}}, k.rsa)},
		{"unknown kid", signAlg(t, jwt.SigningMethodRS256, good(), kid("nope"), k.rsa)},
		{"kid case", signAlg(t, jwt.SigningMethodRS256, good(), kid("RSA"), k.rsa)},
		{"kid path", signAlg(t, jwt.SigningMethodRS256, good(), kid("../rsa"), k.rsa)},
		{"right kid, unconfigured key of the same type", signAlg(t, jwt.SigningMethodRS256, good(), kid("rsa"), attacker)},
		{"jwk with the attacker's key", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": "rsa", "jwk": attackerJWK}, attacker)},
		{"jwk without kid", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"jwk": attackerJWK}, attacker)},
		{"x5c with the attacker's key", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": "rsa", "x5c": []string{base64.StdEncoding.EncodeToString(attackerDER)}}, attacker)},
		{"jku", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": "rsa", "jku": "http://127.0.0.1:1/jwks.json"}, attacker)},
		{"x5u", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": "rsa", "x5u": "http://127.0.0.1:1/cert.pem"}, attacker)},
		{"crit header", signAlg(t, jwt.SigningMethodRS256, good(), map[string]any{"kid": "rsa", "crit": []string{"exp"}}, k.rsa)},

		// Tampering.
		{"header with another kid", b64(`{"alg":"RS256","kid":"ed","typ":"JWT"}`) + "." + parts[1] + "." + parts[2]},
		{"header with an extra field", b64(`{"alg":"RS256","kid":"rsa","typ":"JWT","x":1}`) + "." + parts[1] + "." + parts[2]},
		{"header without typ", b64(`{"alg":"RS256","kid":"rsa"}`) + "." + parts[1] + "." + parts[2]},
		{"altered payload", parts[0] + "." + flip(parts[1], 10) + "." + parts[2]},
		{"altered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 10)},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4]},
		{"empty signature", parts[0] + "." + parts[1] + "."},
		{"ES256 signature in ASN.1", func() string {
			tok := signAlg(t, jwt.SigningMethodES256, good(), kid("ec"), k.ec)
			p := strings.Split(tok, ".")
			sig, err := base64.RawURLEncoding.DecodeString(p[2])
			if err != nil {
				t.Fatal(err)
			}
			der, err := asn1Sig(sig)
			if err != nil {
				t.Fatal(err)
			}
			return p[0] + "." + p[1] + "." + base64.RawURLEncoding.EncodeToString(der)
		}()},

		// The claims are checked as with a secret.
		{"expired", signAlg(t, jwt.SigningMethodEdDSA, func() jwt.MapClaims {
			m := good()
			m["exp"] = now.Add(-time.Minute).Unix()
			return m
		}(), kid("ed"), k.ed)},
		{"foreign aud", signAlg(t, jwt.SigningMethodES256, func() jwt.MapClaims {
			m := good()
			m["aud"] = "other"
			return m
		}(), kid("ec"), k.ec)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := s.Parse(tt.token, nil)
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Errorf("Parse = %+v, %v; want ErrInvalidToken", claims, err)
			}
		})
	}
}

// TestSecretSignerRefusesKeyPairTokens: an HS256 signer refuses tokens of
// every asymmetric algorithm, even carrying a kid.
func TestSecretSignerRefusesKeyPairTokens(t *testing.T) {
	k := loadKeys(t)
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "aud", Now: c.Now})
	for id, key := range map[string]crypto.Signer{"rsa": k.rsa, "ec": k.ec, "ed": k.ed} {
		other := newSigner(t, strategy.SignerConfig{Keys: &strategy.KeySet{SigningKeyID: id, SigningKey: key}, Audience: "aud", Now: c.Now})
		tok, err := other.Sign("user", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Parse(tok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("%s token: Parse = %v, want ErrInvalidToken", id, err)
		}
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	for _, tt := range []struct{ file, pub string }{
		{"rsa2048.pem", "rsa2048.pub.pem"},
		{"rsa2048.pkcs1.pem", ""},
		{"p256.pem", "p256.pub.pem"},
		{"p256.sec1.pem", ""},
		{"ed25519.pem", "ed25519.pub.pem"},
	} {
		k, err := strategy.ParsePrivateKeyPEM(readKeyFile(t, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if tt.pub == "" {
			continue
		}
		pub, err := strategy.ParsePublicKeyPEM(readKeyFile(t, tt.pub))
		if err != nil {
			t.Errorf("%s: %v", tt.pub, err)
			continue
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Errorf("%s does not hold the public key of %s", tt.pub, tt.file)
		}
	}
}

// TestParseKeyPEMRefuses: malformed documents are errors; keys of a kind a
// KeySet refuses wrap ErrUnsupportedKey.
func TestParseKeyPEMRefuses(t *testing.T) {
	f := func(name string) []byte { return readKeyFile(t, name) }
	ed := f("ed25519.pem")
	edPub := f("ed25519.pub.pem")
	corrupt := []byte(strings.Replace(string(ed), "MC4CAQAw", "MC4CAQA!", 1))
	truncated := ed[:len(ed)-40]
	badDER := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not DER")})
	badPubDER := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("not DER")})
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Comment": "x"}, Bytes: mustBlock(t, ed).Bytes})

	for _, tt := range []struct {
		name        string
		data        []byte
		unsupported bool
	}{
		{"empty", nil, false},
		{"not PEM", []byte("hello"), false},
		{"corrupt base64", corrupt, false},
		{"truncated", truncated, false},
		{"not DER", badDER, false},
		{"PEM header", withHeader, false},
		{"two keys", append(append([]byte{}, ed...), f("p256.pem")...), false},
		{"key then certificate", append(append([]byte{}, f("p256.pem")...), f("p256.cert.pem")...), false},
		{"encrypted PKCS #8", f("ed25519.encrypted.pem"), false},
		{"encrypted SEC 1", f("p256.sec1.encrypted.pem"), false},
		{"public key", edPub, false},
		{"certificate", f("p256.cert.pem"), false},
		{"RSA 1024", f("rsa1024.pem"), true},
		{"P-384", f("p384.pem"), true},
		{"X25519", f("x25519.pem"), true},
	} {
		if k, err := strategy.ParsePrivateKeyPEM(tt.data); err == nil || k != nil {
			t.Errorf("private %s: ParsePrivateKeyPEM = %T, %v; want an error", tt.name, k, err)
		} else if errors.Is(err, strategy.ErrUnsupportedKey) != tt.unsupported {
			t.Errorf("private %s: %v; ErrUnsupportedKey expected: %v", tt.name, err, tt.unsupported)
		}
	}
	for _, tt := range []struct {
		name        string
		data        []byte
		unsupported bool
	}{
		{"empty", nil, false},
		{"not PEM", []byte("hello"), false},
		{"not DER", badPubDER, false},
		{"two keys", append(append([]byte{}, edPub...), f("p256.pub.pem")...), false},
		{"private key", ed, false},
		{"certificate", f("p256.cert.pem"), false},
		{"RSA 1024", f("rsa1024.pub.pem"), true},
		{"P-384", f("p384.pub.pem"), true},
		{"X25519", f("x25519.pub.pem"), true},
	} {
		if k, err := strategy.ParsePublicKeyPEM(tt.data); err == nil || k != nil {
			t.Errorf("public %s: ParsePublicKeyPEM = %T, %v; want an error", tt.name, k, err)
		} else if errors.Is(err, strategy.ErrUnsupportedKey) != tt.unsupported {
			t.Errorf("public %s: %v; ErrUnsupportedKey expected: %v", tt.name, err, tt.unsupported)
		}
	}
}

// TestPEMKeysAcrossInstances is the deployment the loaders are for: one
// service signs with a key from PEM, another verifies with the PEM public
// key under the same kid.
func TestPEMKeysAcrossInstances(t *testing.T) {
	c := newClock()
	issuer := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "p256-1", SigningKey: mustPriv(t, "p256.sec1.pem"),
	}})
	pub, err := strategy.ParsePublicKeyPEM(readKeyFile(t, "rsa2048.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	issuer2 := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "rsa-1", SigningKey: mustPriv(t, "rsa2048.pem"),
	}})
	ecPub := mustPriv(t, "p256.sec1.pem").Public()
	verifier := newSigner(t, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "ed-1", SigningKey: mustPriv(t, "ed25519.pem"),
		VerificationKeys: map[string]crypto.PublicKey{"rsa-1": pub, "p256-1": ecPub},
	}})
	for _, is := range []*strategy.Signer{issuer, issuer2} {
		tok, err := is.Sign("user", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Parse(tok, nil); err != nil {
			t.Errorf("Parse: %v", err)
		}
	}
}

// --- helpers ---

// signAlg signs claims with method and key, with extra header fields.
func signAlg(t testing.TB, m jwt.SigningMethod, claims jwt.MapClaims, header map[string]any, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

func mustBlock(t testing.TB, data []byte) *pem.Block {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatal("no PEM block")
	}
	return b
}

// asn1Sig turns a JWS ES256 signature (r || s) into the ASN.1 form.
func asn1Sig(sig []byte) ([]byte, error) {
	if len(sig) != 64 {
		return nil, errors.New("not an ES256 signature")
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}
