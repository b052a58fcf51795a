package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// refreshColumns lists the columns of authkit_refresh_tokens in the order
// of refreshRow. Unqualified, so that RETURNING takes them too.
const refreshColumns = `hash, family_id, user_id, access_token_id, created_at, family_created_at, used_at, user_agent, ip, successor`

// refreshQueries are the statements of store.RefreshTokenStore.
type refreshQueries struct {
	create, markUsed, insertNext, byHash, families string
	deleteFamily, deleteFamilies, deleteBefore     string
	lockUser, pruneUsed                            string
}

// rebindRefreshQueries writes the refresh token statements with r, which
// names the table of users and rebinds the placeholders.
func rebindRefreshQueries(r func(string) string) refreshQueries {
	return refreshQueries{
		// From the users, as createToken: a missing user inserts nothing.
		// Only while the user is at the version the login authenticated
		// against, as createToken.
		create: r(`INSERT INTO authkit_refresh_tokens (` + refreshColumns + `)
			SELECT ?, ?, u.id, ?, ?, ?, ?, ?, ?, '' FROM {users} u WHERE u.id = ? AND u.{version} = ?{share}`),
		// A rotation holds its user's row FOR SHARE (PostgreSQL) while it
		// runs, so that ending the user's sessions, which takes it FOR
		// UPDATE first, sees the token the rotation stores.
		lockUser: r(`SELECT u.id FROM {users} u JOIN authkit_refresh_tokens t ON t.user_id = u.id
			WHERE t.hash = ?{share}`),
		// The condition on used_at is what makes a rotation atomic: of two
		// racing rotations one changes the row, the other (on PostgreSQL
		// after waiting for the first to commit) changes none.
		markUsed: r(`UPDATE authkit_refresh_tokens SET used_at = ?, successor = ?
			WHERE hash = ? AND used_at IS NULL RETURNING ` + refreshColumns),
		// Copied from the used token's row, as stored: the next token
		// joins its family, user and login.
		insertNext: r(`INSERT INTO authkit_refresh_tokens (` + refreshColumns + `)
			SELECT ?, family_id, user_id, ?, ?, family_created_at, NULL, ?, ?, ''
			FROM authkit_refresh_tokens WHERE hash = ?`),
		// A family keeps its current token and the one it replaced, which
		// is what reuse detection and the reuse interval need: O(1) rows.
		pruneUsed: r(`DELETE FROM authkit_refresh_tokens WHERE family_id = ? AND used_at IS NOT NULL AND hash <> ?`),
		byHash:    r(`SELECT ` + refreshColumns + ` FROM authkit_refresh_tokens WHERE hash = ?`),
		// The family id breaks ties, so that the order is stable.
		families: r(`SELECT ` + refreshColumns + ` FROM authkit_refresh_tokens
			WHERE user_id = ? AND used_at IS NULL ORDER BY family_created_at DESC, family_id, created_at DESC`),
		// RETURNING (PostgreSQL, SQLite 3.35+) deletes and reads in one
		// statement: no token added between a read and the delete escapes.
		deleteFamily: r(`DELETE FROM authkit_refresh_tokens WHERE user_id = ? AND family_id = ?
			RETURNING ` + refreshColumns),
		// keep "" keeps none, even a family stored with the id "".
		deleteFamilies: r(`DELETE FROM authkit_refresh_tokens
			WHERE user_id = ? AND (family_id <> ? OR CAST(? AS TEXT) = '')
			RETURNING ` + refreshColumns),
		// Every token of a family has the family's login time, so whole
		// families go.
		deleteBefore: r(`DELETE FROM authkit_refresh_tokens WHERE family_created_at < ?`),
	}
}

// refreshRow is a row of authkit_refresh_tokens as scanned.
type refreshRow struct {
	Hash            string    `db:"hash"`
	FamilyID        string    `db:"family_id"`
	UserID          uuid.UUID `db:"user_id"`
	AccessTokenID   string    `db:"access_token_id"`
	CreatedAt       dbTime    `db:"created_at"`
	FamilyCreatedAt dbTime    `db:"family_created_at"`
	UsedAt          dbTime    `db:"used_at"`
	UserAgent       string    `db:"user_agent"`
	IP              string    `db:"ip"`
	Successor       string    `db:"successor"`
}

func (r *refreshRow) token() store.RefreshToken {
	return store.RefreshToken{
		Hash:            r.Hash,
		FamilyID:        r.FamilyID,
		UserID:          r.UserID,
		AccessTokenID:   r.AccessTokenID,
		CreatedAt:       r.CreatedAt.Time,
		FamilyCreatedAt: r.FamilyCreatedAt.Time,
		UsedAt:          r.UsedAt.Time,
		UserAgent:       r.UserAgent,
		IP:              r.IP,
		Successor:       r.Successor,
	}
}

// nullTime converts a time that may be unset: the zero time is NULL.
func (s *Store) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.t(t)
}

// CreateRefreshToken implements store.RefreshTokenStore.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	res, err := s.db.ExecContext(ctx, s.q.refresh.create,
		t.Hash, t.FamilyID, t.AccessTokenID, s.t(t.CreatedAt), s.t(t.FamilyCreatedAt),
		s.nullTime(t.UsedAt), t.UserAgent, t.IP, t.UserID, t.UserVersion)
	if err != nil || !changedRows(res) {
		err := insertOutcome(ctx, "create refresh token", err, errNotInserted, func(ctx context.Context) bool {
			var r refreshRow
			return s.get(ctx, &r, s.q.refresh.byHash, t.Hash) == nil && r.UserID == t.UserID && r.FamilyID == t.FamilyID
		})
		if errors.Is(err, errNotInserted) {
			return s.conflictOrGone(ctx, t.UserID)
		}
		return err
	}
	return nil
}

