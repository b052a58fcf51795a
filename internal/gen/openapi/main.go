// Command openapi writes authkit's OpenAPI document, openapi.json at the
// root of the repository, from the route tables the routers mount.
//
// It runs from the root package:
//
//	//go:generate go run ./internal/gen/openapi -o openapi.json
//
// The kit it documents is wired as examples/notebooks wires its own: a
// "jwt" backend (bearer header + JWT) and a "cookie" backend (cookie +
// database tokens), every router mounted at the prefixes of CONTRACT.md's
// table. Verification is required (-require-verification), so that the
// document shows every answer of the contract: LOGIN_USER_NOT_VERIFIED and
// the 403 of unverified users included. Nothing is stored: the store only has to exist for the strategies
// to be built, so it is an in-memory SQLite database that is never opened.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/jmoiron/sqlx"
)

func main() {
	out := flag.String("o", "openapi.json", "file to write")
	flag.Parse()
	doc, err := document()
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

// document is the content of openapi.json.
func document() ([]byte, error) {
	// sqlx.Open only prepares the handle: no connection is made.
	db, err := sqlx.Open("sqlite3", ":memory:")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	st, err := sqlite.New(db)
	if err != nil {
		return nil, err
	}
	// The key signs nothing here: a key pair (the example's -jwt-keys)
	// only has to exist for the key routes to be documented.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Keys: &strategy.KeySet{SigningKeyID: "openapi", SigningKey: key},
		Issuer: "https://notebooks.example", Store: st,
		Refresh: &strategy.RefreshConfig{Store: st, Users: st}}) // as the example's jwt backend
	if err != nil {
		return nil, err
	}
	database, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		return nil, err
	}
	cookie, err := transport.NewCookie(transport.CookieConfig{})
	if err != nil {
		return nil, err
	}
	kit, err := authkit.New(authkit.Config{
		Users: st,
		Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt},
			{Name: "cookie", Transport: cookie, Strategy: database},
		},
		RequireVerification: true,
		// Random reset and verify secrets would be made and logged otherwise.
		ResetSecret:  []byte("openapi generator: signs nothing at all"),
		VerifySecret: []byte("openapi generator: signs nothing at all"),
	})
	if err != nil {
		return nil, err
	}
	info := authkit.Info{
		Title:   "authkit",
		Version: "0.1.0",
		Description: "The HTTP API of authkit, in FastAPI Users' dialect, as examples/notebooks mounts it " +
			"with -require-verification, -jwt-keys and -issuer: a jwt backend (bearer token signed with a key pair) and a cookie backend, " +
			"routers at /auth, /auth/{backend}, /users and /.well-known (the keys that verify the access tokens). " +
			"Every error body is {\"detail\": ...}.",
		License: &authkit.License{Name: "MIT", Identifier: "MIT"},
	}
	keys, err := kit.JWKSRouter("jwt", authkit.JWKSOptions{})
	if err != nil {
		return nil, err
	}
	introspection, err := kit.IntrospectionRouter("jwt", authkit.IntrospectionOptions{})
	if err != nil {
		return nil, err
	}
	return authkit.OpenAPI(info,
		authkit.At("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter(), kit.SessionsRouter())),
		authkit.At("/auth/jwt", authkit.Merge(kit.AuthRouter("jwt"), introspection)),
		authkit.At("/.well-known", keys),
		authkit.At("/auth/cookie", kit.AuthRouter("cookie")),
		authkit.At("/users", kit.UsersRouter()),
	)
}
