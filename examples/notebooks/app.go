package main

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/limiter/redislimiter"
	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/go-authkit/authkit/transport"
	"github.com/redis/go-redis/v9"
)

// config is what the flags and the environment say.
type config struct {
	addr                string
	db                  string
	requireVerification bool
	secret              string        // AUTHKIT_SECRET; "" means a random one
	mailDir             string        // -mail-dir: .eml files
	smtp                string        // -smtp: an SMTP URL
	mailFrom            string        // sender of every mail
	publicURL           string        // base of the links in mails; "" means http://<addr>
	limits              string        // -limits: "on" (throttling) or "off" (local load tests)
	redis               string        // -redis: a redis:// URL; "" keeps tokens and counts local
	redisPrefix         string        // NOTEBOOKS_REDIS_PREFIX: begins every Redis key; for tests
	oidcIssuer          string        // -oidc-issuer: an OpenID Connect issuer URL; "" for none
	oidcClientID        string        // -oidc-client-id
	oidcSecret          string        // AUTHKIT_OIDC_CLIENT_SECRET
	cookieName          string        // -cookie-name: the cookie backend's cookie
	trustedOrigins      []string      // -trusted-origins: CookieConfig.TrustedOrigins
	corsOrigins         []string      // -cors-origins: front ends allowed to call the API cross-origin
	refreshJWT          bool          // -refresh-jwt: refresh tokens in a JWT envelope
	jwtKeys             string        // -jwt-keys: a key directory; "" signs with a secret
	issuer              string        // -issuer: the iss of the access tokens; "" for none (-public-url with -jwt-keys)
	storeTimeout        time.Duration // -store-timeout: deadline of each database and Redis call
	shutdownTimeout     time.Duration // -shutdown-timeout: the budget of a stop
	mailTimeout         time.Duration // -mail-timeout: bound of each attempt to send a mail
	mailBackoff         time.Duration // -mail-backoff: wait before a mail's first retry
	// reuseInterval (-refresh-reuse-interval): how long a just-used
	// refresh token still gets the same successor; 0 is strict.
	reuseInterval time.Duration
	// oidc is the provider made from the three oidc fields at start (discovery
	// needs the network); nil for none.
	oidc           oauth.Provider
	webauthnRPID   string // -webauthn-rp-id; "" means from the listen address
	webauthnOrigin string // -webauthn-origin: comma-separated; "" means from the RP id
	requireMFA     string // -require-mfa: off, superusers or everyone
	// passkeys is the relying party made from the two above and the
	// address listened on.
	passkeys *authkit.PasskeyConfig
}

// defaultRedisPrefix begins the Redis keys when NOTEBOOKS_REDIS_PREFIX is
// unset: cookie tokens go under "authkit:token:", the throttle's counts
// under "authkit:limit:<rule>:", authkit's own defaults.
const defaultRedisPrefix = "authkit:"

// redisPingTimeout bounds the check at start-up that Redis answers.
const redisPingTimeout = 5 * time.Second

// minSecretBytes is the shortest AUTHKIT_SECRET accepted: the keys derived
// from it are no stronger than it is.
const minSecretBytes = 32

// secrets are the keys of the three kinds of token, each derived from
// AUTHKIT_SECRET with its own HKDF info string, so that no kind of token
// is signed with another's key.
type secrets struct {
	access, reset, verify, state, mfa []byte
}

// deriveSecrets derives the token keys from the master secret.
func deriveSecrets(master []byte) (secrets, error) {
	if len(master) < minSecretBytes {
		return secrets{}, fmt.Errorf("AUTHKIT_SECRET must be at least %d bytes", minSecretBytes)
	}
	var s secrets
	for _, k := range []struct {
		info string
		key  *[]byte
	}{{"authkit access", &s.access}, {"authkit reset", &s.reset}, {"authkit verify", &s.verify}, {"authkit oauth-state", &s.state},
		{"authkit mfa", &s.mfa}} {
		key, err := hkdf.Key(sha256.New, master, nil, k.info, 32)
		if err != nil {
			return secrets{}, fmt.Errorf("derive %s key: %w", k.info, err)
		}
		*k.key = key
	}
	return s, nil
}

