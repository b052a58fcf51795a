package authkit

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/internal/purge"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// OAuthStateAudience is the audience of the state tokens of the OAuth
// routes: no other token passes for one.
const OAuthStateAudience = "authkit:oauth-state"

// DefaultOAuthStateLifetime is how long a user has, from the authorize
// route, to come back to the callback.
const DefaultOAuthStateLifetime = 10 * time.Minute

// OAuthOptions configure OAuthRouter and OAuthAssociateRouter. The zero
// value is the safe default.
type OAuthOptions struct {
	// StateSecret signs the state tokens: at least 32 random bytes, best
	// not another token's secret. Empty means a random one (logged as a
	// warning): logins started before a restart, or on another instance,
	// then fail with ACCESS_TOKEN_DECODE_ERROR.
	StateSecret []byte
	// StateLifetime defaults to DefaultOAuthStateLifetime.
	StateLifetime time.Duration
	// RedirectURL, when set, replaces the provider's redirect URL: the
	// absolute URL of this router's /callback (the associate router
	// needs its own).
	RedirectURL string
	// AssociateByEmail lets a first login with a provider account log into
	// the local account with the same email, and links them. Off by
	// default: whoever controls an account at the provider would otherwise
	// take over the local account with that email. Even when on, it links
	// only when the provider says it verified the email and the local
	// account's email is verified too (else a squatter's unverified
	// account, whose password the squatter knows, would be handed the
	// owner's identity).
	AssociateByEmail bool
	// AllowUnverifiedEmail lets a provider account whose email the
	// provider has not verified create a local account (unverified:
	// is_verified false) on its first login. Off by default: such a login
	// is refused with OAUTH_EMAIL_NOT_VERIFIED, because whoever asserts
	// someone else's address at a lax provider would otherwise hold the
	// account of that address, and share it with its real owner once the
	// owner recovers it by a password reset. It never links to an existing
	// account (AssociateByEmail needs a verified email on both sides), and
	// a provider account linked already logs in whatever its email says.
	// Turn it on only for a provider that owns the addresses it asserts
	// without saying so (a company's own identity provider that omits
	// email_verified): the provider account keeps its link when the
	// mailbox's owner later verifies the address.
	AllowUnverifiedEmail bool
	// Redirects are the only URLs (absolute, or paths starting with one
	// "/") that /authorize accepts as ?redirect_to=: after a login through
	// a cookie backend the callback answers 303 to it instead of 204.
	// Compared exactly; empty means no redirect is accepted.
	Redirects []string
	// InsecureCookie drops the Secure attribute of the state cookie, for
	// local development over plain HTTP only.
	InsecureCookie bool
	// HTTPClient calls the provider's token endpoint; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
}

// oauthFlow is one provider's routes: login (backend set) or associate.
type oauthFlow struct {
	k         *AuthKit
	provider  oauth.Provider
	cfg       oauth2.Config // the provider's, with our redirect URL
	links     store.OAuthAccountStore
	states    store.OAuthStateStore
	purge     purge.Gate // callbacks delete the expired states, once a minute
	signer    *strategy.Signer
	opts      OAuthOptions
	cookie    string
	backend   *AuthenticationBackend // nil: associate
	redirects []string
}

// stateClaims are what a state token says besides its subject (the
// provider's name when logging in, the user's id when associating).
type stateClaims struct {
	Flow     string `json:"flow"` // "login" or "associate"
	Provider string `json:"provider"`
	Backend  string `json:"backend,omitempty"` // of a login
	// Binding is the digest of the PKCE verifier that the state cookie
	// holds: a state token works only in the browser that started the flow.
	Binding    string `json:"bind"`
	RedirectTo string `json:"redirect_to,omitempty"`
}

