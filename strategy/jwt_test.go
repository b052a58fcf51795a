package strategy_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"
)

func newJWT(t testing.TB, cfg strategy.JWTConfig) *strategy.JWT {
	t.Helper()
	s, err := strategy.NewJWT(cfg)
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return s
}

func TestNewJWTRefuses(t *testing.T) {
	st := openSQLite(t)
	for name, cfg := range map[string]strategy.JWTConfig{
		"no store":          {Secret: secret},
		"no secret":         {Store: st},
		"short secret":      {Store: st, Secret: secret[:31]},
		"negative lifetime": {Store: st, Secret: secret, Lifetime: -time.Hour},
		"negative leeway":   {Store: st, Secret: secret, Leeway: -time.Second},
		"secret and keys":   {Store: st, Secret: secret, Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: loadKeys(t).ed}},
		"keys without kid":  {Store: st, Keys: &strategy.KeySet{SigningKey: loadKeys(t).ed}},
		"keys without key":  {Store: st, Keys: &strategy.KeySet{SigningKeyID: "k"}},
	} {
		if s, err := strategy.NewJWT(cfg); err == nil || s != nil {
			t.Errorf("%s: NewJWT = %v, %v; want an error", name, s, err)
		}
	}
}

// TestJWTClaims checks what a token carries, and the defaults.
func TestJWTClaims(t *testing.T) {
	st := openSQLite(t)
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	if s.Lifetime() != time.Hour {
		t.Errorf("Lifetime = %v, want 1h", s.Lifetime())
	}
	u := newUser(t, st)
	tok, err := s.Write(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	header, payload := decodeParts(t, tok)
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v", header["alg"])
	}
	now := c.Now()
	if payload["sub"] != u.ID.String() || !jsonEqual(payload["aud"], []string{"authkit:auth"}) ||
		payload["iat"] != jsonNumber(now.Unix()) || payload["exp"] != jsonNumber(now.Add(time.Hour).Unix()) {
		t.Errorf("payload = %v", payload)
	}
	// ver: the user's security version the token was issued at.
	if payload["ver"] != jsonNumber(u.Version) || len(payload) != 6 {
		t.Errorf("payload = %v, want sub aud exp iat jti ver", payload)
	}
}

// TestJWTStore runs the store-backed behaviour on every real store, with a
// controlled clock.
func TestJWTStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, st testStore) {
		t.Run("WriteReadDestroy", func(t *testing.T) { testJWTWriteReadDestroy(t, st) })
		t.Run("Expiry", func(t *testing.T) { testJWTExpiry(t, st) })
		t.Run("RevocationOutlivesLeeway", func(t *testing.T) { testJWTRevocationOutlivesLeeway(t, st) })
		t.Run("PurgeRevocations", func(t *testing.T) { testJWTPurgeRevocations(t, st) })
		t.Run("EndSessionsSameSecond", func(t *testing.T) { testJWTEndSessionsSameSecond(t, st) })
		t.Run("EndSessionsKeep", func(t *testing.T) { testJWTEndSessionsKeep(t, st) })
		t.Run("DestroyOtherUser", func(t *testing.T) { testJWTDestroyOtherUser(t, st) })
		t.Run("Subject", func(t *testing.T) { testJWTSubject(t, st) })
		t.Run("DeletedUser", func(t *testing.T) { testJWTDeletedUser(t, st) })
		t.Run("OtherPurposes", func(t *testing.T) { testJWTOtherPurposes(t, st) })
	})
}

func testJWTWriteReadDestroy(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	expectUser(t, s, tok, u)
	if err := s.Destroy(ctx, tok, u); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	expectInvalid(t, s, tok)
	// Destroying again is harmless.
	if err := s.Destroy(ctx, tok, u); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	expectInvalid(t, s, tok)
}

func testJWTExpiry(t *testing.T, st testStore) {
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Lifetime: time.Minute, Leeway: time.Second, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	c.Add(time.Minute - time.Second)
	expectUser(t, s, tok, u)
	c.Add(2 * time.Second) // past exp (whole seconds) and the leeway
	expectInvalid(t, s, tok)
}

// testJWTRevocationOutlivesLeeway: a token revoked by logout stays refused
// while the leeway would still accept its exp, even after a purge.
func testJWTRevocationOutlivesLeeway(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Lifetime: time.Minute, Leeway: 30 * time.Second, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	if err := s.Destroy(ctx, tok, u); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute + 10*time.Second) // expired, but within the leeway
	other := mustWrite(t, s, u)
	if err := s.Destroy(ctx, other, u); err != nil { // purges at now
		t.Fatal(err)
	}
	expectInvalid(t, s, tok)
}

