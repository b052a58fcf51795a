package authkit_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/webauthntest"
)

const passkeyOrigin = "http://localhost:8000"

// withPasskeys turns passkeys (and TOTP) on for the relying party localhost.
func withPasskeys(clock *fakeClock) func(*authkit.Config) {
	return func(c *authkit.Config) {
		withMFA(clock)(c)
		c.Passkeys = &authkit.PasskeyConfig{RPID: "localhost", Origins: []string{passkeyOrigin}}
	}
}

// registerPasskey makes a passkey on a for the user of c.
func (e *env) registerPasskey(a *webauthntest.Authenticator, c cred, name string) map[string]any {
	e.t.Helper()
	r := e.postJSON("/users/me/passkeys/begin", "", c)
	if r.status != http.StatusOK {
		e.t.Fatalf("passkey begin: %d %s", r.status, r.body)
	}
	resp, err := a.Create([]byte(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	r = e.postJSON("/users/me/passkeys/finish", `{"name":`+q(name)+`,"credential":`+string(resp)+`}`, c)
	if r.status != http.StatusCreated {
		e.t.Fatalf("passkey finish: %d %s", r.status, r.body)
	}
	return decode(e.t, r.body)
}

// passkeyBegin asks backend for request options; body may be "".
func (e *env) passkeyBegin(backend, body string) []byte {
	e.t.Helper()
	r := e.postJSON("/auth/"+backend+"/passkey/begin", body)
	if r.status != http.StatusOK {
		e.t.Fatalf("passkey login begin: %d %s", r.status, r.body)
	}
	return []byte(r.body)
}

// passkeyAssert signs the options with a's passkey (cred, or the first).
func passkeyAssert(t *testing.T, a *webauthntest.Authenticator, opts []byte, cred *webauthntest.Credential) string {
	t.Helper()
	resp, err := a.Get(opts, cred)
	if err != nil {
		t.Fatal(err)
	}
	return `{"credential":` + string(resp) + `}`
}

// Register a passkey with a software authenticator, then sign in with it
// — no username, no password — through bearer and cookie backends; a
// replayed assertion, a regressed sign count (a clone), a wrong origin
// and an unverified user are refused; a removed passkey stops working.
func TestPasskeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		var (
			mu   sync.Mutex
			logs bytes.Buffer
		)
		e := open(withPasskeys(clock), func(c *authkit.Config) { c.Logger = slogJSON(&mu, &logs) })
		const email = "nimue@avalon.bt"
		id := e.register(email, goodPassword)["id"].(string)
		c := e.login("jwt", email, goodPassword)
		other := e.login("db", email, goodPassword)
		a := &webauthntest.Authenticator{Origin: passkeyOrigin}
		pk := e.registerPasskey(a, c, "Laptop")
		if pk["name"] != "Laptop" || pk["last_used_at"] != nil {
			t.Fatalf("passkey %v", pk)
		}
		expect(t, e.get("/users/me", other), 401, `{"detail":"Unauthorized"}`) // a security change
		if r := e.get("/users/me/passkeys", c); r.status != 200 || !strings.Contains(r.body, `"name":"Laptop"`) {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		expect(t, e.get("/users/me/mfa", c), 200, `{"totp":false,"recovery_codes_left":0,"passkeys":1}`)

		for _, b := range []string{"jwt", "cookie", "refresh"} {
			body := passkeyAssert(t, a, e.passkeyBegin(b, ""), nil)
			lc := e.loggedIn(b, e.postJSON("/auth/"+b+"/passkey/finish", body))
			if r := e.get("/protected", lc); r.status != 200 || r.body != email {
				t.Fatalf("%s: session of a passkey sign-in: %d %s", b, r.status, r.body)
			}
			expect(t, e.postJSON("/auth/"+b+"/passkey/finish", body), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		}
		// A challenge of one backend is no good at another.
		body := passkeyAssert(t, a, e.passkeyBegin("jwt", ""), nil)
		expect(t, e.postJSON("/auth/cookie/passkey/finish", body), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)

		// A cloned authenticator: its counter is behind the stored one.
		a.Creds[0].SignCount -= 2
		expect(t, e.postJSON("/auth/jwt/passkey/finish", passkeyAssert(t, a, e.passkeyBegin("jwt", ""), nil)), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		mu.Lock()
		if !strings.Contains(logs.String(), `"event":"passkey.clone_warning","client":"127.0.0.1","user_id":"`+id+`"`) {
			t.Errorf("no audit of the clone:\n%s", logs.String())
		}
		mu.Unlock()
		a.Creds[0].SignCount += 10

		wrong := &webauthntest.Authenticator{Origin: "http://evil.localhost:8000", Creds: a.Creds}
		expect(t, e.postJSON("/auth/jwt/passkey/finish", passkeyAssert(t, wrong, e.passkeyBegin("jwt", ""), nil)), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		lazy := &webauthntest.Authenticator{Origin: passkeyOrigin, Creds: a.Creds, NoUserVerification: true}
		expect(t, e.postJSON("/auth/jwt/passkey/finish", passkeyAssert(t, lazy, e.passkeyBegin("jwt", ""), nil)), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		e.loggedIn("jwt", e.postJSON("/auth/jwt/passkey/finish", passkeyAssert(t, a, e.passkeyBegin("jwt", ""), nil)))

		for _, bad := range []string{`{}`, `{"credential":1}`, `{"credential":{}}`, `{"credential":{"id":"x","type":"public-key","response":{}}}`} {
			r := e.postJSON("/auth/jwt/passkey/finish", bad)
			if r.status != 400 && r.status != 422 {
				t.Errorf("finish %s: %d %s", bad, r.status, r.body)
			}
		}

		pid := pk["id"].(string)
		expect(t, e.do(http.MethodDelete, "/users/me/passkeys/"+pid, "", "", c), 204, "")
		expect(t, e.do(http.MethodDelete, "/users/me/passkeys/"+pid, "", "", c), 404, `{"detail":"Not Found"}`)
		expect(t, e.do(http.MethodDelete, "/users/me/passkeys/nope", "", "", c), 404, `{"detail":"Not Found"}`)
		expect(t, e.postJSON("/auth/jwt/passkey/finish", passkeyAssert(t, a, e.passkeyBegin("jwt", ""), nil)), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		expect(t, e.get("/users/me/passkeys", c), 200, `[]`)
	})
}

// A passkey satisfies the second factor after a password: the mfa_token
// asks for that user's passkeys only, and goes with the sign-in.
func TestPasskeySecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withPasskeys(clock))
		const email, eve = "morgan@avalon.bt", "eve@avalon.bt"
		e.register(email, goodPassword)
		e.register(eve, goodPassword)
		a := &webauthntest.Authenticator{Origin: passkeyOrigin}
		e.registerPasskey(a, e.login("jwt", email, goodPassword), "Phone")
		evil := &webauthntest.Authenticator{Origin: passkeyOrigin}
		e.registerPasskey(evil, e.login("jwt", eve, goodPassword), "Eve's")

		r := e.loginForm("cookie", email, goodPassword)
		var body struct {
			Token   string   `json:"mfa_token"`
			Methods []string `json:"methods"`
		}
		decodeInto(t, r.body, &body)
		if r.status != 400 || strings.Join(body.Methods, ",") != "passkey" {
			t.Fatalf("login of a user with a passkey: %d %s", r.status, r.body)
		}
		opts := e.passkeyBegin("cookie", `{"mfa_token":`+q(body.Token)+`}`)
		var o struct {
			PublicKey struct {
				Allow []struct {
					ID string `json:"id"`
				} `json:"allowCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil || len(o.PublicKey.Allow) != 1 {
			t.Fatalf("options for the second step: %s", opts)
		}
		// Another user's passkey does not complete this user's login.
		expect(t, e.postJSON("/auth/cookie/passkey/finish", passkeyAssert(t, evil, opts, evil.Creds[0])), 400, `{"detail":"LOGIN_BAD_PASSKEY"}`)
		opts = e.passkeyBegin("cookie", `{"mfa_token":`+q(body.Token)+`}`)
		e.loggedIn("cookie", e.postJSON("/auth/cookie/passkey/finish", passkeyAssert(t, a, opts, nil)))
		expect(t, e.postJSON("/auth/cookie/passkey/begin", `{"mfa_token":`+q(body.Token)+`}`), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
		expect(t, e.postJSON("/auth/jwt/passkey/begin", `{"mfa_token":"x"}`), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	})
}

// One assertion presented by 10 requests at once signs in once.
func TestPasskeyChallengeRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withPasskeys(clock))
		e.register("vivien@avalon.bt", goodPassword)
		a := &webauthntest.Authenticator{Origin: passkeyOrigin}
		e.registerPasskey(a, e.login("jwt", "vivien@avalon.bt", goodPassword), "Key")
		body := passkeyAssert(t, a, e.passkeyBegin("jwt", ""), nil)
		rs := replies(10, func(int) reply { return e.postJSON("/auth/jwt/passkey/finish", body) })
		if got := wins(t, rs, 200, `{"detail":"LOGIN_BAD_PASSKEY"}`); got != 1 {
			t.Errorf("%d of 10 sign-ins with one assertion succeeded, want 1", got)
		}
	})
}
