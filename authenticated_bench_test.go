package authkit_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/floor"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"
)

// BenchmarkAuthenticated is GET /users/me as a service serves it —
// UsersRouter mounted on an http.ServeMux, the user as JSON, the request's
// context cancellable as a server's are — in process,
// beside internal/floor, the physical limit of the same answer (the
// token's SHA-256 joined to its user in one prepared statement, over a
// pgx pool or SQLite's WAL pool). Per store (sqlite; postgres through
// lib/pq, and as store/dbopen opens it — pgx's database/sql driver, users
// read natively; the floor is native pgx on both), the backends:
//
//   - cookie+database: the cookie transport and the database strategy;
//   - bearer+jwt: the JWT strategy (revocation checked in the user's query);
//   - bearer+redis: redistoken, users in the store.
//
// BENCHMARKS.md has the figures and how to read them with bench/ratio.
func BenchmarkAuthenticated(b *testing.B) {
	for _, s := range []struct{ name, driver string }{{"sqlite", ""}, {"postgres", "postgres"}, {"pgx", "pgx"}} {
		b.Run(s.name, func(b *testing.B) {
			st, db, fl := authenticatedStore(b, s.driver)
			// The floor answers a database token: the cookie kit's.
			cookie := newBenchKit(b, "cookie", st, db, benchCheapHasher(b))
			want := authenticatedBody(b, cookie)
			b.Run("floor", func(b *testing.B) {
				// On one ServeMux pattern, as bench/floor serves it.
				mux := http.NewServeMux()
				mux.Handle("GET /users/me", fl)
				serveJSON(b, mux, served(b, usersMe(benchRequest("cookie", cookie.token))), want)
			})
			for _, c := range []struct{ name, kind string }{
				{"cookie+database", "cookie"}, {"bearer+jwt", "jwt"}, {"bearer+redis", "redis"},
			} {
				b.Run(c.name, func(b *testing.B) {
					k := cookie
					if c.kind != "cookie" {
						k = newBenchKit(b, c.kind, st, db, benchCheapHasher(b))
					}
					mux := http.NewServeMux()
					authkit.Mount(mux, "/users", k.kit.UsersRouter())
					serveJSON(b, mux, served(b, usersMe(benchRequest(c.kind, k.token))), authenticatedBody(b, k))
				})
			}
		})
	}
}

// authenticatedStore opens a migrated store through driver ("" is SQLite)
// and the floor on the same database.
func authenticatedStore(b *testing.B, driver string) (benchStore, *sqlx.DB, http.Handler) {
	b.Helper()
	ctx := context.Background()
	if driver == "" {
		db := testdb.SQLite(b)
		st, err := sqlite.New(db)
		st2 := benchMigrated(b, st, err)
		fl, err := floor.NewSQLite(ctx, db.DB, strategy.DefaultLifetime)
		if err != nil {
			b.Fatal(err)
		}
		return st2, db, fl
	}
	dsn := testdb.PostgresURL(b)
	var (
		db  *sqlx.DB
		st2 benchStore
	)
	if driver == "pgx" {
		// As examples/notebooks opens it: pgx's database/sql driver, the
		// reads of users through its native connection.
		st, err := dbopen.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		db = st.DB()
		b.Cleanup(func() { db.Close() })
		st2 = benchMigrated(b, st, err)
	} else {
		var err error
		if db, err = sqlx.Open(driver, dsn); err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(testdb.MaxOpenConns)
		db.SetMaxIdleConns(testdb.MaxOpenConns)
		b.Cleanup(func() { db.Close() })
		st, err := postgres.New(db)
		st2 = benchMigrated(b, st, err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = testdb.MaxOpenConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return st2, db, floor.NewPostgres(pool, strategy.DefaultLifetime)
}

// usersMe is r addressed to /users/me, where the router is mounted.
func usersMe(r *http.Request) *http.Request {
	r.URL.Path, r.RequestURI = "/users/me", "/users/me"
	return r
}

// served gives r a context that can be cancelled, as net/http's server
// gives every request: database/sql and pgx then watch it, for the floor
// as for authkit, as they do under load (with context.Background they
// would not, and the benchmark would count a cost a server never has).
func served(b *testing.B, r *http.Request) *http.Request {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return r.WithContext(ctx)
}

// authenticatedBody is the JSON of k's user, as the contract serves it.
func authenticatedBody(b *testing.B, k *benchKit) []byte {
	b.Helper()
	body, err := k.user.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// serveJSON serves r to h b.N times, each into a fresh recorder, and
// checks the answer is want.
func serveJSON(b *testing.B, h http.Handler, r *http.Request, want []byte) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(rec.Body.Bytes()), want) {
			b.Fatalf("got %d %q, want 200 %q", rec.Code, rec.Body.String(), want)
		}
	}
}
