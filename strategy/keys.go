package strategy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3 and NIST
// SP 800-131A: 2048 bits).
const MinRSABits = 2048

// ErrUnsupportedKey is wrapped by the errors about a key of a type, size or
// curve that authkit does not sign or verify with.
var ErrUnsupportedKey = errors.New("strategy: unsupported key")

// KeySet configures a Signer for an asymmetric algorithm instead of an
// HS256 secret: one key signs, and several may verify, each named by its key
// id (kid), so that keys can be rotated without logging everyone out.
//
// The algorithm follows from the type of each key and is pinned to it:
// RS256 for RSA (at least MinRSABits bits), ES256 for ECDSA on P-256, EdDSA
// for Ed25519. Other curves (P-384, P-521) are refused rather than
// supported: each algorithm accepted is one more to get right, and ES256
// is the one JOSE recommends (RFC 7518 §3.1).
//
// Tokens carry the kid of the key that signed them. A token verifies only
// when its kid names a key of the set and its alg is that key's algorithm;
// jku, jwk, x5u and x5c are never followed.
//
// To rotate: add the new public key to VerificationKeys on every instance,
// then make it the signing key (the old one moves to VerificationKeys),
// then, once the tokens it signed have expired, remove the old key.
type KeySet struct {
	// SigningKeyID is the kid written in the header of every token signed
	// with SigningKey. Required.
	SigningKeyID string
	// SigningKey signs new tokens: an *rsa.PrivateKey, an *ecdsa.PrivateKey,
	// an ed25519.PrivateKey (see ParsePrivateKeyPEM), or any crypto.Signer
	// with such a public key, a key held by a KMS for instance (RSA ones
	// must sign PKCS #1 v1.5 when given crypto.SHA256, and all must be safe
	// for concurrent use). Required. Its public key verifies tokens under
	// SigningKeyID. NewSigner signs once with it to check that it does.
	SigningKey crypto.Signer
	// VerificationKeys are further public keys accepted, by kid: during a
	// rotation, the previous signing key, or the next one before it signs.
	// Each is an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey (see
	// ParsePublicKeyPEM). SigningKeyID may be listed only with the public
	// key of SigningKey.
	VerificationKeys map[string]crypto.PublicKey
	// RetiredUntil, optional, bounds some VerificationKeys by kid: each is
	// accepted (and published, see PublicKeys) only before that time — a
	// retired signing key, until the last token it signed has expired
	// (LoadKeyDir sets it so). Keys without an entry are accepted until
	// they are removed.
	RetiredUntil map[string]time.Time
}

// publicKey is a verification key with the one algorithm it accepts.
type publicKey struct {
	method jwt.SigningMethod
	key    crypto.PublicKey
	until  time.Time // zero: no end
}

