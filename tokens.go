package authkit

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// Audiences of the single-purpose tokens: one kind never passes for another,
// even when the secrets are the same.
const (
	ResetAudience  = "authkit:reset"
	VerifyAudience = "authkit:verify"
)

// Errors of the verify and reset flows.
var (
	// ErrBadToken: a reset or verify token that is malformed, forged,
	// expired, of another kind, already used, or whose user is gone,
	// inactive or has another email now.
	ErrBadToken = errors.New("authkit: bad token")
	// ErrAlreadyVerified: the user is verified already.
	ErrAlreadyVerified = errors.New("authkit: user already verified")
)

// resetClaims bind a reset token to the password hash it was made for and
// to the user's security version, so that it dies once the password, the
// email or a flag changes by any route — its own use included.
type resetClaims struct {
	PasswordFingerprint string `json:"password_fgpt"`
	Version             int64  `json:"ver"`
}

// verifyClaims bind a verify token to the email it was sent to.
type verifyClaims struct {
	Email string `json:"email"`
}

// fingerprint is a short digest of a stored password hash.
func fingerprint(hash string) string {
	sum := sha256.Sum256([]byte("authkit reset fingerprint\x00" + hash))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// newSigner makes the signer of one kind of token; without a secret it
// makes a random one, and says so.
func newSigner(secret []byte, audience string, lifetime time.Duration, now func() time.Time, log *slog.Logger) (*strategy.Signer, error) {
	if len(secret) == 0 {
		secret = []byte(cryptorand.Text() + cryptorand.Text())
		log.Warn("authkit: no secret configured for " + audience +
			" tokens: using a random one; they will not survive a restart or work across instances")
	}
	s, err := strategy.NewSigner(strategy.SignerConfig{Secret: secret, Audience: audience, Lifetime: lifetime, Now: now})
	if err != nil {
		return nil, fmt.Errorf("%s tokens: %w", audience, err)
	}
	return s, nil
}

// ForgotPassword issues a reset token to an active user with this email and
// delivers it (mail, OnAfterForgotPassword). For anyone else it does the
// same work and delivers nothing, so that neither the answer nor its
// timing tells who has an account.
func (m *Manager) ForgotPassword(ctx context.Context, email string, r *http.Request) error {
	u, err := m.users.UserByEmail(ctx, email)
	known := err == nil && u.IsActive
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return err
	}
	target := m.dummyUser
	if known {
		target = u
	}
	token, err := m.reset.Sign(target.ID.String(), resetClaims{fingerprint(target.HashedPassword), target.Version})
	if err != nil {
		return err
	}
	// An unknown email gets a decoy: the same work, the same write.
	err = m.deliver(ctx, !known, func() (mail.Message, error) {
		return m.composer.Reset(target.Email, token, m.reset.Lifetime())
	})
	if err != nil || !known {
		return err
	}
	if m.hooks.OnAfterForgotPassword != nil {
		m.hooks.OnAfterForgotPassword(ctx, u, token, r)
	}
	return nil
}

// ResetPassword sets a new password with a reset token, once: the token
// dies with the security version it was made for, which its use moves on —
// of concurrent uses, exactly one wins, the others get ErrBadToken. A
// reset proves that the mailbox's owner holds the account now: the OAuth
// links made before it go, and every session of the user ends.
func (m *Manager) ResetPassword(ctx context.Context, token, newPassword string, r *http.Request) (*User, error) {
	var claims resetClaims
	c, err := m.reset.Parse(token, &claims)
	if err != nil {
		return nil, ErrBadToken
	}
	u, err := m.userForToken(ctx, c.Subject)
	if err != nil {
		return nil, err
	}
	want := fingerprint(u.HashedPassword)
	if subtle.ConstantTimeCompare([]byte(claims.PasswordFingerprint), []byte(want)) != 1 || claims.Version != u.Version {
		return nil, ErrBadToken
	}
	u, err = m.update(ctx, u, UserUpdate{Password: &newPassword}, nil, false)
	if errors.Is(err, ErrUpdateConflict) {
		return nil, ErrBadToken // another use, or another change, came first
	}
	if err != nil {
		return nil, err
	}
	if err := m.unlinkAll(ctx, u.ID); err != nil {
		return nil, err
	}
	// Again, after the links went: a login through one of them that was
	// under way is ended too.
	if err := m.EndSessions(ctx, u.ID, nil); err != nil {
		return nil, err
	}
	if m.hooks.OnAfterResetPassword != nil {
		m.hooks.OnAfterResetPassword(ctx, u, r)
	}
	return u, nil
}

