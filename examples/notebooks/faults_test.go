//go:build unix

package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/faultproxy"
	"github.com/go-authkit/authkit/internal/smtptest"
	"github.com/go-authkit/authkit/internal/testdb"
)

// The faults of issue 13, against the built example (real processes, real
// PostgreSQL, real SMTP server), through the fault proxy.
func TestFaults(t *testing.T) {
	bin := buildNotebooks(t)
	env := []string{"AUTHKIT_SECRET=one secret shared by every instance, long enough"}
	fastMail := []string{"-limits", "off", "-mail-timeout", "1s", "-mail-backoff", "100ms"}

	// A database that stops answering — frozen, blackholed, or 2 s per
	// round trip — gets each request a JSON 503 with Retry-After within
	// -store-timeout plus a margin; once it is back, requests succeed
	// again within seconds.
	t.Run("database", func(t *testing.T) {
		t.Parallel()
		u, err := url.Parse(testdb.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		p := faultproxy.NewPostgres(t, u.Host)
		u.Host = p.Addr()
		in := start(t, "db", bin, env, "-db", u.String(), "-store-timeout", "300ms", "-limits", "off")
		token := registerAndLogin(t, in.base, "lancelot@camelot.bt")
		for _, tc := range []struct {
			name string
			set  func()
		}{
			{"freeze", func() { p.Set(faultproxy.Freeze) }},
			{"blackhole", func() { p.Set(faultproxy.Blackhole) }},
			{"latency", func() { p.SetLatency(2 * time.Second) }},
		} {
			tc.set()
			// authkit's routes, and the example's own API behind its middleware.
			for _, path := range []string{"/users/me", "/users/me", "/api/notebooks"} {
				begin := time.Now()
				status, retry, body := bearerGet(t, in.base+path, token)
				took := time.Since(begin)
				if status != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, `"detail"`) {
					t.Fatalf("%s: GET %s: %d Retry-After %q %s, want a JSON 503 with Retry-After", tc.name, path, status, retry, body)
				}
				if took > 300*time.Millisecond+700*time.Millisecond {
					t.Fatalf("%s: GET %s: the 503 took %v", tc.name, path, took)
				}
			}
			p.Set(faultproxy.Pass)
			back := time.Now()
			for {
				if status, _, _ := bearerGet(t, in.base+"/users/me", token); status == http.StatusOK {
					break
				}
				if time.Since(back) > 3*time.Second {
					t.Fatalf("%s: not recovered 3s after the database came back", tc.name)
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%s: recovered %v after the database came back", tc.name, time.Since(back))
		}
		in.stop(t)
	})

	// A Redis that stops answering (it keeps the cookie tokens) gets each
	// cookie request a 503 within -store-timeout plus a margin, and
	// recovers once it is back.
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		_, prefix := testdb.Redis(t)
		ru, err := url.Parse(testRedisURL())
		if err != nil {
			t.Fatal(err)
		}
		p := faultproxy.New(t, ru.Host)
		ru.Host = p.Addr()
		db := "sqlite:" + t.TempDir() + "/notebooks.db"
		in := start(t, "redis", bin, append(env, "NOTEBOOKS_REDIS_PREFIX="+prefix),
			"-db", db, "-redis", ru.String(), "-store-timeout", "300ms", "-limits", "off")
		registerAll(t, in.base, 1)
		c := login(t, in.base, "cookie", "knighta@camelot.bt", faultPassword)
		getMe := func() (int, time.Duration) {
			req, _ := http.NewRequest(http.MethodGet, in.base+"/users/me", nil)
			req.Header = c.hdr.Clone()
			begin := time.Now()
			res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode, time.Since(begin)
		}
		for _, mode := range []faultproxy.Mode{faultproxy.Freeze, faultproxy.Blackhole} {
			p.Set(mode)
			for range 3 {
				if status, took := getMe(); status != http.StatusServiceUnavailable || took > time.Second {
					t.Fatalf("Redis mode %d: %d after %v, want 503 within 1s", mode, status, took)
				}
			}
			p.Set(faultproxy.Pass)
			back := time.Now()
			for {
				if status, _ := getMe(); status == http.StatusOK {
					break
				}
				if time.Since(back) > 3*time.Second {
					t.Fatalf("Redis mode %d: not recovered 3s after Redis came back", mode)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		in.stop(t)
	})

	// kill -9 with every mail still in the outbox (the mail server refused
	// them): the next start sends each one, once.
	t.Run("kill -9", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t)
		db := "sqlite:" + t.TempDir() + "/notebooks.db"
		args := append([]string{"-db", db, "-smtp", srv.URL()}, fastMail...)
		srv.Set(smtptest.Down)
		in := start(t, "first", bin, env, args...)
		emails := registerAll(t, in.base, 4)
		forgotAll(t, in.base, emails, 5) // 20 mails
		in.kill()
		srv.Set(smtptest.Accept)
		again := start(t, "second", bin, env, args...)
		checkMails(t, srv, emails, 1+5)
		again.stop(t)
	})

	// SIGTERM while a mail server that accepted the connection says
	// nothing holds every send: the stop runs over -shutdown-timeout, says
	// so, exits 0, and the mails stay in the outbox for the next start.
	t.Run("SIGTERM", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t)
		p := faultproxy.New(t, srv.Addr())
		p.Set(faultproxy.Freeze)
		db := "sqlite:" + t.TempDir() + "/notebooks.db"
		args := append([]string{"-db", db, "-smtp", "smtp://" + p.Addr() + "?tls=none", "-shutdown-timeout", "300ms"},
			fastMail...)
		args = append(args, "-mail-timeout", "30s") // the sends hang until the stop
		in := start(t, "first", bin, env, args...)
		emails := registerAll(t, in.base, 4)
		forgotAll(t, in.base, emails, 5)
		time.Sleep(200 * time.Millisecond) // the worker is sending
		begin := time.Now()
		in.stop(t) // exit status 0
		if took := time.Since(begin); took > 3*time.Second {
			t.Errorf("the stop took %v with -shutdown-timeout 300ms", took)
		}
		if !strings.Contains(in.stderr.String(), "level=WARN") || !strings.Contains(in.stderr.String(), "shutdown-timeout") {
			t.Errorf("no warning about the stop running over:\n%s", in.stderr)
		}
		p.Set(faultproxy.Pass)
		again := start(t, "second", bin, env, append([]string{"-db", db, "-smtp", srv.URL()}, fastMail...)...)
		checkMails(t, srv, emails, 1+5)
		again.stop(t)
	})

	// A mail server that answers 451 "try later", then recovers: every
	// mail arrives, once.
	t.Run("SMTP 451", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t)
		srv.Set(smtptest.TryLater)
		db := "sqlite:" + t.TempDir() + "/notebooks.db"
		in := start(t, "one", bin, env, append([]string{"-db", db, "-smtp", srv.URL()}, fastMail...)...)
		emails := registerAll(t, in.base, 4)
		forgotAll(t, in.base, emails, 5)
		for deadline := time.Now().Add(10 * time.Second); srv.Refused() < 20; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the server refused only %d mails", srv.Refused())
			}
		}
		srv.Set(smtptest.Accept)
		checkMails(t, srv, emails, 1+5)
		in.stop(t)
	})

	// Two instances on one PostgreSQL database, the mails of both piled up
	// while the mail server was down: each mail is delivered exactly once.
	t.Run("two instances", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t)
		srv.Set(smtptest.Down)
		args := append([]string{"-db", testdb.PostgresURL(t), "-smtp", srv.URL()}, fastMail...)
		a := start(t, "a", bin, env, args...)
		b := start(t, "b", bin, env, args...)
		emails := registerAll(t, a.base, 4)
		forgotAll(t, a.base, emails, 5)
		forgotAll(t, b.base, emails, 5)
		srv.Set(smtptest.Accept)
		checkMails(t, srv, emails, 1+10)
		a.stop(t)
		b.stop(t)
	})
}

