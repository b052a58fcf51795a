// Package jwks is a read-only strategy for resource servers: it verifies
// access tokens that another service issued — better-auth, an OpenID
// Connect provider, another authkit — by that issuer's published keys
// (JWKS, RFC 7517), and maps each token to a user so that authkit's
// CurrentUser, CurrentActiveUser and UserFrom work unchanged.
//
// Verification pins the issuer and the audience, requires exp, allows
// only the configured asymmetric algorithms (never none, never an HMAC:
// a public key is no secret), requires a kid, and checks that the key the
// kid names is of the token's algorithm. The key set is fetched from the
// discovery document or a JWKS URL at New, kept as long as its
// Cache-Control says (within MinRefreshInterval and MaxCacheAge), and
// fetched again for an unknown kid — at most once per MinRefreshInterval,
// so that a flood of tokens with random kids does not make it fetch.
//
// JWK parsing and key selection are github.com/MicahParks/keyfunc/v3 over
// github.com/MicahParks/jwkset; fetching and caching are here, because
// jwkset's HTTP storage refreshes on a fixed timer and ignores
// Cache-Control.
package jwks

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Defaults of Config.
const (
	// DefaultMinRefreshInterval is the least time between two fetches of
	// the key set.
	DefaultMinRefreshInterval = time.Minute
	// DefaultMaxCacheAge is the longest a key set is used without being
	// fetched again, whatever its Cache-Control says.
	DefaultMaxCacheAge = time.Hour
	// DefaultFetchTimeout bounds one fetch of a document.
	DefaultFetchTimeout = 10 * time.Second
	// MaxDocumentBytes bounds the documents read from the issuer.
	MaxDocumentBytes = 1 << 20
)

// DefaultAlgorithms are the algorithms accepted when Config.Algorithms is
// empty.
var DefaultAlgorithms = []string{"RS256", "ES256", "EdDSA"}

// supported are the algorithms that may be allowed: asymmetric ones, each
// with the key type it must be verified with.
var supported = map[string]func(any) bool{
	"RS256": isRSA, "RS384": isRSA, "RS512": isRSA,
	"PS256": isRSA, "PS384": isRSA, "PS512": isRSA,
	"ES256": isEC(elliptic.P256()), "ES384": isEC(elliptic.P384()), "ES512": isEC(elliptic.P521()),
	"EdDSA": func(k any) bool { _, ok := k.(ed25519.PublicKey); return ok },
}

func isRSA(k any) bool {
	r, ok := k.(*rsa.PublicKey)
	return ok && r.N != nil && r.N.BitLen() >= strategy.MinRSABits
}

func isEC(c elliptic.Curve) func(any) bool {
	return func(k any) bool {
		e, ok := k.(*ecdsa.PublicKey)
		return ok && e.Curve == c
	}
}

// Config configures a Strategy.
type Config struct {
	// Issuer is the iss every token must carry, exactly. Required. Without
	// JWKSURL the keys are found through its discovery document,
	// Issuer + "/.well-known/openid-configuration", whose issuer must be
	// Issuer too.
	Issuer string
	// Audience is the aud every token must contain: this service. Required.
	Audience string
	// JWKSURL, when set, is where the key set is, instead of the
	// discovery document's jwks_uri (better-auth: <base>/api/auth/jwks).
	JWKSURL string
	// Algorithms allowed; DefaultAlgorithms when empty. Only RS*, PS*,
	// ES256/384/512 and EdDSA may be named.
	Algorithms []string
	// MinRefreshInterval is the least time between two fetches;
	// DefaultMinRefreshInterval when zero.
	MinRefreshInterval time.Duration
	// MaxCacheAge caps the Cache-Control max-age; DefaultMaxCacheAge when zero.
	MaxCacheAge time.Duration
	// Leeway tolerated on exp and nbf; strategy.DefaultLeeway when zero.
	Leeway time.Duration
	// HTTPClient fetches the documents; nil means one with
	// DefaultFetchTimeout.
	HTTPClient *http.Client

	// Users, for the default mapping: the token's sub is looked up as a
	// linked account of provider Provider in the store's OAuth accounts
	// (it must implement store.OAuthAccountStore); a token of an account
	// that is not linked is refused, unless Provision. Required unless
	// Stateless.
	Users store.UserStore
	// Provider names the issuer in the OAuth accounts table; Issuer when
	// empty.
	Provider string
	// Provision creates, on the first token of an unlinked account, a
	// local user from the email and email-verified claims, and links it.
	// An email that is a local account's already is linked to it only when
	// both the token and the local account say it is verified; otherwise
	// the token is refused. Provisioned users have no password.
	Provision bool
	// Claims names the claims read for provisioning and Stateless.
	Claims Claims
	// Stateless, for a service without a user store: Read returns a user
	// built from the claims (see Stateless). Users must then be nil.
	Stateless *Stateless

	// Logger receives fetch failures and refusals worth knowing; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
}