func (k *AuthKit) newOAuthFlow(p oauth.Provider, backend string, opts OAuthOptions) (*oauthFlow, error) {
	if p == nil || p.Config() == nil {
		return nil, errors.New("authkit: oauth: a provider is required")
	}
	if !oauth.ValidName(p.Name()) {
		return nil, fmt.Errorf("authkit: oauth: provider name %q must be letters, digits, - or _", p.Name())
	}
	links, ok := k.cfg.Users.(store.OAuthAccountStore)
	if !ok {
		return nil, errors.New("authkit: oauth: the user store does not implement store.OAuthAccountStore")
	}
	states, ok := k.cfg.Users.(store.OAuthStateStore)
	if !ok {
		return nil, errors.New("authkit: oauth: the user store does not implement store.OAuthStateStore")
	}
	if opts.StateLifetime < 0 {
		return nil, errors.New("authkit: oauth: StateLifetime must not be negative")
	}
	if opts.StateLifetime == 0 {
		opts.StateLifetime = DefaultOAuthStateLifetime
	}
	f := &oauthFlow{k: k, provider: p, cfg: *p.Config(), links: links, states: states, opts: opts}
	if opts.RedirectURL != "" {
		f.cfg.RedirectURL = opts.RedirectURL
	}
	if f.cfg.RedirectURL == "" {
		return nil, errors.New("authkit: oauth: a redirect URL is required")
	}
	f.cfg.Scopes = slices.Clone(f.cfg.Scopes)
	if backend != "" {
		if f.backend = k.backend(backend); f.backend == nil {
			return nil, fmt.Errorf("authkit: oauth: no backend %q", backend)
		}
		if ro, ok := f.backend.Strategy.(strategy.ReadOnly); ok && ro.ReadOnly() {
			return nil, fmt.Errorf("authkit: oauth: backend %q verifies another issuer's tokens: it cannot log anyone in", backend)
		}
	}
	for _, r := range opts.Redirects {
		if !safeRedirect(r) {
			return nil, fmt.Errorf("authkit: oauth: redirect %q must be an absolute http(s) URL or a path starting with one /", r)
		}
	}
	f.redirects = slices.Clone(opts.Redirects)
	// One cookie per flow, backend and provider, so that flows started
	// side by side in one browser do not overwrite each other's.
	f.cookie = "authkit_oauth.associate." + p.Name()
	if f.backend != nil {
		f.cookie = "authkit_oauth.login." + f.backend.Name + "." + p.Name()
	}
	var err error
	f.signer, err = newSigner(opts.StateSecret, OAuthStateAudience, opts.StateLifetime, k.cfg.Now, k.log)
	if err != nil {
		return nil, fmt.Errorf("authkit: oauth: %w", err)
	}
	return f, nil
}

// safeRedirect accepts an absolute http(s) URL with a host, or a path that
// a browser cannot read as another host ("//evil", "/\evil").
func safeRedirect(s string) bool {
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\\t\r\n")
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		!strings.ContainsAny(s, "\\\t\r\n")
}

