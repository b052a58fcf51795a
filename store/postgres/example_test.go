package postgres_test

import (
	"context"
	"log"
	"os"

	"github.com/go-authkit/authkit/store/postgres"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver; lib/pq's "postgres" works too
	"github.com/jmoiron/sqlx"
)

// Not run by go test: it needs a server.
func ExampleNew() {
	ctx := context.Background()
	db, err := sqlx.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := postgres.New(db)
	if err != nil {
		log.Fatal(err)
	}
	// Creates or upgrades the authkit_* tables; safe at every start-up.
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	_ = st // hand st to authkit as its UserStore, AccessTokenStore, RevocationStore
}
