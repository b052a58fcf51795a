package authkit_test

import (
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"net/http"
	"testing"

	"github.com/go-authkit/authkit"
)

// loginRefresh logs in through the "refresh" backend and returns the
// access and refresh tokens.
func (e *env) loginRefresh(email string) (access, refresh string) {
	e.t.Helper()
	r := e.loginForm("refresh", email, goodPassword)
	m := decode(e.t, r.body)
	access, _ = m["access_token"].(string)
	refresh, _ = m["refresh_token"].(string)
	if r.status != http.StatusOK || access == "" || refresh == "" || m["token_type"] != "bearer" || m["expires_in"] != float64(3600) || len(m) != 4 {
		e.t.Fatalf("login: %d %s", r.status, r.body)
	}
	return access, refresh
}

func (e *env) refresh(token string) reply {
	e.t.Helper()
	return e.postJSON("/auth/refresh/refresh", `{"refresh_token":`+q(token)+`}`)
}

func TestRefreshRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("kay@camelot.bt", goodPassword)
		access1, refresh1 := e.loginRefresh("kay@camelot.bt")

		r := e.refresh(refresh1)
		if r.status != http.StatusOK {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		m := decode(t, r.body)
		access2, refresh2 := m["access_token"].(string), m["refresh_token"].(string)
		if access2 == access1 || refresh2 == refresh1 || len(m) != 4 {
			t.Fatalf("refresh body %s", r.body)
		}
		for _, a := range []string{access1, access2} {
			if r := e.get("/users/me", bearer(a)); r.status != http.StatusOK {
				t.Fatalf("access token: %d", r.status)
			}
		}
		// The session shows in the listing, as the current one.
		var list []authkit.SessionInfo
		decodeInto(t, e.get("/users/me/sessions", bearer(access2)).body, &list)
		if len(list) != 1 || !list[0].Current || list[0].UserAgent != "Go-http-client/1.1" {
			t.Fatalf("sessions %+v", list)
		}

		// Replaying the used refresh token is theft: the whole session ends,
		// its access tokens at once, and the thief gets nothing.
		expect(t, e.refresh(refresh1), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		expect(t, e.refresh(refresh2), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		for _, a := range []string{access1, access2} {
			expect(t, e.get("/users/me", bearer(a)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		}
		decodeInto(t, e.get("/users/me/sessions", e.login("jwt", "kay@camelot.bt", goodPassword)).body, &list)
		if len(list) != 0 {
			t.Fatalf("sessions after reuse %+v", list)
		}
	})
}

func TestRefreshEnds(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("bors@camelot.bt", goodPassword)

		t.Run("bad input", func(t *testing.T) {
			expect(t, e.refresh("garbage"), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
			expect(t, e.refresh("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
			expect(t, e.postJSON("/auth/refresh/refresh", `{}`), http.StatusUnprocessableEntity,
				`{"detail":[{"type":"missing","loc":["body","refresh_token"],"msg":"Field required"}]}`)
		})
		t.Run("logout ends the session", func(t *testing.T) {
			access, refresh := e.loginRefresh("bors@camelot.bt")
			expect(t, e.do(http.MethodPost, "/auth/refresh/logout", "", "", bearer(access)), http.StatusNoContent, "")
			expect(t, e.refresh(refresh), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		})
		t.Run("ending the session from the listing", func(t *testing.T) {
			access, refresh := e.loginRefresh("bors@camelot.bt")
			other, _ := e.loginRefresh("bors@camelot.bt")
			var list []authkit.SessionInfo
			decodeInto(t, e.get("/users/me/sessions", bearer(other)).body, &list)
			var target string
			for _, s := range list {
				if !s.Current {
					target = s.ID
				}
			}
			expect(t, e.do(http.MethodDelete, "/users/me/sessions/"+target, "", "", bearer(other)), http.StatusNoContent, "")
			expect(t, e.get("/users/me", bearer(access)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			expect(t, e.refresh(refresh), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
			if r := e.get("/users/me", bearer(other)); r.status != http.StatusOK {
				t.Fatalf("the other session: %d", r.status)
			}
		})
		t.Run("a password change keeps only this session", func(t *testing.T) {
			a1, r1 := e.loginRefresh("bors@camelot.bt")
			a2, r2 := e.loginRefresh("bors@camelot.bt")
			const next = "emerald-lantern-falls"
			if r := e.patchJSON("/users/me", `{"password":"`+next+`","current_password":"`+goodPassword+`"}`, bearer(a1)); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			expect(t, e.get("/users/me", bearer(a2)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			expect(t, e.refresh(r2), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
			if r := e.refresh(r1); r.status != http.StatusOK {
				t.Fatalf("the session that changed the password: %d %s", r.status, r.body)
			}
			e.patchJSON("/users/me", `{"password":"`+goodPassword+`","current_password":"`+next+`"}`, bearer(a1))
		})
		t.Run("deactivation ends it", func(t *testing.T) {
			_, refresh := e.loginRefresh("bors@camelot.bt")
			e.register("root@camelot.bt", goodPassword)
			e.makeSuperuser("root@camelot.bt")
			admin := e.login("jwt", "root@camelot.bt", goodPassword)
			id := decode(t, e.get("/users/me", e.login("db", "bors@camelot.bt", goodPassword)).body)["id"].(string)
			e.patchJSON("/users/"+id, `{"is_active":false}`, admin)
			expect(t, e.refresh(refresh), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		})
	})
}

// The cookie transport carries refresh tokens in a second cookie, sent to
// the refresh route only.
func TestRefreshCookie(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(func(c *authkit.Config) {
			st := c.Users.(testStore)
			jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte(testSecret), Store: st,
				Refresh: &strategy.RefreshConfig{Store: st, Users: st}})
			if err != nil {
				t.Fatal(err)
			}
			cookie, err := transport.NewCookie(transport.CookieConfig{Name: "session", RefreshPath: "/auth/cookierefresh/refresh"})
			if err != nil {
				t.Fatal(err)
			}
			c.Backends = append(c.Backends, authkit.AuthenticationBackend{Name: "cookierefresh", Transport: cookie, Strategy: jwt})
		})
		e.register("ector@camelot.bt", goodPassword)
		r := e.do(http.MethodPost, "/auth/cookierefresh/login", "application/x-www-form-urlencoded", "username=ector%40camelot.bt&password="+goodPassword)
		expect(t, r, http.StatusNoContent, "")
		access, refresh := findCookie(t, r.header, "session"), findCookie(t, r.header, "__Secure-session_refresh")
		if refresh.Path != "/auth/cookierefresh/refresh" || !refresh.HttpOnly || !refresh.Secure ||
			refresh.SameSite != http.SameSiteStrictMode || refresh.MaxAge != 30*24*3600 || access.Path != "/" {
			t.Fatalf("cookies %+v %+v", access, refresh)
		}
		withCookie := func(c *http.Cookie) cred {
			return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
		}
		if r := e.get("/users/me", withCookie(access)); r.status != http.StatusOK {
			t.Fatalf("me: %d", r.status)
		}
		// Refreshed with the cookie alone.
		r = e.do(http.MethodPost, "/auth/cookierefresh/refresh", "", "", withCookie(refresh))
		expect(t, r, http.StatusNoContent, "")
		access2, refresh2 := findCookie(t, r.header, "session"), findCookie(t, r.header, "__Secure-session_refresh")
		if r := e.get("/users/me", withCookie(access2)); r.status != http.StatusOK {
			t.Fatalf("me after refresh: %d", r.status)
		}
		// Not from another site.
		expect(t, e.do(http.MethodPost, "/auth/cookierefresh/refresh", "", "", withCookie(refresh2),
			func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }), http.StatusForbidden, `{"detail":"Forbidden"}`)
		// The old cookie again: theft; the session ends.
		expect(t, e.do(http.MethodPost, "/auth/cookierefresh/refresh", "", "", withCookie(refresh)), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		expect(t, e.do(http.MethodPost, "/auth/cookierefresh/refresh", "", "", withCookie(refresh2)), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
		expect(t, e.get("/users/me", withCookie(access2)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		// Logout expires both cookies.
		r = e.do(http.MethodPost, "/auth/cookierefresh/login", "application/x-www-form-urlencoded", "username=ector%40camelot.bt&password="+goodPassword)
		out := e.do(http.MethodPost, "/auth/cookierefresh/logout", "", "", withCookie(findCookie(t, r.header, "session")))
		expect(t, out, http.StatusNoContent, "")
		if findCookie(t, out.header, "session").MaxAge != -1 || findCookie(t, out.header, "__Secure-session_refresh").MaxAge != -1 {
			t.Fatalf("logout cookies %v", out.header.Values("Set-Cookie"))
		}
		expect(t, e.do(http.MethodPost, "/auth/cookierefresh/refresh", "", "", withCookie(findCookie(t, r.header, "__Secure-session_refresh"))),
			http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
	})
}
