package strategy

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	// MinSecretLen is the shortest HMAC secret accepted: 256 bits, the
	// output size of SHA-256 (RFC 7518 §3.2).
	MinSecretLen = 32
	// DefaultLifetime is how long tokens live when no lifetime is configured.
	DefaultLifetime = time.Hour
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
	DefaultLeeway = 10 * time.Second
	// MaxTokenLen bounds the tokens accepted: longer ones are refused before
	// any parsing, so that a huge header costs nothing.
	MaxTokenLen = 8 << 10
)

// reservedClaims are set by the Signer only: extra claims may not name them.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// SignerConfig configures a Signer.
type SignerConfig struct {
	// Secret is the HS256 key, at least MinSecretLen bytes of random data.
	// Give every kind of token its own secret.
	Secret []byte
	// Audience (aud) of the tokens, required: one kind of token never
	// passes for another ("authkit:auth", "authkit:reset", ...).
	Audience string
	// Lifetime of the tokens; DefaultLifetime when zero.
	Lifetime time.Duration
	// Leeway tolerated on exp, nbf and iat for clock skew between servers;
	// DefaultLeeway when zero.
	Leeway time.Duration
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
}

// Signer signs and verifies the JWTs of one purpose: one audience, one key,
// one algorithm. Every token it signs carries sub, aud, exp, iat and a jti
// that is a UUIDv7 of the issue time, plus the caller's extra claims.
// Verification pins the algorithm, requires every one of those claims and
// the audience, and never looks at the kid, jku, jwk or x5u headers.
//
// It is the only place where authkit handles JWTs: the JWT strategy uses
// it, and so do reset and verification tokens. A Signer is safe for
// concurrent use.
type Signer struct {
	// method and the keys are fields, not constants, so that asymmetric
	// algorithms (RS256, ES256, EdDSA) can be added with key pairs.
	method    jwt.SigningMethod
	signKey   any
	verifyKey any
	audience  string
	lifetime  time.Duration
	leeway    time.Duration
	now       func() time.Time
	parser    *jwt.Parser
}

// Claims are the registered claims of a token a Signer verified.
type Claims struct {
	Subject string // sub
	ID      string // jti, a UUIDv7
	// IssuedAt is the issue time to the microsecond, read from ID: the
	// iat claim has whole seconds only.
	IssuedAt  time.Time
	ExpiresAt time.Time // exp
}

// NewSigner returns a Signer, or an error for a secret shorter than
// MinSecretLen, an empty audience, or a negative lifetime or leeway.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("strategy: secret has %d bytes, at least %d are required", len(cfg.Secret), MinSecretLen)
	}
	if cfg.Audience == "" {
		return nil, errors.New("strategy: audience is required")
	}
	if cfg.Lifetime < 0 || cfg.Leeway < 0 {
		return nil, errors.New("strategy: lifetime and leeway must not be negative")
	}
	s := &Signer{
		method:   jwt.SigningMethodHS256,
		audience: cfg.Audience,
		lifetime: cfg.Lifetime,
		leeway:   cfg.Leeway,
		now:      cfg.Now,
	}
	// The caller may reuse its slice; the key must not change under us.
	key := bytes.Clone(cfg.Secret)
	s.signKey, s.verifyKey = key, key
	if s.lifetime == 0 {
		s.lifetime = DefaultLifetime
	}
	if s.leeway == 0 {
		s.leeway = DefaultLeeway
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{s.method.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(s.audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.leeway),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	)
	return s, nil
}

// Audience returns the audience of the Signer's tokens.
func (s *Signer) Audience() string { return s.audience }

// Lifetime returns how long the Signer's tokens live.
func (s *Signer) Lifetime() time.Duration { return s.lifetime }

// Leeway returns the clock skew tolerated on verification.
func (s *Signer) Leeway() time.Duration { return s.leeway }

