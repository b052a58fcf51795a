package authkit

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/strategy"
)

// Tokens other services verify: a JWT backend that signs with key pairs
// publishes its public keys (RFC 7517) and a discovery document naming
// them, so that an API service in any language verifies authkit's access
// tokens by itself. Such a verifier must check the signature with a key
// of the set chosen by kid, alg against the key's (never "none" or an
// HMAC), iss, aud and exp. It cannot see revocations — logout, a password
// change, a deactivated user — before the token expires: services that
// need them ask IntrospectionRouter.

// MaxJWKSMaxAge caps the Cache-Control max-age of the key set.
const MaxJWKSMaxAge = time.Hour

// JWKSOptions configure JWKSRouter. The zero value is the default.
type JWKSOptions struct {
	// JWKSURL is the absolute URL of the key set, for the discovery
	// document; empty means the issuer followed by /.well-known/jwks.json
	// (the router mounted at /.well-known of the issuer's origin).
	JWKSURL string
	// IntrospectionURL, when set, is announced in the discovery document
	// as introspection_endpoint: the absolute URL of IntrospectionRouter's
	// /introspect.
	IntrospectionURL string
	// MaxAge is the Cache-Control max-age of both documents; zero means a
	// quarter of the token lifetime, at most MaxJWKSMaxAge. A verifier
	// that meets an unknown kid (a new key) fetches the set again anyway;
	// max-age bounds how long one that does not keeps a stale set.
	MaxAge time.Duration
}

// JWKSRouter serves, for the named backend's JWT strategy, GET /jwks.json
// (its public keys: the signing key and every retired key whose tokens
// may still be alive) and GET /openid-configuration (issuer and jwks_uri);
// mount it at /.well-known. An error when the backend does not sign JWTs
// with key pairs (HS256 secrets cannot be published), or has no Issuer.
func (k *AuthKit) JWKSRouter(backend string, opts JWKSOptions) (*Router, error) {
	signer, err := k.publishedSigner(backend)
	if err != nil {
		return nil, err
	}
	if opts.MaxAge < 0 {
		return nil, errors.New("authkit: jwks: MaxAge must not be negative")
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = min(signer.Lifetime()/4, MaxJWKSMaxAge)
	}
	if opts.JWKSURL == "" {
		opts.JWKSURL = strings.TrimSuffix(signer.Issuer(), "/") + "/.well-known/jwks.json"
	}
	for _, u := range []string{opts.JWKSURL, opts.IntrospectionURL} {
		if u != "" && !absoluteHTTP(u) {
			return nil, fmt.Errorf("authkit: jwks: %q is not an absolute http(s) URL", u)
		}
	}
	cache := "public, max-age=" + strconv.Itoa(int(opts.MaxAge/time.Second))
	discovery := map[string]string{"issuer": signer.Issuer(), "jwks_uri": opts.JWKSURL}
	if opts.IntrospectionURL != "" {
		discovery["introspection_endpoint"] = opts.IntrospectionURL
	}
	cacheHeader := []openapi.Header{{Name: "Cache-Control", Description: "public, max-age=N: N seconds, a fraction of the token lifetime."}}
	return NewRouter(
		Route{
			Method: http.MethodGet, Path: "/jwks.json", Summary: "Public keys of the access tokens (" + backend + ")",
			OperationID: "jwks:" + backend + ".keys", Tags: []string{"keys"},
			Description: "The JSON Web Key Set (RFC 7517) that verifies the access tokens: the key that signs now and the retired keys whose tokens have not all expired. Never a private or symmetric key.",
			Responses:   []openapi.Response{{Status: http.StatusOK, Description: "The key set.", Schema: jwksSchema(), Headers: cacheHeader}, unavailable()},
			Handler: k.handle(func(w http.ResponseWriter, r *http.Request) error {
				set, err := publicJWKS(signer)
				if err != nil {
					return err
				}
				w.Header().Set("Cache-Control", cache)
				httpjson.Write(w, http.StatusOK, set)
				return nil
			}),
		},
		Route{
			Method: http.MethodGet, Path: "/openid-configuration", Summary: "Where the keys are (" + backend + ")",
			OperationID: "jwks:" + backend + ".discovery", Tags: []string{"keys"},
			Description: "A minimal discovery document (OpenID Connect Discovery, RFC 8414): the issuer and the URL of its keys, for clients that find keys from the issuer.",
			Responses:   []openapi.Response{{Status: http.StatusOK, Description: "The issuer's metadata.", Schema: discoverySchema(), Headers: cacheHeader}},
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", cache)
				httpjson.Write(w, http.StatusOK, discovery)
			}),
		},
	), nil
}

