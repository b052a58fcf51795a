package oauth

import (
	"encoding/json"
	"testing"
)

// FuzzPrimaryEmail: GitHub's /user/emails answer is untrusted input.
func FuzzPrimaryEmail(f *testing.F) {
	f.Add([]byte(`[{"email":"a@b.c","primary":true,"verified":true}]`))
	f.Add([]byte(`[{"email":"","primary":true,"verified":true},{"email":"x@y","primary":false}]`))
	f.Add([]byte(`{"message":"Bad credentials"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		email, verified, err := primaryEmail(body)
		if err != nil && (email != "" || verified) {
			t.Fatalf("error with a result: %q %v %v", email, verified, err)
		}
		if email == "" && verified {
			t.Fatal("verified without an email")
		}
	})
}

// FuzzFlexBool: email_verified comes from the provider.
func FuzzFlexBool(f *testing.F) {
	for _, s := range []string{`true`, `false`, `"true"`, `"TRUE"`, `"yes"`, `1`, `null`, `{}`, `[true]`} {
		f.Add([]byte(`{"email_verified":` + s + `}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var c idClaims
		if err := json.Unmarshal(body, &c); err != nil {
			return
		}
		var raw struct {
			V json.RawMessage `json:"email_verified"`
		}
		_ = json.Unmarshal(body, &raw)
		var b bool
		var s string
		isTrue := json.Unmarshal(raw.V, &b) == nil && b ||
			json.Unmarshal(raw.V, &s) == nil && (s == "true" || len(s) == 4 && (s[0]|0x20) == 't' && (s[1]|0x20) == 'r' && (s[2]|0x20) == 'u' && (s[3]|0x20) == 'e')
		if bool(c.EmailVerified) && !isTrue {
			t.Fatalf("%s read as verified", raw.V)
		}
	})
}
