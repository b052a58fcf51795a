package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// errNoDatabase: -db names an SQLite file that does not exist. Only the
// commands that create (migrate, createsuperuser) make one, so that a
// mistyped path given to users list or users set is not silently a new,
// empty database.
var errNoDatabase = errors.New("no such database")

// openExisting is openStore for a database that must already exist.
func openExisting(ctx context.Context, dbURL string) (dbopen.Store, error) {
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok && path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w (authkit migrate -db %s creates it)", dbURL, errNoDatabase, dbURL)
		}
	}
	return openStore(ctx, dbURL)
}

// openStore opens the database dbURL names, creating an SQLite file that
// does not exist, and migrates it. Close it with DB().Close().
func openStore(ctx context.Context, dbURL string) (dbopen.Store, error) {
	st, err := dbopen.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.DB().Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return st, nil
}

// newKit builds the AuthKit whose user manager the commands use, so that
// the CLI applies the same password policy, hashing and session ending as
// the service does.
//
// The CLI issues no tokens, but an AuthKit needs a backend. Its backends
// are the two strategies the store supports, so that deactivating a user
// ends their sessions whichever one the service uses: the JWT strategy
// voids the user's tokens in the store (its signing key plays no part in
// that), the database strategy deletes them. The secrets are random and
// die with the process; they sign nothing.
func newKit(st dbopen.Store, logOut io.Writer) (*authkit.AuthKit, error) {
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: randomSecret(), Store: st})
	if err != nil {
		return nil, err
	}
	db, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		return nil, err
	}
	return authkit.New(authkit.Config{
		Users: st,
		Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt},
			{Name: "database", Transport: transport.Bearer{}, Strategy: db},
		},
		// Given, so that New does not warn about making them.
		ResetSecret:  randomSecret(),
		VerifySecret: randomSecret(),
		// Warnings, and the audit of what the commands change (at Info).
		Logger: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
}

// randomSecret returns 32 random bytes. crypto/rand.Read never fails.
func randomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