// OAuthRouter serves GET /authorize and GET /callback: logging in with the
// provider's account through the named backend. Mount it at
// /auth/{provider}; the provider's redirect URL (or opts.RedirectURL) must
// be this router's /callback.
//
// /authorize answers {"authorization_url"} to send the browser to, and
// sets an HttpOnly, SameSite=Lax state cookie holding the PKCE verifier;
// the state parameter is a signed, short-lived token bound to that cookie.
// The callback checks both, exchanges the code with the verifier, and logs
// in the user linked to the provider account — on a first login creating
// one (with a random password nobody knows, verified when the provider
// says the email is) and linking it. A
// state is good for one callback, on every instance sharing the store. An
// email the provider has not verified is refused
// (OAUTH_EMAIL_NOT_VERIFIED) unless opts.AllowUnverifiedEmail; a local
// account with the same email is refused (OAUTH_USER_ALREADY_EXISTS)
// unless opts.AssociateByEmail.
func (k *AuthKit) OAuthRouter(p oauth.Provider, backend string, opts OAuthOptions) (*Router, error) {
	if backend == "" {
		return nil, errors.New("authkit: oauth: a backend is required")
	}
	f, err := k.newOAuthFlow(p, backend, opts)
	if err != nil {
		return nil, err
	}
	name, b := p.Name(), f.backend
	authorize := []openapi.Response{
		jsonResponse(http.StatusOK, "The URL to send the browser to; the state cookie is set.", authorizeSchema()),
		badRequest([]string{"OAUTH_INVALID_REDIRECT"}), throttled(), unavailable(),
	}
	codes := []string{"OAUTH_INVALID_STATE", "OAUTH_NOT_AVAILABLE_EMAIL", "OAUTH_USER_ALREADY_EXISTS",
		"OAUTH_AUTHORIZATION_FAILED", "ACCESS_TOKEN_DECODE_ERROR", "ACCESS_TOKEN_ALREADY_EXPIRED", "LOGIN_BAD_CREDENTIALS"}
	if !opts.AllowUnverifiedEmail {
		codes = append(codes, "OAUTH_EMAIL_NOT_VERIFIED")
	}
	if k.cfg.RequireVerification {
		codes = append(codes, "LOGIN_USER_NOT_VERIFIED")
	}
	callback := []openapi.Response{describe(b).Login, badRequest(codes), throttled(), unavailable()}
	if len(f.redirects) > 0 {
		callback = append(callback, openapi.Response{Status: http.StatusSeeOther,
			Description: "Logged in through a cookie backend, to the redirect_to given to /authorize.",
			Headers:     []openapi.Header{{Name: "Location", Description: "One of the allowed redirects."}}})
	}
	return NewRouter(
		Route{
			Method: http.MethodGet, Path: "/authorize", Summary: "Log in with " + name + ": start",
			OperationID: "oauth:" + name + "." + b.Name + ".authorize", Tags: []string{"auth"},
			Params:    authorizeParams(true),
			Responses: authorize,
			Handler:   k.handle(f.authorize),
		},
		Route{
			Method: http.MethodGet, Path: "/callback", Summary: "Log in with " + name + ": finish (" + b.Name + ")",
			OperationID: "oauth:" + name + "." + b.Name + ".callback", Tags: []string{"auth"},
			Description: "Where the provider sends the browser back. Needs the state cookie that /authorize set.",
			Params:      callbackParams(),
			Responses:   callback,
			Handler:     k.handle(f.callback),
		},
	), nil
}

// OAuthAssociateRouter serves GET /authorize and GET /callback for an
// authenticated user to link a provider account to themself; mount it at
// /auth/associate/{provider}, with opts.RedirectURL its /callback. The
// state token carries the user's id, and the callback must be called by
// that same user. A provider account linked to another user is refused
// (OAUTH_USER_ALREADY_EXISTS). The provider account's email plays no part,
// verified or not: the signed-in user chose the account to link.
func (k *AuthKit) OAuthAssociateRouter(p oauth.Provider, opts OAuthOptions) (*Router, error) {
	f, err := k.newOAuthFlow(p, "", opts)
	if err != nil {
		return nil, err
	}
	name := p.Name()
	self := k.CurrentUser(Require{Active: true, Verified: k.cfg.RequireVerification})
	auth := security(k.backends)
	return NewRouter(
		Route{
			Method: http.MethodGet, Path: "/authorize", Summary: "Link a " + name + " account: start",
			OperationID: "oauth-associate:" + name + ".authorize", Tags: []string{"auth"}, Security: auth,
			Params: authorizeParams(false),
			Responses: k.userResponses(http.MethodGet, false,
				jsonResponse(http.StatusOK, "The URL to send the browser to; the state cookie is set.", authorizeSchema()),
				throttled()),
			Handler: self(k.handle(f.authorize)),
		},
		Route{
			Method: http.MethodGet, Path: "/callback", Summary: "Link a " + name + " account: finish",
			OperationID: "oauth-associate:" + name + ".callback", Tags: []string{"auth"}, Security: auth,
			Params: callbackParams(),
			Responses: k.userResponses(http.MethodGet, false,
				jsonResponse(http.StatusOK, "The account is linked; the current user.", userSchema(k.cfg.UserFields)),
				badRequest([]string{"OAUTH_INVALID_STATE", "OAUTH_USER_ALREADY_EXISTS", "OAUTH_AUTHORIZATION_FAILED",
					"ACCESS_TOKEN_DECODE_ERROR", "ACCESS_TOKEN_ALREADY_EXPIRED"}),
				throttled()),
			Handler: self(k.handle(f.callback)),
		},
	), nil
}

