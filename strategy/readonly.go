package strategy

import "errors"

// ErrReadOnly is returned by Write and Destroy of a strategy that only
// verifies tokens another service issued (strategy/jwks): such a backend
// has no login or logout.
var ErrReadOnly = errors.New("strategy: this strategy verifies tokens of another issuer; it cannot issue or end them")

// ReadOnly is implemented by strategies that only verify tokens: their
// Write and Destroy fail with ErrReadOnly, and authkit mounts no login,
// logout or refresh routes for them.
type ReadOnly interface {
	Strategy
	// ReadOnly reports whether the strategy only verifies tokens.
	ReadOnly() bool
}
