-- The application's own fields of each user (Config.UserFields), as one
-- JSON object, as in 0002_user_fields.sql.
ALTER TABLE {users} ADD COLUMN authkit_fields TEXT NOT NULL DEFAULT '{}';
