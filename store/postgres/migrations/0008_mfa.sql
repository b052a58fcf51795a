-- Second factors (store.MFAStore, store.ChallengeStore): the TOTP secret of
-- each user, sealed by authkit before it is stored (confirmed_at NULL while
-- it is pending; last_step the time step of the last code accepted, so that
-- a code is good once); the SHA-256 of each unused recovery code; and the
-- short-lived, single-use challenges of sign-in and enrolment steps (MFA
-- tokens, WebAuthn challenges), shared by every instance.
CREATE TABLE authkit_totp (
    user_id      UUID NOT NULL PRIMARY KEY REFERENCES authkit_users (id) ON DELETE CASCADE,
    secret       BYTEA NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE authkit_recovery_codes (
    user_id    UUID NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL, -- hex SHA-256 of the code
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE authkit_challenges (
    hash       TEXT NOT NULL PRIMARY KEY, -- hex SHA-256 of what the client holds
    kind       TEXT NOT NULL,
    user_id    UUID REFERENCES authkit_users (id) ON DELETE CASCADE, -- NULL: for no user yet
    data       BYTEA NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_challenges_expires_at_idx ON authkit_challenges (expires_at);
CREATE INDEX authkit_challenges_user_id_idx ON authkit_challenges (user_id);
