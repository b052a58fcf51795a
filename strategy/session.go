package strategy

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Session is one login of a user, as a session listing shows it
// (ASVS 7.5.2): when it began, when it was last used, and from where.
type Session struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	UserAgent  string
	IP         string
}

// SessionManager is implemented by strategies that can list a user's
// sessions and end one of them.
type SessionManager interface {
	// Sessions returns the user's live sessions, newest first.
	Sessions(ctx context.Context, userID uuid.UUID) ([]Session, error)
	// SessionOf returns the id of the session token belongs to, or
	// ErrInvalidToken.
	SessionOf(ctx context.Context, token string) (string, error)
	// EndSession ends one session of the user: its tokens stop working at
	// once. Ending an unknown session is not an error.
	EndSession(ctx context.Context, userID uuid.UUID, sessionID string) error
}

// Client describes who a token is issued to, for session listings. The
// login handler puts it in the context that Write gets.
type Client struct {
	UserAgent string
	IP        string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the Client in ctx, or the zero Client.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