// Claims names the claims that describe the user.
type Claims struct {
	// Email is "email" when empty.
	Email string
	// EmailVerified, a boolean, is "email_verified" when empty
	// (better-auth: "emailVerified").
	EmailVerified string
}

// Stateless configures users built from the claims: ID a UUIDv5 of issuer
// and sub (stable, not a local user's), Email and IsVerified from
// Config.Claims, IsActive always (a token is only issued to an active
// user), IsSuperuser from Superuser, and Fields holding sub and the
// claims named in Fields.
type Stateless struct {
	// Superuser, when its Claim is set, makes IsSuperuser true for tokens
	// whose claim is true, equals Value, or is an array containing Value.
	Superuser ClaimMatch
	// Fields are further claims copied into User.Fields, by name.
	Fields []string
}

// ClaimMatch tests one claim.
type ClaimMatch struct {
	Claim string // "" matches nothing
	Value string // "" means the boolean true
}

func (m ClaimMatch) matches(claims jwt.MapClaims) bool {
	if m.Claim == "" {
		return false
	}
	switch v := claims[m.Claim].(type) {
	case bool:
		return m.Value == "" && v
	case string:
		return m.Value != "" && v == m.Value
	case []any:
		return m.Value != "" && slices.Contains(v, any(m.Value))
	}
	return false
}

// Strategy verifies the access tokens of one issuer. It is safe for
// concurrent use.
type Strategy struct {
	cfg      Config
	jwksURL  string
	parser   *jwt.Parser
	allowed  map[string]func(any) bool
	links    store.OAuthAccountStore
	log      *slog.Logger
	keys     *jwkset.MemoryJWKSet
	keyfunc  keyfunc.Keyfunc
	fetchMu  sync.Mutex // one fetch at a time
	mu       sync.Mutex // guards fetched and expires
	fetched  time.Time  // of the last fetch attempt
	expires  time.Time  // when the keys held are stale
	provider string
}

var (
	_ strategy.Strategy = (*Strategy)(nil)
	_ strategy.ReadOnly = (*Strategy)(nil)
)

