-- OAuth accounts, as in 0005_oauth_accounts.sql, owned by the users of {users}.
CREATE TABLE authkit_oauth_accounts (
    id            UUID        NOT NULL PRIMARY KEY,
    user_id       UUID        NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    provider      TEXT        NOT NULL,
    account_id    TEXT        NOT NULL,
    account_email TEXT        NOT NULL,
    access_token  TEXT        NOT NULL,
    refresh_token TEXT        NOT NULL,
    expires_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, account_id)
);

CREATE INDEX authkit_oauth_accounts_user_id_idx ON authkit_oauth_accounts (user_id);
