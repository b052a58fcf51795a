package hasher

import (
	"errors"

	"golang.org/x/crypto/bcrypt"
)

var errNoCurrent = errors.New("hasher: Fallback needs a current hasher, got nil")

// Fallback returns a Hasher that makes new hashes with current and also
// verifies the formats of the legacy hashers. Verify asks current first
// and, when it answers ErrUnknownFormat, each legacy hasher in turn. A
// match by a legacy hasher always reports rehash, so that stored hashes
// move to current's format one login at a time. Nil legacy hashers are
// skipped; a nil current makes every call fail.
func Fallback(current Hasher, legacy ...Hasher) Hasher {
	f := &fallback{current: current}
	for _, h := range legacy {
		if h != nil {
			f.legacy = append(f.legacy, h)
		}
	}
	return f
}

type fallback struct {
	current Hasher
	legacy  []Hasher
}

func (f *fallback) Hash(password string) (string, error) {
	if f.current == nil {
		return "", errNoCurrent
	}
	return f.current.Hash(password)
}

func (f *fallback) Verify(password, encoded string) (match, rehash bool, err error) {
	if f.current == nil {
		return false, false, errNoCurrent
	}
	match, rehash, err = f.current.Verify(password, encoded)
	if !errors.Is(err, ErrUnknownFormat) {
		return match, rehash, err
	}
	for _, h := range f.legacy {
		m, _, lerr := h.Verify(password, encoded)
		if errors.Is(lerr, ErrUnknownFormat) {
			continue
		}
		return m, m && lerr == nil, lerr
	}
	return false, false, err // current's reason is the most telling
}

// Default returns the Hasher authkit uses when the application names none:
// argon2id with DefaultArgon2Params and DefaultArgon2Caps, falling back to
// bcrypt ($2a$, $2b$, $2y$, cost at most DefaultMaxBcryptCost) for legacy
// hashes, which are rehashed with argon2id after a successful login.
func Default() Hasher {
	// The values are constants known to be valid: build directly rather
	// than through constructors whose errors cannot happen.
	a := &Argon2id{params: defaultArgon2Params(), caps: defaultArgon2Caps()}
	a.maxEncodedLen = encodedLenWithin(a.caps)
	return Fallback(a, &Bcrypt{cost: bcrypt.DefaultCost, maxCost: DefaultMaxBcryptCost})
}
