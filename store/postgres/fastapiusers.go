package postgres

import (
	"time"

	"github.com/go-authkit/authkit/store/internal/sqlstore"
)

// Option configures New.
type Option func(*options)

type options struct {
	schema  sqlstore.Schema
	timeout time.Duration
	reader  RowReader
}

// FastAPIUsersTable is the table of users of FastAPI Users' SQLAlchemy
// models, the one AdoptFastAPIUsers("") names.
const FastAPIUsersTable = sqlstore.FastAPIUsersTable

// AdoptFastAPIUsers makes the store keep its users in the existing table
// of a FastAPI Users application, named table ("" means "user"), as
// fastapi-users-db-sqlalchemy's SQLAlchemyBaseUserTableUUID made it: id
// (UUID), email, hashed_password, is_active, is_superuser,
// is_verified. Its argon2 (argon2-cffi, pwdlib) and bcrypt (passlib)
// hashes verify with authkit's default hasher and are rehashed on login.
//
// Migrate then, once and in one transaction:
//   - adds the nullable columns authkit_email_canonical,
//     authkit_created_at and authkit_updated_at (NULL for the existing
//     users, whose creation time is unknown), prefixed so that they cannot
//     clash with the application's own;
//   - fills authkit_email_canonical from email with store.CanonicalEmail
//     and makes it unique. When two existing users have the same canonical
//     email (FastAPI Users' index on email is case-sensitive) it fails with
//     an error wrapping store.ErrEmailTaken that names their ids, and
//     changes nothing;
//   - creates authkit's token tables beside the table;
//   - later migrations add authkit_fields (the application's own fields)
//     and authkit_version (the security stamp, store.User.Version), both
//     NOT NULL with defaults.
//
// FastAPI Users' accesstoken table is never read: it holds raw tokens,
// which authkit does not accept, so database-strategy sessions (and JWTs
// signed by FastAPI Users) end at the switch and users log in again. The
// other tables of the application, foreign keys to the users included,
// are left alone; its own columns on the table must be nullable or have
// defaults for authkit to insert users.
//
// FastAPI Users should not write to the table once it is adopted: the
// users it creates or whose email it changes have no (or a stale)
// canonical email, so authkit does not find them by email. Hashes authkit
// writes are argon2id PHC strings, which FastAPI Users (pwdlib) verifies,
// so switching back needs no password reset.
//
// A database holds either authkit's own schema or an adopted table:
// Migrate refuses to mix them.
func AdoptFastAPIUsers(table string) Option {
	return func(o *options) {
		o.schema = sqlstore.Schema{FastAPIUsers: true, Table: table}
	}
}

// DefaultTimeout bounds each call of the store unless Timeout says
// otherwise.
const DefaultTimeout = sqlstore.DefaultTimeout

// Timeout bounds each call of the store — each statement, or each
// transaction as a whole — on top of the caller's context: a database
// that stops answering then costs a call d, and the caller a fault it
// can answer (authkit's routes: 503 with Retry-After), never a hang. 0
// means DefaultTimeout; a negative d, no bound but the context's.
func Timeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// RowReader reads one row past a database/sql driver's conversions: it
// runs query with args and scans its row into dest, returning an error
// that matches sql.ErrNoRows under errors.Is when there is none.
// dbopen.PgxReader reads it through pgx's own connection under
// database/sql's pool, for a *sqlx.DB opened with pgx's driver.
type RowReader = sqlstore.RowReader

// NativeReads makes the store read users — at every authenticated
// request, the token's user — through r, which must reach the database of
// the *sqlx.DB given to New. Writes and transactions stay on the *sqlx.DB.
func NativeReads(r RowReader) Option {
	return func(o *options) { o.reader = r }
}
