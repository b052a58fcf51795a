package strategy_test

import (
	"context"
	"encoding/base64"
	"errors"
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
