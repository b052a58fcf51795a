package postgres_test

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/storetest"
	"github.com/jmoiron/sqlx"
)

// drivers are the database/sql drivers New must work with.
var drivers = []string{"postgres", "pgx"}

func newStore(t *testing.T, db *sqlx.DB) *postgres.Store {
	t.Helper()
	st, err := postgres.New(db)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestConformance(t *testing.T) {
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) storetest.Store {
				return newStore(t, testdb.Postgres(t, driver))
			})
		})
	}
}

func TestNewNil(t *testing.T) {
	if _, err := postgres.New(nil); err == nil {
		t.Error("New(nil): no error")
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
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			db := testdb.Postgres(t, driver)
			st := newStore(t, db)
			for range 3 {
				if err := st.Migrate(context.Background()); err != nil {
					t.Fatalf("Migrate again: %v", err)
				}
			}
			if v := versions(t, db); !slices.Equal(v, allVersions) {
				t.Errorf("versions = %v, want %v", v, allVersions)
			}
		})
	}
}

// TestMigrateConcurrent migrates one empty schema from several sessions at
// once, as processes starting together would. Without the advisory lock
// the racing CREATE TABLEs fail.
func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			for round := range 3 {
				db := testdb.Postgres(t, driver)
				var wg sync.WaitGroup
				errs := make([]error, testdb.MaxOpenConns)
				for i := range errs {
					st, err := postgres.New(db)
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
				if v := versions(t, db); !slices.Equal(v, allVersions) {
					t.Errorf("round %d: versions = %v, want %v", round, v, allVersions)
				}
			}
		})
	}
}

// TestSchemasAreSeparate checks that two stores in two schemas of one
// database keep apart: the tables live in the search_path's schema.
func TestSchemasAreSeparate(t *testing.T) {
	a := testdb.Postgres(t, "pgx")
	b := testdb.Postgres(t, "postgres")
	newStore(t, a)
	var n int
	if err := b.Get(&n, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("migrating schema a created %d tables in schema b", n)
	}
}

// TestImportsNoSQLite keeps the promise that importing this package does
// not drag in go-sqlite3 (cgo).
func TestImportsNoSQLite(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/go-authkit/authkit/store/postgres").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "sqlite") || dep == "github.com/lib/pq" || strings.HasPrefix(dep, "github.com/jackc/pgx") {
			t.Errorf("store/postgres depends on %s", dep)
		}
	}
}

// allVersions are the migrations a store of its own schema applies.
var allVersions = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11}