// masterSecret returns AUTHKIT_SECRET, or a random secret (with a warning)
// when it is unset.
func masterSecret(cfg config, logger *slog.Logger) []byte {
	if cfg.secret != "" {
		return []byte(cfg.secret)
	}
	logger.Warn("AUTHKIT_SECRET is not set: using a random secret; tokens will not survive a restart")
	return []byte(rand.Text() + rand.Text())
}

// newMailer returns the mailer the flags ask for: .eml files (-mail-dir),
// an SMTP server (-smtp), or by default a summary of each mail on stderr.
func newMailer(cfg config, stderr io.Writer, logger *slog.Logger) (mail.Mailer, error) {
	switch {
	case cfg.mailDir != "" && cfg.smtp != "":
		return nil, errors.New("-mail-dir and -smtp cannot be used together")
	case cfg.mailDir != "":
		m, err := mail.NewFileMailer(cfg.mailDir, cfg.mailFrom)
		if err != nil {
			return nil, fmt.Errorf("-mail-dir: %w", err)
		}
		return m, nil
	case cfg.smtp != "":
		sc, err := mail.ParseSMTPURL(cfg.smtp) // its errors never show the password
		if err != nil {
			return nil, fmt.Errorf("-smtp: %w", err)
		}
		sc.From = cfg.mailFrom
		m, err := mail.NewSMTPMailer(sc)
		if err != nil {
			return nil, fmt.Errorf("-smtp: %w", err)
		}
		return m, nil
	}
	m, err := mail.NewLogMailer(stderr, cfg.mailFrom)
	if err != nil {
		return nil, fmt.Errorf("-mail-from: %w", err)
	}
	logger.Warn("no -mail-dir or -smtp: mails are printed on stderr, with their reset and verify links; " +
		"whoever reads them can take over the accounts (development only)")
	return m, nil
}

// checkPublicURL refuses a -public-url that authkit would refuse, before
// anything starts.
func checkPublicURL(u string) error {
	if _, err := mail.NewComposer(mail.ComposerConfig{PublicURL: u}); err != nil {
		return fmt.Errorf("-public-url: %w", err)
	}
	return nil
}

// defaultPublicURL is http://<the address listened on>, with localhost
// standing in for an unspecified address (0.0.0.0, ::), which no browser
// can open.
func defaultPublicURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseRedisURL checks a -redis URL before anything starts. Its errors
// never show the URL, which may hold a password.
func parseRedisURL(raw string) (*redis.Options, error) {
	if _, err := url.Parse(raw); err != nil {
		// url.Error quotes the whole URL; keep only what is wrong with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("-redis: not a URL: %w", err)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("-redis: want redis://[user:password@]host:port/db, rediss://... or unix://...: %w", err)
	}
	return opts, nil
}

// openRedis connects to Redis and pings it, so that an unreachable server
// stops the start instead of failing every login later.
func openRedis(ctx context.Context, opts *redis.Options) (*redis.Client, error) {
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, redisPingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("-redis: %s unreachable: %w", opts.Addr, err)
	}
	return client, nil
}

// openStore opens and migrates the database: authkit's tables, then the
// notebooks table.
func openStore(ctx context.Context, dsn string, timeout time.Duration) (dbopen.Store, *notebookStore, error) {
	st, err := dbopen.Open(ctx, dsn, dbopen.Timeout(timeout))
	if err != nil {
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.DB().Close()
		return nil, nil, err
	}
	notes, err := newNotebookStore(st.DB())
	if err == nil {
		err = notes.Migrate(ctx)
	}
	if err != nil {
		st.DB().Close()
		return nil, nil, err
	}
	return st, notes, nil
}

// app is the running service: its database, Redis (or nil), authkit and
// routes.
type app struct {
	st     dbopen.Store
	notes  *notebookStore
	rdb    *redis.Client
	kit    *authkit.AuthKit
	mux    *http.ServeMux
	cors   []string // -cors-origins
	logger *slog.Logger
}

