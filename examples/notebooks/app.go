package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/jmoiron/sqlx"
)

// config is what the flags and the environment say.
type config struct {
	addr                string
	db                  string
	requireVerification bool
	secret              string
}

// app is the running service: its database, authkit and routes.
type app struct {
	db  *sqlx.DB
	kit *authkit.AuthKit
	mux *http.ServeMux
}

func newApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	secret := []byte(cfg.secret)
	if len(secret) == 0 {
		secret = []byte(rand.Text() + rand.Text())
		logger.Warn("AUTHKIT_SECRET is not set: using a random secret; tokens will not survive a restart")
	}
	st, err := dbopen.Open(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	db := st.DB()
	if err := st.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	kit, err := newKit(st, secret, cfg, logger)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &app{db: db, kit: kit, mux: http.NewServeMux()}
	a.routes()
	return a, nil
}

// newKit wires authkit: the jwt backend (bearer header + JWT) for API
// clients and the cookie backend (cookie + database tokens) for browsers.
// Passwords are hashed with the production argon2id parameters (the default).
func newKit(st dbopen.Store, secret []byte, cfg config, logger *slog.Logger) (*authkit.AuthKit, error) {
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st})
	if err != nil {
		return nil, err
	}
	database, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		return nil, err
	}
	cookie, err := transport.NewCookie(transport.CookieConfig{})
	if err != nil {
		return nil, err
	}
	return authkit.New(authkit.Config{
		Users: st,
		Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt},
			{Name: "cookie", Transport: cookie, Strategy: database},
		},
		RequireVerification: cfg.requireVerification,
		Logger:              logger,
	})
}

// routes mounts authkit exactly as CONTRACT.md's table does.
func (a *app) routes() {
	authkit.Mount(a.mux, "/auth", authkit.Merge(a.kit.RegisterRouter()))
	authkit.Mount(a.mux, "/auth/jwt", a.kit.AuthRouter("jwt"))
	authkit.Mount(a.mux, "/auth/cookie", a.kit.AuthRouter("cookie"))
	authkit.Mount(a.mux, "/users", a.kit.UsersRouter())
}

// Handler is the whole service.
func (a *app) Handler() http.Handler { return a.mux }

// Close releases the database.
func (a *app) Close() error { return a.db.Close() }
