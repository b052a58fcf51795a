package authkit_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/idptest"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// oauthEnv is an authkit with OAuth routes, a real OIDC provider
// (idptest) and a clock the test moves.
type oauthEnv struct {
	*env
	idp   *idptest.Server
	app   *httptest.Server
	clock *atomic.Int64 // Unix nanoseconds
}

// newOAuthEnv serves, besides env's routes on e.srv, on e.app:
//
//	/auth/oidc            login through "jwt"
//	/auth/oidc-cookie     login through "cookie", redirects /app and https://app.example/done
//	/auth/oidc-link       login through "jwt" with AssociateByEmail
//	/auth/oidc-unverified login through "jwt" with AllowUnverifiedEmail
//	/auth/associate/oidc  association
//	/users                the users router
func newOAuthEnv(t *testing.T, open func(opts ...func(*authkit.Config)) *env) *oauthEnv {
	t.Helper()
	clock := new(atomic.Int64)
	clock.Store(time.Now().UnixNano())
	e := open(func(c *authkit.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	idp := idptest.New(t)
	p, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{
		Name: "oidc", Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: app.URL + "/auth/oidc/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(oauthStateSecret)
	mount := func(prefix string, r *authkit.Router, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		idp.AddRedirectURI(app.URL + prefix + "/callback")
		authkit.Mount(mux, prefix, r)
	}
	opts := func(prefix string) authkit.OAuthOptions {
		return authkit.OAuthOptions{StateSecret: secret, RedirectURL: app.URL + prefix + "/callback"}
	}
	r, err := e.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{StateSecret: secret})
	mount("/auth/oidc", r, err)
	o := opts("/auth/oidc-cookie")
	o.Redirects = []string{"/app", "https://app.example/done"}
	r, err = e.kit.OAuthRouter(p, "cookie", o)
	mount("/auth/oidc-cookie", r, err)
	o = opts("/auth/oidc-link")
	o.AssociateByEmail = true
	r, err = e.kit.OAuthRouter(p, "jwt", o)
	mount("/auth/oidc-link", r, err)
	o = opts("/auth/oidc-unverified")
	o.AllowUnverifiedEmail = true
	r, err = e.kit.OAuthRouter(p, "jwt", o)
	mount("/auth/oidc-unverified", r, err)
	r, err = e.kit.OAuthAssociateRouter(p, opts("/auth/associate/oidc"))
	mount("/auth/associate/oidc", r, err)
	authkit.Mount(mux, "/users", e.kit.UsersRouter())
	return &oauthEnv{env: e, idp: idp, app: app, clock: clock}
}

// oauthStateSecret signs the states of every OAuth router of the tests.
const oauthStateSecret = "the state secret, long enough for HS256"

// started is a flow between the provider's redirect and the callback.
type started struct {
	cookie   *http.Cookie // the state cookie
	callback string       // the URL the provider sent the browser to
	authURL  *url.URL
}

// noRedirect is a browser that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (o *oauthEnv) call(rawURL string, creds ...cred) reply {
	o.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		o.t.Fatal(err)
	}
	for _, c := range creds {
		c(req)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		o.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// start runs /authorize and the provider's authorization step for user.
func (o *oauthEnv) start(prefix, query string, user idptest.User, creds ...cred) started {
	o.t.Helper()
	r := o.call(o.app.URL+prefix+"/authorize"+query, creds...)
	if r.status != http.StatusOK {
		o.t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	var body struct {
		URL string `json:"authorization_url"`
	}
	decodeInto(o.t, r.body, &body)
	c := findCookie(o.t, r.header, cookieOf(prefix))
	authURL, err := url.Parse(body.URL)
	if err != nil {
		o.t.Fatal(err)
	}
	o.idp.SetUser(user)
	r = o.call(body.URL)
	if r.status != http.StatusFound {
		o.t.Fatalf("provider authorize: %d %s", r.status, r.body)
	}
	return started{cookie: c, callback: r.header.Get("Location"), authURL: authURL}
}

// cookieOf names the state cookie of the router at prefix.
func cookieOf(prefix string) string {
	switch prefix {
	case "/auth/associate/oidc":
		return "authkit_oauth.associate.oidc"
	case "/auth/oidc-cookie":
		return "authkit_oauth.login.cookie.oidc"
	}
	return "authkit_oauth.login.jwt.oidc"
}

func withCookie(c *http.Cookie) cred {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
}

// finish calls the callback as the browser that started the flow.
func (o *oauthEnv) finish(s started, creds ...cred) reply {
	o.t.Helper()
	return o.call(s.callback, append(creds, withCookie(s.cookie))...)
}

// token reads a bearer login's access token.
func (o *oauthEnv) token(r reply) cred {
	o.t.Helper()
	if r.status != http.StatusOK {
		o.t.Fatalf("login: %d %s", r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decodeInto(o.t, r.body, &tok)
	return bearer(tok.AccessToken)
}

func (o *oauthEnv) me(c cred) map[string]any {
	o.t.Helper()
	r := o.call(o.app.URL+"/users/me", c)
	if r.status != http.StatusOK {
		o.t.Fatalf("/users/me: %d %s", r.status, r.body)
	}
	return decode(o.t, r.body)
}

func (o *oauthEnv) links(userID string) []store.OAuthAccount {
	o.t.Helper()
	id, err := uuid.Parse(userID)
	if err != nil {
		o.t.Fatal(err)
	}
	l, err := o.store.(store.OAuthAccountStore).OAuthAccountsOfUser(context.Background(), id)
	if err != nil {
		o.t.Fatal(err)
	}
	return l
}

var (
	arthur  = idptest.User{Sub: "sub-arthur", Email: "Arthur@Camelot.bt", EmailVerified: true}
	mordred = idptest.User{Sub: "sub-mordred", Email: "mordred@camelot.bt"}
)

func TestOAuthLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		s := o.start("/auth/oidc", "", arthur)

		q := s.authURL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
			!strings.Contains(q.Get("scope"), "openid") {
			t.Errorf("authorization URL %s", s.authURL)
		}
		if c := s.cookie; !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 600 {
			t.Errorf("state cookie %+v", c)
		}
		if strings.Contains(s.authURL.String(), s.cookie.Value) {
			t.Error("the PKCE verifier is in the authorization URL")
		}

		r := o.finish(s)
		if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "authkit_oauth.login.jwt.oidc=; Path=/; Max-Age=0") {
			t.Errorf("state cookie not expired: %v", r.header.Values("Set-Cookie"))
		}
		me := o.me(o.token(r))
		if me["email"] != "Arthur@Camelot.bt" || me["is_verified"] != true ||
			me["is_active"] != true || me["is_superuser"] != false {
			t.Errorf("new user %v", me)
		}
		links := o.links(me["id"].(string))
		if len(links) != 1 || links[0].Provider != "oidc" || links[0].AccountID != "sub-arthur" || links[0].AccessToken == "" ||
			links[0].RefreshToken == "" || links[0].ExpiresAt.IsZero() {
			t.Errorf("links %+v", links)
		}

		// The same provider account again: the same user, one link.
		again := o.me(o.token(o.finish(o.start("/auth/oidc", "", arthur))))
		if again["id"] != me["id"] {
			t.Errorf("second login: user %v, want %v", again["id"], me["id"])
		}
		if l := o.links(me["id"].(string)); len(l) != 1 || l[0].AccessToken == links[0].AccessToken {
			t.Errorf("links after second login %+v", l)
		}
		// The password nobody knows does not log in.
		if r := o.loginForm("jwt", "arthur@camelot.bt", ""); r.status == http.StatusOK {
			t.Error("empty password logged in")
		}

		// Unverified at the provider: refused, unless the router allows it;
		// then a new user, unverified.
		expect(t, o.finish(o.start("/auth/oidc", "", mordred)), http.StatusBadRequest, `{"detail":"OAUTH_EMAIL_NOT_VERIFIED"}`)
		un := o.me(o.token(o.finish(o.start("/auth/oidc-unverified", "", mordred))))
		if un["is_verified"] != false || un["email"] != "mordred@camelot.bt" {
			t.Errorf("unverified user %v", un)
		}

		// No email at all.
		r = o.finish(o.start("/auth/oidc", "", idptest.User{Sub: "sub-ghost"}))
		expect(t, r, http.StatusBadRequest, `{"detail":"OAUTH_NOT_AVAILABLE_EMAIL"}`)
		// The email only in userinfo.
		kay := o.me(o.token(o.finish(o.start("/auth/oidc", "", idptest.User{Sub: "sub-kay", Email: "kay@camelot.bt",
			EmailVerified: true, EmailOnlyInUserinfo: true}))))
		if kay["email"] != "kay@camelot.bt" || kay["is_verified"] != true {
			t.Errorf("userinfo user %v", kay)
		}
	})
}

func TestOAuthBadState(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		withState := func(callback, state string) string {
			u, _ := url.Parse(callback)
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
			return u.String()
		}
		s := o.start("/auth/oidc", "", arthur)
		state, _ := url.Parse(s.callback)

		for name, tc := range map[string]struct {
			url   string
			creds []cred
			want  string
		}{
			"missing cookie":   {s.callback, nil, "OAUTH_INVALID_STATE"},
			"wrong cookie":     {s.callback, []cred{withCookie(&http.Cookie{Name: s.cookie.Name, Value: "x" + s.cookie.Value})}, "OAUTH_INVALID_STATE"},
			"forged state":     {withState(s.callback, state.Query().Get("state")+"x"), []cred{withCookie(s.cookie)}, "ACCESS_TOKEN_DECODE_ERROR"},
			"no state":         {withState(s.callback, ""), []cred{withCookie(s.cookie)}, "ACCESS_TOKEN_DECODE_ERROR"},
			"garbage state":    {withState(s.callback, "not.a.jwt"), []cred{withCookie(s.cookie)}, "ACCESS_TOKEN_DECODE_ERROR"},
			"provider refused": {o.app.URL + "/auth/oidc/callback?error=access_denied&state=" + url.QueryEscape(state.Query().Get("state")), []cred{withCookie(s.cookie)}, "OAUTH_AUTHORIZATION_FAILED"},
		} {
			t.Run(name, func(t *testing.T) {
				expect(t, o.call(tc.url, tc.creds...), http.StatusBadRequest, `{"detail":"`+tc.want+`"}`)
			})
		}

		// Another browser's cookie: its own flow's, but bound to another state.
		other := o.start("/auth/oidc", "", arthur)
		expect(t, o.call(s.callback, withCookie(other.cookie)), http.StatusBadRequest, `{"detail":"OAUTH_INVALID_STATE"}`)

		// A login's state and cookie at the associate callback are refused.
		o.register("percival@camelot.bt", "grail quest 1234")
		perc := o.login("jwt", "percival@camelot.bt", "grail quest 1234")
		s = o.start("/auth/oidc", "", arthur)
		cb := strings.Replace(s.callback, "/auth/oidc/", "/auth/associate/oidc/", 1)
		expect(t, o.call(cb, perc, withCookie(&http.Cookie{Name: "authkit_oauth.associate.oidc", Value: s.cookie.Value})),
			http.StatusBadRequest, `{"detail":"ACCESS_TOKEN_DECODE_ERROR"}`)

		// A jwt login's state at the cookie backend's callback, with a cookie of that name.
		s = o.start("/auth/oidc", "", arthur)
		cb = strings.Replace(s.callback, "/auth/oidc/", "/auth/oidc-cookie/", 1)
		expect(t, o.call(cb, withCookie(&http.Cookie{Name: "authkit_oauth.login.cookie.oidc", Value: s.cookie.Value})),
			http.StatusBadRequest, `{"detail":"ACCESS_TOKEN_DECODE_ERROR"}`)

		// An expired state.
		s = o.start("/auth/oidc", "", arthur)
		o.clock.Add(int64(11 * time.Minute))
		expect(t, o.finish(s), http.StatusBadRequest, `{"detail":"ACCESS_TOKEN_ALREADY_EXPIRED"}`)
	})
}

