package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/store/storetest"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

func newStore(t testing.TB, db *sqlx.DB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.New(db)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return newStore(t, testdb.SQLite(t))
	})
}

func TestNewNil(t *testing.T) {
	if _, err := sqlite.New(nil); err == nil {
		t.Error("New(nil): no error")
	}
}

func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	// Characters that a DSN could mistake for its own syntax.
	dir := filepath.Join(t.TempDir(), "dir with space?#%")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth?.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	newStore(t, db)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the given path: %v", err)
	}

	// Pragmas are per connection: check several connections at once.
	conns := make([]*sqlx.Conn, 3)
	for i := range conns {
		c, err := db.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for _, c := range conns {
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"foreign_keys": "1",
			"busy_timeout": "5000",
			"synchronous":  "1", // NORMAL
		} {
			var got string
			if err := c.GetContext(ctx, &got, "PRAGMA "+pragma); err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlite.Open(ctx, ""); err == nil {
		t.Error("Open(\"\"): no error")
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "missing", "dir", "x.db")); err == nil {
		t.Error("Open in a missing directory: no error")
	}
}

func versions(t *testing.T, db *sqlx.DB) []int {
	t.Helper()
	var v []int
	if err := db.Select(&v, "SELECT version FROM authkit_migrations ORDER BY version"); err != nil {
		t.Fatalf("read versions: %v", err)
	}
	return v
}

func TestMigrateIdempotent(t *testing.T) {
	db := testdb.SQLite(t)
	st := newStore(t, db)
	u := &store.User{ID: uuid.New(), Email: "a@b.c", HashedPassword: "h", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	if v := versions(t, db); !slices.Equal(v, allVersions) {
		t.Errorf("versions = %v, want %v", v, allVersions)
	}
	if _, err := st.UserByID(context.Background(), u.ID); err != nil {
		t.Errorf("user lost by Migrate: %v", err)
	}
}

// TestMigrateConcurrent migrates one file from several handles at once,
// as processes starting together would: those opened by Open, and some
// opened by hand with deferred transactions, which must queue too.
func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "auth.db")
		var dbs []*sqlx.DB
		for range 3 {
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs = append(dbs, db)
		}
		for range 3 {
			db, err := sqlx.Open("sqlite3", "file:"+filepath.ToSlash(path)+"?_busy_timeout=5000")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs = append(dbs, db)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(dbs)*2)
		for i := range errs {
			st, err := sqlite.New(dbs[i%len(dbs)])
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { errs[i] = st.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Migrate #%d: %v", round, i, err)
			}
		}
		if v := versions(t, dbs[0]); !slices.Equal(v, allVersions) {
			t.Errorf("round %d: versions = %v, want %v", round, v, allVersions)
		}
	}
}

// TestImportsNoPostgresDriver keeps importing this package from dragging in
// a PostgreSQL driver.
func TestImportsNoPostgresDriver(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/go-authkit/authkit/store/sqlite").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/lib/pq" || strings.HasPrefix(dep, "github.com/jackc/") {
			t.Errorf("store/sqlite depends on %s", dep)
		}
	}
}

// allVersions are the migrations a store of its own schema applies.
var allVersions = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11}
