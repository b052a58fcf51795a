-- authkit schema, PostgreSQL dialect.
-- Times are TIMESTAMPTZ (microsecond precision); authkit writes them in UTC,
-- truncated to microseconds, so comparisons are exact.

CREATE TABLE authkit_users (
    id              UUID        NOT NULL PRIMARY KEY,
    email           TEXT        NOT NULL,        -- as the user gave it
    email_canonical TEXT        NOT NULL UNIQUE, -- store.CanonicalEmail(email), computed in Go
    hashed_password TEXT        NOT NULL,
    is_active       BOOLEAN     NOT NULL,
    is_superuser    BOOLEAN     NOT NULL,
    is_verified     BOOLEAN     NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_users_created_at_idx ON authkit_users (created_at, id);

CREATE TABLE authkit_access_tokens (
    hash       TEXT        NOT NULL PRIMARY KEY, -- hex SHA-256 of the token
    user_id    UUID        NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
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
    user_id       UUID        NOT NULL PRIMARY KEY REFERENCES authkit_users (id) ON DELETE CASCADE,
    not_before    TIMESTAMPTZ NOT NULL, -- tokens issued before are void...
    keep_token_id TEXT                  -- ...but this one (NULL: none)
);
