package authkit

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// Require says what CurrentUser demands of the request's user.
type Require struct {
	// Active refuses inactive users (401).
	Active bool
	// Verified refuses unverified users (403).
	Verified bool
	// Superuser refuses users who are not superusers (403).
	Superuser bool
	// Optional lets requests without a (suitable) user through, with no
	// user in the context, instead of refusing them.
	Optional bool
	// Backends limits authentication to the named backends; empty means all,
	// in the configured order.
	Backends []string
}

// session is what authentication found: the user, and through which
// backend and token — so that a password change can keep this session.
type session struct {
	user    *User
	backend *AuthenticationBackend
	token   string
}

type sessionKey struct{}

// sessionContext carries a session: one allocation, where WithValue and
// the session would be two on every authenticated request.
type sessionContext struct {
	context.Context
	s session
}

func withSession(ctx context.Context, s session) context.Context {
	return &sessionContext{Context: ctx, s: s}
}

// Value implements context.Context.
func (c *sessionContext) Value(key any) any {
	if key == (sessionKey{}) {
		return &c.s
	}
	return c.Context.Value(key)
}

func sessionFrom(ctx context.Context) (*session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*session)
	return s, ok
}

// UserFrom returns the user that CurrentUser (or CurrentActiveUser) put in
// the context; false when there is none (an optional route, or no
// middleware at all).
func UserFrom(ctx context.Context) (*User, bool) {
	s, ok := sessionFrom(ctx)
	if !ok {
		return nil, false
	}
	return s.user, true
}

// CurrentUser returns middleware that authenticates each request through
// the backends in order — the first that yields a user wins — and lets it
// through to next only if the user meets req: no user 401, inactive 401,
// unverified or not a superuser 403. Requests authenticated by a cookie
// that come cross-site with an unsafe method are refused (403).
func (k *AuthKit) CurrentUser(req Require) func(http.Handler) http.Handler {
	backends := k.backends
	if len(req.Backends) > 0 {
		backends = nil
		for _, name := range req.Backends {
			if b := k.backend(name); b != nil {
				backends = append(backends, b)
			}
		}
	}
	return func(next http.Handler) http.Handler {
		return k.handle(func(w http.ResponseWriter, r *http.Request) error {
			s, err := k.authenticate(r, backends, req)
			if err != nil {
				var he *httpError
				if req.Optional && errors.As(err, &he) {
					next.ServeHTTP(w, r)
					return nil
				}
				return err
			}
			next.ServeHTTP(w, r.WithContext(withSession(r.Context(), s)))
			return nil
		})
	}
}

// CurrentActiveUser is middleware that admits only active users (and, with
// Config.RequireVerification, only verified ones).
func (k *AuthKit) CurrentActiveUser(next http.Handler) http.Handler {
	return k.CurrentUser(Require{Active: true, Verified: k.cfg.RequireVerification})(next)
}

// authenticate finds the request's user and checks it against req.
func (k *AuthKit) authenticate(r *http.Request, backends []*AuthenticationBackend, req Require) (session, error) {
	for _, b := range backends {
		token := b.Transport.Token(r)
		if token == "" {
			continue
		}
		u, err := b.Strategy.Read(r.Context(), token)
		if errors.Is(err, strategy.ErrInvalidToken) {
			continue
		}
		if err != nil {
			return session{}, err
		}
		if oc, ok := b.Transport.(transport.OriginChecker); ok {
			if err := oc.CheckOrigin(r); err != nil {
				return session{}, errForbidden
			}
		}
		switch {
		case req.Active && !u.IsActive:
			return session{}, errUnauthorized
		case req.Verified && !u.IsVerified, req.Superuser && !u.IsSuperuser:
			return session{}, errForbidden
		}
		return session{user: u, backend: b, token: token}, nil
	}
	return session{}, errUnauthorized
}
