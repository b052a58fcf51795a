// Package transport defines how a token travels between client and server:
// in an Authorization header (Bearer) or in a cookie (Cookie).
package transport

import (
	"net/http"
	"time"
)

// Login is what a successful login hands to the transport to deliver.
type Login struct {
	AccessToken string
	// Lifetime is how long the access token lives (the cookie's Max-Age).
	Lifetime time.Duration
	// RefreshToken, when not empty, is the refresh token issued with it,
	// good for RefreshLifetime.
	RefreshToken    string
	RefreshLifetime time.Duration
}

// Transport reads the token a request carries and writes the responses to
// login and logout.
type Transport interface {
	// Token returns the request's token, or "" when it carries none.
	Token(r *http.Request) string
	// WriteLogin writes the response to a successful login.
	WriteLogin(w http.ResponseWriter, l Login) error
	// WriteLogout writes the response to a successful logout.
	WriteLogout(w http.ResponseWriter) error
}

// OriginChecker is implemented by transports whose credentials the browser
// sends on its own (cookies), and which must therefore refuse cross-site
// state-changing requests. CheckOrigin returns an error for such a request.
type OriginChecker interface {
	CheckOrigin(r *http.Request) error
}

// RefreshCarrier is implemented by transports that hand a refresh token to
// the client with a login: Bearer in the JSON body, Cookie in a second
// cookie when it has a RefreshPath. A backend offers refresh tokens only
// through such a transport.
type RefreshCarrier interface {
	// CarriesRefresh reports whether the transport is set up to carry one.
	CarriesRefresh() bool
	// RefreshToken returns the refresh token the request carries outside
	// its body (a cookie), or "" (then the body has it).
	RefreshToken(r *http.Request) string
}
