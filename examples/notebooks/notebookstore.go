package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// notebook is one note of one user. Its JSON form is the API's.
type notebook struct {
	ID        uuid.UUID `json:"id"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	OwnerID   uuid.UUID `json:"owner_id"`
	CreatedAt time.Time `json:"created_at"` // UTC, microseconds
	UpdatedAt time.Time `json:"updated_at"`
}

// errNotebookNotFound: no such notebook, or not the caller's.
var errNotebookNotFound = errors.New("notebook not found")

// dialect is what differs between SQLite and PostgreSQL: the schema and
// how times are stored (SQLite: INTEGER Unix microseconds, as authkit's own
// tables; PostgreSQL: TIMESTAMPTZ).
type dialect struct {
	schema []string // idempotent statements
	lock   string   // serialises concurrent migrations; "" when the transaction does
	toDB   func(time.Time) any
}

var dialects = map[string]dialect{
	"sqlite3": {
		schema: []string{`CREATE TABLE IF NOT EXISTS notebooks (
    id         TEXT    NOT NULL PRIMARY KEY,
    owner_id   TEXT    NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT`,
			`CREATE INDEX IF NOT EXISTS notebooks_owner_id_created_at_idx ON notebooks (owner_id, created_at)`,
			`CREATE INDEX IF NOT EXISTS notebooks_created_at_idx ON notebooks (created_at)`,
		},
		// sqlite.Open makes every transaction BEGIN IMMEDIATE: one writer at a time.
		toDB: func(t time.Time) any { return t.UnixMicro() },
	},
	"postgres": {
		schema: []string{`CREATE TABLE IF NOT EXISTS notebooks (
    id         UUID        NOT NULL PRIMARY KEY,
    owner_id   UUID        NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    title      TEXT        NOT NULL,
    content    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX IF NOT EXISTS notebooks_owner_id_created_at_idx ON notebooks (owner_id, created_at)`,
			`CREATE INDEX IF NOT EXISTS notebooks_created_at_idx ON notebooks (created_at)`,
		},
		// Two instances starting at once would race on CREATE ... IF NOT EXISTS.
		lock: `SELECT pg_advisory_xact_lock(7306916231405370226)`,
		toDB: func(t time.Time) any { return t },
	},
}

// notebookStore keeps notebooks in the users' database. Every query but
// the superuser's listing is scoped to an owner.
type notebookStore struct {
	db *sqlx.DB
	d  dialect
}

func newNotebookStore(db *sqlx.DB) (*notebookStore, error) {
	name := db.DriverName()
	if name == "pgx" { // store/dbopen's PostgreSQL driver
		name = "postgres"
	}
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("notebooks: unsupported database driver %q", db.DriverName())
	}
	return &notebookStore{db: db, d: d}, nil
}

// Migrate creates the notebooks table if it is missing. authkit's tables
// must exist first (the owner references authkit_users).
func (s *notebookStore) Migrate(ctx context.Context) (err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("notebooks: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmts := s.d.schema
	if s.d.lock != "" {
		stmts = append([]string{s.d.lock}, stmts...)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("notebooks: migrate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("notebooks: migrate: %w", err)
	}
	return nil
}

const notebookColumns = `id, owner_id, title, content, created_at, updated_at`

// now is the stored precision of times: UTC microseconds, the same on
// both databases.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// scanNotebook reads one row of notebookColumns.
func scanNotebook(row interface{ Scan(...any) error }) (*notebook, error) {
	var (
		n                notebook
		created, updated any
	)
	if err := row.Scan(&n.ID, &n.OwnerID, &n.Title, &n.Content, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if n.CreatedAt, err = fromDB(created); err != nil {
		return nil, err
	}
	if n.UpdatedAt, err = fromDB(updated); err != nil {
		return nil, err
	}
	return &n, nil
}

// fromDB reads a stored time: Unix microseconds (SQLite) or a timestamp.
func fromDB(v any) (time.Time, error) {
	switch v := v.(type) {
	case int64:
		return time.UnixMicro(v).UTC(), nil
	case time.Time:
		return v.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("notebooks: unexpected time value of type %T", v)
}

// Create stores a new notebook of owner.
func (s *notebookStore) Create(ctx context.Context, owner uuid.UUID, title, content string) (*notebook, error) {
	t := now()
	n := &notebook{ID: uuid.New(), OwnerID: owner, Title: title, Content: content, CreatedAt: t, UpdatedAt: t}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO notebooks (`+notebookColumns+`) VALUES (?, ?, ?, ?, ?, ?)`),
		n.ID, n.OwnerID, n.Title, n.Content, s.d.toDB(t), s.d.toDB(t))
	if err != nil {
		return nil, fmt.Errorf("notebooks: create: %w", err)
	}
	return n, nil
}

// List returns owner's notebooks, or everyone's when all is set, newest first.
func (s *notebookStore) List(ctx context.Context, owner uuid.UUID, all bool) ([]*notebook, error) {
	q, args := `SELECT `+notebookColumns+` FROM notebooks WHERE owner_id = ?`, []any{owner}
	if all {
		q, args = `SELECT `+notebookColumns+` FROM notebooks`, nil
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q+` ORDER BY created_at DESC, id DESC`), args...)
	if err != nil {
		return nil, fmt.Errorf("notebooks: list: %w", err)
	}
	defer rows.Close()
	list := []*notebook{} // [] in JSON, never null
	for rows.Next() {
		n, err := scanNotebook(rows)
		if err != nil {
			return nil, fmt.Errorf("notebooks: list: %w", err)
		}
		list = append(list, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notebooks: list: %w", err)
	}
	return list, nil
}

// Get returns owner's notebook id, or errNotebookNotFound.
func (s *notebookStore) Get(ctx context.Context, owner, id uuid.UUID) (*notebook, error) {
	row := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+notebookColumns+` FROM notebooks WHERE id = ? AND owner_id = ?`), id, owner)
	return s.one("get", row)
}

// Update changes the title and content of owner's notebook id, each when
// not nil, or returns errNotebookNotFound.
func (s *notebookStore) Update(ctx context.Context, owner, id uuid.UUID, title, content *string) (*notebook, error) {
	if title == nil && content == nil {
		return s.Get(ctx, owner, id)
	}
	row := s.db.QueryRowContext(ctx, s.db.Rebind(`UPDATE notebooks
SET title = COALESCE(?, title), content = COALESCE(?, content), updated_at = ?
WHERE id = ? AND owner_id = ?
RETURNING `+notebookColumns), title, content, s.d.toDB(now()), id, owner)
	return s.one("update", row)
}

// Delete deletes owner's notebook id, or returns errNotebookNotFound.
func (s *notebookStore) Delete(ctx context.Context, owner, id uuid.UUID) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM notebooks WHERE id = ? AND owner_id = ?`), id, owner)
	if err != nil {
		return fmt.Errorf("notebooks: delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("notebooks: delete: %w", err)
	}
	if n == 0 {
		return errNotebookNotFound
	}
	return nil
}

func (s *notebookStore) one(op string, row *sql.Row) (*notebook, error) {
	n, err := scanNotebook(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotebookNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("notebooks: %s: %w", op, err)
	}
	return n, nil
}
