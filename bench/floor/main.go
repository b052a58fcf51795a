// Command floor is the baseline bench/load compares examples/notebooks
// with: internal/floor's handler — the physical limit of GET /users/me for
// a database token — served on the same database as the example, with the
// same pool size.
//
//   - A token in the "authkit" cookie (or a bearer header) is hashed
//     (SHA-256) and joined to its user in one prepared statement: over a
//     warm pgx pool on PostgreSQL, over sqlite.Open's WAL pool on SQLite.
//
//   - The answer is the user as JSON, as authkit serves it.
//
//   - The HTTP server is configured as the example's, timeouts included.
//
//     go run ./bench/floor -db sqlite:notebooks.db -addr 127.0.0.1:8001
//
// -debug-addr serves expvar (/debug/vars: memstats.Mallocs counts the
// allocations) and net/http/pprof, as the example's flag of that name.
package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-authkit/authkit/internal/floor"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// postgresConns is store/dbopen's pool size, which the example uses.
const postgresConns = 16

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8001", "address to listen on")
	dbURL := fs.String("db", "sqlite:notebooks.db", "database: sqlite:PATH or a postgres:// URL")
	maxConns := fs.Int("max-conns", postgresConns, "PostgreSQL pool size (`N` connections, kept open)")
	debugAddr := fs.String("debug-addr", "", "serve /debug/vars and /debug/pprof/ on this loopback `address`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *maxConns < 1 {
		return errors.New("-max-conns must be at least 1")
	}
	h, closeDB, err := open(ctx, *dbURL, int32(*maxConns))
	if err != nil {
		return err
	}
	defer closeDB()
	mux := http.NewServeMux()
	mux.Handle("GET /users/me", h)
	if *debugAddr != "" {
		dln, err := listenDebug(*debugAddr)
		if err != nil {
			return err
		}
		defer dln.Close()
		fmt.Fprintf(stdout, "debug listening on http://%s\n", dln.Addr())
		go http.Serve(dln, debugMux())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// examples/notebooks' server, timeouts and all (each request re-arms
	// the connection's read and write deadlines): the two servers differ
	// by their handlers alone.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "floor listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// open returns the floor on the database dbURL names, and what closes it.
func open(ctx context.Context, dbURL string, conns int32) (http.Handler, func(), error) {
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		h, err := floor.NewSQLite(ctx, db.DB, strategy.DefaultLifetime)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return h, func() { db.Close() }, nil
	}
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return nil, nil, errors.New("-db: want sqlite:PATH or a postgres:// URL")
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, nil, fmt.Errorf("-db: %w", err)
	}
	// Warm: every connection open from the start, never closed for idleness.
	cfg.MaxConns, cfg.MinConns, cfg.MaxConnIdleTime = conns, conns, time.Hour
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, nil, err
	}
	return floor.NewPostgres(pool, strategy.DefaultLifetime), pool.Close, nil
}

// listenDebug listens on addr, which must be a loopback address: profiles
// and memory statistics are for the developer's eyes only.
func listenDebug(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-debug-addr %q: want a loopback host:port", addr)
	}
	return net.Listen("tcp", addr)
}

// debugMux serves expvar and net/http/pprof.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	return mux
}
