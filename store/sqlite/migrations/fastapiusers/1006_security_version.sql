-- The security stamp and its companions, as in 0006_security_version.sql.
-- NOT NULL DEFAULT 0, so that rows FastAPI Users inserts get a version too.
ALTER TABLE {users} ADD COLUMN authkit_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authkit_token_cutoffs ADD COLUMN not_before_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authkit_refresh_tokens ADD COLUMN successor TEXT NOT NULL DEFAULT '';
