package strategy_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

func newSigner(t testing.TB, cfg strategy.SignerConfig) *strategy.Signer {
	t.Helper()
	s, err := strategy.NewSigner(cfg)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func TestNewSignerRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  strategy.SignerConfig
	}{
		{"no secret", strategy.SignerConfig{Audience: "a"}},
		{"31 bytes", strategy.SignerConfig{Secret: secret[:31], Audience: "a"}},
		{"no audience", strategy.SignerConfig{Secret: secret}},
		{"negative lifetime", strategy.SignerConfig{Secret: secret, Audience: "a", Lifetime: -time.Second}},
		{"negative leeway", strategy.SignerConfig{Secret: secret, Audience: "a", Leeway: -time.Second}},
	}
	for _, tt := range tests {
		if s, err := strategy.NewSigner(tt.cfg); err == nil || s != nil {
			t.Errorf("%s: NewSigner = %v, %v; want an error", tt.name, s, err)
		}
	}
}

func TestSignerDefaults(t *testing.T) {
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "authkit:reset"})
	if s.Lifetime() != time.Hour || s.Leeway() != strategy.DefaultLeeway || s.Audience() != "authkit:reset" {
		t.Errorf("Lifetime %v, Leeway %v, Audience %q", s.Lifetime(), s.Leeway(), s.Audience())
	}
}

// TestSignerSecretCopied: changing the caller's slice later changes nothing.
func TestSignerSecretCopied(t *testing.T) {
	key := []byte(string(secret))
	s := newSigner(t, strategy.SignerConfig{Secret: key, Audience: "a"})
	tok, err := s.Sign("sub", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range key {
		key[i] = 0
	}
	if _, err := s.Parse(tok, nil); err != nil {
		t.Errorf("Parse after the caller wiped its slice: %v", err)
	}
}

// TestSignerClaims checks the exact payload of a token.
func TestSignerClaims(t *testing.T) {
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "authkit:verify", Lifetime: 10 * time.Minute, Now: c.Now})
	extra := struct {
		Email string `json:"email"`
		Big   int64  `json:"big"`
	}{"a@b.c", 1<<62 + 1}
	tok, err := s.Sign("user-1", extra)
	if err != nil {
		t.Fatal(err)
	}
	header, payload := decodeParts(t, tok)
	if header["alg"] != "HS256" || header["typ"] != "JWT" || len(header) != 2 {
		t.Errorf("header = %v", header)
	}
	now := c.Now()
	want := map[string]any{
		"sub":   "user-1",
		"aud":   []any{"authkit:verify"},
		"iat":   json.Number(itoa(now.Unix())),
		"exp":   json.Number(itoa(now.Add(10 * time.Minute).Unix())),
		"email": "a@b.c",
		"big":   json.Number("4611686018427387905"),
	}
	jti, _ := payload["jti"].(string)
	delete(payload, "jti")
	if !jsonEqual(payload, want) {
		t.Errorf("payload = %v, want %v and a jti", payload, want)
	}
	id, err := uuid.Parse(jti)
	if err != nil || id.Version() != 7 {
		t.Fatalf("jti %q is not a UUIDv7", jti)
	}
	if sec, _ := id.Time().UnixTime(); sec != now.Unix() {
		t.Errorf("jti time %d, want %d", sec, now.Unix())
	}

	var got struct {
		Email string `json:"email"`
		Big   int64  `json:"big"`
	}
	claims, err := s.Parse(tok, &got)
	if err != nil {
		t.Fatal(err)
	}
	if got != extra {
		t.Errorf("extra = %+v, want %+v", got, extra)
	}
	wantClaims := strategy.Claims{Subject: "user-1", ID: jti, IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute).Truncate(time.Second)}
	if claims.Subject != wantClaims.Subject || claims.ID != wantClaims.ID ||
		!claims.IssuedAt.Equal(wantClaims.IssuedAt) || !claims.ExpiresAt.Equal(wantClaims.ExpiresAt) {
		t.Errorf("claims = %+v, want %+v", claims, wantClaims)
	}
}

// TestSignerIssuedAtPrecision: the issue time read back is exact to the
// microsecond, whatever the clock says.
func TestSignerIssuedAtPrecision(t *testing.T) {
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "a", Now: c.Now})
	for _, step := range []time.Duration{0, time.Nanosecond, 999 * time.Nanosecond, time.Microsecond, 999 * time.Microsecond, 123456789} {
		c.Add(step)
		tok, err := s.Sign("x", nil)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := s.Parse(tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Now().Truncate(time.Microsecond); !claims.IssuedAt.Equal(want) {
			t.Errorf("IssuedAt = %v, want %v", claims.IssuedAt, want)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "a"})
	for _, tt := range []struct {
		sub   string
		extra any
	}{
		{"", nil},
		{"x", map[string]any{"aud": "other"}},
		{"x", map[string]any{"exp": 9999999999}},
		{"x", map[string]any{"sub": "other"}},
		{"x", map[string]any{"jti": "x"}},
		{"x", map[string]any{"iat": 0}},
		{"x", map[string]any{"nbf": 0}},
		{"x", map[string]any{"iss": "x"}},
		{"x", struct {
			Aud string `json:"aud"`
		}{"other"}},
		{"x", []string{"a"}},
		{"x", "string"},
		{"x", make(chan int)},
	} {
		if tok, err := s.Sign(tt.sub, tt.extra); err == nil {
			t.Errorf("Sign(%q, %v) = %q, want an error", tt.sub, tt.extra, tok)
		}
	}
}

