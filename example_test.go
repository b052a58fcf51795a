package authkit_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// A service with one backend (bearer header + JWT) on SQLite: register,
// log in, and call a route protected by CurrentActiveUser.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "authkit-example")
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	users, _ := sqlite.New(db)
	if err := users.Migrate(ctx); err != nil {
		panic(err)
	}
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("an example secret of at least 32 bytes"), Store: users})
	if err != nil {
		panic(err)
	}
	// Cheap parameters keep the example quick; leave Hasher nil in production.
	fast, _ := hasher.NewArgon2id(hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	kit, err := authkit.New(authkit.Config{
		Users:    users,
		Hasher:   fast,
		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}},
	})
	if err != nil {
		panic(err)
	}

	login, err := kit.AuthRouter("jwt")
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	authkit.Mount(mux, "/auth", kit.RegisterRouter())
	authkit.Mount(mux, "/auth/jwt", login)
	authkit.Mount(mux, "/users", kit.UsersRouter())
	mux.Handle("GET /hello", kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authkit.UserFrom(r.Context())
		fmt.Fprintf(w, "hello %s", u.Email)
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, _ := http.Post(srv.URL+"/auth/register", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"analytical-engine-1843"}`))
	fmt.Println("register:", res.Status)
	res, _ = http.PostForm(srv.URL+"/auth/jwt/login", url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}})
	var token string
	body, _ := io.ReadAll(res.Body)
	fmt.Sscanf(string(body), `{"access_token":%q`, &token)
	fmt.Println("login:", res.Status)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hello", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, _ = http.DefaultClient.Do(req)
	greeting, _ := io.ReadAll(res.Body)
	fmt.Println(string(greeting))

	res, _ = http.Get(srv.URL + "/hello")
	fmt.Println("anonymous:", res.Status)
	// Output:
	// register: 201 Created
	// login: 200 OK
	// hello ada@example.com
	// anonymous: 401 Unauthorized
}

// CurrentUser states what a route demands of its user; here, a superuser.
// A user who is not one gets 403, a request without a user 401.
func ExampleAuthKit_CurrentUser() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "authkit-example")
	defer os.RemoveAll(dir)
	db, _ := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	defer db.Close()
	users, _ := sqlite.New(db)
	_ = users.Migrate(ctx)
	database, _ := strategy.NewDatabase(strategy.DatabaseConfig{Store: users})
	fast, _ := hasher.NewArgon2id(hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	kit, err := authkit.New(authkit.Config{
		Users:    users,
		Hasher:   fast,
		Backends: []authkit.AuthenticationBackend{{Name: "db", Transport: transport.Bearer{}, Strategy: database}},
	})
	if err != nil {
		panic(err)
	}
	admin := kit.CurrentUser(authkit.Require{Active: true, Superuser: true})
	srv := httptest.NewServer(admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "welcome, administrator")
	})))
	defer srv.Close()

	// A user made by the application's own code, through the manager.
	_, _ = kit.Manager().Create(ctx, authkit.UserCreate{Email: "ada@example.com", Password: "analytical-engine-1843", IsActive: true}, nil)
	u, _ := kit.Manager().Authenticate(ctx, "ada@example.com", "analytical-engine-1843")
	token, _ := database.Write(ctx, u)

	get := func() string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, _ := http.DefaultClient.Do(req)
		body, _ := io.ReadAll(res.Body)
		return res.Status + " " + string(body)
	}
	fmt.Println(get())
	yes := true
	_, _ = kit.Manager().Update(ctx, u, authkit.UserUpdate{IsSuperuser: &yes}, nil)
	fmt.Println(get())
	// Output:
	// 403 Forbidden {"detail":"Forbidden"}
	// 200 OK welcome, administrator
}
