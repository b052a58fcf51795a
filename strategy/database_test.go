package strategy_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
)

func newDatabase(t testing.TB, cfg strategy.DatabaseConfig) *strategy.Database {
	t.Helper()
	s, err := strategy.NewDatabase(cfg)
	if err != nil {
		t.Fatalf("NewDatabase: %v", err)
	}
	return s
}

func TestNewDatabaseRefuses(t *testing.T) {
	if s, err := strategy.NewDatabase(strategy.DatabaseConfig{}); err == nil || s != nil {
		t.Errorf("no store: NewDatabase = %v, %v; want an error", s, err)
	}
	st := openSQLite(t)
	if s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st, Lifetime: -time.Second}); err == nil || s != nil {
		t.Errorf("negative lifetime: NewDatabase = %v, %v; want an error", s, err)
	}
	if s := newDatabase(t, strategy.DatabaseConfig{Store: st}); s.Lifetime() != time.Hour {
		t.Errorf("default Lifetime = %v", s.Lifetime())
	}
}

func TestDatabaseStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, st testStore) {
		t.Run("TokenForm", func(t *testing.T) { testDatabaseTokenForm(t, st) })
		t.Run("Expiry", func(t *testing.T) { testDatabaseExpiry(t, st) })
		t.Run("WritePurges", func(t *testing.T) { testDatabaseWritePurges(t, st) })
		t.Run("EndSessionsKeep", func(t *testing.T) { testDatabaseEndSessionsKeep(t, st) })
		t.Run("NonCanonical", func(t *testing.T) { testDatabaseNonCanonical(t, st) })
		t.Run("Sessions", func(t *testing.T) { testDatabaseSessions(t, st) })
		t.Run("EndSession", func(t *testing.T) { testDatabaseEndSession(t, st) })
		t.Run("EndSessionOtherUser", func(t *testing.T) { testDatabaseEndSessionOtherUser(t, st) })
		t.Run("LastUsedThrottled", func(t *testing.T) { testDatabaseLastUsedThrottled(t, st) })
		t.Run("ClientCapped", func(t *testing.T) { testDatabaseClientCapped(t, st) })
		t.Run("LegacySession", func(t *testing.T) { testDatabaseLegacySession(t, st) })
	})
}

// testDatabaseTokenForm: 256 random bits in unpadded base64url; the store
// holds the hex SHA-256 only, with the user and the creation time.
func testDatabaseTokenForm(t *testing.T, st testStore) {
	c := newClock()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 32 || len(tok) != 43 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(b), err)
	}
	owner, rec, err := st.UserByAccessToken(context.Background(), hash(tok))
	if err != nil {
		t.Fatalf("the store has no token under its hex SHA-256: %v", err)
	}
	if owner.ID != u.ID || !rec.CreatedAt.Equal(c.Now()) {
		t.Errorf("stored owner %v created %v, want %v %v", owner.ID, rec.CreatedAt, u.ID, c.Now())
	}
	if _, _, err := st.UserByAccessToken(context.Background(), tok); !errors.Is(err, store.ErrTokenNotFound) {
		t.Errorf("the token itself is a key of the store: %v", err)
	}
}

func testDatabaseExpiry(t *testing.T, st testStore) {
	c := newClock()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st, Lifetime: time.Minute, Now: c.Now})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	c.Add(time.Minute - time.Microsecond)
	expectUser(t, s, tok, u)
	c.Add(time.Microsecond)
	expectInvalid(t, s, tok)
}

// testDatabaseWritePurges: each login deletes the tokens that expired.
func testDatabaseWritePurges(t *testing.T, st testStore) {
	ctx := context.Background()
	c := newClock()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st, Lifetime: time.Minute, Now: c.Now})
	u := newUser(t, st)
	old := mustWrite(t, s, u)
	c.Add(30 * time.Second)
	recent := mustWrite(t, s, u)
	c.Add(31 * time.Second)
	mustWrite(t, s, u)
	if _, _, err := st.UserByAccessToken(ctx, hash(old)); !errors.Is(err, store.ErrTokenNotFound) {
		t.Errorf("the expired token is still stored: %v", err)
	}
	if _, _, err := st.UserByAccessToken(ctx, hash(recent)); err != nil {
		t.Errorf("a live token was purged: %v", err)
	}
	expectUser(t, s, recent, u)
}

func testDatabaseEndSessionsKeep(t *testing.T, st testStore) {
	ctx := context.Background()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u, other := newUser(t, st), newUser(t, st)
	old, keep, theirs := mustWrite(t, s, u), mustWrite(t, s, u), mustWrite(t, s, other)
	if err := s.EndSessions(ctx, u.ID, keep); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, old)
	expectUser(t, s, keep, u)
	expectUser(t, s, theirs, other)
	expectUser(t, s, mustWrite(t, s, u), u)
}

// testDatabaseNonCanonical: a spelling of the same bytes that Write would
// not produce is refused.
func testDatabaseNonCanonical(t *testing.T, st testStore) {
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	for _, bad := range []string{
		tok + "=",
		tok[:42] + "\n",
		strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "x",
		tok[:42] + string(nextUnusedBits(tok[42])),
	} {
		expectInvalid(t, s, bad)
	}
	expectUser(t, s, tok, u)
}

// nextUnusedBits returns the base64url character that differs from c only
// in the two bits the last character of a 32-byte encoding leaves unused.
func nextUnusedBits(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^1]
}

// TestDatabaseFaults: a store fault is returned as such; a malformed
// token is refused before the store is asked.
func TestDatabaseFaults(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u := newUser(t, st)
	tok := mustWrite(t, s, u)
	closeStore(t, st)

	if _, err := s.Read(ctx, tok); err == nil || errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Read with the store down = %v, want a fault", err)
	}
	for _, bad := range []string{"", "short", tok + "A", strings.Repeat("!", 43), tok[:42] + "=", tok[:42] + string(nextUnusedBits(tok[42]))} {
		if _, err := s.Read(ctx, bad); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("Read(%q) with the store down = %v, want ErrInvalidToken", bad, err)
		}
	}
	if _, err := s.Write(ctx, u); err == nil {
		t.Error("Write with the store down = nil, want a fault")
	}
	if err := s.Destroy(ctx, tok, u); err == nil || errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Destroy with the store down = %v, want a fault", err)
	}
	if err := s.EndSessions(ctx, u.ID, ""); err == nil {
		t.Error("EndSessions with the store down = nil, want a fault")
	}
	if _, err := s.Sessions(ctx, u.ID); err == nil {
		t.Error("Sessions with the store down = nil, want a fault")
	}
	if _, err := s.SessionOf(ctx, tok); err == nil || errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf with the store down = %v, want a fault", err)
	}
	if _, err := s.SessionOf(ctx, "short"); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf(malformed) with the store down = %v, want ErrInvalidToken", err)
	}
	for _, sid := range []string{"SESSION", "legacy-00"} {
		if err := s.EndSession(ctx, u.ID, sid); err == nil {
			t.Errorf("EndSession(%q) with the store down = nil, want a fault", sid)
		}
	}
}

func hash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
