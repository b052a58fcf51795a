package authkit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/idptest"
	"github.com/go-authkit/authkit/oauth"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// together sends the n requests that newRequest makes at one moment: each
// is built and its goroutine waits at one barrier, released at once.
func together(t *testing.T, client *http.Client, n int, newRequest func(i int) *http.Request) []reply {
	t.Helper()
	replies := make([]reply, n)
	reqs := make([]*http.Request, n)
	for i := range n {
		reqs[i] = newRequest(i)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := client.Do(reqs[i])
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Error(err)
			}
			replies[i] = reply{status: res.StatusCode, header: res.Header, body: string(b)}
		})
	}
	close(start)
	wg.Wait()
	return replies
}

// tally counts the replies by status, and the refusals by body.
func tally(replies []reply) map[string]int {
	n := map[string]int{}
	for _, r := range replies {
		key := strconv.Itoa(r.status)
		if r.status >= 400 {
			key += " " + r.body
		}
		n[key]++
	}
	return n
}

// One state, many callbacks at once, spread over two instances of the
// service on one store: exactly one logs in, even at a provider lax enough
// to exchange one code many times; the others never reach the provider.
func TestOAuthStateSingleUseRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		o.idp.SetCodeReuse(true)
		other := o.secondInstance()
		// Arthur has an account linked already: each callback that got
		// through would be one more session.
		o.token(o.finish(o.start("/auth/oidc", "", arthur)))
		exchanged := o.idp.Exchanges
		s := o.start("/auth/oidc", "", arthur)
		const n = 20
		replies := together(t, noRedirect, n, func(i int) *http.Request {
			callback := s.callback
			if i%2 == 1 {
				callback = other + strings.TrimPrefix(callback, o.app.URL)
			}
			req, err := http.NewRequest(http.MethodGet, callback, nil)
			if err != nil {
				t.Fatal(err)
			}
			withCookie(s.cookie)(req)
			return req
		})
		ok := 0
		for _, r := range replies {
			switch {
			case r.status == http.StatusOK:
				ok++
			case r.status != http.StatusBadRequest || r.body != `{"detail":"OAUTH_INVALID_STATE"}`:
				t.Errorf("callback: %d %s", r.status, r.body)
			}
		}
		if ok != 1 || o.idp.Exchanges-exchanged != 1 {
			t.Fatalf("%d of %d callbacks with one state logged in, %d exchanges; want 1 and 1: %v", ok, n, o.idp.Exchanges-exchanged, tally(replies))
		}
		// And later, one at a time.
		expect(t, o.finish(s), http.StatusBadRequest, `{"detail":"OAUTH_INVALID_STATE"}`)
	})
}

