package strategy

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fastKeys sign the tokens of these tests: the secret, the previous one,
// and one the Signer does not know.
var fastKeys = [][]byte{
	[]byte("fast path secret, the current one."),
	[]byte("fast path secret, the previous one"),
	[]byte("fast path secret, one never known!"),
}

var fastNow = time.Unix(1_800_000_000, 123_456_000)

func fastSigner(t testing.TB) *Signer {
	s, err := NewSigner(SignerConfig{Secret: fastKeys[0], PreviousSecrets: fastKeys[1:2], Audience: DefaultAudience,
		Now: func() time.Time { return fastNow }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hs256 signs payload (any bytes) under the Signer's header with key.
func hs256(header, payload string, key []byte) string {
	signing := header + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// agree fails when parseFast accepts tok and golang-jwt does not, or reads
// other claims; it returns whether the fast path took it.
func agree(t *testing.T, s *Signer, tok string) bool {
	t.Helper()
	fast, ok := s.parseFast(tok)
	if !ok {
		return false
	}
	slow, err := s.parseJWT(tok, nil)
	if err != nil {
		t.Fatalf("parseFast accepted %q, golang-jwt refuses it: %v", tok, err)
	}
	if fast.Subject != slow.Subject || fast.ID != slow.ID || !fast.IssuedAt.Equal(slow.IssuedAt) || !fast.ExpiresAt.Equal(slow.ExpiresAt) {
		t.Fatalf("%q: parseFast read %+v, golang-jwt %+v", tok, fast, slow)
	}
	return true
}

func TestParseFastAgrees(t *testing.T) {
	s := fastSigner(t)
	id, err := newV7(fastNow.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	iat := fastNow.Add(-time.Minute).Unix()
	exp := fastNow.Add(time.Hour).Unix()
	claims := func(format string, args ...any) string {
		return fmt.Sprintf(`{"sub":"b7e1a8a0-3c2f-4a51-9d36-0c8f1e0b6a11","jti":"`+id.String()+`",`+format+`}`, args...)
	}
	good := claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d`, iat, exp)
	leeway := int64(DefaultLeeway / time.Second)
	for _, c := range []struct {
		name, payload string
		key           int
		fast          bool // the fast path must take it
	}{
		{"issued", good, 0, true},
		{"previous secret", good, 1, true},
		{"unknown secret", good, 2, false},
		{"extra claims", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"role":"admin","n":1.5`, iat, exp), 0, true},
		{"nbf past", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"nbf":%d`, iat, exp, iat), 0, true},
		{"nbf future", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"nbf":%d`, iat, exp, exp), 0, false},
		{"nbf null", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"nbf":null`, iat, exp), 0, false},
		{"expired", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d`, iat, fastNow.Unix()-leeway), 0, false},
		{"expired within leeway", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d`, iat, fastNow.Unix()-leeway+1), 0, true},
		{"iat future", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d`, fastNow.Unix()+leeway+1, exp), 0, false},
		{"no iat", claims(`"aud":["authkit:auth"],"exp":%d`, exp), 0, false},
		{"no exp", claims(`"aud":["authkit:auth"],"iat":%d`, iat), 0, false},
		{"exp float", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d.5`, iat, exp), 0, false},
		{"exp exponent", claims(`"aud":["authkit:auth"],"iat":%d,"exp":1.9e9`, iat), 0, false},
		{"exp string", claims(`"aud":["authkit:auth"],"iat":%d,"exp":"%d"`, iat, exp), 0, false},
		{"exp negative", claims(`"aud":["authkit:auth"],"iat":%d,"exp":-%d`, iat, exp), 0, false},
		{"exp huge", claims(`"aud":["authkit:auth"],"iat":%d,"exp":99999999999999999999`, iat), 0, false},
		{"aud string", claims(`"aud":"authkit:auth","iat":%d,"exp":%d`, iat, exp), 0, false},
		{"aud two", claims(`"aud":["authkit:auth","x"],"iat":%d,"exp":%d`, iat, exp), 0, false},
		{"aud other", claims(`"aud":["authkit:reset"],"iat":%d,"exp":%d`, iat, exp), 0, false},
		{"aud null element", claims(`"aud":[null],"iat":%d,"exp":%d`, iat, exp), 0, false},
		{"keys in capitals", claims(`"AUD":["authkit:auth"],"IAT":%d,"Exp":%d`, iat, exp), 0, true},
		{"duplicate exp, last expired", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"exp":1`, iat, exp), 0, false},
		{"duplicate exp, first bad", claims(`"aud":["authkit:auth"],"iat":%d,"exp":"x","exp":%d`, iat, exp), 0, false},
		{"iss number", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"iss":5`, iat, exp), 0, false},
		{"iss", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d,"iss":"me"`, iat, exp), 0, true},
		{"jti and iat disagree", claims(`"aud":["authkit:auth"],"iat":%d,"exp":%d`, iat-1, exp), 0, false},
		{"not json", `{"sub":`, 0, false},
		{"array", `[]`, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := hs256(hs256Header, c.payload, fastKeys[c.key])
			if got := agree(t, s, tok); got != c.fast {
				t.Errorf("fast path took it: %v, want %v", got, c.fast)
			}
		})
	}
	// What golang-jwt alone decides.
	tok := hs256(hs256Header, good, fastKeys[0])
	for name, tok := range map[string]string{
		"other header":  hs256(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"x"}`)), good, fastKeys[0]),
		"padded":        tok + "=",
		"two dots more": tok + ".x",
		"short sig":     tok[:len(tok)-1],
		"empty":         "",
	} {
		if agree(t, s, tok) {
			t.Errorf("%s: the fast path took %q", name, tok)
		}
	}
	// Sign's own tokens take it.
	signed, err := s.Sign("b7e1a8a0-3c2f-4a51-9d36-0c8f1e0b6a11", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !agree(t, s, signed) {
		t.Errorf("the fast path declined a token Sign issued: %q", signed)
	}
	if _, ok := fastSignerKeysOnly(t).parseFast(signed); ok {
		t.Error("a Signer with key pairs took the fast path")
	}

	// A Signer with an issuer pins it, as golang-jwt's WithIssuer does.
	pinned, err := NewSigner(SignerConfig{Secret: fastKeys[0], Audience: DefaultAudience, Issuer: "https://notes.example.com",
		Now: func() time.Time { return fastNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		iss  string
		fast bool
	}{{`"iss":"https://notes.example.com",`, true}, {``, false}, {`"iss":"https://evil.example.com",`, false}, {`"iss":"HTTPS://notes.example.com",`, false}} {
		tok := hs256(hs256Header, claims(c.iss+`"aud":["authkit:auth"],"iat":%d,"exp":%d`, iat, exp), fastKeys[0])
		if got := agree(t, pinned, tok); got != c.fast {
			t.Errorf("issuer %q: fast path took it: %v, want %v", c.iss, got, c.fast)
		}
	}
	signed, err = pinned.Sign("b7e1a8a0-3c2f-4a51-9d36-0c8f1e0b6a11", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !agree(t, pinned, signed) {
		t.Errorf("the fast path declined a token Sign issued with an issuer: %q", signed)
	}
}

// fastSignerKeysOnly has no secret: the fast path is HS256's alone.
func fastSignerKeysOnly(t *testing.T) *Signer {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(SignerConfig{Keys: &KeySet{SigningKeyID: "ed", SigningKey: priv}, Audience: DefaultAudience})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzParseFast signs arbitrary payloads with each key, and takes the
// input as a whole token too: whatever parseFast accepts, golang-jwt must
// accept, with the same claims.
func FuzzParseFast(f *testing.F) {
	s := fastSigner(f)
	pinned, err := NewSigner(SignerConfig{Secret: fastKeys[0], PreviousSecrets: fastKeys[1:2], Audience: DefaultAudience,
		Issuer: "me", Now: func() time.Time { return fastNow }})
	if err != nil {
		f.Fatal(err)
	}
	id, _ := newV7(fastNow.Add(-time.Minute))
	good := fmt.Sprintf(`{"sub":"u","jti":"%s","aud":["authkit:auth"],"iat":%d,"exp":%d}`, id, fastNow.Unix()-60, fastNow.Unix()+3600)
	f.Add(good, uint8(0))
	f.Add(good, uint8(1))
	f.Add(strings.Replace(good, `"exp"`, `"EXP"`, 1), uint8(0))
	f.Add(strings.Replace(good, `]`, `,"x"]`, 1), uint8(0))
	f.Add(hs256(hs256Header, good, fastKeys[0]), uint8(2))
	f.Add(strings.Replace(good, `{`, `{"iss":"me",`, 1), uint8(0))
	f.Fuzz(func(t *testing.T, in string, key uint8) {
		for _, s := range []*Signer{s, pinned} {
			agree(t, s, hs256(hs256Header, in, fastKeys[int(key)%len(fastKeys)]))
			agree(t, s, in)
		}
	})
}
