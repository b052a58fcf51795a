package authkit_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/jmoiron/sqlx"
)

// testStore is what the tests need of a store: everything authkit uses.
type testStore interface {
	store.UserStore
	store.AccessTokenStore
	store.RevocationStore
	store.RefreshTokenStore
}

// stores are the real stores every HTTP test runs against.
var stores = []struct {
	name string
	open func(t *testing.T) (testStore, *sqlx.DB)
}{
	{"sqlite", func(t *testing.T) (testStore, *sqlx.DB) {
		db := testdb.SQLite(t)
		s, err := sqlite.New(db)
		if err != nil {
			t.Fatal(err)
		}
		migrate(t, s)
		return s, db
	}},
	{"postgres", func(t *testing.T) (testStore, *sqlx.DB) {
		db := testdb.Postgres(t, "postgres")
		s, err := postgres.New(db)
		if err != nil {
			t.Fatal(err)
		}
		migrate(t, s)
		return s, db
	}},
}

func migrate(t *testing.T, m store.Migrator) {
	t.Helper()
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// backends are every transport × strategy pair; "jwt" and "cookie" are the
// pairs the contract's examples use, "refresh" a JWT backend with refresh
// tokens.
var backendNames = []string{"jwt", "cookie", "db", "cookiejwt", "refresh"}

// cheapHasher keeps the suite fast; the production parameters have tests
// of their own in package hasher.
func cheapHasher(t testing.TB) hasher.Hasher {
	h, err := hasher.NewArgon2id(hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	return hasher.Fallback(h, mustBcrypt(t))
}

func mustBcrypt(t testing.TB) *hasher.Bcrypt {
	b, err := hasher.NewBcrypt(4)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// env is one authkit served over HTTP on a real store.
type env struct {
	t     *testing.T
	kit   *authkit.AuthKit
	store testStore
	db    *sqlx.DB
	srv   *httptest.Server
	cfg   authkit.Config // as given to New
}

// forEachStore runs fn as a subtest on every store.
func forEachStore(t *testing.T, fn func(t *testing.T, open func(opts ...func(*authkit.Config)) *env)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, func(opts ...func(*authkit.Config)) *env { return newEnv(t, s.open, opts...) })
		})
	}
}

func newEnv(t *testing.T, open func(*testing.T) (testStore, *sqlx.DB), opts ...func(*authkit.Config)) *env {
	t.Helper()
	st, db := open(t)
	secret := []byte("a test secret that is long enough for HS256")
	jwtStrategy, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	refreshStrategy, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st,
		Refresh: &strategy.RefreshConfig{Store: st, Users: st}})
	if err != nil {
		t.Fatal(err)
	}
	dbStrategy, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := transport.NewCookie(transport.CookieConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := authkit.Config{
		Users:  st,
		Hasher: cheapHasher(t),
		// Most tests make many requests from one address; the throttle has
		// tests of its own, which turn it back on.
		Throttle: authkit.Throttle{Off: true},
		// Quiet unless a test listens (nil would be slog.Default()).
		Logger: slog.New(slog.DiscardHandler),
		Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwtStrategy},
			{Name: "cookie", Transport: cookie, Strategy: dbStrategy},
			{Name: "db", Transport: transport.Bearer{}, Strategy: dbStrategy},
			// The zero value: the same safe defaults as NewCookie's.
			{Name: "cookiejwt", Transport: &transport.Cookie{}, Strategy: jwtStrategy},
			{Name: "refresh", Transport: transport.Bearer{}, Strategy: refreshStrategy},
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	kit, err := authkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Mail goes out after a delay: drain it before the test's directories go.
	t.Cleanup(func() { kit.Close(context.Background()) })
	mux := http.NewServeMux()
	authkit.Mount(mux, "/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter(), kit.SessionsRouter()))
	for _, b := range cfg.Backends {
		authkit.Mount(mux, "/auth/"+b.Name, authRouter(t, kit, b.Name))
	}
	authkit.Mount(mux, "/users", kit.UsersRouter())
	mux.Handle("GET /protected", kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authkit.UserFrom(r.Context())
		if !ok {
			http.Error(w, "no user", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, u.Email)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, kit: kit, store: st, db: db, srv: srv, cfg: cfg}
}

// reply is a response as a client sees it.
type reply struct {
	status int
	header http.Header
	body   string
}

// cred authenticates a request: a bearer header or a cookie.
type cred func(*http.Request)

func bearer(token string) cred {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func (e *env) do(method, path, contentType, body string, creds ...cred) reply {
	e.t.Helper()
	r, err := e.send(method, path, contentType, body, creds...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) postJSON(path, body string, creds ...cred) reply {
	e.t.Helper()
	return e.do(http.MethodPost, path, "application/json", body, creds...)
}

func (e *env) patchJSON(path, body string, creds ...cred) reply {
	e.t.Helper()
	return e.do(http.MethodPatch, path, "application/json", body, creds...)
}

func (e *env) get(path string, creds ...cred) reply {
	e.t.Helper()
	return e.do(http.MethodGet, path, "", "", creds...)
}

// register creates a user over HTTP and returns its JSON.
func (e *env) register(email, password string) map[string]any {
	e.t.Helper()
	r := e.postJSON("/auth/register", `{"email":`+q(email)+`,"password":`+q(password)+`}`)
	if r.status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", email, r.status, r.body)
	}
	return decode(e.t, r.body)
}

func (e *env) loginForm(backend, username, password string) reply {
	e.t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	return e.do(http.MethodPost, "/auth/"+backend+"/login", "application/x-www-form-urlencoded", form.Encode())
}

// login logs in through backend and returns the credential it hands out.
func (e *env) login(backend, username, password string) cred {
	e.t.Helper()
	r := e.loginForm(backend, username, password)
	switch {
	case strings.HasPrefix(backend, "cookie"):
		if r.status != http.StatusNoContent {
			e.t.Fatalf("login %s: %d %s", backend, r.status, r.body)
		}
		c := findCookie(e.t, r.header, "authkit")
		return func(req *http.Request) { req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
	default:
		if r.status != http.StatusOK {
			e.t.Fatalf("login %s: %d %s", backend, r.status, r.body)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(r.body), &tok); err != nil || tok.AccessToken == "" {
			e.t.Fatalf("login %s: body %s", backend, r.body)
		}
		return bearer(tok.AccessToken)
	}
}

func findCookie(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %q in %v", name, h.Values("Set-Cookie"))
	return nil
}

// makeSuperuser promotes a registered user through the store.
func (e *env) makeSuperuser(email string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.UserByEmail(ctx, email)
	if err != nil {
		e.t.Fatal(err)
	}
	u.IsSuperuser = true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
}

func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

// expect checks status and exact body.
func expect(t *testing.T, r reply, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %s\nwant %d %s", r.status, r.body, status, body)
	}
	if status != http.StatusNoContent && r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
}

// decodeInto decodes a JSON body into v.
func decodeInto(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
}

// authRouter is kit's router of the named backend.
func authRouter(t testing.TB, kit *authkit.AuthKit, name string) *authkit.Router {
	t.Helper()
	r, err := kit.AuthRouter(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
