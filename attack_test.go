package authkit_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// testSecret is the access-token secret of every test env.
const testSecret = "a test secret that is long enough for HS256"

// jtiAt is a UUIDv7 token id for t, in the layout authkit writes: the
// milliseconds, then the microseconds within them.
func jtiAt(t time.Time) string {
	var u uuid.UUID
	rand.Read(u[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixMilli()))
	copy(u[:6], b[2:])
	us := t.UnixMicro() - t.UnixMilli()*1000
	u[6] = 0x70 | byte(us>>8)&0x0f
	u[7] = byte(us)
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// accessClaims are the claims of a well-formed access token for sub.
func accessClaims(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": sub, "aud": []string{"authkit:auth"}, "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "jti": jtiAt(now),
	}
}

func signHS256(t *testing.T, claims jwt.MapClaims, key []byte, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The attack suite: forged, altered, misdirected and replayed tokens
// against a real server and store. Every one gets 401 with the contract's
// body; the well-formed control token proves the forgeries fail for the
// reason they were made for.
func TestAttackTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		victim := e.register("victim@camelot.bt", goodPassword)["id"].(string)
		other := e.register("other@camelot.bt", goodPassword)["id"].(string)
		secret := []byte(testSecret)

		control := signHS256(t, accessClaims(victim), secret, nil)
		if r := e.get("/users/me", bearer(control)); r.status != http.StatusOK {
			t.Fatalf("the hand-made control token is refused: %d %s", r.status, r.body)
		}

		// A server a jku/x5u header points at; authkit must never call it.
		var fetched atomic.Int64
		keyServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched.Add(1) }))
		defer keyServer.Close()

		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
		parts := strings.Split(control, ".")

		with := func(mod func(c jwt.MapClaims)) jwt.MapClaims {
			c := accessClaims(victim)
			mod(c)
			return c
		}
		cases := map[string]string{
			"altered signature":           parts[0] + "." + parts[1] + "." + strings.Map(func(r rune) rune { return r ^ 1 }, parts[2]),
			"null signature":              parts[0] + "." + parts[1] + ".",
			"payload swapped to another":  parts[0] + "." + b64(accessClaims(other)) + "." + parts[2],
			"wrong secret":                signHS256(t, accessClaims(victim), []byte("another secret that is long enough!!"), nil),
			"HS256 keyed with RSA pubkey": signHS256(t, accessClaims(victim), pubPEM, nil),
			"no exp":                      signHS256(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), secret, nil),
			"expired":                     signHS256(t, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), secret, nil),
			"not yet valid":               signHS256(t, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }), secret, nil),
			"issued in the future":        signHS256(t, with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() }), secret, nil),
			"foreign audience":            signHS256(t, with(func(c jwt.MapClaims) { c["aud"] = "someone-else" }), secret, nil),
			"no audience":                 signHS256(t, with(func(c jwt.MapClaims) { delete(c, "aud") }), secret, nil),
			"reset audience":              signHS256(t, with(func(c jwt.MapClaims) { c["aud"] = "authkit:reset" }), secret, nil),
			"verify audience":             signHS256(t, with(func(c jwt.MapClaims) { c["aud"] = "authkit:verify" }), secret, nil),
			"sub not a uuid":              signHS256(t, with(func(c jwt.MapClaims) { c["sub"] = "' OR 1=1 --" }), secret, nil),
			"sub unknown":                 signHS256(t, with(func(c jwt.MapClaims) { c["sub"] = uuid.NewString() }), secret, nil),
			"no jti":                      signHS256(t, with(func(c jwt.MapClaims) { delete(c, "jti") }), secret, nil),
			"jti not v7":                  signHS256(t, with(func(c jwt.MapClaims) { c["jti"] = uuid.NewString() }), secret, nil),
			"jku to a key server":         signHS256(t, accessClaims(victim), []byte("attacker key material, 32 bytes!!"), map[string]any{"jku": keyServer.URL, "kid": "k1"}),
			"x5u to a key server":         signHS256(t, accessClaims(victim), []byte("attacker key material, 32 bytes!!"), map[string]any{"x5u": keyServer.URL}),
			"huge token":                  "eyJ" + strings.Repeat("A", 100<<10),
			"not a JWT":                   "hello",
		}
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			cases["alg "+alg] = b64(map[string]string{"alg": alg, "typ": "JWT"}) + "." + b64(accessClaims(victim)) + "."
		}
		rs, err := jwt.NewWithClaims(jwt.SigningMethodRS256, accessClaims(victim)).SignedString(rsaKey)
		if err != nil {
			t.Fatal(err)
		}
		cases["RS256 by an unknown key"] = rs

		for name, tok := range cases {
			t.Run(name, func(t *testing.T) {
				r := e.get("/users/me", bearer(tok))
				expect(t, r, http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
			})
		}
		if n := fetched.Load(); n != 0 {
			t.Fatalf("authkit fetched a key from a token header %d times", n)
		}
		t.Run("replay after logout", func(t *testing.T) {
			tok := signHS256(t, accessClaims(victim), secret, nil)
			expect(t, e.do(http.MethodPost, "/auth/jwt/logout", "", "", bearer(tok)), http.StatusNoContent, "")
			expect(t, e.get("/users/me", bearer(tok)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		})
	})
}

