package storetest

// The OAuth state part of the suite, run when the store implements
// store.OAuthStateStore.

import (
	"context"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
)

// capability returns s as a T, the optional interface named name, or
// skips the test.
func capability[T any](t *testing.T, s Store, name string) T {
	t.Helper()
	c, ok := s.(T)
	if !ok {
		t.Skip("the store does not implement " + name)
	}
	return c
}

// stateStore returns s as an OAuthStateStore, or skips the test.
func stateStore(t *testing.T, s Store) store.OAuthStateStore {
	t.Helper()
	return capability[store.OAuthStateStore](t, s, "store.OAuthStateStore")
}

func testOAuthStates(t *testing.T, s Store) {
	o := stateStore(t, s)
	ctx := context.Background()
	if err := o.UseOAuthState(ctx, "state-a", base.Add(time.Minute)); err != nil {
		t.Fatalf("UseOAuthState: %v", err)
	}
	checkErr(t, "UseOAuthState again", o.UseOAuthState(ctx, "state-a", base.Add(time.Hour)), store.ErrOAuthStateUsed)
	// Keys are compared exactly, and stored verbatim.
	for _, key := range []string{"State-A", "state-a ", "'; DROP TABLE authkit_oauth_states; --"} {
		if err := o.UseOAuthState(ctx, key, base.Add(time.Minute)); err != nil {
			t.Errorf("UseOAuthState(%q): %v", key, err)
		}
	}
	if err := o.UseOAuthState(ctx, "state-b", base.Add(2*time.Minute)); err != nil {
		t.Fatalf("UseOAuthState: %v", err)
	}

	// The purge forgets what expired before t, and only that.
	if err := o.DeleteExpiredOAuthStates(ctx, base.Add(time.Minute)); err != nil {
		t.Fatalf("DeleteExpiredOAuthStates: %v", err)
	}
	checkErr(t, "UseOAuthState at the expiry", o.UseOAuthState(ctx, "state-a", base.Add(time.Hour)), store.ErrOAuthStateUsed)
	if err := o.DeleteExpiredOAuthStates(ctx, base.Add(time.Minute+time.Microsecond)); err != nil {
		t.Fatalf("DeleteExpiredOAuthStates: %v", err)
	}
	if err := o.UseOAuthState(ctx, "state-a", base.Add(time.Hour)); err != nil {
		t.Errorf("UseOAuthState after its record expired: %v", err)
	}
	checkErr(t, "UseOAuthState of a live record", o.UseOAuthState(ctx, "state-b", base.Add(time.Hour)), store.ErrOAuthStateUsed)
}

func testOAuthStateRace(t *testing.T, s Store) {
	o := stateStore(t, s)
	ctx := context.Background()
	errs := race(50, func(int) error { return o.UseOAuthState(ctx, "one-state", base.Add(time.Minute)) })
	oneWins(t, "UseOAuthState of one state", errs, store.ErrOAuthStateUsed)
}