// TestSignerPurposes: tokens of one purpose never pass for another, even
// with the same secret.
func TestSignerPurposes(t *testing.T) {
	reset := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "authkit:reset"})
	verify := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "authkit:verify"})
	other := newSigner(t, strategy.SignerConfig{Secret: []byte(strings.Repeat("k", 32)), Audience: "authkit:reset"})
	tok, err := reset.Sign("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reset.Parse(tok, nil); err != nil {
		t.Fatalf("own token refused: %v", err)
	}
	if _, err := verify.Parse(tok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("verify signer accepted a reset token: %v", err)
	}
	if _, err := other.Parse(tok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("another secret accepted the token: %v", err)
	}
}

func TestSignerParseExtraTypeMismatch(t *testing.T) {
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "a"})
	tok, err := s.Sign("x", map[string]any{"email": 42})
	if err != nil {
		t.Fatal(err)
	}
	var dst struct {
		Email string `json:"email"`
	}
	if _, err := s.Parse(tok, &dst); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Parse = %v, want ErrInvalidToken", err)
	}
}

// TestSignerRefuses is the table of forgeries and malformed tokens of RFC
// 8725 and ASVS V9. Each case builds a token, most of them signed with the
// right secret so that only the property under test is wrong.
func TestSignerRefuses(t *testing.T) {
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "aud", Now: c.Now})
	now := c.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{
			"sub": "user", "aud": []string{"aud"}, "iat": now.Unix(),
			"exp": now.Add(time.Hour).Unix(), "jti": v7(now),
		}
	}
	with := func(k string, v any) jwt.MapClaims {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	hs := func(m jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, m, secret) }

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	valid := hs(good())
	if _, err := s.Parse(valid, nil); err != nil {
		t.Fatalf("the valid token is refused: %v", err)
	}
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"one part", "abc"},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", valid + ".x"},
		{"empty signature", parts[0] + "." + parts[1] + "."},
		{"altered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 5)},
		{"altered last signature char", parts[0] + "." + parts[1] + "." + flip(parts[2], len(parts[2])-1)},
		{"unused signature bits set", parts[0] + "." + parts[1] + "." + parts[2][:42] + string(nextUnusedBits(parts[2][42]))},
		{"altered payload", parts[0] + "." + flip(parts[1], 10) + "." + parts[2]},
		{"padded", valid + "="},
		{"standard base64", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+"},
		{"whitespace", " " + valid},
		{"not json", b64(`{"alg":"HS256"`) + "." + parts[1] + "." + parts[2]},
		{"payload not object", rawHS(t, `{"alg":"HS256","typ":"JWT"}`, `[1,2]`)},
		{"huge", valid + strings.Repeat("A", 8<<10)},
		{"huge header", rawHS(t, `{"alg":"HS256","x":"`+strings.Repeat("a", 9000)+`"}`, mustJSON(t, good()))},

		{"alg none", sign(t, jwt.SigningMethodNone, good(), jwt.UnsafeAllowNoneSignatureType)},
		{"alg None", raw(`{"alg":"None","typ":"JWT"}`, mustJSON(t, good()), "")},
		{"alg NONE", raw(`{"alg":"NONE","typ":"JWT"}`, mustJSON(t, good()), "")},
		{"alg nOnE", raw(`{"alg":"nOnE"}`, mustJSON(t, good()), "")},
		{"alg none with signature", raw(`{"alg":"none"}`, mustJSON(t, good()), parts[2])},
		{"alg hs256 lowercase", rawHS(t, `{"alg":"hs256","typ":"JWT"}`, mustJSON(t, good()))},
		{"alg missing", rawHS(t, `{"typ":"JWT"}`, mustJSON(t, good()))},
		{"alg number", rawHS(t, `{"alg":256}`, mustJSON(t, good()))},
		{"HS384 same secret", sign(t, jwt.SigningMethodHS384, good(), secret)},
		{"HS512 same secret", sign(t, jwt.SigningMethodHS512, good(), secret)},
		{"RS256", sign(t, jwt.SigningMethodRS256, good(), rsaKey)},
		{"PS256", sign(t, jwt.SigningMethodPS256, good(), rsaKey)},
		{"ES256", sign(t, jwt.SigningMethodES256, good(), ecKey)},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, good(), edKey)},
		{"HS256 with the RSA public key as secret", sign(t, jwt.SigningMethodHS256, good(), pubPEM)},
		{"crit header", signHeader(t, good(), map[string]any{"crit": []string{"exp"}})},
		{"jku to another key", signWithKey(t, good(), map[string]any{"jku": "http://127.0.0.1:1/jwks.json", "kid": "k"}, []byte(strings.Repeat("z", 32)))},
		{"embedded jwk", signWithKey(t, good(), map[string]any{"jwk": map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("z", 32)))}}, []byte(strings.Repeat("z", 32)))},
		{"x5u", signWithKey(t, good(), map[string]any{"x5u": "http://127.0.0.1:1/cert.pem"}, []byte(strings.Repeat("z", 32)))},

		{"missing exp", hs(with("exp", nil))},
		{"expired", hs(with("exp", now.Add(-time.Minute).Unix()))},
		{"expired beyond leeway", hs(with("exp", now.Add(-strategy.DefaultLeeway-time.Second).Unix()))},
		{"exp not a number", hs(with("exp", "soon"))},
		{"exp object", hs(with("exp", map[string]any{}))},
		{"missing aud", hs(with("aud", nil))},
		{"foreign aud", hs(with("aud", []string{"authkit:reset"}))},
		{"foreign aud string", hs(with("aud", "other"))},
		{"extra aud", hs(with("aud", []string{"aud", "other"}))},
		{"aud case", hs(with("aud", []string{"AUD"}))},
		{"future nbf", hs(with("nbf", now.Add(time.Minute).Unix()))},
		{"future iat", hs(func() jwt.MapClaims {
			m := with("iat", now.Add(time.Minute).Unix())
			m["jti"] = v7(now.Add(time.Minute))
			return m
		}())},
		{"missing iat", hs(with("iat", nil))},
		{"missing sub", hs(with("sub", nil))},
		{"empty sub", hs(with("sub", ""))},
		{"missing jti", hs(with("jti", nil))},
		{"jti v4", hs(with("jti", uuid.NewString()))},
		{"jti uppercase", hs(with("jti", strings.ToUpper(v7(now))))},
		{"jti braces", hs(with("jti", "{"+v7(now)+"}"))},
		{"jti of another second", hs(with("jti", v7(now.Add(-2*time.Second))))},
		{"jti sub-millisecond out of range", hs(with("jti", v7Sub(now, 1000)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := s.Parse(tt.token, nil)
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Errorf("Parse = %+v, %v; want ErrInvalidToken", claims, err)
			}
		})
	}
}

