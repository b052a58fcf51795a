package jwks_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/jwks"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const audience = "notes-api"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signingKey is one of the issuer's keys.
type signingKey struct {
	kid string
	alg jwt.SigningMethod
	key crypto.Signer
}

// issuer is an external issuer on loopback: a discovery document and a
// key set, whose keys and Cache-Control the test changes.
type issuer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []signingKey // published
	cache   string       // Cache-Control of the key set
	fetches atomic.Int64
	clock   *clock
}

func newIssuer(t testing.TB, c *clock) *issuer {
	t.Helper()
	is := &issuer{clock: c, cache: "max-age=300"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.url(), "jwks_uri": is.url() + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
		for _, k := range is.keys {
			jwk, err := jwkset.NewJWKFromKey(k.key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.ALG(k.alg.Alg())}})
			if err != nil {
				t.Error(err)
				return
			}
			set.Keys = append(set.Keys, jwk.Marshal())
		}
		if is.cache != "" {
			w.Header().Set("Cache-Control", is.cache)
		}
		json.NewEncoder(w).Encode(set)
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	is.addKey(t, "k1", jwt.SigningMethodES256)
	return is
}

func (is *issuer) url() string { return is.srv.URL }

func (is *issuer) addKey(t testing.TB, kid string, m jwt.SigningMethod) signingKey {
	t.Helper()
	var k crypto.Signer
	var err error
	switch m {
	case jwt.SigningMethodES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwt.SigningMethodRS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case jwt.SigningMethodEdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	sk := signingKey{kid: kid, alg: m, key: k}
	is.mu.Lock()
	is.keys = append(is.keys, sk)
	is.mu.Unlock()
	return sk
}

func (is *issuer) key(kid string) signingKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	for _, k := range is.keys {
		if k.kid == kid {
			return k
		}
	}
	panic("no key " + kid)
}

