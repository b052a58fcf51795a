package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig configures a generic OpenID Connect provider.
type OIDCConfig struct {
	// Name names the provider ("oidc", "google", ...). Required.
	Name string
	// Issuer is the issuer URL; its /.well-known/openid-configuration is
	// fetched by NewOIDC, and ID tokens must name it. Required.
	Issuer       string
	ClientID     string // required
	ClientSecret string // "" for a public client (PKCE only)
	// RedirectURL is the absolute URL of the callback route. Required.
	RedirectURL string
	// Scopes are asked for besides "openid"; nil means "email" and
	// "profile".
	Scopes []string
	// HTTPClient talks to the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// OIDC is a generic OpenID Connect provider, set up by discovery.
type OIDC struct {
	name     string
	cfg      oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// NewOIDC fetches the issuer's discovery document and returns the
// provider. ctx bounds the discovery request only.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if err := checkClient(cfg.Name, cfg.ClientID, cfg.RedirectURL); err != nil {
		return nil, err
	}
	if cfg.Issuer == "" {
		return nil, fmt.Errorf("oauth: %s: issuer is required", cfg.Name)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	// The provider keeps this context for fetching its signing keys later:
	// detached from ctx's deadline, carrying only the client.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: discovery: %w", cfg.Name, err)
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"email", "profile"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	return &OIDC{
		name: cfg.Name,
		cfg: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: scopes,
		},
		provider: p,
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
	}, nil
}

// Google is Google's OpenID Connect provider, named "google".
func Google(ctx context.Context, clientID, clientSecret, redirectURL string, scopes ...string) (*OIDC, error) {
	return NewOIDC(ctx, OIDCConfig{
		Name: "google", Issuer: "https://accounts.google.com",
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirectURL, Scopes: scopes,
	})
}

// Name implements Provider.
func (p *OIDC) Name() string { return p.name }

// Config implements Provider.
func (p *OIDC) Config() *oauth2.Config { return &p.cfg }

// idClaims are the claims read from an ID token or the userinfo answer.
type idClaims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
}

// Account implements Provider: the ID token is verified (signature by the
// issuer's keys, issuer, audience, expiry); when it carries no email the
// userinfo endpoint is asked, and its subject must be the ID token's.
func (p *OIDC) Account(ctx context.Context, token *oauth2.Token) (Account, error) {
	raw, _ := token.Extra("id_token").(string)
	if raw == "" {
		return Account{}, fmt.Errorf("%w: no ID token", ErrNoAccount)
	}
	ctx = oidc.ClientContext(ctx, p.client)
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Account{}, fmt.Errorf("%w: ID token: %w", ErrNoAccount, err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil || c.Subject == "" {
		return Account{}, fmt.Errorf("%w: ID token claims", ErrNoAccount)
	}
	if c.Email == "" && p.provider.UserInfoEndpoint() != "" {
		info, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
		if err != nil {
			return Account{}, fmt.Errorf("oauth: %s: userinfo: %w", p.name, err)
		}
		var u idClaims
		if err := info.Claims(&u); err != nil {
			return Account{}, fmt.Errorf("%w: userinfo claims", ErrNoAccount)
		}
		// OIDC Core 5.3.2: a userinfo answer about someone else is void.
		if u.Subject != c.Subject {
			return Account{}, fmt.Errorf("%w: userinfo subject differs from the ID token's", ErrNoAccount)
		}
		c.Email, c.EmailVerified = u.Email, u.EmailVerified
	}
	return Account{ID: c.Subject, Email: c.Email, EmailVerified: c.Email != "" && bool(c.EmailVerified)}, nil
}

// flexBool reads a JSON boolean, or the strings "true" and "false" that
// some providers send for email_verified. Anything else is false.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = flexBool(strings.EqualFold(v, "true"))
	default:
		*b = false
	}
	return nil
}