// New checks cfg and fetches the issuer's keys once: an unreachable issuer
// or a broken key set is an error here, not a refusal of every request.
func New(ctx context.Context, cfg Config) (*Strategy, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("jwks: Issuer and Audience are required")
	}
	if cfg.MinRefreshInterval < 0 || cfg.MaxCacheAge < 0 || cfg.Leeway < 0 {
		return nil, errors.New("jwks: MinRefreshInterval, MaxCacheAge and Leeway must not be negative")
	}
	cfg.MinRefreshInterval = cmp.Or(cfg.MinRefreshInterval, DefaultMinRefreshInterval)
	cfg.MaxCacheAge = max(cmp.Or(cfg.MaxCacheAge, DefaultMaxCacheAge), cfg.MinRefreshInterval)
	cfg.Leeway = cmp.Or(cfg.Leeway, strategy.DefaultLeeway)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultFetchTimeout}
	}
	s := &Strategy{cfg: cfg, jwksURL: cfg.JWKSURL, allowed: map[string]func(any) bool{}, log: cfg.Logger,
		keys: jwkset.NewMemoryStorage(), provider: cmp.Or(cfg.Provider, cfg.Issuer)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	for _, a := range algs {
		check, ok := supported[a]
		if !ok {
			return nil, fmt.Errorf("jwks: algorithm %q is not allowed: only asymmetric ones (RS*, PS*, ES*, EdDSA), never none or HMAC", a)
		}
		s.allowed[a] = check
	}
	switch {
	case cfg.Stateless != nil && cfg.Users != nil:
		return nil, errors.New("jwks: Stateless builds users from the claims: set either Users or Stateless")
	case cfg.Stateless != nil && cfg.Provision:
		return nil, errors.New("jwks: Provision needs Users, not Stateless")
	case cfg.Stateless == nil:
		links, ok := cfg.Users.(store.OAuthAccountStore)
		if !ok {
			return nil, errors.New("jwks: Users (implementing store.OAuthAccountStore) is required unless Stateless")
		}
		s.links = links
	}
	var err error
	if s.keyfunc, err = keyfunc.New(keyfunc.Options{Storage: s.keys, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}}); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods(slices.Sorted(maps.Keys(s.allowed))),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(),
	)
	if s.jwksURL == "" {
		if s.jwksURL, err = s.discover(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.fetch(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Lifetime is 0: the issuer decides how long its tokens live.
func (s *Strategy) Lifetime() time.Duration { return 0 }

// ReadOnly reports true: see strategy.ReadOnly.
func (s *Strategy) ReadOnly() bool { return true }

// Write fails: the issuer issues the tokens.
func (s *Strategy) Write(context.Context, *store.User) (string, error) {
	return "", strategy.ErrReadOnly
}

// Destroy fails: the issuer ends the tokens.
func (s *Strategy) Destroy(context.Context, string, *store.User) error { return strategy.ErrReadOnly }

// Read verifies token and returns its user; ErrInvalidToken for a token
// that is malformed, forged, of another issuer or audience, expired,
// signed with a key the issuer does not publish, or of no (linkable)
// user. Other errors are faults (the store).
func (s *Strategy) Read(ctx context.Context, token string) (*store.User, error) {
	if len(token) > strategy.MaxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", strategy.ErrInvalidToken, strategy.MaxTokenLen)
	}
	claims := jwt.MapClaims{}
	if _, err := s.parser.ParseWithClaims(token, claims, s.key(ctx)); err != nil {
		return nil, fmt.Errorf("%w: %w", strategy.ErrInvalidToken, err)
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return nil, fmt.Errorf("%w: no subject", strategy.ErrInvalidToken)
	}
	if s.cfg.Stateless != nil {
		return s.statelessUser(sub, claims), nil
	}
	return s.linkedUser(ctx, sub, claims)
}

// key is the jwt.Keyfunc: the key of the token's kid, refreshed once if
// unknown, provided that its type is the one the (allowed) alg needs.
func (s *Strategy) key(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errors.New("critical header extensions are not supported")
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no key id (kid)")
		}
		alg, _ := t.Header["alg"].(string)
		check, ok := s.allowed[alg]
		if !ok {
			return nil, fmt.Errorf("algorithm %q is not allowed", alg)
		}
		s.refreshFor(ctx, kid)
		k, err := s.keyfunc.KeyfuncCtx(ctx)(t)
		if err != nil {
			return nil, err
		}
		// RFC 8725 §3.1: the key decides the algorithm. A JWK without alg
		// still has a type, which must be the alg's.
		if !check(k) {
			return nil, fmt.Errorf("the key of kid %q is not a key for %s", kid, alg)
		}
		return k, nil
	}
}

