package authkit_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/internal/idptest"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/strategy"
)

// The tests of docs/security.md "Under concurrency": the racing requests
// are released together behind a barrier, and each trial checks the
// invariant that must hold whatever the interleaving.

// trials is how often each race runs: enough that the code before the
// security stamp failed every one of these tests on both stores.
const trials = 8

// barrier runs fn(i) for i in [0, n) on n goroutines released together,
// and waits for them all.
func barrier(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// send is env.do that returns its errors instead of failing the test,
// for goroutines other than the test's.
func (e *env) send(method, path, contentType, body string, creds ...cred) (reply, error) {
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, c := range creds {
		c(req)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}, err
}

// raceJSON posts n JSON bodies to path at once, behind a barrier.
func (e *env) raceJSON(n int, path string, body func(i int) string) []reply {
	e.t.Helper()
	replies := make([]reply, n)
	errs := make([]error, n)
	barrier(n, func(i int) {
		replies[i], errs[i] = e.send(http.MethodPost, path, "application/json", body(i))
	})
	for _, err := range errs {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return replies
}

// slowHasher verifies as slowly as production's argon2id does, so that a
// login spends as long between reading the user and issuing its token as
// it does in production; hashing stays cheap.
type slowHasher struct {
	hasher.Hasher
	delay time.Duration
}

func (h slowHasher) Verify(pw, encoded string) (bool, bool, error) {
	time.Sleep(h.delay)
	return h.Hasher.Verify(pw, encoded)
}

func withSlowVerify(d time.Duration) func(*authkit.Config) {
	return func(c *authkit.Config) { c.Hasher = slowHasher{Hasher: c.Hasher, delay: d} }
}

// withTokens captures the reset and verify tokens the manager issues.
func withTokens(reset, verify chan<- string) func(*authkit.Config) {
	return func(c *authkit.Config) {
		c.ResetSecret = []byte("a test secret that is long enough for HS256")
		c.VerifySecret = []byte("another test secret, long enough for HS256")
		c.Hooks.OnAfterForgotPassword = func(_ context.Context, _ *authkit.User, tok string, _ *http.Request) { reset <- tok }
		c.Hooks.OnAfterRequestVerify = func(_ context.Context, _ *authkit.User, tok string, _ *http.Request) { verify <- tok }
	}
}

func (e *env) resetToken(email string, tokens <-chan string) string {
	e.t.Helper()
	expect(e.t, e.postJSON("/auth/forgot-password", `{"email":`+q(email)+`}`), http.StatusAccepted, `null`)
	select {
	case tok := <-tokens:
		return tok
	case <-time.After(5 * time.Second):
		e.t.Fatal("no reset token")
		return ""
	}
}

func (e *env) verifyToken(email string, tokens <-chan string) string {
	e.t.Helper()
	expect(e.t, e.postJSON("/auth/request-verify-token", `{"email":`+q(email)+`}`), http.StatusAccepted, `null`)
	select {
	case tok := <-tokens:
		return tok
	case <-time.After(5 * time.Second):
		e.t.Fatal("no verify token")
		return ""
	}
}

// Case 1: one reset token used by N requests at once sets one password.
func TestRaceResetTokenSingleUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		resets, verifies := make(chan string, 1), make(chan string, 1)
		e := open(withTokens(resets, verifies))
		const n = 10
		failures := 0
		for trial := range trials {
			email := fmt.Sprintf("lancelot%d@camelot.bt", trial)
			e.register(email, goodPassword)
			tok := e.resetToken(email, resets)
			replies := e.raceJSON(n, "/auth/reset-password", func(i int) string {
				return `{"token":` + q(tok) + `,"password":` + q(fmt.Sprintf("new password number %d", i)) + `}`
			})
			won := -1
			ok := true
			for i, r := range replies {
				switch {
				case r.status == http.StatusOK:
					if won >= 0 {
						ok = false
					}
					won = i
				case r.status != http.StatusBadRequest || r.body != `{"detail":"RESET_PASSWORD_BAD_TOKEN"}`:
					t.Fatalf("reset %d: %d %s", i, r.status, r.body)
				}
			}
			if won < 0 {
				t.Fatal("no reset succeeded")
			}
			// The winner's password is the one set.
			if r := e.loginForm("jwt", email, fmt.Sprintf("new password number %d", won)); r.status != http.StatusOK {
				ok = false
			}
			if !ok {
				failures++
			}
		}
		if failures > 0 {
			t.Errorf("%d of %d trials: more than one of %d concurrent resets answered 200", failures, trials, n)
		}
	})
}

