package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
)

// prepared is a per-request read: its statement, and where each of its
// columns goes in the struct it is scanned into. sqlx's Get finds the
// columns and maps them to fields at every row, ~4 allocations a read
// (BENCHMARKS.md); the columns of a prepared statement never change, so
// the mapping is found once, with sqlx's mapper.
type prepared struct {
	stmt *sqlx.Stmt
	m    atomic.Pointer[mapping]
}

// mapping is the field (an index path) of each column in a struct type.
type mapping struct {
	typ    reflect.Type
	fields [][]int
}

// get scans the statement's one row into dest, as sqlx's Get does:
// sql.ErrNoRows when there is none, an error for a column without a field.
func (p *prepared) get(ctx context.Context, mapper *reflectx.Mapper, dest any, args ...any) error {
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("authkit/store: scan into %T, not a pointer to a struct", dest)
	}
	v := rv.Elem()
	rows, err := p.stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	m := p.m.Load()
	if m == nil || m.typ != v.Type() {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		m = &mapping{typ: v.Type(), fields: mapper.TraversalsByName(v.Type(), cols)}
		for i, f := range m.fields {
			if len(f) == 0 {
				return fmt.Errorf("authkit/store: missing destination name %s in %T", cols[i], dest)
			}
		}
		p.m.Store(m)
	}
	ptrs := make([]any, len(m.fields))
	for i, f := range m.fields {
		ptrs[i] = v.FieldByIndex(f).Addr().Interface()
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	return rows.Close()
}

// RowReader reads one row natively, past a database/sql driver's
// conversions: pgx's own protocol and types cost a per-request read about
// 26 allocations fewer than pgx's database/sql driver (BENCHMARKS.md).
// It runs query with args and scans the row into dest; its "no rows"
// error must match sql.ErrNoRows under errors.Is (pgx's does).
type RowReader interface {
	ReadRow(ctx context.Context, query string, args []any, dest ...any) error
}

// SetRowReader sends the reads of users (UserByID, UserByEmail,
// UserByAccessToken, UserForToken) to r, which must reach the database
// of the store's *sqlx.DB. Call it before the store is used.
func (s *Store) SetRowReader(r RowReader) { s.native = r }

// read runs a read of one row, under the store's deadline (but see
// Dialect.ReadsWaitForNoOne), through the native reader when there is one
// or else the query's prepared statement, and scans the row into dest,
// which lists the query's columns in order: no reflection, no mapping
// (the per-request reads).
func (s *Store) read(ctx context.Context, query string, args []any, dest ...any) error {
	if !s.d.ReadsWaitForNoOne {
		var cancel context.CancelFunc
		ctx, cancel = s.deadline(ctx)
		defer cancel()
	} else {
		// Nor under its cancellation, once begun: watching the context
		// costs database/sql a goroutine and go-sqlite3 an interrupt
		// hook, six allocations at each request, to end early a read of a
		// few microseconds that the busy timeout bounds anyway
		// (BENCHMARKS.md, fix 16). A context already ended still fails
		// the read; its values pass on.
		if err := ctx.Err(); err != nil {
			return err
		}
		ctx = context.WithoutCancel(ctx)
	}
	if s.native != nil {
		return s.native.ReadRow(ctx, query, args, dest...)
	}
	p, err := s.prepare(ctx, query)
	if err != nil {
		return err
	}
	return p.stmt.Stmt.QueryRowContext(ctx, args...).Scan(dest...)
}
