package authkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/store"
)

// startOutbox starts the worker that sends the mails of cfg's outbox.
func (m *Manager) startOutbox(cfg *Config, log *slog.Logger) (*outbox.Worker, error) {
	box := cfg.Outbox
	if box == nil {
		var ok bool
		if box, ok = cfg.Users.(store.MailOutbox); !ok {
			return nil, errors.New("a Mailer needs an Outbox: Users does not implement store.MailOutbox")
		}
	}
	oc := cfg.MailDelivery
	oc.Store, oc.Mailer, oc.Logger = box, cfg.Mailer, log
	if oc.Now == nil {
		oc.Now = cfg.Now
	}
	// A mail tried for longer than its link lives would arrive dead.
	maxAge := cmp.Or(oc.MaxAge, outbox.DefaultMaxAge)
	if life := min(m.reset.Lifetime(), m.verify.Lifetime()); maxAge > life {
		return nil, fmt.Errorf("MailDelivery.MaxAge %v exceeds the reset or verify token lifetime %v: a late mail would carry a dead link", maxAge, life)
	}
	oc.OnGiveUp = func(ctx context.Context, mm store.OutboxMail, reason string) {
		log.InfoContext(ctx, "authkit audit", "event", "mail.given_up", "mail_id", mm.ID.String(),
			"subject", mm.Subject, "attempts", mm.Attempts, "reason", reason)
	}
	w, err := outbox.Start(oc)
	if err != nil {
		return nil, fmt.Errorf("MailDelivery: %w", err)
	}
	return w, nil
}

// maxMailDelay bounds the random delay before the worker wakes for a
// message.
const maxMailDelay = 50 * time.Millisecond

// deliver is the one way the manager sends mail: it renders the message
// and writes it to the outbox in the request, so that once the request
// answers the message is durable, then wakes the worker. A decoy (a reset
// asked for an unknown email) is rendered and written the same way and
// never sent, so that neither the answer nor its timing tells who has an
// account. The worker wakes after a random delay, for a decoy as for a
// real message: its work — the claim, the send — lands during some later
// request rather than this one. An error (the database is down) fails the
// request: better a 503 the client can retry than a 202 for a mail that
// will never come.
func (m *Manager) deliver(ctx context.Context, decoy bool, compose func() (mail.Message, error)) error {
	if m.outbox == nil {
		return nil
	}
	msg, err := compose()
	if err != nil {
		return fmt.Errorf("authkit: render mail: %w", err)
	}
	if err := m.outbox.Add(ctx, msg, decoy); err != nil {
		return fmt.Errorf("authkit: %w", err)
	}
	time.AfterFunc(rand.N(maxMailDelay), m.outbox.Kick)
	return nil
}