// methodFor returns the algorithm of pub, or an error wrapping
// ErrUnsupportedKey when authkit does not verify with such a key.
func methodFor(pub crypto.PublicKey) (jwt.SigningMethod, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch {
		case k == nil || k.N == nil:
			return nil, fmt.Errorf("%w: empty RSA key", ErrUnsupportedKey)
		case k.N.BitLen() < MinRSABits:
			return nil, fmt.Errorf("%w: RSA key of %d bits, at least %d are required", ErrUnsupportedKey, k.N.BitLen(), MinRSABits)
		}
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PublicKey:
		switch {
		case k == nil || k.X == nil || k.Y == nil:
			return nil, fmt.Errorf("%w: empty ECDSA key", ErrUnsupportedKey)
		case k.Curve != elliptic.P256():
			return nil, fmt.Errorf("%w: ECDSA keys must be on P-256 (ES256)", ErrUnsupportedKey)
		}
		if _, err := k.ECDH(); err != nil { // the point is on the curve
			return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
		}
		return jwt.SigningMethodES256, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
		return jwt.SigningMethodEdDSA, nil
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return nil, fmt.Errorf("%w: a private key where a public key is expected", ErrUnsupportedKey)
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// checkSigner returns the algorithm and public key of k after signing once
// with it and verifying the result: a key that does not match its public
// half, or a KMS that signs in another scheme, fails here rather than on
// every login.
func checkSigner(k crypto.Signer) (jwt.SigningMethod, crypto.PublicKey, error) {
	// Public would panic on these, and signing with them too.
	switch k := k.(type) {
	case nil:
		return nil, nil, errors.New("no signing key")
	case *rsa.PrivateKey:
		if k == nil || k.N == nil || k.D == nil {
			return nil, nil, fmt.Errorf("%w: empty RSA key", ErrUnsupportedKey)
		}
	case *ecdsa.PrivateKey:
		if k == nil || k.X == nil || k.Y == nil || k.D == nil {
			return nil, nil, fmt.Errorf("%w: empty ECDSA key", ErrUnsupportedKey)
		}
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
	}
	pub := k.Public()
	m, err := methodFor(pub)
	if err != nil {
		return nil, nil, err
	}
	const probe = "authkit key check"
	sig, err := signWith(k, m, probe)
	if err == nil {
		err = m.Verify(probe, sig, pub)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("signing key does not verify with its public key: %w", err)
	}
	return m, pub, nil
}

// signWith signs the JWS signing input with an asymmetric key. It goes
// through crypto.Signer rather than golang-jwt, which signs only with the
// standard library's key types, so that keys held elsewhere work too.
func signWith(k crypto.Signer, m jwt.SigningMethod, signing string) ([]byte, error) {
	if m == jwt.SigningMethodEdDSA {
		return k.Sign(rand.Reader, []byte(signing), crypto.Hash(0))
	}
	digest := sha256.Sum256([]byte(signing))
	sig, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || m != jwt.SigningMethodES256 {
		return sig, err
	}
	return ecdsaJOSE(sig)
}

// ecdsaJOSE turns the ASN.1 signature of crypto.Signer into the fixed-size
// r || s of JWS (RFC 7518 §3.4).
func ecdsaJOSE(der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 256 || rs.S.BitLen() > 256 {
		return nil, errors.New("malformed ECDSA signature")
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

// keysFrom checks a KeySet and returns the signing algorithm and every
// verification key by kid.
func keysFrom(ks *KeySet) (jwt.SigningMethod, map[string]publicKey, error) {
	if ks.SigningKeyID == "" {
		return nil, nil, errors.New("keys: SigningKeyID is required")
	}
	m, pub, err := checkSigner(ks.SigningKey)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: signing key %q: %w", ks.SigningKeyID, err)
	}
	keys := map[string]publicKey{ks.SigningKeyID: {method: m, key: pub}}
	for kid, k := range ks.VerificationKeys {
		if kid == "" {
			return nil, nil, errors.New("keys: a verification key has an empty id")
		}
		km, err := methodFor(k)
		if err != nil {
			return nil, nil, fmt.Errorf("keys: verification key %q: %w", kid, err)
		}
		if kid == ks.SigningKeyID {
			if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(k) {
				return nil, nil, fmt.Errorf("keys: verification key %q is not the signing key of the same id", kid)
			}
			continue
		}
		keys[kid] = publicKey{km, k, ks.RetiredUntil[kid]}
	}
	for kid := range ks.RetiredUntil {
		if _, ok := ks.VerificationKeys[kid]; !ok || kid == ks.SigningKeyID {
			return nil, nil, fmt.Errorf("keys: RetiredUntil names %q, which is not a verification key", kid)
		}
	}
	return m, keys, nil
}

// algorithms lists the distinct algorithms of keys, for the parser.
func algorithms(keys map[string]publicKey) []string {
	var algs []string
	for _, k := range keys {
		algs = append(algs, k.method.Alg())
	}
	slices.Sort(algs)
	return slices.Compact(algs)
}

// ParsePrivateKeyPEM reads the private key of a PEM document holding exactly
// one block, for KeySet.SigningKey: PKCS #8 ("PRIVATE KEY", what `openssl
// genpkey` writes), or the older PKCS #1 ("RSA PRIVATE KEY") and SEC 1 ("EC
// PRIVATE KEY") forms. Encrypted keys are refused: decrypt them first, or
// keep the key in a secret store. Keys a KeySet would refuse (see KeySet)
// are refused here too, with an error wrapping ErrUnsupportedKey.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	b, err := onePEM(data)
	if err != nil {
		return nil, fmt.Errorf("strategy: private key: %w", err)
	}
	var k any
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("strategy: private key: PEM block %q is not an unencrypted private key", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("strategy: private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("strategy: private key: %w: %T cannot sign", ErrUnsupportedKey, k)
	}
	if _, _, err := checkSigner(s); err != nil {
		return nil, fmt.Errorf("strategy: private key: %w", err)
	}
	return s, nil
}

// ParsePublicKeyPEM reads the public key of a PEM document holding exactly
// one "PUBLIC KEY" block (PKIX, what `openssl pkey -pubout` writes), for
// KeySet.VerificationKeys. Keys a KeySet would refuse are refused here too,
// with an error wrapping ErrUnsupportedKey.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	b, err := onePEM(data)
	if err != nil {
		return nil, fmt.Errorf("strategy: public key: %w", err)
	}
	if b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("strategy: public key: PEM block %q is not a PUBLIC KEY", b.Type)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("strategy: public key: %w", err)
	}
	if _, err := methodFor(k); err != nil {
		return nil, fmt.Errorf("strategy: public key: %w", err)
	}
	return k, nil
}

// onePEM returns the only PEM block of data. A second block is refused
// rather than ignored: which key was meant would be a guess.
func onePEM(data []byte) (*pem.Block, error) {
	b, rest := pem.Decode(data)
	switch {
	case b == nil:
		return nil, errors.New("no PEM block found")
	case len(b.Headers) != 0: // Proc-Type: 4,ENCRYPTED and the like
		return nil, errors.New("PEM headers (encryption) are not supported")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	return b, nil
}
