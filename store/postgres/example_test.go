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

// Not run by go test: it needs a server holding FastAPI Users' tables.
func ExampleAdoptFastAPIUsers() {
	ctx := context.Background()
	db, err := sqlx.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := postgres.New(db, postgres.AdoptFastAPIUsers("user"))
	if err != nil {
		log.Fatal(err)
	}
	// Adds authkit's columns to "user" and creates its token tables, once.
	// Fails, changing nothing, if two users' emails differ only in case.
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	_ = st // hand st to authkit: FastAPI Users' argon2 and bcrypt hashes log in
}
