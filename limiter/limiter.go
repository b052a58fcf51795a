package limiter

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limiter counts events per key in fixed windows; see the package
// documentation for the exact semantics. Implementations are safe for
// concurrent use.
//
// Retry-after durations are whole seconds, rounded up, at least one second,
// ready for a Retry-After header; they are zero when the answer is yes.
// An error (a backend fault) comes with ok false; whether to let the request
// through then is the caller's choice.
type Limiter interface {
	// Allow reports whether key has room for one more event now, without
	// counting one; when not, retryAfter says when it will. Checking with
	// Allow and counting a failure with Take afterwards lets a burst of
	// concurrent attempts all pass the check; count with Take first when
	// that matters.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Take counts one event for key and reports whether it was within the
	// limit, atomically: of any number of concurrent calls exactly the
	// room left is allowed. A refused event counts too, without extending
	// the window.
	Take(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Reset forgets key's events, as after a successful login. Resetting an
	// unknown key is not an error.
	Reset(ctx context.Context, key string) error
}

// Rule is how many events a key may have in one window.
type Rule struct {
	// Limit is how many events a window allows: at least 1.
	Limit int
	// Window is how long a key's count lasts from its first event, and so
	// the longest a key stays blocked: at least one millisecond (Redis
	// counts in milliseconds).
	Window time.Duration
}

// ErrInvalidRule is returned, wrapped, by constructors given a Rule that
// [Rule.Validate] refuses.
var ErrInvalidRule = errors.New("limiter: invalid rule")

// Validate reports whether r can be used.
func (r Rule) Validate() error {
	if r.Limit < 1 {
		return fmt.Errorf("%w: Limit %d, want at least 1", ErrInvalidRule, r.Limit)
	}
	if r.Window < time.Millisecond {
		return fmt.Errorf("%w: Window %v, want at least 1ms", ErrInvalidRule, r.Window)
	}
	return nil
}

// retryAfter rounds the time left in a window up to whole seconds, at
// least one: Retry-After counts in seconds, and "0" would invite an
// immediate retry that is still refused.
func retryAfter(left time.Duration) time.Duration {
	if left <= time.Second {
		return time.Second
	}
	return (left + time.Second - 1).Truncate(time.Second)
}
