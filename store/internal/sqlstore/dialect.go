// Package sqlstore is the SQL shared by authkit's SQLite and PostgreSQL
// stores. The driver packages (store/sqlite, store/postgres) only describe
// their Dialect, so that this package imports no driver and importing one
// store never drags in the other's driver.
//
// Queries are written once with ? placeholders and rebound for the
// dialect when the Store is made, with the table of users they name:
// authkit's own authkit_users, or a FastAPI Users table that the store
// adopts (see Schema).
//
// Times: every time is kept in UTC, truncated to microseconds, in Go. The
// dialect decides the column type (SQLite: INTEGER Unix microseconds;
// PostgreSQL: TIMESTAMPTZ, which has microsecond precision), so that SQL
// comparisons are exact and agree on both databases.
package sqlstore

import (
	"io/fs"
	"time"
)

// Dialect is what differs between two SQL databases.
type Dialect struct {
	// Name names the dialect in errors ("sqlite", "postgres").
	Name string
	// BindType is the placeholder style (sqlx.QUESTION, sqlx.DOLLAR). It is
	// fixed by the dialect rather than guessed from the driver's name, so a
	// driver registered under another name still works.
	BindType int
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation func(error) bool
	// Time turns a UTC time truncated to microseconds into the value stored
	// in a time column.
	Time func(time.Time) any
	// RowLocks: the database locks rows (SELECT ... FOR SHARE / FOR
	// UPDATE), as PostgreSQL does; without them (SQLite) every write
	// transaction holds the database's one write lock instead.
	RowLocks bool
	// ReadsWaitForNoOne: a read of one row can only be held up by a lock
	// the database's own busy timeout already bounds — SQLite in WAL mode,
	// in process, whose readers never wait for a writer. The reads of
	// users (read) then run with the caller's context's values alone,
	// neither under a timer of their own at every request nor under its
	// cancellation; everything else keeps the store's timeout.
	ReadsWaitForNoOne bool

	// Migrations holds the versioned migrations of authkit's own schema,
	// files named NNNN_description.sql at its root, applied in the order
	// of NNNN, which stays at or below 1000.
	Migrations fs.FS
	// FastAPIUsersMigrations holds the migrations that adopt a FastAPI
	// Users table of users (Schema.FastAPIUsers), versions above 1000, in
	// which {users} stands for the quoted table name. The first of them
	// adds the columns authkit_email_canonical, authkit_created_at and
	// authkit_updated_at (nullable) and creates authkit's token tables;
	// the store then fills the canonical emails and makes them unique.
	// Every later change to the token tables is made in both sets. Nil
	// when the dialect cannot adopt.
	FastAPIUsersMigrations fs.FS
	// SkipLocked ends the selection of the mails a worker claims: " FOR
	// UPDATE SKIP LOCKED" where the database has it, so that two workers
	// claiming at once take different mails instead of one waiting; ""
	// where writes are serialised anyway (SQLite).
	SkipLocked string
	// MigrationsSetup runs before the migration transaction, each statement
	// in its own implicit transaction; it must be idempotent.
	MigrationsSetup []string
	// MigrationsLock runs first inside the migration transaction. When it
	// returns, authkit_migrations exists and no other migrator can go past
	// this point until the transaction ends.
	MigrationsLock []string
}

// utcMicro is the one form in which authkit keeps times.
func utcMicro(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
