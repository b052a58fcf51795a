-- Passkeys (store.PasskeyStore): WebAuthn credentials, each with the
-- authenticator's credential id (unique), the user's name for it, authkit's
-- record of it (public key, flags, transports: JSON) and its sign count,
-- compared and set at each sign-in so that a cloned authenticator shows.
-- Times are INTEGER Unix microseconds (UTC); last_used_at NULL for never.
CREATE TABLE authkit_passkeys (
    id            TEXT NOT NULL PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    BLOB NOT NULL,
    sign_count    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;

CREATE INDEX authkit_passkeys_user_id_idx ON authkit_passkeys (user_id);
