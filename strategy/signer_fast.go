package strategy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast path of Signer.Parse. An access token is verified at every
// authenticated request, and golang-jwt's general parse costs ~40
// allocations a token: the header into a map, the claims through
// reflection into NumericDate and ClaimStrings, a new HMAC per key
// (BENCHMARKS.md). parseFast verifies the one shape an HS256 Signer issues
// — its exact header, an HS256 signature, integer times — with pooled
// HMACs and the claims decoded once into a concrete struct.
//
// It decides only acceptance: for anything else (another header, a bad
// signature, a claim of another type, an expired token...) it declines and
// golang-jwt decides, so errors keep their wording and golang-jwt stays
// the reference. It accepts only what golang-jwt accepts, with the same
// claims: TestParseFastAgrees and FuzzParseFast compare the two.

// hs256Header is the header segment golang-jwt writes for HS256 tokens
// without a kid ({"alg":"HS256","typ":"JWT"}), taken from golang-jwt
// itself: if it ever writes another, the fast path declines every token
// instead of disagreeing.
var hs256Header = func() string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{}).SigningString()
	if err != nil {
		return ""
	}
	h, _, _ := strings.Cut(s, ".")
	return h
}()

// strictB64 decodes segments as golang-jwt does with WithStrictDecoding.
var strictB64 = base64.RawURLEncoding.Strict()

// macPool keeps keyed HMAC-SHA256 states of one key for reuse, each with
// buffers for the message and the sum (the hash is an interface: what it
// is given would escape to the heap).
type macPool struct{ sync.Pool }

type macState struct {
	mac hash.Hash
	msg []byte
	sum [sha256.Size]byte
}

func newMACPool(key []byte) *macPool {
	p := &macPool{}
	p.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return p
}

// fastClaims receives the payload. Its JSON names are RegisteredClaims',
// so that encoding/json maps the same keys (case-insensitively, the last
// one winning) to the same claims; the types are narrower, so that what
// golang-jwt would read differently (a string aud, a fractional or quoted
// time) is a decoding error here, and the fast path declines.
type fastClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	ExpiresAt fastTime `json:"exp"`
	NotBefore fastTime `json:"nbf"`
	IssuedAt  fastTime `json:"iat"`
	ID        string   `json:"jti"`
	// Version is the security version an access token carries (ver,
	// stampClaims), read here so that JWT.Read keeps the fast path.
	Version fastInt `json:"ver"`
}

// fastInt is a plain non-negative integer below 10^15, and whether it was
// there at all.
type fastInt struct {
	n   int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *fastInt) UnmarshalJSON(b []byte) error {
	var t fastTime
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	f.n, f.set = t.t.Unix(), true
	return nil
}

// fastTime is a NumericDate written as a plain non-negative integer below
// 2^53, which golang-jwt's float64 reading keeps exact.
type fastTime struct {
	t   time.Time
	set bool
}

var errNotFast = errors.New("not a plain integer time")

// UnmarshalJSON implements json.Unmarshaler.
func (f *fastTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || len(b) > 15 { // 10^15 < 2^53
		return errNotFast
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return errNotFast // null, a sign, a fraction, an exponent, a string
		}
		v = v*10 + int64(c-'0')
	}
	f.t, f.set = time.Unix(v, 0), true
	return nil
}

// parseFast returns the claims of token and true when it accepts it;
// false means golang-jwt must decide.
func (s *Signer) parseFast(token string) (Claims, bool) {
	c, _, ok := s.parseFastStamp(token)
	return c, ok
}

// parseFastStamp is parseFast that also returns the ver claim.
func (s *Signer) parseFastStamp(token string) (Claims, fastInt, bool) {
	if s.macs == nil || hs256Header == "" {
		return Claims{}, fastInt{}, false
	}
	header, rest, ok := strings.Cut(token, ".")
	if !ok || header != hs256Header {
		return Claims{}, fastInt{}, false
	}
	payload, sigSeg, ok := strings.Cut(rest, ".")
	if !ok || strictB64.DecodedLen(len(sigSeg)) != sha256.Size {
		return Claims{}, fastInt{}, false
	}
	var sig [sha256.Size]byte
	var srcBuf [768]byte // the segments' bytes, on the stack
	if n, err := strictB64.Decode(sig[:], stackBytes(&srcBuf, sigSeg)); err != nil || n != sha256.Size {
		return Claims{}, fastInt{}, false // a '.' in it too
	}
	if !s.verifyHS256(token[:len(header)+1+len(payload)], sig[:]) {
		return Claims{}, fastInt{}, false
	}
	// The payload on the stack when it fits, which decodeClaims keeps it
	// in; encoding/json gets a copy (what it is given escapes).
	var buf [512]byte
	raw := buf[:0]
	if l := strictB64.DecodedLen(len(payload)); l > len(buf) {
		raw = make([]byte, l)
	} else {
		raw = buf[:l]
	}
	n, err := strictB64.Decode(raw, stackBytes(&srcBuf, payload))
	if err != nil {
		return Claims{}, fastInt{}, false
	}
	var fc fastClaims // on the stack: encoding/json decodes into another
	if !decodeClaims(raw[:n], &fc, s.issuer, s.audiences) {
		slow := new(fastClaims)
		if err := json.Unmarshal(bytes.Clone(raw[:n]), slow); err != nil {
			return Claims{}, fastInt{}, false
		}
		fc = *slow
	}
	// golang-jwt's Validator, with the Signer's options: exp required,
	// nbf and iat not in the future, within the leeway; iss exactly the
	// Signer's when it has one.
	now := s.now()
	switch {
	case s.issuer != "" && fc.Issuer != s.issuer:
		return Claims{}, fastInt{}, false
	case !fc.ExpiresAt.set || !now.Before(fc.ExpiresAt.t.Add(s.leeway)):
		return Claims{}, fastInt{}, false
	case fc.NotBefore.set && now.Before(fc.NotBefore.t.Add(-s.leeway)):
		return Claims{}, fastInt{}, false
	case !fc.IssuedAt.set || now.Before(fc.IssuedAt.t.Add(-s.leeway)):
		return Claims{}, fastInt{}, false
	}
	// checkClaims (registered's) requires exactly our audience, which
	// passes golang-jwt's audience check too.
	c, err := s.checkClaims(fc.Audience, fc.Subject, fc.ID, fc.IssuedAt.t, true, fc.ExpiresAt.t)
	if err != nil {
		return Claims{}, fastInt{}, false
	}
	return c, fc.Version, true
}

// stackBytes is s as bytes, in buf when it fits: the []byte conversion of
// a string longer than 32 bytes is a heap allocation.
func stackBytes(buf *[768]byte, s string) []byte {
	if len(s) <= len(buf) {
		return append(buf[:0], s...)
	}
	return []byte(s)
}

// verifyHS256 reports whether sig is the HS256 signature of signing under
// the secret or one of the previous secrets, compared in constant time.
func (s *Signer) verifyHS256(signing string, sig []byte) bool {
	for _, p := range s.macs {
		st := p.Get().(*macState)
		st.mac.Reset()
		st.msg = append(st.msg[:0], signing...)
		st.mac.Write(st.msg)
		ok := hmac.Equal(st.mac.Sum(st.sum[:0]), sig)
		if cap(st.msg) <= MaxTokenLen {
			p.Put(st)
		}
		if ok {
			return true
		}
	}
	return false
}
