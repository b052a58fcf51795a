-- Passkeys, as in 0009_passkeys.sql, owned by the users of {users}.
CREATE TABLE authkit_passkeys (
    id            UUID NOT NULL PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    BYTEA NOT NULL,
    sign_count    BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);

CREATE INDEX authkit_passkeys_user_id_idx ON authkit_passkeys (user_id);