// Case 1, verify: one verify token used by N requests at once verifies
// once; the others are told the user is verified already.
func TestRaceVerifySingleUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		resets, verifies := make(chan string, 1), make(chan string, 1)
		e := open(withTokens(resets, verifies))
		const n = 10
		failures := 0
		for trial := range trials {
			email := fmt.Sprintf("percival%d@camelot.bt", trial)
			e.register(email, goodPassword)
			tok := e.verifyToken(email, verifies)
			replies := e.raceJSON(n, "/auth/verify", func(int) string { return `{"token":` + q(tok) + `}` })
			wins := 0
			for i, r := range replies {
				switch {
				case r.status == http.StatusOK:
					wins++
				case r.status != http.StatusBadRequest || r.body != `{"detail":"VERIFY_USER_ALREADY_VERIFIED"}`:
					t.Fatalf("verify %d: %d %s", i, r.status, r.body)
				}
			}
			if wins != 1 {
				failures++
			}
		}
		if failures > 0 {
			t.Errorf("%d of %d trials: not exactly one of %d concurrent verifies answered 200", failures, trials, n)
		}
	})
}

// Case 2: logins with the old password that race a reset leave no
// session alive once the reset has answered: no bearer token, no refresh
// token, no cookie.
func TestRaceLoginDuringReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		resets, verifies := make(chan string, 1), make(chan string, 1)
		e := open(withTokens(resets, verifies), withSlowVerify(20*time.Millisecond), withRedisBackend(t))
		backends := []string{"jwt", "refresh", "cookie", "db", "redis"}
		const logins = 15
		survivors := map[string]int{}
		for trial := range trials {
			email := fmt.Sprintf("gareth%d@camelot.bt", trial)
			e.register(email, goodPassword)
			tok := e.resetToken(email, resets)
			replies := make([]reply, logins+1)
			errs := make([]error, logins+1)
			barrier(logins+1, func(i int) {
				if i == logins {
					time.Sleep(25 * time.Millisecond)
					replies[i], errs[i] = e.send(http.MethodPost, "/auth/reset-password", "application/json",
						`{"token":`+q(tok)+`,"password":"the new password after all"}`)
					return
				}
				// Spread over ~60 ms around the reset.
				time.Sleep(time.Duration(i) * 4 * time.Millisecond)
				form := url.Values{"username": {email}, "password": {goodPassword}}
				replies[i], errs[i] = e.send(http.MethodPost, "/auth/"+backends[i%len(backends)]+"/login",
					"application/x-www-form-urlencoded", form.Encode())
			})
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if r := replies[logins]; r.status != http.StatusOK {
				t.Fatalf("reset: %d %s", r.status, r.body)
			}
			for i, r := range replies[:logins] {
				b := backends[i%len(backends)]
				switch {
				case r.status == http.StatusBadRequest && r.body == `{"detail":"LOGIN_BAD_CREDENTIALS"}`:
					continue // began after the reset
				case r.status != http.StatusOK && r.status != http.StatusNoContent:
					t.Fatalf("login %d (%s): %d %s", i, b, r.status, r.body)
				}
				alive := e.get("/users/me", loginCred(t, b, r)).status == http.StatusOK
				if b == "refresh" {
					alive = alive || e.refresh(decode(t, r.body)["refresh_token"].(string)).status == http.StatusOK
				}
				if alive {
					survivors[b]++
				}
			}
		}
		if len(survivors) > 0 {
			t.Errorf("sessions from logins with the old password outlived the reset, by backend: %v (%d trials of %d logins)", survivors, trials, logins)
		}
	})
}

