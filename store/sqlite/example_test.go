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
