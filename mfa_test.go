package authkit_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/mfa"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// mfaKey is the key that seals TOTP secrets in the tests.
var mfaKey = bytes.Repeat([]byte{0x5e}, mfa.KeySize)

// withMFA turns second factors on, with clock as the kit's clock.
func withMFA(clock *fakeClock) func(*authkit.Config) {
	return func(c *authkit.Config) {
		c.MFA = &authkit.MFAConfig{SecretKey: mfaKey, Issuer: "Camelot"}
		c.Now = clock.Now
	}
}

func newClock() *fakeClock { return &fakeClock{now: time.Now().UTC()} }

// totpCode is the code of secret at t, as an authenticator app computes it.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP turns TOTP on for the user of c and returns the secret (read
// from the otpauth URI) and the recovery codes.
func (e *env) enrolTOTP(clock *fakeClock, c cred) (string, []string) {
	e.t.Helper()
	r := e.postJSON("/users/me/mfa/totp", "", c)
	if r.status != http.StatusOK {
		e.t.Fatalf("begin totp: %d %s", r.status, r.body)
	}
	var begin struct {
		URI    string `json:"otpauth_uri"`
		Secret string `json:"secret"`
		QR     string `json:"qr_code"`
	}
	decodeInto(e.t, r.body, &begin)
	key, err := otp.NewKeyFromURL(begin.URI)
	if err != nil || key.Secret() != begin.Secret || key.Issuer() != "Camelot" || key.Period() != 30 || key.Digits() != otp.DigitsSix {
		e.t.Fatalf("otpauth URI %q: %v", begin.URI, err)
	}
	if !strings.HasPrefix(begin.QR, "data:image/png;base64,") {
		e.t.Fatalf("qr_code %.40q", begin.QR)
	}
	r = e.postJSON("/users/me/mfa/totp/confirm", `{"code":"`+totpCode(e.t, key.Secret(), clock.Now())+`"}`, c)
	if r.status != http.StatusOK {
		e.t.Fatalf("confirm totp: %d %s", r.status, r.body)
	}
	var codes struct {
		Codes []string `json:"recovery_codes"`
	}
	decodeInto(e.t, r.body, &codes)
	if len(codes.Codes) != 10 {
		e.t.Fatalf("recovery codes %v", codes.Codes)
	}
	return key.Secret(), codes.Codes
}

