-- The OAuth states used at a callback (store.OAuthStateStore): a state is
-- good for one callback, on every instance. key is a digest the state
-- carries, never a secret; a record goes once the state has expired
-- (expires_at, INTEGER Unix microseconds, UTC).
CREATE TABLE authkit_oauth_states (
    state_key  TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX authkit_oauth_states_expires_at_idx ON authkit_oauth_states (expires_at);