// loginCred is the credential of a successful login's reply.
func loginCred(t *testing.T, backend string, r reply) cred {
	t.Helper()
	if strings.HasPrefix(backend, "cookie") {
		c := findCookie(t, r.header, "authkit")
		return func(req *http.Request) { req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
	}
	return bearer(decode(t, r.body)["access_token"].(string))
}

// Case 3: a superuser's change stands against the user's own update in
// flight: the stored row keeps it and the user's token obeys it.
func TestRaceAdminChangeStands(t *testing.T) {
	for _, flag := range []string{"is_active", "is_superuser"} {
		t.Run(flag, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
				e := open(func(c *authkit.Config) {
					c.UserFields = []authkit.UserField{{Name: "display_name", Type: authkit.FieldString}}
				}, withSlowVerify(10*time.Millisecond))
				e.register("arthur@camelot.bt", goodPassword)
				e.makeSuperuser("arthur@camelot.bt")
				admin := e.login("jwt", "arthur@camelot.bt", goodPassword)
				undone, conflicts := 0, 0
				for trial := range trials {
					email := fmt.Sprintf("kay%d@camelot.bt", trial)
					id := e.register(email, goodPassword)["id"].(string)
					if flag == "is_superuser" {
						e.makeSuperuser(email)
					}
					user := e.login("jwt", email, goodPassword)
					var replies [2]reply
					var errs [2]error
					barrier(2, func(i int) {
						if i == 0 {
							replies[i], errs[i] = e.send(http.MethodPatch, "/users/"+id, "application/json", `{"`+flag+`":false}`, admin)
							return
						}
						// The user's own update checks the current password:
						// it spends a verify between reading and writing.
						replies[i], errs[i] = e.send(http.MethodPatch, "/users/me", "application/json",
							`{"display_name":"Sir Kay","email":`+q("sir."+email)+`,"current_password":`+q(goodPassword)+`}`, user)
					})
					if errs[0] != nil || errs[1] != nil {
						t.Fatal(errs)
					}
					for i, r := range replies {
						// Either side may be refused, told so, with nothing
						// written; the user's own also for being inactive by then.
						if r.status != http.StatusOK && (r.status != http.StatusConflict || r.body != `{"detail":"UPDATE_USER_CONFLICT"}`) &&
							(i == 0 || flag != "is_active" || r.status != http.StatusUnauthorized) {
							t.Fatalf("PATCH %d: %d %s", i, r.status, r.body)
						}
						if r.status == http.StatusConflict {
							conflicts++
						}
					}
					if replies[0].status != http.StatusOK {
						continue // refused: nothing to stand
					}
					stored := decode(t, e.get("/users/"+id, admin).body)
					switch {
					case stored[flag] != false:
						undone++
					case flag == "is_active" && e.get("/users/me", user).status != http.StatusUnauthorized:
						undone++
					case flag == "is_superuser" && e.get("/users/"+id, user).status != http.StatusForbidden:
						undone++
					}
				}
				if undone > 0 {
					t.Errorf("%d of %d trials: the user's update undid the superuser's %s=false", undone, trials, flag)
				}
				t.Logf("%d of %d trials refused a side with 409", conflicts, trials)
			})
		})
	}
}

// Case 4: no refresh chain survives logout-all or a password change, even
// one being rotated at that moment.
func TestRaceEndSessionsDuringRotation(t *testing.T) {
	for _, how := range []string{"logout-all", "password"} {
		t.Run(how, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
				e := open()
				escaped := 0
				for trial := range trials {
					email := fmt.Sprintf("bedivere%d@camelot.bt", trial)
					e.register(email, goodPassword)
					_, refresh := e.loginRefresh(email)
					other := e.login("jwt", email, goodPassword)
					var last reply // the chain's last successful rotation
					var errs [2]error
					barrier(2, func(i int) {
						if i == 1 {
							time.Sleep(5 * time.Millisecond)
							if how == "logout-all" {
								_, errs[1] = e.send(http.MethodPost, "/auth/logout-all", "", "", other)
							} else {
								_, errs[1] = e.send(http.MethodPatch, "/users/me", "application/json",
									`{"password":"a brand new password","current_password":`+q(goodPassword)+`}`, other)
							}
							return
						}
						tok := refresh
						for range 200 {
							r, err := e.send(http.MethodPost, "/auth/refresh/refresh", "application/json", `{"refresh_token":`+q(tok)+`}`)
							if err != nil || r.status != http.StatusOK {
								errs[0] = err
								return
							}
							last = r
							tok = decode(t, r.body)["refresh_token"].(string)
						}
					})
					if errs[0] != nil || errs[1] != nil {
						t.Fatal(errs)
					}
					if last.status == 0 {
						continue // ended before its first rotation
					}
					m := decode(t, last.body)
					if e.refresh(m["refresh_token"].(string)).status == http.StatusOK ||
						e.get("/users/me", bearer(m["access_token"].(string))).status == http.StatusOK {
						escaped++
					}
				}
				if escaped > 0 {
					t.Errorf("%d of %d trials: a refresh chain survived %s", escaped, trials, how)
				}
			})
		})
	}
}

