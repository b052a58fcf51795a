-- authkit schema, SQLite dialect.
-- Times are INTEGER Unix microseconds (UTC): exact to compare, and the same
-- precision as PostgreSQL's TIMESTAMPTZ. STRICT tables refuse any other type.

CREATE TABLE authkit_users (
    id              TEXT    NOT NULL PRIMARY KEY, -- UUID, lowercase and hyphenated
    email           TEXT    NOT NULL,             -- as the user gave it
    email_canonical TEXT    NOT NULL UNIQUE,      -- store.CanonicalEmail(email), computed in Go
    hashed_password TEXT    NOT NULL,
    is_active       INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    is_superuser    INTEGER NOT NULL CHECK (is_superuser IN (0, 1)),
    is_verified     INTEGER NOT NULL CHECK (is_verified IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX authkit_users_created_at_idx ON authkit_users (created_at, id);

CREATE TABLE authkit_access_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY, -- hex SHA-256 of the token
    user_id    TEXT    NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX authkit_access_tokens_user_id_idx ON authkit_access_tokens (user_id);
CREATE INDEX authkit_access_tokens_created_at_idx ON authkit_access_tokens (created_at);

-- No foreign key: a revocation must hold whatever happens to the user.
CREATE TABLE authkit_revoked_tokens (
    token_id   TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX authkit_revoked_tokens_user_id_idx ON authkit_revoked_tokens (user_id);
CREATE INDEX authkit_revoked_tokens_expires_at_idx ON authkit_revoked_tokens (expires_at);

CREATE TABLE authkit_token_cutoffs (
    user_id       TEXT    NOT NULL PRIMARY KEY REFERENCES authkit_users (id) ON DELETE CASCADE,
    not_before    INTEGER NOT NULL, -- tokens issued before are void...
    keep_token_id TEXT              -- ...but this one (NULL: none)
) STRICT;
