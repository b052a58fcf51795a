-- The mail outbox, as in 0007_mail_outbox.sql: it refers to no user.
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
