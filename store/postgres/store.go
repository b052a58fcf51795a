package postgres

import (
	"context"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

var (
	_ store.UserStore        = (*Store)(nil)
	_ store.UserLister       = (*Store)(nil)
	_ store.AccessTokenStore = (*Store)(nil)
	_ store.RevocationStore  = (*Store)(nil)
	_ store.Migrator         = (*Store)(nil)
)

// DB returns the database the store uses, for the application's own
// queries and for closing it.
func (s *Store) DB() *sqlx.DB { return s.s.DB() }

// Migrate implements store.Migrator: it creates or upgrades the authkit_*
// tables, or adopts the FastAPI Users table (see AdoptFastAPIUsers), in
// one transaction. It is safe to call at every start-up and from several
// processes at once.
func (s *Store) Migrate(ctx context.Context) error { return s.s.Migrate(ctx) }

// CreateUser implements store.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	return s.s.CreateUser(ctx, u)
}

// UserByID implements store.UserStore.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (*store.User, error) {
	return s.s.UserByID(ctx, id)
}

// UserByEmail implements store.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	return s.s.UserByEmail(ctx, email)
}

// UpdateUser implements store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	return s.s.UpdateUser(ctx, u)
}

// DeleteUser implements store.UserStore. It deletes, in one transaction,
// the user, its access tokens, its revoked tokens and its cut-off.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	return s.s.DeleteUser(ctx, id)
}

// ListUsers implements store.UserLister.
func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	return s.s.ListUsers(ctx)
}

// CreateAccessToken implements store.AccessTokenStore. It returns
// store.ErrUserNotFound when t.UserID names no user.
func (s *Store) CreateAccessToken(ctx context.Context, t store.AccessToken) error {
	return s.s.CreateAccessToken(ctx, t)
}

// UserByAccessToken implements store.AccessTokenStore, in one query.
func (s *Store) UserByAccessToken(ctx context.Context, hash string) (*store.User, time.Time, error) {
	return s.s.UserByAccessToken(ctx, hash)
}

// DeleteAccessToken implements store.AccessTokenStore.
func (s *Store) DeleteAccessToken(ctx context.Context, hash string) error {
	return s.s.DeleteAccessToken(ctx, hash)
}

// DeleteUserAccessTokens implements store.AccessTokenStore.
func (s *Store) DeleteUserAccessTokens(ctx context.Context, userID uuid.UUID, keepHash string) error {
	return s.s.DeleteUserAccessTokens(ctx, userID, keepHash)
}

// DeleteAccessTokensBefore implements store.AccessTokenStore.
func (s *Store) DeleteAccessTokensBefore(ctx context.Context, t time.Time) error {
	return s.s.DeleteAccessTokensBefore(ctx, t)
}

// UserForToken implements store.RevocationStore, in one query.
func (s *Store) UserForToken(ctx context.Context, userID uuid.UUID, tokenID string, issuedAt time.Time) (*store.User, error) {
	return s.s.UserForToken(ctx, userID, tokenID, issuedAt)
}

// RevokeToken implements store.RevocationStore.
func (s *Store) RevokeToken(ctx context.Context, tokenID string, userID uuid.UUID, expiresAt time.Time) error {
	return s.s.RevokeToken(ctx, tokenID, userID, expiresAt)
}

// RevokeUserTokens implements store.RevocationStore. For a user that does
// not exist it does nothing.
func (s *Store) RevokeUserTokens(ctx context.Context, userID uuid.UUID, t time.Time, keepTokenID string) error {
	return s.s.RevokeUserTokens(ctx, userID, t, keepTokenID)
}

// DeleteExpiredRevocations implements store.RevocationStore.
func (s *Store) DeleteExpiredRevocations(ctx context.Context, t time.Time) error {
	return s.s.DeleteExpiredRevocations(ctx, t)
}