// newApp builds the service on an opened store and, with -redis, an opened
// Redis client (nil otherwise); cfg.publicURL must be set. The app owns
// both once it is made: Close releases them.
func newApp(st dbopen.Store, notes *notebookStore, rdb *redis.Client, mailer mail.Mailer, cfg config, logger *slog.Logger) (*app, error) {
	keys, err := deriveSecrets(masterSecret(cfg, logger))
	if err != nil {
		return nil, err
	}
	kit, err := newKit(st, rdb, keys, mailer, cfg, logger)
	if err != nil {
		return nil, err
	}
	a := &app{st: st, notes: notes, rdb: rdb, kit: kit, mux: http.NewServeMux(), cors: cfg.corsOrigins, logger: logger}
	if err := a.routes(cfg, keys); err != nil {
		return nil, err
	}
	return a, nil
}

// newKit wires authkit: the jwt backend (bearer header + JWT) for API
// clients and the cookie backend (cookie + opaque tokens) for browsers.
// The cookie tokens and the throttle's counts live in the database and in
// memory, or both in Redis when rdb is not nil, so that every instance
// sharing that Redis sees them. Passwords are hashed with the production
// argon2id parameters (the default).
func newKit(st dbopen.Store, rdb *redis.Client, keys secrets, mailer mail.Mailer, cfg config, logger *slog.Logger) (*authkit.AuthKit, error) {
	// The jwt backend issues refresh tokens: API clients stay logged in
	// without keeping the password, and a stolen refresh token is caught.
	jwtCfg := strategy.JWTConfig{Secret: keys.access, Store: st, Issuer: cfg.issuer,
		Refresh: &strategy.RefreshConfig{Store: st, Users: st, JWTEnvelope: cfg.refreshJWT,
			ReuseInterval: cfg.reuseInterval}}
	if cfg.jwtKeys != "" {
		// Key pairs instead of the secret: other services verify the
		// access tokens by the published keys (/.well-known/jwks.json).
		ks, err := strategy.LoadKeyDir(cfg.jwtKeys, strategy.DefaultLifetime+strategy.DefaultLeeway, time.Now())
		if err != nil {
			return nil, fmt.Errorf("-jwt-keys: %w", err)
		}
		jwtCfg.Secret, jwtCfg.Keys = nil, ks
		logger.Info("access tokens are signed with a key pair", "kid", ks.SigningKeyID, "retired_keys", len(ks.VerificationKeys))
	}
	jwt, err := strategy.NewJWT(jwtCfg)
	if err != nil {
		return nil, err
	}
	var tokens strategy.Strategy
	throttle := authkit.Throttle{Off: cfg.limits == "off"}
	if rdb == nil {
		tokens, err = strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	} else {
		prefix := cfg.redisPrefix
		if prefix == "" {
			prefix = defaultRedisPrefix
		}
		tokens, err = redistoken.New(redistoken.Config{Client: rdb, Users: st, Prefix: prefix + "token:"})
		// One prefix per rule: limiters sharing a prefix share their counts.
		throttle.NewLimiter = func(name string, rule limiter.Rule) (limiter.Limiter, error) {
			return redislimiter.New(rdb, rule, prefix+"limit:"+name+":")
		}
	}
	if err != nil {
		return nil, err
	}
	cookie, err := transport.NewCookie(transport.CookieConfig{Name: cfg.cookieName, TrustedOrigins: cfg.trustedOrigins})
	if err != nil {
		return nil, fmt.Errorf("-cookie-name or -trusted-origins: %w", err)
	}
	return authkit.New(authkit.Config{
		Users: st,
		Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt},
			{Name: "cookie", Transport: cookie, Strategy: tokens},
		},
		RequireVerification: cfg.requireVerification,
		// Mail set up: registering sends the verify link at once.
		VerifyOnRegister: cfg.mailDir != "" || cfg.smtp != "",
		ResetSecret:      keys.reset,
		VerifySecret:     keys.verify,
		Mailer:           mailer,
		Mail:             mail.ComposerConfig{PublicURL: cfg.publicURL, AppName: "Notebooks"},
		MailDelivery:     outbox.Config{SendTimeout: cfg.mailTimeout, MinBackoff: cfg.mailBackoff},
		Throttle:         throttle,
		// The application's own field: register and /users/me carry it.
		UserFields: []authkit.UserField{{Name: "display_name", Type: authkit.FieldString, MaxLength: 100}},
		// Second factors and passkeys; the TOTP secrets sealed with a key
		// of their own.
		MFA:        &authkit.MFAConfig{SecretKey: keys.mfa, Issuer: "Notebooks"},
		Passkeys:   cfg.passkeys,
		RequireMFA: mfaRequirements[cfg.requireMFA],
		Logger:     logger,
	})
}