func TestOAuthReplayedCode(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		s := o.start("/auth/oidc", "", arthur)
		o.token(o.finish(s))
		// The same callback, cookie and all: the state is used up, and the
		// provider is not even asked.
		expect(t, o.finish(s), http.StatusBadRequest, `{"detail":"OAUTH_INVALID_STATE"}`)
		if o.idp.Exchanges != 1 {
			t.Errorf("%d exchanges, want 1", o.idp.Exchanges)
		}
		// A code with another flow's verifier (a stolen code): PKCE fails.
		a, b := o.start("/auth/oidc", "", arthur), o.start("/auth/oidc", "", arthur)
		cb, _ := url.Parse(b.callback)
		stolen, _ := url.Parse(a.callback)
		q := stolen.Query()
		q.Set("code", cb.Query().Get("code"))
		stolen.RawQuery = q.Encode()
		expect(t, o.call(stolen.String(), withCookie(a.cookie)), http.StatusBadRequest, `{"detail":"OAUTH_AUTHORIZATION_FAILED"}`)
	})
}

func TestOAuthExistingEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		local := o.register("arthur@camelot.bt", "excalibur 1234")

		// Off by default: no takeover, whatever the provider says.
		expect(t, o.finish(o.start("/auth/oidc", "", arthur)), http.StatusBadRequest, `{"detail":"OAUTH_USER_ALREADY_EXISTS"}`)
		// On, but the local account's email is unverified: refused.
		expect(t, o.finish(o.start("/auth/oidc-link", "", arthur)), http.StatusBadRequest, `{"detail":"OAUTH_USER_ALREADY_EXISTS"}`)
		u, err := o.store.UserByEmail(context.Background(), "arthur@camelot.bt")
		if err != nil {
			t.Fatal(err)
		}
		u.IsVerified = true
		if err := o.store.UpdateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		// On, but the provider did not verify the email: refused, as
		// every unverified email is; allowing those does not link either.
		fake := idptest.User{Sub: "sub-fake-arthur", Email: "arthur@camelot.bt"}
		expect(t, o.finish(o.start("/auth/oidc-link", "", fake)), http.StatusBadRequest, `{"detail":"OAUTH_EMAIL_NOT_VERIFIED"}`)
		expect(t, o.finish(o.start("/auth/oidc-unverified", "", fake)), http.StatusBadRequest, `{"detail":"OAUTH_USER_ALREADY_EXISTS"}`)
		if l := o.links(local["id"].(string)); len(l) != 0 {
			t.Fatalf("links after refusals: %+v", l)
		}
		// On, both verified: linked, and logged into the local account.
		me := o.me(o.token(o.finish(o.start("/auth/oidc-link", "", arthur))))
		if me["id"] != local["id"] {
			t.Errorf("linked login as %v, want %v", me["id"], local["id"])
		}
		// Once linked, the default router logs in too: by the link, not the email.
		me = o.me(o.token(o.finish(o.start("/auth/oidc", "", arthur))))
		if me["id"] != local["id"] {
			t.Errorf("login by link as %v, want %v", me["id"], local["id"])
		}
	})
}