// Hostile input to every route that takes input: a 4xx with a JSON body,
// never a 5xx.
func TestAttackInputsNever5xx(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("root@camelot.bt", goodPassword)
		e.makeSuperuser("root@camelot.bt")
		admin := e.login("jwt", "root@camelot.bt", goodPassword)
		nasty := []string{
			"", "null", "[]", `"x"`, "{", `{"email":null}`, "{\"email\":\"a\x00@b.cd\"}", "\xff\xfe", `{"email":"a@b.cd","password":"\u0000"}`,
			`{"email":"' OR '1'='1@x.cd","password":"'; DROP TABLE authkit_users; --"}`, `{"email":"a@b.cd","email":"c@d.ef"}`,
			`{"token":"` + strings.Repeat("a", 60<<10) + `"}`, `{"email":` + strings.Repeat("[", 10000) + `}`,
			`{"email":"` + strings.Repeat("a", 300) + `@b.cd"}`, `{"token":{"$ne":null}}`, `{"password":123,"email":true}`,
		}
		routes := []struct {
			method, path string
			creds        []cred
		}{
			{http.MethodPost, "/auth/register", nil},
			{http.MethodPost, "/auth/forgot-password", nil},
			{http.MethodPost, "/auth/reset-password", nil},
			{http.MethodPost, "/auth/request-verify-token", nil},
			{http.MethodPost, "/auth/verify", nil},
			{http.MethodPatch, "/users/me", []cred{admin}},
			{http.MethodPatch, "/users/00000000-0000-0000-0000-000000000000", []cred{admin}},
		}
		for _, rt := range routes {
			for _, body := range nasty {
				r := e.do(rt.method, rt.path, "application/json", body, rt.creds...)
				if r.status >= 500 || r.status >= 400 && !strings.HasPrefix(r.body, `{"detail":`) {
					t.Errorf("%s %s %.80q: %d %.200s", rt.method, rt.path, body, r.status, r.body)
				}
			}
		}
		for _, form := range []string{"username=%00&password=x", "username=a%40b.cd%00&password=%00", "username=" + strings.Repeat("%41", 20000) + "&password=x",
			"username='%20OR%201=1--&password=x", "username[]=a&password[]=b"} {
			r := e.do(http.MethodPost, "/auth/jwt/login", "application/x-www-form-urlencoded", form)
			if r.status >= 500 || r.status < 400 {
				t.Errorf("login %.80q: %d %.200s", form, r.status, r.body)
			}
		}
		for _, path := range []string{"/users/'%20OR%201=1--", "/users/%00", "/users/" + strings.Repeat("9", 5000), "/users/me/../me", "/users//me"} {
			if r := e.get(path, admin); r.status >= 500 {
				t.Errorf("GET %.80s: %d %.200s", path, r.status, r.body)
			}
		}
	})
}
