package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
)

// DefaultTimeout bounds each call of a Store when New is given 0.
const DefaultTimeout = 5 * time.Second

// timedDB is the store's database handle: every statement it runs gets a
// deadline, so that a database that stops answering — a frozen server, a
// connection the network lost without a reset — costs a request at most
// timeout, never a hang. The deadline is derived from the caller's
// context, so a request that ends (client gone) ends its statement too.
type timedDB struct {
	*sqlx.DB
	timeout time.Duration // 0: none
}

// within derives the context of one call: ctx, bounded by the timeout.
func (db timedDB) within(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, db.timeout)
}

// ExecContext runs query under the deadline.
func (db timedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, cancel := db.within(ctx)
	defer cancel()
	return db.DB.ExecContext(ctx, query, args...)
}

// SelectContext runs query under the deadline.
func (db timedDB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := db.within(ctx)
	defer cancel()
	return db.DB.SelectContext(ctx, dest, query, args...)
}

// GetContext runs query under the deadline.
func (db timedDB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := db.within(ctx)
	defer cancel()
	return db.DB.GetContext(ctx, dest, query, args...)
}

// deadline bounds a call made of several statements (a transaction) as
// a whole.
func (s *Store) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.db.within(ctx)
}