// testJWTPurgeRevocations: each logout forgets the revocations that can no
// longer matter.
func testJWTPurgeRevocations(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Lifetime: time.Minute, Leeway: time.Second, Now: c.Now})
	u := newUser(t, st)
	for range 3 {
		if err := s.Destroy(ctx, mustWrite(t, s, u), u); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRevocations(t, st, u); n != 3 {
		t.Fatalf("%d revocations, want 3", n)
	}
	c.Add(time.Minute + 2*time.Second)
	last := mustWrite(t, s, u)
	if err := s.Destroy(ctx, last, u); err != nil {
		t.Fatal(err)
	}
	if n := countRevocations(t, st, u); n != 1 {
		t.Errorf("%d revocations after the purge, want 1 (the last logout)", n)
	}
	expectInvalid(t, s, last)
}

// testJWTEndSessionsSameSecond is the login right after a password reset:
// iat has whole seconds, yet the token issued a microsecond after the
// cut-off works and the one issued a microsecond before does not.
func testJWTEndSessionsSameSecond(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock() // at .5s: every step below stays within one second
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	before := mustWrite(t, s, u)
	c.Add(time.Microsecond)
	if err := s.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Microsecond)
	after := mustWrite(t, s, u)
	expectInvalid(t, s, before)
	expectUser(t, s, after, u)

	// A second reset in the same second moves the cut-off again.
	c.Add(time.Millisecond)
	if err := s.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Microsecond)
	again := mustWrite(t, s, u)
	expectInvalid(t, s, after)
	expectUser(t, s, again, u)
	if c.Now().Second() != 5 {
		t.Fatalf("the test left its second: %v", c.Now())
	}
}

func testJWTEndSessionsKeep(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	old, keep := mustWrite(t, s, u), mustWrite(t, s, u)
	c.Add(time.Second)
	if err := s.EndSessions(ctx, u.ID, keep); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, old)
	expectUser(t, s, keep, u)
	// The kept token can still be logged out.
	if err := s.Destroy(ctx, keep, u); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, keep)
}

func testJWTDestroyOtherUser(t *testing.T, st testStore) {
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	a, b := newUser(t, st), newUser(t, st)
	tok := mustWrite(t, s, a)
	if err := s.Destroy(context.Background(), tok, b); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Destroy with another user = %v, want ErrInvalidToken", err)
	}
	expectUser(t, s, tok, a)
}

// testJWTSubject: a correctly signed token whose sub is not a canonical
// user id is refused.
func testJWTSubject(t *testing.T, st testStore) {
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	now := c.Now()
	for _, sub := range []string{"admin", strings.ToUpper(u.ID.String()), "urn:uuid:" + u.ID.String(), strings.ReplaceAll(u.ID.String(), "-", ""), "' OR 1=1 --"} {
		tok := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": sub, "aud": "authkit:auth", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": v7(now),
		}, secret)
		expectInvalid(t, s, tok)
	}
	// The same, with the right sub, passes: the cases above fail for their sub.
	tok := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": u.ID.String(), "aud": "authkit:auth", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": v7(now),
	}, secret)
	expectUser(t, s, tok, u)
}

func testJWTDeletedUser(t *testing.T, st testStore) {
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	if err := st.DeleteUser(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, tok)
}

// testJWTOtherPurposes: a reset or verify token never passes for an access
// token, even when (wrongly) signed with the same secret.
func testJWTOtherPurposes(t *testing.T, st testStore) {
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	for _, aud := range []string{"authkit:reset", "authkit:verify"} {
		signer := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: aud, Now: c.Now})
		tok, err := signer.Sign(u.ID.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectInvalid(t, s, tok)
	}
	// And an access token is not accepted by an application that set its
	// own audience.
	mine := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Audience: "myapp", Now: c.Now})
	expectInvalid(t, mine, mustWrite(t, s, u))
	expectUser(t, mine, mustWrite(t, mine, u), u)
}

