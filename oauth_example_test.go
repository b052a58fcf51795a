package authkit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// Social login with GitHub, logging in through a bearer JWT backend, and
// linking a GitHub account to a signed-in user.
func ExampleAuthKit_OAuthRouter() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "authkit-example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	users, _ := sqlite.New(db)
	if err := users.Migrate(ctx); err != nil {
		panic(err)
	}
	jwt, _ := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("an example secret of at least 32 bytes"), Store: users})
	kit, err := authkit.New(authkit.Config{
		Users:    users,
		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}},
	})
	if err != nil {
		panic(err)
	}

	github, err := oauth.NewGitHub(oauth.GitHubConfig{
		ClientID: "Iv1.0123456789abcdef", ClientSecret: os.Getenv("GITHUB_CLIENT_SECRET"),
		RedirectURL: "https://app.example/auth/github/callback",
	})
	if err != nil {
		panic(err)
	}
	secret := []byte("another secret, for the state tokens") // from your secret store
	login, err := kit.OAuthRouter(github, "jwt", authkit.OAuthOptions{StateSecret: secret})
	if err != nil {
		panic(err)
	}
	associate, err := kit.OAuthAssociateRouter(github, authkit.OAuthOptions{
		StateSecret: secret, RedirectURL: "https://app.example/auth/associate/github/callback",
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	authkit.Mount(mux, "/auth/github", login)
	authkit.Mount(mux, "/auth/associate/github", associate)

	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/auth/github/authorize")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var body struct {
		URL string `json:"authorization_url"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	u, _ := url.Parse(body.URL)
	fmt.Println(res.StatusCode, u.Host+u.Path, u.Query().Get("code_challenge_method"))
	// Output: 200 github.com/login/oauth/authorize S256
}