// refreshFor fetches the key set again when it is stale, or when it does
// not hold kid — unless it was fetched less than MinRefreshInterval ago.
func (s *Strategy) refreshFor(ctx context.Context, kid string) {
	now := s.cfg.Now()
	s.mu.Lock()
	stale, recent := !now.Before(s.expires), now.Sub(s.fetched) < s.cfg.MinRefreshInterval
	s.mu.Unlock()
	if recent {
		return
	}
	if !stale {
		if _, err := s.keys.KeyRead(ctx, kid); err == nil {
			return
		}
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.Lock()
	recent = s.cfg.Now().Sub(s.fetched) < s.cfg.MinRefreshInterval // another fetched meanwhile
	s.mu.Unlock()
	if recent {
		return
	}
	if err := s.fetch(ctx); err != nil {
		// The keys held keep working: an issuer that is briefly down
		// does not log everyone out.
		s.log.WarnContext(ctx, "jwks: fetching the key set failed", "url", s.jwksURL, "error", err)
	}
}

// fetch gets the key set and replaces the keys held.
func (s *Strategy) fetch(ctx context.Context) error {
	s.mu.Lock()
	s.fetched = s.cfg.Now()
	s.mu.Unlock()
	body, header, err := s.get(ctx, s.jwksURL)
	if err != nil {
		return err
	}
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("jwks: key set at %s: %w", s.jwksURL, err)
	}
	var keys []jwkset.JWK
	for _, m := range set.Keys {
		// Public keys only: a symmetric ("oct") or private key in a
		// published set is refused, not used.
		k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil || m.D != "" || m.K != "" {
			s.log.WarnContext(ctx, "jwks: key skipped", "url", s.jwksURL, "kid", m.KID, "error", err)
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("jwks: key set at %s has no usable key", s.jwksURL)
	}
	if err := s.keys.KeyReplaceAll(ctx, keys); err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	ttl := min(max(cacheMaxAge(header), s.cfg.MinRefreshInterval), s.cfg.MaxCacheAge)
	s.mu.Lock()
	s.expires = s.fetched.Add(ttl)
	s.mu.Unlock()
	return nil
}

// discover reads the issuer's discovery document and returns its jwks_uri.
func (s *Strategy) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(s.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := s.get(ctx, u)
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("jwks: discovery document %s: %w", u, err)
	}
	// OpenID Connect Discovery §4.3: the issuer must be the one asked.
	if doc.Issuer != s.cfg.Issuer {
		return "", fmt.Errorf("jwks: discovery document %s names issuer %q, not %q", u, doc.Issuer, s.cfg.Issuer)
	}
	if !strings.HasPrefix(doc.JWKSURI, "https://") && !strings.HasPrefix(doc.JWKSURI, "http://") {
		return "", fmt.Errorf("jwks: discovery document %s has no http(s) jwks_uri", u)
	}
	return doc.JWKSURI, nil
}

// get fetches a JSON document.
func (s *Strategy) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("jwks: GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	if err == nil && len(body) > MaxDocumentBytes {
		err = fmt.Errorf("longer than %d bytes", MaxDocumentBytes)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("jwks: GET %s: %w", u, err)
	}
	return body, resp.Header, nil
}

// claimNames returns the names of the email claims.
func (s *Strategy) claimNames() (email, verified string) {
	return cmp.Or(s.cfg.Claims.Email, "email"), cmp.Or(s.cfg.Claims.EmailVerified, "email_verified")
}

// subjectSpace is the UUIDv5 namespace of stateless users' ids.
var subjectSpace = uuid.MustParse("5f6b1a9e-2c1e-4d55-9a6e-6a1f0c3e7b21")

func (s *Strategy) statelessUser(sub string, claims jwt.MapClaims) *store.User {
	emailClaim, verifiedClaim := s.claimNames()
	email, _ := claims[emailClaim].(string)
	verified, _ := claims[verifiedClaim].(bool)
	fields := map[string]any{"sub": sub}
	for _, name := range s.cfg.Stateless.Fields {
		if v, ok := claims[name]; ok {
			fields[name] = v
		}
	}
	return &store.User{
		ID:          uuid.NewSHA1(subjectSpace, []byte(s.cfg.Issuer+"\x00"+sub)),
		Email:       email,
		IsActive:    true,
		IsVerified:  verified,
		IsSuperuser: s.cfg.Stateless.Superuser.matches(claims),
		Fields:      fields,
	}
}

