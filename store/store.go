// Package store defines what authkit keeps — users and the state behind
// their tokens — as small interfaces, so that any database can hold it.
//
// The SQL implementations live in their own packages (store/sqlite,
// store/postgres) so that importing authkit never drags in a driver the
// application does not use. store/storetest is the conformance suite every
// implementation runs, an application's own included.
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Sentinel errors. "Not found" is a value, not a failure: callers test for
// these with errors.Is, and every other error is a fault of the store
// (database down, ...), wrapped with its cause.
var (
	ErrUserNotFound  = errors.New("store: user not found")
	ErrEmailTaken    = errors.New("store: email already taken")
	ErrTokenNotFound = errors.New("store: token not found")
	// ErrTokenReused: a refresh token came back after it was used — a sign
	// that it was stolen.
	ErrTokenReused = errors.New("store: refresh token reused")
	// ErrOAuthAccountNotFound: no user is linked to the provider account.
	ErrOAuthAccountNotFound = errors.New("store: oauth account not found")
	// ErrOAuthAccountTaken: the provider account is linked to another user.
	ErrOAuthAccountTaken = errors.New("store: oauth account linked to another user")
	// ErrOAuthStateUsed: the OAuth state was used before.
	ErrOAuthStateUsed = errors.New("store: oauth state already used")
	// ErrVersionConflict: a conditional write found the user at another
	// Version than the one it was read at: someone changed it meanwhile.
	ErrVersionConflict = errors.New("store: user changed since it was read")
)

// User is an account. Its JSON form is the one the HTTP contract serves:
// the password hash and the timestamps never leave the server.
type User struct {
	ID             uuid.UUID `json:"id" db:"id"`
	Email          string    `json:"email" db:"email"`
	HashedPassword string    `json:"-" db:"hashed_password"`
	IsActive       bool      `json:"is_active" db:"is_active"`
	IsSuperuser    bool      `json:"is_superuser" db:"is_superuser"`
	IsVerified     bool      `json:"is_verified" db:"is_verified"`
	CreatedAt      time.Time `json:"-" db:"created_at"`
	UpdatedAt      time.Time `json:"-" db:"updated_at"`
	// Version is the user's security stamp: a store that implements
	// UserVersioner increments it in the same statement as every
	// security-relevant change (email, password, a flag, ended sessions,
	// an OAuth link added or removed). Other stores leave it 0.
	Version int64 `json:"-" db:"version"`
	// Fields are the application's own fields (display_name, ...): their
	// JSON form follows the standard fields. Stores keep them as given and
	// return numbers as json.Number.
	Fields map[string]any `json:"-" db:"-"`
}

// standardField names the fields of the contract's user, which an
// application's own fields may not shadow.
var standardField = map[string]bool{
	"id": true, "email": true, "is_active": true, "is_superuser": true, "is_verified": true,
	"password": true, "hashed_password": true, "current_password": true,
}

// IsStandardField reports whether name is a field of the contract's user
// (or a password field), which an application's own field may not use.
func IsStandardField(name string) bool { return standardField[name] }

// UserStore keeps users. Emails are compared through CanonicalEmail, so
// that every implementation agrees on which two emails are the same.
type UserStore interface {
	// CreateUser inserts u as given (the caller sets ID and times).
	// It returns ErrEmailTaken when another user has the same canonical email,
	// even when many callers race to create it.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns ErrUserNotFound when there is no such user.
	UserByID(ctx context.Context, id uuid.UUID) (*User, error)
	// UserByEmail finds the user whose canonical email equals email's;
	// ErrUserNotFound when there is none.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser writes every field of u but ID, CreatedAt and Version,
	// unconditionally; a UserVersioner increments the version too and sets
	// u.Version to it. ErrUserNotFound, ErrEmailTaken.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user and everything that belongs to it
	// (tokens, revocations). ErrUserNotFound.
	DeleteUser(ctx context.Context, id uuid.UUID) error
}

