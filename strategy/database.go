package strategy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-authkit/authkit/internal/purge"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// touchInterval is how stale a token's last use may get: a busy token
// costs one write a minute, not one per request.
const touchInterval = time.Minute

// legacyPrefix begins the session id of a token stored without one (by a
// release before session listing). Random ids never have it.
const legacyPrefix = "legacy-"

// DatabaseConfig configures a Database strategy.
type DatabaseConfig struct {
	// Store keeps the hashes of the tokens. Required.
	Store store.AccessTokenStore
	// Lifetime of a token; DefaultLifetime when zero.
	Lifetime time.Duration
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
}

// Database issues opaque tokens of 256 random bits. Only their SHA-256 is
// stored, with the user and the creation time, so a copy of the database
// yields no usable token; the lifetime is checked on each Read.
//
// Each token is its own session (ASVS 7.5.2): Sessions lists them under a
// random session id that is neither the token nor its hash, with the
// client of strategy.ClientFrom at login and the time of last use, which
// Read records at most once a minute per token. A token stored before the
// store kept sessions has no session id; it is listed, and can be ended,
// under "legacy-" and a one-way function of its hash.
type Database struct {
	store    store.AccessTokenStore
	lifetime time.Duration
	now      func() time.Time
	purge    purge.Gate // Write deletes the expired tokens, once a minute
}

var (
	_ Strategy       = (*Database)(nil)
	_ SessionEnder   = (*Database)(nil)
	_ SessionManager = (*Database)(nil)
)