// claims are a valid token's, for the test to change.
func (is *issuer) claims(sub string) jwt.MapClaims {
	now := is.clock.Now()
	return jwt.MapClaims{"iss": is.url(), "aud": audience, "sub": sub, "iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix()}
}

// sign signs claims with the key kid (its own algorithm).
func (is *issuer) sign(t testing.TB, kid string, claims jwt.MapClaims) string {
	t.Helper()
	k := is.key(kid)
	tok := jwt.NewWithClaims(k.alg, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func stateless(t *testing.T, is *issuer, c *clock, change func(*jwks.Config)) *jwks.Strategy {
	t.Helper()
	cfg := jwks.Config{Issuer: is.url(), Audience: audience, Now: c.Now, Stateless: &jwks.Stateless{
		Superuser: jwks.ClaimMatch{Claim: "role", Value: "admin"}, Fields: []string{"name"},
	}}
	if change != nil {
		change(&cfg)
	}
	s, err := jwks.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStatelessUserFromClaims(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	s := stateless(t, is, c, nil)
	cl := is.claims("user-1")
	cl["email"], cl["email_verified"], cl["role"], cl["name"] = "ann@example.com", true, "admin", "Ann"
	u, err := s.Read(t.Context(), is.sign(t, "k1", cl))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ann@example.com" || !u.IsVerified || !u.IsActive || !u.IsSuperuser || u.Fields["name"] != "Ann" || u.Fields["sub"] != "user-1" {
		t.Fatalf("user %+v", u)
	}
	again, _ := s.Read(t.Context(), is.sign(t, "k1", is.claims("user-1")))
	if again.ID != u.ID || again.IsSuperuser || again.IsVerified {
		t.Fatalf("same sub, other claims: %+v, want id %s and no flags", again, u.ID)
	}
	other, _ := s.Read(t.Context(), is.sign(t, "k1", is.claims("user-2")))
	if other.ID == u.ID {
		t.Fatal("two subjects, one id")
	}
	if _, err := s.Write(t.Context(), u); !errors.Is(err, strategy.ErrReadOnly) {
		t.Fatalf("Write: %v, want ErrReadOnly", err)
	}
	if err := s.Destroy(t.Context(), "x", u); !errors.Is(err, strategy.ErrReadOnly) {
		t.Fatalf("Destroy: %v, want ErrReadOnly", err)
	}
}

// TestRefuses: every token that is not exactly what the issuer signs for
// this audience is refused, without a fault.
func TestRefuses(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	is.addKey(t, "r1", jwt.SigningMethodRS256)
	s := stateless(t, is, c, func(cfg *jwks.Config) { cfg.Algorithms = []string{"ES256", "RS256"} })
	other := newIssuer(t, c) // another issuer, with its own key k1

	rsaPub := is.key("r1").key.Public().(*rsa.PublicKey)
	der, _ := x509.MarshalPKIXPublicKey(rsaPub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hmacWith := func(key []byte, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, is.claims("u"))
		tok.Header["kid"] = kid
		str, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	withHeader := func(kid string, set func(tok *jwt.Token)) string {
		k := is.key(kid)
		tok := jwt.NewWithClaims(k.alg, is.claims("u"))
		tok.Header["kid"] = kid
		set(tok)
		str, err := tok.SignedString(k.key)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	claims := func(change func(jwt.MapClaims)) string {
		cl := is.claims("u")
		change(cl)
		return is.sign(t, "k1", cl)
	}
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, is.claims("u")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	good := is.sign(t, "k1", is.claims("u"))
	tampered := good[:strings.LastIndex(good, ".")] + "." + strings.Repeat("A", 86)

	for name, token := range map[string]string{
		"another issuer":                      other.sign(t, "k1", jwt.MapClaims{"iss": other.url(), "aud": audience, "sub": "u", "exp": c.Now().Add(time.Minute).Unix()}),
		"another issuer's key":                other.sign(t, "k1", is.claims("u")),
		"iss of another":                      claims(func(cl jwt.MapClaims) { cl["iss"] = other.url() }),
		"wrong audience":                      claims(func(cl jwt.MapClaims) { cl["aud"] = "other-api" }),
		"no audience":                         claims(func(cl jwt.MapClaims) { delete(cl, "aud") }),
		"expired":                             claims(func(cl jwt.MapClaims) { cl["exp"] = c.Now().Add(-time.Minute).Unix() }),
		"no exp":                              claims(func(cl jwt.MapClaims) { delete(cl, "exp") }),
		"not yet valid":                       claims(func(cl jwt.MapClaims) { cl["nbf"] = c.Now().Add(time.Hour).Unix() }),
		"no subject":                          claims(func(cl jwt.MapClaims) { delete(cl, "sub") }),
		"unknown kid":                         withHeader("k1", func(tok *jwt.Token) { tok.Header["kid"] = "k9" }),
		"no kid":                              withHeader("k1", func(tok *jwt.Token) { delete(tok.Header, "kid") }),
		"crit header":                         withHeader("k1", func(tok *jwt.Token) { tok.Header["crit"] = []string{"exp"} }),
		"alg none":                            unsigned,
		"HS256 keyed with the public key PEM": hmacWith(pubPEM, "r1"),
		"HS256 keyed with the public key DER": hmacWith(der, "r1"),
		// The RSA key's kid on an ES256 token signed by the EC key: the
		// kid's key is not a key for the alg.
		"alg switch": func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, is.claims("u"))
			tok.Header["kid"] = "r1"
			str, _ := tok.SignedString(is.key("k1").key)
			return str
		}(),
		"tampered signature": tampered,
		"garbage":            "not.a.token",
		"huge":               strings.Repeat("a", strategy.MaxTokenLen+1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Read(t.Context(), token); !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Read: %v, want ErrInvalidToken", err)
			}
		})
	}
	// EdDSA is not allowed here, even with a published key of that type.
	is.addKey(t, "e1", jwt.SigningMethodEdDSA)
	c.Add(2 * jwks.DefaultMinRefreshInterval)
	if _, err := s.Read(t.Context(), is.sign(t, "e1", is.claims("u"))); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("EdDSA, not allowed: %v, want ErrInvalidToken", err)
	}
	if _, err := s.Read(t.Context(), is.sign(t, "r1", is.claims("u"))); err != nil {
		t.Fatalf("the RS256 key's own token: %v", err)
	}
}

