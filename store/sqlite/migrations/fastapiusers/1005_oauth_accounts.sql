-- OAuth accounts, as in 0005_oauth_accounts.sql, owned by the users of {users}.
CREATE TABLE authkit_oauth_accounts (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    account_id    TEXT    NOT NULL,
    account_email TEXT    NOT NULL,
    access_token  TEXT    NOT NULL,
    refresh_token TEXT    NOT NULL,
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (provider, account_id)
) STRICT;

CREATE INDEX authkit_oauth_accounts_user_id_idx ON authkit_oauth_accounts (user_id);
