package authkit_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/webauthntest"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/mfa"
)

// The document describes every answer of the second factors' routes, and
// every one of them is exercised.
func TestOpenAPIMatchesServerMFA(t *testing.T) {
	clock := newClock()
	e := newEnv(t, stores[0].open, withPasskeys(clock), func(c *authkit.Config) {
		c.RequireMFA = authkit.MFARequiredForSuperusers
		c.Throttle = authkit.Throttle{MFAPerUser: limiter.Rule{Limit: 50, Window: time.Minute}}
	})
	d := e.doc(t)
	exercised := map[string]bool{}
	check := func(method, path string, r reply) {
		t.Helper()
		d.check(method, path, r)
		exercised[method+" "+path] = true
	}
	const email, admin = "ector@camelot.bt", "uther@camelot.bt"
	id := e.register(email, goodPassword)["id"].(string)
	c := e.login("jwt", email, goodPassword)
	cookie := e.login("cookie", email, goodPassword)
	crossSite := func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }

	check("GET", "/users/me/mfa", e.get("/users/me/mfa", c))
	check("GET", "/users/me/mfa", e.get("/users/me/mfa"))
	check("POST", "/users/me/mfa/totp/confirm", e.postJSON("/users/me/mfa/totp/confirm", `{"code":"123456"}`, c))
	r := e.postJSON("/users/me/mfa/totp", "", c)
	check("POST", "/users/me/mfa/totp", r)
	secret := decode(t, r.body)["secret"].(string)
	check("POST", "/users/me/mfa/totp", e.postJSON("/users/me/mfa/totp", `{"mfa_token":"x"}`))
	check("POST", "/users/me/mfa/totp/confirm", e.postJSON("/users/me/mfa/totp/confirm", `{"code":"000000x"}`, c))
	check("POST", "/users/me/mfa/totp/confirm", e.postJSON("/users/me/mfa/totp/confirm", `{}`, c))
	check("POST", "/users/me/mfa/totp/confirm", e.postJSON("/users/me/mfa/totp/confirm", `{"code":"`+totpCode(t, secret, clock.Now())+`"}`, c))
	check("POST", "/users/me/mfa/totp", e.postJSON("/users/me/mfa/totp", "", c))
	check("POST", "/users/me/mfa/totp", e.postJSON("/users/me/mfa/totp", "", cookie, crossSite))

	for _, b := range []string{"jwt", "cookie"} {
		login, second := "/auth/"+b+"/login", "/auth/"+b+"/login/mfa"
		form := "username=" + strings.ReplaceAll(email, "@", "%40") + "&password=" + goodPassword
		r := e.do("POST", login, "application/x-www-form-urlencoded", form)
		check("POST", login, r)
		token := decode(t, r.body)["mfa_token"].(string)
		check("POST", second, e.secondStep(b, token, "code", "000000"))
		check("POST", second, e.secondStep(b, "nope", "code", "000000"))
		check("POST", second, e.postJSON(second, `{"mfa_token":"x"}`))
		clock.Advance(mfa.Period * time.Second)
		check("POST", second, e.secondStep(b, token, "code", totpCode(t, secret, clock.Now())))
	}
	check("POST", "/auth/cookie/login/mfa", e.do("POST", "/auth/cookie/login/mfa", "application/json", `{}`, crossSite))

	regen := "/users/me/mfa/recovery-codes"
	check("POST", regen, e.postJSON(regen, `{"password":"`+goodPassword+`"}`, c))
	check("POST", regen, e.postJSON(regen, `{"password":"wrong-password-x"}`, c))
	check("POST", regen, e.postJSON(regen, `{}`, c))

	a := &webauthntest.Authenticator{Origin: passkeyOrigin}
	r = e.postJSON("/users/me/passkeys/begin", "", c)
	check("POST", "/users/me/passkeys/begin", r)
	check("POST", "/users/me/passkeys/begin", e.postJSON("/users/me/passkeys/begin", ""))
	resp, err := a.Create([]byte(r.body))
	if err != nil {
		t.Fatal(err)
	}
	fin := "/users/me/passkeys/finish"
	check("POST", fin, e.postJSON(fin, `{"name":"Key","credential":{"id":"x"}}`, c))
	check("POST", fin, e.postJSON(fin, `{"name":"","credential":{}}`, c))
	r = e.postJSON(fin, `{"name":"Key","credential":`+string(resp)+`}`, c)
	check("POST", fin, r)
	pid := decode(t, r.body)["id"].(string)
	check("POST", fin, e.postJSON(fin, `{"name":"Key","credential":`+string(resp)+`}`, c))
	check("GET", "/users/me/passkeys", e.get("/users/me/passkeys", c))
	for _, b := range []string{"jwt", "cookie"} {
		begin, finish := "/auth/"+b+"/passkey/begin", "/auth/"+b+"/passkey/finish"
		r := e.postJSON(begin, "")
		check("POST", begin, r)
		check("POST", begin, e.postJSON(begin, `{"mfa_token":"x"}`))
		check("POST", begin, e.postJSON(begin, `[]`))
		body := passkeyAssert(t, a, []byte(r.body), nil)
		check("POST", finish, e.postJSON(finish, body))
		check("POST", finish, e.postJSON(finish, body))
		check("POST", finish, e.postJSON(finish, `{}`))
	}
	check("POST", "/auth/cookie/passkey/finish", e.do("POST", "/auth/cookie/passkey/finish", "application/json", `{}`, crossSite))
	check("DELETE", "/users/me/passkeys/{passkey_id}", e.do("DELETE", "/users/me/passkeys/"+pid, "", "", c))
	check("DELETE", "/users/me/passkeys/{passkey_id}", e.do("DELETE", "/users/me/passkeys/"+pid, "", "", c))

	del := "/users/me/mfa/totp"
	check("DELETE", del, e.do("DELETE", del, "application/json", `{"password":"`+goodPassword+`","code":"000000"}`, c))
	check("DELETE", del, e.do("DELETE", del, "application/json", `{}`, c))
	clock.Advance(mfa.Period * time.Second)
	check("DELETE", del, e.do("DELETE", del, "application/json", `{"password":"`+goodPassword+`","code":"`+totpCode(t, secret, clock.Now())+`"}`, c))
	check("DELETE", del, e.do("DELETE", del, "application/json", `{"password":"`+goodPassword+`","code":"000000"}`, c))

	e.register(admin, goodPassword)
	e.makeSuperuser(admin)
	r = e.loginForm("jwt", admin, goodPassword)
	check("POST", "/auth/jwt/login", r)
	tok := decode(t, r.body)["mfa_token"].(string)
	r = e.postJSON("/users/me/mfa/totp", `{"mfa_token":`+q(tok)+`}`)
	check("POST", "/users/me/mfa/totp", r)
	adminSecret := decode(t, r.body)["secret"].(string)
	check("POST", "/users/me/mfa/totp/confirm", e.postJSON("/users/me/mfa/totp/confirm", `{"mfa_token":`+q(tok)+`,"code":"`+totpCode(t, adminSecret, clock.Now())+`"}`))
	sc := e.loggedIn("jwt", e.secondStep("jwt", e.mfaLogin("jwt", admin, goodPassword), "code", totpCode(t, adminSecret, clock.Now().Add(mfa.Period*time.Second))))
	reset := "/users/{id}/mfa"
	check("DELETE", reset, e.do("DELETE", "/users/"+id+"/mfa", "", "", sc))
	check("DELETE", reset, e.do("DELETE", "/users/00000000-0000-0000-0000-000000000000/mfa", "", "", sc))
	check("DELETE", reset, e.do("DELETE", "/users/"+id+"/mfa", "", "", e.login("jwt", email, goodPassword)))

	for _, m := range []authkit.Mounted{authkit.At("/auth/jwt", authRouter(t, e.kit, "jwt")), authkit.At("/auth/cookie", authRouter(t, e.kit, "cookie")), authkit.At("/users", e.kit.UsersRouter())} {
		for _, rt := range m.Router.Routes() {
			if p := m.Prefix + rt.Path; (strings.Contains(p, "mfa") || strings.Contains(p, "passkey")) && !exercised[rt.Method+" "+p] {
				t.Errorf("%s %s was not exercised", rt.Method, p)
			}
		}
	}
}
