package oauth_test

import (
	"context"
	"fmt"

	"github.com/go-authkit/authkit/oauth"
)

func ExampleNewGitHub() {
	gh, err := oauth.NewGitHub(oauth.GitHubConfig{
		ClientID:     "Iv1.0123456789abcdef",
		ClientSecret: "from-the-environment",
		RedirectURL:  "https://app.example/auth/github/callback",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(gh.Name(), gh.Config().Scopes, gh.Config().Endpoint.AuthURL)
	// Output: github [read:user user:email] https://github.com/login/oauth/authorize
}

func ExampleNewOIDC() {
	// NewOIDC fetches the issuer's discovery document, so a bad
	// configuration is an error at start-up, not at the first login.
	_, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{Name: "oidc", ClientID: "app", RedirectURL: "https://app.example/cb"})
	fmt.Println(err)
	// Output: oauth: oidc: issuer is required
}
