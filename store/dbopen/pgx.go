package dbopen

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/go-authkit/authkit/store/postgres"
	"github.com/jackc/pgx/v5"
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
