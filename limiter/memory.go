package limiter

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys is how many keys a [Memory] holds unless [WithMaxKeys]
// says otherwise; that many take about 20 MB.
const DefaultMaxKeys = 100_000

// Memory is a [Limiter] that keeps its counters in the process: right for a
// single instance, and for tests. Several instances behind a load balancer
// each count on their own; use package redislimiter to share the counts.
//
// Memory stays bounded however many distinct keys arrive. Each key is held
// as 16 bytes of its SHA-256, so a long key costs no more than a short one.
// Expired windows are swept as new keys arrive, a few at a time, with no
// background goroutine. When [WithMaxKeys] keys hold live windows, a new
// key evicts the window that started first, which is also the one that
// would have ended first. Eviction forgets that key's count, so a flood of
// over MaxKeys distinct keys within one window can free a blocked key
// early: size MaxKeys above the distinct keys one window normally sees.
// Keys are spread over shards by a hash seeded at random, so an attacker
// cannot aim a flood at the shard that holds a chosen key.
type Memory struct {
	rule     Rule
	now      func() time.Time
	base     time.Time // times are kept as nanoseconds since base
	maxKeys  int
	perShard int
	seed     maphash.Seed
	shards   []shard
}

var _ Limiter = (*Memory)(nil)

// digest stands for a key: 128 bits of its SHA-256.
type digest [16]byte

// window is one key's count; expires is in nanoseconds since Memory.base.
type window struct {
	count   int64
	expires int64
	seq     uint64 // which queue item stands for this window
}

// queued records that a window was opened. A shard's queue is in opening
// order, which is also expiry order since every window has the same length;
// an item whose key was reset or has opened a newer window since is stale
// (its seq no longer matches) and skipped.
type queued struct {
	d   digest
	seq uint64
}

type shard struct {
	mu      sync.Mutex
	windows map[digest]window
	queue   []queued
	head    int // queue[:head] is consumed
	seq     uint64
}

// Option configures a [Memory].
type Option func(*Memory)

// WithClock makes m read the time from now instead of [time.Now]: for tests.
func WithClock(now func() time.Time) Option {
	return func(m *Memory) { m.now = now }
}

// WithMaxKeys caps the keys held at n (at least 1); the default is
// [DefaultMaxKeys].
func WithMaxKeys(n int) Option {
	return func(m *Memory) { m.maxKeys = n }
}

// NewMemory returns an in-process limiter enforcing rule.
func NewMemory(rule Rule, opts ...Option) (*Memory, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	m := &Memory{rule: rule, now: time.Now, maxKeys: DefaultMaxKeys, seed: maphash.MakeSeed()}
	for _, o := range opts {
		o(m)
	}
	if m.now == nil {
		return nil, errors.New("limiter: WithClock(nil)")
	}
	if m.maxKeys < 1 {
		return nil, errors.New("limiter: WithMaxKeys needs at least 1")
	}
	m.base = m.now()
	// Up to 64 shards of at least 16 keys each; the shards' caps add up
	// to at most maxKeys.
	n := 1
	for n < 64 && m.maxKeys/(2*n) >= 16 {
		n *= 2
	}
	m.perShard = m.maxKeys / n
	m.shards = make([]shard, n)
	for i := range m.shards {
		m.shards[i].windows = make(map[digest]window)
	}
	return m, nil
}

// Allow implements [Limiter].
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	d, s := m.locate(key)
	s.mu.Lock()
	now := m.elapsed()
	w, found := s.windows[d]
	s.mu.Unlock()
	if !found || now >= w.expires || w.count < int64(m.rule.Limit) {
		return true, 0, nil
	}
	return false, retryAfter(time.Duration(w.expires - now)), nil
}

// Take implements [Limiter].
func (m *Memory) Take(_ context.Context, key string) (bool, time.Duration, error) {
	d, s := m.locate(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	// The clock is read under the lock so that each shard's queue stays
	// in expiry order.
	now := m.elapsed()
	w, found := s.windows[d]
	if !found || now >= w.expires {
		if !found {
			s.makeRoom(now, m.perShard)
		}
		s.seq++
		s.windows[d] = window{count: 1, expires: now + int64(m.rule.Window), seq: s.seq}
		s.push(queued{d, s.seq}, m.perShard)
		return true, 0, nil
	}
	// Counting stops one past the limit: the answer no longer changes.
	if w.count <= int64(m.rule.Limit) {
		w.count++
		s.windows[d] = w
	}
	if w.count <= int64(m.rule.Limit) {
		return true, 0, nil
	}
	return false, retryAfter(time.Duration(w.expires - now)), nil
}

// Reset implements [Limiter].
func (m *Memory) Reset(_ context.Context, key string) error {
	d, s := m.locate(key)
	s.mu.Lock()
	delete(s.windows, d)
	s.mu.Unlock()
	return nil
}

// Len reports how many keys m holds, expired ones not yet swept included.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.windows)
		s.mu.Unlock()
	}
	return n
}

func (m *Memory) elapsed() int64 { return int64(m.now().Sub(m.base)) }

func (m *Memory) locate(key string) (digest, *shard) {
	sum := sha256.Sum256([]byte(key))
	d := digest(sum[:16])
	return d, &m.shards[maphash.Bytes(m.seed, d[:])%uint64(len(m.shards))]
}

// makeRoom drops expired and stale items from the front of the queue, and
// live windows too while the shard is full. Each item is pushed once and
// dropped once, so the sweep costs O(1) per new key, amortised.
func (s *shard) makeRoom(now int64, limit int) {
	for s.head < len(s.queue) {
		q := s.queue[s.head]
		w, found := s.windows[q.d]
		switch {
		case !found || w.seq != q.seq:
			// stale
		case now >= w.expires || len(s.windows) >= limit:
			delete(s.windows, q.d)
		default:
			return
		}
		s.queue[s.head] = queued{}
		s.head++
	}
}

// push appends q and keeps the queue's memory bounded: the consumed front
// is reclaimed once it is half the queue, and stale items (left by Reset)
// are filtered out once the queue is twice the shard's cap.
func (s *shard) push(q queued, limit int) {
	s.queue = append(s.queue, q)
	if s.head > 0 && s.head >= len(s.queue)/2 {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
	if len(s.queue)-s.head > 2*limit+16 {
		live := s.queue[:0]
		for _, q := range s.queue[s.head:] {
			if w, found := s.windows[q.d]; found && w.seq == q.seq {
				live = append(live, q)
			}
		}
		clear(s.queue[len(live):])
		s.queue, s.head = live, 0
	}
}