// NewDatabase returns a Database strategy, or an error for a missing store
// or a negative lifetime.
func NewDatabase(cfg DatabaseConfig) (*Database, error) {
	if cfg.Store == nil {
		return nil, errors.New("strategy: database: an AccessTokenStore is required")
	}
	if cfg.Lifetime < 0 {
		return nil, errors.New("strategy: database: lifetime must not be negative")
	}
	d := &Database{store: cfg.Store, lifetime: cfg.Lifetime, now: cfg.Now}
	if d.lifetime == 0 {
		d.lifetime = DefaultLifetime
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// Lifetime returns how long a token lives.
func (d *Database) Lifetime() time.Duration { return d.lifetime }

// Write issues a new token for u and stores its hash, under a new random
// session id, with the user agent and address of strategy.ClientFrom(ctx).
// A store that keeps security versions stores it only while the user is
// still at u.Version; ErrStaleUser otherwise.
// At most once a minute it first deletes the tokens that have expired,
// which keeps the table small at the cost of one delete, not one a login.
func (d *Database) Write(ctx context.Context, u *store.User) (string, error) {
	if u == nil {
		return "", errors.New("strategy: database: write: no user")
	}
	tok, hash, err := NewOpaqueToken()
	if err != nil {
		return "", fmt.Errorf("strategy: database: %w", err)
	}
	now := d.now()
	if err := d.purge.Maybe(now, func() error { return d.store.DeleteAccessTokensBefore(ctx, now.Add(-d.lifetime)) }); err != nil {
		return "", fmt.Errorf("strategy: database: purge: %w", err)
	}
	c := ClientFrom(ctx).Clean()
	err = d.store.CreateAccessToken(ctx, store.AccessToken{
		Hash: hash, UserID: u.ID, CreatedAt: now, LastUsedAt: now,
		SessionID: rand.Text(), UserAgent: c.UserAgent, IP: c.IP, UserVersion: u.Version,
	})
	if errors.Is(err, store.ErrVersionConflict) {
		return "", ErrStaleUser
	}
	if err != nil {
		return "", fmt.Errorf("strategy: database: %w", err)
	}
	return tok, nil
}

// Read returns the user of token: ErrInvalidToken when the token is
// malformed, unknown, expired or its user is gone; any other error is a
// fault of the store. A malformed token never reaches the store. It costs
// one query, and one more when the token's last recorded use is a minute
// old or more.
func (d *Database) Read(ctx context.Context, token string) (*store.User, error) {
	now := d.now()
	u, rec, err := d.lookup(ctx, token, now)
	if err != nil {
		return nil, err
	}
	if now.Sub(rec.LastUsedAt) >= touchInterval {
		if err := d.store.TouchAccessToken(ctx, rec.Hash, now); err != nil {
			return nil, fmt.Errorf("strategy: database: touch: %w", err)
		}
	}
	return u, nil
}

// lookup returns the user and the record of a token live at now, or
// ErrInvalidToken.
func (d *Database) lookup(ctx context.Context, token string, now time.Time) (*store.User, store.AccessToken, error) {
	h, ok := OpaqueTokenHash(token)
	if !ok {
		return nil, store.AccessToken{}, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	u, rec, err := d.store.UserByAccessToken(ctx, h)
	switch {
	case errors.Is(err, store.ErrTokenNotFound), errors.Is(err, store.ErrUserNotFound):
		return nil, store.AccessToken{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, store.AccessToken{}, fmt.Errorf("strategy: database: %w", err)
	}
	if d.expired(rec.CreatedAt, now) {
		return nil, store.AccessToken{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	rec.Hash = h // a store may leave it out: the caller asked by it
	if rec.LastUsedAt.IsZero() {
		rec.LastUsedAt = rec.CreatedAt
	}
	return u, rec, nil
}

// Destroy deletes token. Deleting a token that is already gone is not an
// error; a malformed one is ErrInvalidToken.
func (d *Database) Destroy(ctx context.Context, token string, _ *store.User) error {
	h, ok := OpaqueTokenHash(token)
	if !ok {
		return fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	if err := d.store.DeleteAccessToken(ctx, h); err != nil {
		return fmt.Errorf("strategy: database: %w", err)
	}
	return nil
}

// EndSessions deletes every token of the user except keepToken ("" or a
// malformed token keeps none).
func (d *Database) EndSessions(ctx context.Context, userID uuid.UUID, keepToken string) error {
	keep, _ := OpaqueTokenHash(keepToken) // "" when malformed: keeps none
	if err := d.store.DeleteUserAccessTokens(ctx, userID, keep); err != nil {
		return fmt.Errorf("strategy: database: end sessions: %w", err)
	}
	return nil
}

// Sessions returns the user's live sessions, newest first: one per token
// that has not expired.
func (d *Database) Sessions(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	toks, err := d.store.AccessTokensOfUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("strategy: database: sessions: %w", err)
	}
	now := d.now()
	out := []Session{}
	for _, t := range toks {
		if t.UserID != userID || d.expired(t.CreatedAt, now) {
			continue // another user's is never listed, whatever the store did
		}
		used := t.LastUsedAt
		if used.IsZero() {
			used = t.CreatedAt
		}
		out = append(out, Session{ID: sessionID(t), CreatedAt: t.CreatedAt, LastUsedAt: used, UserAgent: t.UserAgent, IP: t.IP})
	}
	return out, nil
}

// SessionOf returns the id of the session token belongs to, or
// ErrInvalidToken when it is malformed, unknown or expired. It does not
// count as a use of the token.
func (d *Database) SessionOf(ctx context.Context, token string) (string, error) {
	_, rec, err := d.lookup(ctx, token, d.now())
	if err != nil {
		return "", err
	}
	return sessionID(rec), nil
}

// EndSession deletes the user's token whose session is sessionID: Read
// refuses it at once. An unknown session, or another user's, is not an
// error and ends nothing.
func (d *Database) EndSession(ctx context.Context, userID uuid.UUID, sessionID string) error {
	if !strings.HasPrefix(sessionID, legacyPrefix) {
		if err := d.store.DeleteAccessTokenSession(ctx, userID, sessionID); err != nil {
			return fmt.Errorf("strategy: database: end session: %w", err)
		}
		return nil
	}
	// A token without a stored session id: found among the user's own.
	toks, err := d.store.AccessTokensOfUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("strategy: database: end session: %w", err)
	}
	for _, t := range toks {
		if t.UserID != userID || t.SessionID != "" || legacySessionID(t.Hash) != sessionID {
			continue
		}
		if err := d.store.DeleteAccessToken(ctx, t.Hash); err != nil {
			return fmt.Errorf("strategy: database: end session: %w", err)
		}
	}
	return nil
}

// expired reports whether a token created at created is past its
// lifetime at now.
func (d *Database) expired(created, now time.Time) bool {
	return !now.Before(created.Add(d.lifetime))
}

// sessionID is the id under which t is listed.
func sessionID(t store.AccessToken) string {
	if t.SessionID != "" {
		return t.SessionID
	}
	return legacySessionID(t.Hash)
}

// legacySessionID names a token stored without a session id. It is a
// one-way function of the hash, so the listing reveals neither the token
// nor its hash, and it is stable, so the id can be ended later.
func legacySessionID(hash string) string {
	sum := sha256.Sum256([]byte("authkit session id\x00" + hash))
	return legacyPrefix + hex.EncodeToString(sum[:16])
}
