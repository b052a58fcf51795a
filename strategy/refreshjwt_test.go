package strategy_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
)

// payload decodes a JWT's claims without verifying them, as a browser
// library (react-auth-kit's JwtToken) does.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Refresh tokens in their JWT shape carry the expiry the server enforces
// (the idle lifetime, capped by the session's), and are rotated and
// reuse-detected exactly as opaque ones.
func TestRefreshJWTEnvelope(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts testStore) {
		st := ts.(refreshStore)
		ctx := context.Background()
		c := newClock()
		j, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now,
			Refresh: &strategy.RefreshConfig{Store: st, Users: st, Lifetime: 10 * time.Hour, IdleLifetime: 2 * time.Hour, JWTEnvelope: true}})
		if err != nil {
			t.Fatal(err)
		}
		u := newUser(t, st)
		login := c.Now()
		access, rt, err := j.WriteWithRefresh(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		p := payload(t, rt)
		if p["exp"] != float64(login.Add(2*time.Hour).Unix()) || p["sub"] != u.ID.String() {
			t.Fatalf("claims %v", p)
		}
		if aud, _ := p["aud"].([]any); len(aud) != 1 || aud[0] != strategy.RefreshAudience {
			t.Fatalf("aud %v", p["aud"])
		}
		// One kind of token never passes for the other.
		if _, err := j.Read(ctx, rt); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("refresh token read as an access token: %v", err)
		}
		if _, _, _, err := j.Refresh(ctx, access); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("access token as a refresh token: %v", err)
		}
		// The opaque token inside, alone, is refused: one shape only.
		inner, _ := p["rt"].(string)
		if _, _, _, err := j.Refresh(ctx, inner); inner == "" || !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("the bare opaque token %q: %v", inner, err)
		}
		// A forged exp breaks the signature.
		parts := strings.Split(rt, ".")
		p["exp"] = login.Add(1000 * time.Hour).Unix()
		forged, _ := json.Marshal(p)
		if _, _, _, err := j.Refresh(ctx, parts[0]+"."+base64.RawURLEncoding.EncodeToString(forged)+"."+parts[2]); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("forged envelope: %v", err)
		}

		// Rotation, until the session's own end caps exp.
		old := rt
		for range 4 {
			c.Add(time.Hour + 59*time.Minute)
			if _, _, rt, err = j.Refresh(ctx, rt); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := payload(t, rt)["exp"], float64(login.Add(9*time.Hour+56*time.Minute).Unix()); got != want {
			t.Fatalf("exp %v, want %v (now + idle)", got, want)
		}
		c.Add(time.Hour + 59*time.Minute)
		if _, _, rt, err = j.Refresh(ctx, rt); err != nil {
			t.Fatal(err)
		}
		if got, want := payload(t, rt)["exp"], float64(login.Add(10*time.Hour).Unix()); got != want {
			t.Fatalf("exp %v, want %v (the session's end)", got, want)
		}

		// The first envelope is past its exp: refused before its opaque
		// token is looked at. A reused envelope still within its exp ends
		// its session, as a reused opaque token does.
		if _, _, _, err := j.Refresh(ctx, old); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("an expired envelope: %v", err)
		}
		_, rt1, _ := j.WriteWithRefresh(ctx, u)
		_, _, rt2, err := j.Refresh(ctx, rt1)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := j.Refresh(ctx, rt1); !errors.Is(err, strategy.ErrRefreshReused) {
			t.Fatalf("reused envelope: %v", err)
		}
		if _, _, _, err := j.Refresh(ctx, rt2); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("the session survived the reuse: %v", err)
		}
	})
}

// Refresh with JWT-shaped refresh tokens takes any client input: only a
// token it issued is exchanged, once; anything else is ErrInvalidToken.
func FuzzRefreshJWT(f *testing.F) {
	st := openSQLite(f).(refreshStore)
	c := newClock()
	j, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now,
		Refresh: &strategy.RefreshConfig{Store: st, Users: st, JWTEnvelope: true}})
	if err != nil {
		f.Fatal(err)
	}
	u := newUser(f, st)
	issued := map[string]bool{}
	for range 3 {
		access, rt, err := j.WriteWithRefresh(context.Background(), u)
		if err != nil {
			f.Fatal(err)
		}
		issued[rt] = true
		f.Add(rt)
		f.Add(access)
		parts := strings.Split(rt, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
	}
	now := c.Now()
	f.Add(sign(f, jwt.SigningMethodHS256, jwt.MapClaims{"sub": u.ID.String(), "aud": strategy.RefreshAudience,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": v7(now), "rt": "not-an-opaque-token"}, secret))
	f.Add(sign(f, jwt.SigningMethodHS256, jwt.MapClaims{"sub": u.ID.String(), "aud": strategy.RefreshAudience,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": v7(now)}, secret))
	used := map[string]bool{}
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, next, err := j.Refresh(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Refresh(%q) = %v, want ErrInvalidToken", tok, err)
			}
			return
		}
		if !issued[tok] || used[tok] {
			t.Fatalf("Refresh accepted %q, which it never issued or already exchanged", tok)
		}
		used[tok], issued[next] = true, true
	})
}
