package dbopen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-authkit/authkit/store/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// keepAlive finds the dead peer of an idle socket within about 30 s; the
// store's deadlines take care of the sockets in use.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// openPostgres opens rawURL through pgx's database/sql driver. lib/pq is
// not used here because it cannot give up on a socket: when a call's
// context ends it sends PostgreSQL a cancel request and keeps waiting on
// the connection, so a frozen or blackholed server holds the caller and
// the pool's connection for as long as TCP takes to notice (minutes). pgx
// closes the socket at the deadline, and database/sql then replaces it.
func openPostgres(rawURL string, timeout time.Duration) (*sqlx.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = postgres.DefaultTimeout
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; !set && timeout > 0 {
		// The server stops working for a client that left.
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	}
	if cfg.ConnectTimeout == 0 && timeout > 0 {
		// The whole connection, start-up included: database/sql opens
		// some connections without a deadline of its own, and one stuck
		// in a handshake with a lost server would hold its pool slot
		// for good.
		cfg.ConnectTimeout = timeout
	}
	d := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAliveConfig: keepAlive}
	cfg.DialFunc = d.DialContext
	return sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx"), nil
}

// ping checks that the database answers, within the store's timeout.
func ping(ctx context.Context, db *sqlx.DB, timeout time.Duration) error {
	if timeout == 0 {
		timeout = postgres.DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return db.PingContext(ctx)
}

// PgxReader returns the postgres.RowReader that Open gives its PostgreSQL
// store: it reads rows through the *pgx.Conn under each of database/sql's
// connections — pgx's native protocol and types, without its database/sql
// driver's conversions of every value. db must be opened with pgx's
// database/sql driver ("pgx", or stdlib.OpenDB), as an application that
// opens its own pool does:
//
//	st, err := postgres.New(db, postgres.NativeReads(dbopen.PgxReader(db.DB)))
//
// database/sql keeps owning the connections, so the pool heals as before:
// a connection pgx closed (a deadline) is invalid and is not reused.
func PgxReader(db *sql.DB) postgres.RowReader { return pgxReads{db} }

type pgxReads struct{ db *sql.DB }

// The store's destinations that pgx would scan through sql.Scanner (its
// times and ids: a value boxed and a plan made for each, ~20 allocations
// a read) are scanned into pgx's own types in a pooled scratch instead,
// and copied; its uuid arguments are passed the same way.
type (
	timeDest interface{ SetTime(t time.Time, valid bool) }

	pgxScratch struct {
		argv  [8]any
		dest  [24]any
		times [8]pgtype.Timestamptz
		ids   [4]pgtype.UUID
	}
)

var scratches = sync.Pool{New: func() any { return new(pgxScratch) }}

// ReadRow implements postgres.RowReader.
func (r pgxReads) ReadRow(ctx context.Context, query string, args []any, dest ...any) error {
	c, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("dbopen: a %T is not pgx's", dc)
		}
		s := scratches.Get().(*pgxScratch)
		defer scratches.Put(s)
		return s.scan(pc.Conn().QueryRow(ctx, query, s.args(args)...), dest)
	})
}

// args are args with each uuid.UUID as pgx's own: as a driver.Valuer it
// is encoded as text, after a failed attempt that builds an error (~18
// allocations).
func (s *pgxScratch) args(args []any) []any {
	if len(args) > len(s.argv) {
		return args
	}
	a := s.argv[:len(args)]
	for i, v := range args {
		if id, ok := v.(uuid.UUID); ok {
			v = pgtype.UUID{Bytes: id, Valid: true}
		}
		a[i] = v
	}
	return a
}

// scan scans row into dest, through pgx's types where they spare the
// conversions.
func (s *pgxScratch) scan(row pgx.Row, dest []any) error {
	defer clear(s.argv[:])
	if len(dest) > len(s.dest) {
		return row.Scan(dest...)
	}
	d := s.dest[:len(dest)]
	defer clear(d) // keeps none of the caller's pointers
	nt, nu := 0, 0
	for i, v := range dest {
		d[i] = v
		switch v.(type) {
		case timeDest:
			if nt < len(s.times) {
				d[i] = &s.times[nt]
				nt++
			}
		case *uuid.UUID:
			if nu < len(s.ids) {
				d[i] = &s.ids[nu]
				nu++
			}
		}
	}
	if err := row.Scan(d...); err != nil {
		return err
	}
	nt, nu = 0, 0
	for i, v := range dest {
		switch v := v.(type) {
		case timeDest:
			if nt < len(s.times) && d[i] == &s.times[nt] {
				v.SetTime(s.times[nt].Time, s.times[nt].Valid)
				nt++
			}
		case *uuid.UUID:
			if nu < len(s.ids) && d[i] == &s.ids[nu] {
				if !s.ids[nu].Valid {
					return errors.New("dbopen: a NULL id")
				}
				*v = s.ids[nu].Bytes
				nu++
			}
		}
	}
	return nil
}
