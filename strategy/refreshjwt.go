package strategy

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// RefreshAudience is the audience of refresh tokens in their JWT shape
// (RefreshConfig.JWTEnvelope): an access token never passes for one, nor
// one for an access token.
const RefreshAudience = "authkit:refresh"

// refreshEnvelope is the claim of a JWT-shaped refresh token that carries
// the opaque refresh token itself.
type refreshEnvelope struct {
	Token string `json:"rt"`
}

// newRefreshSigner is the Signer of JWT-shaped refresh tokens: the access
// tokens' key under RefreshAudience. Each token's exp is set when it is
// signed (see wrapRefresh), so the lifetime here is only a bound.
func newRefreshSigner(cfg JWTConfig) (*Signer, error) {
	lifetime := cfg.Refresh.Lifetime
	if lifetime == 0 {
		lifetime = DefaultRefreshLifetime
	}
	return NewSigner(SignerConfig{
		Secret:          cfg.Secret,
		PreviousSecrets: cfg.PreviousSecrets,
		Keys:            cfg.Keys,
		Audience:        RefreshAudience,
		Lifetime:        lifetime,
		Leeway:          cfg.Leeway,
		Now:             cfg.Now,
	})
}

// wrapRefresh puts the opaque refresh token of a session into its JWT
// envelope, when refresh tokens are configured so, expiring when the
// server would refuse it anyway: after the idle lifetime, and never past
// the session's (familyCreated + lifetime). Without the option it is the
// opaque token as is.
func (j *JWT) wrapRefresh(userID uuid.UUID, opaque string, now, familyCreated time.Time) (string, error) {
	if j.refreshJWT == nil {
		return opaque, nil
	}
	id, err := newV7(now)
	if err != nil {
		return "", fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	exp := min(now.Add(j.refresh.idle).Unix(), familyCreated.Add(j.refresh.lifetime).Unix())
	tok, err := j.refreshJWT.signUntil(userID.String(), id, now, time.Unix(exp, 0), refreshEnvelope{opaque})
	if err != nil {
		return "", fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	return tok, nil
}

// unwrapRefresh returns the opaque refresh token a client sent: out of its
// verified envelope when refresh tokens are JWTs (an opaque token alone,
// a forged, expired or foreign JWT are then ErrInvalidToken), as is
// otherwise. What it returns is then checked, rotated and reuse-detected
// exactly as an opaque token is.
func (j *JWT) unwrapRefresh(token string) (string, error) {
	if j.refreshJWT == nil {
		return token, nil
	}
	var env refreshEnvelope
	if _, err := j.refreshJWT.Parse(token, &env); err != nil {
		return "", fmt.Errorf("%w: refresh token: %w", ErrInvalidToken, err)
	}
	if env.Token == "" {
		return "", fmt.Errorf("%w: refresh token: no rt claim", ErrInvalidToken)
	}
	return env.Token, nil
}