func TestOAuthAssociate(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		gw := o.register("gawain@orkney.bt", "green knight 1234")
		gawain := o.login("jwt", "gawain@orkney.bt", "green knight 1234")
		o.register("agravain@orkney.bt", "green knight 1234")
		agravain := o.login("jwt", "agravain@orkney.bt", "green knight 1234")
		// The provider account has another email: association does not care.
		acct := idptest.User{Sub: "sub-gawain", Email: "gawain@gmail.example", EmailVerified: true}

		expect(t, o.call(o.app.URL+"/auth/associate/oidc/authorize"), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)

		s := o.start("/auth/associate/oidc", "", acct, gawain)
		// Another user cannot finish it, even holding the cookie.
		expect(t, o.finish(s, agravain), http.StatusBadRequest, `{"detail":"ACCESS_TOKEN_DECODE_ERROR"}`)
		expect(t, o.call(s.callback, withCookie(s.cookie)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)

		s = o.start("/auth/associate/oidc", "", acct, gawain)
		r := o.finish(s, gawain)
		if r.status != http.StatusOK || decode(t, r.body)["id"] != gw["id"] {
			t.Fatalf("associate: %d %s", r.status, r.body)
		}
		if l := o.links(gw["id"].(string)); len(l) != 1 || l[0].AccountID != "sub-gawain" || l[0].AccountEmail != "gawain@gmail.example" {
			t.Errorf("links %+v", l)
		}
		// Logging in with the provider account is now logging in as gawain.
		if me := o.me(o.token(o.finish(o.start("/auth/oidc", "", acct)))); me["id"] != gw["id"] {
			t.Errorf("login after association as %v", me["id"])
		}
		// Another user may not take the linked account.
		expect(t, o.finish(o.start("/auth/associate/oidc", "", acct, agravain), agravain),
			http.StatusBadRequest, `{"detail":"OAUTH_USER_ALREADY_EXISTS"}`)
		// redirect_to is not for the associate flow.
		r = o.call(o.app.URL+"/auth/associate/oidc/authorize?redirect_to=/app", gawain)
		expect(t, r, http.StatusBadRequest, `{"detail":"OAUTH_INVALID_REDIRECT"}`)
	})
}

