package strategy_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
)

// refreshStore is what a JWT strategy with refresh tokens needs.
type refreshStore interface {
	testStore
	store.RefreshTokenStore
}

func newRefreshJWT(t *testing.T, st refreshStore, c *clock) *strategy.JWT {
	t.Helper()
	j, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st, Now: c.Now,
		Refresh: &strategy.RefreshConfig{Store: st, Users: st, Lifetime: 10 * time.Hour, IdleLifetime: 2 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestRefreshLifetimes(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts testStore) {
		st := ts.(refreshStore)
		ctx := context.Background()
		c := newClock()
		j := newRefreshJWT(t, st, c)
		u := newUser(t, st)

		// Used within the idle lifetime, again and again: good until the
		// absolute lifetime.
		_, rt, err := j.WriteWithRefresh(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			c.Add(time.Hour + 59*time.Minute)
			if _, _, rt, err = j.Refresh(ctx, rt); err != nil {
				t.Fatalf("refresh within the idle lifetime: %v", err)
			}
		}
		c.Add(time.Hour) // 10h35 since the login
		if _, _, _, err := j.Refresh(ctx, rt); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("past the absolute lifetime: %v", err)
		}

		// Unused for longer than the idle lifetime: refused, session gone.
		_, rt, _ = j.WriteWithRefresh(ctx, u)
		c.Add(2 * time.Hour)
		if _, _, _, err := j.Refresh(ctx, rt); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("past the idle lifetime: %v", err)
		}
		if s, _ := j.Sessions(ctx, u.ID); len(s) != 0 {
			t.Fatalf("sessions left: %+v", s)
		}
	})
}

// Concurrent refreshes of one token: exactly one wins; the others are
// reuse, which ends the session — the winner's new tokens included — or,
// once it has ended, unknown.
func TestRefreshRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts testStore) {
		st := ts.(refreshStore)
		ctx := context.Background()
		j := newRefreshJWT(t, st, newClock())
		u := newUser(t, st)
		_, rt, err := j.WriteWithRefresh(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var wins, reused int
		var winner string
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, access, _, err := j.Refresh(ctx, rt)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
					winner = access
				case errors.Is(err, strategy.ErrRefreshReused):
					reused++
				case errors.Is(err, strategy.ErrInvalidToken): // the session is gone already
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || reused < 1 {
			t.Fatalf("%d wins, %d reuses", wins, reused)
		}
		if _, err := j.Read(ctx, winner); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("the winner's access token after the reuse: %v", err)
		}
	})
}