// mfaLogin logs in with the password and expects LOGIN_MFA_REQUIRED; it
// returns the mfa_token.
func (e *env) mfaLogin(backend, email, pw string) string {
	e.t.Helper()
	r := e.loginForm(backend, email, pw)
	var body struct {
		Detail   string   `json:"detail"`
		Token    string   `json:"mfa_token"`
		Methods  []string `json:"methods"`
		Unwanted any      `json:"access_token"`
	}
	decodeInto(e.t, r.body, &body)
	if r.status != http.StatusBadRequest || body.Detail != "LOGIN_MFA_REQUIRED" || body.Token == "" || body.Unwanted != nil {
		e.t.Fatalf("login with a second factor: %d %s", r.status, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		e.t.Fatalf("a cookie before the second factor: %v", r.header.Values("Set-Cookie"))
	}
	return body.Token
}

// secondStep posts the second step of a login.
func (e *env) secondStep(backend, token, field, code string) reply {
	e.t.Helper()
	return e.postJSON("/auth/"+backend+"/login/mfa", `{"mfa_token":`+q(token)+`,`+q(field)+`:`+q(code)+`}`)
}

// loggedIn checks that r is backend's login answer and returns its credential.
func (e *env) loggedIn(backend string, r reply) cred {
	e.t.Helper()
	switch backend {
	case "cookie", "cookiejwt":
		if r.status != http.StatusNoContent {
			e.t.Fatalf("second step %s: %d %s", backend, r.status, r.body)
		}
		c := findCookie(e.t, r.header, "authkit")
		return func(req *http.Request) { req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
	}
	decodeInto(e.t, r.body, &tok)
	if r.status != http.StatusOK || tok.AccessToken == "" || tok.TokenType != "bearer" || (backend == "refresh") != (tok.RefreshToken != "") {
		e.t.Fatalf("second step %s: %d %s", backend, r.status, r.body)
	}
	return bearer(tok.AccessToken)
}

// The whole TOTP journey over HTTP, on both stores, through bearer (JWT,
// database, refresh) and cookie backends: enrol, confirm, a login that
// asks for a code, a wrong code, the right one (the backend's own login
// answer), the token and the code refused the second time, and a code of
// the next step.
func TestTOTPLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "gawain@camelot.bt"
		e.register(email, goodPassword)
		first := e.login("jwt", email, goodPassword)
		other := e.login("cookie", email, goodPassword)
		expect(t, e.get("/users/me/mfa", first), 200, `{"totp":false,"recovery_codes_left":0,"passkeys":0}`)
		secret, _ := e.enrolTOTP(clock, first)
		expect(t, e.get("/users/me/mfa", first), 200, `{"totp":true,"recovery_codes_left":10,"passkeys":0}`)
		// Enrolment ended the other sessions, not this one.
		expect(t, e.get("/users/me", other), 401, `{"detail":"Unauthorized"}`)
		expect(t, e.postJSON("/users/me/mfa/totp", "", first), 400, `{"detail":"MFA_TOTP_ALREADY_ENABLED"}`)

		for _, b := range []string{"jwt", "cookie", "db", "refresh"} {
			clock.Advance(mfa.Period * time.Second)
			token := e.mfaLogin(b, email, goodPassword)
			expect(t, e.secondStep(b, token, "code", "000000"), 400, `{"detail":"LOGIN_BAD_MFA_CODE"}`)
			code := totpCode(t, secret, clock.Now())
			if code == "000000" {
				continue // one in a million
			}
			c := e.loggedIn(b, e.secondStep(b, token, "code", code))
			if r := e.get("/protected", c); r.status != 200 || r.body != email {
				t.Fatalf("%s: the session of the second step: %d %s", b, r.status, r.body)
			}
			expect(t, e.secondStep(b, token, "code", code), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
			// The same code with a new token: a replay within its step.
			again := e.mfaLogin(b, email, goodPassword)
			expect(t, e.secondStep(b, again, "code", code), 400, `{"detail":"LOGIN_BAD_MFA_CODE"}`)
		}
		// A token of one backend is no good at another.
		token := e.mfaLogin("jwt", email, goodPassword)
		clock.Advance(mfa.Period * time.Second)
		expect(t, e.secondStep("cookie", token, "code", totpCode(t, secret, clock.Now())), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
		e.loggedIn("jwt", e.secondStep("jwt", token, "code", totpCode(t, secret, clock.Now())))
	})
}

// Codes one step early or late are accepted (clock skew); two steps are
// not.
func TestTOTPSkew(t *testing.T) {
	clock := newClock()
	e := newEnv(t, stores[0].open, withMFA(clock))
	const email = "kay@camelot.bt"
	e.register(email, goodPassword)
	secret, _ := e.enrolTOTP(clock, e.login("jwt", email, goodPassword))
	clock.Advance(10 * mfa.Period * time.Second)
	step := func(n int) string {
		return totpCode(t, secret, clock.Now().Add(time.Duration(n*mfa.Period)*time.Second))
	}
	for _, tc := range []struct {
		steps int
		ok    bool
	}{{-2, false}, {-1, true}, {+2, false}, {+1, true}} {
		token := e.mfaLogin("jwt", email, goodPassword)
		code := step(tc.steps)
		if code == step(0) || code == step(tc.steps/2) && tc.steps/2 != 0 {
			continue // the codes of two steps coincide: one in a million
		}
		r := e.secondStep("jwt", token, "code", code)
		if (r.status == http.StatusOK) != tc.ok {
			t.Errorf("a code %+d steps off: %d %s", tc.steps, r.status, r.body)
		}
	}
}

// A recovery code signs in once; typed in capitals without dashes it
// still works; new codes void the old ones.
func TestRecoveryCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "bors@camelot.bt"
		e.register(email, goodPassword)
		c := e.login("jwt", email, goodPassword)
		secret, codes := e.enrolTOTP(clock, c)
		for _, b := range []string{"cookie", "jwt"} {
			token := e.mfaLogin(b, email, goodPassword)
			e.loggedIn(b, e.secondStep(b, token, "recovery_code", codes[0]))
			token = e.mfaLogin(b, email, goodPassword)
			expect(t, e.secondStep(b, token, "recovery_code", codes[0]), 400, `{"detail":"LOGIN_BAD_MFA_CODE"}`)
			codes = codes[1:]
		}
		token := e.mfaLogin("jwt", email, goodPassword)
		c = e.loggedIn("jwt", e.secondStep("jwt", token, "recovery_code", strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))))
		expect(t, e.get("/users/me/mfa", c), 200, `{"totp":true,"recovery_codes_left":7,"passkeys":0}`)

		expect(t, e.postJSON("/users/me/mfa/recovery-codes", `{"password":"wrong-password-here"}`, c), 400, `{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}`)
		expect(t, e.postJSON("/users/me/mfa/recovery-codes", `{}`, c), 422,
			`{"detail":[{"type":"missing","loc":["body","code"],"msg":"Field required: code or password, not both"}]}`)
		clock.Advance(mfa.Period * time.Second)
		r := e.postJSON("/users/me/mfa/recovery-codes", `{"code":"`+totpCode(t, secret, clock.Now())+`"}`, c)
		var fresh struct {
			Codes []string `json:"recovery_codes"`
		}
		decodeInto(t, r.body, &fresh)
		if r.status != 200 || len(fresh.Codes) != 10 {
			t.Fatalf("regenerate: %d %s", r.status, r.body)
		}
		token = e.mfaLogin("jwt", email, goodPassword)
		expect(t, e.secondStep("jwt", token, "recovery_code", codes[1]), 400, `{"detail":"LOGIN_BAD_MFA_CODE"}`)
		e.loggedIn("jwt", e.secondStep("jwt", token, "recovery_code", fresh.Codes[9]))
		expect(t, e.secondStep("jwt", token, "code", "123456"), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
		expect(t, e.secondStep("jwt", token, "nothing", "123456"), 422,
			`{"detail":[{"type":"missing","loc":["body","code"],"msg":"Field required: code or recovery_code, not both"}]}`)
	})
}

