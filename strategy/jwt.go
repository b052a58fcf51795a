package strategy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// DefaultAudience is the audience of access tokens, as in FastAPI Users
// ("fastapi-users:auth").
const DefaultAudience = "authkit:auth"

// JWTConfig configures a JWT strategy.
type JWTConfig struct {
	// Secret is the HS256 key, at least MinSecretLen random bytes, and
	// different from the secrets of reset and verification tokens.
	// Exactly one of Secret and Keys is required.
	Secret []byte
	// PreviousSecrets are HS256 keys still accepted but never used to
	// sign, for rotating Secret; see SignerConfig.PreviousSecrets.
	PreviousSecrets [][]byte
	// Keys, instead of Secret, sign tokens with a key pair (RS256, ES256
	// or EdDSA) and verify them with several public keys by kid, for
	// rotation; see KeySet.
	Keys *KeySet
	// Lifetime of a token; DefaultLifetime when zero.
	Lifetime time.Duration
	// Audience (aud) of the tokens; DefaultAudience when empty.
	Audience string
	// Issuer (iss) of the tokens, when set: required for publishing the
	// keys (authkit.JWKSRouter), so that verifiers can pin it.
	Issuer string
	// Store keeps revocations, so that logout and a password change end
	// tokens before they expire. Required.
	Store store.RevocationStore
	// Leeway tolerated on exp, nbf and iat for clock skew between servers;
	// DefaultLeeway when zero.
	Leeway time.Duration
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
	// Refresh, when set, makes logins issue refresh tokens beside access
	// tokens (WriteWithRefresh), exchanged for new pairs by Refresh.
	Refresh *RefreshConfig
}

// JWT issues signed, self-contained tokens (claims sub, aud, exp, iat,
// jti) that are nonetheless revocable: each Read asks the store, in one
// call, for the user unless the token was revoked by logout or issued
// before the user's sessions were ended.
type JWT struct {
	signer  *Signer
	store   store.RevocationStore
	now     func() time.Time
	refresh *refresher // nil: no refresh tokens
	// refreshJWT signs the envelopes of refresh tokens; nil: they are opaque.
	refreshJWT *Signer
}

var (
	_ Strategy     = (*JWT)(nil)
	_ SessionEnder = (*JWT)(nil)
)

// NewJWT returns a JWT strategy, or an error for a missing store, a
// missing or invalid secret or key set, or an invalid lifetime or leeway.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	if cfg.Store == nil {
		return nil, errors.New("strategy: jwt: a RevocationStore is required")
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s, err := NewSigner(SignerConfig{
		Secret:          cfg.Secret,
		PreviousSecrets: cfg.PreviousSecrets,
		Keys:            cfg.Keys,
		Audience:        cfg.Audience,
		Issuer:          cfg.Issuer,
		Lifetime:        cfg.Lifetime,
		Leeway:          cfg.Leeway,
		Now:             cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("strategy: jwt: %w", err)
	}
	j := &JWT{signer: s, store: cfg.Store, now: cfg.Now}
	if cfg.Refresh != nil {
		if j.refresh, err = newRefresher(*cfg.Refresh); err != nil {
			return nil, fmt.Errorf("strategy: jwt: %w", err)
		}
		if cfg.Refresh.JWTEnvelope {
			if j.refreshJWT, err = newRefreshSigner(cfg); err != nil {
				return nil, fmt.Errorf("strategy: jwt: refresh: %w", err)
			}
		}
	}
	return j, nil
}

// Lifetime returns how long a token lives.
func (j *JWT) Lifetime() time.Duration { return j.signer.Lifetime() }

// stampClaims carry the user's security version the token was issued at
// (store.User.Version), which a store.StampedTokenReader holds against the
// version at which the user's sessions were last ended. A token without it
// (issued by an older release) is held to the cut-off time alone.
type stampClaims struct {
	Version *int64 `json:"ver,omitempty"`
	// SessionID binds an access token to its refresh session.
	SessionID string `json:"sid,omitempty"`
}

func stamp(u *store.User, sid string) stampClaims {
	v := u.Version
	return stampClaims{Version: &v, SessionID: sid}
}

// Write signs a new token for u, carrying u's security version: if the
// user's sessions are ended at a later version — a reset that raced the
// login that read u — the token is void.
func (j *JWT) Write(_ context.Context, u *store.User) (string, error) {
	if u == nil {
		return "", errors.New("strategy: jwt: write: no user")
	}
	return j.signer.Sign(u.ID.String(), stamp(u, ""))
}

