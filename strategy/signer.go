package strategy

import (
	"bytes"
	"crypto"
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
	// Give every kind of token its own secret. Exactly one of Secret and
	// Keys is required.
	Secret []byte
	// PreviousSecrets are HS256 keys still accepted on verification but
	// never used to sign: during a rotation, the secret that Secret
	// replaced, until the tokens it signed have expired. Each is at least
	// MinSecretLen bytes. Only with Secret.
	PreviousSecrets [][]byte
	// Keys, instead of Secret, sign with a key pair (RS256, ES256 or
	// EdDSA) and verify with several public keys by kid, for rotation.
	Keys *KeySet
	// Audience (aud) of the tokens, required: one kind of token never
	// passes for another ("authkit:auth", "authkit:reset", ...).
	Audience string
	// Issuer, when set, is the iss claim of every token, and tokens
	// without exactly that iss are refused. Services that verify the
	// tokens by the published keys pin it (see PublicKeys).
	Issuer string
	// Lifetime of the tokens; DefaultLifetime when zero.
	Lifetime time.Duration
	// Leeway tolerated on exp, nbf and iat for clock skew between servers;
	// DefaultLeeway when zero.
	Leeway time.Duration
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
}

// Signer signs and verifies the JWTs of one purpose: one audience, one
// signing key, and the algorithm that key implies. Every token it signs
// carries sub, aud, exp, iat and a jti that is a UUIDv7 of the issue time,
// plus the caller's extra claims. Verification pins the algorithm, requires
// every one of those claims and the audience, and never follows the jku,
// jwk, x5u or x5c headers.
//
// With a secret (HS256) the kid header is ignored: the secret, then each
// previous secret, is tried. With a KeySet the kid is required and picks
// the key, whose algorithm the token's alg must be; see KeySet.
//
// It is the only place where authkit handles JWTs: the JWT strategy uses
// it, and so do reset and verification tokens. A Signer is safe for
// concurrent use.
type Signer struct {
	method jwt.SigningMethod // of the signing key
	// HS256: secret signs; hmacKeys, the secret or a jwt.VerificationKeySet
	// of it and the previous ones, verifies.
	secret   []byte
	hmacKeys any
	macs     []*macPool // the secret's, then each previous one's: parseFast
	// Key pairs: private signs, its kid goes in the header; keys verifies.
	private  crypto.Signer
	kid      string
	keys     map[string]publicKey
	audience string
	// audiences is []string{audience}, shared read-only by the claims
	// the fast path decodes (decodeClaims).
	audiences []string
	issuer    string // "": no iss claim
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

// NewSigner returns a Signer, or an error for a missing or invalid key
// (neither or both of Secret and Keys, a secret shorter than MinSecretLen,
// a key KeySet refuses), an empty audience, or a negative lifetime or
// leeway.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	if cfg.Audience == "" {
		return nil, errors.New("strategy: audience is required")
	}
	if cfg.Lifetime < 0 || cfg.Leeway < 0 {
		return nil, errors.New("strategy: lifetime and leeway must not be negative")
	}
	s := &Signer{
		audience:  cfg.Audience,
		audiences: []string{cfg.Audience},
		issuer:    cfg.Issuer,
		lifetime:  cfg.Lifetime,
		leeway:    cfg.Leeway,
		now:       cfg.Now,
	}
	switch {
	case cfg.Keys != nil && (len(cfg.Secret) > 0 || len(cfg.PreviousSecrets) > 0):
		return nil, errors.New("strategy: set either Secret or Keys, not both")
	case cfg.Keys != nil:
		m, keys, err := keysFrom(cfg.Keys)
		if err != nil {
			return nil, fmt.Errorf("strategy: %w", err)
		}
		s.method, s.private, s.kid, s.keys = m, cfg.Keys.SigningKey, cfg.Keys.SigningKeyID, keys
	default:
		if err := s.setSecrets(cfg.Secret, cfg.PreviousSecrets); err != nil {
			return nil, err
		}
	}
	if s.lifetime == 0 {
		s.lifetime = DefaultLifetime
	}
	if s.leeway == 0 {
		s.leeway = DefaultLeeway
	}
	if s.now == nil {
		s.now = time.Now
	}
	algs := []string{s.method.Alg()}
	if s.keys != nil {
		algs = algorithms(s.keys)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(s.audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.leeway),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	}
	if s.issuer != "" {
		opts = append(opts, jwt.WithIssuer(s.issuer))
	}
	s.parser = jwt.NewParser(opts...)
	return s, nil
}

// setSecrets configures HS256.
func (s *Signer) setSecrets(secret []byte, previous [][]byte) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("strategy: secret has %d bytes, at least %d are required (or configure Keys)", len(secret), MinSecretLen)
	}
	// The caller may reuse its slices; the keys must not change under us.
	s.method, s.secret = jwt.SigningMethodHS256, bytes.Clone(secret)
	s.macs = []*macPool{newMACPool(s.secret)}
	if len(previous) == 0 {
		s.hmacKeys = s.secret
		return nil
	}
	set := jwt.VerificationKeySet{Keys: []jwt.VerificationKey{s.secret}}
	for i, p := range previous {
		if len(p) < MinSecretLen {
			return fmt.Errorf("strategy: previous secret %d has %d bytes, at least %d are required", i, len(p), MinSecretLen)
		}
		set.Keys = append(set.Keys, bytes.Clone(p))
		s.macs = append(s.macs, newMACPool(set.Keys[len(set.Keys)-1].([]byte)))
	}
	s.hmacKeys = set
	return nil
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
	now := s.now()
	id, err := newV7(now)
	if err != nil {
		return "", fmt.Errorf("strategy: sign: %w", err)
	}
	return s.signAs(subject, id, now, extra)
}