// start starts an instance, killed when the test ends.
func start(t *testing.T, name, bin string, env []string, args ...string) *instance {
	t.Helper()
	in, err := startInstance(name, bin, env, args...)
	if in != nil {
		t.Cleanup(in.kill)
	}
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func post(t *testing.T, u, contentType, body string) (int, string) {
	t.Helper()
	res, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const faultPassword = "correct horse battery staple"

func registerAndLogin(t *testing.T, base, email string) string {
	t.Helper()
	if status, body := post(t, base+"/auth/register", "application/json", `{"email":"`+email+`","password":"`+faultPassword+`"}`); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	status, body := post(t, base+"/auth/jwt/login", "application/x-www-form-urlencoded",
		url.Values{"username": {email}, "password": {faultPassword}}.Encode())
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	_, rest, _ := strings.Cut(body, `"access_token":"`)
	token, _, _ := strings.Cut(rest, `"`)
	return token
}

// bearerGet GETs u with a bearer token: the status, Retry-After and body.
func bearerGet(t *testing.T, u, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b)
}

func registerAll(t *testing.T, base string, n int) []string {
	t.Helper()
	var emails []string
	for i := range n {
		email := "knight" + string(rune('a'+i)) + "@camelot.bt"
		if status, body := post(t, base+"/auth/register", "application/json", `{"email":"`+email+`","password":"`+faultPassword+`"}`); status != http.StatusCreated {
			t.Fatalf("register: %d %s", status, body)
		}
		emails = append(emails, email)
	}
	return emails
}

// forgotAll asks for times reset mails for each email; each answer is 202.
func forgotAll(t *testing.T, base string, emails []string, times int) {
	t.Helper()
	for range times {
		for _, e := range emails {
			if status, body := post(t, base+"/auth/forgot-password", "application/json", `{"email":"`+e+`"}`); status != http.StatusAccepted {
				t.Fatalf("forgot-password: %d %s", status, body)
			}
		}
	}
}

// checkMails waits for per mails to each email and fails when any is
// missing or came twice. With -smtp, each registration mails its verify
// link: per counts it (1+) beside the reset mails.
func checkMails(t *testing.T, srv *smtptest.Server, emails []string, per int) {
	t.Helper()
	got := srv.Wait(len(emails)*per, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // nothing more arrives
	got = srv.Mails()
	count := map[string]int{}
	for _, m := range got {
		count[strings.Join(m.To, ",")]++
	}
	for _, e := range emails {
		if count[e] != per {
			t.Errorf("%s got %d mails, want %d", e, count[e], per)
		}
	}
	if len(got) != len(emails)*per {
		t.Errorf("%d mails delivered, want %d (0 lost, none twice)", len(got), len(emails)*per)
	}
}
