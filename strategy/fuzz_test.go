package strategy_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
)

// FuzzJWTRead feeds arbitrary strings to JWT.Read over a real SQLite store.
// Whatever the input, Read must not panic, must fail only with
// ErrInvalidToken (the store is healthy), and may accept only a token it
// issued itself: one spelling per token, no forgery. (Each fuzzing worker
// runs this set-up, with its own store, users and tokens.)
func FuzzJWTRead(f *testing.F) {
	st := openSQLite(f)
	c := newClock() // fixed: the seeds never expire
	s := newJWT(f, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(f, st)
	issued := map[string]bool{}
	for range 3 {
		tok := mustWrite(f, s, u)
		issued[tok] = true
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + "." + parts[1])
		f.Add(tok + "=")
	}
	now := c.Now()
	f.Add(sign(f, jwt.SigningMethodNone, jwt.MapClaims{"sub": u.ID.String(), "aud": "authkit:auth", "exp": now.Add(time.Hour).Unix()}, jwt.UnsafeAllowNoneSignatureType))
	f.Add(sign(f, jwt.SigningMethodHS512, jwt.MapClaims{"sub": u.ID.String(), "aud": "authkit:auth", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": v7(now)}, secret))
	f.Add(raw(`{"alg":"HS256","kid":"x","jku":"http://127.0.0.1:1/"}`, `{"sub":"x"}`, "c2ln"))
	f.Add("")
	f.Add("...")
	f.Add("e30.e30.e30")

	f.Fuzz(func(t *testing.T, tok string) {
		got, err := s.Read(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Read(%q) = %v, want ErrInvalidToken", tok, err)
			}
			if got != nil {
				t.Fatalf("Read(%q) returned a user with an error", tok)
			}
			return
		}
		if !issued[tok] || got.ID != u.ID {
			t.Fatalf("Read accepted %q, which it never issued", tok)
		}
	})
}

// FuzzDatabaseRead does the same for the database strategy: a token that
// was not issued is refused, malformed ones before the store is asked.
func FuzzDatabaseRead(f *testing.F) {
	st := openSQLite(f)
	s := newDatabase(f, strategy.DatabaseConfig{Store: st})
	u := newUser(f, st)
	issued := map[string]bool{}
	for range 3 {
		tok := mustWrite(f, s, u)
		issued[tok] = true
		f.Add(tok)
		f.Add(tok[:42])
		f.Add(tok + "=")
	}
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 43))

	f.Fuzz(func(t *testing.T, tok string) {
		got, err := s.Read(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Read(%q) = %v, want ErrInvalidToken", tok, err)
			}
			return
		}
		if !issued[tok] || got.ID != u.ID {
			t.Fatalf("Read accepted %q, which it never issued", tok)
		}
	})
}

// FuzzSignerParse checks the Signer alone, with extra claims decoded.
func FuzzSignerParse(f *testing.F) {
	c := newClock()
	s := newSigner(f, strategy.SignerConfig{Secret: secret, Audience: "authkit:reset", Now: c.Now})
	tok, err := s.Sign("user", map[string]any{"email": "a@b.c", "fp": "abc"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-1])
	f.Add(strings.Replace(tok, ".", "..", 1))
	f.Fuzz(func(t *testing.T, in string) {
		var extra struct {
			Email string `json:"email"`
			FP    string `json:"fp"`
		}
		claims, err := s.Parse(in, &extra)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidToken", in, err)
			}
			return
		}
		// Workers of the fuzzing engine sign their own seed (the jti is
		// random), so the check is not in == tok but: the only accepted
		// spelling is the exact HS256 signature of the first two parts.
		i := strings.LastIndexByte(in, '.')
		sig, err := jwt.SigningMethodHS256.Sign(in[:i], secret)
		if err != nil {
			t.Fatal(err)
		}
		if in[i+1:] != base64.RawURLEncoding.EncodeToString(sig) || claims.Subject != "user" || extra.Email != "a@b.c" {
			t.Fatalf("Parse accepted %q: %+v %+v", in, claims, extra)
		}
	})
}

