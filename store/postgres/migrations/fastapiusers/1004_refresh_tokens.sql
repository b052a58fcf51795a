-- Refresh tokens, as in 0004_refresh_tokens.sql, owned by the users of {users}.
CREATE TABLE authkit_refresh_tokens (
    hash              TEXT        NOT NULL PRIMARY KEY, -- hex SHA-256 of the token
    family_id         TEXT        NOT NULL,
    user_id           UUID        NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    access_token_id   TEXT        NOT NULL,             -- jti of the access token issued with it
    created_at        TIMESTAMPTZ NOT NULL,
    family_created_at TIMESTAMPTZ NOT NULL,
    used_at           TIMESTAMPTZ,
    user_agent        TEXT        NOT NULL,
    ip                TEXT        NOT NULL
);

CREATE INDEX authkit_refresh_tokens_family_id_idx ON authkit_refresh_tokens (family_id);
CREATE INDEX authkit_refresh_tokens_user_id_idx ON authkit_refresh_tokens (user_id);
CREATE INDEX authkit_refresh_tokens_family_created_at_idx ON authkit_refresh_tokens (family_created_at);
