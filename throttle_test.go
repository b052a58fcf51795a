package authkit_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/limiter"
	"github.com/jmoiron/sqlx"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// from makes a request come from addr, through the trusted proxy at
// 127.0.0.1.
func from(addr string) cred {
	return func(r *http.Request) { r.Header.Set("X-Forwarded-For", addr) }
}

// throttled turns throttling on with small rules and memory counters on
// clock, trusting the loopback proxy so tests can speak for many addresses.
func throttled(clock *fakeClock) func(*authkit.Config) {
	return func(c *authkit.Config) {
		c.Throttle = authkit.Throttle{
			LoginPerClientAccount: limiter.Rule{Limit: 3, Window: time.Minute},
			LoginPerAccount:       limiter.Rule{Limit: 6, Window: time.Minute},
			LoginPerAddress:       limiter.Rule{Limit: 8, Window: time.Minute},
			RequestsPerAddress:    limiter.Rule{Limit: 2, Window: time.Minute},
			NewLimiter: func(_ string, rule limiter.Rule) (limiter.Limiter, error) {
				return limiter.NewMemory(rule, limiter.WithClock(clock.Now))
			},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		}
	}
}

func (e *env) loginFrom(addr, username, password string) reply {
	e.t.Helper()
	body := "username=" + strings.ReplaceAll(username, "@", "%40") + "&password=" + password
	return e.do(http.MethodPost, "/auth/jwt/login", "application/x-www-form-urlencoded", body, from(addr))
}

func expect429(t *testing.T, r reply) {
	t.Helper()
	expect(t, r, http.StatusTooManyRequests, `{"detail":"TOO_MANY_REQUESTS"}`)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

func TestThrottleLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		clock := &fakeClock{now: time.Now()}
		e := open(throttled(clock))
		e.register("owner@camelot.bt", goodPassword)
		const bad = `{"detail":"LOGIN_BAD_CREDENTIALS"}`

		// An attacker at one address gets three tries at the account.
		for range 3 {
			expect(t, e.loginFrom("203.0.113.7", "owner@camelot.bt", "wrong-guess-x"), http.StatusBadRequest, bad)
		}
		expect429(t, e.loginFrom("203.0.113.7", "owner@camelot.bt", "wrong-guess-x"))
		// Even the right password from there waits: attempts are counted
		// before the password is checked.
		expect429(t, e.loginFrom("203.0.113.7", "OWNER@camelot.bt", goodPassword))
		// The owner, elsewhere, is not locked out.
		if r := e.loginFrom("198.51.100.1", "owner@camelot.bt", goodPassword); r.status != http.StatusOK {
			t.Fatalf("owner: %d %s", r.status, r.body)
		}
		// Many addresses together reach the account's own limit (6): its
		// success above cleared the account's count.
		for i := range 6 {
			expect(t, e.loginFrom("192.0.2."+strconv.Itoa(i+1), "owner@camelot.bt", "wrong-guess-x"), http.StatusBadRequest, bad)
		}
		expect429(t, e.loginFrom("198.51.100.1", "owner@camelot.bt", goodPassword))
		// ...but only for a window: the block lifts by itself.
		clock.Advance(61 * time.Second)
		if r := e.loginFrom("198.51.100.1", "owner@camelot.bt", goodPassword); r.status != http.StatusOK {
			t.Fatalf("after the window: %d %s", r.status, r.body)
		}
		expect(t, e.loginFrom("203.0.113.7", "owner@camelot.bt", "wrong-guess-x"), http.StatusBadRequest, bad)

		// One address spraying many accounts hits the address limit (8).
		for i := range 8 {
			expect(t, e.loginFrom("203.0.113.99", "user"+strconv.Itoa(i)+"@camelot.bt", "wrong-guess-x"), http.StatusBadRequest, bad)
		}
		expect429(t, e.loginFrom("203.0.113.99", "someone.else@camelot.bt", "wrong-guess-x"))
		// Without a trusted proxy in between, X-Forwarded-For is ignored.
	})
}

