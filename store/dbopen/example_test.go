package dbopen_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/store/postgres"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// Open takes the same database URLs as the example service and the CLI.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "dbopen")
	defer os.RemoveAll(dir)

	st, err := dbopen.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.DB().Close()
	if err := st.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	users, _ := st.ListUsers(ctx)
	fmt.Println(len(users), "users")

	_, err = dbopen.Open(ctx, "mysql://root@localhost/app")
	fmt.Println(err)
	// Output:
	// 0 users
	// dbopen: want sqlite:PATH or a postgres:// URL, not "mysql://root@localhost/app"
}

// An application that opens its own PostgreSQL pool with pgx's
// database/sql driver gives the store the reader Open uses: the reads of
// users then skip the driver's conversions (BENCHMARKS.md, fix 8). (Not
// run: it needs a PostgreSQL server; TestConformance runs Open's store,
// which is built this way, through the whole store suite.)
func ExamplePgxReader() {
	ctx := context.Background()
	db, err := sqlx.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := postgres.New(db, postgres.NativeReads(dbopen.PgxReader(db.DB)))
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	u, err := st.UserByEmail(ctx, "percival@camelot.bt")
	fmt.Println(u, err)
}
