package strategy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-authkit/authkit/internal/purge"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// Default lifetimes of refresh tokens.
const (
	// DefaultRefreshLifetime is how long a session lasts from its login,
	// however often it is refreshed.
	DefaultRefreshLifetime = 30 * 24 * time.Hour
	// DefaultRefreshIdleLifetime is how long a refresh token stays good
	// unused.
	DefaultRefreshIdleLifetime = 7 * 24 * time.Hour
)

// ErrRefreshReused is returned by Refresh for a refresh token that was
// already exchanged: someone holds a copy. The whole session has been
// ended. It wraps ErrInvalidToken.
var ErrRefreshReused = fmt.Errorf("%w: refresh token reused; its session is ended", ErrInvalidToken)

// RefreshConfig configures refresh tokens: opaque, 256-bit, only their
// SHA-256 stored, rotated at every use, with reuse detection.
type RefreshConfig struct {
	// Store keeps the refresh token families. Required.
	Store store.RefreshTokenStore
	// Users loads the user of a refresh. Required.
	Users store.UserStore
	// Lifetime is the absolute lifetime of a session, from its login;
	// DefaultRefreshLifetime when zero.
	Lifetime time.Duration
	// IdleLifetime is how long a refresh token stays good unused;
	// DefaultRefreshIdleLifetime when zero.
	IdleLifetime time.Duration
	// JWTEnvelope hands refresh tokens out as JWTs (audience
	// RefreshAudience, signed with the access tokens' key) carrying their
	// exp and the opaque token, for clients that decode every token as a
	// JWT to read its expiry (react-auth-kit). The server unwraps them and
	// checks, rotates and reuse-detects the opaque token inside as usual;
	// an opaque token alone is then refused.
	JWTEnvelope bool
	// ReuseInterval is how long after a rotation the token it used may be
	// presented again and get the same successor instead of ending the
	// session: two tabs of one app refreshing at once, or a retry after a
	// lost response (Auth0's and GoTrue's "reuse interval"). Zero, the
	// default, is strict: any second use ends the session. Keep it short
	// (a few seconds): within it, a thief's copy works as well.
	ReuseInterval time.Duration
}

// Refresher is implemented by strategies that issue refresh tokens.
type Refresher interface {
	// RefreshLifetime is the absolute lifetime of a session; 0 when the
	// strategy is configured without refresh tokens.
	RefreshLifetime() time.Duration
	// WriteWithRefresh issues an access token and the refresh token of a
	// new session.
	WriteWithRefresh(ctx context.Context, u *store.User) (access, refresh string, err error)
	// Refresh exchanges a refresh token for a new pair and retires it.
	// ErrInvalidToken for an unknown, expired or ended one; ErrRefreshReused
	// for one used before, whose session it then ends.
	Refresh(ctx context.Context, refreshToken string) (u *store.User, access, refresh string, err error)
}

// RefreshGate decides, before a rotation, whether the session familyID
// may be refreshed now; its error is Refresh's. authkit's refresh route
// puts one in the context to throttle refreshes per session.
type RefreshGate func(ctx context.Context, familyID string) error

type gateKey struct{}

// WithRefreshGate returns ctx carrying g, which Refresh consults when
// its store is a store.RefreshTokenReader.
func WithRefreshGate(ctx context.Context, g RefreshGate) context.Context {
	return context.WithValue(ctx, gateKey{}, g)
}

