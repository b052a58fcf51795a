-- The security stamp (store.User.Version): incremented in the same
-- statement as every security-relevant change of the user (password,
-- email, flags, ended sessions, OAuth links), so that what was
-- authenticated against one version can be refused once it moved on.
-- not_before_version: tokens carrying a version below it are void, as
-- tokens issued before not_before are.
-- successor: the sealed next token of a used refresh token, for the
-- reuse interval ('' when none).
ALTER TABLE authkit_users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authkit_token_cutoffs ADD COLUMN not_before_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authkit_refresh_tokens ADD COLUMN successor TEXT NOT NULL DEFAULT '';
