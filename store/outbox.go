package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// OutboxMail is a message waiting in the mail outbox: written in the
// request that asked for it, in the application's own database, so that
// it survives a crash, and sent later by a worker (package mail/outbox).
type OutboxMail struct {
	ID uuid.UUID
	// To and Subject describe the mail in listings.
	To, Subject string
	// Message is the message itself, encoded by the worker; the store keeps
	// it verbatim. It holds the mail's link, a live token: stores delete a
	// mail once it is sent.
	Message []byte
	// Decoy marks a mail that is never sent: written in place of a real
	// one (a reset asked for an unknown email) so that both cost a request
	// the same. ClaimMails forgets decoys; ListMails never shows them.
	Decoy     bool
	CreatedAt time.Time
	// GiveUpAt is when the worker stops trying.
	GiveUpAt time.Time
	// NextAttemptAt is when the mail is due.
	NextAttemptAt time.Time
	// Attempts counts the claims of the mail so far.
	Attempts int
	// LastError is why the last attempt failed; "" before any.
	LastError string
	// Failed: given up; only an operator's RetryMails sends it again.
	Failed bool
	// Claim identifies the worker's lease of the mail, set by ClaimMails:
	// MailSent and MailFailed act only on the mail still claimed so.
	Claim string
}

// MailOutbox keeps the mail outbox. Several processes may claim mails at
// once: each claimed mail goes to one of them until its lease ends.
type MailOutbox interface {
	// AddMail stores m, due at m.NextAttemptAt.
	AddMail(ctx context.Context, m OutboxMail) error
	// ClaimMails forgets the decoys, then leases to claim, until now+lease,
	// up to n mails due at now that are neither failed nor leased, oldest
	// due first, counting an attempt for each, and returns them.
	ClaimMails(ctx context.Context, claim string, now time.Time, lease time.Duration, n int) ([]OutboxMail, error)
	// MailSent deletes the mail m, unless its lease went to another claim.
	MailSent(ctx context.Context, m OutboxMail) error
	// MailFailed ends m's lease after a failed attempt, recording why: due
	// again at next, or given up (failed) when giveUp is true. Nothing
	// happens when the lease went to another claim.
	MailFailed(ctx context.Context, m OutboxMail, reason string, next time.Time, giveUp bool) error
	// ListMails returns the mails not sent yet, failed ones included,
	// oldest first (decoys excepted).
	ListMails(ctx context.Context) ([]OutboxMail, error)
	// RetryMails makes the mails with ids — or, with no ids, every failed
	// mail — due at now again, not failed, to be given up at giveUpAt, and
	// returns how many it changed. Unknown ids are not an error.
	RetryMails(ctx context.Context, ids []uuid.UUID, now, giveUpAt time.Time) (int, error)
}
