-- Second factors, as in 0008_mfa.sql, owned by the users of {users}.
CREATE TABLE authkit_totp (
    user_id      UUID NOT NULL PRIMARY KEY REFERENCES {users} (id) ON DELETE CASCADE,
    secret       BYTEA NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE authkit_recovery_codes (
    user_id    UUID NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL, -- hex SHA-256 of the code
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE authkit_challenges (
    hash       TEXT NOT NULL PRIMARY KEY, -- hex SHA-256 of what the client holds
    kind       TEXT NOT NULL,
    user_id    UUID REFERENCES {users} (id) ON DELETE CASCADE, -- NULL: for no user yet
    data       BYTEA NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_challenges_expires_at_idx ON authkit_challenges (expires_at);
CREATE INDEX authkit_challenges_user_id_idx ON authkit_challenges (user_id);
