package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/go-authkit/authkit/internal/idptest"
	"github.com/go-authkit/authkit/oauth"
	"golang.org/x/oauth2"
)

const callback = "https://app.example/auth/oidc/callback"

// code runs the authorization step against the server as a browser
// would, and returns the code the redirect carries.
func code(t *testing.T, cfg *oauth2.Config, verifier string) string {
	t.Helper()
	u := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st" {
		t.Fatalf("state not returned: %s", loc)
	}
	return loc.Query().Get("code")
}

func login(t *testing.T, p oauth.Provider) (oauth.Account, error) {
	t.Helper()
	ctx := context.Background()
	v := oauth2.GenerateVerifier()
	tok, err := p.Config().Exchange(ctx, code(t, p.Config(), v), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return p.Account(ctx, tok)
}

func newOIDC(t *testing.T, idp *idptest.Server) *oauth.OIDC {
	t.Helper()
	p, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{
		Name: "oidc", Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: callback,
	})
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return p
}

func TestOIDCAccount(t *testing.T) {
	idp := idptest.New(t, callback)
	p := newOIDC(t, idp)
	if p.Name() != "oidc" || p.Config().Scopes[0] != "openid" {
		t.Errorf("name %q, scopes %v", p.Name(), p.Config().Scopes)
	}
	for _, tc := range []struct {
		name string
		user idptest.User
		want oauth.Account
	}{
		{"verified", idptest.User{Sub: "s1", Email: "Arthur@Camelot.bt", EmailVerified: true},
			oauth.Account{ID: "s1", Email: "Arthur@Camelot.bt", EmailVerified: true}},
		{"unverified", idptest.User{Sub: "s2", Email: "mordred@camelot.bt"},
			oauth.Account{ID: "s2", Email: "mordred@camelot.bt"}},
		{"userinfo", idptest.User{Sub: "s3", Email: "kay@camelot.bt", EmailVerified: true, EmailOnlyInUserinfo: true},
			oauth.Account{ID: "s3", Email: "kay@camelot.bt", EmailVerified: true}},
		{"no email", idptest.User{Sub: "s4"}, oauth.Account{ID: "s4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp.SetUser(tc.user)
			got, err := login(t, p)
			if err != nil || got != tc.want {
				t.Errorf("Account = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestOIDCRefusesForgedIDToken(t *testing.T) {
	idp := idptest.New(t, callback)
	other := idptest.New(t, callback) // another issuer, another key
	p := newOIDC(t, idp)
	idp.SetUser(idptest.User{Sub: "s1", Email: "a@b.bt", EmailVerified: true})
	other.SetUser(idptest.User{Sub: "s1", Email: "a@b.bt", EmailVerified: true})

	// An ID token from the other server, presented as this one's.
	cfg := *p.Config()
	cfg.ClientID, cfg.ClientSecret = other.ClientID, other.ClientSecret
	cfg.Endpoint = oauth2.Endpoint{AuthURL: other.URL + "/authorize", TokenURL: other.URL + "/token"}
	v := oauth2.GenerateVerifier()
	tok, err := cfg.Exchange(context.Background(), code(t, &cfg, v), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Account(context.Background(), tok); !errors.Is(err, oauth.ErrNoAccount) {
		t.Errorf("forged ID token: %v, want ErrNoAccount", err)
	}
	// No ID token at all.
	if _, err := p.Account(context.Background(), &oauth2.Token{AccessToken: "x"}); !errors.Is(err, oauth.ErrNoAccount) {
		t.Errorf("no ID token: %v, want ErrNoAccount", err)
	}
}

func TestPKCEIsChecked(t *testing.T) {
	idp := idptest.New(t, callback)
	p := newOIDC(t, idp)
	c := code(t, p.Config(), oauth2.GenerateVerifier())
	if _, err := p.Config().Exchange(context.Background(), c, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Fatal("exchange with the wrong verifier succeeded")
	}
}

func TestGitHubAccount(t *testing.T) {
	idp := idptest.New(t, callback)
	g, err := oauth.NewGitHub(oauth.GitHubConfig{
		ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: callback,
		Endpoint: oauth2.Endpoint{AuthURL: idp.URL + "/authorize", TokenURL: idp.URL + "/token"},
		APIURL:   idp.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name() != "github" {
		t.Errorf("Name = %q", g.Name())
	}
	idp.SetUser(idptest.User{Sub: "lancelot", GitHubID: 42, Email: "lancelot@joyous.gard", EmailVerified: true})
	got, err := login(t, g)
	if want := (oauth.Account{ID: "42", Email: "lancelot@joyous.gard", EmailVerified: true}); err != nil || got != want {
		t.Errorf("Account = %+v, %v; want %+v", got, err, want)
	}
	idp.SetUser(idptest.User{Sub: "galahad", GitHubID: 43, Email: "galahad@corbenic.bt"})
	got, err = login(t, g)
	if want := (oauth.Account{ID: "43", Email: "galahad@corbenic.bt"}); err != nil || got != want {
		t.Errorf("unverified: Account = %+v, %v; want %+v", got, err, want)
	}
	if _, err := g.Account(context.Background(), &oauth2.Token{AccessToken: "stolen"}); err == nil {
		t.Error("Account with an unknown token succeeded")
	}
}

func TestBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := oauth.NewOIDC(ctx, oauth.OIDCConfig{Name: "bad name", Issuer: "http://127.0.0.1:1", ClientID: "x", RedirectURL: callback}); err == nil {
		t.Error("bad name accepted")
	}
	if _, err := oauth.NewOIDC(ctx, oauth.OIDCConfig{Name: "oidc", ClientID: "x", RedirectURL: callback}); err == nil {
		t.Error("no issuer accepted")
	}
	if _, err := oauth.NewOIDC(ctx, oauth.OIDCConfig{Name: "oidc", Issuer: "http://127.0.0.1:1", ClientID: "x", RedirectURL: callback}); err == nil {
		t.Error("unreachable issuer accepted")
	}
	if _, err := oauth.NewGitHub(oauth.GitHubConfig{ClientID: "x"}); err == nil {
		t.Error("GitHub without redirect URL accepted")
	}
}
