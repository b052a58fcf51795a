package strategy

import (
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-authkit/authkit/store"
)

// ErrSymmetricKey is returned when public keys are asked of a Signer that
// signs with an HS256 secret: a secret cannot be published.
var ErrSymmetricKey = errors.New("strategy: HS256 tokens have no public key (configure Keys)")

// PublicKey is a key that verifies a Signer's tokens, as a JWKS publishes
// it.
type PublicKey struct {
	ID  string // kid
	Alg string // "RS256", "ES256" or "EdDSA"
	Key crypto.PublicKey
	// RetiredUntil is when a retired key stops verifying (KeySet.RetiredUntil);
	// zero for keys without an end.
	RetiredUntil time.Time
}

// PublicKeys returns the keys that verify the Signer's tokens now: the
// signing key first, then the verification keys by kid, without the
// retired ones whose time is over. ErrSymmetricKey with a secret.
func (s *Signer) PublicKeys() ([]PublicKey, error) {
	if s.keys == nil {
		return nil, ErrSymmetricKey
	}
	now := s.now()
	var out []PublicKey
	for kid, k := range s.keys {
		if !k.until.IsZero() && !now.Before(k.until) {
			continue
		}
		out = append(out, PublicKey{ID: kid, Alg: k.method.Alg(), Key: k.key, RetiredUntil: k.until})
	}
	slices.SortFunc(out, func(a, b PublicKey) int {
		switch {
		case a.ID == s.kid:
			return -1
		case b.ID == s.kid:
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Issuer returns the iss of the Signer's tokens; "" when they carry none.
func (s *Signer) Issuer() string { return s.issuer }

// Signer returns the Signer of the access tokens, for publishing its keys.
func (j *JWT) Signer() *Signer { return j.signer }

// Introspection is what Introspect found out about an access token.
type Introspection struct {
	User   *store.User
	Claims Claims
}

// Introspect is Read that also returns the token's claims, for an
// introspection endpoint (RFC 7662): ErrInvalidToken when Read would refuse
// the token — revoked included.
func (j *JWT) Introspect(ctx context.Context, token string) (Introspection, error) {
	u, err := j.Read(ctx, token)
	if err != nil {
		return Introspection{}, err
	}
	c, _, err := j.parse(token)
	if err != nil {
		return Introspection{}, fmt.Errorf("strategy: jwt: introspect: %w", err)
	}
	return Introspection{User: u, Claims: c}, nil
}