func authorizeSchema() *openapi.Schema {
	return object("OAuth2AuthorizeResponse", "", map[string]*openapi.Schema{
		"authorization_url": str("uri", "The provider's authorization URL, with state and PKCE challenge."),
	}, "authorization_url")
}

func authorizeParams(login bool) []openapi.Param {
	ps := []openapi.Param{{Name: "scopes", In: "query", Description: "Scopes to ask for besides the provider's configured ones; repeatable.",
		Schema: &openapi.Schema{Type: "array", Items: str("", "")}}}
	if login {
		ps = append(ps, openapi.Param{Name: "redirect_to", In: "query",
			Description: "Where a cookie backend's login ends: one of the server's allowed redirects.", Schema: str("", "")})
	}
	return ps
}

func callbackParams() []openapi.Param {
	return []openapi.Param{
		{Name: "code", In: "query", Description: "The authorization code.", Schema: str("", "")},
		{Name: "state", In: "query", Description: "The state that /authorize put in the authorization URL.", Schema: str("", "")},
		{Name: "error", In: "query", Description: "The provider's refusal, instead of a code.", Schema: str("", "")},
	}
}

// stateCookie is the cookie with the PKCE verifier; value "" expires it.
func (f *oauthFlow) stateCookie(value string) *http.Cookie {
	c := &http.Cookie{
		Name: f.cookie, Value: value, Path: "/", HttpOnly: true, Secure: !f.opts.InsecureCookie,
		// Lax: the provider's redirect back is a top-level GET, which Lax
		// cookies accompany; a cross-site subrequest gets none.
		SameSite: http.SameSiteLaxMode, MaxAge: int(f.opts.StateLifetime / time.Second),
	}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

func binding(verifier string) string {
	sum := sha256.Sum256([]byte("authkit oauth state\x00" + verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (f *oauthFlow) backendName() string {
	if f.backend == nil {
		return ""
	}
	return f.backend.Name
}

func (f *oauthFlow) flow() string {
	if f.backend == nil {
		return "associate"
	}
	return "login"
}

func (f *oauthFlow) authorize(w http.ResponseWriter, r *http.Request) error {
	if err := f.k.takeRequest(r, "oauth"); err != nil {
		return err
	}
	q := r.URL.Query()
	claims := stateClaims{Flow: f.flow(), Provider: f.provider.Name(), Backend: f.backendName(), RedirectTo: q.Get("redirect_to")}
	if claims.RedirectTo != "" && (f.backend == nil || !slices.Contains(f.redirects, claims.RedirectTo)) {
		f.k.audit(r, "oauth.bad_redirect", nil, "provider", claims.Provider)
		return errDetail(http.StatusBadRequest, "OAUTH_INVALID_REDIRECT")
	}
	subject := f.provider.Name()
	if f.backend == nil {
		u, _ := UserFrom(r.Context())
		subject = u.ID.String()
	}
	verifier := oauth2.GenerateVerifier()
	claims.Binding = binding(verifier)
	state, err := f.signer.Sign(subject, claims)
	if err != nil {
		return err
	}
	cfg := f.cfg
	for _, s := range q["scopes"] {
		if s != "" && !slices.Contains(cfg.Scopes, s) {
			cfg.Scopes = append(slices.Clip(cfg.Scopes), s)
		}
	}
	http.SetCookie(w, f.stateCookie(verifier))
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusOK, map[string]string{
		"authorization_url": cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)),
	})
	return nil
}

// errOAuthFailed: the provider refused, or its answer did not identify
// the user.
var errOAuthFailed = errDetail(http.StatusBadRequest, "OAUTH_AUTHORIZATION_FAILED")

// checkState verifies the state token and the cookie it is bound to, uses
// the state up, and returns the token's subject and claims and the PKCE
// verifier.
func (f *oauthFlow) checkState(w http.ResponseWriter, r *http.Request) (string, stateClaims, string, error) {
	// The cookie is good for one callback, whatever its outcome.
	http.SetCookie(w, f.stateCookie(""))
	var sc stateClaims
	c, err := f.signer.Parse(r.URL.Query().Get("state"), &sc)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", sc, "", errDetail(http.StatusBadRequest, "ACCESS_TOKEN_ALREADY_EXPIRED")
	case err != nil || sc.Flow != f.flow() || sc.Provider != f.provider.Name() || sc.Backend != f.backendName():
		return "", sc, "", errDetail(http.StatusBadRequest, "ACCESS_TOKEN_DECODE_ERROR")
	}
	cookie, err := r.Cookie(f.cookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(binding(cookie.Value)), []byte(sc.Binding)) != 1 {
		f.k.audit(r, "oauth.bad_state", nil, "provider", sc.Provider)
		return "", sc, "", errDetail(http.StatusBadRequest, "OAUTH_INVALID_STATE")
	}
	if err := f.useState(r, c); err != nil {
		return "", sc, "", err
	}
	return c.Subject, sc, cookie.Value, nil
}

