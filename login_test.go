package authkit_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
)

func TestLoginBearer(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("gawain@camelot.bt", goodPassword)
		for _, backend := range []string{"jwt", "db"} {
			t.Run(backend, func(t *testing.T) {
				r := e.loginForm(backend, "GAWAIN@camelot.bt", goodPassword)
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.body)
				}
				tok := decode(t, r.body)
				access, _ := tok["access_token"].(string)
				if len(tok) != 2 || tok["token_type"] != "bearer" || access == "" {
					t.Fatalf("body %s", r.body)
				}
				expect(t, r, http.StatusOK, `{"access_token":"`+access+`","token_type":"bearer"}`)
				me := e.get("/users/me", bearer(access))
				if me.status != http.StatusOK || decode(t, me.body)["email"] != "gawain@camelot.bt" {
					t.Fatalf("me: %d %s", me.status, me.body)
				}
				// Every login makes a new token.
				if again := e.login(backend, "gawain@camelot.bt", goodPassword); again == nil {
					t.Fatal("no second token")
				}
				second := e.loginForm(backend, "gawain@camelot.bt", goodPassword)
				if decode(t, second.body)["access_token"] == access {
					t.Fatal("two logins gave the same token")
				}
			})
		}
	})
}

func TestLoginCookie(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("percival@camelot.bt", goodPassword)
		for _, backend := range []string{"cookie", "cookiejwt"} {
			t.Run(backend, func(t *testing.T) {
				r := e.loginForm(backend, "percival@camelot.bt", goodPassword)
				expect(t, r, http.StatusNoContent, "")
				c := findCookie(t, r.header, "authkit")
				if c.Value == "" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode ||
					c.Path != "/" || c.Domain != "" || c.MaxAge != 3600 {
					t.Fatalf("cookie %+v", c)
				}
				withCookie := func(req *http.Request) { req.AddCookie(&http.Cookie{Name: "authkit", Value: c.Value}) }
				if me := e.get("/users/me", withCookie); me.status != http.StatusOK {
					t.Fatalf("me: %d %s", me.status, me.body)
				}
				out := e.do(http.MethodPost, "/auth/"+backend+"/logout", "", "", withCookie)
				expect(t, out, http.StatusNoContent, "")
				gone := findCookie(t, out.header, "authkit")
				if gone.MaxAge != -1 || !strings.Contains(strings.Join(out.header.Values("Set-Cookie"), ";"), "Max-Age=0") {
					t.Fatalf("logout cookie %v", out.header.Values("Set-Cookie"))
				}
				expect(t, e.get("/users/me", withCookie), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			})
		}
	})
}