// Turning TOTP off needs the password and a code; then a password alone
// logs in again.
func TestDisableTOTP(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "lamorak@camelot.bt"
		e.register(email, goodPassword)
		c := e.login("jwt", email, goodPassword)
		other := e.login("db", email, goodPassword)
		secret, _ := e.enrolTOTP(clock, c)
		del := func(body string) reply {
			return e.do(http.MethodDelete, "/users/me/mfa/totp", "application/json", body, c)
		}
		clock.Advance(mfa.Period * time.Second)
		code := totpCode(t, secret, clock.Now())
		expect(t, del(`{"code":"`+code+`"}`), 422, `{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required"}]}`)
		expect(t, del(`{"password":"`+goodPassword+`"}`), 422,
			`{"detail":[{"type":"missing","loc":["body","code"],"msg":"Field required: code or recovery_code, not both"}]}`)
		expect(t, del(`{"password":"not-the-password","code":"`+code+`"}`), 400, `{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}`)
		expect(t, del(`{"password":"`+goodPassword+`","code":"000001"}`), 400, `{"detail":"MFA_BAD_CODE"}`)
		e.loggedIn("db", e.secondStep("db", e.mfaLogin("db", email, goodPassword), "code", code))
		expect(t, del(`{"password":"`+goodPassword+`","code":"`+code+`"}`), 400, `{"detail":"MFA_BAD_CODE"}`) // used already
		clock.Advance(mfa.Period * time.Second)
		expect(t, del(`{"password":"`+goodPassword+`","code":"`+totpCode(t, secret, clock.Now())+`"}`), 204, "")
		expect(t, del(`{"password":"`+goodPassword+`","code":"123456"}`), 400, `{"detail":"MFA_TOTP_NOT_ENABLED"}`)
		expect(t, e.get("/users/me/mfa", c), 200, `{"totp":false,"recovery_codes_left":0,"passkeys":0}`)
		expect(t, e.get("/users/me", other), 401, `{"detail":"Unauthorized"}`)
		e.login("jwt", email, goodPassword)
	})
}

