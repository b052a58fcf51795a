// Package mfa is the logic of authkit's second factors, apart from HTTP
// and storage: TOTP secrets and codes (RFC 6238, through
// github.com/pquerna/otp), the sealing of secrets at rest (AES-GCM), and
// recovery codes (random, kept only as hashes).
//
//	key, _ := mfa.NewTOTPKey("Notebooks", "ada@example.com")
//	sealed := sealer.Seal([]byte(key.Secret()), userID[:])
//	step, ok := mfa.ValidateTOTP(key.Secret(), "123456", time.Now())
//
// TOTP is what authenticator apps expect: SHA-1, 6 digits, 30-second
// steps; a code of the step before or after the current one is accepted
// too (clock skew), and ValidateTOTP says which step matched so that the
// caller can accept each step once.
package mfa

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: what authenticator apps expect.
const (
	Period = 30 // seconds per step
	Digits = 6
	// Skew is how many steps before and after the current one are
	// accepted.
	Skew = 1
)

var totpOpts = totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPKey makes a new random secret (160 bits) for the account, with
// its otpauth:// URI (key.URL()) naming issuer.
func NewTOTPKey(issuer, account string) (*otp.Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: Period, Digits: otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1, SecretSize: 20,
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: new totp key: %w", err)
	}
	return k, nil
}

// Step is the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// ValidateTOTP checks code against the secret (base32) at now, accepting
// the steps within Skew of now's, and returns the step that matched.
// Every candidate is computed and compared in constant time, so the time
// taken does not say which step (if any) matched. A code that is not
// Digits ASCII digits (spaces aside) matches nothing.
func ValidateTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != Digits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		want, err := TOTPCode(secret, time.Unix(s*Period, 0))
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// TOTPCode is the code of the secret (base32) at t, as an authenticator
// app shows it.
func TOTPCode(secret string, t time.Time) (string, error) {
	c, err := totp.GenerateCodeCustom(secret, t, totpOpts)
	if err != nil {
		return "", fmt.Errorf("mfa: totp code: %w", err)
	}
	return c, nil
}

// QRCode is the key's otpauth:// URI as a QR code: a PNG data URL.
func QRCode(k *otp.Key) (string, error) {
	img, err := k.Image(256, 256)
	if err != nil {
		return "", fmt.Errorf("mfa: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("mfa: qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// KeySize is the size of a Sealer's key: AES-256.
const KeySize = 32

// ErrUnseal: a sealed value is malformed, or was sealed with another key
// or for another owner.
var ErrUnseal = errors.New("mfa: cannot unseal")

// Sealer encrypts secrets at rest with AES-256-GCM. Each sealed value is
// bound to its owner (the additional data, a user id): a value copied to
// another user's row does not open.
type Sealer struct{ aead cipher.AEAD }

// sealVersion begins every sealed value, so that the format can change.
const sealVersion = 1

// NewSealer returns a Sealer with key, KeySize random bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("mfa: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for owner: version, random nonce, ciphertext.
func (s *Sealer) Seal(plain, owner []byte) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1:]) // never fails
	return s.aead.Seal(out, out[1:], plain, owner)
}

// Open decrypts what Seal made for owner; ErrUnseal otherwise.
func (s *Sealer) Open(sealed, owner []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], owner)
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// RecoveryCodes is how many recovery codes a user gets at a time.
const RecoveryCodes = 10

// recoveryEncoding is base32 in lower case: letters and 2 to 7, no 0 or
// 1 to take for o or l.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes makes n recovery codes of 80 random bits each, shown
// as xxxx-xxxx-xxxx-xxxx, and their hashes (HashRecoveryCode) to store.
// 80 bits make an unsalted SHA-256 safe to keep: no one can walk them.
func NewRecoveryCodes(n int) (codes, hashes []string) {
	for range n {
		b := make([]byte, 10)
		_, _ = rand.Read(b) // never fails
		s := recoveryEncoding.EncodeToString(b)
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes
}

// HashRecoveryCode is the stored form of a recovery code: hex SHA-256 of
// the code lower-cased, without dashes or spaces, so that a code typed
// in capitals or without its dashes still works.
func HashRecoveryCode(code string) string {
	norm := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	sum := sha256.Sum256([]byte("authkit recovery code\x00" + norm))
	return hex.EncodeToString(sum[:])
}