// publishedSigner is the Signer of backend's JWT strategy, checked fit
// for publishing: key pairs and an issuer.
func (k *AuthKit) publishedSigner(backend string) (*strategy.Signer, error) {
	j, err := k.jwtBackend(backend)
	if err != nil {
		return nil, fmt.Errorf("authkit: jwks: %w", err)
	}
	s := j.Signer()
	if _, err := s.PublicKeys(); err != nil {
		return nil, fmt.Errorf("authkit: jwks: backend %q: %w", backend, err)
	}
	if s.Issuer() == "" {
		return nil, fmt.Errorf("authkit: jwks: backend %q: the JWT strategy needs an Issuer, which verifiers pin", backend)
	}
	return s, nil
}

// publicJWKS is the key set of s: public halves only, by construction
// (PublicKeys holds no private key, and jwkset writes none unless asked).
func publicJWKS(s *strategy.Signer) (jwkset.JWKSMarshal, error) {
	keys, err := s.PublicKeys()
	if err != nil {
		return jwkset.JWKSMarshal{}, err
	}
	set := jwkset.JWKSMarshal{Keys: make([]jwkset.JWKMarshal, 0, len(keys))}
	for _, pk := range keys {
		jwk, err := jwkset.NewJWKFromKey(pk.Key, jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: pk.ID, ALG: jwkset.ALG(pk.Alg), USE: jwkset.UseSig},
		})
		if err != nil {
			return jwkset.JWKSMarshal{}, fmt.Errorf("jwks: key %q: %w", pk.ID, err)
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	return set, nil
}

