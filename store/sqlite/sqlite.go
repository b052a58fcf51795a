// Package sqlite keeps authkit's users and tokens in SQLite, through
// github.com/mattn/go-sqlite3 (cgo).
//
//	db, err := sqlite.Open(ctx, "app.db")
//	...
//	st, err := sqlite.New(db)
//	...
//	err = st.Migrate(ctx) // creates or upgrades the authkit_* tables
//
// The tables are prefixed authkit_ so they can live beside the
// application's own. Times are stored as INTEGER Unix microseconds (UTC),
// so comparisons in SQL are exact.
//
// An application leaving FastAPI Users keeps its users where they are:
//
//	st, err := sqlite.New(db, sqlite.AdoptFastAPIUsers("user"))
//	...
//	err = st.Migrate(ctx) // adds authkit's columns to "user", creates its token tables
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-authkit/authkit/store/internal/sqlstore"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql migrations/fastapiusers/*.sql
var migrations embed.FS

// BusyTimeout is how long a connection opened by Open waits for another
// writer to finish before it fails with "database is locked".
const BusyTimeout = 5 * time.Second

// Open opens (creating it if needed) the SQLite database file at path,
// with the settings an auth store needs under concurrency: WAL journal so
// readers never wait for the writer, foreign keys on, a busy timeout, and
// BEGIN IMMEDIATE for transactions, so that two write transactions queue
// instead of failing when both try to upgrade a read lock.
func Open(ctx context.Context, path string) (*sqlx.DB, error) {
	if path == "" {
		return nil, errors.New("authkit/store/sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("authkit/store/sqlite: open %q: %w", path, err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL") // durable enough with WAL, much faster
	// Reuse prepared statements per connection: preparing was 28% of an
	// authenticated request's CPU (BENCHMARKS.md).
	q.Set("_stmt_cache_size", "32")
	// A file: URI, so that a path holding '?' or '#' is escaped, not cut.
	dsn := (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()

	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("authkit/store/sqlite: open %q: %w", path, err)
	}
	var mode string
	if err := db.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		db.Close()
		return nil, fmt.Errorf("authkit/store/sqlite: open %q: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("authkit/store/sqlite: open %q: journal mode is %q, not WAL", path, mode)
	}
	return db, nil
}

// Store is the SQLite implementation of store.UserStore, store.UserLister,
// store.AccessTokenStore, store.RevocationStore, store.RefreshTokenStore
// and store.Migrator. It is safe for concurrent use.
//
// Its methods are those of the SQL shared by both databases (the embedded
// store), each documented by the interface it implements; DB returns the
// handle, for the application's own queries and for closing it, and
// Migrate is safe at every start-up and from several processes at once.
type Store struct {
	*sqlstore.Store
}

// New returns a Store over db, a database opened with the sqlite3 driver,
// preferably by Open. Call Migrate before use. With no option the users
// are kept in authkit_users; AdoptFastAPIUsers keeps them in a FastAPI
// Users table instead.
func New(db *sqlx.DB, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	adopt, err := fs.Sub(migrations, "migrations/fastapiusers")
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.New(db, sqlstore.Dialect{
		Name:              "sqlite",
		BindType:          sqlx.QUESTION,
		IsUniqueViolation: isUniqueViolation,
		Time:              func(t time.Time) any { return t.UnixMicro() },
		// WAL: a reader waits for no writer; for the rare lock (a WAL
		// being recovered) the busy timeout of Open bounds the wait.
		ReadsWaitForNoOne:      true,
		Migrations:             sub,
		FastAPIUsersMigrations: adopt,
		MigrationsSetup: []string{`CREATE TABLE IF NOT EXISTS authkit_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at INTEGER NOT NULL
		) STRICT`},
		// A write as the first statement takes the write lock at once, and
		// waits for it under the busy timeout, even when db was not opened
		// with _txlock=immediate. A read first would leave a transaction
		// that fails, not waits, when it later needs to write.
		MigrationsLock: []string{`DELETE FROM authkit_migrations WHERE version < 0`},
	}, o.schema, o.timeout)
	if err != nil {
		return nil, err
	}
	return &Store{Store: s}, nil
}

func isUniqueViolation(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) &&
		(e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}