// An mfa_token expires, and dies with a password change.
func TestMFATokenExpiry(t *testing.T) {
	clock := newClock()
	e := newEnv(t, stores[0].open, withMFA(clock))
	const email = "dagonet@camelot.bt"
	e.register(email, goodPassword)
	c := e.login("jwt", email, goodPassword)
	secret, _ := e.enrolTOTP(clock, c)
	token := e.mfaLogin("jwt", email, goodPassword)
	clock.Advance(authkit.DefaultMFATokenLifetime + time.Second)
	expect(t, e.secondStep("jwt", token, "code", totpCode(t, secret, clock.Now())), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)

	token = e.mfaLogin("jwt", email, goodPassword)
	const newPW = "a-new-and-better-passphrase"
	if r := e.patchJSON("/users/me", `{"password":"`+newPW+`","current_password":"`+goodPassword+`"}`, c); r.status != 200 {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	clock.Advance(mfa.Period * time.Second)
	expect(t, e.secondStep("jwt", token, "code", totpCode(t, secret, clock.Now())), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), token + "A"} {
		expect(t, e.secondStep("jwt", bad, "code", "123456"), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	}
	// A wrong password never reaches the second step.
	expect(t, e.loginForm("jwt", email, goodPassword), 400, `{"detail":"LOGIN_BAD_CREDENTIALS"}`)
}

// After N wrong codes against a user, further attempts get 429 with
// Retry-After, the right code included; a success clears the count.
func TestMFAThrottle(t *testing.T) {
	clock := newClock()
	e := newEnv(t, stores[0].open, withMFA(clock), func(c *authkit.Config) {
		c.Throttle = authkit.Throttle{MFAPerUser: limiter.Rule{Limit: 3, Window: 10 * time.Minute}}
	})
	const email = "pelleas@camelot.bt"
	e.register(email, goodPassword)
	secret, _ := e.enrolTOTP(clock, e.login("jwt", email, goodPassword))
	clock.Advance(mfa.Period * time.Second)
	token := e.mfaLogin("jwt", email, goodPassword)
	for i := range 3 {
		expect(t, e.secondStep("jwt", token, "code", "00000"+strconv.Itoa(i)), 400, `{"detail":"LOGIN_BAD_MFA_CODE"}`)
	}
	for _, code := range []string{"000009", totpCode(t, secret, clock.Now())} {
		r := e.secondStep("jwt", token, "code", code)
		if r.status != http.StatusTooManyRequests || r.body != `{"detail":"TOO_MANY_REQUESTS"}` {
			t.Fatalf("attempt past the limit: %d %s", r.status, r.body)
		}
		if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs <= 0 || secs > 600 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
}

// RequireMFA: a user without a second factor gets an enrolment token
// instead of a session, good for the enrolment routes only and once;
// with superusers only, other users log in as before.
func TestRequireMFA(t *testing.T) {
	clock := newClock()
	e := newEnv(t, stores[0].open, withMFA(clock), func(c *authkit.Config) { c.RequireMFA = authkit.MFARequiredForSuperusers })
	const email, plain = "arthur@camelot.bt", "bedivere@camelot.bt"
	e.register(email, goodPassword)
	e.register(plain, goodPassword)
	e.makeSuperuser(email)
	e.login("jwt", plain, goodPassword)

	r := e.loginForm("cookie", email, goodPassword)
	var body struct {
		Detail  string   `json:"detail"`
		Token   string   `json:"mfa_token"`
		Methods []string `json:"methods"`
	}
	decodeInto(t, r.body, &body)
	if r.status != 400 || body.Detail != "LOGIN_MFA_ENROLLMENT_REQUIRED" || body.Token == "" || strings.Join(body.Methods, ",") != "totp" {
		t.Fatalf("login of a superuser without MFA: %d %s", r.status, r.body)
	}
	tok := `"mfa_token":` + q(body.Token)
	expect(t, e.secondStep("cookie", body.Token, "code", "123456"), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	expect(t, e.get("/users/me"), 401, `{"detail":"Unauthorized"}`)
	expect(t, e.postJSON("/users/me/mfa/totp", `{}`), 401, `{"detail":"Unauthorized"}`)
	expect(t, e.postJSON("/users/me/mfa/totp", `{"mfa_token":"nope"}`), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	r = e.postJSON("/users/me/mfa/totp", `{`+tok+`}`)
	var begin struct {
		Secret string `json:"secret"`
	}
	decodeInto(t, r.body, &begin)
	if r.status != 200 || begin.Secret == "" {
		t.Fatalf("begin with the enrolment token: %d %s", r.status, r.body)
	}
	expect(t, e.postJSON("/users/me/mfa/totp/confirm", `{`+tok+`,"code":"000000x"}`), 400, `{"detail":"MFA_BAD_CODE"}`)
	code := totpCode(t, begin.Secret, clock.Now())
	if r := e.postJSON("/users/me/mfa/totp/confirm", `{`+tok+`,"code":"`+code+`"}`); r.status != 200 {
		t.Fatalf("confirm with the enrolment token: %d %s", r.status, r.body)
	}
	expect(t, e.postJSON("/users/me/mfa/totp/confirm", `{`+tok+`,"code":"`+code+`"}`), 400, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`)
	clock.Advance(mfa.Period * time.Second)
	token := e.mfaLogin("cookie", email, goodPassword)
	e.loggedIn("cookie", e.secondStep("cookie", token, "code", totpCode(t, begin.Secret, clock.Now())))
}

// A superuser resets a user's second factors: audited, the user's
// sessions end, and the password alone logs in again. The user cannot.
func TestResetMFA(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		var (
			mu   sync.Mutex
			logs bytes.Buffer
		)
		e := open(withMFA(clock), func(c *authkit.Config) { c.Logger = slogJSON(&mu, &logs) })
		const email, admin = "tristan@cornwall.bt", "mark@cornwall.bt"
		id := e.register(email, goodPassword)["id"].(string)
		c := e.login("jwt", email, goodPassword)
		secret, _ := e.enrolTOTP(clock, c)
		expect(t, e.do(http.MethodDelete, "/users/"+id+"/mfa", "", "", c), 403, `{"detail":"Forbidden"}`)
		e.register(admin, goodPassword)
		e.makeSuperuser(admin)
		a := e.login("jwt", admin, goodPassword)
		expect(t, e.do(http.MethodDelete, "/users/00000000-0000-0000-0000-000000000000/mfa", "", "", a), 404, `{"detail":"Not Found"}`)
		expect(t, e.do(http.MethodDelete, "/users/"+id+"/mfa", "", "", a), 204, "")
		expect(t, e.get("/users/me", c), 401, `{"detail":"Unauthorized"}`)
		c = e.login("jwt", email, goodPassword)
		expect(t, e.get("/users/me/mfa", c), 200, `{"totp":false,"recovery_codes_left":0,"passkeys":0}`)
		_ = totpCode(t, secret, clock.Now()) // the secret is gone; nothing asks for a code
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(logs.String(), `"event":"mfa.reset","client":"127.0.0.1","user_id":"`+id+`","actor_id":"`) {
			t.Errorf("no audit of the reset:\n%s", logs.String())
		}
	})
}

// The TOTP secret is sealed in the store: neither the secret nor its
// bytes are in the row.
func TestTOTPSecretSealed(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		id := e.register("iseult@ireland.bt", goodPassword)["id"].(string)
		secret, codes := e.enrolTOTP(clock, e.login("jwt", "iseult@ireland.bt", goodPassword))
		var row []byte
		if err := e.db.GetContext(context.Background(), &row, e.db.Rebind(`SELECT secret FROM authkit_totp WHERE user_id = ?`), id); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(row, []byte(secret)) || len(row) < 40 {
			t.Errorf("secret row %q holds the secret %q", row, secret)
		}
		var hashes []string
		if err := e.db.SelectContext(context.Background(), &hashes, e.db.Rebind(`SELECT hash FROM authkit_recovery_codes WHERE user_id = ?`), id); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(hashes, " ")
		for _, c := range codes {
			if strings.Contains(all, c) || strings.Contains(all, strings.ReplaceAll(c, "-", "")) {
				t.Errorf("recovery code %q stored as is", c)
			}
		}
		if len(hashes) != 10 {
			t.Errorf("%d hashes", len(hashes))
		}
	})
}

