package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of NewQueue.
const (
	DefaultQueueWorkers = 2
	DefaultQueueSize    = 100
	// QueueSendTimeout bounds each send made by a Queue.
	QueueSendTimeout = 30 * time.Second
)

// Queue sends messages off the request path, with a fixed number of workers
// and a bounded buffer. A request handler enqueues and returns at once; a
// slow or dead mail server never holds it up.
//
// Failures are logged with the subject and the error, never with the body,
// which holds a live token. It is safe for concurrent use.
type Queue struct {
	mailer Mailer
	log    *slog.Logger
	ch     chan Message
	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{} // closed when every worker has returned

	mu     sync.RWMutex // guards closed, and sending on ch against closing it
	closed bool
}

// NewQueue starts workers goroutines sending through m, with room for size
// waiting messages. Values below 1 mean DefaultQueueWorkers and
// DefaultQueueSize; a nil logger means slog.Default(). A nil m drops every
// message with a logged error. Call Close to stop it.
func NewQueue(m Mailer, workers, size int, logger *slog.Logger) *Queue {
	if workers < 1 {
		workers = DefaultQueueWorkers
	}
	if size < 1 {
		size = DefaultQueueSize
	}
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		mailer: m,
		log:    logger,
		ch:     make(chan Message, size),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(q.work)
	}
	go func() {
		wg.Wait()
		close(q.done)
	}()
	return q
}

// Enqueue hands m to the workers and reports whether it was accepted. It
// never blocks: when the queue is full or closed, m is dropped, an error is
// logged and Enqueue returns false.
func (q *Queue) Enqueue(m Message) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.log.Error("mail: queue closed, message dropped", "subject", m.Subject)
		return false
	}
	select {
	case q.ch <- m:
		return true
	default:
		q.log.Error("mail: queue full, message dropped", "subject", m.Subject, "capacity", cap(q.ch))
		return false
	}
}

// Close stops accepting messages and waits until the queued ones are sent.
// When ctx ends first, Close cancels the sends in flight, drops what is
// still queued, and returns ctx's error. Calling Close again waits again.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		return ctx.Err()
	}
}

func (q *Queue) work() {
	for m := range q.ch {
		if q.ctx.Err() != nil {
			q.log.Error("mail: queue stopped, message dropped", "subject", m.Subject)
			continue
		}
		if q.mailer == nil { // a configuration error, reported rather than a panic
			q.log.Error("mail: queue has no mailer, message dropped", "subject", m.Subject)
			continue
		}
		ctx, cancel := context.WithTimeout(q.ctx, QueueSendTimeout)
		err := q.mailer.Send(ctx, m)
		cancel()
		if err != nil {
			// The error never holds the body: mailers in this package build
			// their errors from addresses and server replies only.
			q.log.Error("mail: send failed", "subject", m.Subject, "error", err)
		}
	}
}
