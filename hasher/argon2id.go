package hasher

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost parameters of argon2id. The same type states
// the caps: the largest values Verify accepts from a stored hash.
type Argon2Params struct {
	Memory      uint32 // KiB
	Iterations  uint32 // passes over the memory (t)
	Parallelism uint8  // lanes (p)
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes of derived key
}

// DefaultArgon2Params are the parameters the OWASP Password Storage Cheat
// Sheet recommends: m=19 MiB, t=2, p=1, a 16-byte salt and a 32-byte key.
var DefaultArgon2Params = defaultArgon2Params()

// DefaultArgon2Caps are the largest parameters Verify accepts from a stored
// hash unless WithArgon2Caps says otherwise. They admit the argon2-cffi and
// pwdlib defaults (m=64 MiB, t=3, p=4).
var DefaultArgon2Caps = defaultArgon2Caps()

func defaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func defaultArgon2Caps() Argon2Params {
	return Argon2Params{Memory: 64 * 1024, Iterations: 16, Parallelism: 8, SaltLength: 64, KeyLength: 128}
}

// Floors for the hashes this package makes; RFC 9106 floors (8-byte salt,
// 4-byte tag) for the hashes it reads, so that older hashes still verify
// while an empty key — which would match every password — never does.
const (
	minNewSaltLength  = 16
	minNewKeyLength   = 16
	minReadSaltLength = 8
	minReadKeyLength  = 4
)

// Argon2Option configures NewArgon2id.
type Argon2Option func(*Argon2id)

// WithArgon2Caps replaces DefaultArgon2Caps: Verify refuses, with
// ErrParamsTooHigh and before computing anything, a hash whose memory,
// iterations, parallelism, salt or key length exceed caps.
func WithArgon2Caps(caps Argon2Params) Argon2Option {
	return func(a *Argon2id) { a.caps = caps }
}

// Argon2id hashes passwords with argon2id and stores them as PHC strings,
// $argon2id$v=19$m=...,t=...,p=...$salt$key, the format of the reference
// implementation, argon2-cffi and pwdlib. It is safe for concurrent use.
type Argon2id struct {
	params Argon2Params
	caps   Argon2Params
	// maxEncodedLen is the length of the longest string within the caps:
	// anything longer is refused before it is decoded.
	maxEncodedLen int
}

