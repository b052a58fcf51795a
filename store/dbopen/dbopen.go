// Package dbopen opens the store a database URL names — "sqlite:PATH" or a
// "postgres://" URL — for commands and services that take the database as a
// flag. It links both drivers; a library user who knows its database
// imports store/sqlite or store/postgres alone instead.
//
// PostgreSQL is reached through pgx's database/sql driver (the reads of
// users through its native connection underneath), set up so that
// the pool heals by itself from connections the network lost: a call
// past its deadline closes its socket (lib/pq leaves it waiting for an
// answer that never comes), idle connections are pinged before reuse, TCP
// keepalives find dead peers of idle sockets, and statement_timeout makes
// the server give up on what the client gave up on.
package dbopen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/jmoiron/sqlx"
)

// postgresConns bounds a PostgreSQL pool and keeps it warm.
const postgresConns = 16

// ErrBadURL is returned for a URL that names no supported database.
var ErrBadURL = errors.New("dbopen: want sqlite:PATH or a postgres:// URL")

// Store is every store interface authkit has, plus the database handle (for
// an application's own tables) — what store/sqlite and store/postgres give.
type Store interface {
	store.UserStore
	store.UserLister
	store.AccessTokenStore
	store.RevocationStore
	store.RefreshTokenStore
	store.OAuthAccountStore
	store.MailOutbox
	store.Migrator
	DB() *sqlx.DB
}

// DefaultTimeout bounds each call of the store when no Timeout is given.
const DefaultTimeout = postgres.DefaultTimeout

// Option configures Open.
type Option func(*options)

type options struct{ timeout time.Duration }

// Timeout bounds each call of the store (see postgres.Timeout); 0 means
// the store's default. For PostgreSQL it is also the server's
// statement_timeout, unless the URL sets one.
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Open opens and pings the database rawURL names, and returns its store,
// not yet migrated. Close it with Store.DB().Close().
func Open(ctx context.Context, rawURL string, opts ...Option) (Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var (
		db  *sqlx.DB
		st  Store
		err error
	)
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(rawURL, "sqlite:")
		if path == "" {
			return nil, ErrBadURL
		}
		if db, err = sqlite.Open(ctx, path); err == nil {
			st, err = sqlite.New(db, sqlite.Timeout(o.timeout))
		}
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if db, err = openPostgres(rawURL, o.timeout); err == nil {
			// database/sql keeps 2 idle connections by default: under load
			// the rest are closed and reopened, a PostgreSQL fork each
			// (BENCHMARKS.md, fix 4).
			db.SetMaxOpenConns(postgresConns)
			db.SetMaxIdleConns(postgresConns)
			if err = ping(ctx, db, o.timeout); err == nil {
				st, err = postgres.New(db, postgres.Timeout(o.timeout), postgres.NativeReads(PgxReader(db.DB)))
			}
		}
	default:
		return nil, fmt.Errorf("%w, not %q", ErrBadURL, redact(rawURL))
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("dbopen: %s: %w", redact(rawURL), err)
	}
	return st, nil
}

// redact hides a password in a URL, for error messages.
func redact(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return raw[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
	}
	return raw
}
