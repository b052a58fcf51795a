-- The mail outbox, as in 0007_mail_outbox.sql: it refers to no user.
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