// gate runs the context's RefreshGate, if any, for the token with hash.
// An unknown token passes: the rotation refuses it.
func (r *refresher) gate(ctx context.Context, hash string) error {
	g, _ := ctx.Value(gateKey{}).(RefreshGate)
	rd, ok := r.store.(store.RefreshTokenReader)
	if g == nil || !ok {
		return nil
	}
	t, err := rd.RefreshToken(ctx, hash)
	switch {
	case errors.Is(err, store.ErrTokenNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	return g(ctx, t.FamilyID)
}

type refresher struct {
	store          store.RefreshTokenStore
	users          store.UserStore
	lifetime, idle time.Duration
	reuse          time.Duration // the reuse interval; 0: strict
	purge          purge.Gate    // logins delete the families past their lifetime, once a minute
}

func newRefresher(cfg RefreshConfig) (*refresher, error) {
	switch {
	case cfg.Store == nil || cfg.Users == nil:
		return nil, errors.New("refresh: Store and Users are required")
	case cfg.Lifetime < 0 || cfg.IdleLifetime < 0 || cfg.ReuseInterval < 0:
		return nil, errors.New("refresh: lifetimes and the reuse interval must not be negative")
	}
	r := &refresher{store: cfg.Store, users: cfg.Users, lifetime: cfg.Lifetime, idle: cfg.IdleLifetime, reuse: cfg.ReuseInterval}
	if r.lifetime == 0 {
		r.lifetime = DefaultRefreshLifetime
	}
	if r.idle == 0 {
		r.idle = DefaultRefreshIdleLifetime
	}
	r.idle = min(r.idle, r.lifetime)
	return r, nil
}

var (
	_ Refresher      = (*JWT)(nil)
	_ SessionManager = (*JWT)(nil)
)

// RefreshLifetime implements Refresher.
func (j *JWT) RefreshLifetime() time.Duration {
	if j.refresh == nil {
		return 0
	}
	return j.refresh.lifetime
}

// WriteWithRefresh implements Refresher: a new session (a family of refresh
// tokens) whose first access token carries its id in the sid claim.
func (j *JWT) WriteWithRefresh(ctx context.Context, u *store.User) (string, string, error) {
	if j.refresh == nil {
		return "", "", errors.New("strategy: jwt: refresh tokens are not configured")
	}
	if u == nil {
		return "", "", errors.New("strategy: jwt: write: no user")
	}
	now := j.now()
	err := j.refresh.purge.Maybe(now, func() error {
		return j.refresh.store.DeleteRefreshTokensBefore(ctx, now.Add(-j.refresh.lifetime))
	})
	if err != nil {
		return "", "", fmt.Errorf("strategy: jwt: refresh purge: %w", err)
	}
	token, hash, err := NewOpaqueToken()
	if err != nil {
		return "", "", fmt.Errorf("strategy: jwt: %w", err)
	}
	id, err := newV7(now)
	if err != nil {
		return "", "", fmt.Errorf("strategy: jwt: %w", err)
	}
	c := ClientFrom(ctx).Clean()
	family := "s-" + uuid.NewString()
	err = j.refresh.store.CreateRefreshToken(ctx, store.RefreshToken{
		Hash: hash, FamilyID: family, UserID: u.ID, AccessTokenID: id.String(),
		CreatedAt: now, FamilyCreatedAt: now, UserAgent: c.UserAgent, IP: c.IP, UserVersion: u.Version,
	})
	if errors.Is(err, store.ErrVersionConflict) {
		return "", "", ErrStaleUser
	}
	if err != nil {
		return "", "", fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	access, err := j.signer.signAs(u.ID.String(), id, now, stamp(u, family))
	if err != nil {
		return "", "", err
	}
	if token, err = j.wrapRefresh(u.ID, token, now, now); err != nil {
		return "", "", err
	}
	return access, token, nil
}

// Refresh implements Refresher.
func (j *JWT) Refresh(ctx context.Context, refreshToken string) (*store.User, string, string, error) {
	if j.refresh == nil {
		return nil, "", "", errors.New("strategy: jwt: refresh tokens are not configured")
	}
	refreshToken, err := j.unwrapRefresh(refreshToken)
	if err != nil {
		return nil, "", "", err
	}
	hash, ok := OpaqueTokenHash(refreshToken)
	if !ok {
		return nil, "", "", fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	if err := j.refresh.gate(ctx, hash); err != nil {
		return nil, "", "", err
	}
	next, nextHash, err := NewOpaqueToken()
	if err != nil {
		return nil, "", "", fmt.Errorf("strategy: jwt: %w", err)
	}
	now := j.now()
	id, err := newV7(now)
	if err != nil {
		return nil, "", "", fmt.Errorf("strategy: jwt: %w", err)
	}
	c := ClientFrom(ctx).Clean()
	var sealed string
	if j.refresh.reuse > 0 {
		if sealed, err = sealSuccessor(refreshToken, next); err != nil {
			return nil, "", "", fmt.Errorf("strategy: jwt: %w", err)
		}
	}
	used, err := j.refresh.store.RotateRefreshToken(ctx, hash, store.RefreshToken{
		Hash: nextHash, AccessTokenID: id.String(), CreatedAt: now, UserAgent: c.UserAgent, IP: c.IP, Successor: sealed,
	})
	switch {
	case errors.Is(err, store.ErrTokenNotFound):
		return nil, "", "", fmt.Errorf("%w: unknown refresh token", ErrInvalidToken)
	case errors.Is(err, store.ErrTokenReused):
		if u, access, succ, ok, err := j.reuseSuccessor(ctx, refreshToken, used, now); err != nil || ok {
			return u, access, succ, err
		}
		if err := j.EndSession(ctx, used.UserID, used.FamilyID); err != nil {
			return nil, "", "", err
		}
		return nil, "", "", ErrRefreshReused
	case err != nil:
		return nil, "", "", fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	if now.Sub(used.FamilyCreatedAt) >= j.refresh.lifetime || now.Sub(used.CreatedAt) >= j.refresh.idle {
		if err := j.EndSession(ctx, used.UserID, used.FamilyID); err != nil {
			return nil, "", "", err
		}
		return nil, "", "", fmt.Errorf("%w: refresh token expired", ErrInvalidToken)
	}
	u, err := j.refresh.users.UserByID(ctx, used.UserID)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, "", "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, "", "", fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	access, err := j.signer.signAs(u.ID.String(), id, now, stamp(u, used.FamilyID))
	if err != nil {
		return nil, "", "", err
	}
	if next, err = j.wrapRefresh(u.ID, next, now, used.FamilyCreatedAt); err != nil {
		return nil, "", "", err
	}
	return u, access, next, nil
}

// reuseSuccessor answers a second presentation of a used refresh token
// within the reuse interval: the same successor, while it is still its
// family's current token, with an access token under the successor's id
// (so that ending the family voids it too) — no new branch. ok is false
// when the presentation is a reuse to punish.
func (j *JWT) reuseSuccessor(ctx context.Context, presented string, used store.RefreshToken, now time.Time) (*store.User, string, string, bool, error) {
	if j.refresh.reuse <= 0 || used.Successor == "" || used.UsedAt.IsZero() || now.Sub(used.UsedAt) >= j.refresh.reuse {
		return nil, "", "", false, nil
	}
	succ, err := openSuccessor(presented, used.Successor)
	if err != nil {
		return nil, "", "", false, nil // not what was sealed: a reuse like any other
	}
	fams, err := j.refresh.store.RefreshFamilies(ctx, used.UserID)
	if err != nil {
		return nil, "", "", false, fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	succHash := hashOpaque(succ)
	i := slices.IndexFunc(fams, func(f store.RefreshToken) bool { return f.FamilyID == used.FamilyID && f.Hash == succHash })
	if i < 0 {
		return nil, "", "", false, nil // rotated again since, or ended
	}
	cur := fams[i]
	id, err := uuid.Parse(cur.AccessTokenID)
	if err != nil {
		return nil, "", "", false, nil
	}
	u, err := j.refresh.users.UserByID(ctx, used.UserID)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, "", "", false, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, "", "", false, fmt.Errorf("strategy: jwt: refresh: %w", err)
	}
	access, err := j.signer.signAs(u.ID.String(), id, cur.CreatedAt, stamp(u, used.FamilyID))
	if err != nil {
		return nil, "", "", false, err
	}
	if succ, err = j.wrapRefresh(u.ID, succ, cur.CreatedAt, used.FamilyCreatedAt); err != nil {
		return nil, "", "", false, err
	}
	return u, access, succ, true, nil
}

// Sessions implements SessionManager: the user's refresh sessions (access
// tokens issued without refresh are not sessions that can be listed).
func (j *JWT) Sessions(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	if j.refresh == nil {
		return []Session{}, nil
	}
	fams, err := j.refresh.store.RefreshFamilies(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("strategy: jwt: sessions: %w", err)
	}
	now := j.now()
	out := make([]Session, 0, len(fams))
	for _, f := range fams {
		if now.Sub(f.FamilyCreatedAt) >= j.refresh.lifetime || now.Sub(f.CreatedAt) >= j.refresh.idle {
			continue
		}
		out = append(out, Session{ID: f.FamilyID, CreatedAt: f.FamilyCreatedAt, LastUsedAt: f.CreatedAt, UserAgent: f.UserAgent, IP: f.IP})
	}
	return out, nil
}

// SessionOf implements SessionManager: the session an access token was
// issued in.
func (j *JWT) SessionOf(_ context.Context, token string) (string, error) {
	sid := j.sessionID(token)
	if sid == "" {
		return "", fmt.Errorf("%w: no session", ErrInvalidToken)
	}
	return sid, nil
}

// EndSession implements SessionManager: the session's refresh tokens are
// deleted and the access tokens issued with them revoked, at once.
func (j *JWT) EndSession(ctx context.Context, userID uuid.UUID, sessionID string) error {
	if j.refresh == nil {
		return nil
	}
	gone, err := j.refresh.store.DeleteRefreshFamily(ctx, userID, sessionID)
	if err != nil {
		return fmt.Errorf("strategy: jwt: end session: %w", err)
	}
	return j.revokeAccess(ctx, gone)
}

// revokeAccess revokes the access tokens issued with refresh tokens that
// are gone, those that may still be alive.
func (j *JWT) revokeAccess(ctx context.Context, gone []store.RefreshToken) error {
	oldest := j.now().Add(-j.signer.Lifetime() - j.signer.Leeway())
	for _, t := range gone {
		if t.AccessTokenID == "" || t.CreatedAt.Before(oldest) {
			continue
		}
		until := t.CreatedAt.Add(j.signer.Lifetime() + j.signer.Leeway())
		if err := j.store.RevokeToken(ctx, t.AccessTokenID, t.UserID, until); err != nil {
			return fmt.Errorf("strategy: jwt: revoke: %w", err)
		}
	}
	return nil
}

// sessionID is the sid claim of a valid access token, or "".
func (j *JWT) sessionID(token string) string {
	var c stampClaims
	if _, err := j.signer.Parse(token, &c); err != nil {
		return ""
	}
	return c.SessionID
}
