package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/oauth"
)

// oidcDiscoveryTimeout bounds the fetch of the issuer's discovery
// document at start.
const oidcDiscoveryTimeout = 10 * time.Second

// newOIDC makes the provider named "oidc" from -oidc-issuer,
// -oidc-client-id and AUTHKIT_OIDC_CLIENT_SECRET, or nil without an
// issuer. Its redirect URI is <public-url>/auth/oidc/callback.
func newOIDC(ctx context.Context, cfg config) (oauth.Provider, error) {
	if cfg.oidcIssuer == "" {
		if cfg.oidcClientID != "" {
			return nil, errors.New("-oidc-client-id needs -oidc-issuer")
		}
		return nil, nil
	}
	if cfg.oidcClientID == "" {
		return nil, errors.New("-oidc-issuer needs -oidc-client-id")
	}
	ctx, cancel := context.WithTimeout(ctx, oidcDiscoveryTimeout)
	defer cancel()
	p, err := oauth.NewOIDC(ctx, oauth.OIDCConfig{
		Name: "oidc", Issuer: cfg.oidcIssuer, ClientID: cfg.oidcClientID, ClientSecret: cfg.oidcSecret,
		RedirectURL: strings.TrimSuffix(cfg.publicURL, "/") + "/auth/oidc/callback",
	})
	if err != nil {
		return nil, fmt.Errorf("-oidc-issuer: %w", err)
	}
	return p, nil
}

// oidcRoutes are the provider's routes:
//
//	/auth/oidc             login through the jwt backend (API clients)
//	/auth/oidc-web         login through the cookie backend, back to the page (its button)
//	/auth/associate/oidc   link the provider account to the user logged in
//
// Each callback's URL must be registered at the provider.
func (a *app) oidcRoutes(cfg config, keys secrets) ([]authkit.Mounted, error) {
	base := strings.TrimSuffix(cfg.publicURL, "/")
	opts := func(prefix string) authkit.OAuthOptions {
		return authkit.OAuthOptions{StateSecret: keys.state, RedirectURL: base + prefix + "/callback",
			// Browsers keep Secure cookies from http://localhost, not from
			// other plain-HTTP hosts.
			InsecureCookie: strings.HasPrefix(base, "http://") && !isLoopback(base)}
	}
	login, err := a.kit.OAuthRouter(cfg.oidc, "jwt", opts("/auth/oidc"))
	if err != nil {
		return nil, err
	}
	web := opts("/auth/oidc-web")
	web.Redirects = []string{"/"}
	page, err := a.kit.OAuthRouter(cfg.oidc, "cookie", web)
	if err != nil {
		return nil, err
	}
	assoc, err := a.kit.OAuthAssociateRouter(cfg.oidc, opts("/auth/associate/oidc"))
	if err != nil {
		return nil, err
	}
	a.logger.Info("OpenID Connect login configured: register these redirect URIs at the provider",
		"login", base+"/auth/oidc/callback", "web", base+"/auth/oidc-web/callback", "associate", base+"/auth/associate/oidc/callback")
	return []authkit.Mounted{
		authkit.At("/auth/oidc", login),
		authkit.At("/auth/oidc-web", page),
		authkit.At("/auth/associate/oidc", assoc),
	}, nil
}

func isLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// providersHandler tells the page which "Sign in with ..." buttons to show.
func providersHandler(cfg config) http.Handler {
	type provider struct {
		Name      string `json:"name"`
		Label     string `json:"label"`
		Authorize string `json:"authorize"`
	}
	list := []provider{}
	if cfg.oidc != nil {
		label := cfg.oidcIssuer
		if u, err := url.Parse(cfg.oidcIssuer); err == nil && u.Host != "" {
			label = u.Host
		}
		list = append(list, provider{Name: "oidc", Label: label, Authorize: "/auth/oidc-web/authorize?redirect_to=%2F"})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"providers": list})
	})
}