// account exchanges the callback's code and asks the provider who the
// user is.
func (f *oauthFlow) account(r *http.Request, verifier string) (oauth.Account, *oauth2.Token, error) {
	q := r.URL.Query()
	if q.Get("error") != "" || q.Get("code") == "" {
		return oauth.Account{}, nil, errOAuthFailed
	}
	ctx := r.Context()
	if f.opts.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, f.opts.HTTPClient)
	}
	tok, err := f.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		// A replayed or expired code, a wrong verifier: the provider said no.
		f.k.audit(r, "oauth.exchange_refused", nil, "provider", f.provider.Name(), "error", re.ErrorCode)
		return oauth.Account{}, nil, errOAuthFailed
	case err != nil:
		return oauth.Account{}, nil, fmt.Errorf("oauth %s: exchange: %w", f.provider.Name(), err)
	}
	acct, err := f.provider.Account(ctx, tok)
	switch {
	case errors.Is(err, oauth.ErrNoAccount):
		f.k.audit(r, "oauth.no_account", nil, "provider", f.provider.Name(), "error", err.Error())
		return oauth.Account{}, nil, errOAuthFailed
	case err != nil:
		return oauth.Account{}, nil, fmt.Errorf("oauth %s: account: %w", f.provider.Name(), err)
	}
	if acct.ID == "" {
		return oauth.Account{}, nil, errOAuthFailed
	}
	return acct, tok, nil
}

