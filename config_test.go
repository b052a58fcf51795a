package authkit_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

// New refuses a missing piece, including the typed nil a constructor
// returns with its error: the Quick start pasted without AUTHKIT_SECRET
// must fail at start-up, not panic at the first request.
func TestNewRefusesNilParts(t *testing.T) {
	st, _ := stores[0].open(t)
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a test secret that is long enough for HS256"), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := strategy.NewJWT(strategy.JWTConfig{Secret: nil, Store: st})
	if err == nil || failed != nil {
		t.Fatalf("NewJWT without a secret: %v, %v", failed, err)
	}
	var noStore *sqlite.Store
	var noCookie *transport.Cookie
	good := authkit.AuthenticationBackend{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}
	for name, tc := range map[string]struct {
		cfg  authkit.Config
		want string
	}{
		"nil Users":          {authkit.Config{Backends: []authkit.AuthenticationBackend{good}}, "Users is required"},
		"typed nil Users":    {authkit.Config{Users: noStore, Backends: []authkit.AuthenticationBackend{good}}, "Users is required"},
		"no backend":         {authkit.Config{Users: st}, "at least one backend"},
		"nil Transport":      {authkit.Config{Users: st, Backends: []authkit.AuthenticationBackend{{Name: "jwt", Strategy: jwt}}}, `backend "jwt": Transport is required`},
		"typed nil Cookie":   {authkit.Config{Users: st, Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: noCookie, Strategy: jwt}}}, `backend "jwt": Transport is required`},
		"nil Strategy":       {authkit.Config{Users: st, Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}}}}, `backend "jwt": Strategy is required`},
		"NewJWT's typed nil": {authkit.Config{Users: st, Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: failed}}}, `backend "jwt": Strategy is required`},
		"bad name":           {authkit.Config{Users: st, Backends: []authkit.AuthenticationBackend{{Name: "a b", Transport: transport.Bearer{}, Strategy: jwt}}}, `name "a b"`},
	} {
		t.Run(name, func(t *testing.T) {
			kit, err := authkit.New(tc.cfg)
			if err == nil || kit != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want an error saying %q", kit, err, tc.want)
			}
		})
	}
}

// Without a Logger, warnings go to slog.Default(), not nowhere.
func TestNilLoggerIsSlogDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	e := newEnv(t, stores[0].open, func(c *authkit.Config) { c.Logger = nil; c.ResetSecret = nil })
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "no secret configured for authkit:reset tokens") {
		t.Fatalf("default logger got %q, want the random-secret warning", buf.String())
	}
	e.register("gawain@camelot.bt", goodPassword)
	if !strings.Contains(buf.String(), "event=register") {
		t.Errorf("default logger got %q, want the register audit event", buf.String())
	}
}
