package strategy

import (
	"encoding/json"
	"reflect"
	"testing"
)

// claimsSeeds are payloads for the decoder: what Signers write, and the
// near misses encoding/json reads differently or not at all.
var claimsSeeds = []string{
	`{"aud":["fastapi-users:auth"],"exp":1700000900,"iat":1700000000,"jti":"018bcfe5-6800-7000-8000-000000000000","sub":"5f0e5c1e-8a3b-4a4e-9b1a-0c9d7e6f5a4b","ver":3}`,
	`{"aud":["fastapi-users:auth"],"exp":1700000900,"iat":1700000000,"iss":"https://id.example","jti":"x","sid":"abc","sub":"s","ver":0}`,
	`{"aud":["a","b"],"exp":1,"nbf":2,"iat":3,"flag":true,"n":null,"f":false,"k":12}`,
	`{}`, `{"aud":[]}`, `{"exp":0}`, `{"exp":01}`, `{"exp":1.5}`, `{"exp":1e3}`, `{"exp":-1}`, `{"exp":"1"}`,
	`{"exp":1234567890123456}`, `{"SUB":"x"}`, `{"Sub":"x","sub":"y"}`, `{"sub":"a","sub":"b"}`,
	`{"sub":"a\"b"}`, `{"sub":"a\u0062"}`, `{"sub":"é"}`, `{"sub":null}`, `{"aud":"a"}`, `{"aud":["a",]}`,
	`{"sub":"a",}`, `{,}`, `{"sub":"a"} `, ` {"sub":"a"}`, `{"sub" :"a"}`, `{"x":{"sub":"y"}}`, `{"x":[1]}`,
	`{"ſub":"x"}`, `{"jti":"a"}x`, `{"ver":7,"vER":8}`, `{"exp":1,"exp":2}`, `[]`, `null`, ``,
}

// decodeClaims accepts only what encoding/json decodes into fastClaims,
// with the same result.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range claimsSeeds {
		f.Add([]byte(s), "fastapi-users:auth", "https://id.example")
	}
	f.Fuzz(func(t *testing.T, b []byte, aud, iss string) {
		checkDecodeClaims(t, b, aud, iss)
	})
}

func TestDecodeClaims(t *testing.T) {
	accepted := 0
	for _, s := range claimsSeeds {
		if checkDecodeClaims(t, []byte(s), "fastapi-users:auth", "https://id.example") {
			accepted++
		}
	}
	// The shapes Signers write, and the simple extra claims, take the
	// shortcut; a decoder that declined everything would agree too.
	if accepted < 6 {
		t.Errorf("decodeClaims accepted %d seeds, want the 6 valid ones at least", accepted)
	}
	var fc fastClaims
	if !decodeClaims([]byte(claimsSeeds[0]), &fc, "", []string{"fastapi-users:auth"}) || fc.Subject != "5f0e5c1e-8a3b-4a4e-9b1a-0c9d7e6f5a4b" ||
		!fc.Version.set || fc.Version.n != 3 || fc.ExpiresAt.t.Unix() != 1700000900 {
		t.Errorf("decodeClaims of a Signer's payload: %+v", fc)
	}
}

func checkDecodeClaims(t *testing.T, b []byte, aud, iss string) bool {
	t.Helper()
	var got fastClaims
	if !decodeClaims(b, &got, iss, []string{aud}) {
		return false
	}
	var want fastClaims
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("decodeClaims accepted %q, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeClaims(%q) = %+v, encoding/json: %+v", b, got, want)
	}
	return true
}
