// Package limitertest is the conformance suite of authkit's limiters. Every
// implementation runs it, the application's own included:
//
//	func TestConformance(t *testing.T) {
//		clock := newFakeClock()
//		limitertest.Run(t, func(t *testing.T, rule limiter.Rule) limiter.Limiter {
//			return newLimiter(t, rule, clock.Now) // holding no counts
//		}, clock.Advance)
//	}
//
// The suite checks the semantics documented in package limiter: exactly
// Limit events per window, Allow not counting, refused events not extending
// the window, the window lifting, Reset, keys kept apart byte for byte,
// retry-after in whole seconds, and exact counts under 100 concurrent
// callers. Its longest wait is about two seconds of advance, so a limiter
// whose clock cannot be moved (a Redis server) can pass time.Sleep.
package limitertest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit/limiter"
)

// Run runs the suite as subtests of t, one after another. newLimiter is
// called with the subtest's t and must return a limiter enforcing rule that
// holds no counts yet; it may register its clean-up with t.Cleanup.
// advance lets d pass for every limiter newLimiter returns.
func Run(t *testing.T, newLimiter func(t *testing.T, rule limiter.Rule) limiter.Limiter, advance func(d time.Duration)) {
	tests := []struct {
		name string
		fn   func(*testing.T, func(limiter.Rule) limiter.Limiter, func(time.Duration))
	}{
		{"TakeUpToLimit", testTakeUpToLimit},
		{"LimitOne", testLimitOne},
		{"AllowDoesNotCount", testAllowDoesNotCount},
		{"Reset", testReset},
		{"KeysApart", testKeysApart},
		{"WindowLifts", testWindowLifts},
		{"ConcurrentTake", testConcurrentTake},
		{"ConcurrentKeys", testConcurrentKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newL := func(rule limiter.Rule) limiter.Limiter {
				t.Helper()
				l := newLimiter(t, rule)
				if l == nil {
					t.Fatal("newLimiter returned nil")
				}
				return l
			}
			tc.fn(t, newL, advance)
		})
	}
}

// take calls Take and checks the retry-after against ok and window.
func take(t *testing.T, l limiter.Limiter, key string, window time.Duration) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Take(context.Background(), key)
	if err != nil {
		t.Fatalf("Take(%.20q): %v", key, err)
	}
	checkRetry(t, "Take", ok, retry, window)
	return ok, retry
}

// allow calls Allow and checks the retry-after against ok and window.
func allow(t *testing.T, l limiter.Limiter, key string, window time.Duration) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%.20q): %v", key, err)
	}
	checkRetry(t, "Allow", ok, retry, window)
	return ok, retry
}

func checkRetry(t *testing.T, what string, ok bool, retry, window time.Duration) {
	t.Helper()
	switch {
	case ok && retry != 0:
		t.Errorf("%s: ok with retryAfter %v, want 0", what, retry)
	case ok:
	case retry < time.Second:
		t.Errorf("%s: retryAfter %v, want at least 1s", what, retry)
	case retry%time.Second != 0:
		t.Errorf("%s: retryAfter %v, want whole seconds", what, retry)
	case retry > max(time.Second, (window+time.Second-1).Truncate(time.Second)):
		t.Errorf("%s: retryAfter %v beyond the window %v", what, retry, window)
	}
}

func reset(t *testing.T, l limiter.Limiter, key string) {
	t.Helper()
	if err := l.Reset(context.Background(), key); err != nil {
		t.Fatalf("Reset(%.20q): %v", key, err)
	}
}

// exhaust takes rule.Limit times, expecting each to pass.
func exhaust(t *testing.T, l limiter.Limiter, key string, rule limiter.Rule) {
	t.Helper()
	for i := range rule.Limit {
		if ok, _ := take(t, l, key, rule.Window); !ok {
			t.Fatalf("Take #%d of %d refused", i+1, rule.Limit)
		}
	}
}

func testTakeUpToLimit(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 3, Window: 10 * time.Second}
	l := newL(rule)
	exhaust(t, l, "alice", rule)
	for i := range 5 {
		ok, retry := take(t, l, "alice", rule.Window)
		if ok {
			t.Fatalf("Take #%d past the limit allowed", i+1)
		}
		if retry < 9*time.Second {
			t.Errorf("retryAfter %v just after the window opened, want about 10s", retry)
		}
	}
	if ok, retry := allow(t, l, "alice", rule.Window); ok {
		t.Error("Allow after the limit: ok")
	} else if retry < 9*time.Second {
		t.Errorf("Allow: retryAfter %v just after the window opened, want about 10s", retry)
	}
}

func testLimitOne(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 1, Window: 10 * time.Second}
	l := newL(rule)
	if ok, _ := allow(t, l, "k", rule.Window); !ok {
		t.Fatal("Allow on a new key refused")
	}
	if ok, _ := take(t, l, "k", rule.Window); !ok {
		t.Fatal("first Take refused")
	}
	if ok, _ := allow(t, l, "k", rule.Window); ok {
		t.Error("Allow after the one Take: ok")
	}
	if ok, _ := take(t, l, "k", rule.Window); ok {
		t.Error("second Take: ok")
	}
}