func TestOAuthRedirect(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		for _, evil := range []string{"https://evil.example", "//evil.example", "/\\evil.example", "https://app.example/done/../../evil",
			"https://app.example/done@evil.example", "/app/", "javascript:alert(1)", "https:evil.example", "/App"} {
			r := o.call(o.app.URL + "/auth/oidc-cookie/authorize?redirect_to=" + url.QueryEscape(evil))
			expect(t, r, http.StatusBadRequest, `{"detail":"OAUTH_INVALID_REDIRECT"}`)
		}
		// Without redirect_to, the cookie backend answers 204.
		r := o.finish(o.start("/auth/oidc-cookie", "", arthur))
		if r.status != http.StatusNoContent || r.header.Get("Location") != "" {
			t.Fatalf("cookie login: %d %v", r.status, r.header)
		}
		findCookie(t, r.header, "authkit")
		for _, to := range []string{"/app", "https://app.example/done"} {
			r := o.finish(o.start("/auth/oidc-cookie", "?redirect_to="+url.QueryEscape(to), arthur))
			if r.status != http.StatusSeeOther || r.header.Get("Location") != to {
				t.Fatalf("redirect to %s: %d %v", to, r.status, r.header)
			}
			c := findCookie(t, r.header, "authkit")
			if got := o.me(withCookie(c)); got["email"] == nil {
				t.Errorf("cookie from redirect login: %v", got)
			}
		}
		// A bearer login ignores nothing and redirects nowhere: redirect_to is refused.
		r = o.call(o.app.URL + "/auth/oidc/authorize?redirect_to=/app")
		expect(t, r, http.StatusBadRequest, `{"detail":"OAUTH_INVALID_REDIRECT"}`)
	})
}

