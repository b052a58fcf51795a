package authkit

import (
	"net/http"

	"github.com/go-authkit/authkit/store"
)

// PasskeyConfig turns on passkeys (WebAuthn).
type PasskeyConfig struct {
	// RPID is the relying party's id: the site's domain ("example.com"),
	// which passkeys are bound to. Required.
	RPID string
	// Origins are the origins the pages that use passkeys are served
	// from ("https://example.com"). Required.
	Origins []string
}

// passkeyState is the kit's passkey machinery.
type passkeyState struct {
	store store.PasskeyStore
}

func newPasskeys(cfg *Config) (*passkeyState, error) {
	return nil, nil
}

func (k *AuthKit) passkeyRoutes(self func(http.Handler) http.Handler) []Route { return nil }

func (k *AuthKit) passkeyLoginRoutes(b *AuthenticationBackend, doc TransportDoc) []Route { return nil }
