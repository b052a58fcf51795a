// Package hasher turns passwords into stored hashes and checks them.
package hasher

import "errors"

var (
	// ErrUnknownFormat is returned by Verify for a hash it cannot read.
	ErrUnknownFormat = errors.New("hasher: unknown hash format")
	// ErrParamsTooHigh is returned by Verify for a hash whose cost parameters
	// exceed the caps: such a hash is refused rather than computed, so that a
	// planted hash cannot exhaust memory or CPU.
	ErrParamsTooHigh = errors.New("hasher: hash parameters exceed the caps")
)

// Hasher hashes passwords and verifies them against stored hashes.
type Hasher interface {
	// Hash returns the encoded hash of password, with a fresh salt.
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded, and whether encoded
	// should be replaced by Hash(password) because it uses an old format or
	// old parameters.
	Verify(password, encoded string) (match, rehash bool, err error)
}
