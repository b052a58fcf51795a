package strategy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// opaqueBytes is the entropy of an opaque token: 256 bits.
const opaqueBytes = 32

// opaqueEncoding is unpadded base64url; Strict refuses the encodings whose
// unused bits are not zero, so that each token has exactly one spelling.
var opaqueEncoding = base64.RawURLEncoding.Strict()

// NewOpaqueToken returns a new opaque token — 256 bits from crypto/rand,
// unpadded base64url — and the hash a store keeps instead of it. The
// strategies that keep tokens server-side (Database, redistoken) share it.
func NewOpaqueToken() (token, hash string, err error) {
	var b [opaqueBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	token = opaqueEncoding.EncodeToString(b[:])
	return token, hashOpaque(token), nil
}

// OpaqueTokenHash returns the hash a store keeps of token, or false when
// token is not one NewOpaqueToken could have made: such a token is refused
// before any store is asked.
func OpaqueTokenHash(token string) (string, bool) {
	if len(token) != opaqueEncoding.EncodedLen(opaqueBytes) {
		return "", false
	}
	var b [opaqueBytes]byte
	var src [64]byte // the token's bytes without a copy on the heap
	if n, err := opaqueEncoding.Decode(b[:], append(src[:0], token...)); err != nil || n != opaqueBytes {
		return "", false
	}
	return hashOpaque(token), true
}

// hashOpaque is the hex SHA-256 of a token. A fast hash suffices (and lets
// a store look it up): the token has 256 bits of entropy, nothing to
// brute-force.
// One allocation, the result: it runs at every authenticated request.
func hashOpaque(token string) string {
	var buf [64]byte
	sum := sha256.Sum256(append(buf[:0], token...))
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:])
}

// Caps on what a client says about itself, so that a huge User-Agent
// header cannot bloat every token record.
const (
	maxUserAgent = 512
	maxIP        = 64
)

// Clean returns c fit for a token record: valid UTF-8 without NUL (which
// PostgreSQL's TEXT refuses), the user agent at most 512 bytes and the
// address 64, cut on a character boundary.
func (c Client) Clean() Client {
	return Client{UserAgent: clientText(c.UserAgent, maxUserAgent), IP: clientText(c.IP, maxIP)}
}

func clientText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
