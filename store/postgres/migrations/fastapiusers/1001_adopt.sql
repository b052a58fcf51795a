-- Adopts the table of users of a FastAPI Users application, {users},
-- PostgreSQL dialect. FastAPI Users' own columns are left as they are.
-- authkit adds its own, nullable because the existing rows (and any that
-- FastAPI Users writes later) have no value for them; after this file the
-- store fills authkit_email_canonical in Go and makes it unique.

ALTER TABLE {users}
    ADD COLUMN authkit_email_canonical TEXT,        -- store.CanonicalEmail(email)
    ADD COLUMN authkit_created_at      TIMESTAMPTZ, -- NULL: created before authkit
    ADD COLUMN authkit_updated_at      TIMESTAMPTZ;

CREATE INDEX authkit_fastapi_users_created_at_idx ON {users} (authkit_created_at, id);

-- authkit's token tables, as in 0001_init.sql. FastAPI Users' accesstoken
-- table is left alone and never read: it holds raw tokens, which authkit
-- does not accept as its own.
CREATE TABLE authkit_access_tokens (
    hash       TEXT        NOT NULL PRIMARY KEY, -- hex SHA-256 of the token
    user_id    UUID        NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_access_tokens_user_id_idx ON authkit_access_tokens (user_id);
CREATE INDEX authkit_access_tokens_created_at_idx ON authkit_access_tokens (created_at);

-- No foreign key: a revocation must hold whatever happens to the user.
CREATE TABLE authkit_revoked_tokens (
    token_id   TEXT        NOT NULL PRIMARY KEY,
    user_id    UUID        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_revoked_tokens_user_id_idx ON authkit_revoked_tokens (user_id);
CREATE INDEX authkit_revoked_tokens_expires_at_idx ON authkit_revoked_tokens (expires_at);

CREATE TABLE authkit_token_cutoffs (
    user_id       UUID        NOT NULL PRIMARY KEY REFERENCES {users} (id) ON DELETE CASCADE,
    not_before    TIMESTAMPTZ NOT NULL, -- tokens issued before are void...
    keep_token_id TEXT                  -- ...but this one (NULL: none)
);