// secondInstance serves the /auth/oidc router of another AuthKit on the
// same store, as a second instance behind a load balancer would (one
// public redirect URL, one state secret), and returns its base URL.
func (o *oauthEnv) secondInstance() string {
	t := o.t
	sameStore := func(*testing.T) (testStore, *sqlx.DB) { return o.store, o.db }
	e := newEnv(t, sameStore, func(c *authkit.Config) { c.Now = func() time.Time { return time.Unix(0, o.clock.Load()) } })
	p, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{
		Name: "oidc", Issuer: o.idp.URL, ClientID: o.idp.ClientID, ClientSecret: o.idp.ClientSecret,
		RedirectURL: o.app.URL + "/auth/oidc/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{StateSecret: []byte(oauthStateSecret)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	authkit.Mount(mux, "/auth/oidc", r)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// A used state is kept only while the state could still be accepted:
// storage stays bounded by one state lifetime of callbacks.
func TestOAuthStatesPurged(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		rows := func() int {
			t.Helper()
			var n int
			if err := o.db.Get(&n, `SELECT count(*) FROM authkit_oauth_states`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		old := o.start("/auth/oidc", "", arthur)
		o.token(o.finish(old))
		o.token(o.finish(o.start("/auth/oidc", "", arthur)))
		if n := rows(); n != 2 {
			t.Fatalf("%d used states recorded, want 2", n)
		}
		// Past the states' lifetime and leeway: the next callback purges.
		o.clock.Add(int64(authkit.DefaultOAuthStateLifetime + time.Minute))
		o.token(o.finish(o.start("/auth/oidc", "", arthur)))
		if n := rows(); n != 1 {
			t.Fatalf("%d used states recorded after the purge, want 1", n)
		}
		// The forgotten state stays refused: it has expired.
		expect(t, o.finish(old), http.StatusBadRequest, `{"detail":"ACCESS_TOKEN_ALREADY_EXPIRED"}`)
	})
}

// The takeover of issue 12 (7a): an attacker's provider account asserts
// the victim's address without verifying it. By default it creates and
// links nothing, before or after the victim registers.
func TestOAuthUnverifiedEmailTakeover(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		attacker := idptest.User{Sub: "sub-morgause", Email: "Gareth@Orkney.bt"}
		const refused = `{"detail":"OAUTH_EMAIL_NOT_VERIFIED"}`
		ctx := context.Background()

		// Before the victim has an account: none is made for the attacker.
		expect(t, o.finish(o.start("/auth/oidc", "", attacker)), http.StatusBadRequest, refused)
		if _, err := o.store.UserByEmail(ctx, "gareth@orkney.bt"); !errors.Is(err, store.ErrUserNotFound) {
			t.Fatalf("user of the victim's address: %v", err)
		}
		if _, err := o.store.(store.OAuthAccountStore).OAuthAccountByProvider(ctx, "oidc", attacker.Sub); !errors.Is(err, store.ErrOAuthAccountNotFound) {
			t.Fatalf("attacker's link: %v", err)
		}

		// The victim registers, verifies and uses the account; the attacker
		// tries again by every login router: not linked, not logged in.
		victim := o.register("gareth@orkney.bt", goodPassword)
		u, err := o.store.UserByID(ctx, uuid.MustParse(victim["id"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		u.IsVerified = true
		if err := o.store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"/auth/oidc", "/auth/oidc-link"} {
			expect(t, o.finish(o.start(prefix, "", attacker)), http.StatusBadRequest, refused)
		}
		if l := o.links(victim["id"].(string)); len(l) != 0 {
			t.Fatalf("links of the victim: %+v", l)
		}
		if me := o.me(o.login("jwt", "gareth@orkney.bt", goodPassword)); me["id"] != victim["id"] {
			t.Fatalf("victim's login: %v", me)
		}
	})
}

// With AllowUnverifiedEmail, an unverified provider email makes an
// unverified account, which an application requiring verification does
// not let in; it never joins an existing account.
func TestOAuthAllowUnverifiedEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		requireVerified := func(opts ...func(*authkit.Config)) *env {
			return open(append(opts, func(c *authkit.Config) { c.RequireVerification = true })...)
		}
		o := newOAuthEnv(t, requireVerified)
		acct := idptest.User{Sub: "sub-lynette", Email: "lynette@camelot.bt"}
		expect(t, o.finish(o.start("/auth/oidc-unverified", "", acct)), http.StatusBadRequest, `{"detail":"LOGIN_USER_NOT_VERIFIED"}`)
		u, err := o.store.UserByEmail(context.Background(), "lynette@camelot.bt")
		if err != nil || u.IsVerified || !u.IsActive || u.IsSuperuser {
			t.Fatalf("user made: %+v, %v", u, err)
		}
		if l := o.links(u.ID.String()); len(l) != 1 || l[0].AccountID != acct.Sub {
			t.Fatalf("links %+v", l)
		}
		// Linked now, the account logs in by its link through any router,
		// and verification is still wanted.
		expect(t, o.finish(o.start("/auth/oidc", "", acct)), http.StatusBadRequest, `{"detail":"LOGIN_USER_NOT_VERIFIED"}`)
		// Once the address is verified (by its owner, through the mailbox),
		// the provider account logs in.
		u.IsVerified = true
		if err := o.store.UpdateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		if me := o.me(o.token(o.finish(o.start("/auth/oidc-unverified", "", acct)))); me["id"] != u.ID.String() {
			t.Fatalf("login as %v", me["id"])
		}
	})
}

// The login router documents OAUTH_EMAIL_NOT_VERIFIED only where it can
// answer it; a store without single-use states is refused up front.
func TestOAuthEmailNotVerifiedDocumented(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		o := newOAuthEnv(t, open)
		p, err := oauth.NewOIDC(context.Background(), oauth.OIDCConfig{Name: "oidc", Issuer: o.idp.URL,
			ClientID: o.idp.ClientID, RedirectURL: "https://app.example/cb"})
		if err != nil {
			t.Fatal(err)
		}
		for allow, want := range map[bool]bool{false: true, true: false} {
			r, err := o.kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{AllowUnverifiedEmail: allow})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := authkit.OpenAPI(openapi.Info{Title: "t", Version: "1"}, authkit.At("/auth/oidc", r))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(doc), "OAUTH_EMAIL_NOT_VERIFIED"); got != want {
				t.Errorf("AllowUnverifiedEmail %v: OAUTH_EMAIL_NOT_VERIFIED documented %v, want %v", allow, got, want)
			}
		}
		jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a test secret that is long enough for HS256"), Store: o.store})
		if err != nil {
			t.Fatal(err)
		}
		kit, err := authkit.New(authkit.Config{Users: linksOnly{o.store.(oauthUsers)}, Hasher: cheapHasher(t),
			Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}}})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := kit.OAuthRouter(p, "jwt", authkit.OAuthOptions{}); err == nil || r != nil ||
			!strings.Contains(err.Error(), "store.OAuthStateStore") {
			t.Errorf("a store without OAuth states: %v, %v", r, err)
		}
	})
}

// oauthUsers is a user store with OAuth links.
type oauthUsers interface {
	store.UserStore
	store.OAuthAccountStore
}

// linksOnly hides every capability of its store but users and links.
type linksOnly struct{ oauthUsers }
