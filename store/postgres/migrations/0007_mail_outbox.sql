-- The mail outbox (store.MailOutbox): each verify or reset mail is written
-- here in the request that asks for it, then sent by a worker, retried
-- with backoff, and deleted once sent, so that no mail is lost to a crash,
-- a restart or a mail server that is down. claim and lease_until hold a
-- worker's lease: several instances on one database send each mail once.

CREATE TABLE authkit_mail_outbox (
    id              UUID NOT NULL PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,
    decoy           BOOLEAN NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    give_up_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    failed          BOOLEAN NOT NULL,
    claim           TEXT,
    lease_until     TIMESTAMPTZ
);

-- The worker's claim: the due mails, oldest first.
CREATE INDEX authkit_mail_outbox_due_idx ON authkit_mail_outbox (next_attempt_at);