// Sign returns a token for subject (non-empty) that expires after the
// lifetime. extra, when not nil, holds more claims: a struct with JSON tags
// or a map, encoding to a JSON object that must not name a registered claim
// (iss, sub, aud, exp, nbf, iat, jti).
func (s *Signer) Sign(subject string, extra any) (string, error) {
	if subject == "" {
		return "", errors.New("strategy: sign: empty subject")
	}
	claims := jwt.MapClaims{}
	if extra != nil {
		b, err := json.Marshal(extra)
		if err != nil {
			return "", fmt.Errorf("strategy: sign: extra claims: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // keep big integers exact
		if err := dec.Decode(&claims); err != nil || claims == nil {
			return "", errors.New("strategy: sign: extra claims must encode to a JSON object")
		}
		for _, name := range reservedClaims {
			if _, ok := claims[name]; ok {
				return "", fmt.Errorf("strategy: sign: extra claims may not set %q", name)
			}
		}
	}
	now := s.now()
	id, err := newV7(now)
	if err != nil {
		return "", fmt.Errorf("strategy: sign: %w", err)
	}
	claims["sub"] = subject
	claims["aud"] = []string{s.audience}
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(s.lifetime).Unix()
	claims["jti"] = id.String()
	tok, err := jwt.NewWithClaims(s.method, claims).SignedString(s.signKey)
	if err != nil {
		return "", fmt.Errorf("strategy: sign: %w", err)
	}
	return tok, nil
}

// Parse verifies token and returns its registered claims. extra, when not
// nil, is a pointer into which the payload is also decoded (json tags),
// only once the token is verified. Every failure wraps ErrInvalidToken.
func (s *Signer) Parse(token string, extra any) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLen)
	}
	var v verified
	if _, err := s.parser.ParseWithClaims(token, &v, s.key); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c, err := s.registered(&v.RegisteredClaims)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if extra != nil {
		if err := json.Unmarshal(v.raw, extra); err != nil {
			return Claims{}, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
		}
	}
	return c, nil
}

// key is the jwt.Keyfunc. It returns the one configured key whatever the
// header says: kid, jku, jwk and x5u are never followed.
func (s *Signer) key(t *jwt.Token) (any, error) {
	// WithValidMethods already pinned the algorithm; checking the method
	// object too keeps a future second method from mixing up keys.
	if t.Method != s.method {
		return nil, fmt.Errorf("unexpected algorithm %v", t.Header["alg"])
	}
	// RFC 7515 §4.1.11: extensions marked critical that we do not know
	// (all of them) make the token invalid.
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("critical header extensions are not supported")
	}
	return s.verifyKey, nil
}

// registered checks what the parser does not: exactly our audience, a
// subject, an iat, and a jti that is a UUIDv7 of the same second as iat.
func (s *Signer) registered(rc *jwt.RegisteredClaims) (Claims, error) {
	switch {
	case len(rc.Audience) != 1 || rc.Audience[0] != s.audience:
		return Claims{}, errors.New("audience is not exactly " + s.audience)
	case rc.Subject == "":
		return Claims{}, errors.New("no subject")
	case rc.IssuedAt == nil:
		return Claims{}, errors.New("no issue time")
	}
	issued, ok := v7Time(rc.ID)
	if !ok {
		return Claims{}, errors.New("jti is not a UUIDv7")
	}
	if issued.Unix() != rc.IssuedAt.Unix() {
		return Claims{}, errors.New("jti and iat disagree")
	}
	return Claims{
		Subject:   rc.Subject,
		ID:        rc.ID,
		IssuedAt:  issued,
		ExpiresAt: rc.ExpiresAt.Time,
	}, nil
}

// verified receives the payload: the registered claims, and the raw JSON
// for the caller's extra claims.
type verified struct {
	jwt.RegisteredClaims
	raw []byte
}

func (v *verified) UnmarshalJSON(b []byte) error {
	v.raw = bytes.Clone(b)
	return json.Unmarshal(b, &v.RegisteredClaims)
}

// newV7 returns a UUIDv7 (RFC 9562 §5.7) for time t, to the microsecond:
// the 48-bit field holds the Unix milliseconds and the 12-bit rand_a field
// the microseconds within that millisecond (0-999; RFC 9562 §6.2, method
// 3), the rest is random. uuid.NewV7 would read the wall clock itself and
// keep sub-millisecond time in another form; the id must carry the Signer's
// clock, which iat and the revocation cut-offs use too, at the precision
// the stores keep (microseconds).
func newV7(t time.Time) (uuid.UUID, error) {
	var u uuid.UUID
	if _, err := rand.Read(u[:]); err != nil {
		return u, err
	}
	ms := t.UnixMilli()
	us := t.UnixMicro() - ms*1000
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	copy(u[:6], b[2:])
	u[6] = 0x70 | byte(us>>8)&0x0f // version 7, high bits of the microseconds
	u[7] = byte(us)
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u, nil
}

// v7Time returns the time, to the microsecond, of id as written by newV7;
// id must be a UUIDv7 in canonical form (lowercase, hyphenated).
func v7Time(id string) (time.Time, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != id {
		return time.Time{}, false
	}
	var b [8]byte
	copy(b[2:], u[:6])
	ms := int64(binary.BigEndian.Uint64(b[:]))
	us := int64(u[6]&0x0f)<<8 | int64(u[7])
	if us > 999 {
		return time.Time{}, false
	}
	return time.UnixMicro(ms*1000 + us), true
}
