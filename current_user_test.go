package authkit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
)

func TestCurrentUserRequirements(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("plain@camelot.bt", goodPassword)
		e.register("root@camelot.bt", goodPassword)
		e.makeSuperuser("root@camelot.bt")
		plain := e.login("jwt", "plain@camelot.bt", goodPassword)
		root := e.login("cookie", "root@camelot.bt", goodPassword)

		who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, ok := authkit.UserFrom(r.Context()); ok {
				io.WriteString(w, u.Email)
				return
			}
			io.WriteString(w, "anonymous")
		})
		call := func(req authkit.Require, c ...cred) (int, string) {
			srv := httptest.NewServer(e.kit.CurrentUser(req)(who))
			defer srv.Close()
			r, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			for _, c := range c {
				c(r)
			}
			res, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		for _, tc := range []struct {
			name   string
			req    authkit.Require
			cred   []cred
			status int
			body   string
		}{
			{"no user", authkit.Require{Active: true}, nil, 401, `{"detail":"Unauthorized"}`},
			{"optional, no user", authkit.Require{Active: true, Optional: true}, nil, 200, "anonymous"},
			{"optional, user", authkit.Require{Active: true, Optional: true}, []cred{plain}, 200, "plain@camelot.bt"},
			{"active", authkit.Require{Active: true}, []cred{plain}, 200, "plain@camelot.bt"},
			{"verified", authkit.Require{Active: true, Verified: true}, []cred{plain}, 403, `{"detail":"Forbidden"}`},
			{"superuser refused", authkit.Require{Active: true, Superuser: true}, []cred{plain}, 403, `{"detail":"Forbidden"}`},
			{"superuser by cookie", authkit.Require{Active: true, Superuser: true}, []cred{root}, 200, "root@camelot.bt"},
			{"first backend wins", authkit.Require{Active: true}, []cred{plain, root}, 200, "plain@camelot.bt"},
			{"backends limited", authkit.Require{Active: true, Backends: []string{"db"}}, []cred{plain}, 401, `{"detail":"Unauthorized"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := call(tc.req, tc.cred...)
				if status != tc.status || body != tc.body {
					t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.body)
				}
			})
		}
		t.Run("inactive", func(t *testing.T) {
			e.register("gone@camelot.bt", goodPassword)
			c := e.login("db", "gone@camelot.bt", goodPassword)
			ctx := context.Background()
			u, _ := e.store.UserByEmail(ctx, "gone@camelot.bt")
			u.IsActive = false
			e.store.UpdateUser(ctx, u)
			if status, _ := call(authkit.Require{Active: true}, c); status != 401 {
				t.Fatalf("inactive: %d", status)
			}
			if status, body := call(authkit.Require{}, c); status != 200 || body != "gone@camelot.bt" {
				t.Fatalf("inactive allowed: %d %s", status, body)
			}
		})
		t.Run("CurrentActiveUser", func(t *testing.T) {
			if r := e.get("/protected", plain); r.status != 200 || r.body != "plain@camelot.bt" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	})
}

// State-changing requests authenticated by cookie are refused cross-site.
func TestCookieCrossSite(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("guinevere@camelot.bt", goodPassword)
		c := e.login("cookie", "guinevere@camelot.bt", goodPassword)
		crossSite := func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }
		evilOrigin := func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }
		expect(t, e.patchJSON("/users/me", `{}`, c, crossSite), http.StatusForbidden, `{"detail":"Forbidden"}`)
		expect(t, e.patchJSON("/users/me", `{}`, c, evilOrigin), http.StatusForbidden, `{"detail":"Forbidden"}`)
		expect(t, e.do(http.MethodPost, "/auth/cookie/logout", "", "", c, crossSite), http.StatusForbidden, `{"detail":"Forbidden"}`)
		r := e.do(http.MethodPost, "/auth/cookie/login", "application/x-www-form-urlencoded",
			"username=guinevere%40camelot.bt&password="+goodPassword, crossSite)
		expect(t, r, http.StatusForbidden, `{"detail":"Forbidden"}`)
		// Reads pass, same-origin writes pass, and bearer tokens are not cookies.
		if r := e.get("/users/me", c, crossSite); r.status != http.StatusOK {
			t.Fatalf("cross-site GET: %d", r.status)
		}
		if r := e.patchJSON("/users/me", `{}`, c, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-origin") }); r.status != http.StatusOK {
			t.Fatalf("same-origin PATCH: %d %s", r.status, r.body)
		}
		b := e.login("jwt", "guinevere@camelot.bt", goodPassword)
		if r := e.patchJSON("/users/me", `{}`, b, crossSite); r.status != http.StatusOK {
			t.Fatalf("cross-site bearer PATCH: %d %s", r.status, r.body)
		}
	})
}

// With the database gone, clients get 503 and a JSON body without details.
func TestDatabaseDown(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("merlin@camelot.bt", goodPassword)
		c := e.login("jwt", "merlin@camelot.bt", goodPassword)
		e.db.Close()
		for _, r := range []reply{
			e.postJSON("/auth/register", `{"email":"nimue@camelot.bt","password":"`+goodPassword+`"}`),
			e.loginForm("jwt", "merlin@camelot.bt", goodPassword),
			e.get("/users/me", c),
		} {
			expect(t, r, http.StatusServiceUnavailable, `{"detail":"Service Unavailable"}`)
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		}
	})
}

// countingHasher counts verifications of a real hasher.
type countingHasher struct {
	hasher.Hasher
	verifies atomic.Int64
}

func (c *countingHasher) Verify(pw, encoded string) (bool, bool, error) {
	c.verifies.Add(1)
	return c.Hasher.Verify(pw, encoded)
}

// An unknown email costs a hash verification like a known one.
func TestUnknownEmailCostsAHash(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		h := &countingHasher{Hasher: cheapHasher(t)}
		e := open(func(c *authkit.Config) { c.Hasher = h })
		e.register("bedivere@camelot.bt", goodPassword)
		for _, email := range []string{"nobody@camelot.bt", "bedivere@camelot.bt"} {
			before := h.verifies.Load()
			e.loginForm("jwt", email, "wrong-password-x")
			if n := h.verifies.Load() - before; n != 1 {
				t.Fatalf("%s: %d verifications, want 1", email, n)
			}
		}
	})
}

// A legacy bcrypt hash logs in, and is replaced by an argon2id one.
func TestRehashOnLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("pellinore@camelot.bt", goodPassword)
		ctx := context.Background()
		u, _ := e.store.UserByEmail(ctx, "pellinore@camelot.bt")
		legacy, err := mustBcrypt(t).Hash(goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		u.HashedPassword = legacy
		e.store.UpdateUser(ctx, u)
		e.login("jwt", "pellinore@camelot.bt", goodPassword)
		u, _ = e.store.UserByEmail(ctx, "pellinore@camelot.bt")
		if !strings.HasPrefix(u.HashedPassword, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash not upgraded: %s", u.HashedPassword)
		}
		e.login("jwt", "pellinore@camelot.bt", goodPassword)
	})
}

func TestHooks(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		// Hooks run on server goroutines: the race detector cannot see the
		// ordering that HTTP round trips give, so guard the slice.
		var mu sync.Mutex
		var events []string
		add := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, s)
		}
		record := func(name string) func(context.Context, *authkit.User, *http.Request) {
			return func(_ context.Context, u *authkit.User, r *http.Request) {
				if r == nil {
					t.Errorf("%s: no request", name)
				}
				add(name + " " + u.Email)
			}
		}
		e := open(func(c *authkit.Config) {
			c.Hooks = authkit.Hooks{
				OnAfterRegister: record("register"),
				OnAfterLogin:    record("login"),
				OnAfterUpdate: func(_ context.Context, u *authkit.User, changed []string, _ *http.Request) {
					add("update " + u.Email + " " + strings.Join(changed, ","))
				},
				OnBeforeDelete: func(_ context.Context, u *authkit.User, _ *http.Request) error {
					add("before-delete " + u.Email)
					return nil
				},
				OnAfterDelete: record("delete"),
			}
		})
		u := e.register("ector@camelot.bt", goodPassword)
		e.register("uther@camelot.bt", goodPassword)
		e.makeSuperuser("uther@camelot.bt")
		admin := e.login("jwt", "uther@camelot.bt", goodPassword)
		e.patchJSON("/users/"+u["id"].(string), `{"is_verified":true,"email":"sir.ector@camelot.bt"}`, admin)
		e.do(http.MethodDelete, "/users/"+u["id"].(string), "", "", admin)
		want := []string{
			"register ector@camelot.bt", "register uther@camelot.bt", "login uther@camelot.bt",
			"update sir.ector@camelot.bt email,is_verified", "before-delete sir.ector@camelot.bt", "delete sir.ector@camelot.bt",
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []authkit.Config{
		{},
		{Backends: []authkit.AuthenticationBackend{{Name: "jwt"}}},
		{Backends: []authkit.AuthenticationBackend{{Name: "a b"}}},
	} {
		if _, err := authkit.New(cfg); err == nil {
			t.Fatalf("New(%+v) = nil error", cfg)
		}
	}
}