// UserVersioner is implemented by user stores that keep User.Version, the
// security stamp, and write users by compare-and-set. authkit's manager
// writes users through it when the store has it, and only then are the
// promises of docs/security.md "Under concurrency" kept; store/storetest
// holds an implementation to them.
//
// A store that implements it also conditions CreateAccessToken and
// CreateRefreshToken on the token's UserVersion, increments the version
// when UpsertOAuthAccount adds a link or DeleteOAuthAccount removes one,
// and, when it is a RevocationStore, records with RevokeUserTokens the
// version the user has then (see StampedTokenReader).
type UserVersioner interface {
	// ChangeUser writes the fields in which next differs from old, and
	// only those (UpdatedAt always), provided that the stored user is
	// still at old.Version and — when the own fields differ — still has
	// old's own fields. A change of the email, the password or a flag
	// increments the version in the same statement. On success next.Version
	// is the stored version. ErrVersionConflict when the condition fails,
	// ErrUserNotFound, ErrEmailTaken.
	ChangeUser(ctx context.Context, old, next *User) error
	// BumpUserVersion increments the user's version, unconditionally (the
	// user's sessions are being ended), and returns the new one.
	// ErrUserNotFound.
	BumpUserVersion(ctx context.Context, id uuid.UUID) (int64, error)
}

// StampedTokenReader is implemented by revocation stores that void
// self-contained tokens by the security version they were issued at.
type StampedTokenReader interface {
	// UserForStampedToken is UserForToken for a token issued to the user
	// at version stamp: it is void also when the user's sessions were
	// ended (RevokeUserTokens) at a later version than stamp, unless it is
	// the token kept then.
	UserForStampedToken(ctx context.Context, userID uuid.UUID, tokenID string, issuedAt time.Time, stamp int64) (*User, error)
}

// UserLister is implemented by stores that can list their users, for
// administration tools.
type UserLister interface {
	// ListUsers returns every user, oldest first.
	ListUsers(ctx context.Context) ([]*User, error)
}

// AccessToken is the stored half of an opaque token: only its hash is kept.
// Each token is one session of its user; the session fields describe it
// for a session listing (ASVS 7.5.2).
type AccessToken struct {
	Hash      string    // hex SHA-256 of the token the client holds
	UserID    uuid.UUID // owner
	CreatedAt time.Time
	// SessionID names the session in listings: random, never the token
	// or its hash, so that a listing gives nothing to authenticate with.
	// "" for tokens written before stores kept sessions.
	SessionID string
	// UserAgent and IP describe the client the token was issued to, as
	// given (the strategy caps their length).
	UserAgent, IP string
	// LastUsedAt is when the token was last used, as recorded by
	// TouchAccessToken; stores return CreatedAt when none is recorded.
	LastUsedAt time.Time
	// UserVersion is the user's Version the login authenticated against.
	// A UserVersioner stores the token only while the user is still at it
	// (ErrVersionConflict otherwise); it is not read back.
	UserVersion int64
}

// AccessTokenStore keeps opaque access tokens for the database strategy.
type AccessTokenStore interface {
	// CreateAccessToken stores t, every field as given.
	CreateAccessToken(ctx context.Context, t AccessToken) error
	// UserByAccessToken returns the owner of the token with this hash and the
	// token's record in one round trip — what authenticating a request
	// needs of it: every field but UserAgent and IP, which a store may
	// leave empty (AccessTokensOfUser has them); ErrTokenNotFound when
	// there is no such token (or its user is gone).
	UserByAccessToken(ctx context.Context, hash string) (*User, AccessToken, error)
	// AccessTokensOfUser returns the user's tokens, newest first, expired
	// ones included; none (not an error) for an unknown user.
	AccessTokensOfUser(ctx context.Context, userID uuid.UUID) ([]AccessToken, error)
	// TouchAccessToken records that the token was used at t, unless a
	// later use is recorded already. A missing token is not an error.
	TouchAccessToken(ctx context.Context, hash string, t time.Time) error
	// DeleteAccessToken deletes one token; a missing token is not an error.
	DeleteAccessToken(ctx context.Context, hash string) error
	// DeleteAccessTokenSession deletes the user's token whose SessionID is
	// sessionID. Another user's session, an unknown one, or "" deletes
	// nothing and is not an error.
	DeleteAccessTokenSession(ctx context.Context, userID uuid.UUID, sessionID string) error
	// DeleteUserAccessTokens deletes every token of the user except the one
	// with keepHash ("" keeps none).
	DeleteUserAccessTokens(ctx context.Context, userID uuid.UUID, keepHash string) error
	// DeleteAccessTokensBefore deletes the tokens created before t (expired ones).
	DeleteAccessTokensBefore(ctx context.Context, t time.Time) error
}

