package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// oauthColumns lists the columns of authkit_oauth_accounts in the order of
// oauthRow.
const oauthColumns = `id, user_id, provider, account_id, account_email, access_token, refresh_token,
	expires_at, created_at, updated_at`

// oauthQueries are the statements of store.OAuthAccountStore.
type oauthQueries struct {
	insert, update, owner, byProvider, ofUser, delete, deleteOfUser string
	useState, purgeStates                                           string
}

// rebindOAuthQueries writes the OAuth account statements with r, which
// names the table of users and rebinds the placeholders.
func rebindOAuthQueries(r func(string) string) oauthQueries {
	return oauthQueries{
		// From the users, as createToken: a missing user inserts nothing.
		// A provider account linked already inserts nothing either; the
		// update that follows tells the two apart.
		insert: r(`INSERT INTO authkit_oauth_accounts (` + oauthColumns + `)
			SELECT ?, u.id, ?, ?, ?, ?, ?, ?, ?, ? FROM {users} u WHERE u.id = ?
			ON CONFLICT (provider, account_id) DO NOTHING`),
		// Only the owner's link changes: a provider account never moves
		// from one user to another here.
		update: r(`UPDATE authkit_oauth_accounts SET account_email = ?, access_token = ?, refresh_token = ?,
			expires_at = ?, updated_at = ? WHERE provider = ? AND account_id = ? AND user_id = ?`),
		owner:      r(`SELECT user_id FROM authkit_oauth_accounts WHERE provider = ? AND account_id = ?`),
		byProvider: r(`SELECT ` + oauthColumns + ` FROM authkit_oauth_accounts WHERE provider = ? AND account_id = ?`),
		ofUser: r(`SELECT ` + oauthColumns + ` FROM authkit_oauth_accounts WHERE user_id = ?
			ORDER BY created_at, provider, account_id`),
		delete:       r(`DELETE FROM authkit_oauth_accounts WHERE user_id = ? AND provider = ? AND account_id = ?`),
		deleteOfUser: r(`DELETE FROM authkit_oauth_accounts WHERE user_id = ?`),
		// The primary key decides: of concurrent inserts one gets the row,
		// and on PostgreSQL the others wait for it and insert nothing.
		useState:    r(`INSERT INTO authkit_oauth_states (state_key, expires_at) VALUES (?, ?) ON CONFLICT (state_key) DO NOTHING`),
		purgeStates: r(`DELETE FROM authkit_oauth_states WHERE expires_at < ?`),
	}
}

// oauthRow is a row of authkit_oauth_accounts as scanned.
type oauthRow struct {
	ID           uuid.UUID `db:"id"`
	UserID       uuid.UUID `db:"user_id"`
	Provider     string    `db:"provider"`
	AccountID    string    `db:"account_id"`
	AccountEmail string    `db:"account_email"`
	AccessToken  string    `db:"access_token"`
	RefreshToken string    `db:"refresh_token"`
	ExpiresAt    dbTime    `db:"expires_at"`
	CreatedAt    dbTime    `db:"created_at"`
	UpdatedAt    dbTime    `db:"updated_at"`
}

func (r *oauthRow) account() store.OAuthAccount {
	return store.OAuthAccount{
		ID:           r.ID,
		UserID:       r.UserID,
		Provider:     r.Provider,
		AccountID:    r.AccountID,
		AccountEmail: r.AccountEmail,
		AccessToken:  r.AccessToken,
		RefreshToken: r.RefreshToken,
		ExpiresAt:    r.ExpiresAt.Time,
		CreatedAt:    r.CreatedAt.Time,
		UpdatedAt:    r.UpdatedAt.Time,
	}
}

