package authkit_test

import (
	"net/http"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/go-authkit/authkit/transport"
)

// withRedisBackend adds a backend "redis": bearer transport, tokens in the
// real Redis (a strategy that can list and end single sessions).
func withRedisBackend(t *testing.T) func(*authkit.Config) {
	client, prefix := testdb.Redis(t)
	return func(c *authkit.Config) {
		s, err := redistoken.New(redistoken.Config{Client: client, Users: c.Users, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		c.Backends = append(c.Backends, authkit.AuthenticationBackend{Name: "redis", Transport: transport.Bearer{}, Strategy: s})
	}
}

// Users list their sessions, end one, or end them all; superusers do it
// for anyone (ASVS 7.5.2).
func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(withRedisBackend(t))
		e.register("lynet@camelot.bt", goodPassword)
		ua := func(agent string) cred { return func(r *http.Request) { r.Header.Set("User-Agent", agent) } }
		login := func(agent string) cred {
			r := e.do(http.MethodPost, "/auth/redis/login", "application/x-www-form-urlencoded",
				"username=lynet%40camelot.bt&password="+goodPassword, ua(agent))
			return bearer(decode(t, r.body)["access_token"].(string))
		}
		phone, laptop := login("Phone/1.0"), login("Laptop/2.0")
		jwt := e.login("jwt", "lynet@camelot.bt", goodPassword) // JWTs are not listed

		r := e.get("/users/me/sessions", laptop)
		var list []authkit.SessionInfo
		decodeInto(t, r.body, &list)
		if r.status != http.StatusOK || len(list) != 2 || list[0].UserAgent != "Laptop/2.0" || !list[0].Current ||
			list[1].UserAgent != "Phone/1.0" || list[1].Current || list[0].IP != "127.0.0.1" || list[0].ID == "" {
			t.Fatalf("sessions: %d %s", r.status, r.body)
		}
		// Ending the phone's session ends its token at once, and nothing else.
		expect(t, e.do(http.MethodDelete, "/users/me/sessions/"+list[1].ID, "", "", laptop), http.StatusNoContent, "")
		expect(t, e.get("/users/me", phone), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		if r := e.get("/users/me", laptop); r.status != http.StatusOK {
			t.Fatalf("laptop: %d", r.status)
		}
		expect(t, e.do(http.MethodDelete, "/users/me/sessions/"+list[1].ID, "", "", laptop), http.StatusNotFound, `{"detail":"Not Found"}`)

		// Another user cannot end it, and sees none of it.
		e.register("gareth@camelot.bt", goodPassword)
		other := e.login("redis", "gareth@camelot.bt", goodPassword)
		expect(t, e.do(http.MethodDelete, "/users/me/sessions/"+list[0].ID, "", "", other), http.StatusNotFound, `{"detail":"Not Found"}`)
		if r := e.get("/users/me", laptop); r.status != http.StatusOK {
			t.Fatalf("laptop after another user's attempt: %d", r.status)
		}

		// A superuser sees and ends a user's sessions.
		e.register("root@camelot.bt", goodPassword)
		e.makeSuperuser("root@camelot.bt")
		admin := e.login("jwt", "root@camelot.bt", goodPassword)
		id := decode(t, e.get("/users/me", laptop).body)["id"].(string)
		var adminView []authkit.SessionInfo
		decodeInto(t, e.get("/users/"+id+"/sessions", admin).body, &adminView)
		if len(adminView) != 1 || adminView[0].Current {
			t.Fatalf("admin view: %+v", adminView)
		}
		expect(t, e.get("/users/"+id+"/sessions", other), http.StatusForbidden, `{"detail":"Forbidden"}`)
		expect(t, e.do(http.MethodDelete, "/users/"+id+"/sessions", "", "", admin), http.StatusNoContent, "")
		expect(t, e.get("/users/me", laptop), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		expect(t, e.get("/users/me", jwt), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)

		// logout-all ends every session of the caller, its own included.
		a, b := e.login("redis", "gareth@camelot.bt", goodPassword), e.login("cookie", "gareth@camelot.bt", goodPassword)
		expect(t, e.do(http.MethodPost, "/auth/logout-all", "", "", a), http.StatusNoContent, "")
		for _, c := range []cred{a, b, other} {
			expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		}
		expect(t, e.do(http.MethodPost, "/auth/logout-all", "", "", a), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
	})
}
