package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/github"
)

// GitHubConfig configures the GitHub provider (plain OAuth2: GitHub is
// not an OpenID Connect provider for users).
type GitHubConfig struct {
	// Name defaults to "github".
	Name         string
	ClientID     string // required
	ClientSecret string
	RedirectURL  string // required: the callback's absolute URL
	// Scopes default to "read:user" and "user:email" (the latter to read
	// the verified flag of the emails).
	Scopes []string
	// Endpoint and APIURL default to github.com's; set them for GitHub
	// Enterprise Server (APIURL like "https://ghe.example/api/v3").
	Endpoint oauth2.Endpoint
	APIURL   string
	// HTTPClient calls the API; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// GitHub is the GitHub provider. The account id is GitHub's numeric user
// id; the email is the primary one of /user/emails, verified as GitHub says.
type GitHub struct {
	name   string
	cfg    oauth2.Config
	api    string
	client *http.Client
}

// NewGitHub returns the GitHub provider.
func NewGitHub(cfg GitHubConfig) (*GitHub, error) {
	if cfg.Name == "" {
		cfg.Name = "github"
	}
	if err := checkClient(cfg.Name, cfg.ClientID, cfg.RedirectURL); err != nil {
		return nil, err
	}
	if cfg.Endpoint.AuthURL == "" {
		cfg.Endpoint = github.Endpoint
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.github.com"
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"read:user", "user:email"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &GitHub{
		name: cfg.Name,
		cfg: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: cfg.Endpoint, Scopes: cfg.Scopes},
		api:    strings.TrimSuffix(cfg.APIURL, "/"),
		client: cfg.HTTPClient,
	}, nil
}

// Name implements Provider.
func (g *GitHub) Name() string { return g.name }

// Config implements Provider.
func (g *GitHub) Config() *oauth2.Config { return &g.cfg }

// maxAPIBody bounds what is read of an API answer.
const maxAPIBody = 1 << 20

// Account implements Provider.
func (g *GitHub) Account(ctx context.Context, token *oauth2.Token) (Account, error) {
	var user struct {
		ID json.Number `json:"id"`
	}
	body, err := g.get(ctx, token, "/user")
	if err != nil {
		return Account{}, err
	}
	if err := json.Unmarshal(body, &user); err != nil {
		return Account{}, fmt.Errorf("%w: /user: %w", ErrNoAccount, err)
	}
	if _, err := strconv.ParseInt(user.ID.String(), 10, 64); err != nil {
		return Account{}, fmt.Errorf("%w: /user: no numeric id", ErrNoAccount)
	}
	body, err = g.get(ctx, token, "/user/emails")
	if err != nil {
		return Account{}, err
	}
	email, verified, err := primaryEmail(body)
	if err != nil {
		return Account{}, fmt.Errorf("%w: /user/emails: %w", ErrNoAccount, err)
	}
	return Account{ID: user.ID.String(), Email: email, EmailVerified: verified}, nil
}

// primaryEmail reads GitHub's /user/emails answer: the primary email and
// whether GitHub verified it; "" when there is no primary one.
func primaryEmail(body []byte) (string, bool, error) {
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.Unmarshal(body, &emails); err != nil {
		return "", false, err
	}
	for _, e := range emails {
		if e.Primary && e.Email != "" {
			return e.Email, e.Verified, nil
		}
	}
	return "", false, nil
}

func (g *GitHub) get(ctx context.Context, token *oauth2.Token, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.api+path, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", g.name, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	token.SetAuthHeader(req)
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %s: %w", g.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %s: %w", g.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oauth: %s: %s: %w", g.name, path, errors.New(resp.Status))
	}
	return body, nil
}
