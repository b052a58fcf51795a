package authkit_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/go-authkit/authkit/internal/faultproxy"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/jmoiron/sqlx"
)

// proxiedPostgres opens a store through driver over a fault proxy to the
// test's PostgreSQL schema.
func proxiedPostgres(driver string, p **faultproxy.Proxy) func(t *testing.T) (testStore, *sqlx.DB) {
	return func(t *testing.T) (testStore, *sqlx.DB) {
		u, err := url.Parse(testdb.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		*p = faultproxy.NewPostgres(t, u.Host)
		u.Host = (*p).Addr()
		db, err := sqlx.Open(driver, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetMaxOpenConns(testdb.MaxOpenConns)
		s, err := postgres.New(db)
		if err != nil {
			t.Fatal(err)
		}
		migrate(t, s)
		return s, db
	}
}

// A registration whose INSERT committed but whose answer the network lost
// gets 201 with the new user — not REGISTER_USER_ALREADY_EXISTS, which
// lib/pq's retry of the statement met, nor a 503 while the account exists
// (pgx) — with either driver.
func TestRegisterLostReply(t *testing.T) {
	for _, driver := range []string{"postgres", "pgx"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			var p *faultproxy.Proxy
			e := newEnv(t, proxiedPostgres(driver, &p))
			p.CutAfter("INSERT 0 1")
			r := e.postJSON("/auth/register", `{"email":"lancelot@camelot.bt","password":"`+goodPassword+`"}`)
			if p.Cuts() != 1 {
				t.Fatalf("the proxy cut %d connections, want 1", p.Cuts())
			}
			if r.status != http.StatusCreated {
				t.Fatalf("register after a lost reply: %d %s, want 201", r.status, r.body)
			}
			u := decode(t, r.body)
			got, err := e.store.UserByEmail(t.Context(), "lancelot@camelot.bt")
			if err != nil || got.ID.String() != u["id"] {
				t.Fatalf("stored user %v %v, answered %v", got, err, u["id"])
			}
			e.login("jwt", "lancelot@camelot.bt", goodPassword)
			// And a second registration of the address is still refused.
			expect(t, e.postJSON("/auth/register", `{"email":"lancelot@camelot.bt","password":"`+goodPassword+`"}`),
				http.StatusBadRequest, `{"detail":"REGISTER_USER_ALREADY_EXISTS"}`)
		})
	}
}

// A login whose token INSERT committed but whose answer was lost gives
// the token — which then authenticates — with either driver; so does a
// login that starts a refresh family.
func TestLoginLostReply(t *testing.T) {
	for _, driver := range []string{"postgres", "pgx"} {
		for _, backend := range []string{"db", "refresh"} {
			t.Run(driver+"/"+backend, func(t *testing.T) {
				t.Parallel()
				var p *faultproxy.Proxy
				e := newEnv(t, proxiedPostgres(driver, &p))
				e.register("lancelot@camelot.bt", goodPassword)
				p.CutAfter("INSERT 0 1")
				c := e.login(backend, "lancelot@camelot.bt", goodPassword)
				if p.Cuts() != 1 {
					t.Fatalf("the proxy cut %d connections, want 1", p.Cuts())
				}
				if r := e.get("/users/me", c); r.status != http.StatusOK {
					t.Fatalf("the token of a login whose reply was lost: %d %s", r.status, r.body)
				}
			})
		}
	}
}
