-- Second factors, as in 0008_mfa.sql, owned by the users of {users}.
CREATE TABLE authkit_totp (
    user_id      TEXT NOT NULL PRIMARY KEY REFERENCES {users} (id) ON DELETE CASCADE,
    secret       BLOB NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE authkit_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL, -- hex SHA-256 of the code
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, hash)
) STRICT;

CREATE TABLE authkit_challenges (
    hash       TEXT NOT NULL PRIMARY KEY, -- hex SHA-256 of what the client holds
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES {users} (id) ON DELETE CASCADE, -- NULL: for no user yet
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX authkit_challenges_expires_at_idx ON authkit_challenges (expires_at);
CREATE INDEX authkit_challenges_user_id_idx ON authkit_challenges (user_id);