// link stores the link of u to the provider account, with its tokens,
// and returns the id a new link gets (an existing one keeps its own).
func (f *oauthFlow) link(ctx context.Context, u *User, acct oauth.Account, tok *oauth2.Token) (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	now := f.k.manager.timestamp()
	err = f.links.UpsertOAuthAccount(ctx, store.OAuthAccount{
		ID: id, UserID: u.ID, Provider: f.provider.Name(), AccountID: acct.ID, AccountEmail: acct.Email,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expiry,
		CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, store.ErrOAuthAccountTaken) {
		return uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_USER_ALREADY_EXISTS")
	}
	return id, err
}

func (f *oauthFlow) callback(w http.ResponseWriter, r *http.Request) error {
	if err := f.k.takeRequest(r, "oauth"); err != nil {
		return err
	}
	subject, sc, verifier, err := f.checkState(w, r)
	if err != nil {
		return err
	}
	if f.backend == nil {
		return f.associate(w, r, subject, verifier)
	}
	acct, tok, err := f.account(r, verifier)
	if err != nil {
		return err
	}
	u, linkID, err := f.userFor(r, acct)
	if err != nil {
		return err
	}
	newID, err := f.link(r.Context(), u, acct, tok)
	if err != nil {
		return err
	}
	if linkID == uuid.Nil {
		f.k.audit(r, "oauth.link", u, "provider", f.provider.Name(), "account_id", acct.ID)
		linkID = newID
	}
	if !u.IsActive {
		f.k.audit(r, "login.failure", u, "backend", f.backend.Name, "provider", sc.Provider, "reason", "inactive")
		return errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
	}
	if f.k.cfg.RequireVerification && !u.IsVerified {
		f.k.audit(r, "login.failure", u, "backend", f.backend.Name, "provider", sc.Provider, "reason", "not_verified")
		return errDetail(http.StatusBadRequest, "LOGIN_USER_NOT_VERIFIED")
	}
	// Checked again, though the signed state carries it: the allow-list
	// may have shrunk since.
	if sc.RedirectTo != "" && slices.Contains(f.redirects, sc.RedirectTo) {
		w = &redirectWriter{ResponseWriter: w, to: sc.RedirectTo}
	}
	// The token is issued only against the user as read; when the user
	// changed since (the new link itself moves the version on), it is
	// read again — provided the provider account is still linked to it by
	// the same link: a reset that removed the link meanwhile is not undone
	// by this callback's upsert putting it back.
	for attempt := 0; ; attempt++ {
		err := f.k.issueLogin(w, r, f.backend, u, "provider", sc.Provider)
		if !errors.Is(err, strategy.ErrStaleUser) || attempt == maxIssueAttempts-1 {
			return err
		}
		if u, err = f.stillLinked(r, acct, linkID); err != nil {
			return err
		}
	}
}

// stillLinked reads again the user that the link linkID links the
// provider account to, and checks it may still log in.
func (f *oauthFlow) stillLinked(r *http.Request, acct oauth.Account, linkID uuid.UUID) (*User, error) {
	ctx := r.Context()
	l, err := f.links.OAuthAccountByProvider(ctx, f.provider.Name(), acct.ID)
	switch {
	case errors.Is(err, store.ErrOAuthAccountNotFound):
		return nil, errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
	case err != nil:
		return nil, err
	case l.ID != linkID:
		f.k.audit(r, "login.failure", nil, "backend", f.backend.Name, "provider", f.provider.Name(), "reason", "link_replaced")
		return nil, errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
	}
	u, err := f.k.manager.Get(ctx, l.UserID)
	switch {
	case errors.Is(err, store.ErrUserNotFound), err == nil && !u.IsActive:
		return nil, errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
	case err != nil:
		return nil, err
	case f.k.cfg.RequireVerification && !u.IsVerified:
		return nil, errDetail(http.StatusBadRequest, "LOGIN_USER_NOT_VERIFIED")
	}
	return u, nil
}

// userFor finds or creates the local user of the provider account, and
// returns the id of the link found (uuid.Nil when there is none yet).
func (f *oauthFlow) userFor(r *http.Request, acct oauth.Account) (*User, uuid.UUID, error) {
	ctx := r.Context()
	linked, err := f.links.OAuthAccountByProvider(ctx, f.provider.Name(), acct.ID)
	switch {
	case err == nil:
		u, err := f.k.manager.Get(ctx, linked.UserID)
		if errors.Is(err, store.ErrUserNotFound) {
			// Deleted since: the link went with it, or is going.
			return nil, uuid.Nil, errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
		}
		return u, linked.ID, err
	case !errors.Is(err, store.ErrOAuthAccountNotFound):
		return nil, uuid.Nil, err
	}
	if acct.Email == "" {
		return nil, uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_NOT_AVAILABLE_EMAIL")
	}
	if !acct.EmailVerified && !f.opts.AllowUnverifiedEmail {
		f.k.audit(r, "oauth.email_not_verified", nil, "provider", f.provider.Name())
		return nil, uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_EMAIL_NOT_VERIFIED")
	}
	existing, err := f.k.manager.GetByEmail(ctx, acct.Email)
	switch {
	case err == nil:
		if f.opts.AssociateByEmail && acct.EmailVerified && existing.IsVerified {
			f.k.audit(r, "oauth.associate_by_email", existing, "provider", f.provider.Name())
			return existing, uuid.Nil, nil
		}
		f.k.audit(r, "oauth.user_exists", existing, "provider", f.provider.Name())
		return nil, uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_USER_ALREADY_EXISTS")
	case !errors.Is(err, store.ErrUserNotFound):
		return nil, uuid.Nil, err
	}
	// A password nobody knows: the account logs in through the provider
	// until its owner sets one by the reset flow.
	u, err := f.k.manager.Create(ctx, UserCreate{
		Email: acct.Email, Password: cryptorand.Text() + cryptorand.Text(),
		IsActive: true, IsVerified: acct.EmailVerified,
	}, r)
	switch {
	case errors.Is(err, ErrUserAlreadyExists):
		return nil, uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_USER_ALREADY_EXISTS")
	case errors.Is(err, ErrInvalidEmail):
		return nil, uuid.Nil, errDetail(http.StatusBadRequest, "OAUTH_NOT_AVAILABLE_EMAIL")
	case err != nil:
		return nil, uuid.Nil, err
	}
	f.k.audit(r, "register", u, "provider", f.provider.Name())
	return u, uuid.Nil, nil
}

func (f *oauthFlow) associate(w http.ResponseWriter, r *http.Request, subject, verifier string) error {
	u, _ := UserFrom(r.Context())
	// Another user's state: someone is trying to link their provider
	// account to the victim's session, or the reverse.
	if subject != u.ID.String() {
		f.k.audit(r, "oauth.associate_other_user", u, "provider", f.provider.Name())
		return errDetail(http.StatusBadRequest, "ACCESS_TOKEN_DECODE_ERROR")
	}
	acct, tok, err := f.account(r, verifier)
	if err != nil {
		return err
	}
	if _, err := f.link(r.Context(), u, acct, tok); err != nil {
		return err
	}
	f.k.audit(r, "oauth.associate", u, "provider", f.provider.Name())
	f.k.audit(r, "oauth.link", u, "provider", f.provider.Name(), "account_id", acct.ID)
	httpjson.Write(w, http.StatusOK, u)
	return nil
}

// issueLogin logs u in through b, as the password login does;
// strategy.ErrStaleUser, before anything is written, when u changed since
// it was read.
func (k *AuthKit) issueLogin(w http.ResponseWriter, r *http.Request, b *AuthenticationBackend, u *User, attrs ...any) error {
	login, err := k.issue(r, b, u)
	if err != nil {
		return err
	}
	if err := b.Transport.WriteLogin(w, login); err != nil {
		return err
	}
	k.audit(r, "login.success", u, append([]any{"backend", b.Name}, attrs...)...)
	if hook := k.cfg.Hooks.OnAfterLogin; hook != nil {
		hook(r.Context(), u, r)
	}
	return nil
}

// redirectWriter turns a transport's 204 (a cookie login) into a 303 to
// an allowed URL; other answers (a bearer's JSON) pass unchanged.
type redirectWriter struct {
	http.ResponseWriter
	to string
}

func (rw *redirectWriter) WriteHeader(status int) {
	if status == http.StatusNoContent {
		rw.Header().Set("Location", rw.to)
		status = http.StatusSeeOther
	}
	rw.ResponseWriter.WriteHeader(status)
}