func TestOAuthConfig(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		p, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{Name: "oidc", Issuer: o.idp.URL,
			ClientID: o.idp.ClientID, RedirectURL: "https://app.example/cb"})
		if err != nil {
			t.Fatal(err)
		}
		for name, fn := range map[string]func() (*authkit.Router, error){
			"no backend":      func() (*authkit.Router, error) { return o.kit.OAuthRouter(p, "", authkit.OAuthOptions{}) },
			"unknown backend": func() (*authkit.Router, error) { return o.kit.OAuthRouter(p, "nope", authkit.OAuthOptions{}) },
			"nil provider":    func() (*authkit.Router, error) { return o.kit.OAuthRouter(nil, "jwt", authkit.OAuthOptions{}) },
			"short secret": func() (*authkit.Router, error) {
				return o.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{StateSecret: []byte("short")})
			},
			"open redirect": func() (*authkit.Router, error) {
				return o.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{Redirects: []string{"//evil.example"}})
			},
			"relative": func() (*authkit.Router, error) {
				return o.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{Redirects: []string{"app"}})
			},
			"negative": func() (*authkit.Router, error) {
				return o.kit.OAuthAssociateRouter(p, authkit.OAuthOptions{StateLifetime: -1})
			},
			"associate nil provider": func() (*authkit.Router, error) { return o.kit.OAuthAssociateRouter(nil, authkit.OAuthOptions{}) },
		} {
			if r, err := fn(); err == nil || r != nil {
				t.Errorf("%s: %v, %v; want an error", name, r, err)
			}
		}

		// The routes document themselves.
		login, err := o.kit.OAuthRouter(p, "cookie", authkit.OAuthOptions{Redirects: []string{"/app"}})
		if err != nil {
			t.Fatal(err)
		}
		assoc, err := o.kit.OAuthAssociateRouter(p, authkit.OAuthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := authkit.OpenAPI(openapi.Info{Title: "t", Version: "1"},
			authkit.At("/auth/oidc", login), authkit.At("/auth/associate/oidc", assoc))
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		for path, op := range map[string]string{
			"/auth/oidc/authorize": "oauth:oidc.cookie.authorize", "/auth/oidc/callback": "oauth:oidc.cookie.callback",
			"/auth/associate/oidc/authorize": "oauth-associate:oidc.authorize", "/auth/associate/oidc/callback": "oauth-associate:oidc.callback",
		} {
			if got := d.Paths[path]["get"].OperationID; got != op {
				t.Errorf("%s: operationId %q, want %q", path, got, op)
			}
		}
		for _, code := range []string{"OAUTH_INVALID_STATE", "OAUTH_USER_ALREADY_EXISTS", "OAUTH_NOT_AVAILABLE_EMAIL", "OAUTH_EMAIL_NOT_VERIFIED", "ACCESS_TOKEN_DECODE_ERROR"} {
			if !strings.Contains(string(doc), code) {
				t.Errorf("document lacks %s", code)
			}
		}
	})
}