// RequestVerify issues a verify token to an active, unverified user with
// this email and delivers it (mail, OnAfterRequestVerify); for anyone else
// it does the same work and delivers nothing.
func (m *Manager) RequestVerify(ctx context.Context, email string, r *http.Request) error {
	u, err := m.users.UserByEmail(ctx, email)
	known := err == nil && u.IsActive && !u.IsVerified
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return err
	}
	if !known {
		return m.sendVerify(ctx, m.dummyUser, true, r)
	}
	return m.sendVerify(ctx, u, false, r)
}

// sendVerify issues a verify token to u and delivers it: mail, and
// OnAfterRequestVerify. A decoy does the same work, is never sent and
// calls no hook.
func (m *Manager) sendVerify(ctx context.Context, u *User, decoy bool, r *http.Request) error {
	token, err := m.verify.Sign(u.ID.String(), verifyClaims{u.Email})
	if err != nil {
		return err
	}
	err = m.deliver(ctx, decoy, func() (mail.Message, error) {
		return m.composer.Verify(u.Email, token, m.verify.Lifetime())
	})
	if err != nil || decoy {
		return err
	}
	if m.hooks.OnAfterRequestVerify != nil {
		m.hooks.OnAfterRequestVerify(ctx, u, token, r)
	}
	return nil
}

// unlinkAll removes every OAuth link of the user, when the store keeps them.
func (m *Manager) unlinkAll(ctx context.Context, userID uuid.UUID) error {
	links, ok := m.users.(store.OAuthAccountStore)
	if !ok {
		return nil
	}
	accts, err := links.OAuthAccountsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if err := links.DeleteOAuthAccount(ctx, userID, a.Provider, a.AccountID); err != nil {
			return err
		}
		// An audit event like the routes' (no request here: no client).
		m.log.InfoContext(ctx, "authkit audit", "event", "oauth.unlink", "user_id", userID.String(),
			"provider", a.Provider, "account_id", a.AccountID, "reason", "password_reset")
	}
	return nil
}

// Verify marks the token's user verified. The token must name the user's
// current email. Of concurrent uses, one wins; the others get
// ErrAlreadyVerified.
func (m *Manager) Verify(ctx context.Context, token string, r *http.Request) (*User, error) {
	var claims verifyClaims
	c, err := m.verify.Parse(token, &claims)
	if err != nil {
		return nil, ErrBadToken
	}
	var u *User
	for attempt := 0; ; attempt++ {
		if u, err = m.userForToken(ctx, c.Subject); err != nil {
			return nil, err
		}
		if store.CanonicalEmail(claims.Email) != store.CanonicalEmail(u.Email) {
			return nil, ErrBadToken
		}
		if u.IsVerified {
			return nil, ErrAlreadyVerified
		}
		verified := true
		// Never re-applied blindly: the email might have changed. Read
		// again and check again instead.
		u, err = m.update(ctx, u, UserUpdate{IsVerified: &verified}, nil, false)
		if errors.Is(err, ErrUpdateConflict) && attempt < maxUpdateAttempts-1 {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if m.hooks.OnAfterVerify != nil {
		m.hooks.OnAfterVerify(ctx, u, r)
	}
	return u, nil
}

// userForToken loads the active user a token names.
func (m *Manager) userForToken(ctx context.Context, subject string) (*User, error) {
	id, err := uuid.Parse(subject)
	if err != nil {
		return nil, ErrBadToken
	}
	u, err := m.users.UserByID(ctx, id)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, ErrBadToken
	case err != nil:
		return nil, err
	case !u.IsActive:
		return nil, ErrBadToken
	}
	return u, nil
}
