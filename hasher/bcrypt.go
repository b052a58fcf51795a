package hasher

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultMaxBcryptCost is the highest bcrypt cost Verify accepts unless
// WithMaxBcryptCost says otherwise: cost 16 is already several seconds of
// CPU per attempt.
const DefaultMaxBcryptCost = 16

// BcryptOption configures NewBcrypt.
type BcryptOption func(*Bcrypt)

// WithMaxBcryptCost replaces DefaultMaxBcryptCost: Verify refuses, with
// ErrParamsTooHigh and before computing anything, a hash of a higher cost.
func WithMaxBcryptCost(cost int) BcryptOption {
	return func(b *Bcrypt) { b.maxCost = cost }
}

// Bcrypt verifies bcrypt hashes ($2a$, $2b$ and $2y$, as made by passlib,
// pwdlib, PHP and others), so that accounts from a legacy system can log in
// and be rehashed. It can also make bcrypt hashes, though argon2id is what
// new hashes should use. It is safe for concurrent use.
//
// bcrypt reads at most 72 bytes of a password: Hash refuses longer
// passwords, while Verify, like the implementations that made the legacy
// hashes, ignores what comes after the 72nd byte.
type Bcrypt struct {
	cost    int
	maxCost int
}

// NewBcrypt returns a bcrypt hasher of the given cost (4 to 31, and at most
// the maximum cost).
func NewBcrypt(cost int, opts ...BcryptOption) (*Bcrypt, error) {
	b := &Bcrypt{cost: cost, maxCost: DefaultMaxBcryptCost}
	for _, o := range opts {
		o(b)
	}
	if b.maxCost < bcrypt.MinCost || b.maxCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("hasher: bcrypt maximum cost %d outside %d..%d", b.maxCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cost < bcrypt.MinCost || cost > b.maxCost {
		return nil, fmt.Errorf("hasher: bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, b.maxCost)
	}
	return b, nil
}

// Hash returns a $2a$ bcrypt hash of password, which must be at most 72
// bytes long.
func (b *Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.cost)
	if err != nil {
		return "", fmt.Errorf("hasher: bcrypt: %w", err)
	}
	return string(h), nil
}

// Verify reports whether password matches the bcrypt hash encoded. rehash
// is true on a match when the hash's cost differs from the hasher's.
// $2x$ and other variants give ErrUnknownFormat; a cost above the maximum
// gives ErrParamsTooHigh, and then nothing has been computed.
func (b *Bcrypt) Verify(password, encoded string) (match, rehash bool, err error) {
	cost, err := parseBcrypt(encoded)
	if err != nil {
		return false, false, err
	}
	if cost > b.maxCost {
		return false, false, fmt.Errorf("%w: bcrypt cost %d", ErrParamsTooHigh, cost)
	}
	h := []byte(encoded)
	if h[2] == 'y' {
		// $2y$ is PHP's name for $2b$ (the fixed algorithm); x/crypto only
		// promises to read $2a$ and $2b$.
		h[2] = 'b'
	}
	err = bcrypt.CompareHashAndPassword(h, []byte(password))
	switch {
	case err == nil:
		return true, cost != b.cost, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, false, nil
	default:
		return false, false, fmt.Errorf("%w: bcrypt: %v", ErrUnknownFormat, err)
	}
}

// parseBcrypt checks the modular crypt form $2b$NN$<53 characters> and
// returns the cost, without computing anything.
func parseBcrypt(s string) (cost int, err error) {
	const size = 60 // "$2b$" + 2 digits + "$" + 22 salt + 31 hash characters
	if len(s) != size || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return 0, ErrUnknownFormat
	}
	switch s[2] {
	case 'a', 'b', 'y':
	default:
		// $2x$ marks hashes from the buggy crypt_blowfish; computing them as
		// $2a$ would give wrong answers for 8-bit passwords.
		return 0, fmt.Errorf("%w: bcrypt variant $2%c$", ErrUnknownFormat, s[2])
	}
	if !isDigit(s[4]) || !isDigit(s[5]) {
		return 0, fmt.Errorf("%w: bcrypt cost %q", ErrUnknownFormat, s[4:6])
	}
	cost = int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return 0, fmt.Errorf("%w: bcrypt cost %d", ErrUnknownFormat, cost)
	}
	for i := 7; i < size; i++ {
		if !isBcryptBase64(s[i]) {
			return 0, fmt.Errorf("%w: bcrypt hash has a byte outside its alphabet", ErrUnknownFormat)
		}
	}
	return cost, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isBcryptBase64 reports whether c is in bcrypt's base64 alphabet, ./A-Za-z0-9.
func isBcryptBase64(c byte) bool {
	return c == '.' || c == '/' || isDigit(c) || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}
