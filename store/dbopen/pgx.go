package dbopen

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
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

// timeDest is the store's destination of a time (sqlstore's dbTime).
type timeDest interface{ SetTime(t time.Time, valid bool) }

// pgxScratch holds the arguments of one read: pooled, so that passing them
// to pgx costs no slice, and its ids and times are passed as pointers to
// pgx's own types, which it encodes without boxing a copy.
type pgxScratch struct {
	argv  [8]any
	ids   [4]pgtype.UUID
	times [4]pgtype.Timestamptz
}

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
		defer clear(s.argv[:])
		rows, err := pc.Conn().Query(ctx, query, s.args(args)...)
		if err != nil {
			return err
		}
		return scanRow(rows, dest)
	})
}

// args are args with each uuid.UUID and time.Time as pgx's own: as a
// driver.Valuer a uuid is encoded as text, after a failed attempt that
// builds an error (~18 allocations).
func (s *pgxScratch) args(args []any) []any {
	if len(args) > len(s.argv) {
		return args
	}
	a := s.argv[:len(args)]
	ni, nt := 0, 0
	for i, v := range args {
		switch x := v.(type) {
		case uuid.UUID:
			if ni < len(s.ids) {
				s.ids[ni] = pgtype.UUID{Bytes: x, Valid: true}
				v = &s.ids[ni]
				ni++
			} else {
				v = pgtype.UUID{Bytes: x, Valid: true}
			}
		case time.Time:
			if nt < len(s.times) {
				s.times[nt] = pgtype.Timestamptz{Time: x, Valid: true}
				v = &s.times[nt]
				nt++
			}
		}
		a[i] = v
	}
	return a
}

// scanRow scans the first row of rows into dest, as pgx.Row's Scan does
// (pgx.ErrNoRows for none), decoding the binary values of the store's own
// columns by itself: pgx would plan a scan per column and row (a
// timestamptz's plan is an allocation, the plans' slices two more). Any
// other column, format or destination goes to pgx's type map, as before.
func scanRow(rows pgx.Rows, dest []any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	fields, values := rows.FieldDescriptions(), rows.RawValues()
	if len(fields) != len(dest) || len(values) != len(dest) {
		return fmt.Errorf("dbopen: %d columns for %d destinations", len(fields), len(dest))
	}
	for i, d := range dest {
		f := fields[i]
		if _, id := d.(*uuid.UUID); id && values[i] == nil {
			// uuid.UUID's own Scan would take NULL for the zero id.
			return fmt.Errorf("dbopen: column %s: a NULL id", f.Name)
		}
		if f.Format == pgx.BinaryFormatCode && decodeBinary(f.DataTypeOID, values[i], d) {
			continue
		}
		if err := rows.Conn().TypeMap().Scan(f.DataTypeOID, f.Format, values[i], d); err != nil {
			return fmt.Errorf("dbopen: column %s: %w", f.Name, err)
		}
	}
	rows.Close()
	return rows.Err()
}

// unixY2K is PostgreSQL's epoch (2000-01-01 UTC) in Unix seconds.
const unixY2K = 946684800

// The years 1 to 9999, in PostgreSQL's microseconds since its epoch: the
// times decodeBinary decodes by itself.
var (
	microsYear1     = (time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - unixY2K) * 1e6
	microsYear10000 = (time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - unixY2K) * 1e6
)

// decodeBinary decodes src, a value of type oid in PostgreSQL's binary
// format, into dst, and reports whether it did: only the types and
// destinations of the store's reads, values of the exact length, no NULL
// but a time's (valid false), each as pgx decodes it. Everything else is
// left to pgx.
func decodeBinary(oid uint32, src []byte, dst any) bool {
	switch d := dst.(type) {
	case *string:
		if src == nil || (oid != pgtype.TextOID && oid != pgtype.VarcharOID) {
			return false
		}
		*d = string(src)
	case *bool:
		if oid != pgtype.BoolOID || len(src) != 1 || src[0] > 1 {
			return false
		}
		*d = src[0] == 1
	case *int64:
		switch {
		case oid == pgtype.Int8OID && len(src) == 8:
			*d = int64(binary.BigEndian.Uint64(src))
		case oid == pgtype.Int4OID && len(src) == 4:
			*d = int64(int32(binary.BigEndian.Uint32(src)))
		default:
			return false
		}
	case *uuid.UUID:
		if oid != pgtype.UUIDOID || len(src) != len(d) {
			return false
		}
		copy(d[:], src)
	case timeDest:
		if oid != pgtype.TimestamptzOID {
			return false
		}
		if src == nil {
			d.SetTime(time.Time{}, false)
			return true
		}
		if len(src) != 8 {
			return false
		}
		us := int64(binary.BigEndian.Uint64(src))
		switch {
		case us == math.MaxInt64 || us == math.MinInt64:
			// ±infinity, which no store writes: the zero time, as
			// pgtype.Timestamptz's Time for it.
			d.SetTime(time.Time{}, true)
		case us < microsYear1 || us >= microsYear10000:
			return false // pgx knows PostgreSQL's range
		default:
			d.SetTime(time.Unix(unixY2K+us/1e6, us%1e6*1e3), true)
		}
	case sql.Scanner:
		// A NULL, as pgx passes it (own fields read as NULL when
		// there are none); a value goes through pgx's conversions.
		return src == nil && d.Scan(nil) == nil
	default:
		return false
	}
	return true
}
