package strategy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// tokenBytes is the entropy of a database token: 256 bits.
const tokenBytes = 32

// tokenEncoding is unpadded base64url; Strict refuses the encodings whose
// unused bits are not zero, so that each token has exactly one spelling.
var tokenEncoding = base64.RawURLEncoding.Strict()

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
type Database struct {
	store    store.AccessTokenStore
	lifetime time.Duration
	now      func() time.Time
}

var (
	_ Strategy     = (*Database)(nil)
	_ SessionEnder = (*Database)(nil)
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

// Write issues a new token for u and stores its hash. It first deletes the
// tokens that have expired: one cheap delete per login keeps the table small.
func (d *Database) Write(ctx context.Context, u *store.User) (string, error) {
	if u == nil {
		return "", errors.New("strategy: database: write: no user")
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("strategy: database: %w", err)
	}
	tok := tokenEncoding.EncodeToString(b[:])
	now := d.now()
	if err := d.store.DeleteAccessTokensBefore(ctx, now.Add(-d.lifetime)); err != nil {
		return "", fmt.Errorf("strategy: database: purge: %w", err)
	}
	err := d.store.CreateAccessToken(ctx, store.AccessToken{Hash: hashToken(tok), UserID: u.ID, CreatedAt: now})
	if err != nil {
		return "", fmt.Errorf("strategy: database: %w", err)
	}
	return tok, nil
}

// Read returns the user of token: ErrInvalidToken when the token is
// malformed, unknown, expired or its user is gone; any other error is a
// fault of the store. A malformed token never reaches the store.
func (d *Database) Read(ctx context.Context, token string) (*store.User, error) {
	if !wellFormed(token) {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	u, created, err := d.store.UserByAccessToken(ctx, hashToken(token))
	switch {
	case errors.Is(err, store.ErrTokenNotFound), errors.Is(err, store.ErrUserNotFound):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	case err != nil:
		return nil, fmt.Errorf("strategy: database: %w", err)
	}
	if !d.now().Before(created.Add(d.lifetime)) {
		return nil, fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	return u, nil
}

// Destroy deletes token. Deleting a token that is already gone is not an
// error; a malformed one is ErrInvalidToken.
func (d *Database) Destroy(ctx context.Context, token string, _ *store.User) error {
	if !wellFormed(token) {
		return fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	if err := d.store.DeleteAccessToken(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("strategy: database: %w", err)
	}
	return nil
}

// EndSessions deletes every token of the user except keepToken ("" or a
// malformed token keeps none).
func (d *Database) EndSessions(ctx context.Context, userID uuid.UUID, keepToken string) error {
	keep := ""
	if wellFormed(keepToken) {
		keep = hashToken(keepToken)
	}
	if err := d.store.DeleteUserAccessTokens(ctx, userID, keep); err != nil {
		return fmt.Errorf("strategy: database: end sessions: %w", err)
	}
	return nil
}

// wellFormed reports whether token could have been written by Write.
func wellFormed(token string) bool {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return false
	}
	var b [tokenBytes]byte
	n, err := tokenEncoding.Decode(b[:], []byte(token))
	return err == nil && n == tokenBytes
}

// hashToken is what the store keeps of a token: its hex SHA-256. A fast
// hash suffices (and lets the store look it up): the token has 256 bits of
// entropy, so there is nothing to brute-force.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
