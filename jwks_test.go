package authkit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/jwks"
	"github.com/go-authkit/authkit/transport"
)

// issuerEnv is an authkit that signs with a key pair and publishes its
// keys at /.well-known, with introspection at /auth/jwt/introspect.
type issuerEnv struct {
	*env
	issuer string
}

const introspectionSecret = "a resource server's secret, 32+ bytes"

func newIssuerEnv(t *testing.T) *issuerEnv {
	t.Helper()
	db := testdb.SQLite(t)
	st, err := sqlite.New(db)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, st)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jwtStrategy, err := strategy.NewJWT(strategy.JWTConfig{Store: st, Issuer: srv.URL,
		Keys: &strategy.KeySet{SigningKeyID: "k1", SigningKey: key}})
	if err != nil {
		t.Fatal(err)
	}
	kit, err := authkit.New(authkit.Config{
		Users: st, Hasher: cheapHasher(t), Throttle: authkit.Throttle{Off: true},
		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwtStrategy}},
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kit.JWKSRouter("jwt", authkit.JWKSOptions{IntrospectionURL: srv.URL + "/auth/jwt/introspect"})
	if err != nil {
		t.Fatal(err)
	}
	intro, err := kit.IntrospectionRouter("jwt", authkit.IntrospectionOptions{Clients: map[string]string{"notes-api": introspectionSecret}})
	if err != nil {
		t.Fatal(err)
	}
	authkit.Mount(mux, "/.well-known", keys)
	authkit.Mount(mux, "/auth", kit.RegisterRouter())
	authkit.Mount(mux, "/auth/jwt", authkit.Merge(authRouter(t, kit, "jwt"), intro))
	return &issuerEnv{env: &env{t: t, kit: kit, store: st, db: db, srv: srv}, issuer: srv.URL}
}

func TestJWKSRouter(t *testing.T) {
	e := newIssuerEnv(t)
	r := e.get("/.well-known/jwks.json")
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=900" {
		t.Fatalf("jwks: %d %q %s", r.status, r.header.Get("Cache-Control"), r.body)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	decodeInto(t, r.body, &set)
	if len(set.Keys) != 1 {
		t.Fatalf("keys %v", set.Keys)
	}
	k := set.Keys[0]
	if k["kid"] != "k1" || k["alg"] != "EdDSA" || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["use"] != "sig" {
		t.Fatalf("key %v", k)
	}
	for _, private := range []string{"d", "k", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Fatalf("the published key has %q: %v", private, k)
		}
	}
	expect(t, e.get("/.well-known/openid-configuration"), http.StatusOK,
		`{"introspection_endpoint":`+q(e.issuer+"/auth/jwt/introspect")+`,"issuer":`+q(e.issuer)+`,"jwks_uri":`+q(e.issuer+"/.well-known/jwks.json")+`}`)

	// The access token carries iss, aud and the kid.
	e.register("ann@example.com", "correct horse battery staple")
	tok := strings.TrimPrefix(bearerToken(t, e.login("jwt", "ann@example.com", "correct horse battery staple")), "Bearer ")
	header, claims := jwtParts(t, tok)
	if header["kid"] != "k1" || header["alg"] != "EdDSA" || claims["iss"] != e.issuer {
		t.Fatalf("token header %v, claims %v", header, claims)
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != strategy.DefaultAudience {
		t.Fatalf("aud %v", claims["aud"])
	}
}

