// Package floor is the yardstick of authkit's benchmarks: a hand-written
// handler that answers GET /users/me for a database token (the database
// strategy's, in the "authkit" cookie or a bearer header) with the least
// work a real service can do — the physical limit authkit is measured
// against (BENCHMARKS.md).
//
// It hashes the token (SHA-256, as a strategy must: only hashes are
// stored), joins the hash to its user in one prepared statement, checks
// the token's lifetime and that the user is active, and writes the user as
// JSON with encoding/json. On PostgreSQL the statement runs over a warm
// pgx pool (pgx prepares it once per connection); on SQLite over a
// database/sql pool of WAL connections, prepared once.
//
// It is used by bench/floor (beside examples/notebooks under bench/load)
// and by the root package's BenchmarkAuthenticated.
package floor

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CookieName is the database strategy's cookie in examples/notebooks.
const CookieName = "authkit"

// user is the answer: the contract's user (no own fields: the benchmarks'
// users have none).
type user struct {
	ID          uuid.UUID `json:"id"`
	Email       string    `json:"email"`
	IsActive    bool      `json:"is_active"`
	IsSuperuser bool      `json:"is_superuser"`
	IsVerified  bool      `json:"is_verified"`
}

// lookup fills u and the token's creation time from the token's hash;
// errNotFound when there is no such token.
type lookup func(ctx context.Context, hash string, u *user, created *time.Time) error

var errNotFound = errors.New("floor: no such token")

// Handler answers GET /users/me.
type Handler struct {
	lookup   lookup
	lifetime time.Duration
}

// join selects the user of a token and its creation time in one statement.
// SQLite gets (SELECT ?): a bare parameter beside a join makes it re-plan
// at every execution (BENCHMARKS.md, fix 2); PostgreSQL plans both forms
// the same.
const join = `SELECT u.id, u.email, u.is_active, u.is_superuser, u.is_verified, t.created_at
	FROM authkit_access_tokens t JOIN authkit_users u ON u.id = t.user_id WHERE t.hash = `

// NewPostgres returns the floor over a pgx pool on authkit's PostgreSQL
// schema; lifetime is the tokens' (the database strategy's).
func NewPostgres(pool *pgxpool.Pool, lifetime time.Duration) *Handler {
	q := join + "$1"
	return &Handler{lifetime: lifetime, lookup: func(ctx context.Context, hash string, u *user, created *time.Time) error {
		err := pool.QueryRow(ctx, q, hash).Scan(&u.ID, &u.Email, &u.IsActive, &u.IsSuperuser, &u.IsVerified, created)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		return err
	}}
}

// NewSQLite returns the floor over db, opened by sqlite.Open, on authkit's
// SQLite schema (times in Unix microseconds). Close the statement with
// db's Close.
func NewSQLite(ctx context.Context, db *sql.DB, lifetime time.Duration) (*Handler, error) {
	st, err := db.PrepareContext(ctx, join+"(SELECT ?)")
	if err != nil {
		return nil, err
	}
	return &Handler{lifetime: lifetime, lookup: func(ctx context.Context, hash string, u *user, created *time.Time) error {
		var us int64
		err := st.QueryRowContext(ctx, hash).Scan(&u.ID, &u.Email, &u.IsActive, &u.IsSuperuser, &u.IsVerified, &us)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		*created = time.UnixMicro(us)
		return err
	}}, nil
}

// ServeHTTP answers 200 and the user, 401 for no, an unknown or an expired
// token or an inactive user, 503 for a database failure.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		if c, err := r.Cookie(CookieName); err == nil {
			tok = c.Value
		}
	}
	if tok == "" {
		unauthorized(w)
		return
	}
	sum := sha256.Sum256([]byte(tok))
	var (
		u       user
		created time.Time
	)
	err := h.lookup(r.Context(), hex.EncodeToString(sum[:]), &u, &created)
	switch {
	case errors.Is(err, errNotFound):
		unauthorized(w)
		return
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case time.Since(created) >= h.lifetime || !u.IsActive:
		unauthorized(w)
		return
	}
	body, _ := json.Marshal(&u)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"detail":"Unauthorized"}`)
}