// RevocationStore keeps what makes self-contained tokens (JWTs) revocable:
// revoked token ids until they expire, and per user a cut-off time before
// which every token is void except one kept token.
type RevocationStore interface {
	// UserForToken returns the user with userID in one round trip, unless the
	// token tokenID, issued at issuedAt, is revoked or was issued before the
	// user's cut-off (and is not the token kept then): then ErrTokenNotFound.
	// ErrUserNotFound when the user is gone.
	UserForToken(ctx context.Context, userID uuid.UUID, tokenID string, issuedAt time.Time) (*User, error)
	// RevokeToken voids one token until expiresAt, when its record may go.
	// Revoking a token twice is not an error.
	RevokeToken(ctx context.Context, tokenID string, userID uuid.UUID, expiresAt time.Time) error
	// RevokeUserTokens voids every token of the user issued before t, except
	// the token keepTokenID ("" keeps none). It replaces any earlier cut-off
	// — but a UserVersioner never lets a cut-off that keeps a token replace
	// one that kept none at the same or a later version: ending every
	// session is not undone by a request that began before it.
	RevokeUserTokens(ctx context.Context, userID uuid.UUID, t time.Time, keepTokenID string) error
	// DeleteExpiredRevocations forgets revoked tokens that expired before t.
	DeleteExpiredRevocations(ctx context.Context, t time.Time) error
}

// RefreshToken is the stored half of an opaque refresh token: only its
// hash is kept. The tokens of one login form a family — a session — in
// which each refresh retires the token it used and issues the next.
type RefreshToken struct {
	Hash     string    // hex SHA-256 of the token the client holds
	FamilyID string    // the session: shared by every token of one login
	UserID   uuid.UUID // owner
	// AccessTokenID is the id (a JWT's jti) of the access token issued with
	// this refresh token, so that ending the family can void it.
	AccessTokenID string
	CreatedAt     time.Time // when this token was issued
	// FamilyCreatedAt is when the login happened: the absolute lifetime
	// counts from it.
	FamilyCreatedAt time.Time
	// UsedAt is when the token was exchanged for the next; zero while it is
	// the family's current token.
	UsedAt        time.Time
	UserAgent, IP string
	// UserVersion is the user's Version the login authenticated against:
	// a UserVersioner creates a family only while the user is still at it
	// (ErrVersionConflict otherwise). Not read back.
	UserVersion int64
	// Successor is what the strategy keeps, sealed, of the token that
	// replaced this one (for its reuse interval); "" when none.
	Successor string
}

// RefreshTokenStore keeps refresh token families.
type RefreshTokenStore interface {
	// CreateRefreshToken stores t; ErrUserNotFound when its user is gone.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken, atomically: when the token with hash is its
	// family's current one, marks it used at next.CreatedAt (keeping
	// next.Successor on it), stores next — with the FamilyID, UserID and
	// FamilyCreatedAt of the used token, whatever next says — deletes the
	// family's older used tokens, and returns the used token's record:
	// a family holds two tokens at most. When it was used already it
	// returns the record and ErrTokenReused (and changes nothing: the
	// caller ends the family). ErrTokenNotFound when there is no such
	// token. A rotation and DeleteUserRefreshFamilies of the same user are
	// serialised: no token stored by one escapes the other.
	RotateRefreshToken(ctx context.Context, hash string, next RefreshToken) (RefreshToken, error)
	// RefreshFamilies returns the current token of each of the user's
	// families, newest login first.
	RefreshFamilies(ctx context.Context, userID uuid.UUID) ([]RefreshToken, error)
	// DeleteRefreshFamily deletes one family of the user and returns its
	// tokens (for the access tokens to void); another user's family or an
	// unknown one deletes nothing.
	DeleteRefreshFamily(ctx context.Context, userID uuid.UUID, familyID string) ([]RefreshToken, error)
	// DeleteUserRefreshFamilies deletes every family of the user except
	// keepFamilyID ("" keeps none) and returns their tokens.
	DeleteUserRefreshFamilies(ctx context.Context, userID uuid.UUID, keepFamilyID string) ([]RefreshToken, error)
	// DeleteRefreshTokensBefore deletes the families whose login was
	// before t (past their absolute lifetime).
	DeleteRefreshTokensBefore(ctx context.Context, t time.Time) error
}

