// Command notebooks is authkit's example service: users register, log in
// with a bearer JWT or a cookie, reset a forgotten password by mail, and
// keep notebooks, through a JSON API and a web page.
//
//	go run ./examples/notebooks                      # SQLite file notebooks.db
//	go run ./examples/notebooks -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// then open http://127.0.0.1:8000/.
//
// Flags:
//
//	-addr ADDR              listen address (default 127.0.0.1:8000)
//	-db URL                 sqlite:PATH or a postgres:// URL (default sqlite:notebooks.db)
//	-require-verification   refuse login to users who have not verified their email
//	-mail-dir DIR           write mails as .eml files into DIR
//	-smtp URL               send mails through smtp://user:pass@host:port (STARTTLS),
//	                        smtps://... (implicit TLS) or smtp://localhost:1025?tls=none
//	-mail-from ADDR         sender of the mails (default "Notebooks <no-reply@localhost>")
//	-public-url URL         base of the links in mails (default http://<addr>)
//	-limits on|off          login and abuse throttling (default on; off for local load tests)
//	-redis URL              keep the cookie tokens and the throttle's counts in the Redis
//	                        at URL (redis://[user:pass@]host:port/db), shared by every
//	                        instance; checked at start
//	-oidc-issuer URL        offer "Sign in with ..." through this OpenID Connect provider
//	                        (discovery at start), named oidc: /auth/oidc (jwt backend),
//	                        /auth/oidc-web (cookie backend, for the page) and
//	                        /auth/associate/oidc; register <public-url>/auth/oidc/callback,
//	                        <public-url>/auth/oidc-web/callback and
//	                        <public-url>/auth/associate/oidc/callback as redirect URIs
//	-oidc-client-id ID      the client id at that provider; the secret, if any, comes
//	                        from AUTHKIT_OIDC_CLIENT_SECRET
//	-cookie-name NAME       the cookie backend's cookie (default authkit; FastAPI Users'
//	                        is fastapiusersauth)
//	-trusted-origins LIST   comma-separated origins (http://localhost:5173) whose
//	                        cross-origin cookie logins, logouts and changes are allowed:
//	                        a front end served from another origin (see docs/security.md)
//	-cors-origins LIST      comma-separated origins of front ends that may call the API
//	                        cross-origin (CORS, credentials included); exact origins only
//	-refresh-jwt            hand the jwt backend's refresh tokens out as JWTs carrying
//	                        their exp (for react-auth-kit); checked and rotated as before
//	-jwt-keys DIR           sign the access tokens with the key pairs of DIR (PEM files
//	                        <kid>.pem, written by `authkit keys generate|rotate`; the
//	                        newest signs, older ones verify until their tokens expire)
//	                        instead of AUTHKIT_SECRET, and publish the public keys at
//	                        /.well-known/jwks.json and /.well-known/openid-configuration,
//	                        with introspection for superusers at /auth/jwt/introspect
//	-issuer URL             the iss of the access tokens, which verifiers pin (default,
//	                        with -jwt-keys, the -public-url)
//	-debug-addr ADDR        serve /debug/vars (expvar) and /debug/pprof/ on ADDR, a
//	                        loopback address: for profiling under load (bench/load)
//	-store-timeout D        deadline of every database and Redis call (default 5s): a
//	                        database or Redis that stops answering costs a request D and
//	                        a 503 with Retry-After, never a hang
//	-shutdown-timeout D     how long a stop (SIGTERM, Ctrl-C) waits for open requests and
//	                        the mails being sent (default 10s); past it the stop is logged
//	                        as a warning and still exits 0: unsent mail stays in the outbox
//	-mail-timeout D         bound of each attempt to send a mail (default 30s)
//	-mail-backoff D         wait before the first retry of a mail that failed (default 5s),
//	                        doubled at each further failure up to 5 minutes
//	-webauthn-rp-id ID      the relying party id of passkeys: the site's domain
//	                        (default localhost when listening on an IP address,
//	                        else the listen address's host)
//	-webauthn-origin URLS   the origins of the page that uses passkeys, comma-separated
//	                        (default http://<rp id>:<port>)
//	-require-mfa WHO        off (default), superusers or everyone: who must enrol a
//	                        second factor before logging in
//
// Mails are written to an outbox table in the database in the request,
// then sent by a worker that retries a mail server that is down or answers
// "try later" (4xx) for 30 minutes; several instances on one PostgreSQL
// send each mail once. 'authkit mail list' shows what waits.
//
// Without -mail-dir or -smtp, mails are printed on stderr, links and tokens
// included: for development only.
//
// Second factors (TOTP with recovery codes) and passkeys are always on;
// the page enrols them and signs in with them.
//
// The token keys are derived from AUTHKIT_SECRET (at least 32 bytes) with
// HKDF, one key per kind of token (access, reset, verify) and one that
// seals the TOTP secrets; without it a random secret is made and tokens
// (and TOTP enrolments) do not survive a restart.
//
// Several instances can serve behind a load balancer when they share one
// PostgreSQL database (-db), one Redis (-redis) and one AUTHKIT_SECRET.
// NOTEBOOKS_REDIS_PREFIX (default "authkit:") begins every Redis key; it
// is for tests, which share a Redis.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "notebooks:", err)
		os.Exit(1)
	}
}