// UpsertOAuthAccount implements store.OAuthAccountStore.
func (s *Store) UpsertOAuthAccount(ctx context.Context, a store.OAuthAccount) (err error) {
	const op = "upsert oauth account"
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fault(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// The first statement writes, so that SQLite takes its write lock at once.
	res, err := tx.ExecContext(ctx, s.q.oauth.insert, a.ID, a.Provider, a.AccountID, a.AccountEmail,
		a.AccessToken, a.RefreshToken, s.nullTime(a.ExpiresAt), s.t(a.CreatedAt), s.t(a.UpdatedAt), a.UserID)
	if err != nil {
		return fault(op, err)
	}
	if err := mustHaveChanged(res, op, errNotInserted); errors.Is(err, errNotInserted) {
		// The user is gone, or the provider account is linked already:
		// to this user (update it) or to another (refuse).
		res, err := tx.ExecContext(ctx, s.q.oauth.update, a.AccountEmail, a.AccessToken, a.RefreshToken,
			s.nullTime(a.ExpiresAt), s.t(a.UpdatedAt), a.Provider, a.AccountID, a.UserID)
		if err != nil {
			return fault(op, err)
		}
		if err := mustHaveChanged(res, op, errNotInserted); errors.Is(err, errNotInserted) {
			var owner uuid.UUID
			switch err := tx.GetContext(ctx, &owner, s.q.oauth.owner, a.Provider, a.AccountID); {
			case errors.Is(err, sql.ErrNoRows):
				return store.ErrUserNotFound
			case err != nil:
				return fault(op, err)
			default:
				return store.ErrOAuthAccountTaken
			}
		} else if err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else if _, err := tx.ExecContext(ctx, s.q.bumpVersion, a.UserID); err != nil {
		// A new link is a new way into the account: a new security version.
		return fault(op, err)
	}
	if err := tx.Commit(); err != nil {
		return fault(op, err)
	}
	return nil
}

// errNotInserted marks a statement that changed no row, inside this file.
var errNotInserted = errors.New("no row changed")

// OAuthAccountByProvider implements store.OAuthAccountStore.
func (s *Store) OAuthAccountByProvider(ctx context.Context, provider, accountID string) (store.OAuthAccount, error) {
	var r oauthRow
	switch err := s.db.GetContext(ctx, &r, s.q.oauth.byProvider, provider, accountID); {
	case errors.Is(err, sql.ErrNoRows):
		return store.OAuthAccount{}, store.ErrOAuthAccountNotFound
	case err != nil:
		return store.OAuthAccount{}, fault("oauth account by provider", err)
	}
	return r.account(), nil
}

// OAuthAccountsOfUser implements store.OAuthAccountStore.
func (s *Store) OAuthAccountsOfUser(ctx context.Context, userID uuid.UUID) ([]store.OAuthAccount, error) {
	return selectRows(ctx, s, "oauth accounts of user", (*oauthRow).account, s.q.oauth.ofUser, userID)
}

// DeleteOAuthAccount implements store.OAuthAccountStore.
// A link removed increments the user's version, in the same transaction.
func (s *Store) DeleteOAuthAccount(ctx context.Context, userID uuid.UUID, provider, accountID string) error {
	const op = "delete oauth account"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.oauth.delete, userID, provider, accountID)
		if err != nil {
			return fault(op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fault(op, err)
		} else if n == 0 {
			return nil // no link: no new version
		}
		if _, err := tx.ExecContext(ctx, s.q.bumpVersion, userID); err != nil {
			return fault(op, err)
		}
		return nil
	})
}

// UseOAuthState implements store.OAuthStateStore.
func (s *Store) UseOAuthState(ctx context.Context, key string, expiresAt time.Time) error {
	const op = "use oauth state"
	res, err := s.db.ExecContext(ctx, s.q.oauth.useState, key, s.t(expiresAt))
	if err != nil {
		return fault(op, err)
	}
	return mustHaveChanged(res, op, store.ErrOAuthStateUsed)
}

// DeleteExpiredOAuthStates implements store.OAuthStateStore.
func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.oauth.purgeStates, s.t(t)); err != nil {
		return fault("delete expired oauth states", err)
	}
	return nil
}
