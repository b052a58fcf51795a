-- The session fields of access tokens, as in 0003_access_token_sessions.sql.
ALTER TABLE authkit_access_tokens ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN last_used_at INTEGER; -- Unix microseconds (UTC)
