// Package strategytest is the conformance suite of authkit's strategies.
// Every implementation runs it against a real store, the application's own
// strategies included:
//
//	func TestStrategy(t *testing.T) {
//		strategytest.Run(t, func(t *testing.T) (strategy.Strategy, store.UserStore) {
//			st := newEmptyStore(t) // migrated, holding nothing
//			s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s, st
//		})
//	}
//
// The suite checks what package strategy documents: a written token reads
// back as its user, a destroyed one is refused, garbage and forgeries are
// ErrInvalidToken (never a fault), a deleted user's tokens die, and, for a
// SessionEnder, that ending sessions keeps exactly the token asked for and
// never refuses a token issued afterwards.
package strategytest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// Run runs the suite as subtests of t. newStrategy is called once per
// subtest, with the subtest's t; it returns the strategy under test, running
// on the real clock, and the store of the users it reads, which must hold
// nothing yet. The suite creates its users there.
func Run(t *testing.T, newStrategy func(t *testing.T) (strategy.Strategy, store.UserStore)) {
	tests := []struct {
		name string
		fn   func(*testing.T, strategy.Strategy, store.UserStore)
	}{
		{"WriteRead", testWriteRead},
		{"TokensAreUnique", testTokensAreUnique},
		{"Destroy", testDestroy},
		{"Garbage", testGarbage},
		{"Tampered", testTampered},
		{"DeletedUser", testDeletedUser},
		{"EndSessions", testEndSessions},
		{"EndSessionsThenLogin", testEndSessionsThenLogin},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, users := newStrategy(t)
			if s == nil || users == nil {
				t.Fatal("newStrategy returned nil")
			}
			tc.fn(t, s, users)
		})
	}
}

func newUser(t *testing.T, users store.UserStore) *store.User {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.New()
	u := &store.User{
		ID:             id,
		Email:          id.String() + "@example.com",
		HashedPassword: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		IsActive:       true,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if err := users.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func write(t *testing.T, s strategy.Strategy, u *store.User) string {
	t.Helper()
	tok, err := s.Write(context.Background(), u)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if tok == "" {
		t.Fatal("Write returned an empty token")
	}
	return tok
}

// mustRead checks that tok reads back as u.
func mustRead(t *testing.T, s strategy.Strategy, tok string, u *store.User) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got == nil || got.ID != u.ID || got.Email != u.Email {
		t.Fatalf("Read = %+v, want user %v", got, u.ID)
	}
}

// mustRefuse checks that tok is refused with ErrInvalidToken.
func mustRefuse(t *testing.T, s strategy.Strategy, tok string) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("Read(%.40q) = %v, %v; want ErrInvalidToken", tok, got, err)
	}
	if got != nil {
		t.Fatalf("Read(%.40q) returned a user with its error", tok)
	}
}

func testWriteRead(t *testing.T, s strategy.Strategy, users store.UserStore) {
	if s.Lifetime() <= 0 {
		t.Errorf("Lifetime = %v, want > 0", s.Lifetime())
	}
	a, b := newUser(t, users), newUser(t, users)
	ta, tb := write(t, s, a), write(t, s, b)
	mustRead(t, s, ta, a)
	mustRead(t, s, tb, b)
}

func testTokensAreUnique(t *testing.T, s strategy.Strategy, users store.UserStore) {
	u := newUser(t, users)
	seen := map[string]bool{}
	for range 20 {
		tok := write(t, s, u)
		if seen[tok] {
			t.Fatalf("Write returned %q twice", tok)
		}
		seen[tok] = true
	}
	for tok := range seen {
		mustRead(t, s, tok, u)
	}
}

func testDestroy(t *testing.T, s strategy.Strategy, users store.UserStore) {
	ctx := context.Background()
	u := newUser(t, users)
	gone, kept := write(t, s, u), write(t, s, u)
	if err := s.Destroy(ctx, gone, u); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	mustRefuse(t, s, gone)
	mustRead(t, s, kept, u)
	// A later login gets a token that works.
	mustRead(t, s, write(t, s, u), u)
}

func testGarbage(t *testing.T, s strategy.Strategy, users store.UserStore) {
	newUser(t, users)
	for _, tok := range []string{
		"", " ", "x", "null", "Bearer x", "a.b.c", "a.b", "a.b.c.d.e",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		strings.Repeat("A", 43), strings.Repeat("A", 64<<10),
		"' OR '1'='1", "\x00", "é",
	} {
		mustRefuse(t, s, tok)
	}
}

