-- Each access token is a session that its user can list and end
-- (ASVS 7.5.2): a random session id, never the token or its hash, and the
-- client it was issued to. Tokens written before this migration, or by an
-- older release during a rolling deploy, keep session_id '' and the
-- strategy lists them under an id derived from their hash.
-- last_used_at is NULL until the first recorded use: read as created_at.
-- authkit_access_tokens_user_id_idx (0001) serves the listing by user.
ALTER TABLE authkit_access_tokens ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_access_tokens ADD COLUMN last_used_at INTEGER; -- Unix microseconds (UTC)