// NewArgon2id returns an argon2id hasher with the parameters p, checked
// against RFC 9106 and the caps.
func NewArgon2id(p Argon2Params, opts ...Argon2Option) (*Argon2id, error) {
	a := &Argon2id{params: p, caps: defaultArgon2Caps()}
	for _, o := range opts {
		o(a)
	}
	switch {
	case p.Iterations < 1:
		return nil, errors.New("hasher: argon2id iterations must be at least 1")
	case p.Parallelism < 1:
		return nil, errors.New("hasher: argon2id parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism):
		return nil, fmt.Errorf("hasher: argon2id memory must be at least 8 KiB per lane (%d KiB)", 8*uint32(p.Parallelism))
	case p.SaltLength < minNewSaltLength:
		return nil, fmt.Errorf("hasher: argon2id salt must be at least %d bytes", minNewSaltLength)
	case p.KeyLength < minNewKeyLength:
		return nil, fmt.Errorf("hasher: argon2id key must be at least %d bytes", minNewKeyLength)
	}
	c := a.caps
	if p.Memory > c.Memory || p.Iterations > c.Iterations || p.Parallelism > c.Parallelism ||
		p.SaltLength > c.SaltLength || p.KeyLength > c.KeyLength {
		// The hasher could not verify its own hashes.
		return nil, fmt.Errorf("hasher: argon2id parameters %+v exceed the caps %+v", p, c)
	}
	a.maxEncodedLen = encodedLenWithin(c)
	return a, nil
}

// encodedLenWithin is the length of the longest PHC string within caps.
func encodedLenWithin(caps Argon2Params) int {
	return len("$argon2id$v=19$m=4294967295,t=4294967295,p=255$$") +
		base64.RawStdEncoding.EncodedLen(int(caps.SaltLength)) +
		base64.RawStdEncoding.EncodedLen(int(caps.KeyLength))
}

// Params returns the parameters new hashes are made with.
func (a *Argon2id) Params() Argon2Params { return a.params }

// Hash returns the PHC string of password with a fresh random salt.
func (a *Argon2id) Hash(password string) (string, error) {
	p := a.params
	h, err := argon2id.CreateHash(password, &argon2id.Params{
		Memory: p.Memory, Iterations: p.Iterations, Parallelism: p.Parallelism,
		SaltLength: p.SaltLength, KeyLength: p.KeyLength,
	})
	if err != nil {
		return "", fmt.Errorf("hasher: argon2id: %w", err)
	}
	return h, nil
}

// Verify reports whether password matches the argon2id PHC string encoded.
// rehash is true on a match when the hash's memory, iterations, parallelism
// or key length differ from the hasher's. Any other variant or format gives
// ErrUnknownFormat; parameters above the caps give ErrParamsTooHigh, and
// then nothing has been computed.
func (a *Argon2id) Verify(password, encoded string) (match, rehash bool, err error) {
	p, salt, key, err := a.decode(encoded)
	if err != nil {
		return false, false, err
	}
	other := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	if subtle.ConstantTimeCompare(key, other) != 1 {
		return false, false, nil
	}
	own := a.params
	rehash = p.Memory != own.Memory || p.Iterations != own.Iterations ||
		p.Parallelism != own.Parallelism || p.KeyLength != own.KeyLength
	return true, rehash, nil
}

// decode parses encoded strictly and checks it against RFC 9106 and the
// caps. Its allocations are bounded by maxEncodedLen.
func (a *Argon2id) decode(encoded string) (p Argon2Params, salt, key []byte, err error) {
	if !strings.HasPrefix(encoded, "$argon2id$") {
		return p, nil, nil, ErrUnknownFormat
	}
	if len(encoded) > a.maxEncodedLen {
		return p, nil, nil, fmt.Errorf("%w: argon2id hash of %d bytes", ErrParamsTooHigh, len(encoded))
	}
	lp, salt, key, err := argon2id.DecodeHash(encoded)
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: argon2id: %v", ErrUnknownFormat, err)
	}
	p = Argon2Params{
		Memory: lp.Memory, Iterations: lp.Iterations, Parallelism: lp.Parallelism,
		SaltLength: lp.SaltLength, KeyLength: lp.KeyLength,
	}
	// DecodeHash scans with fmt, which tolerates signs, spaces and trailing
	// fields (",data=..." that it would silently drop); only the canonical
	// form is accepted.
	canonical := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if canonical != encoded {
		return p, nil, nil, fmt.Errorf("%w: argon2id hash not in canonical PHC form", ErrUnknownFormat)
	}
	switch {
	case p.Iterations < 1 || p.Parallelism < 1 || p.Memory < 8*uint32(p.Parallelism):
		return p, nil, nil, fmt.Errorf("%w: argon2id parameters m=%d,t=%d,p=%d out of range", ErrUnknownFormat, p.Memory, p.Iterations, p.Parallelism)
	case p.SaltLength < minReadSaltLength || p.KeyLength < minReadKeyLength:
		return p, nil, nil, fmt.Errorf("%w: argon2id salt or key too short", ErrUnknownFormat)
	}
	c := a.caps
	if p.Memory > c.Memory || p.Iterations > c.Iterations || p.Parallelism > c.Parallelism ||
		p.SaltLength > c.SaltLength || p.KeyLength > c.KeyLength {
		return p, nil, nil, fmt.Errorf("%w: argon2id m=%d,t=%d,p=%d, salt %d, key %d",
			ErrParamsTooHigh, p.Memory, p.Iterations, p.Parallelism, p.SaltLength, p.KeyLength)
	}
	return p, salt, key, nil
}
