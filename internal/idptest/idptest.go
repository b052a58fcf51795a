// Package idptest is an OAuth2 / OpenID Connect authorization server for
// tests: discovery, an authorization endpoint that redirects with a code,
// a token endpoint that checks the client, the redirect URI and PKCE
// (S256), single-use codes, RS256 ID tokens signed by a real RSA key
// published as a JWKS, userinfo, and GitHub's /user and /user/emails. It
// speaks the protocol over real HTTP (httptest), so that the code under
// test runs exactly as against a real provider.
package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is the user logged in at the provider.
type User struct {
	Sub           string
	Email         string
	EmailVerified bool
	// EmailOnlyInUserinfo leaves the email out of the ID token, so that
	// the relying party has to ask the userinfo endpoint.
	EmailOnlyInUserinfo bool
	// GitHubID is the numeric id /user answers.
	GitHubID int64
}

// Server is the authorization server.
type Server struct {
	*httptest.Server
	ClientID, ClientSecret string

	key *rsa.PrivateKey
	kid string

	mu        sync.Mutex
	user      User
	redirects []string
	codes     map[string]*grant
	tokens    map[string]User // access token → user
	reuse     bool            // codes survive their exchange
	// Exchanges counts the token requests that succeeded.
	Exchanges int
}

type grant struct {
	user        User
	redirectURI string
	challenge   string
	nonce       string
}

// New starts a server, closed with the test. redirectURIs are the
// registered redirect URIs of the one client.
func New(t testing.TB, redirectURIs ...string) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		ClientID: "authkit-test-client", ClientSecret: rand.Text(),
		key: key, kid: "k1",
		redirects: redirectURIs,
		codes:     map[string]*grant{},
		tokens:    map[string]User{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /userinfo", s.userinfo)
	mux.HandleFunc("GET /user", s.githubUser)
	mux.HandleFunc("GET /user/emails", s.githubEmails)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// SetUser logs u in at the provider: the next authorizations are for u.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// SetCodeReuse makes codes good for any number of exchanges, as a lax
// provider's may be: the relying party's own single-use state is then all
// that stops a callback from being replayed.
func (s *Server) SetCodeReuse(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reuse = on
}

// AddRedirectURI registers another redirect URI.
func (s *Server) AddRedirectURI(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects = append(s.redirects, uri)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.URL,
		"authorization_endpoint":                s.URL + "/authorize",
		"token_endpoint":                        s.URL + "/token",
		"jwks_uri":                              s.URL + "/jwks",
		"userinfo_endpoint":                     s.URL + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

// authorize grants a code to the logged-in user at once (consent given)
// and redirects to the client with it.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	redirect := q.Get("redirect_uri")
	known := false
	for _, u := range s.redirects {
		known = known || u == redirect
	}
	if q.Get("client_id") != s.ClientID || !known {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "response_type=code with PKCE S256 required", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	s.codes[code] = &grant{user: s.user, redirectURI: redirect, challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	to, _ := url.Parse(redirect)
	v := to.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := r.PostForm.Get("code")
	g := s.codes[code]
	// A code is good once, whatever happens next (RFC 6749 §4.1.2),
	// unless the test plays a lax provider.
	if !s.reuse {
		delete(s.codes, code)
	}
	if g == nil || g.redirectURI != r.PostForm.Get("redirect_uri") {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": s.URL, "sub": g.user.Sub, "aud": s.ClientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if !g.user.EmailOnlyInUserinfo && g.user.Email != "" {
		claims["email"] = g.user.Email
		claims["email_verified"] = g.user.EmailVerified
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	idToken, err := tok.SignedString(s.key)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error")
		return
	}
	access := rand.Text()
	s.tokens[access] = g.user
	s.Exchanges++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": rand.Text(), "id_token": idToken,
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// bearer returns the user of the request's access token.
func (s *Server) bearer(r *http.Request) (User, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return User{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.tokens[tok]
	return u, ok
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": u.Sub, "email": u.Email, "email_verified": u.EmailVerified})
}

func (s *Server) githubUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.GitHubID, "login": u.Sub, "email": nil})
}

func (s *Server) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	emails := []map[string]any{{"email": "noreply-" + u.Sub + "@users.noreply.github.com", "primary": false, "verified": true}}
	if u.Email != "" {
		emails = append(emails, map[string]any{"email": u.Email, "primary": true, "verified": u.EmailVerified})
	}
	writeJSON(w, http.StatusOK, emails)
}
