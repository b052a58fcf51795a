package authkit

import (
	"context"
	"errors"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// A resource server that only verifies another issuer's tokens, with
// users built from the claims (strategy/jwks, Stateless), has no user
// store: New accepts a Config without Users when every backend is
// read-only, and CurrentUser, CurrentActiveUser and UserFrom work as
// ever. Routers that need users (register, users, reset, verify) are not
// for such a kit: mount none; their writes fail with errNoUserStore.

// errNoUserStore is the fault of a user route on a kit without users.
var errNoUserStore = errors.New("authkit: no user store: this kit only verifies another issuer's tokens")

// readOnlyBackends reports whether every backend only verifies tokens.
func readOnlyBackends(backends []AuthenticationBackend) bool {
	for _, b := range backends {
		if isNil(b.Strategy) {
			return false // New says so
		}
		ro, ok := b.Strategy.(strategy.ReadOnly)
		if !ok || !ro.ReadOnly() {
			return false
		}
	}
	return len(backends) > 0
}

// noUsers is the user store of a kit without one: nobody is found, and
// nothing is written.
type noUsers struct{}

func (noUsers) CreateUser(context.Context, *store.User) error { return errNoUserStore }
func (noUsers) UserByID(context.Context, uuid.UUID) (*store.User, error) {
	return nil, store.ErrUserNotFound
}
func (noUsers) UserByEmail(context.Context, string) (*store.User, error) {
	return nil, store.ErrUserNotFound
}
func (noUsers) UpdateUser(context.Context, *store.User) error { return errNoUserStore }
func (noUsers) DeleteUser(context.Context, uuid.UUID) error   { return errNoUserStore }