// RotateRefreshToken implements store.RefreshTokenStore. The next token
// joins the used token's family: its family, user and login time are
// taken from the used token's row, whatever next says.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next store.RefreshToken) (_ store.RefreshToken, err error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return store.RefreshToken{}, fault("rotate refresh token", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.d.RowLocks {
		// Before any write, in the order of the sessions' ending: user,
		// then tokens. An unknown token locks nothing, and is found so below.
		if _, err := tx.ExecContext(ctx, s.q.refresh.lockUser, hash); err != nil {
			return store.RefreshToken{}, fault("rotate refresh token", err)
		}
	}
	// Otherwise a write first, so that SQLite takes its write lock at once.
	var used refreshRow
	err = tx.GetContext(ctx, &used, s.q.refresh.markUsed, s.t(next.CreatedAt), next.Successor, hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Not current: used already, or unknown.
		if err := tx.GetContext(ctx, &used, s.q.refresh.byHash, hash); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.RefreshToken{}, store.ErrTokenNotFound
			}
			return store.RefreshToken{}, fault("rotate refresh token", err)
		}
		return used.token(), store.ErrTokenReused
	}
	if err != nil {
		return store.RefreshToken{}, fault("rotate refresh token", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.refresh.insertNext,
		next.Hash, next.AccessTokenID, s.t(next.CreatedAt), next.UserAgent, next.IP, hash); err != nil {
		return store.RefreshToken{}, fault("rotate refresh token", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.refresh.pruneUsed, used.FamilyID, hash); err != nil {
		return store.RefreshToken{}, fault("rotate refresh token", err)
	}
	if err := tx.Commit(); err != nil {
		return store.RefreshToken{}, fault("rotate refresh token", err)
	}
	return used.token(), nil
}

// RefreshToken implements store.RefreshTokenReader.
func (s *Store) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	var r refreshRow
	switch err := s.get(ctx, &r, s.q.refresh.byHash, hash); {
	case errors.Is(err, sql.ErrNoRows):
		return store.RefreshToken{}, store.ErrTokenNotFound
	case err != nil:
		return store.RefreshToken{}, fault("refresh token", err)
	}
	return r.token(), nil
}

// RefreshFamilies implements store.RefreshTokenStore. A family whose
// every token is used (a reuse the caller has not ended yet) has no
// current token and is not listed.
func (s *Store) RefreshFamilies(ctx context.Context, userID uuid.UUID) ([]store.RefreshToken, error) {
	return s.refreshTokens(ctx, s.db, "refresh families", s.q.refresh.families, false, userID)
}

// DeleteRefreshFamily implements store.RefreshTokenStore. The tokens come
// back newest login first, each family's oldest token first.
func (s *Store) DeleteRefreshFamily(ctx context.Context, userID uuid.UUID, familyID string) ([]store.RefreshToken, error) {
	return s.refreshTokens(ctx, s.db, "delete refresh family", s.q.refresh.deleteFamily, true, userID, familyID)
}

// DeleteUserRefreshFamilies implements store.RefreshTokenStore, returning
// the tokens in DeleteRefreshFamily's order.
// It locks the user's row first (PostgreSQL), so that a rotation running
// now either ends before the delete, which then takes its new token, or
// waits and finds its family gone.
func (s *Store) DeleteUserRefreshFamilies(ctx context.Context, userID uuid.UUID, keepFamilyID string) ([]store.RefreshToken, error) {
	const op = "delete user refresh families"
	if !s.d.RowLocks {
		return s.refreshTokens(ctx, s.db, op, s.q.refresh.deleteFamilies, true, userID, keepFamilyID, keepFamilyID)
	}
	var out []store.RefreshToken
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.lockUser, userID); err != nil {
			return fault(op, err)
		}
		var err error
		out, err = s.refreshTokens(ctx, tx, op, s.q.refresh.deleteFamilies, true, userID, keepFamilyID, keepFamilyID)
		return err
	})
	return out, err
}

// refreshTokens runs a query that yields refresh token rows. RETURNING
// gives them in no set order, so sorted puts them in a stable one.
func (s *Store) refreshTokens(ctx context.Context, q sqlx.QueryerContext, op, query string, sorted bool, args ...any) ([]store.RefreshToken, error) {
	var rows []refreshRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fault(op, err)
	}
	out := make([]store.RefreshToken, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	if sorted {
		slices.SortFunc(out, func(a, b store.RefreshToken) int {
			return cmp.Or(b.FamilyCreatedAt.Compare(a.FamilyCreatedAt), cmp.Compare(a.FamilyID, b.FamilyID),
				a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Hash, b.Hash))
		})
	}
	return out, nil
}

// DeleteRefreshTokensBefore implements store.RefreshTokenStore.
func (s *Store) DeleteRefreshTokensBefore(ctx context.Context, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.refresh.deleteBefore, s.t(t)); err != nil {
		return fault("delete refresh tokens before", err)
	}
	return nil
}