func TestThrottleRequestsPerAddress(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		clock := &fakeClock{now: time.Now()}
		e := open(throttled(clock))
		for _, route := range []string{"/auth/forgot-password", "/auth/request-verify-token"} {
			for range 2 {
				expect(t, e.postJSON(route, `{"email":"a@camelot.bt"}`, from("203.0.113.5")), http.StatusAccepted, `null`)
			}
			expect429(t, e.postJSON(route, `{"email":"a@camelot.bt"}`, from("203.0.113.5")))
			expect(t, e.postJSON(route, `{"email":"a@camelot.bt"}`, from("203.0.113.6")), http.StatusAccepted, `null`)
		}
		for i := range 2 {
			r := e.postJSON("/auth/register", `{"email":"r`+strconv.Itoa(i)+`@camelot.bt","password":"`+goodPassword+`"}`, from("203.0.113.5"))
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		expect429(t, e.postJSON("/auth/register", `{"email":"r9@camelot.bt","password":"`+goodPassword+`"}`, from("203.0.113.5")))
		clock.Advance(time.Minute + time.Second)
		if r := e.postJSON("/auth/register", `{"email":"r9@camelot.bt","password":"`+goodPassword+`"}`, from("203.0.113.5")); r.status != http.StatusCreated {
			t.Fatalf("after the window: %d %s", r.status, r.body)
		}
	})
}

// With Redis counters, two instances share one count: attempts made on one
// are refused on the other.
func TestThrottleSharedInRedis(t *testing.T) {
	newLimiter := redisLimiters(t)
	redisLimits := func(c *authkit.Config) {
		throttled(&fakeClock{now: time.Now()})(c)
		c.Throttle.NewLimiter = newLimiter
	}
	open := stores[1].open // both instances on one PostgreSQL
	st, db := open(t)
	shared := func(*testing.T) (testStore, *sqlx.DB) { return st, db }
	a := newEnv(t, shared, redisLimits)
	b := newEnv(t, shared, redisLimits)
	a.register("shared@camelot.bt", goodPassword)
	for _, e := range []*env{a, b, a} {
		expect(t, e.loginFrom("203.0.113.8", "shared@camelot.bt", "wrong-guess-x"), http.StatusBadRequest, `{"detail":"LOGIN_BAD_CREDENTIALS"}`)
	}
	expect429(t, b.loginFrom("203.0.113.8", "shared@camelot.bt", goodPassword))
	expect429(t, a.loginFrom("203.0.113.8", "shared@camelot.bt", goodPassword))
}

// The audit log records who did what from where, and never a password or
// a token.
func TestAuditLog(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		var mu sync.Mutex
		var buf bytes.Buffer
		clock := &fakeClock{now: time.Now()}
		e := open(throttled(clock), func(c *authkit.Config) {
			c.Logger = slogJSON(&mu, &buf)
		})
		u := e.register("lancelot@camelot.bt", goodPassword)
		r := e.loginForm("jwt", "lancelot@camelot.bt", goodPassword)
		token := decode(t, r.body)["access_token"].(string)
		e.do(http.MethodPost, "/auth/jwt/logout", "", "", bearer(token))
		for range 4 {
			e.loginFrom("203.0.113.9", "lancelot@camelot.bt", "secret-guess-1")
		}
		mu.Lock()
		defer mu.Unlock()
		logs := buf.String()
		id := u["id"].(string)
		for _, want := range []string{
			`"event":"register","client":"127.0.0.1","user_id":"` + id + `"`,
			`"event":"login.success","client":"127.0.0.1","user_id":"` + id + `","backend":"jwt"`,
			`"event":"logout","client":"127.0.0.1","user_id":"` + id + `","backend":"jwt"`,
			`"event":"login.failure","client":"203.0.113.9","backend":"jwt","reason":"bad_credentials"`,
			`"event":"throttled","client":"203.0.113.9","path":"/auth/jwt/login"`,
		} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %s\nlog:\n%s", want, logs)
			}
		}
		noSecrets(t, logs, goodPassword, "secret-guess-1", token)
	})
}

// slogJSON is a JSON logger into buf, guarded by mu: the server logs from
// its own goroutines.
func slogJSON(mu *sync.Mutex, buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(lockedWriter{mu, buf}, nil))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