// TestJWKSRouterRefuses: no key set for a secret, a database token or a
// token without issuer.
func TestJWKSRouterRefuses(t *testing.T) {
	db := testdb.SQLite(t)
	st, err := sqlite.New(db)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, st)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	hs, _ := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a test secret that is long enough for HS256"), Store: st, Issuer: "http://x"})
	noIss, _ := strategy.NewJWT(strategy.JWTConfig{Keys: &strategy.KeySet{SigningKeyID: "k", SigningKey: key}, Store: st})
	dbs, _ := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	kit, err := authkit.New(authkit.Config{Users: st, Hasher: cheapHasher(t), Backends: []authkit.AuthenticationBackend{
		{Name: "hs", Transport: transport.Bearer{}, Strategy: hs},
		{Name: "noiss", Transport: transport.Bearer{}, Strategy: noIss},
		{Name: "db", Transport: transport.Bearer{}, Strategy: dbs},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"hs", "noiss", "db", "nope"} {
		if rt, err := kit.JWKSRouter(b, authkit.JWKSOptions{}); err == nil {
			t.Errorf("JWKSRouter(%q) = %v, want an error", b, rt)
		} else {
			t.Logf("%s: %v", b, err)
		}
	}
	for _, b := range []string{"db", "nope"} {
		if _, err := kit.IntrospectionRouter(b, authkit.IntrospectionOptions{}); err == nil {
			t.Errorf("IntrospectionRouter(%q) accepted", b)
		}
	}
	if _, err := kit.IntrospectionRouter("hs", authkit.IntrospectionOptions{Clients: map[string]string{"c": "short"}}); err == nil {
		t.Error("a short client secret accepted")
	}
}

func TestIntrospection(t *testing.T) {
	e := newIssuerEnv(t)
	const pw = "correct horse battery staple"
	e.register("ann@example.com", pw)
	e.register("root@example.com", pw)
	e.makeSuperuser("root@example.com")
	ann := e.login("jwt", "ann@example.com", pw)
	root := e.login("jwt", "root@example.com", pw)
	annToken := strings.TrimPrefix(bearerToken(t, ann), "Bearer ")
	form := func(token string) string { return url.Values{"token": {token}}.Encode() }
	basic := func(id, secret string) cred { return func(r *http.Request) { r.SetBasicAuth(id, secret) } }
	post := func(body string, creds ...cred) reply {
		return e.do(http.MethodPost, "/auth/jwt/introspect", "application/x-www-form-urlencoded", body, creds...)
	}
	for _, c := range []cred{root, basic("notes-api", introspectionSecret)} {
		r := post(form(annToken), c)
		var got map[string]any
		decodeInto(t, r.body, &got)
		if r.status != http.StatusOK || got["active"] != true || got["username"] != "ann@example.com" || got["iss"] != e.issuer ||
			got["aud"] != strategy.DefaultAudience || got["token_type"] != "Bearer" || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("introspect: %d %s", r.status, r.body)
		}
	}
	expect(t, post(form("not a token"), root), http.StatusOK, `{"active":false}`)
	expect(t, post(form(annToken)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	expect(t, post(form(annToken), basic("notes-api", "wrong")), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	expect(t, post(form(annToken), basic("nobody", introspectionSecret)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	expect(t, post(form(annToken), ann), http.StatusForbidden, `{"detail":"Forbidden"}`)
	if r := post("", root); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	// Logout revokes: verifiers by the keys cannot see it, introspection does.
	if r := e.do(http.MethodPost, "/auth/jwt/logout", "", "", ann); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	expect(t, post(form(annToken), root), http.StatusOK, `{"active":false}`)
}

// TestResourceServer: another service verifies authkit's tokens by its
// published keys with strategy/jwks — stateless, without a user store, and
// linked to its own users — and mounts no login for that backend.
func TestResourceServer(t *testing.T) {
	e := newIssuerEnv(t)
	const pw = "correct horse battery staple"
	e.register("ann@example.com", pw)
	ann := e.login("jwt", "ann@example.com", pw)

	remote, err := jwks.New(t.Context(), jwks.Config{Issuer: e.issuer, Audience: strategy.DefaultAudience,
		Stateless: &jwks.Stateless{}})
	if err != nil {
		t.Fatal(err)
	}
	kit, err := authkit.New(authkit.Config{ // no Users: a resource server
		Backends: []authkit.AuthenticationBackend{{Name: "issuer", Transport: transport.Bearer{}, Strategy: remote}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kit.AuthRouter("issuer"); err == nil {
		t.Fatal("AuthRouter made login and logout for a read-only backend")
	}
	mux := http.NewServeMux() // with no login routes to mount
	mux.Handle("GET /notes", kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authkit.UserFrom(r.Context())
		json.NewEncoder(w).Encode(map[string]any{"sub": u.Fields["sub"]})
	})))
	api := httptest.NewServer(mux)
	defer api.Close()
	rs := &env{t: t, srv: api}
	r := rs.get("/notes", ann)
	if r.status != http.StatusOK {
		t.Fatalf("resource server: %d %s", r.status, r.body)
	}
	annUser, err := e.store.UserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, r.body)["sub"]; got != annUser.ID.String() {
		t.Fatalf("sub %v, want %s", got, annUser.ID)
	}
	expect(t, rs.get("/notes"), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	expect(t, rs.get("/notes", bearer("forged")), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	if r := rs.do(http.MethodPost, "/auth/issuer/login", "application/x-www-form-urlencoded", "username=a&password=b"); r.status != http.StatusNotFound {
		t.Fatalf("login of a read-only backend: %d %s", r.status, r.body)
	}
	// A wrong audience is refused by a verifier of another audience.
	other, err := jwks.New(t.Context(), jwks.Config{Issuer: e.issuer, Audience: "another-api", Stateless: &jwks.Stateless{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Read(t.Context(), strings.TrimPrefix(bearerToken(t, ann), "Bearer ")); err == nil {
		t.Fatal("a token for another audience accepted")
	}
}

// bearerToken is the Authorization header a cred sets.
func bearerToken(t *testing.T, c cred) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	c(req)
	return req.Header.Get("Authorization")
}

// jwtParts decodes a JWT's header and claims, unverified.
func jwtParts(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}
