package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

var _ store.MailOutbox = (*Store)(nil)

// outboxColumns lists the columns of authkit_mail_outbox in the order of
// outboxRow. Unqualified, so that RETURNING takes them too.
const outboxColumns = `id, recipient, subject, message, decoy, created_at, give_up_at, next_attempt_at,
	attempts, last_error, failed, claim`

// outboxQueries are the statements of store.MailOutbox.
type outboxQueries struct {
	add, countID, purgeDecoys, claim, sent, failed, list, retryAll, retryOne string
}

// rebindOutboxQueries writes the outbox statements with r, which rebinds
// the placeholders; skipLocked ends the claim's row selection.
func rebindOutboxQueries(r func(string) string, skipLocked string) outboxQueries {
	return outboxQueries{
		// A retried insert that meets its own row changes nothing: AddMail
		// then finds the row by its id.
		add: r(`INSERT INTO authkit_mail_outbox (id, recipient, subject, message, decoy, created_at, give_up_at,
			next_attempt_at, attempts, last_error, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?)
			ON CONFLICT (id) DO NOTHING`),
		countID:     r(`SELECT COUNT(*) FROM authkit_mail_outbox WHERE id = ?`),
		purgeDecoys: r(`DELETE FROM authkit_mail_outbox WHERE decoy = ?`),
		// The lease, not the statement, keeps a mail to one worker: a row
		// leased by another is not due. On PostgreSQL SKIP LOCKED also lets
		// two claims at once take different rows instead of waiting.
		claim: r(`UPDATE authkit_mail_outbox SET claim = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM authkit_mail_outbox
				WHERE failed = ? AND decoy = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
				ORDER BY next_attempt_at, id LIMIT ?` + skipLocked + `)
			RETURNING ` + outboxColumns),
		sent: r(`DELETE FROM authkit_mail_outbox WHERE id = ? AND claim = ?`),
		failed: r(`UPDATE authkit_mail_outbox SET claim = NULL, lease_until = NULL, last_error = ?,
			next_attempt_at = ?, failed = ? WHERE id = ? AND claim = ?`),
		list: r(`SELECT ` + outboxColumns + ` FROM authkit_mail_outbox WHERE decoy = ? ORDER BY created_at, id`),
		retryAll: r(`UPDATE authkit_mail_outbox SET failed = ?, attempts = 0, next_attempt_at = ?, give_up_at = ?
			WHERE failed = ? AND decoy = ?`),
		retryOne: r(`UPDATE authkit_mail_outbox SET failed = ?, attempts = 0, next_attempt_at = ?, give_up_at = ?
			WHERE id = ? AND decoy = ?`),
	}
}

// outboxRow is a row of authkit_mail_outbox as scanned.
type outboxRow struct {
	ID            uuid.UUID      `db:"id"`
	To            string         `db:"recipient"`
	Subject       string         `db:"subject"`
	Message       string         `db:"message"`
	Decoy         bool           `db:"decoy"`
	CreatedAt     dbTime         `db:"created_at"`
	GiveUpAt      dbTime         `db:"give_up_at"`
	NextAttemptAt dbTime         `db:"next_attempt_at"`
	Attempts      int            `db:"attempts"`
	LastError     string         `db:"last_error"`
	Failed        bool           `db:"failed"`
	Claim         sql.NullString `db:"claim"`
}

func (r *outboxRow) mail() store.OutboxMail {
	return store.OutboxMail{
		ID: r.ID, To: r.To, Subject: r.Subject, Message: []byte(r.Message), Decoy: r.Decoy,
		CreatedAt: r.CreatedAt.Time, GiveUpAt: r.GiveUpAt.Time, NextAttemptAt: r.NextAttemptAt.Time,
		Attempts: r.Attempts, LastError: r.LastError, Failed: r.Failed, Claim: r.Claim.String,
	}
}

func outboxMails(rows []outboxRow) []store.OutboxMail {
	out := make([]store.OutboxMail, len(rows))
	for i := range rows {
		out[i] = rows[i].mail()
	}
	return out
}

// AddMail implements store.MailOutbox.
func (s *Store) AddMail(ctx context.Context, m store.OutboxMail) error {
	if m.ID == uuid.Nil {
		return errors.New("authkit/store: add mail: no id")
	}
	res, err := s.db.ExecContext(ctx, s.q.outbox.add, m.ID, m.To, m.Subject, string(m.Message), m.Decoy,
		s.t(m.CreatedAt), s.t(m.GiveUpAt), s.t(m.NextAttemptAt), m.Failed)
	if err != nil || !changedRows(res) {
		return insertOutcome(ctx, "add mail", err, errors.New("authkit/store: add mail: id taken"), func(ctx context.Context) bool {
			var n int
			return s.db.GetContext(ctx, &n, s.q.outbox.countID, m.ID) == nil && n == 1
		})
	}
	return nil
}

// ClaimMails implements store.MailOutbox.
func (s *Store) ClaimMails(ctx context.Context, claim string, now time.Time, lease time.Duration, n int) ([]store.OutboxMail, error) {
	if _, err := s.db.ExecContext(ctx, s.q.outbox.purgeDecoys, true); err != nil {
		return nil, fault("claim mails", err)
	}
	var rows []outboxRow
	at := s.t(now)
	if err := s.db.SelectContext(ctx, &rows, s.q.outbox.claim, claim, s.t(now.Add(lease)), false, false, at, at, n); err != nil {
		return nil, fault("claim mails", err)
	}
	return outboxMails(rows), nil
}

// MailSent implements store.MailOutbox.
func (s *Store) MailSent(ctx context.Context, m store.OutboxMail) error {
	if _, err := s.db.ExecContext(ctx, s.q.outbox.sent, m.ID, m.Claim); err != nil {
		return fault("mail sent", err)
	}
	return nil
}

// MailFailed implements store.MailOutbox.
func (s *Store) MailFailed(ctx context.Context, m store.OutboxMail, reason string, next time.Time, giveUp bool) error {
	if _, err := s.db.ExecContext(ctx, s.q.outbox.failed, reason, s.t(next), giveUp, m.ID, m.Claim); err != nil {
		return fault("mail failed", err)
	}
	return nil
}

// ListMails implements store.MailOutbox.
func (s *Store) ListMails(ctx context.Context) ([]store.OutboxMail, error) {
	var rows []outboxRow
	if err := s.db.SelectContext(ctx, &rows, s.q.outbox.list, false); err != nil {
		return nil, fault("list mails", err)
	}
	return outboxMails(rows), nil
}

// RetryMails implements store.MailOutbox.
func (s *Store) RetryMails(ctx context.Context, ids []uuid.UUID, now, giveUpAt time.Time) (int, error) {
	var n int64
	count := func(res sql.Result, err error) error {
		if err != nil {
			return fault("retry mails", err)
		}
		c, err := res.RowsAffected()
		if err != nil {
			return fault("retry mails", err)
		}
		n += c
		return nil
	}
	if len(ids) == 0 {
		err := count(s.db.ExecContext(ctx, s.q.outbox.retryAll, false, s.t(now), s.t(giveUpAt), true, false))
		return int(n), err
	}
	for _, id := range ids {
		if err := count(s.db.ExecContext(ctx, s.q.outbox.retryOne, false, s.t(now), s.t(giveUpAt), id, false)); err != nil {
			return int(n), err
		}
	}
	return int(n), nil
}