// TestSignerLeeway: clock skew up to the leeway is tolerated, no more.
func TestSignerLeeway(t *testing.T) {
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "a", Lifetime: time.Minute, Leeway: 5 * time.Second, Now: c.Now})
	tok, err := s.Sign("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute + 4*time.Second) // exp was truncated to the second
	if _, err := s.Parse(tok, nil); err != nil {
		t.Errorf("within the leeway: %v", err)
	}
	c.Add(2 * time.Second)
	if _, err := s.Parse(tok, nil); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("beyond the leeway: %v", err)
	}
}

// TestSignerIgnoresKeyHeaders: kid, jku, jwk and x5u change nothing: the
// configured secret is used whatever they say.
func TestSignerIgnoresKeyHeaders(t *testing.T) {
	c := newClock()
	s := newSigner(t, strategy.SignerConfig{Secret: secret, Audience: "aud", Now: c.Now})
	now := c.Now()
	claims := jwt.MapClaims{"sub": "user", "aud": "aud", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": v7(now)}
	tok := signHeader(t, claims, map[string]any{
		"kid": "../../../../dev/null", "jku": "http://127.0.0.1:1/jwks.json",
		"x5u": "http://127.0.0.1:1/cert.pem", "jwk": map[string]any{"kty": "oct", "k": "AAAA"},
	})
	got, err := s.Parse(tok, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Subject != "user" {
		t.Errorf("Subject = %q", got.Subject)
	}
}

// --- token crafting helpers ---

func sign(t testing.TB, m jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return tok
}

// signHeader signs claims with the test secret and extra header fields.
func signHeader(t testing.TB, claims jwt.MapClaims, header map[string]any) string {
	return signWithKey(t, claims, header, secret)
}

func signWithKey(t testing.TB, claims jwt.MapClaims, header map[string]any, key []byte) string {
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

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func raw(header, payload, sig string) string { return b64(header) + "." + b64(payload) + "." + sig }

// rawHS signs a hand-written header and payload with the test secret.
func rawHS(t testing.TB, header, payload string) string {
	t.Helper()
	signing := b64(header) + "." + b64(payload)
	sig, err := jwt.SigningMethodHS256.Sign(signing, secret)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flip changes the character at i into another base64url character.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// v7 is a UUIDv7 of t in the form authkit writes: microseconds in rand_a.
func v7(t time.Time) string {
	ms := t.UnixMilli()
	return v7Sub(t, int(t.UnixMicro()-ms*1000))
}

func v7Sub(t time.Time, us int) string {
	u := uuid.Must(uuid.NewRandom())
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 | byte(us>>8)&0x0f
	u[7] = byte(us)
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

func decodeParts(t testing.TB, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
