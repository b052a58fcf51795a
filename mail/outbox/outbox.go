// Package outbox delivers mail durably: a message is written to the
// application's own database (a store.MailOutbox) in the request that asks
// for it, and a Worker sends it afterwards, retrying temporary failures
// with exponential backoff until a maximum age, when it gives up with an
// ERROR log and a call of Config.OnGiveUp.
//
// Nothing is lost to a restart or a crash: a message is deleted only once
// the mail server accepted it, so what was not sent when the process
// stopped (SIGTERM or kill -9) is sent by the next Worker that runs on the
// database — at the next start, or by another instance. Several Workers,
// one per instance, may share one PostgreSQL database: each claims the
// mails it sends under a lease, so every mail is sent once. (A Worker that
// dies after the server accepted a mail and before it recorded so sends
// it again when its lease ends: delivery is at least once, and exactly
// once but for such a crash.) SQLite serves a single instance.
//
// authkit.New starts a Worker when Config.Mailer is set; applications
// rarely make one themselves.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// Defaults of Config.
const (
	DefaultMaxAge      = 30 * time.Minute
	DefaultMinBackoff  = 5 * time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultSendTimeout = 30 * time.Second
	DefaultPoll        = time.Second
	DefaultSenders     = 4
)

// Config configures a Worker. The zero value of each optional field means
// its default.
type Config struct {
	// Store keeps the outbox. Required.
	Store store.MailOutbox
	// Mailer sends the messages. Required.
	Mailer mail.Mailer
	// Logger receives failures; nil discards them. Messages are logged by
	// subject and recipient, never with their body (which holds a token).
	Logger *slog.Logger
	// MaxAge is how long after it was written a message is tried: then it
	// is given up. 0 means DefaultMaxAge.
	MaxAge time.Duration
	// MinBackoff is the wait after a first temporary failure, doubled at
	// each further one up to MaxBackoff (with up to 25% random jitter, so
	// that instances do not retry in step). 0 means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// SendTimeout bounds each attempt. A message is leased to its Worker
	// for twice SendTimeout (at most SendTimeout plus 10 s), so that no
	// other Worker sends it meanwhile, and a Worker killed mid-attempt
	// delays it that long. 0 means DefaultSendTimeout.
	SendTimeout time.Duration
	// Poll is how often the Worker looks for due messages when nothing
	// wakes it. 0 means DefaultPoll.
	Poll time.Duration
	// Senders bounds the messages sent at once. 0 means DefaultSenders.
	Senders int
	// OnGiveUp, when set, is called when a message is given up — too old,
	// or refused for good by the mail server (a 5xx reply) — for an audit
	// event.
	OnGiveUp func(ctx context.Context, m store.OutboxMail, reason string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// leaseMargin is the part of a lease beyond the send timeout, time to
// record the outcome: at most this, at most the send timeout.
const leaseMargin = 10 * time.Second

// storeTimeout bounds the Worker's own calls of the store.
const storeTimeout = 5 * time.Second

// Worker sends the messages of an outbox. It is safe for concurrent use.
type Worker struct {
	cfg   Config
	log   *slog.Logger
	claim string // this Worker's name in the leases
	kick  chan struct{}

	ctx    context.Context // the sends' context: cancelled when Close gives up
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close: claim no more
	done   chan struct{} // closed when the loop and every send have returned
	once   sync.Once
}

// Start checks cfg and starts a Worker. Call Close to stop it.
func Start(cfg Config) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{
		cfg: cfg, log: log, claim: "worker-" + rand.Text()[:16],
		kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go w.loop()
	return w, nil
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Mailer == nil {
		errs = append(errs, errors.New("Mailer is required"))
	}
	if c.MaxAge < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 || c.SendTimeout < 0 || c.Poll < 0 || c.Senders < 0 {
		errs = append(errs, errors.New("durations and Senders must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("outbox: %w", err)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxAge, DefaultMaxAge)
	def(&c.MinBackoff, DefaultMinBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.SendTimeout, DefaultSendTimeout)
	def(&c.Poll, DefaultPoll)
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.Senders == 0 {
		c.Senders = DefaultSenders
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// MaxAge is how long a message is tried before it is given up.
func (w *Worker) MaxAge() time.Duration { return w.cfg.MaxAge }

// Add writes msg to the outbox, due at once; when it returns nil the
// message is durable. A decoy is written the same way and never sent (see
// store.OutboxMail.Decoy). Add does not wake the Worker: call Kick.
func (w *Worker) Add(ctx context.Context, msg mail.Message, decoy bool) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("outbox: encode message: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("outbox: new id: %w", err)
	}
	now := w.cfg.Now().UTC()
	err = w.cfg.Store.AddMail(ctx, store.OutboxMail{
		ID: id, To: msg.To, Subject: msg.Subject, Message: body, Decoy: decoy,
		CreatedAt: now, GiveUpAt: now.Add(w.cfg.MaxAge), NextAttemptAt: now,
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Kick wakes the Worker to look for due messages now.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Close sends the messages that are due — those in flight, and those
// waiting whose attempt is due now — then stops. When ctx ends first it
// cancels the sends — their messages stay in the outbox, for the next
// Worker — and returns ctx's error. Nothing is lost either way; messages
// waiting out a backoff are left for the next Worker.
func (w *Worker) Close(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		w.cancel()
		return nil
	case <-ctx.Done():
		w.cancel()
		<-w.done // the sends return at once when cancelled
		return ctx.Err()
	}
}

func (w *Worker) loop() {
	defer close(w.done)
	var sends sync.WaitGroup
	defer sends.Wait()
	slots := make(chan struct{}, w.cfg.Senders)
	poll := time.NewTicker(w.cfg.Poll)
	defer poll.Stop()
	stopping := false
	for w.ctx.Err() == nil {
		if !stopping {
			select {
			case <-w.stop:
				stopping = true
			default:
			}
		}
		// Claim no more than free senders: a claimed mail waits for no one.
		free := w.cfg.Senders - len(slots)
		var (
			batch []store.OutboxMail
			err   error
		)
		if free > 0 {
			ctx, cancel := context.WithTimeout(w.ctx, storeTimeout)
			batch, err = w.cfg.Store.ClaimMails(ctx, w.claim, w.cfg.Now().UTC(), w.cfg.SendTimeout+min(leaseMargin, w.cfg.SendTimeout), free)
			cancel()
			if err != nil && w.ctx.Err() == nil {
				w.log.Warn("mail outbox: claim failed; retrying", "error", err)
			}
		}
		for _, m := range batch {
			slots <- struct{}{}
			sends.Go(func() {
				defer func() { <-slots }()
				w.send(m)
				w.Kick() // a sender is free again
			})
		}
		if len(batch) == free && free > 0 {
			continue // there may be more
		}
		if stopping {
			// Draining: what is due goes out before Close returns, unless
			// the database fails or Close's context ends first.
			if err != nil || len(batch) == 0 && len(slots) == 0 {
				return
			}
			sends.Wait()
			continue
		}
		select {
		case <-w.stop:
		case <-w.kick:
		case <-poll.C:
		}
	}
}

// send makes one attempt at m and records its outcome.
func (w *Worker) send(m store.OutboxMail) {
	var msg mail.Message
	err := json.Unmarshal(m.Message, &msg)
	if err == nil {
		ctx, cancel := context.WithTimeout(w.ctx, w.cfg.SendTimeout)
		err = w.cfg.Mailer.Send(ctx, msg)
		cancel()
	} else {
		err = fmt.Errorf("%w: undecodable outbox row: %v", mail.ErrInvalidMessage, err)
	}
	// The outcome is recorded even when Close cancelled the send.
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err == nil {
		if err := w.cfg.Store.MailSent(ctx, m); err != nil {
			// Sent, but still in the outbox: it goes again when the lease ends.
			w.log.Error("mail outbox: sent, but not recorded; it will be sent again", "id", m.ID, "subject", m.Subject, "error", err)
		}
		return
	}
	now := w.cfg.Now().UTC()
	reason := err.Error()
	switch {
	case w.ctx.Err() != nil:
		// Stopped: not the mail's fault, due again at once for whoever runs next.
		w.record(ctx, m, reason, now, false)
	case mail.Permanent(err):
		w.giveUp(ctx, m, "refused for good: "+reason)
	case !now.Before(m.GiveUpAt):
		w.giveUp(ctx, m, "too old: "+reason)
	default:
		next := now.Add(w.backoff(m.Attempts))
		if next.After(m.GiveUpAt) {
			next = m.GiveUpAt // one last attempt at the end
		}
		w.log.Warn("mail outbox: send failed; will retry", "id", m.ID, "to", m.To, "subject", m.Subject,
			"attempts", m.Attempts, "next_attempt_at", next, "error", err)
		w.record(ctx, m, reason, next, false)
	}
}

func (w *Worker) giveUp(ctx context.Context, m store.OutboxMail, reason string) {
	w.log.Error("mail outbox: message given up", "id", m.ID, "to", m.To, "subject", m.Subject,
		"attempts", m.Attempts, "created_at", m.CreatedAt, "reason", reason)
	w.record(ctx, m, reason, w.cfg.Now().UTC(), true)
	if w.cfg.OnGiveUp != nil {
		w.cfg.OnGiveUp(ctx, m, reason)
	}
}

func (w *Worker) record(ctx context.Context, m store.OutboxMail, reason string, next time.Time, giveUp bool) {
	if err := w.cfg.Store.MailFailed(ctx, m, reason, next, giveUp); err != nil {
		// The lease ends by itself; the mail is tried again then.
		w.log.Warn("mail outbox: could not record a failed attempt", "id", m.ID, "error", err)
	}
}

// backoff is the wait after the attempts-th failed attempt.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.cfg.MinBackoff
	for i := 1; i < attempts && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.cfg.MaxBackoff)
	return d + mathrand.N(d/4+1)
}
