-- Links between users and their accounts at OAuth2 / OpenID Connect
-- providers (store.OAuthAccountStore). A provider account belongs to one
-- user at most: (provider, account_id) is unique. The provider's tokens are
-- kept, as FastAPI Users keeps them, for the application's calls to the
-- provider's API. Times are INTEGER Unix microseconds (UTC); expires_at is
-- NULL when the provider gave no expiry.
CREATE TABLE authkit_oauth_accounts (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    account_id    TEXT    NOT NULL,
    account_email TEXT    NOT NULL,
    access_token  TEXT    NOT NULL,
    refresh_token TEXT    NOT NULL,
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (provider, account_id)
) STRICT;

CREATE INDEX authkit_oauth_accounts_user_id_idx ON authkit_oauth_accounts (user_id);
