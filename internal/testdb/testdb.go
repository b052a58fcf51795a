// Package testdb gives tests real, empty, throw-away databases: a SQLite
// file in the test's temporary directory, or a fresh schema in the
// PostgreSQL server named by AUTHKIT_TEST_POSTGRES.
//
// The handles are closed, and the schemas dropped, when the test ends.
// Nothing is migrated: tests call the store's Migrate.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers "postgres"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "AUTHKIT_TEST_POSTGRES"

// DefaultPostgres is the DSN used when EnvPostgres is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// MaxOpenConns caps each PostgreSQL handle: tests of many packages run at
// once against one server.
const MaxOpenConns = 4

// SQLite returns a database in a new file under t.TempDir, opened by
// sqlite.Open, closed when the test ends.
func SQLite(t testing.TB) *sqlx.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "authkit.db"))
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres returns a handle, through driver ("postgres" for lib/pq, "pgx"
// for pgx's stdlib), whose search_path is a new schema authkit_test_<random>
// that is dropped when the test ends. When the server cannot be reached
// the test is skipped, or fails when the environment has CI=true.
func Postgres(t testing.TB, driver string) *sqlx.DB {
	t.Helper()
	if driver != "postgres" && driver != "pgx" {
		t.Fatalf("testdb: unknown PostgreSQL driver %q (want \"postgres\" or \"pgx\")", driver)
	}
	dsn, schema := newSchema(t, driver)
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxOpenConns)
	// Registered after the schema's cleanup, so it runs before it: the
	// schema is dropped once no connection uses it.
	t.Cleanup(func() { db.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got string
	if err := db.GetContext(ctx, &got, "SELECT current_schema()"); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if got != schema {
		t.Fatalf("testdb: search_path not applied: current_schema() = %q, want %q", got, schema)
	}
	return db
}

// PostgresURL returns a DSN whose search_path is a new schema, dropped when
// the test ends: for code under test that opens its own connections (a
// service the test starts). Skip and CI rules as for Postgres.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn, _ := newSchema(t, "postgres")
	return dsn
}

// newSchema creates a fresh schema and returns a DSN that selects it. The
// schema is dropped when the test ends (after the cleanups registered later,
// which close the connections using it).
func newSchema(t testing.TB, driver string) (dsn, schema string) {
	t.Helper()
	dsn = os.Getenv(EnvPostgres)
	if dsn == "" {
		dsn = DefaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	admin, err := sqlx.Open(driver, dsn)
	if err == nil {
		err = admin.PingContext(ctx)
		if err != nil {
			admin.Close()
		}
	}
	if err != nil {
		msg := fmt.Sprintf("testdb: PostgreSQL unreachable at %s=%q: %v", EnvPostgres, redact(dsn), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!!!! SKIPPED, NOT TESTED: " + msg)
	}
	defer admin.Close()

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema = "authkit_test_" + hex.EncodeToString(b)
	// The name is ours, made of [a-z0-9_]: safe to splice; identifiers
	// cannot be parameters.
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		admin, err := sqlx.Open(driver, dsn)
		if err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(dsn, schema), schema
}

// withSearchPath adds search_path to a URL or keyword/value DSN. Both
// lib/pq and pgx send parameters they do not know to the server as
// run-time settings.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

// redact hides the password of a URL or keyword/value DSN.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return passwordKV.ReplaceAllString(dsn, "${1}xxxxx")
}

var passwordKV = regexp.MustCompile(`(password\s*=\s*)('[^']*'|\S+)`)
