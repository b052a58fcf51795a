package limiter_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/limiter/limitertest"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newMemory(t *testing.T, rule limiter.Rule, opts ...limiter.Option) *limiter.Memory {
	t.Helper()
	m, err := limiter.NewMemory(rule, opts...)
	if err != nil {
		t.Fatalf("NewMemory(%+v): %v", rule, err)
	}
	return m
}

func TestMemoryConformance(t *testing.T) {
	clock := newFakeClock()
	limitertest.Run(t, func(t *testing.T, rule limiter.Rule) limiter.Limiter {
		return newMemory(t, rule, limiter.WithClock(clock.Now))
	}, clock.Advance)
}

// TestMemoryConformanceSmallShards runs the suite with so few keys allowed
// that every key shares one shard.
func TestMemoryConformanceSmallShards(t *testing.T) {
	clock := newFakeClock()
	limitertest.Run(t, func(t *testing.T, rule limiter.Rule) limiter.Limiter {
		return newMemory(t, rule, limiter.WithClock(clock.Now), limiter.WithMaxKeys(30))
	}, clock.Advance)
}

func TestNewMemoryInvalid(t *testing.T) {
	for _, rule := range []limiter.Rule{
		{},
		{Limit: 0, Window: time.Minute},
		{Limit: -1, Window: time.Minute},
		{Limit: 5, Window: 0},
		{Limit: 5, Window: -time.Minute},
		{Limit: 5, Window: time.Millisecond - 1},
	} {
		if _, err := limiter.NewMemory(rule); !errors.Is(err, limiter.ErrInvalidRule) {
			t.Errorf("NewMemory(%+v): err = %v, want ErrInvalidRule", rule, err)
		}
	}
	good := limiter.Rule{Limit: 5, Window: time.Minute}
	for name, opt := range map[string]limiter.Option{
		"WithMaxKeys(0)":  limiter.WithMaxKeys(0),
		"WithMaxKeys(-1)": limiter.WithMaxKeys(-1),
		"WithClock(nil)":  limiter.WithClock(nil),
	} {
		if m, err := limiter.NewMemory(good, opt); err == nil || m != nil {
			t.Errorf("NewMemory with %s: (%v, %v), want an error", name, m, err)
		}
	}
	if _, err := limiter.NewMemory(limiter.Rule{Limit: 1, Window: time.Millisecond}, limiter.WithMaxKeys(1)); err != nil {
		t.Errorf("NewMemory with the smallest settings: %v", err)
	}
}

