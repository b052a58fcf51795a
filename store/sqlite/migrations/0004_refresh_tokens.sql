-- Refresh tokens (store.RefreshTokenStore): only the SHA-256 of each token
-- is kept. The tokens of one login share family_id and family_created_at
-- (the login, from which the absolute lifetime counts); each refresh marks
-- the token it used (used_at) and adds the next, so that a used token that
-- comes back is recognised as stolen and ends its family.
-- Times are INTEGER Unix microseconds (UTC); used_at is NULL while the
-- token is its family's current one.
CREATE TABLE authkit_refresh_tokens (
    hash              TEXT    NOT NULL PRIMARY KEY, -- hex SHA-256 of the token
    family_id         TEXT    NOT NULL,
    user_id           TEXT    NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    access_token_id   TEXT    NOT NULL,             -- jti of the access token issued with it
    created_at        INTEGER NOT NULL,
    family_created_at INTEGER NOT NULL,
    used_at           INTEGER,
    user_agent        TEXT    NOT NULL,
    ip                TEXT    NOT NULL
) STRICT;

CREATE INDEX authkit_refresh_tokens_family_id_idx ON authkit_refresh_tokens (family_id);
CREATE INDEX authkit_refresh_tokens_user_id_idx ON authkit_refresh_tokens (user_id);
CREATE INDEX authkit_refresh_tokens_family_created_at_idx ON authkit_refresh_tokens (family_created_at);
