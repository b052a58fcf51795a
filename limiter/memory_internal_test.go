package limiter

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestQueueBounded: Take then Reset on ever new keys, all at one instant,
// leaves stale queue items behind live ones; the queue must not grow with
// them.
func TestQueueBounded(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	m, err := NewMemory(Rule{Limit: 3, Window: time.Hour}, WithClock(func() time.Time { return now }), WithMaxKeys(100))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Live windows at the front of the shards' queues, so the stale items
	// behind them are not swept from the front.
	for i := range 40 {
		m.Take(ctx, fmt.Sprint("anchor", i))
	}
	for i := range 50_000 {
		k := fmt.Sprint(i % 7) // few keys, reset and re-opened at the same instant
		if i%2 == 0 {
			k = fmt.Sprint("distinct", i)
		}
		m.Take(ctx, k)
		m.Reset(ctx, k)
	}
	for i := range m.shards {
		s := &m.shards[i]
		if n := len(s.queue) - s.head; n > 2*m.perShard+17 {
			t.Errorf("shard %d: %d queued items for a cap of %d", i, n, m.perShard)
		}
		if c := cap(s.queue); c > 8*m.perShard+64 {
			t.Errorf("shard %d: queue capacity %d for a cap of %d", i, c, m.perShard)
		}
	}
	if got := len(m.shards) * m.perShard; got > 100 || got < 90 {
		t.Errorf("shards×perShard = %d, want about MaxKeys 100", got)
	}
}