// RefreshTokenReader is implemented by refresh token stores that can read
// one token's record without rotating it, for throttling refreshes per
// session before the rotation.
type RefreshTokenReader interface {
	// RefreshToken returns the record of the token with hash, used or
	// not; ErrTokenNotFound when there is none.
	RefreshToken(ctx context.Context, hash string) (RefreshToken, error)
}

// OAuthAccount links a user to an account at an OAuth2 / OpenID Connect
// provider. The provider's tokens are kept, as FastAPI Users keeps them,
// so that the application can call the provider's API on the user's
// behalf; they are secrets of the user at the provider, so a store that
// may leak (backups, replicas) should encrypt them or the application
// should not ask for scopes it does not use.
type OAuthAccount struct {
	ID           uuid.UUID
	UserID       uuid.UUID
	Provider     string // the provider's name in the routes ("google", "oidc", ...)
	AccountID    string // the account's id at the provider (OIDC "sub")
	AccountEmail string // the email the provider gave, as given
	AccessToken  string
	RefreshToken string    // "" when the provider gave none
	ExpiresAt    time.Time // of AccessToken; zero when unknown
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// OAuthAccountStore keeps the links between users and provider accounts.
// A provider account belongs to at most one user.
type OAuthAccountStore interface {
	// UpsertOAuthAccount stores a: a new link, or, when the provider
	// account (Provider, AccountID) is linked already to the same user, its
	// new email, tokens, expiry and UpdatedAt (ID and CreatedAt stay).
	// ErrOAuthAccountTaken when it is linked to another user;
	// ErrUserNotFound when a.UserID names no user.
	UpsertOAuthAccount(ctx context.Context, a OAuthAccount) error
	// OAuthAccountByProvider returns the link of the provider account;
	// ErrOAuthAccountNotFound when there is none.
	OAuthAccountByProvider(ctx context.Context, provider, accountID string) (OAuthAccount, error)
	// OAuthAccountsOfUser returns the user's links, oldest first; none
	// (not an error) for an unknown user.
	OAuthAccountsOfUser(ctx context.Context, userID uuid.UUID) ([]OAuthAccount, error)
	// DeleteOAuthAccount deletes the user's link to the provider account;
	// another user's link or an unknown one deletes nothing and is not an
	// error.
	DeleteOAuthAccount(ctx context.Context, userID uuid.UUID, provider, accountID string) error
}

// OAuthStateStore records the OAuth states that came back to a callback,
// so that each state is good for one callback, on every instance that
// shares the store. Records are tiny and live only as long as the state
// could still be accepted.
type OAuthStateStore interface {
	// UseOAuthState records the state named key as used until expiresAt,
	// atomically: of any number of concurrent calls with one key exactly
	// one succeeds, and the others, like every later call until the record
	// is deleted, get ErrOAuthStateUsed.
	UseOAuthState(ctx context.Context, key string, expiresAt time.Time) error
	// DeleteExpiredOAuthStates forgets the states that expired before t.
	DeleteExpiredOAuthStates(ctx context.Context, t time.Time) error
}

// Migrator is implemented by stores that create and upgrade their own schema.
type Migrator interface {
	// Migrate applies every migration not applied yet; safe to call at
	// every start-up and from several processes at once.
	Migrate(ctx context.Context) error
}

// CanonicalEmail is the form in which emails are compared: trimmed,
// NFKC-normalised, lower-cased and Unicode case-folded. It is computed in
// Go so that every database agrees (SQLite's lower() only folds ASCII).
// It is idempotent: the canonical form of a canonical form is itself.
func CanonicalEmail(email string) string {
	s := email
	// One pass is not always a fixed point (Cherokee letters fold to upper
	// case, NFKC can undo a fold or make a space): repeat until nothing
	// changes.
	for range 4 {
		next := canonicalPass(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func canonicalPass(s string) string {
	// A Caser is stateful, so each call makes its own.
	s = norm.NFKC.String(cases.Fold().String(cases.Lower(language.Und).String(norm.NFKC.String(s))))
	return strings.TrimSpace(s)
}