func TestConfigRefused(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	for name, cfg := range map[string]jwks.Config{
		"no issuer":                  {Audience: audience, Stateless: &jwks.Stateless{}},
		"no audience":                {Issuer: is.url(), Stateless: &jwks.Stateless{}},
		"HS256 allowed":              {Issuer: is.url(), Audience: audience, Algorithms: []string{"HS256"}, Stateless: &jwks.Stateless{}},
		"none allowed":               {Issuer: is.url(), Audience: audience, Algorithms: []string{"none"}, Stateless: &jwks.Stateless{}},
		"no users, stateless":        {Issuer: is.url(), Audience: audience},
		"issuer not the discovery's": {Issuer: is.url() + "/other", Audience: audience, Stateless: &jwks.Stateless{}},
		"unreachable":                {Issuer: "http://127.0.0.1:1", Audience: audience, Stateless: &jwks.Stateless{}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := jwks.New(t.Context(), cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

// TestKidFlood: a flood of tokens with random kids, released together,
// makes at most one fetch per MinRefreshInterval. The control run, with
// the interval at a nanosecond, shows that the same flood does fetch when
// nothing limits it: the count is what the test measures.
func TestKidFlood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		limited  bool
	}{{"limited", time.Minute, true}, {"control, no limit", time.Nanosecond, false}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			is := newIssuer(t, c)
			s := stateless(t, is, c, func(cfg *jwks.Config) {
				cfg.MinRefreshInterval = tc.interval
				if !tc.limited {
					cfg.Now = time.Now // a clock that moves between the fetches
				}
			})
			// Past the first fetch's interval: one refresh is due.
			c.Add(tc.interval + time.Second)
			const n = 200
			tokens := make([]string, n)
			for i := range tokens {
				tok := jwt.NewWithClaims(jwt.SigningMethodES256, is.claims("u"))
				tok.Header["kid"] = uuid.NewString()
				tokens[i], _ = tok.SignedString(is.key("k1").key)
			}
			before := is.fetches.Load()
			start := make(chan struct{})
			var wg sync.WaitGroup
			var refused atomic.Int64
			for _, tok := range tokens {
				wg.Go(func() {
					<-start
					if _, err := s.Read(context.Background(), tok); errors.Is(err, strategy.ErrInvalidToken) {
						refused.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			fetches := is.fetches.Load() - before
			t.Logf("%d tokens with random kids: %d fetches", n, fetches)
			if refused.Load() != n {
				t.Fatalf("%d of %d refused", refused.Load(), n)
			}
			if tc.limited && fetches > 1 {
				t.Fatalf("%d fetches, want at most 1", fetches)
			}
			if !tc.limited && fetches < 2 {
				t.Fatalf("without a limit, %d fetches: the flood did not reach the fetcher", fetches)
			}
			// A good token is still accepted, from the keys held.
			if _, err := s.Read(t.Context(), is.sign(t, "k1", is.claims("u"))); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCacheControl: the key set is kept as long as its max-age says,
// within MinRefreshInterval and MaxCacheAge.
func TestCacheControl(t *testing.T) {
	for _, tc := range []struct {
		header string
		fresh  time.Duration // how long it is used without a fetch
	}{
		{"max-age=300", 300 * time.Second},
		{"public, max-age=120", 120 * time.Second},
		{"max-age=5", time.Minute},             // raised to MinRefreshInterval
		{"max-age=999999", 2 * time.Hour},      // capped at MaxCacheAge
		{"no-store", time.Minute},              // MinRefreshInterval
		{"no-cache, max-age=300", time.Minute}, // no-cache wins
		{"", time.Minute},                      // no header
		{"max-age=abc", time.Minute},           // malformed
	} {
		t.Run(tc.header, func(t *testing.T) {
			c := newClock()
			is := newIssuer(t, c)
			is.cache = tc.header
			s := stateless(t, is, c, func(cfg *jwks.Config) { cfg.MaxCacheAge = 2 * time.Hour })
			tok := func() string { return is.sign(t, "k1", is.claims("u")) }
			before := is.fetches.Load()
			c.Add(tc.fresh - time.Second)
			if _, err := s.Read(t.Context(), tok()); err != nil {
				t.Fatal(err)
			}
			if got := is.fetches.Load() - before; got != 0 {
				t.Fatalf("fetched %d times while fresh", got)
			}
			c.Add(2 * time.Second)
			if _, err := s.Read(t.Context(), tok()); err != nil {
				t.Fatal(err)
			}
			if got := is.fetches.Load() - before; got != 1 {
				t.Fatalf("fetched %d times once stale, want 1", got)
			}
		})
	}
}

// TestRotation: a key the issuer adds is picked up by the first token
// that names it; a key it removes stops verifying after the next fetch.
func TestRotation(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	s := stateless(t, is, c, nil)
	old := is.sign(t, "k1", is.claims("u"))
	is.addKey(t, "k2", jwt.SigningMethodEdDSA)
	c.Add(jwks.DefaultMinRefreshInterval)
	if _, err := s.Read(t.Context(), is.sign(t, "k2", is.claims("u"))); err != nil {
		t.Fatalf("the new key's token: %v", err)
	}
	if _, err := s.Read(t.Context(), old); err != nil {
		t.Fatalf("the old key's token, still published: %v", err)
	}
	is.mu.Lock()
	is.keys = is.keys[1:] // k1 retired
	is.mu.Unlock()
	c.Add(301 * time.Second) // the set's max-age
	if _, err := s.Read(t.Context(), old); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("a token of a key no longer published: %v, want ErrInvalidToken", err)
	}
}

// TestIssuerDown: the keys held keep verifying while the issuer cannot be
// reached.
func TestIssuerDown(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	s := stateless(t, is, c, nil)
	tok := is.sign(t, "k1", is.claims("u"))
	is.srv.Close()
	c.Add(10 * time.Minute)
	if _, err := s.Read(t.Context(), tok); err != nil {
		t.Fatalf("issuer down: %v", err)
	}
}

// TestJWKSURL: keys from a JWKS URL, without discovery; symmetric and
// private keys in the set are not used.
func TestJWKSURL(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	secret := []byte("0123456789abcdef0123456789abcdef")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k1, _ := jwkset.NewJWKFromKey(is.key("k1").key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1"}})
		oct, _ := jwkset.NewJWKFromKey(secret, jwkset.JWKOptions{Marshal: jwkset.JWKMarshalOptions{Private: true}, Metadata: jwkset.JWKMetadataOptions{KID: "oct"}})
		json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{k1.Marshal(), oct.Marshal()}})
	}))
	defer srv.Close()
	s := stateless(t, is, c, func(cfg *jwks.Config) {
		cfg.JWKSURL = srv.URL
		cfg.Algorithms = []string{"ES256", "RS256"}
	})
	if _, err := s.Read(t.Context(), is.sign(t, "k1", is.claims("u"))); err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, is.claims("u"))
	tok.Header["kid"] = "oct"
	hs, _ := tok.SignedString(secret)
	if _, err := s.Read(t.Context(), hs); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("a token of a symmetric key in the set: %v, want ErrInvalidToken", err)
	}
}

type users interface {
	store.UserStore
	store.OAuthAccountStore
}

func openStore(t *testing.T) users {
	t.Helper()
	st, err := sqlite.New(testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func localUser(t *testing.T, st users, email string, verified bool) *store.User {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &store.User{ID: uuid.New(), Email: email, HashedPassword: "x", IsActive: true, IsVerified: verified, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLinkedAccounts: by default the sub is a linked account of the
// issuer; with Provision, a user is made or linked by a verified email,
// never by an unverified one.
func TestLinkedAccounts(t *testing.T) {
	c := newClock()
	is := newIssuer(t, c)
	st := openStore(t)
	linked, err := jwks.New(t.Context(), jwks.Config{Issuer: is.url(), Audience: audience, Users: st, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	provisioning, err := jwks.New(t.Context(), jwks.Config{Issuer: is.url(), Audience: audience, Users: st, Now: c.Now, Provision: true})
	if err != nil {
		t.Fatal(err)
	}
	token := func(sub, email string, verified bool) string {
		cl := is.claims(sub)
		cl["email"], cl["email_verified"] = email, verified
		return is.sign(t, "k1", cl)
	}
	// Not linked, not provisioned: refused.
	if _, err := linked.Read(t.Context(), token("s1", "s1@example.com", true)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("unlinked: %v, want ErrInvalidToken", err)
	}
	// Linked by the application: that user.
	bob := localUser(t, st, "bob@example.com", true)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.UpsertOAuthAccount(t.Context(), store.OAuthAccount{ID: uuid.New(), UserID: bob.ID, Provider: is.url(), AccountID: "bob-at-issuer", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if u, err := linked.Read(t.Context(), token("bob-at-issuer", "whatever@example.com", false)); err != nil || u.ID != bob.ID {
		t.Fatalf("linked: %v, %v; want bob", u, err)
	}
	// Provisioned: a new user, linked, verified as the token says.
	u, err := provisioning.Read(t.Context(), token("new-1", "new@example.com", true))
	if err != nil || !u.IsVerified || !u.IsActive || u.Email != "new@example.com" {
		t.Fatalf("provisioned: %+v, %v", u, err)
	}
	if again, err := linked.Read(t.Context(), token("new-1", "new@example.com", true)); err != nil || again.ID != u.ID {
		t.Fatalf("provisioned user, read again without Provision: %v, %v", again, err)
	}
	// An unverified email that is a local account's: refused, not linked.
	carol := localUser(t, st, "carol@example.com", true)
	if _, err := provisioning.Read(t.Context(), token("mallory", "carol@example.com", false)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("unverified email of a local account: %v, want ErrInvalidToken", err)
	}
	if _, err := st.OAuthAccountByProvider(t.Context(), is.url(), "mallory"); !errors.Is(err, store.ErrOAuthAccountNotFound) {
		t.Fatalf("linked anyway: %v", err)
	}
	// A verified email, but the local account's is not verified: refused.
	dave := localUser(t, st, "dave@example.com", false)
	if _, err := provisioning.Read(t.Context(), token("dave-at-issuer", "dave@example.com", true)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("local account unverified: %v, want ErrInvalidToken (dave %s)", err, dave.ID)
	}
	// Verified on both sides: linked to the local account.
	if u, err := provisioning.Read(t.Context(), token("carol-at-issuer", "carol@example.com", true)); err != nil || u.ID != carol.ID {
		t.Fatalf("verified on both sides: %v, %v; want carol", u, err)
	}
	// An unverified email of nobody: a new unverified user.
	if u, err := provisioning.Read(t.Context(), token("erin", "erin@example.com", false)); err != nil || u.IsVerified {
		t.Fatalf("unverified new: %+v, %v", u, err)
	}
	// No email: nothing to provision from.
	if _, err := provisioning.Read(t.Context(), token("nobody", "", true)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("no email: %v, want ErrInvalidToken", err)
	}
	// The linked user deleted: refused.
	if err := st.DeleteUser(t.Context(), bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := linked.Read(t.Context(), token("bob-at-issuer", "", false)); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Fatalf("deleted user: %v, want ErrInvalidToken", err)
	}
}

// TestProvisionRace: first requests of one account, released together,
// make one user.
func TestProvisionRace(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) users{"sqlite": openStore, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) { provisionRace(t, open(t)) })
	}
}

func openPostgres(t *testing.T) users {
	t.Helper()
	st, err := postgres.New(testdb.Postgres(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func provisionRace(t *testing.T, st users) {
	c := newClock()
	is := newIssuer(t, c)
	s, err := jwks.New(t.Context(), jwks.Config{Issuer: is.url(), Audience: audience, Users: st, Now: c.Now, Provision: true})
	if err != nil {
		t.Fatal(err)
	}
	cl := is.claims("racer")
	cl["email"], cl["email_verified"] = "racer@example.com", true
	tok := is.sign(t, "k1", cl)
	start := make(chan struct{})
	var wg sync.WaitGroup
	const racers = 32
	ids := make(chan uuid.UUID, racers)
	for range racers {
		wg.Go(func() {
			<-start
			if u, err := s.Read(context.Background(), tok); err == nil {
				ids <- u.ID
			} else if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(ids)
	seen := map[uuid.UUID]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) > 1 {
		t.Fatalf("%d users for one account", len(seen))
	}
	u, err := s.Read(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 1 && !seen[u.ID] {
		t.Fatal("the racers' user is not the account's")
	}
}

// FuzzRead: whatever token a client sends, Read answers a user or
// ErrInvalidToken — never a fault, never a panic.
func FuzzRead(f *testing.F) {
	c := newClock()
	is := newIssuer(f, c)
	s, err := jwks.New(context.Background(), jwks.Config{Issuer: is.url(), Audience: audience, Now: c.Now,
		Stateless: &jwks.Stateless{}, MinRefreshInterval: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	good := is.sign(f, "k1", is.claims("u"))
	parts := strings.Split(good, ".")
	for _, seed := range []string{good, parts[0] + "." + parts[1] + ".", parts[0] + "." + parts[1], good + "=", "", "...", "e30.e30.e30",
		`eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		u, err := s.Read(context.Background(), tok)
		if err != nil && !errors.Is(err, strategy.ErrInvalidToken) {
			t.Fatalf("Read(%q) = %v, want ErrInvalidToken", tok, err)
		}
		if (u == nil) == (err == nil) {
			t.Fatalf("Read(%q) = %v, %v", tok, u, err)
		}
	})
}
