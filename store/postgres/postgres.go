// Package postgres keeps authkit's users and tokens in PostgreSQL.
//
// It imports no driver: open the *sqlx.DB with the one the application
// already uses, lib/pq or pgx's database/sql driver.
//
//	import _ "github.com/jackc/pgx/v5/stdlib" // or _ "github.com/lib/pq" and "postgres"
//
//	db, err := sqlx.Open("pgx", dsn)
//	...
//	st, err := postgres.New(db)
//	...
//	err = st.Migrate(ctx) // creates or upgrades the authkit_* tables
//
// With pgx's driver, the reads of users — one at every authenticated
// request — can skip its database/sql conversions (NativeReads):
//
//	st, err := postgres.New(db, postgres.NativeReads(dbopen.PgxReader(db.DB)))
//
// The tables are prefixed authkit_ so they can live beside the
// application's own, in the schema first on the connection's search_path.
// Times are TIMESTAMPTZ, written in UTC and truncated to microseconds.
//
// An application leaving FastAPI Users keeps its users where they are:
//
//	st, err := postgres.New(db, postgres.AdoptFastAPIUsers("user"))
//	...
//	err = st.Migrate(ctx) // adds authkit's columns to "user", creates its token tables
package postgres

import (
	"embed"
	"errors"
	"io/fs"
	"time"

	"github.com/go-authkit/authkit/store/internal/sqlstore"
	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql migrations/fastapiusers/*.sql
var migrations embed.FS

// Store is the PostgreSQL implementation of store.UserStore,
// store.UserLister, store.AccessTokenStore, store.RevocationStore,
// store.RefreshTokenStore and store.Migrator. It is safe for concurrent use.
//
// Its methods are those of the SQL shared by both databases (the embedded
// store), each documented by the interface it implements; DB returns the
// handle, for the application's own queries and for closing it, and
// Migrate is safe at every start-up and from several processes at once.
type Store struct {
	*sqlstore.Store
}

// New returns a Store over db, opened with lib/pq ("postgres") or pgx's
// stdlib driver ("pgx"). Call Migrate before use. With no option the
// users are kept in authkit_users; AdoptFastAPIUsers keeps them in a
// FastAPI Users table instead.
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
		Name:                   "postgres",
		BindType:               sqlx.DOLLAR,
		IsUniqueViolation:      isUniqueViolation,
		Time:                   func(t time.Time) any { return t },
		RowLocks:               true,
		Migrations:             sub,
		FastAPIUsersMigrations: adopt,
		SkipLocked:             " FOR UPDATE SKIP LOCKED",
		MigrationsLock: []string{
			// Held until the transaction ends. Keyed by schema, so that
			// stores in different schemas migrate independently. Taken
			// before CREATE TABLE IF NOT EXISTS, which is not safe to race.
			`SELECT pg_advisory_xact_lock(1635087979, hashtext(coalesce(current_schema(), '')))`,
			`CREATE TABLE IF NOT EXISTS authkit_migrations (
				version    INTEGER     NOT NULL PRIMARY KEY,
				applied_at TIMESTAMPTZ NOT NULL
			)`,
		},
	}, o.schema, o.timeout)
	if err != nil {
		return nil, err
	}
	if o.reader != nil {
		s.SetRowReader(o.reader)
	}
	return &Store{Store: s}, nil
}

// isUniqueViolation recognises SQLSTATE 23505 through the method that both
// lib/pq's and pgx's errors have, so that no driver is imported here.
func isUniqueViolation(err error) bool {
	var e interface{ SQLState() string }
	return errors.As(err, &e) && e.SQLState() == "23505"
}
