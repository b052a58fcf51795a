-- Passkeys (store.PasskeyStore): WebAuthn credentials, each with the
-- authenticator's credential id (unique), the user's name for it, authkit's
-- record of it (public key, flags, transports: JSON) and its sign count,
-- compared and set at each sign-in so that a cloned authenticator shows.
CREATE TABLE authkit_passkeys (
    id            UUID NOT NULL PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    BYTEA NOT NULL,
    sign_count    BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);

CREATE INDEX authkit_passkeys_user_id_idx ON authkit_passkeys (user_id);
