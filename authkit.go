// Package authkit is a drop-in authentication library for Go services: the
// Go counterpart of Python's FastAPI Users, speaking the same HTTP dialect
// so that front ends written for it work unchanged.
//
// An AuthKit puts together a UserStore (store/sqlite, store/postgres or
// your own), a Hasher (argon2id by default) and one or more named
// AuthenticationBackends, each a Transport (how the token travels: bearer
// header or cookie) and a Strategy (what the token is: a JWT or an opaque
// database token). Its routers mount on any net/http mux, and its
// middleware puts the current user in the request context:
//
//	db, _ := sqlite.Open(ctx, "app.db")
//	users, _ := sqlite.New(db)
//	_ = users.Migrate(ctx)
//	jwt, _ := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: users})
//	kit, err := authkit.New(authkit.Config{
//		Users:    users,
//		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}},
//	})
//
//	login, err := kit.AuthRouter("jwt")
//
//	mux := http.NewServeMux()
//	mux.Handle("/auth/", kit.RegisterRouter())
//	mux.Handle("/auth/jwt/", login)
//	mux.Handle("/users/", kit.UsersRouter())
//	mux.Handle("GET /notes", kit.CurrentActiveUser(notes))
//
// The routers find where they are mounted: chi's r.Mount and gorilla/mux's
// PathPrefix work alike, without http.StripPrefix.
//
// A handler behind the middleware gets its user with UserFrom.
package authkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"time"

	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 64 << 10

// AuthenticationBackend is a named way to authenticate: a transport that
// carries the token and a strategy that makes and checks it.
type AuthenticationBackend struct {
	// Name appears in the routes (/auth/{name}/login); letters, digits, - and _.
	Name      string
	Transport transport.Transport
	Strategy  strategy.Strategy
}