func testTampered(t *testing.T, s strategy.Strategy, users store.UserStore) {
	u := newUser(t, users)
	tok := write(t, s, u)
	for _, i := range []int{0, len(tok) / 2, len(tok) - 2, len(tok) - 1} {
		b := []byte(tok)
		b[i] = tweak(b[i])
		mustRefuse(t, s, string(b))
	}
	mustRefuse(t, s, tok+"A")
	mustRefuse(t, s, tok[:len(tok)-1])
	mustRead(t, s, tok, u)
}

// tweak returns a character that differs from c in its lowest bit as a
// base64url digit: at the end of a token, that is often a bit the encoding
// leaves unused, which a lax decoder ignores.
func tweak(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if i := strings.IndexByte(alphabet, c); i >= 0 {
		return alphabet[i^1]
	}
	return 'A'
}

func testDeletedUser(t *testing.T, s strategy.Strategy, users store.UserStore) {
	u := newUser(t, users)
	tok := write(t, s, u)
	if err := users.DeleteUser(context.Background(), u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	mustRefuse(t, s, tok)
}

func sessionEnder(t *testing.T, s strategy.Strategy) strategy.SessionEnder {
	t.Helper()
	se, ok := s.(strategy.SessionEnder)
	if !ok {
		t.Skipf("%T does not implement strategy.SessionEnder", s)
	}
	return se
}

func testEndSessions(t *testing.T, s strategy.Strategy, users store.UserStore) {
	ctx := context.Background()
	se := sessionEnder(t, s)
	u, other := newUser(t, users), newUser(t, users)
	t1, t2, keep := write(t, s, u), write(t, s, u), write(t, s, u)
	to := write(t, s, other)

	if err := se.EndSessions(ctx, u.ID, keep); err != nil {
		t.Fatalf("EndSessions: %v", err)
	}
	mustRefuse(t, s, t1)
	mustRefuse(t, s, t2)
	mustRead(t, s, keep, u)
	mustRead(t, s, to, other)

	// Keeping nothing ends the kept token too.
	if err := se.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatalf("EndSessions: %v", err)
	}
	mustRefuse(t, s, keep)
	mustRead(t, s, to, other)

	// Another user's token is not kept.
	if err := se.EndSessions(ctx, other.ID, write(t, s, u)); err != nil {
		t.Fatalf("EndSessions: %v", err)
	}
	mustRefuse(t, s, to)

	// A garbage keep token keeps nothing and is no error.
	t3 := write(t, s, u)
	if err := se.EndSessions(ctx, u.ID, "garbage"); err != nil {
		t.Fatalf("EndSessions(garbage keep): %v", err)
	}
	mustRefuse(t, s, t3)
}

// testEndSessionsThenLogin is the login right after a password reset: its
// token, issued within the same second as the cut-off, must work.
func testEndSessionsThenLogin(t *testing.T, s strategy.Strategy, users store.UserStore) {
	ctx := context.Background()
	se := sessionEnder(t, s)
	u := newUser(t, users)
	for range 5 {
		old := write(t, s, u)
		if err := se.EndSessions(ctx, u.ID, ""); err != nil {
			t.Fatalf("EndSessions: %v", err)
		}
		mustRefuse(t, s, old)
		// Let the millisecond pass, as any real login (hashing a password)
		// does; the same second is what matters.
		time.Sleep(2 * time.Millisecond)
		mustRead(t, s, write(t, s, u), u)
	}
}

func testConcurrent(t *testing.T, s strategy.Strategy, users store.UserStore) {
	ctx := context.Background()
	u := newUser(t, users)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			tok, err := s.Write(ctx, u)
			if err != nil {
				errs <- err
				return
			}
			for range 5 {
				if got, err := s.Read(ctx, tok); err != nil || got.ID != u.ID {
					errs <- errors.Join(errors.New("read back failed"), err)
					return
				}
			}
			if err := s.Destroy(ctx, tok, u); err != nil {
				errs <- err
				return
			}
			if _, err := s.Read(ctx, tok); !errors.Is(err, strategy.ErrInvalidToken) {
				errs <- errors.Join(errors.New("destroyed token not refused"), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
