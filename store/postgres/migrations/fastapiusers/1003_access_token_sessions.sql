-- The session fields of access tokens, as in 0003_access_token_sessions.sql.
ALTER TABLE authkit_access_tokens
    ADD COLUMN session_id   TEXT NOT NULL DEFAULT '',
    ADD COLUMN user_agent   TEXT NOT NULL DEFAULT '',
    ADD COLUMN ip           TEXT NOT NULL DEFAULT '',
    ADD COLUMN last_used_at TIMESTAMPTZ;