// Read verifies token and returns its user: ErrInvalidToken when the token
// is malformed, forged, expired, revoked, or its user is gone; any other
// error is a fault of the store.
func (j *JWT) Read(ctx context.Context, token string) (*store.User, error) {
	c, ver, err := j.signer.parseStamp(token)
	if err != nil {
		return nil, err
	}
	userID, err := subjectID(c)
	if err != nil {
		return nil, err
	}
	var u *store.User
	if st, ok := j.store.(store.StampedTokenReader); ok && ver != nil {
		u, err = st.UserForStampedToken(ctx, userID, c.ID, c.IssuedAt, *ver)
	} else {
		u, err = j.store.UserForToken(ctx, userID, c.ID, c.IssuedAt)
	}
	switch {
	case errors.Is(err, store.ErrTokenNotFound), errors.Is(err, store.ErrUserNotFound):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, fmt.Errorf("strategy: jwt: %w", err)
	}
	return u, nil
}

// Destroy revokes token, which must belong to u (when u is not nil), until
// it expires; then it forgets revocations that have expired, which keeps
// the store small at the cost of one cheap delete per logout.
func (j *JWT) Destroy(ctx context.Context, token string, u *store.User) error {
	c, userID, err := j.parse(token)
	if err != nil {
		return err
	}
	if u != nil && u.ID != userID {
		return fmt.Errorf("%w: token of another user", ErrInvalidToken)
	}
	// The record must outlive the leeway, during which Read still accepts
	// the expired token.
	if err := j.store.RevokeToken(ctx, c.ID, userID, c.ExpiresAt.Add(j.signer.Leeway())); err != nil {
		return fmt.Errorf("strategy: jwt: revoke: %w", err)
	}
	if err := j.store.DeleteExpiredRevocations(ctx, j.now()); err != nil {
		return fmt.Errorf("strategy: jwt: purge revocations: %w", err)
	}
	// Logging out ends the session: its refresh tokens too.
	if sid := j.sessionID(token); sid != "" && j.refresh != nil {
		return j.EndSession(ctx, userID, sid)
	}
	return nil
}

// EndSessions voids every token of the user issued before now, except
// keepToken when it is a valid token of that user ("" keeps none).
//
// The cut-off is taken to the microsecond, the precision of the issue
// times read from the token ids (and of the stores): a token issued later,
// even within the same second (iat has whole seconds only), still works, so
// the login that follows a password reset is never refused.
func (j *JWT) EndSessions(ctx context.Context, userID uuid.UUID, keepToken string) error {
	keep := ""
	if keepToken != "" {
		if c, id, err := j.parse(keepToken); err == nil && id == userID {
			keep = c.ID
		}
	}
	cutoff := j.now().Truncate(time.Microsecond)
	if err := j.store.RevokeUserTokens(ctx, userID, cutoff, keep); err != nil {
		return fmt.Errorf("strategy: jwt: end sessions: %w", err)
	}
	if j.refresh != nil {
		// The cut-off voids the families' access tokens; their refresh
		// tokens go too, but for the kept token's own session.
		keepFamily := ""
		if keep != "" {
			keepFamily = j.sessionID(keepToken)
		}
		gone, err := j.refresh.store.DeleteUserRefreshFamilies(ctx, userID, keepFamily)
		if err != nil {
			return fmt.Errorf("strategy: jwt: end sessions: %w", err)
		}
		// A rotation that stored its token just before is still signing
		// the access token recorded with it, after the cut-off: void it.
		return j.revokeAccess(ctx, gone)
	}
	return nil
}

// parse verifies token and reads its subject as a user id.
func (j *JWT) parse(token string) (Claims, uuid.UUID, error) {
	return j.parseClaims(token, nil)
}

// parseClaims is parse that also decodes the claims into extra.
func (j *JWT) parseClaims(token string, extra any) (Claims, uuid.UUID, error) {
	c, err := j.signer.Parse(token, extra)
	if err != nil {
		return Claims{}, uuid.Nil, err
	}
	id, err := subjectID(c)
	if err != nil {
		return Claims{}, uuid.Nil, err
	}
	return c, id, nil
}

// subjectID reads a token's subject as a user id.
func subjectID(c Claims) (uuid.UUID, error) {
	if !canonicalUUID(c.Subject) {
		return uuid.Nil, fmt.Errorf("%w: subject is not a user id", ErrInvalidToken)
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: subject is not a user id", ErrInvalidToken)
	}
	return id, nil
}
