// Package oauth describes the OAuth2 and OpenID Connect providers that
// authkit's social login routes (authkit.OAuthRouter) talk to: a provider
// is an OAuth2 client configuration plus a way to learn, from the tokens
// it issued, who the user is there — an account id, an email, and whether
// the provider vouches for that email.
//
//	google, err := oauth.Google(ctx, clientID, secret, "https://app.example/auth/google/callback")
//	oidc, err := oauth.NewOIDC(ctx, oauth.OIDCConfig{Name: "oidc", Issuer: issuer, ClientID: id,
//		ClientSecret: secret, RedirectURL: "https://app.example/auth/oidc/callback"})
//	gh, err := oauth.NewGitHub(oauth.GitHubConfig{ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://app.example/auth/github/callback"})
//
// The routes add the state, CSRF cookie and PKCE (S256); a provider only
// has to say who the user is.
package oauth

import (
	"context"
	"errors"
	"regexp"

	"golang.org/x/oauth2"
)

// Account is the user as the provider knows them.
type Account struct {
	// ID is stable at the provider and never reused (OIDC "sub", GitHub's
	// numeric id); never the email, which can change hands.
	ID string
	// Email is the user's email at the provider; "" when it gave none.
	Email string
	// EmailVerified is true only when the provider says it checked that
	// the user owns Email. Linking by email trusts nothing else.
	EmailVerified bool
}

// Provider is one OAuth2 / OpenID Connect provider.
type Provider interface {
	// Name names the provider in routes and in the store ("google",
	// "github", "oidc"): letters, digits, - and _.
	Name() string
	// Config is the provider's OAuth2 client configuration. Callers must
	// not modify it; they copy it to change the redirect URL or scopes.
	Config() *oauth2.Config
	// Account returns who token's user is. For OpenID Connect the ID
	// token in token is verified (signature, issuer, audience, expiry).
	Account(ctx context.Context, token *oauth2.Token) (Account, error)
}

// ErrNoAccount: the provider's answer did not say who the user is (no ID
// token, a bad one, no account id). The routes answer it as a failed login.
var ErrNoAccount = errors.New("oauth: provider did not identify the user")

var providerName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidName reports whether name may name a provider.
func ValidName(name string) bool { return providerName.MatchString(name) }

// checkClient checks what every provider needs.
func checkClient(name, clientID, redirectURL string) error {
	var errs []error
	if !ValidName(name) {
		errs = append(errs, errors.New("oauth: provider name must be letters, digits, - or _"))
	}
	if clientID == "" {
		errs = append(errs, errors.New("oauth: client id is required"))
	}
	if redirectURL == "" {
		errs = append(errs, errors.New("oauth: redirect URL is required"))
	}
	return errors.Join(errs...)
}
