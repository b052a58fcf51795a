package authkit_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// nastySecondStep are bodies no second-factor or passkey route may answer
// with a 5xx.
var nastySecondStep = []string{
	"", "null", "[]", `"x"`, "{", "\xff\xfe", `{"mfa_token":null}`, `{"mfa_token":"x","code":1}`,
	`{"mfa_token":"` + strings.Repeat("A", 43) + `","code":"\u0000"}`, `{"mfa_token":{"$ne":null},"recovery_code":"x"}`,
	`{"code":"` + strings.Repeat("9", 60<<10) + `"}`, `{"name":"\u0000","credential":{}}`, `{"name":"k","credential":[]}`,
	`{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}}`,
	`{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0","authenticatorData":"AAAA","signature":"AA","userHandle":"AA"}}}`,
	`{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoieCJ9","attestationObject":"oA"}}}`,
	`{"credential":` + strings.Repeat("[", 10000) + `}`, `{"mfa_token":"x","mfa_token":"y"}`,
}

// No input to the second factors' and passkeys' routes gives a 5xx, on
// either store, with or without a session.
func TestAttackSecondStepNever5xx(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(withPasskeys(newClock()))
		e.register("lot@orkney.bt", goodPassword)
		c := e.login("jwt", "lot@orkney.bt", goodPassword)
		paths := []struct {
			method, path string
		}{
			{http.MethodPost, "/auth/jwt/login/mfa"}, {http.MethodPost, "/auth/cookie/login/mfa"},
			{http.MethodPost, "/auth/jwt/passkey/begin"}, {http.MethodPost, "/auth/jwt/passkey/finish"},
			{http.MethodPost, "/auth/cookie/passkey/finish"},
			{http.MethodPost, "/users/me/mfa/totp"}, {http.MethodPost, "/users/me/mfa/totp/confirm"},
			{http.MethodDelete, "/users/me/mfa/totp"}, {http.MethodPost, "/users/me/mfa/recovery-codes"},
			{http.MethodPost, "/users/me/passkeys/begin"}, {http.MethodPost, "/users/me/passkeys/finish"},
		}
		for _, p := range paths {
			for _, body := range nastySecondStep {
				for _, creds := range [][]cred{nil, {c}} {
					r := e.do(p.method, p.path, "application/json", body, creds...)
					if r.status >= 500 || r.status >= 400 && !strings.HasPrefix(r.body, `{"detail":`) {
						t.Errorf("%s %s %.80q: %d %.200s", p.method, p.path, body, r.status, r.body)
					}
				}
			}
		}
	})
}

// FuzzSecondStepBodies: whatever a client posts to the second step of a
// login or to a passkey sign-in, the answer is a 4xx (or the login), with
// the contract's error body, never a 5xx.
func FuzzSecondStepBodies(f *testing.F) {
	for _, s := range nastySecondStep {
		f.Add(s)
	}
	db := testdb.SQLite(f)
	st, err := sqlite.New(db)
	if err != nil {
		f.Fatal(err)
	}
	if err := st.Migrate(f.Context()); err != nil {
		f.Fatal(err)
	}
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a fuzz secret that is long enough for HS256"), Store: st})
	if err != nil {
		f.Fatal(err)
	}
	kit, err := authkit.New(authkit.Config{
		Users: st, Hasher: cheapHasher(f), Throttle: authkit.Throttle{Off: true},
		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}},
		MFA:      &authkit.MFAConfig{SecretKey: mfaKey},
		Passkeys: &authkit.PasskeyConfig{RPID: "localhost", Origins: []string{passkeyOrigin}},
	})
	if err != nil {
		f.Fatal(err)
	}
	router, err := kit.AuthRouter("jwt")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/login/mfa", "/passkey/begin", "/passkey/finish"} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			router.ServeHTTP(w, req)
			if w.Code >= 500 || w.Code >= 400 && !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"detail":`)) {
				t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
			}
		}
	})
}