// FuzzSignerParseKeys checks a Signer with key pairs: kid "rsa" signs, "ec"
// and "ed" verify. Whatever the input, Parse must not panic, must fail only
// with ErrInvalidToken, and may accept only a token whose kid names a
// configured key, whose alg is that key's, and whose signature that key
// verifies, checked here with the standard library alone. (ECDSA signatures
// can be respelt (r, n-s) without the key; that is no forgery, and tokens
// are identified by jti, not by their spelling.)
func FuzzSignerParseKeys(f *testing.F) {
	k := loadKeys(f)
	c := newClock()
	pubs := map[string]crypto.PublicKey{"rsa": k.rsa.Public(), "ec": k.ec.Public(), "ed": k.ed.Public()}
	algs := map[string]string{"rsa": "RS256", "ec": "ES256", "ed": "EdDSA"}
	s := newSigner(f, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{
		SigningKeyID: "rsa", SigningKey: k.rsa,
		VerificationKeys: map[string]crypto.PublicKey{"ec": pubs["ec"], "ed": pubs["ed"]},
	}})
	for id, key := range map[string]crypto.Signer{"rsa": k.rsa, "ec": k.ec, "ed": k.ed} {
		seeder := newSigner(f, strategy.SignerConfig{Audience: "aud", Now: c.Now, Keys: &strategy.KeySet{SigningKeyID: id, SigningKey: key}})
		tok, err := seeder.Sign("user", map[string]string{"email": "a@b.c"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(b64(`{"alg":"HS256","kid":"`+id+`"}`) + "." + parts[1] + "." + parts[2])
		f.Add(b64(`{"alg":"none","kid":"`+id+`"}`) + "." + parts[1] + ".")
	}
	now := c.Now()
	pemKey, err := x509.MarshalPKIXPublicKey(pubs["rsa"])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signAlg(f, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "user", "aud": "aud", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": v7(now)},
		map[string]any{"kid": "rsa"}, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pemKey})))
	f.Add("")
	f.Add("e30.e30.e30")

	f.Fuzz(func(t *testing.T, in string) {
		var extra struct {
			Email string `json:"email"`
		}
		claims, err := s.Parse(in, &extra)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidToken", in, err)
			}
			return
		}
		parts := strings.Split(in, ".")
		if len(parts) != 3 {
			t.Fatalf("Parse accepted %q: %d parts", in, len(parts))
		}
		var seg [3][]byte
		for i, p := range parts {
			if seg[i], err = base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
				t.Fatalf("Parse accepted %q: segment %d: %v", in, i, err)
			}
		}
		var header struct {
			Alg string `json:"alg"`
			Kid string `json:"kid"`
		}
		if err := json.Unmarshal(seg[0], &header); err != nil {
			t.Fatalf("Parse accepted %q: header: %v", in, err)
		}
		pub, ok := pubs[header.Kid]
		if !ok || header.Alg != algs[header.Kid] {
			t.Fatalf("Parse accepted %q: alg %q, kid %q", in, header.Alg, header.Kid)
		}
		signing := parts[0] + "." + parts[1]
		digest := sha256.Sum256([]byte(signing))
		sig := seg[2]
		var valid bool
		switch pub := pub.(type) {
		case *rsa.PublicKey:
			valid = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
		case *ecdsa.PublicKey:
			valid = len(sig) == 64 && ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		case ed25519.PublicKey:
			valid = ed25519.Verify(pub, []byte(signing), sig)
		}
		if !valid || claims.Subject != "user" || extra.Email != "a@b.c" {
			t.Fatalf("Parse accepted %q: %+v %+v", in, claims, extra)
		}
	})
}

// FuzzParseKeyPEM: the PEM loaders never panic, and a key they return is
// one a KeySet accepts.
func FuzzParseKeyPEM(f *testing.F) {
	for _, name := range []string{"rsa2048.pem", "rsa2048.pkcs1.pem", "p256.pem", "p256.sec1.pem", "ed25519.pem",
		"p384.pem", "x25519.pem", "ed25519.encrypted.pem", "rsa2048.pub.pem", "p256.pub.pem", "ed25519.pub.pem", "p256.cert.pem"} {
		f.Add(readKeyFile(f, name))
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := strategy.ParsePrivateKeyPEM(data); err == nil {
			if _, err := strategy.NewSigner(strategy.SignerConfig{Audience: "a", Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: k}}); err != nil {
				t.Fatalf("ParsePrivateKeyPEM returned a key NewSigner refuses: %v", err)
			}
		}
		if k, err := strategy.ParsePublicKeyPEM(data); err == nil {
			if _, err := strategy.NewSigner(strategy.SignerConfig{Audience: "a", Keys: &strategy.KeySet{
				SigningKeyID: "k", SigningKey: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
				VerificationKeys: map[string]crypto.PublicKey{"v": k},
			}}); err != nil {
				t.Fatalf("ParsePublicKeyPEM returned a key NewSigner refuses: %v", err)
			}
		}
	})
}