func testAllowDoesNotCount(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 2, Window: 10 * time.Second}
	l := newL(rule)
	for range 10 {
		if ok, _ := allow(t, l, "bob", rule.Window); !ok {
			t.Fatal("Allow on a new key refused")
		}
	}
	take(t, l, "bob", rule.Window)
	for range 10 {
		if ok, _ := allow(t, l, "bob", rule.Window); !ok {
			t.Fatal("Allow with room for one more refused")
		}
	}
	if ok, _ := take(t, l, "bob", rule.Window); !ok {
		t.Fatal("Take #2 of 2 refused: Allow counted")
	}
	if ok, _ := take(t, l, "bob", rule.Window); ok {
		t.Error("Take #3 of 2 allowed")
	}
}

func testReset(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 2, Window: 10 * time.Second}
	l := newL(rule)
	reset(t, l, "never-seen")
	exhaust(t, l, "carol", rule)
	exhaust(t, l, "dave", rule)
	if ok, _ := take(t, l, "carol", rule.Window); ok {
		t.Fatal("Take past the limit allowed")
	}
	reset(t, l, "carol")
	if ok, _ := allow(t, l, "carol", rule.Window); !ok {
		t.Error("Allow after Reset refused")
	}
	exhaust(t, l, "carol", rule) // a full window again
	if ok, _ := take(t, l, "carol", rule.Window); ok {
		t.Error("Take past the limit after Reset allowed")
	}
	if ok, _ := allow(t, l, "dave", rule.Window); ok {
		t.Error("Reset of one key freed another")
	}
}

func testKeysApart(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 1, Window: 10 * time.Second}
	l := newL(rule)
	keys := []string{
		"alice@example.com", "Alice@example.com", "alice@example.com ", "", " ", "\x00",
		"alice@example.com\x00", "ä", "a\u0308", "*", "authkit:limit:x", "{tag}",
		strings.Repeat("k", 10_000), strings.Repeat("k", 10_001), "203.0.113.7", "2001:db8::/64",
	}
	for _, k := range keys {
		if ok, _ := take(t, l, k, rule.Window); !ok {
			t.Errorf("first Take(%.20q) refused: keys not kept apart", k)
		}
	}
	for _, k := range keys {
		if ok, _ := take(t, l, k, rule.Window); ok {
			t.Errorf("second Take(%.20q) allowed", k)
		}
	}
}

func testWindowLifts(t *testing.T, newL func(limiter.Rule) limiter.Limiter, advance func(time.Duration)) {
	rule := limiter.Rule{Limit: 2, Window: 2 * time.Second}
	l := newL(rule)
	exhaust(t, l, "erin", rule)
	take(t, l, "erin", rule.Window)
	advance(time.Second)
	// Attempts while blocked are refused and must not push the end back.
	for range 3 {
		if ok, _ := take(t, l, "erin", rule.Window); ok {
			t.Fatal("Take half-way through a full window allowed")
		}
	}
	if ok, retry := allow(t, l, "erin", rule.Window); ok {
		t.Fatal("Allow half-way through a full window: ok")
	} else if retry != time.Second {
		t.Errorf("retryAfter half-way through a 2s window: %v, want 1s", retry)
	}
	advance(1100 * time.Millisecond)
	if ok, _ := allow(t, l, "erin", rule.Window); !ok {
		t.Fatal("Allow after the window passed refused: the window was extended")
	}
	exhaust(t, l, "erin", rule) // the count started again
	if ok, _ := take(t, l, "erin", rule.Window); ok {
		t.Error("Take past the limit in the second window allowed")
	}
}

// testConcurrentTake: of 100 concurrent Takes exactly Limit pass, and all
// 100 are counted.
func testConcurrentTake(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	const callers = 100
	run := func(l limiter.Limiter) int {
		var passed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				ok, _, err := l.Take(context.Background(), "mallory")
				if err != nil {
					t.Errorf("Take: %v", err)
				}
				if ok {
					passed.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		return int(passed.Load())
	}

	rule := limiter.Rule{Limit: 37, Window: 10 * time.Second}
	if n := run(newL(rule)); n != rule.Limit {
		t.Errorf("Limit %d: %d of %d concurrent Takes passed", rule.Limit, n, callers)
	}
	for _, limit := range []int{callers, callers + 1} {
		rule := limiter.Rule{Limit: limit, Window: 10 * time.Second}
		l := newL(rule)
		if n := run(l); n != callers {
			t.Errorf("Limit %d: %d of %d concurrent Takes passed", limit, n, callers)
		}
		ok, _ := take(t, l, "mallory", rule.Window)
		if want := limit > callers; ok != want {
			t.Errorf("Limit %d: Take after %d concurrent ones: ok = %v, want %v (miscounted)", limit, callers, ok, want)
		}
	}
}

// testConcurrentKeys mixes every method over many keys, for the race
// detector, then checks that the counts are still exact.
func testConcurrentKeys(t *testing.T, newL func(limiter.Rule) limiter.Limiter, _ func(time.Duration)) {
	rule := limiter.Rule{Limit: 5, Window: 10 * time.Second}
	l := newL(rule)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			for i := range 25 {
				key := string(rune('a' + (g+i)%26))
				var err error
				switch i % 3 {
				case 0:
					_, _, err = l.Take(ctx, key)
				case 1:
					_, _, err = l.Allow(ctx, key)
				case 2:
					err = l.Reset(ctx, key)
				}
				if err != nil {
					t.Errorf("key %q: %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	for k := range 26 {
		key := string(rune('a' + k))
		reset(t, l, key)
		exhaust(t, l, key, rule)
		if ok, _ := take(t, l, key, rule.Window); ok {
			t.Errorf("key %q: Take past the limit allowed", key)
		}
	}
}
