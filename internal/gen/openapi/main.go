// Command openapi writes the OpenAPI document of authkit's own routes,
// openapi.json at the root of the repository: the library's, not an
// application's (examples/notebooks serves and commits its own, with its
// notebooks API and its display_name field).
//
// It runs from the root package:
//
//	//go:generate go run ./internal/gen/openapi -o openapi.json
//
// The kit it documents has the two backends of docs/contract.md, a "jwt"
// backend (bearer header + JWT, with refresh tokens) and a "cookie" backend
// (cookie + database tokens), every router mounted at the prefixes of the
// contract's table, OAuth through GitHub (login with the jwt backend, and
// association), and verification required, so that the document shows
// every answer of the contract: LOGIN_USER_NOT_VERIFIED and the 403 of
// unverified users included; second factors and passkeys are on and
// superusers must enrol, so that their routes and codes are in it too.
// Nothing is stored: the store only has to exist
// for the strategies to be built, so it is an in-memory SQLite database
// that is never opened.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/openapi"
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
		// Second factors and passkeys, as the example serves them, with
		// superusers made to enrol (-require-mfa superusers).
		MFA:        &authkit.MFAConfig{SecretKey: []byte("openapi generator: seals nothing")},
		Passkeys:   &authkit.PasskeyConfig{RPID: "localhost", Origins: []string{"http://localhost:8000"}},
		RequireMFA: authkit.MFARequiredForSuperusers,
		// Random reset and verify secrets would be made and logged otherwise.
		ResetSecret:  []byte("openapi generator: signs nothing at all"),
		VerifySecret: []byte("openapi generator: signs nothing at all"),
	})
	if err != nil {
		return nil, err
	}
	info := openapi.Info{
		Title:   "authkit",
		Version: "0.1.0",
		Description: "The HTTP API of authkit itself, in FastAPI Users' dialect, mounted as docs/contract.md's " +
			"table does: a jwt backend (bearer token) and a cookie backend, routers at /auth, /auth/{backend}, " +
			"/auth/{provider} and /auth/associate/{provider} (OAuth, here GitHub), /users and /.well-known (the keys that verify " +
			"the access tokens, signed with a key pair and an issuer, as the example's -jwt-keys and -issuer do), with verification required and second factors and passkeys on (superusers made to enrol), so that every answer shows. " +
			"An application's own document (authkit.OpenAPI of its mounts) has its own fields and routes. " +
			"Every error body is {\"detail\": ...}. A method a path does not list is answered 405 " +
			"{\"detail\": \"Method Not Allowed\"}, with an Allow header naming those it does.",
		License: &openapi.License{Name: "MIT", Identifier: "MIT"},
	}
	// OAuth through GitHub, whose provider needs no discovery: the login
	// router (jwt backend) and the associate router.
	github, err := oauth.NewGitHub(oauth.GitHubConfig{ClientID: "openapi", RedirectURL: "https://api.example.com/auth/github/callback"})
	if err != nil {
		return nil, err
	}
	state := authkit.OAuthOptions{StateSecret: []byte("openapi generator: signs nothing at all")}
	login, err := kit.OAuthRouter(github, "jwt", state)
	if err != nil {
		return nil, err
	}
	state.RedirectURL = "https://api.example.com/auth/associate/github/callback"
	associate, err := kit.OAuthAssociateRouter(github, state)
	if err != nil {
		return nil, err
	}
	keys, err := kit.JWKSRouter("jwt", authkit.JWKSOptions{})
	if err != nil {
		return nil, err
	}
	introspection, err := kit.IntrospectionRouter("jwt", authkit.IntrospectionOptions{})
	if err != nil {
		return nil, err
	}
	bearer, err := kit.AuthRouter("jwt")
	if err != nil {
		return nil, err
	}
	cookies, err := kit.AuthRouter("cookie")
	if err != nil {
		return nil, err
	}
	return authkit.OpenAPI(info,
		authkit.At("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter(), kit.SessionsRouter())),
		authkit.At("/auth/jwt", authkit.Merge(bearer, introspection)),
		authkit.At("/.well-known", keys),
		authkit.At("/auth/cookie", cookies),
		authkit.At("/auth/github", login),
		authkit.At("/auth/associate/github", associate),
		authkit.At("/users", kit.UsersRouter()),
	)
}