// Config configures an AuthKit. The zero value of every optional field is
// the safe default.
type Config struct {
	// Users keeps the users. Required, unless every backend only verifies
	// another issuer's tokens with users built from the claims (a
	// resource server; see strategy/jwks, Stateless).
	Users store.UserStore
	// Backends are the ways to authenticate, at least one; CurrentUser
	// tries them in this order.
	Backends []AuthenticationBackend
	// Hasher hashes passwords; nil means hasher.Default() (argon2id with
	// the OWASP parameters, bcrypt accepted for legacy hashes).
	Hasher hasher.Hasher
	// PasswordPolicy judges new passwords; nil means password.Policy{}
	// (8 to 256 code points, not common, not the email).
	PasswordPolicy PasswordPolicy
	// RequireVerification refuses login to unverified users
	// (LOGIN_USER_NOT_VERIFIED) and makes CurrentActiveUser and the users
	// routes demand a verified user (403).
	RequireVerification bool
	// VerifyOnRegister issues a verify token to each user who registers, as
	// POST /request-verify-token would: it is mailed when Mailer is set,
	// and handed to Hooks.OnAfterRequestVerify. Off by default, as in
	// FastAPI Users (where an on_after_register hook does it).
	VerifyOnRegister bool
	// NoCurrentPassword lets PATCH /users/me change the email or password
	// without current_password, as FastAPI Users does. Off by default.
	NoCurrentPassword bool
	// MaxConcurrentHashes bounds the password hashes computed at once:
	// each argon2id hash holds its memory (19 MiB by default) while it runs,
	// so this bounds memory under a flood of logins. 0 means GOMAXPROCS.
	MaxConcurrentHashes int
	// HashWait is how long a request waits for a hashing slot before it is
	// refused with 503 and Retry-After; 0 means DefaultHashWait.
	HashWait time.Duration
	// Throttle configures login and abuse throttling; the zero value is on,
	// with the default rules counted in memory.
	Throttle Throttle
	// MaxBodyBytes caps request bodies (413 beyond); 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Hooks are called around the user manager's operations.
	Hooks Hooks
	// UserFields declares the application's own user fields, carried by
	// register, the users routes and the stores.
	UserFields []UserField

	// ResetSecret signs password-reset tokens (audience authkit:reset) and
	// VerifySecret verify tokens (authkit:verify): at least 32 random bytes
	// each, and best not the access tokens' secret. Empty means a random
	// secret made by New (logged as a warning): tokens then die with the
	// process and do not work across instances.
	ResetSecret  []byte
	VerifySecret []byte
	// ResetTokenLifetime and VerifyTokenLifetime default to one hour.
	ResetTokenLifetime  time.Duration
	VerifyTokenLifetime time.Duration
	// Mailer delivers the verify and reset messages; nil sends no mail
	// (the hooks still get the tokens). Each message is first written to
	// the Outbox in the request, then sent by a worker New starts, with
	// retries (package mail/outbox): a mail server that is down or slow
	// never fails nor slows a request, and no mail is lost to a restart.
	// Close the AuthKit to stop the worker.
	Mailer mail.Mailer
	// Outbox keeps the messages until they are sent; nil means Users,
	// which must then implement store.MailOutbox (store/sqlite's and
	// store/postgres's stores do). Only read with a Mailer.
	Outbox store.MailOutbox
	// MailDelivery tunes the outbox's worker: MaxAge (how long a message
	// is tried: 30 minutes by default, at most the reset and verify token
	// lifetimes, so that a late mail still carries a live link), backoff,
	// SendTimeout, Poll, Senders. Store, Mailer, Logger and OnGiveUp are
	// set by New.
	MailDelivery outbox.Config
	// Mail configures the messages: PublicURL (required with a Mailer) is
	// the base of the links, never taken from a request; templates and the
	// application's name may be overridden.
	Mail mail.ComposerConfig
	// MFA turns on second factors (TOTP and recovery codes): the users
	// router serves the enrolment routes, and a login with the right
	// password of a user who has a second factor answers
	// LOGIN_MFA_REQUIRED, completed at POST /auth/{backend}/login/mfa.
	// Nil: off.
	MFA *MFAConfig
	// Passkeys turns on WebAuthn passkeys: registration under /users/me,
	// passwordless sign-in at /auth/{backend}/passkey, and passkeys as a
	// second factor. Nil: off.
	Passkeys *PasskeyConfig
	// RequireMFA makes users (or superusers) without a second factor enrol
	// before they can log in (LOGIN_MFA_ENROLLMENT_REQUIRED, with a token
	// good for the TOTP enrolment routes only). It needs MFA.
	RequireMFA MFARequirement

	// Logger receives faults, warnings and security events; nil means
	// slog.Default(). To drop them, pass a logger over a discarding handler.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// AuthKit is a configured authentication service: routers, middleware and
// the user manager. It is safe for concurrent use.
type AuthKit struct {
	cfg      Config
	backends []*AuthenticationBackend
	manager  *Manager
	throttle *throttle // nil: off
	log      *slog.Logger
	// mfa, passkeys and challenges are the second factors' state; nil
	// when off.
	mfa        *mfaState
	passkeys   *passkeyState
	challenges *challenges
	maxBody    int64
}

var backendName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// New checks cfg and returns an AuthKit. A bad configuration is an error
// here, never a panic later.
func New(cfg Config) (*AuthKit, error) {
	var errs []error
	if isNil(cfg.Users) && readOnlyBackends(cfg.Backends) {
		cfg.Users = noUsers{}
	}
	if isNil(cfg.Users) {
		errs = append(errs, errors.New("Users is required"))
	}
	if len(cfg.Backends) == 0 {
		errs = append(errs, errors.New("at least one backend is required"))
	}
	if cfg.MaxConcurrentHashes < 0 || cfg.HashWait < 0 {
		errs = append(errs, errors.New("MaxConcurrentHashes and HashWait must not be negative"))
	}
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("MaxBodyBytes must not be negative"))
	}
	if err := checkUserFields(cfg.UserFields); err != nil {
		errs = append(errs, err)
	}
	if c, ok := cfg.PasswordPolicy.(interface{ Check() error }); ok {
		if err := c.Check(); err != nil {
			errs = append(errs, fmt.Errorf("PasswordPolicy: %w", err))
		}
	}
	seen := map[string]bool{}
	backends := make([]*AuthenticationBackend, 0, len(cfg.Backends))
	for i, b := range cfg.Backends {
		switch {
		case !backendName.MatchString(b.Name):
			errs = append(errs, fmt.Errorf("backend %d: name %q must be letters, digits, - or _", i, b.Name))
		case seen[b.Name]:
			errs = append(errs, fmt.Errorf("backend %q: name used twice", b.Name))
		}
		seen[b.Name] = true
		if isNil(b.Transport) {
			errs = append(errs, fmt.Errorf("backend %q: Transport is required", b.Name))
		}
		if isNil(b.Strategy) {
			errs = append(errs, fmt.Errorf("backend %q: Strategy is required (was its constructor's error ignored?)", b.Name))
		}
		backends = append(backends, &b)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("authkit: bad config: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	k := &AuthKit{cfg: cfg, backends: backends, log: log, maxBody: cfg.MaxBodyBytes}
	if k.maxBody == 0 {
		k.maxBody = DefaultMaxBodyBytes
	}
	m, err := newManager(&cfg, backends, log)
	if err != nil {
		return nil, fmt.Errorf("authkit: bad config: %w", err)
	}
	k.manager = m
	if k.throttle, err = newThrottle(cfg.Throttle); err != nil {
		return nil, fmt.Errorf("authkit: bad config: %w", err)
	}
	if k.passkeys, err = newPasskeys(&cfg); err != nil {
		return nil, fmt.Errorf("authkit: bad config: %w", err)
	}
	if cfg.RequireMFA != MFAOptional && cfg.MFA == nil {
		// Enrolling without a session (the enrolment token) is TOTP's.
		return nil, errors.New("authkit: bad config: RequireMFA needs MFA")
	}
	if k.mfa, err = newMFA(&cfg); err != nil {
		return nil, fmt.Errorf("authkit: bad config: %w", err)
	}
	if k.mfa != nil || k.passkeys != nil {
		k.challenges = &challenges{store: cfg.Users.(store.ChallengeStore), now: k.manager.now}
	}
	return k, nil
}

// isNil reports whether v is nil, or an interface holding a nil pointer
// (the *strategy.JWT of a NewJWT whose error was ignored).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// Close stops the mail worker: it sends the messages that are due until
// ctx ends, then cancels the sends in flight and returns ctx's error.
// Nothing is lost: unsent messages stay in the outbox, for the next start
// or another instance. Call it after the HTTP server has shut down.
func (k *AuthKit) Close(ctx context.Context) error {
	if k.manager.outbox == nil {
		return nil
	}
	return k.manager.outbox.Close(ctx)
}

// Manager returns the user manager, for an application's own code and tools.
func (k *AuthKit) Manager() *Manager { return k.manager }

// backend returns the backend with the name, or nil.
func (k *AuthKit) backend(name string) *AuthenticationBackend {
	for _, b := range k.backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}