// TestJWTKeys runs the strategy with key pairs through a rotation: two
// instances share the store, the second signs with a new key and still
// reads, logs out and ends the sessions of tokens signed with the old one.
func TestJWTKeys(t *testing.T) {
	k := loadKeys(t)
	eachBackend(t, func(t *testing.T, st testStore) {
		ctx := context.Background()
		c := newClock()
		old := newJWT(t, strategy.JWTConfig{Store: st, Now: c.Now, Keys: &strategy.KeySet{SigningKeyID: "ed-1", SigningKey: k.ed}})
		rotated := newJWT(t, strategy.JWTConfig{Store: st, Now: c.Now, Keys: &strategy.KeySet{
			SigningKeyID: "ec-2", SigningKey: k.ec,
			VerificationKeys: map[string]crypto.PublicKey{"ed-1": k.ed.Public()},
		}})
		after := newJWT(t, strategy.JWTConfig{Store: st, Now: c.Now, Keys: &strategy.KeySet{SigningKeyID: "ec-2", SigningKey: k.ec}})
		u := newUser(t, st)

		a, b := mustWrite(t, old, u), mustWrite(t, old, u)
		n := mustWrite(t, rotated, u)
		if h, _ := decodeParts(t, n); h["alg"] != "ES256" || h["kid"] != "ec-2" {
			t.Errorf("header %v", h)
		}
		expectUser(t, rotated, a, u)
		expectUser(t, rotated, n, u)
		expectUser(t, after, n, u)
		expectInvalid(t, after, a)
		expectInvalid(t, old, n)

		// Logout through the rotated instance ends an old-key token
		// everywhere.
		if err := rotated.Destroy(ctx, a, u); err != nil {
			t.Fatal(err)
		}
		expectInvalid(t, old, a)
		expectInvalid(t, rotated, a)
		expectUser(t, old, b, u)

		c.Add(time.Second)
		if err := rotated.EndSessions(ctx, u.ID, n); err != nil {
			t.Fatal(err)
		}
		expectInvalid(t, old, b)
		expectUser(t, after, n, u)

		// A token of the HS256 strategy is no token here, and the other
		// way round.
		hs := newJWT(t, strategy.JWTConfig{Store: st, Secret: secret, Now: c.Now})
		expectInvalid(t, rotated, mustWrite(t, hs, u))
		expectInvalid(t, hs, mustWrite(t, rotated, u))
	})
}

// TestJWTFaults: a store fault is returned as such, never as an invalid
// token, and a forged token is refused before the store is asked.
func TestJWTFaults(t *testing.T) {
	st := openSQLite(t)
	c := newClock()
	s := newJWT(t, strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	closeStore(t, st)
	ctx := context.Background()

	if _, err := s.Read(ctx, tok); err == nil || errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Read with the store down = %v, want a fault", err)
	}
	if _, err := s.Read(ctx, flip(tok, len(tok)-3)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Read of a forged token with the store down = %v, want ErrInvalidToken", err)
	}
	if err := s.Destroy(ctx, tok, u); err == nil || errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Destroy with the store down = %v, want a fault", err)
	}
	if err := s.EndSessions(ctx, u.ID, ""); err == nil {
		t.Error("EndSessions with the store down = nil, want a fault")
	}
}

// --- helpers ---

func mustWrite(t testing.TB, s strategy.Strategy, u *store.User) string {
	t.Helper()
	tok, err := s.Write(context.Background(), u)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return tok
}

func expectUser(t testing.TB, s strategy.Strategy, tok string, u *store.User) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got.ID != u.ID {
		t.Fatalf("Read = user %v, want %v", got.ID, u.ID)
	}
}

func expectInvalid(t testing.TB, s strategy.Strategy, tok string) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if !errors.Is(err, strategy.ErrInvalidToken) || got != nil {
		t.Fatalf("Read(%.50q) = %v, %v; want ErrInvalidToken", tok, got, err)
	}
}

type dbHolder interface{ DB() *sqlx.DB }

func closeStore(t testing.TB, st testStore) {
	t.Helper()
	if err := st.(dbHolder).DB().Close(); err != nil {
		t.Fatal(err)
	}
}

// countRevocations looks into the stores' table, to see purges happen.
func countRevocations(t testing.TB, st testStore, u *store.User) int {
	t.Helper()
	var n int
	db := st.(dbHolder).DB()
	if err := db.Get(&n, db.Rebind("SELECT count(*) FROM authkit_revoked_tokens WHERE user_id = ?"), u.ID.String()); err != nil {
		t.Fatal(err)
	}
	return n
}

func jsonNumber(n int64) any { return json.Number(itoa(n)) }
