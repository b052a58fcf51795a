-- The mail outbox (store.MailOutbox): each verify or reset mail is written
-- here in the request that asks for it, then sent by a worker, retried
-- with backoff, and deleted once sent, so that no mail is lost to a crash,
-- a restart or a mail server that is down. claim and lease_until hold a
-- worker's lease: several instances on one database send each mail once.
-- Times are INTEGER Unix microseconds (UTC); decoy and failed 0 or 1.
CREATE TABLE authkit_mail_outbox (
    id              TEXT NOT NULL PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,
    decoy           INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    give_up_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    failed          INTEGER NOT NULL,
    claim           TEXT,
    lease_until     INTEGER
) STRICT;

-- The worker's claim: the due mails, oldest first.
CREATE INDEX authkit_mail_outbox_due_idx ON authkit_mail_outbox (next_attempt_at);