func TestLoginMultipart(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("bors@camelot.bt", goodPassword)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("username", "bors@camelot.bt")
		mw.WriteField("password", goodPassword)
		mw.WriteField("grant_type", "password")
		mw.Close()
		r := e.do(http.MethodPost, "/auth/jwt/login", mw.FormDataContentType(), buf.String())
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("mordred@camelot.bt", goodPassword)
		inactive := e.register("inactive@camelot.bt", goodPassword)
		_ = inactive
		ctx := context.Background()
		u, _ := e.store.UserByEmail(ctx, "inactive@camelot.bt")
		u.IsActive = false
		if err := e.store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		const bad = `{"detail":"LOGIN_BAD_CREDENTIALS"}`
		for _, backend := range backendNames {
			t.Run(backend, func(t *testing.T) {
				expect(t, e.loginForm(backend, "nobody@camelot.bt", goodPassword), http.StatusBadRequest, bad)
				expect(t, e.loginForm(backend, "mordred@camelot.bt", goodPassword+"x"), http.StatusBadRequest, bad)
				expect(t, e.loginForm(backend, "inactive@camelot.bt", goodPassword), http.StatusBadRequest, bad)
				expect(t, e.loginForm(backend, "not an email", goodPassword), http.StatusBadRequest, bad)
			})
		}
		missing := func(field string) string {
			return `{"type":"missing","loc":["body","` + field + `"],"msg":"Field required"}`
		}
		form := "application/x-www-form-urlencoded"
		for _, tc := range []struct{ name, contentType, body, detail string }{
			{"no fields", form, "", `[` + missing("username") + `,` + missing("password") + `]`},
			{"no password", form, "username=mordred%40camelot.bt", `[` + missing("password") + `]`},
			{"JSON instead of a form", "application/json", `{"username":"mordred@camelot.bt","password":"x"}`,
				`[` + missing("username") + `,` + missing("password") + `]`},
			{"bad grant_type", form, "username=a%40b.cd&password=x&grant_type=client_credentials",
				`[{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '^password$'"}]`},
			{"invalid UTF-8", form, "username=a%40b.cd&password=%ff%fe",
				`[{"type":"string_unicode","loc":["body","password"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string"}]`},
			{"bad escape", form, "username=%zz&password=x", `[{"type":"value_error","loc":["body"],"msg":"Invalid form data"}]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expect(t, e.do(http.MethodPost, "/auth/jwt/login", tc.contentType, tc.body), http.StatusUnprocessableEntity, `{"detail":`+tc.detail+`}`)
			})
		}
		t.Run("credentials in the query string are not read", func(t *testing.T) {
			q := url.Values{"username": {"mordred@camelot.bt"}, "password": {goodPassword}}.Encode()
			r := e.do(http.MethodPost, "/auth/jwt/login?"+q, form, "")
			expect(t, r, http.StatusUnprocessableEntity, `{"detail":[`+missing("username")+`,`+missing("password")+`]}`)
		})
		t.Run("oversized form", func(t *testing.T) {
			body := "username=a%40b.cd&password=" + strings.Repeat("x", 70<<10)
			expect(t, e.do(http.MethodPost, "/auth/jwt/login", form, body), http.StatusRequestEntityTooLarge, `{"detail":"Request Entity Too Large"}`)
		})
	})
}

func TestLoginRequiresVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(func(c *authkit.Config) { c.RequireVerification = true })
		e.register("galahad@camelot.bt", goodPassword)
		expect(t, e.loginForm("jwt", "galahad@camelot.bt", goodPassword), http.StatusBadRequest, `{"detail":"LOGIN_USER_NOT_VERIFIED"}`)
		// Wrong passwords still say only that.
		expect(t, e.loginForm("jwt", "galahad@camelot.bt", "wrong-password-x"), http.StatusBadRequest, `{"detail":"LOGIN_BAD_CREDENTIALS"}`)
		ctx := context.Background()
		u, _ := e.store.UserByEmail(ctx, "galahad@camelot.bt")
		u.IsVerified = true
		e.store.UpdateUser(ctx, u)
		c := e.login("jwt", "galahad@camelot.bt", goodPassword)
		if r := e.get("/users/me", c); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestLogout(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("kay@camelot.bt", goodPassword)
		for _, backend := range backendNames {
			t.Run(backend, func(t *testing.T) {
				c := e.login(backend, "kay@camelot.bt", goodPassword)
				other := e.login(backend, "kay@camelot.bt", goodPassword)
				if r := e.get("/users/me", c); r.status != http.StatusOK {
					t.Fatalf("me: %d %s", r.status, r.body)
				}
				expect(t, e.do(http.MethodPost, "/auth/"+backend+"/logout", "", "", c), http.StatusNoContent, "")
				r := e.get("/users/me", c)
				expect(t, r, http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
				// The same token cannot log out twice, and the other session lives on.
				expect(t, e.do(http.MethodPost, "/auth/"+backend+"/logout", "", "", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
				if r := e.get("/users/me", other); r.status != http.StatusOK {
					t.Fatalf("other session: %d %s", r.status, r.body)
				}
			})
		}
		t.Run("no token", func(t *testing.T) {
			expect(t, e.do(http.MethodPost, "/auth/jwt/logout", "", ""), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		})
		t.Run("another backend's token", func(t *testing.T) {
			c := e.login("db", "kay@camelot.bt", goodPassword)
			expect(t, e.do(http.MethodPost, "/auth/jwt/logout", "", "", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		})
		t.Run("garbage tokens", func(t *testing.T) {
			for _, h := range []string{"Bearer", "Bearer ", "Basic a2F5OnB3", "Bearer a.b.c", "Bearer " + strings.Repeat("A", 20000)} {
				r := e.do(http.MethodGet, "/users/me", "", "", func(r *http.Request) { r.Header.Set("Authorization", h) })
				expect(t, r, http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			}
		})
		t.Run("token in the query string", func(t *testing.T) {
			r := e.loginForm("jwt", "kay@camelot.bt", goodPassword)
			tok := decode(t, r.body)["access_token"].(string)
			expect(t, e.get("/users/me?access_token="+tok), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		})
	})
}