// Case 5: a session keeps a bounded number of rows however often it is
// refreshed.
func TestRefreshRowsBounded(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		e.register("tristan@camelot.bt", goodPassword)
		_, tok := e.loginRefresh("tristan@camelot.bt")
		for range 400 {
			r := e.refresh(tok)
			if r.status != http.StatusOK {
				t.Fatalf("refresh: %d %s", r.status, r.body)
			}
			tok = decode(t, r.body)["refresh_token"].(string)
		}
		var n int
		if err := e.db.Get(&n, `SELECT count(*) FROM authkit_refresh_tokens`); err != nil {
			t.Fatal(err)
		}
		if n > 2 {
			t.Errorf("%d rows after 400 rotations of one session, want at most 2", n)
		}
	})
}

// Case 6: a reset token mailed to the old address dies when the email
// changes.
func TestResetTokenAfterEmailChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		resets, verifies := make(chan string, 1), make(chan string, 1)
		e := open(withTokens(resets, verifies))
		e.register("elaine@astolat.bt", goodPassword)
		tok := e.resetToken("elaine@astolat.bt", resets)
		user := e.login("jwt", "elaine@astolat.bt", goodPassword)
		r := e.patchJSON("/users/me", `{"email":"elaine@corbenic.bt","current_password":`+q(goodPassword)+`}`, user)
		if r.status != http.StatusOK {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"taken over at last"}`),
			http.StatusBadRequest, `{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
	})
}

