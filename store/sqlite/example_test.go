package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/google/uuid"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, err := sqlite.New(db)
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	now := time.Now()
	u := &store.User{ID: uuid.New(), Email: "King.Arthur@camelot.bt", HashedPassword: "$argon2id$...",
		IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		log.Fatal(err)
	}
	got, err := st.UserByEmail(ctx, "king.arthur@CAMELOT.bt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Email)

	twin := &store.User{ID: uuid.New(), Email: "king.arthur@camelot.bt", CreatedAt: now, UpdatedAt: now}
	fmt.Println(st.CreateUser(ctx, twin) == store.ErrEmailTaken)
	// Output:
	// King.Arthur@camelot.bt
	// true
}

// An application leaving FastAPI Users opens its database with the
// option: its users log in with their passwords as they are.
func ExampleAdoptFastAPIUsers() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "fastapi.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	// What FastAPI Users (SQLAlchemy) made and filled.
	db.MustExec(`CREATE TABLE user (
		id CHAR(36) NOT NULL PRIMARY KEY, email VARCHAR(320) NOT NULL,
		hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL,
		is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL)`)
	db.MustExec(`CREATE UNIQUE INDEX ix_user_email ON user (email)`)
	db.MustExec(`INSERT INTO user VALUES ('5f0b6a2e-3c1d-4e8f-9a7b-1c2d3e4f5a6b', 'King.Arthur@Camelot.bt',
		'$argon2id$v=19$m=65536,t=3,p=4$...', 1, 0, 1)`)

	st, err := sqlite.New(db, sqlite.AdoptFastAPIUsers("user"))
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil { // adds authkit's columns and token tables
		log.Fatal(err)
	}
	u, err := st.UserByEmail(ctx, "king.arthur@camelot.bt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, u.Email, u.IsVerified)
	// Output: 5f0b6a2e-3c1d-4e8f-9a7b-1c2d3e4f5a6b King.Arthur@Camelot.bt true
}