// replies runs fn n times at once, behind the barrier, and returns the
// answers.
func replies(n int, fn func(i int) reply) []reply {
	out := make([]reply, n)
	barrier(n, func(i int) { out[i] = fn(i) })
	return out
}

// wins counts the answers with status, failing on any other than lost.
func wins(t *testing.T, rs []reply, status int, lost string) int {
	t.Helper()
	n := 0
	for _, r := range rs {
		switch {
		case r.status == status:
			n++
		case r.status != 400 || r.body != lost:
			t.Errorf("answer %d %s, want %d or 400 %s", r.status, r.body, status, lost)
		}
	}
	return n
}

// One TOTP code, presented at once with 20 different mfa_tokens: one
// login succeeds, the others are replays.
func TestTOTPCodeRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "gaheris@orkney.bt"
		e.register(email, goodPassword)
		secret, _ := e.enrolTOTP(clock, e.login("jwt", email, goodPassword))
		clock.Advance(mfa.Period * time.Second)
		code := totpCode(t, secret, clock.Now())
		const n = 20
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = e.mfaLogin("jwt", email, goodPassword)
		}
		rs := replies(n, func(i int) reply { return e.secondStep("jwt", tokens[i], "code", code) })
		if got := wins(t, rs, 200, `{"detail":"LOGIN_BAD_MFA_CODE"}`); got != 1 {
			t.Errorf("%d of %d logins with one code succeeded, want 1", got, n)
		}
	})
}

