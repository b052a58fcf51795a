// Package purge paces the deletion of expired records: the requests that
// create records are its occasion, but a delete at every one of them would
// be work done again and again for nothing.
package purge

import (
	"sync/atomic"
	"time"
)

// Interval is how often a Gate lets a purge run.
const Interval = time.Minute

// Gate runs a purge at most once per Interval. The zero value is ready:
// the first purge is due at once.
type Gate struct {
	next atomic.Int64 // Unix nanoseconds of the next purge
}

// Maybe runs purge when it is due; a failed purge is due again at once.
func (g *Gate) Maybe(now time.Time, purge func() error) error {
	next := g.next.Load()
	if now.UnixNano() < next || !g.next.CompareAndSwap(next, now.Add(Interval).UnixNano()) {
		return nil
	}
	if err := purge(); err != nil {
		g.next.Store(next)
		return err
	}
	return nil
}
