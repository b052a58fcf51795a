-- The application's own fields of each user (Config.UserFields), as one
-- JSON object, so that an application adds fields without a migration of
-- its own.
ALTER TABLE authkit_users ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
