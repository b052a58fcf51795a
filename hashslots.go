package authkit

import (
	"context"
	"errors"
	"time"

	"github.com/go-authkit/authkit/hasher"
)

// ErrBusy: every hashing slot stayed taken for longer than Config.HashWait.
// The HTTP routes answer it with 503 and Retry-After.
var ErrBusy = errors.New("authkit: too many password hashes in progress")

// DefaultHashWait is how long a request waits for a hashing slot when
// Config.HashWait is 0.
const DefaultHashWait = 5 * time.Second

// boundedHasher runs a hasher under a concurrency limit. An argon2id hash
// holds its whole memory cost while it runs, so the limit is what keeps
// memory flat however many logins arrive at once.
type boundedHasher struct {
	h     hasher.Hasher
	slots chan struct{}
	wait  time.Duration
}

func newBoundedHasher(h hasher.Hasher, n int, wait time.Duration) *boundedHasher {
	return &boundedHasher{h: h, slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a slot, or gives up when ctx ends or the wait is over.
func (b *boundedHasher) acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return ErrBusy
	}
}

func (b *boundedHasher) release() { <-b.slots }

func (b *boundedHasher) hash(ctx context.Context, pw string) (string, error) {
	if err := b.acquire(ctx); err != nil {
		return "", err
	}
	defer b.release()
	return b.h.Hash(pw)
}

func (b *boundedHasher) verify(ctx context.Context, pw, encoded string) (match, rehash bool, err error) {
	if err := b.acquire(ctx); err != nil {
		return false, false, err
	}
	defer b.release()
	return b.h.Verify(pw, encoded)
}
