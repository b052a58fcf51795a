package dbopen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-authkit/authkit/store/dbopen"
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
