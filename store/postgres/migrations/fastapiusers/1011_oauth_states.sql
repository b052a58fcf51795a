-- The used OAuth states, as in 0011_oauth_states.sql: they name no user.
CREATE TABLE authkit_oauth_states (
    state_key  TEXT        NOT NULL PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX authkit_oauth_states_expires_at_idx ON authkit_oauth_states (expires_at);
