package testdb

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestSQLite(t *testing.T) {
	db := SQLite(t)
	var mode string
	if err := db.Get(&mode, "PRAGMA journal_mode"); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	// Each call is a new, empty database.
	var n int
	if err := SQLite(t).Get(&n, "SELECT count(*) FROM sqlite_master"); err != nil || n != 0 {
		t.Errorf("second database holds %d objects, %v", n, err)
	}
}

func TestPostgres(t *testing.T) {
	for _, driver := range []string{"postgres", "pgx"} {
		t.Run(driver, func(t *testing.T) {
			var schema string
			t.Run("use", func(t *testing.T) {
				db := Postgres(t, driver)
				if err := db.Get(&schema, "SELECT current_schema()"); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(schema, "authkit_test_") {
					t.Errorf("schema %q", schema)
				}
				if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
					t.Fatal(err)
				}
			})
			// The schema is gone once the test is over.
			db := Postgres(t, driver)
			var n int
			if err := db.Get(&n, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema); err != nil || n != 0 {
				t.Errorf("schema %q still there (%d, %v)", schema, n, err)
			}
		})
	}
}

// TestPostgresKeywordDSN checks that search_path is applied to a
// keyword/value DSN too.
func TestPostgresKeywordDSN(t *testing.T) {
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		dsn = DefaultPostgres
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "postgres" {
		t.Skipf("%s is not a postgres:// URL", EnvPostgres)
	}
	kv := fmt.Sprintf("host=%s port=%s user=%s dbname=%s", u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	if p, ok := u.User.Password(); ok {
		kv += " password=" + p
	}
	for k, v := range u.Query() {
		kv += " " + k + "=" + v[0]
	}
	t.Setenv(EnvPostgres, kv)
	for _, driver := range []string{"postgres", "pgx"} {
		Postgres(t, driver) // fails unless current_schema() is the new schema
	}
}

func TestWithSearchPath(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable": "postgres://u@h:5432/db?search_path=s&sslmode=disable",
		"postgresql://h/db":                      "postgresql://h/db?search_path=s",
		"host=h dbname=db ":                      "host=h dbname=db search_path=s",
	} {
		if got := withSearchPath(in, "s"); got != want {
			t.Errorf("withSearchPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h/db":           "postgres://u:xxxxx@h/db",
		"host=h password=secret user=u":      "host=h password=xxxxx user=u",
		"host=h password = 'sec ret' user=u": "host=h password = xxxxx user=u",
	} {
		if got := redact(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// recorder stands for the test in TestPostgresUnreachable, to see whether
// Postgres skips or fails.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestPostgresUnreachable(t *testing.T) {
	t.Setenv(EnvPostgres, "postgres://postgres:hunter2@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	run := func() *recorder {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Postgres(r, "pgx")
		}()
		<-done
		return r
	}

	t.Setenv("CI", "")
	r := run()
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
	if strings.Contains(r.skipped, "hunter2") {
		t.Errorf("the message shows the password: %s", r.skipped)
	}

	t.Setenv("CI", "true")
	r = run()
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with CI=true: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}