// jwtBackend is the JWT strategy of the named backend.
func (k *AuthKit) jwtBackend(backend string) (*strategy.JWT, error) {
	b := k.backend(backend)
	if b == nil {
		return nil, fmt.Errorf("no backend %q", backend)
	}
	j, ok := b.Strategy.(*strategy.JWT)
	if !ok {
		return nil, fmt.Errorf("backend %q does not issue JWTs", backend)
	}
	return j, nil
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// IntrospectionOptions configure IntrospectionRouter.
type IntrospectionOptions struct {
	// Clients are the resource servers allowed to ask, by client id: each
	// authenticates with HTTP Basic (RFC 7662 §2.1, client_secret_basic)
	// and its secret, at least 32 bytes. Superusers may always ask, with
	// their own token.
	Clients map[string]string
}

// IntrospectionRouter serves POST /introspect (RFC 7662) for the named
// backend's JWT strategy; mount it beside AuthRouter at /auth/{name}. A
// resource server posts token=... and learns whether the token is active
// now — revocations included, which verifying by the keys cannot see. The
// caller must be one of opts.Clients (HTTP Basic) or an active superuser.
func (k *AuthKit) IntrospectionRouter(backend string, opts IntrospectionOptions) (*Router, error) {
	j, err := k.jwtBackend(backend)
	if err != nil {
		return nil, fmt.Errorf("authkit: introspection: %w", err)
	}
	for id, secret := range opts.Clients {
		if id == "" || strings.Contains(id, ":") || len(secret) < strategy.MinSecretLen {
			return nil, fmt.Errorf("authkit: introspection: client %q: a non-empty id without ':' and a secret of at least %d bytes", id, strategy.MinSecretLen)
		}
	}
	auth := append(security(k.backends), openapi.Security{Name: "introspectionClient", Scheme: openapi.SecurityScheme{
		Type: "http", Scheme: "basic", Description: "A resource server's client id and secret (RFC 7662 §2.1).",
	}})
	signer := j.Signer()
	return NewRouter(Route{
		Method: http.MethodPost, Path: "/introspect", Summary: "Is this access token active? (" + backend + ")",
		OperationID: "auth:" + backend + ".introspect", Tags: []string{"keys"},
		Description: "Token introspection (RFC 7662) for resource servers: active is false for a token that is forged, expired, revoked (logout, password change) or whose user is gone or inactive. For a configured client (HTTP Basic) or a superuser.",
		Request:     &openapi.Body{ContentTypes: []string{mediaForm}, Schema: introspectRequestSchema()},
		Security:    auth,
		Responses: []openapi.Response{
			jsonResponse(http.StatusOK, "What the token is; only active when it is not.", introspectionSchema()),
			unauthorized(), forbidden("The caller is not a superuser."), tooLarge(), unprocessable(), unavailable(),
		},
		Handler: k.handle(func(w http.ResponseWriter, r *http.Request) error {
			if err := k.introspectionCaller(r, opts.Clients); err != nil {
				return err
			}
			f, err := k.decodeForm(w, r)
			if err != nil {
				return err
			}
			token, _ := f.String("token", true)
			if err := f.err(); err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			in, err := j.Introspect(r.Context(), token)
			switch {
			case errors.Is(err, strategy.ErrInvalidToken):
				httpjson.Write(w, http.StatusOK, map[string]bool{"active": false})
				return nil
			case err != nil:
				return err
			}
			if !in.User.IsActive {
				httpjson.Write(w, http.StatusOK, map[string]bool{"active": false})
				return nil
			}
			out := map[string]any{
				"active": true, "token_type": "Bearer", "sub": in.Claims.Subject, "aud": signer.Audience(),
				"exp": in.Claims.ExpiresAt.Unix(), "iat": in.Claims.IssuedAt.Unix(), "jti": in.Claims.ID,
				"username": in.User.Email,
			}
			if iss := signer.Issuer(); iss != "" {
				out["iss"] = iss
			}
			httpjson.Write(w, http.StatusOK, out)
			return nil
		}),
	}), nil
}

// introspectionCaller admits a configured client (HTTP Basic) or an active
// superuser.
func (k *AuthKit) introspectionCaller(r *http.Request, clients map[string]string) error {
	if id, secret, ok := r.BasicAuth(); ok {
		want, known := clients[id]
		// Compared in constant time, and against something when the id is
		// unknown, so that timing tells no ids.
		if !known {
			want = "\x00 no such client \x00 no such client \x00"
		}
		if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1 && known {
			return nil
		}
		k.audit(r, "introspection.bad_client", nil)
		return errUnauthorized
	}
	_, err := k.authenticate(r, k.backends, Require{Active: true, Superuser: true})
	return err
}

func jwksSchema() *openapi.Schema {
	key := object("JWK", "A public key (RFC 7517): RSA (n, e), EC P-256 (crv, x, y) or Ed25519 (crv, x).", map[string]*openapi.Schema{
		"kty": str("", "RSA, EC or OKP."),
		"kid": str("", "The key id, the kid of the tokens it verifies."),
		"alg": str("", "RS256, ES256 or EdDSA: the only algorithm the key verifies."),
		"use": &openapi.Schema{Type: "string", Const: "sig"},
		"n":   str("", "RSA modulus (base64url)."),
		"e":   str("", "RSA exponent (base64url)."),
		"crv": str("", "P-256 or Ed25519."),
		"x":   str("", "Curve point x (base64url)."),
		"y":   str("", "Curve point y (base64url)."),
	}, "kty", "kid", "alg", "use")
	return object("JWKS", "", map[string]*openapi.Schema{"keys": {Type: "array", Items: key}}, "keys")
}

func discoverySchema() *openapi.Schema {
	return object("IssuerMetadata", "", map[string]*openapi.Schema{
		"issuer":                 str("uri", "The iss of the tokens."),
		"jwks_uri":               str("uri", "The URL of the key set."),
		"introspection_endpoint": str("uri", "Where resource servers ask whether a token is active (when offered)."),
	}, "issuer", "jwks_uri")
}

func introspectRequestSchema() *openapi.Schema {
	return object("IntrospectionRequest", "", map[string]*openapi.Schema{
		"token":           str("", "The access token."),
		"token_type_hint": str("", "Ignored: only access tokens are introspected."),
	}, "token")
}

func introspectionSchema() *openapi.Schema {
	integer := func(d string) *openapi.Schema { return &openapi.Schema{Type: "integer", Description: d} }
	return object("Introspection", "RFC 7662 §2.2; only active when the token is not active.", map[string]*openapi.Schema{
		"active":     boolean("Whether the token is valid now."),
		"token_type": str("", "Bearer."),
		"sub":        str("uuid", "The user's id."),
		"username":   str("email", "The user's email."),
		"aud":        str("", "The audience."),
		"iss":        str("", "The issuer."),
		"exp":        integer("Expiry, Unix seconds."),
		"iat":        integer("Issue time, Unix seconds."),
		"jti":        str("uuid", "The token's id."),
	}, "active")
}
