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