// signAs is Sign with the token id and issue time chosen by the caller
// (who must record the id before the token exists).
func (s *Signer) signAs(subject string, id uuid.UUID, now time.Time, extra any) (string, error) {
	return s.signUntil(subject, id, now, now.Add(s.lifetime), extra)
}

// signUntil is signAs with the expiry chosen by the caller too.
func (s *Signer) signUntil(subject string, id uuid.UUID, now, exp time.Time, extra any) (string, error) {
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
	if s.issuer != "" {
		claims["iss"] = s.issuer
	}
	claims["sub"] = subject
	claims["aud"] = []string{s.audience}
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	claims["jti"] = id.String()
	tok := jwt.NewWithClaims(s.method, claims)
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	signing, err := tok.SigningString()
	if err != nil {
		return "", fmt.Errorf("strategy: sign: %w", err)
	}
	var sig []byte
	if s.private != nil {
		sig, err = signWith(s.private, s.method, signing)
	} else {
		sig, err = s.method.Sign(signing, s.secret)
	}
	if err != nil {
		return "", fmt.Errorf("strategy: sign: %w", err)
	}
	return signing + "." + tok.EncodeSegment(sig), nil
}

// Parse verifies token and returns its registered claims. extra, when not
// nil, is a pointer into which the payload is also decoded (json tags),
// only once the token is verified. Every failure wraps ErrInvalidToken.
func (s *Signer) Parse(token string, extra any) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLen)
	}
	if extra == nil {
		if c, ok := s.parseFast(token); ok {
			return c, nil
		}
	}
	return s.parseJWT(token, extra)
}

// parseStamp is Parse for an access token, which may carry the security
// version it was issued at (ver): nil when it does not. The fast path
// reads it too.
func (s *Signer) parseStamp(token string) (Claims, *int64, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLen)
	}
	if c, v, ok := s.parseFastStamp(token); ok {
		if !v.set {
			return c, nil, nil
		}
		return c, &v.n, nil
	}
	var sc stampClaims
	c, err := s.parseJWT(token, &sc)
	return c, sc.Version, err
}

// parseJWT is Parse through golang-jwt: every token, every error.
func (s *Signer) parseJWT(token string, extra any) (Claims, error) {
	var v verified
	// Without extra claims to read, the raw payload is not kept: the
	// registered claims are decoded once (every access-token read).
	var dst jwt.Claims = &v
	if extra == nil {
		dst = &v.RegisteredClaims
	}
	if _, err := s.parser.ParseWithClaims(token, dst, s.key); err != nil {
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

// key is the jwt.Keyfunc. With a secret it returns the secrets whatever
// the header says; with key pairs, the key the kid names, provided the
// token's algorithm is that key's. jku, jwk, x5u and x5c are never followed.
func (s *Signer) key(t *jwt.Token) (any, error) {
	// RFC 7515 §4.1.11: extensions marked critical that we do not know
	// (all of them) make the token invalid.
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("critical header extensions are not supported")
	}
	if s.keys == nil {
		// WithValidMethods already pinned the algorithm; checking the
		// method object too guards against a look-alike registered
		// under the same name.
		if t.Method != s.method {
			return nil, fmt.Errorf("unexpected algorithm %v", t.Header["alg"])
		}
		return s.hmacKeys, nil
	}
	kid, _ := t.Header["kid"].(string)
	k, ok := s.keys[kid]
	switch {
	case kid == "":
		return nil, errors.New("no key id (kid)")
	case !ok:
		return nil, errors.New("unknown key id (kid)")
	case t.Method != k.method: // RFC 8725 §3.1: one algorithm per key
		return nil, fmt.Errorf("algorithm %v does not match the %s key of that kid", t.Header["alg"], k.method.Alg())
	case !k.until.IsZero() && !s.now().Before(k.until):
		return nil, errors.New("the key of that kid is retired")
	}
	return k.key, nil
}

// registered checks what the parser does not: exactly our audience, a
// subject, an iat, and a jti that is a UUIDv7 of the same second as iat.
func (s *Signer) registered(rc *jwt.RegisteredClaims) (Claims, error) {
	var iat time.Time
	if rc.IssuedAt != nil {
		iat = rc.IssuedAt.Time
	}
	return s.checkClaims(rc.Audience, rc.Subject, rc.ID, iat, rc.IssuedAt != nil, rc.ExpiresAt.Time)
}

// checkClaims is registered on the claims as values (parseFast's, which
// then stay off the heap).
func (s *Signer) checkClaims(aud []string, sub, id string, iat time.Time, hasIat bool, exp time.Time) (Claims, error) {
	switch {
	case len(aud) != 1 || aud[0] != s.audience:
		return Claims{}, errors.New("audience is not exactly " + s.audience)
	case sub == "":
		return Claims{}, errors.New("no subject")
	case !hasIat:
		return Claims{}, errors.New("no issue time")
	}
	issued, ok := v7Time(id)
	if !ok {
		return Claims{}, errors.New("jti is not a UUIDv7")
	}
	if issued.Unix() != iat.Unix() {
		return Claims{}, errors.New("jti and iat disagree")
	}
	return Claims{Subject: sub, ID: id, IssuedAt: issued, ExpiresAt: exp}, nil
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
	if !canonicalUUID(id) {
		return time.Time{}, false
	}
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
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

// canonicalUUID reports whether s is a UUID in canonical form: 36
// characters, lower-case hex, hyphens at 8, 13, 18 and 23.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
