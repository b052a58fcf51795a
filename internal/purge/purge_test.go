package purge

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	var g Gate
	var runs atomic.Int64
	count := func() error { runs.Add(1); return nil }
	now := time.Now()

	// Many callers at once: one purge.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _ = g.Maybe(now, count) })
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("%d purges, want 1", runs.Load())
	}
	if _ = g.Maybe(now.Add(Interval-time.Nanosecond), count); runs.Load() != 1 {
		t.Fatal("purged again within the interval")
	}
	if _ = g.Maybe(now.Add(Interval), count); runs.Load() != 2 {
		t.Fatal("not purged after the interval")
	}

	// A failure is due again at once.
	later := now.Add(2 * Interval)
	boom := errors.New("boom")
	if err := g.Maybe(later, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if _ = g.Maybe(later, count); runs.Load() != 3 {
		t.Fatal("a failed purge was not retried")
	}
}
