package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Sentinels of the second factors' stores.
var (
	// ErrTOTPNotFound: the user has no TOTP secret (or, for ConfirmTOTP,
	// no pending one with that secret).
	ErrTOTPNotFound = errors.New("store: totp not found")
	// ErrTOTPEnabled: the user has a confirmed TOTP secret already.
	ErrTOTPEnabled = errors.New("store: totp already enabled")
	// ErrTOTPStepUsed: a code of that time step, or of a later one, was
	// accepted already (a replay).
	ErrTOTPStepUsed = errors.New("store: totp step used")
	// ErrRecoveryCodeNotFound: no unused recovery code of the user has
	// that hash.
	ErrRecoveryCodeNotFound = errors.New("store: recovery code not found")
	// ErrChallengeNotFound: no live challenge of that kind has the hash
	// (never made, taken already, or expired).
	ErrChallengeNotFound = errors.New("store: challenge not found")
	// ErrPasskeyNotFound: no such passkey (of that user).
	ErrPasskeyNotFound = errors.New("store: passkey not found")
	// ErrPasskeyTaken: a passkey with that credential id is registered.
	ErrPasskeyTaken = errors.New("store: passkey already registered")
	// ErrSignCountChanged: the passkey's sign count is not the one the
	// caller read (another sign-in used it meanwhile).
	ErrSignCountChanged = errors.New("store: passkey sign count changed")
)

// TOTP is a user's TOTP secret (RFC 6238). The store keeps Secret as
// given: the caller encrypts it.
type TOTP struct {
	UserID uuid.UUID
	Secret []byte
	// ConfirmedAt is when the user proved the secret works (a code);
	// zero while it is pending.
	ConfirmedAt time.Time
	// LastStep is the time step of the last code accepted: codes of that
	// step or earlier are replays.
	LastStep  int64
	CreatedAt time.Time
}

// MFAStore keeps the second factors of password sign-in: a TOTP secret
// per user and the hashes of the user's recovery codes.
type MFAStore interface {
	// PutPendingTOTP stores t as the user's pending secret, replacing a
	// pending one. ErrTOTPEnabled when a confirmed one exists,
	// ErrUserNotFound when t.UserID names no user.
	PutPendingTOTP(ctx context.Context, t TOTP) error
	// TOTPOf returns the user's secret, pending or confirmed; ErrTOTPNotFound.
	TOTPOf(ctx context.Context, userID uuid.UUID) (TOTP, error)
	// ConfirmTOTP, atomically: when the user's pending secret is secret,
	// confirms it at at with step as its last step, and replaces the
	// user's recovery codes with recoveryHashes. ErrTOTPNotFound otherwise.
	ConfirmTOTP(ctx context.Context, userID uuid.UUID, secret []byte, step int64, at time.Time, recoveryHashes []string) error
	// UseTOTPStep records that a code of step was accepted, atomically,
	// only when step is later than the last one: ErrTOTPStepUsed
	// otherwise (however many callers race with one step, one wins);
	// ErrTOTPNotFound without a confirmed secret.
	UseTOTPStep(ctx context.Context, userID uuid.UUID, step int64) error
	// DeleteTOTP deletes the user's secret and recovery codes; none is
	// not an error.
	DeleteTOTP(ctx context.Context, userID uuid.UUID) error
	// ReplaceRecoveryCodes replaces the user's recovery codes with hashes.
	ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes []string, at time.Time) error
	// UseRecoveryCode deletes the user's code with hash, atomically:
	// ErrRecoveryCodeNotFound when there is none (however many callers
	// race with one code, one wins).
	UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash string) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error)
}

// Challenge is server-side state of one step of a sign-in or an
// enrolment: an MFA token, a WebAuthn challenge. Only a hash of what the
// client holds is kept.
type Challenge struct {
	Hash string // hex SHA-256 of what the client holds
	Kind string // what it is for ("mfa-login", "passkey-login", ...)
	// UserID is whom it is for; uuid.Nil for none (a usernameless
	// passkey sign-in).
	UserID    uuid.UUID
	Data      []byte // the caller's, as given
	ExpiresAt time.Time
}

// ChallengeStore keeps short-lived, single-use challenges, shared by
// every instance.
type ChallengeStore interface {
	// CreateChallenge stores c.
	CreateChallenge(ctx context.Context, c Challenge) error
	// ChallengeByHash returns the challenge of that kind and hash that
	// expires after now, leaving it in place; ErrChallengeNotFound.
	ChallengeByHash(ctx context.Context, hash, kind string, now time.Time) (Challenge, error)
	// TakeChallenge deletes and returns the challenge of that kind and
	// hash that expires after now, atomically: however many callers race
	// to take one, one gets it; the others get ErrChallengeNotFound.
	TakeChallenge(ctx context.Context, hash, kind string, now time.Time) (Challenge, error)
	// DeleteChallengesBefore deletes the challenges that expired before t.
	DeleteChallengesBefore(ctx context.Context, t time.Time) error
}

// Passkey is a WebAuthn credential of a user.
type Passkey struct {
	ID           uuid.UUID // authkit's id, in the routes
	UserID       uuid.UUID
	CredentialID []byte // the authenticator's, unique
	Name         string // the user's name for it
	// Credential is the caller's full record of the credential (public
	// key, flags, transports...), kept as given.
	Credential []byte
	SignCount  uint32
	CreatedAt  time.Time
	// LastUsedAt is when it last signed in; zero for never.
	LastUsedAt time.Time
}

// PasskeyStore keeps users' passkeys.
type PasskeyStore interface {
	// CreatePasskey stores p. ErrPasskeyTaken when the credential id is
	// registered already; ErrUserNotFound when p.UserID names no user.
	CreatePasskey(ctx context.Context, p Passkey) error
	// PasskeysOfUser returns the user's passkeys, oldest first.
	PasskeysOfUser(ctx context.Context, userID uuid.UUID) ([]Passkey, error)
	// PasskeyByCredentialID returns the passkey; ErrPasskeyNotFound.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error)
	// UpdatePasskeyUse records a sign-in: when the passkey's sign count is
	// still old, sets it to p.SignCount, its Credential to p.Credential
	// and LastUsedAt to p.LastUsedAt. ErrSignCountChanged when the count
	// is not old any more; ErrPasskeyNotFound.
	UpdatePasskeyUse(ctx context.Context, p Passkey, old uint32) error
	// DeletePasskey deletes the user's passkey with id; ErrPasskeyNotFound
	// when the user has none with that id.
	DeletePasskey(ctx context.Context, userID, id uuid.UUID) error
}
