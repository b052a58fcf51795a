-- Passkeys, as in 0009_passkeys.sql, owned by the users of {users}.
CREATE TABLE authkit_passkeys (
    id            TEXT NOT NULL PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    BLOB NOT NULL,
    sign_count    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;

CREATE INDEX authkit_passkeys_user_id_idx ON authkit_passkeys (user_id);
