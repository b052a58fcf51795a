// Package strategy defines how a token is made, checked and ended: a signed
// JWT (JWT) or an opaque token kept in the store (Database).
package strategy

import (
	"context"
	"errors"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// ErrInvalidToken is returned by Read for a token that is malformed, forged,
// expired or revoked, or whose user is gone: the client is not authenticated.
var ErrInvalidToken = errors.New("strategy: invalid token")

// ErrStaleUser is returned by Write (and WriteWithRefresh) when the user's
// security version is no longer the one of the *store.User given: the user
// changed since the login authenticated them (a password reset, a
// deactivation, sessions ended). No token was issued; authenticate again.
var ErrStaleUser = errors.New("strategy: the user changed since authenticated")

// Strategy makes, checks and ends access tokens.
type Strategy interface {
	// Read returns the user the token belongs to, or ErrInvalidToken.
	// Other errors are faults (the store is down).
	Read(ctx context.Context, token string) (*store.User, error)
	// Write issues a new token for u.
	Write(ctx context.Context, u *store.User) (string, error)
	// Destroy ends the token (logout): Read refuses it from then on.
	Destroy(ctx context.Context, token string, u *store.User) error
	// Lifetime is how long a token lives.
	Lifetime() time.Duration
}

// SessionEnder is implemented by strategies that can end every session of a
// user at once: when the password changes, or the user is deactivated or
// deleted.
type SessionEnder interface {
	// EndSessions ends every token of the user except keepToken ("" keeps none).
	EndSessions(ctx context.Context, userID uuid.UUID, keepToken string) error
}