// defaultShutdownTimeout bounds the graceful shutdown: open requests, then
// the mails being sent.
const defaultShutdownTimeout = 10 * time.Second

// run parses the flags, builds the service and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("notebooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8000", "address to listen on")
	fs.StringVar(&cfg.db, "db", "sqlite:notebooks.db", "database: sqlite:PATH or a postgres:// URL")
	fs.BoolVar(&cfg.requireVerification, "require-verification", false, "refuse login to users who have not verified their email")
	fs.StringVar(&cfg.mailDir, "mail-dir", "", "write mails as .eml files into `DIR` (created if missing)")
	fs.StringVar(&cfg.smtp, "smtp", "", "send mails through the SMTP server at `URL`: smtp://user:pass@host:port")
	fs.StringVar(&cfg.mailFrom, "mail-from", "Notebooks <no-reply@localhost>", "sender `address` of the mails")
	fs.StringVar(&cfg.publicURL, "public-url", "", "base `URL` of the links in mails (default http://<addr>)")
	fs.StringVar(&cfg.limits, "limits", "on", "login and abuse throttling: on, or off for local load tests")
	fs.DurationVar(&cfg.reuseInterval, "refresh-reuse-interval", 0,
		"how long a just-used refresh token still gets the same successor (two tabs refreshing at once); 0 is strict: a second use ends the session")
	fs.StringVar(&cfg.redis, "redis", "", "keep cookie tokens and throttle counts in the Redis at `URL`: redis://host:port/db")
	fs.StringVar(&cfg.oidcIssuer, "oidc-issuer", "", "offer login through the OpenID Connect issuer at `URL`")
	fs.StringVar(&cfg.oidcClientID, "oidc-client-id", "", "client `ID` at the OpenID Connect issuer (secret from AUTHKIT_OIDC_CLIENT_SECRET)")
	fs.StringVar(&cfg.cookieName, "cookie-name", "authkit", "`name` of the cookie backend's cookie (FastAPI Users': fastapiusersauth)")
	trusted := fs.String("trusted-origins", "", "comma-separated `origins` (https://app.example.com) allowed to make state-changing cookie requests cross-origin")
	corsOrigins := fs.String("cors-origins", "", "comma-separated `origins` of front ends allowed to call the API cross-origin, credentials included (CORS)")
	fs.BoolVar(&cfg.refreshJWT, "refresh-jwt", false, "hand refresh tokens out in a JWT envelope (for react-auth-kit, which reads exp from them)")
	fs.StringVar(&cfg.jwtKeys, "jwt-keys", "", "sign access tokens with the key pairs in `DIR` (the newest signs) and publish their public keys")
	fs.StringVar(&cfg.issuer, "issuer", "", "the iss `URL` of the access tokens (default with -jwt-keys: the -public-url)")
	debugAddr := fs.String("debug-addr", "", "serve /debug/vars and /debug/pprof/ on this loopback `address` (profiling)")
	fs.DurationVar(&cfg.storeTimeout, "store-timeout", dbopen.DefaultTimeout, "deadline of every database and Redis call")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "how long a stop waits for open requests and mails being sent")
	fs.DurationVar(&cfg.mailTimeout, "mail-timeout", outbox.DefaultSendTimeout, "bound of each attempt to send a mail")
	fs.DurationVar(&cfg.mailBackoff, "mail-backoff", outbox.DefaultMinBackoff, "wait before the first retry of a mail that failed")
	fs.StringVar(&cfg.webauthnRPID, "webauthn-rp-id", "", "relying party `ID` of passkeys: the site's domain (default from -addr)")
	fs.StringVar(&cfg.webauthnOrigin, "webauthn-origin", "", "`origins` of the page for passkeys, comma-separated (default http://<rp id>:<port>)")
	fs.StringVar(&cfg.requireMFA, "require-mfa", "off", "who must have a second factor: off, superusers or everyone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.trustedOrigins, cfg.corsOrigins = splitList(*trusted), splitList(*corsOrigins)
	if err := errors.Join(checkOrigins("-trusted-origins", cfg.trustedOrigins), checkOrigins("-cors-origins", cfg.corsOrigins)); err != nil {
		return err
	}
	if cfg.limits != "on" && cfg.limits != "off" {
		return fmt.Errorf("-limits %q: want on or off", cfg.limits)
	}
	if _, ok := mfaRequirements[cfg.requireMFA]; !ok {
		return fmt.Errorf("-require-mfa %q: want off, superusers or everyone", cfg.requireMFA)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *debugAddr != "" {
		if err := checkDebugAddr(*debugAddr); err != nil {
			return err
		}
	}
	for name, d := range map[string]time.Duration{"-store-timeout": cfg.storeTimeout, "-shutdown-timeout": cfg.shutdownTimeout,
		"-mail-timeout": cfg.mailTimeout, "-mail-backoff": cfg.mailBackoff} {
		if d <= 0 {
			return fmt.Errorf("%s %v: want a positive duration", name, d)
		}
	}
	cfg.secret = getenv("AUTHKIT_SECRET")
	if cfg.secret != "" && len(cfg.secret) < minSecretBytes {
		return fmt.Errorf("AUTHKIT_SECRET must be at least %d bytes", minSecretBytes)
	}
	if cfg.publicURL != "" {
		if err := checkPublicURL(cfg.publicURL); err != nil {
			return err
		}
	}
	var redisOpts *redis.Options
	if cfg.redis != "" {
		if redisOpts, err = parseRedisURL(cfg.redis); err != nil {
			return err
		}
		// Every call under the request's deadline, and at most the store's.
		redisOpts.ContextTimeoutEnabled = true
		redisOpts.ReadTimeout, redisOpts.WriteTimeout = cfg.storeTimeout, cfg.storeTimeout
		redisOpts.DialTimeout, redisOpts.PoolTimeout = cfg.storeTimeout, cfg.storeTimeout
	}
	cfg.redisPrefix = getenv("NOTEBOOKS_REDIS_PREFIX")
	cfg.oidcSecret = getenv("AUTHKIT_OIDC_CLIENT_SECRET")
	if cfg.issuer != "" {
		if u, err := url.Parse(cfg.issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("-issuer %q: want an absolute http(s) URL", cfg.issuer)
		}
	}
	if (cfg.oidcIssuer == "") != (cfg.oidcClientID == "") {
		return errors.New("-oidc-issuer and -oidc-client-id go together")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	mailer, err := newMailer(cfg, stderr, logger)
	if err != nil {
		return err
	}

	st, notes, err := openStore(ctx, cfg.db, cfg.storeTimeout)
	if err != nil {
		return err
	}
	var rdb *redis.Client // nil without -redis
	if redisOpts != nil {
		if rdb, err = openRedis(ctx, redisOpts); err != nil {
			st.DB().Close()
			return err
		}
		logger.Info("cookie tokens and throttle counts are kept in Redis", "addr", redisOpts.Addr, "db", redisOpts.DB)
	}
	// Until the app owns them, a failure releases what is open.
	release := func() {
		st.DB().Close()
		if rdb != nil {
			rdb.Close()
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		release()
		return err
	}
	if cfg.publicURL == "" {
		cfg.publicURL = defaultPublicURL(ln.Addr())
	}
	if cfg.issuer == "" && cfg.jwtKeys != "" {
		cfg.issuer = cfg.publicURL
	}
	if cfg.passkeys, err = passkeyConfig(cfg, ln.Addr()); err != nil {
		ln.Close()
		release()
		return err
	}
	if cfg.oidc, err = newOIDC(ctx, cfg); err != nil {
		ln.Close()
		release()
		return err
	}
	app, err := newApp(st, notes, rdb, mailer, cfg, logger)
	if err != nil {
		ln.Close()
		release()
		return err
	}
	// One budget for the whole stop: open requests, then the mails being
	// sent. Running over it is a warning, not a failure: what was not
	// done is handed back — requests cut, mails left in the outbox for the
	// next start — and a supervisor must not read a normal stop as a crash.
	var (
		stopCtx    context.Context
		stopCancel context.CancelFunc
	)
	stopping := func() {
		if stopCtx == nil {
			stopCtx, stopCancel = context.WithTimeout(context.Background(), cfg.shutdownTimeout)
		}
	}
	defer func() {
		stopping() // when a failure, not a signal, stops the service
		defer stopCancel()
		cerr := app.Close(stopCtx)
		if errors.Is(cerr, context.DeadlineExceeded) {
			logger.Warn("stop ran over -shutdown-timeout: mails being sent were left in the outbox for the next start",
				"shutdown_timeout", cfg.shutdownTimeout)
			cerr = nil
		}
		err = errors.Join(err, cerr)
	}()

	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "notebooks listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if *debugAddr != "" {
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			srv.Close()
			return err
		}
		defer dln.Close()
		fmt.Fprintf(stdout, "debug listening on http://%s\n", dln.Addr())
		go http.Serve(dln, debugHandler())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopping()
	if err := srv.Shutdown(stopCtx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		logger.Warn("stop ran over -shutdown-timeout: open requests were cut", "shutdown_timeout", cfg.shutdownTimeout)
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