// TestMemoryRetryAfter checks the rounding: up to whole seconds, at least
// one, exact to the nanosecond at the edges.
func TestMemoryRetryAfter(t *testing.T) {
	clock := newFakeClock()
	rule := limiter.Rule{Limit: 1, Window: 10 * time.Second}
	m := newMemory(t, rule, limiter.WithClock(clock.Now))
	ctx := context.Background()
	m.Take(ctx, "k")
	for _, step := range []struct {
		advance time.Duration
		want    time.Duration
	}{
		{0, 10 * time.Second},
		{time.Nanosecond, 10 * time.Second},
		{time.Second - time.Nanosecond, 9 * time.Second}, // 9s left exactly
		{time.Nanosecond, 9 * time.Second},
		{1500 * time.Millisecond, 8 * time.Second},                 // 7.5s left
		{5500*time.Millisecond - time.Nanosecond, 2 * time.Second}, // 2s left exactly
		{time.Second, time.Second},                                 // 1s left exactly
		{999 * time.Millisecond, time.Second},
		{999*time.Microsecond + 999*time.Nanosecond, time.Second}, // 1ns left
		{time.Nanosecond, 0},                                      // the window has ended
	} {
		clock.Advance(step.advance)
		ok, got, err := m.Allow(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if step.want == 0 {
			if !ok {
				t.Errorf("after the window: Allow refused (%v)", got)
			}
			continue
		}
		if ok || got != step.want {
			t.Errorf("at %v: Allow = %v, %v; want false, %v", clock.Now().Format("15:04:05.000000000"), ok, got, step.want)
		}
		if ok, got2, _ := m.Take(ctx, "k"); ok || got2 != got {
			t.Errorf("at %v: Take = %v, %v; want false, %v", clock.Now().Format("15:04:05.000000000"), ok, got2, got)
		}
	}
	// The window ended exactly at 10s: a new one starts now.
	if ok, _, _ := m.Take(ctx, "k"); !ok {
		t.Error("Take in the new window refused")
	}
	if _, retry, _ := m.Take(ctx, "k"); retry != 10*time.Second {
		t.Errorf("new window: retryAfter %v, want 10s", retry)
	}
}

// TestMemorySubSecondWindow: a window under a second still says 1s.
func TestMemorySubSecondWindow(t *testing.T) {
	clock := newFakeClock()
	m := newMemory(t, limiter.Rule{Limit: 1, Window: 250 * time.Millisecond}, limiter.WithClock(clock.Now))
	ctx := context.Background()
	m.Take(ctx, "k")
	if ok, retry, _ := m.Take(ctx, "k"); ok || retry != time.Second {
		t.Errorf("Take = %v, %v; want false, 1s", ok, retry)
	}
	clock.Advance(250 * time.Millisecond)
	if ok, _, _ := m.Take(ctx, "k"); !ok {
		t.Error("Take after the window refused")
	}
}

// TestMemorySweepsExpired: expired windows go as new keys arrive, before
// any live one is evicted.
func TestMemorySweepsExpired(t *testing.T) {
	clock := newFakeClock()
	rule := limiter.Rule{Limit: 1, Window: time.Minute}
	m := newMemory(t, rule, limiter.WithClock(clock.Now), limiter.WithMaxKeys(16)) // one shard
	ctx := context.Background()
	for i := range 10 {
		m.Take(ctx, fmt.Sprint("old", i))
	}
	if n := m.Len(); n != 10 {
		t.Fatalf("Len = %d, want 10", n)
	}
	clock.Advance(time.Minute)
	m.Take(ctx, "new")
	if n := m.Len(); n != 1 {
		t.Errorf("Len after a new key past the window = %d, want 1: expired windows not swept", n)
	}

	// Full of live windows plus expired ones: only the expired go.
	for i := range 8 {
		m.Take(ctx, fmt.Sprint("a", i))
	}
	clock.Advance(30 * time.Second)
	for i := range 7 {
		m.Take(ctx, fmt.Sprint("b", i))
	}
	clock.Advance(30 * time.Second) // "new" and the a's expire
	for i := range 7 {
		m.Take(ctx, fmt.Sprint("c", i))
	}
	for i := range 7 {
		for _, p := range []string{"b", "c"} {
			if ok, _, _ := m.Allow(ctx, fmt.Sprint(p, i)); ok {
				t.Errorf("%s%d: a live window was evicted while expired ones remained", p, i)
			}
		}
	}
	if n := m.Len(); n > 16 {
		t.Errorf("Len = %d, over MaxKeys 16", n)
	}
}

// TestMemoryEvictsOldest: when full of live windows, a new key evicts the
// window that started first, and nothing else.
func TestMemoryEvictsOldest(t *testing.T) {
	clock := newFakeClock()
	rule := limiter.Rule{Limit: 1, Window: time.Hour}
	m := newMemory(t, rule, limiter.WithClock(clock.Now), limiter.WithMaxKeys(16)) // one shard
	ctx := context.Background()
	for i := range 16 {
		m.Take(ctx, fmt.Sprint("k", i))
		clock.Advance(time.Second)
	}
	m.Reset(ctx, "k5") // leaves a stale queue item behind k0..k4
	m.Take(ctx, "k5")  // k5's window is now the newest
	if n := m.Len(); n != 16 {
		t.Fatalf("Len = %d, want 16", n)
	}
	for _, newKey := range []string{"x0", "x1", "x2", "x3", "x4", "x5"} {
		m.Take(ctx, newKey)
		if n := m.Len(); n != 16 {
			t.Errorf("Len = %d after %q, want 16", n, newKey)
		}
	}
	// Six new keys evicted the six oldest windows: k0..k4 and k6. k5's
	// stale item must not have cost k5 its new window.
	for i := range 16 {
		ok, _, _ := m.Allow(ctx, fmt.Sprint("k", i))
		if want := i < 5 || i == 6; ok != want {
			t.Errorf("k%d: Allow = %v, want %v", i, ok, want)
		}
	}
}

// TestMemoryBounded floods a Memory with 100,000 distinct, long keys: it
// must hold no more than MaxKeys and its heap must stay small.
func TestMemoryBounded(t *testing.T) {
	const maxKeys, keys = 1000, 100_000
	rule := limiter.Rule{Limit: 5, Window: time.Hour}
	ctx := context.Background()
	long := string(make([]byte, 1000))

	before := heap()
	m := newMemory(t, rule, limiter.WithMaxKeys(maxKeys))
	for i := range keys {
		k := fmt.Sprint(i, long)
		if ok, _, err := m.Take(ctx, k); !ok || err != nil {
			t.Fatalf("Take of a new key: %v, %v", ok, err)
		}
		if i%3 == 0 {
			m.Reset(ctx, k) // stale queue items must not pile up either
		}
		if i%10_000 == 0 && m.Len() > maxKeys {
			t.Fatalf("Len = %d after %d keys, over %d", m.Len(), i+1, maxKeys)
		}
	}
	if n := m.Len(); n > maxKeys || n < maxKeys*9/10 {
		t.Errorf("Len = %d, want at most and near %d", n, maxKeys)
	}
	// Unbounded, the windows alone would take some 20 MB (100 MB had the
	// keys been kept).
	if grown := heap() - before; grown > 1<<20 {
		t.Errorf("heap grew by %d KiB for %d keys", grown>>10, maxKeys)
	}
	runtime.KeepAlive(m)

	d := newMemory(t, rule)
	for i := range limiter.DefaultMaxKeys + 20_000 {
		d.Take(ctx, fmt.Sprint(i))
	}
	if n := d.Len(); n > limiter.DefaultMaxKeys {
		t.Errorf("default Memory: Len = %d, over DefaultMaxKeys %d", n, limiter.DefaultMaxKeys)
	}
}

func heap() int64 {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return int64(s.HeapAlloc)
}