// routes mounts authkit exactly as CONTRACT.md's table does, then the
// notebooks API and the web page.
func (a *app) routes(cfg config, keys secrets) error {
	cookieRoutes, err := a.kit.AuthRouter("cookie")
	if err != nil {
		return err
	}
	jwtRoutes, err := a.kit.AuthRouter("jwt")
	if err != nil {
		return err
	}
	mounts := []authkit.Mounted{
		authkit.At("/auth", authkit.Merge(a.kit.RegisterRouter(), a.kit.ResetPasswordRouter(), a.kit.VerifyRouter(), a.kit.SessionsRouter())),
		authkit.At("/auth/cookie", cookieRoutes),
		authkit.At("/users", a.kit.UsersRouter()),
	}
	if cfg.jwtKeys != "" {
		// For the services that verify the access tokens: the keys, and
		// introspection (for superusers) for those that need revocations.
		base := strings.TrimSuffix(cfg.issuer, "/")
		keys, err := a.kit.JWKSRouter("jwt", authkit.JWKSOptions{IntrospectionURL: base + "/auth/jwt/introspect"})
		if err != nil {
			return err
		}
		introspection, err := a.kit.IntrospectionRouter("jwt", authkit.IntrospectionOptions{})
		if err != nil {
			return err
		}
		jwtRoutes = authkit.Merge(jwtRoutes, introspection)
		mounts = append(mounts, authkit.At("/.well-known", keys))
	}
	mounts = append(mounts, authkit.At("/auth/jwt", jwtRoutes))
	if cfg.oidc != nil {
		more, err := a.oidcRoutes(cfg, keys)
		if err != nil {
			return err
		}
		mounts = append(mounts, more...)
	}
	for _, m := range mounts {
		if err := authkit.Mount(a.mux, m.Prefix, m.Router); err != nil {
			return err
		}
	}
	// Authentication comes first: without a user every path below answers 401.
	notebooks := a.notebooksRouter()
	api := a.kit.CurrentActiveUser(withDeadline(cfg.storeTimeout, notebooks))
	a.mux.Handle("/api/notebooks", api)
	if err := authkit.Mount(a.mux, "/api/notebooks", api); err != nil {
		return err
	}

	// The API's description, from the same routers: authkit's and the
	// notebooks API.
	doc, err := authkit.OpenAPIHandler(info(), append(mounts, authkit.At("/api/notebooks", notebooks))...)
	if err != nil {
		return err
	}
	a.mux.Handle("GET /openapi.json", doc)

	page := http.HandlerFunc(servePage)
	a.mux.Handle("GET /{$}", page)
	a.mux.Handle("GET /reset-password", page) // the link of the reset mail
	a.mux.Handle("GET /verify", page)         // the link of the verify mail
	a.mux.Handle("GET /static/", staticHandler())
	a.mux.Handle("GET /api/providers", providersHandler(cfg))
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, http.StatusText(http.StatusNotFound))
	})
	return nil
}

// Handler is the whole service: the routes, behind CORS for the front
// ends of -cors-origins.
func (a *app) Handler() http.Handler { return cors(a.cors, a.mux) }

// Close stops the mail worker (mails it could not send by the time ctx
// ends stay in the outbox), then releases the database and Redis.
func (a *app) Close(ctx context.Context) error {
	err := errors.Join(a.kit.Close(ctx), a.st.DB().Close())
	if a.rdb != nil {
		err = errors.Join(err, a.rdb.Close())
	}
	return err
}

// withDeadline bounds the requests to next by d, so that the notebooks'
// queries give up on a database that stopped answering, as authkit's own
// do: the request then gets a 503, not a hang.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