// One mfa_token, presented at once with 10 different valid recovery
// codes: one login succeeds.
func TestMFATokenRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "agravain@orkney.bt"
		e.register(email, goodPassword)
		_, codes := e.enrolTOTP(clock, e.login("jwt", email, goodPassword))
		token := e.mfaLogin("cookie", email, goodPassword)
		rs := replies(len(codes), func(i int) reply { return e.secondStep("cookie", token, "recovery_code", codes[i]) })
		if got := wins(t, rs, 204, `{"detail":"LOGIN_BAD_MFA_TOKEN"}`); got != 1 {
			t.Errorf("%d of %d logins with one mfa_token succeeded, want 1", got, len(codes))
		}
	})
}

// One recovery code, presented at once with 20 different mfa_tokens: one
// login succeeds.
func TestRecoveryCodeRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		clock := newClock()
		e := open(withMFA(clock))
		const email = "gareth@orkney.bt"
		e.register(email, goodPassword)
		_, codes := e.enrolTOTP(clock, e.login("jwt", email, goodPassword))
		const n = 20
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = e.mfaLogin("refresh", email, goodPassword)
		}
		rs := replies(n, func(i int) reply { return e.secondStep("refresh", tokens[i], "recovery_code", codes[3]) })
		if got := wins(t, rs, 200, `{"detail":"LOGIN_BAD_MFA_CODE"}`); got != 1 {
			t.Errorf("%d of %d logins with one recovery code succeeded, want 1", got, n)
		}
	})
}

// New refuses second factors it cannot serve.
func TestMFAConfig(t *testing.T) {
	e := newEnv(t, stores[0].open)
	for name, cfg := range map[string]func(*authkit.Config){
		"short key":             func(c *authkit.Config) { c.MFA = &authkit.MFAConfig{SecretKey: []byte("short")} },
		"negative lifetime":     func(c *authkit.Config) { c.MFA = &authkit.MFAConfig{SecretKey: mfaKey, TokenLifetime: -1} },
		"RequireMFA without it": func(c *authkit.Config) { c.RequireMFA = authkit.MFARequiredForEveryone },
		"passkeys without RPID": func(c *authkit.Config) { c.Passkeys = &authkit.PasskeyConfig{Origins: []string{"https://x.bt"}} },
		"passkeys without origins": func(c *authkit.Config) {
			c.Passkeys = &authkit.PasskeyConfig{RPID: "x.bt"}
		},
	} {
		c := e.cfg
		cfg(&c)
		if _, err := authkit.New(c); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