// Case 7 (b): the attacker links his provider account, then moves his
// local account to the victim's unregistered address. The victim resets
// the password, verifies and uses the account: the attacker's link no
// longer logs him into it, nor do his old sessions work.
func TestOAuthTakeoverByEmailChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		resets, verifies := make(chan string, 1), make(chan string, 1)
		o := newOAuthEnv(t, func(opts ...func(*authkit.Config)) *env {
			return open(append(opts, withTokens(resets, verifies))...)
		})
		acct := idptest.User{Sub: "sub-morgause", Email: "morgause@gmail.example", EmailVerified: true}
		id := o.register("morgause@orkney.bt", goodPassword)["id"].(string)
		attacker := o.login("jwt", "morgause@orkney.bt", goodPassword)
		if r := o.finish(o.start("/auth/associate/oidc", "", acct, attacker), attacker); r.status != http.StatusOK {
			t.Fatalf("associate: %d %s", r.status, r.body)
		}
		r := o.patchJSON("/users/me", `{"email":"guinevere@camelot.bt","current_password":`+q(goodPassword)+`}`, attacker)
		if r.status != http.StatusOK {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}

		// The owner of the mailbox takes the account.
		tok := o.resetToken("guinevere@camelot.bt", resets)
		expect(t, o.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"only guinevere knows"}`), http.StatusOK, `null`)
		vtok := o.verifyToken("guinevere@camelot.bt", verifies)
		if r := o.postJSON("/auth/verify", `{"token":`+q(vtok)+`}`); r.status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		victim := o.login("jwt", "guinevere@camelot.bt", "only guinevere knows")
		if o.me(victim)["id"] != id {
			t.Fatal("the victim is not in the account")
		}

		// The attacker: his old session, then his provider account.
		expect(t, o.get("/users/me", attacker), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		r = o.finish(o.start("/auth/oidc", "", acct))
		if r.status == http.StatusOK {
			if me := o.me(o.token(r)); me["id"] == id {
				t.Fatal("the attacker's provider account still logs into the victim's account")
			}
		}
		if l := o.links(id); len(l) != 0 {
			t.Errorf("links of the account after the reset: %+v", l)
		}
	})
}

// withReuseInterval gives the "refresh" backend a reuse interval.
func withReuseInterval(t *testing.T, d time.Duration) func(*authkit.Config) {
	return func(c *authkit.Config) {
		st := c.Users.(testStore)
		s, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a test secret that is long enough for HS256"), Store: st,
			Refresh: &strategy.RefreshConfig{Store: st, Users: st, ReuseInterval: d}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Backends {
			if c.Backends[i].Name == "refresh" {
				c.Backends[i].Strategy = s
			}
		}
	}
}

// A benign double refresh (two tabs, a retry): within the reuse interval
// both presentations get the same successor and the session lives on;
// strict (0), the second ends the session; after the interval, reuse
// detection ends it as always.
func TestRaceDoubleRefresh(t *testing.T) {
	for _, interval := range []time.Duration{0, 400 * time.Millisecond} {
		t.Run(interval.String(), func(t *testing.T) {
			forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
				e := open(withReuseInterval(t, interval))
				for trial := range trials {
					email := fmt.Sprintf("lamorak%d@camelot.bt", trial)
					e.register(email, goodPassword)
					_, tok := e.loginRefresh(email)
					replies := e.raceJSON(2, "/auth/refresh/refresh", func(int) string { return `{"refresh_token":` + q(tok) + `}` })
					var next []string
					for _, r := range replies {
						if r.status == http.StatusOK {
							next = append(next, decode(t, r.body)["refresh_token"].(string))
						} else {
							expect(t, r, http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
						}
					}
					if interval == 0 {
						// One rotation at most, and the reuse ended the session.
						if len(next) > 1 {
							t.Fatalf("strict: %d successes", len(next))
						}
						for _, n := range next {
							expect(t, e.refresh(n), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
						}
						continue
					}
					if len(next) != 2 || next[0] != next[1] {
						t.Fatalf("within the interval: %d successes, successors equal %v", len(next), len(next) == 2 && next[0] == next[1])
					}
					for _, r := range replies {
						if e.get("/users/me", bearer(decode(t, r.body)["access_token"].(string))).status != http.StatusOK {
							t.Fatal("an access token of the double refresh does not work")
						}
					}
					// One branch: the successor is the session's current token.
					var rows int
					if err := e.db.Get(&rows, e.db.Rebind(`SELECT count(*) FROM authkit_refresh_tokens WHERE used_at IS NULL AND user_id IN
						(SELECT id FROM authkit_users WHERE email = ?)`), email); err != nil {
						t.Fatal(err)
					}
					if rows != 1 {
						t.Fatalf("%d current tokens in the session, want 1", rows)
					}
					if trial == 0 {
						// Outside the interval, the old token is a theft again.
						time.Sleep(interval)
						expect(t, e.refresh(tok), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
						expect(t, e.refresh(next[0]), http.StatusBadRequest, `{"detail":"REFRESH_TOKEN_INVALID"}`)
						continue
					}
					r := e.refresh(next[0])
					if r.status != http.StatusOK {
						t.Fatalf("the successor: %d %s", r.status, r.body)
					}
				}
			})
		})
	}
}

// Refreshes are throttled per address and per session (429 with
// Retry-After); another session from the same address is not held back
// by one session's limit.
func TestRefreshThrottled(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		for _, rule := range []string{"address", "session"} {
			e := open(func(c *authkit.Config) {
				three := limiter.Rule{Limit: 3, Window: time.Minute}
				if rule == "address" {
					c.Throttle = authkit.Throttle{RefreshPerAddress: three}
				} else {
					c.Throttle = authkit.Throttle{RefreshPerSession: three}
				}
			})
			email := "dinadan." + rule + "@camelot.bt"
			e.register(email, goodPassword)
			_, tok := e.loginRefresh(email)
			_, other := e.loginRefresh(email)
			for range 3 {
				r := e.refresh(tok)
				if r.status != http.StatusOK {
					t.Fatalf("%s: refresh: %d %s", rule, r.status, r.body)
				}
				tok = decode(t, r.body)["refresh_token"].(string)
			}
			r := e.refresh(tok)
			expect(t, r, http.StatusTooManyRequests, `{"detail":"TOO_MANY_REQUESTS"}`)
			if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("%s: Retry-After %q", rule, ra)
			}
			want := http.StatusOK
			if rule == "address" {
				want = http.StatusTooManyRequests
			}
			if r := e.refresh(other); r.status != want {
				t.Errorf("%s: another session: %d %s, want %d", rule, r.status, r.body, want)
			}
		}
	})
}

// Changing the email tells the old address, when mail is set up.
func TestEmailChangeNotice(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, withMailer := withMail(t)
		e := open(withMailer)
		e.register("enid@camelot.bt", goodPassword)
		user := e.login("jwt", "enid@camelot.bt", goodPassword)
		r := e.patchJSON("/users/me", `{"email":"enid@cardiff.bt","current_password":`+q(goodPassword)+`}`, user)
		if r.status != http.StatusOK || decode(t, r.body)["is_verified"] != false {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}
		msg := box.wait(1)[0]
		if msg.To != "enid@camelot.bt" || !strings.Contains(msg.Text, "enid@cardiff.bt") || !strings.Contains(msg.HTML, "enid@cardiff.bt") {
			t.Errorf("notice to %q: %s", msg.To, msg.Text)
		}
	})
}