// linkedUser is the local user linked to the issuer's account sub,
// provisioned first when allowed.
func (s *Strategy) linkedUser(ctx context.Context, sub string, claims jwt.MapClaims) (*store.User, error) {
	u, err := s.userOfLink(ctx, sub)
	if err == nil || !errors.Is(err, store.ErrOAuthAccountNotFound) {
		return u, err
	}
	if !s.cfg.Provision {
		return nil, fmt.Errorf("%w: account %q of %s is not linked to a user", strategy.ErrInvalidToken, sub, s.provider)
	}
	return s.provision(ctx, sub, claims)
}

func (s *Strategy) userOfLink(ctx context.Context, sub string) (*store.User, error) {
	link, err := s.links.OAuthAccountByProvider(ctx, s.provider, sub)
	if err != nil {
		if errors.Is(err, store.ErrOAuthAccountNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("jwks: %w", err)
	}
	u, err := s.cfg.Users.UserByID(ctx, link.UserID)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, fmt.Errorf("%w: %w", strategy.ErrInvalidToken, err)
	case err != nil:
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return u, nil
}

// unusablePassword is the hash of provisioned users: no hasher reads it,
// so no password logs them in (authkit logs a warning if one is tried).
const unusablePassword = "!jwks-provisioned"

// provision links sub to the local user of its email, or creates that
// user. Never by an unverified email: whoever controls an account at the
// issuer could otherwise claim any local account's email.
func (s *Strategy) provision(ctx context.Context, sub string, claims jwt.MapClaims) (*store.User, error) {
	emailClaim, verifiedClaim := s.claimNames()
	email, _ := claims[emailClaim].(string)
	email = strings.TrimSpace(email)
	verified, _ := claims[verifiedClaim].(bool)
	if email == "" || !strings.Contains(email, "@") {
		return nil, fmt.Errorf("%w: no email to provision a user from", strategy.ErrInvalidToken)
	}
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	u, err := s.cfg.Users.UserByEmail(ctx, email)
	switch {
	case err == nil:
		if !verified || !u.IsVerified {
			s.log.WarnContext(ctx, "jwks: token's email is a local account's, not verified on both sides: refused",
				"issuer", s.cfg.Issuer, "sub", sub, "user_id", u.ID)
			return nil, fmt.Errorf("%w: the email of a local account, not verified on both sides", strategy.ErrInvalidToken)
		}
	case errors.Is(err, store.ErrUserNotFound):
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		u = &store.User{ID: id, Email: email, HashedPassword: unusablePassword, IsActive: true, IsVerified: verified,
			CreatedAt: now, UpdatedAt: now}
		err = s.cfg.Users.CreateUser(ctx, u)
		if errors.Is(err, store.ErrEmailTaken) {
			// A concurrent first request provisioned it.
			if u, err := s.userOfLink(ctx, sub); err == nil {
				return u, nil
			}
			return nil, fmt.Errorf("%w: provisioned concurrently; retry", strategy.ErrInvalidToken)
		}
		if err != nil {
			return nil, fmt.Errorf("jwks: provision: %w", err)
		}
	default:
		return nil, fmt.Errorf("jwks: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	err = s.links.UpsertOAuthAccount(ctx, store.OAuthAccount{ID: id, UserID: u.ID, Provider: s.provider,
		AccountID: sub, AccountEmail: email, CreatedAt: now, UpdatedAt: now})
	switch {
	case errors.Is(err, store.ErrOAuthAccountTaken):
		return s.userOfLink(ctx, sub)
	case err != nil:
		return nil, fmt.Errorf("jwks: provision: link: %w", err)
	}
	s.log.InfoContext(ctx, "jwks: user provisioned", "issuer", s.cfg.Issuer, "sub", sub, "user_id", u.ID)
	return u, nil
}
