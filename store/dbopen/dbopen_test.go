package dbopen_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/store/storetest"
)

// databases are the URLs of fresh databases Open takes, by kind.
var databases = map[string]func(t *testing.T) string{
	"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "x.db") },
	"postgres": func(t *testing.T) string { return testdb.PostgresURL(t) },
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for name, url := range databases {
		t.Run(name, func(t *testing.T) {
			st, err := dbopen.Open(ctx, url(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.DB().Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			users, err := st.ListUsers(ctx)
			if err != nil || len(users) != 0 {
				t.Fatalf("%v %v", users, err)
			}
		})
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, url := range []string{"", "sqlite:", "mysql://root@x/db", "notebooks.db"} {
		if _, err := dbopen.Open(context.Background(), url); !errors.Is(err, dbopen.ErrBadURL) {
			t.Errorf("Open(%q) = %v, want ErrBadURL", url, err)
		}
	}
	_, err := dbopen.Open(context.Background(), "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v: want a failure that hides the password", err)
	}
}

// The stores Open returns pass the conformance suite: PostgreSQL's reads
// users through pgx's native connection (postgres.NativeReads), which the
// suite checks value for value, own fields, times and NULLs included.
func TestConformance(t *testing.T) {
	ctx := context.Background()
	for name, url := range databases {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) storetest.Store {
				st, err := dbopen.Open(ctx, url(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.DB().Close() })
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return st
			})
		})
	}
}
