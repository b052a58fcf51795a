//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/internal/testlog"
)

// instance is one running notebooks process.
type instance struct {
	name    string
	base    string
	cmd     *exec.Cmd
	stderr  *testlog.Buffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, once exited is closed
}

// buildNotebooks builds the example's binary into a temporary directory.
func buildNotebooks(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no go command to build the example with")
		}
		t.Skip("!!!!! SKIPPED, NOT TESTED: no go command to build the example with")
	}
	bin := filepath.Join(t.TempDir(), "notebooks")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startInstance starts bin as a separate process listening on a free
// port, and waits for its "listening" line. Whatever it returns, a
// non-nil instance must be killed (kill) when the test ends.
func startInstance(name, bin string, env []string, args ...string) (*instance, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer outW.Close() // the child holds its own copy
	in := &instance{name: name, stderr: &testlog.Buffer{}, exited: make(chan struct{})}
	in.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	in.cmd.Env = append(os.Environ(), env...)
	in.cmd.Stdout = outW
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		outR.Close()
		return nil, fmt.Errorf("instance %s: %w", name, err)
	}
	go func() {
		in.waitErr = in.cmd.Wait()
		close(in.exited)
	}()

	first := make(chan string, 1)
	go func() {
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		for i := 0; sc.Scan(); i++ {
			if i == 0 {
				first <- sc.Text()
			}
		}
		close(first) // EOF before any line
	}()
	select {
	case line := <-first:
		base, ok := strings.CutPrefix(line, "notebooks listening on ")
		if !ok {
			return in, fmt.Errorf("instance %s: first line %q\n%s", name, line, in.stderr)
		}
		in.base = base
		return in, nil
	case <-time.After(20 * time.Second):
		return in, fmt.Errorf("instance %s: no listening line after 20s\n%s", name, in.stderr)
	}
}

// kill ends the process if it still runs: the cleanup after a failure.
func (in *instance) kill() {
	select {
	case <-in.exited:
	default:
		in.cmd.Process.Kill()
		<-in.exited
	}
}

// stop ends the process as a service manager would (SIGTERM) and checks
// that it shuts down cleanly: exit status 0, in time.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("instance %s: SIGTERM: %v", in.name, err)
	}
	select {
	case <-in.exited:
		if in.waitErr != nil {
			t.Errorf("instance %s after SIGTERM: %v, want exit status 0\n%s", in.name, in.waitErr, in.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("instance %s: still running 15s after SIGTERM\n%s", in.name, in.stderr)
	}
}

// on returns a copy of c that calls another instance with the same token.
func on(c *client, in *instance) *client {
	c2 := *c
	c2.base = in.base
	return &c2
}

// wrongLogin tries a wrong password on in and returns the status and the
// Retry-After header.
func wrongLogin(t *testing.T, in *instance, email string) (int, string) {
	t.Helper()
	form := url.Values{"username": {email}, "password": {"not-the-password"}}.Encode()
	res, err := http.Post(in.base+"/auth/jwt/login", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// Two instances, separate processes, on one PostgreSQL schema and one
// Redis, with one secret, behave as one service: a token from either works
// on both, a logout or a password change on one holds on the other at
// once, and the login throttle counts the failures on both together.
func TestInstances(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	rdb, prefix := testdb.Redis(t) // the keys under prefix go when the test ends
	bin := buildNotebooks(t)
	env := []string{
		"AUTHKIT_SECRET=one secret shared by every instance, long enough",
		"NOTEBOOKS_REDIS_PREFIX=" + prefix,
	}
	args := []string{"-db", dsn, "-redis", testRedisURL()}

	// Started together: both migrate the same schema at once.
	ins := make([]*instance, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"A", "B"} {
		wg.Go(func() { ins[i], errs[i] = startInstance(name, bin, env, args...) })
	}
	wg.Wait()
	for _, in := range ins {
		if in != nil {
			t.Cleanup(in.kill)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	a, b := ins[0], ins[1]

	t.Run("tokens from A work on B", func(t *testing.T) {
		register(t, a.base, "ada@example.com", pw)
		for _, backend := range []string{"jwt", "cookie"} {
			onA := login(t, a.base, backend, "ada@example.com", pw)
			onA.expect(http.StatusOK, "GET", "/users/me", "", nil)
			if backend == "cookie" {
				// The shared database could carry cookie tokens too: check
				// that Redis is what carries them here.
				keys, rows := redisKeys(t, rdb, prefix+"token:t:*"), accessTokenRows(t, dsn)
				if len(keys) != 1 || rows != 0 {
					t.Fatalf("cookie token: %d keys in Redis, %d rows in the database; want 1 key, no row", len(keys), rows)
				}
			}
			on(onA, b).expect(http.StatusOK, "GET", "/users/me", "", nil)
			on(onA, b).expect(http.StatusCreated, "POST", "/api/notebooks", `{"title":"from B","content":""}`, nil)
			var list []notebook
			onA.expect(http.StatusOK, "GET", "/api/notebooks", "", &list)
			if len(list) == 0 || list[0].Title != "from B" {
				t.Fatalf("%s: A does not see B's notebook: %+v", backend, list)
			}

			// Logout on B: the token is refused on A at once.
			on(onA, b).expect(http.StatusNoContent, "POST", "/auth/"+backend+"/logout", "", nil)
			onA.expectDetail(http.StatusUnauthorized, "GET", "/users/me", "", `{"detail":"Unauthorized"}`)
			on(onA, b).expectDetail(http.StatusUnauthorized, "GET", "/users/me", "", `{"detail":"Unauthorized"}`)
		}
	})

	t.Run("a refresh token replayed on the other instance is caught", func(t *testing.T) {
		register(t, a.base, "hopper@example.com", pw)
		form := url.Values{"username": {"hopper@example.com"}, "password": {pw}}.Encode()
		res, err := http.Post(a.base+"/auth/jwt/login", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		json.NewDecoder(res.Body).Decode(&tok)
		res.Body.Close()
		refresh := func(in *instance, token string) (int, string) {
			res, err := http.Post(in.base+"/auth/jwt/refresh", "application/json", strings.NewReader(`{"refresh_token":"`+token+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var next struct {
				Refresh string `json:"refresh_token"`
			}
			json.NewDecoder(res.Body).Decode(&next)
			return res.StatusCode, next.Refresh
		}
		status, rotated := refresh(a, tok.Refresh) // rotated on A
		if status != http.StatusOK || rotated == "" {
			t.Fatalf("refresh on A: %d", status)
		}
		if status, _ := refresh(b, tok.Refresh); status != http.StatusBadRequest { // the old one, on B
			t.Fatalf("replay on B: %d, want 400", status)
		}
		// The whole session is over, on both: the rotated token, and the
		// access token of the login.
		if status, _ := refresh(a, rotated); status != http.StatusBadRequest {
			t.Fatalf("the rotated token after the replay: %d, want 400", status)
		}
		access := &client{t: t, base: a.base, hdr: http.Header{"Authorization": {"Bearer " + tok.Access}}}
		on(access, b).expectDetail(http.StatusUnauthorized, "GET", "/users/me", "", `{"detail":"Unauthorized"}`)
	})

	t.Run("password change on A ends the sessions on B", func(t *testing.T) {
		const newPW = "a-brand-new-passphrase-2025"
		register(t, b.base, "grace@example.com", pw)
		changer := login(t, a.base, "jwt", "grace@example.com", pw)
		others := map[string]*client{
			"jwt from B":    login(t, b.base, "jwt", "grace@example.com", pw),
			"cookie from B": login(t, b.base, "cookie", "grace@example.com", pw),
			"cookie from A": login(t, a.base, "cookie", "grace@example.com", pw),
		}
		for _, c := range others {
			on(c, b).expect(http.StatusOK, "GET", "/users/me", "", nil)
		}
		changer.expect(http.StatusOK, "PATCH", "/users/me",
			`{"password":"`+newPW+`","current_password":"`+pw+`"}`, nil)
		for name, c := range others {
			for _, in := range []*instance{b, a} {
				if status, _, body := on(c, in).do("GET", "/users/me", ""); status != http.StatusUnauthorized {
					t.Errorf("session %s, on %s after the change: %d %s, want 401", name, in.name, status, body)
				}
			}
		}
		// The session that made the change goes on, on both.
		on(changer, b).expect(http.StatusOK, "GET", "/users/me", "", nil)
		changer.expect(http.StatusOK, "GET", "/users/me", "", nil)
		login(t, b.base, "cookie", "grace@example.com", newPW)
	})

	t.Run("the login throttle counts on both", func(t *testing.T) {
		register(t, a.base, "bob@example.com", pw)
		// 5 per (account, address) per 10 minutes: A, B, A, B, A.
		for i, in := range []*instance{a, b, a, b, a} {
			if status, _ := wrongLogin(t, in, "bob@example.com"); status != http.StatusBadRequest {
				t.Fatalf("wrong password %d on %s: %d, want 400", i+1, in.name, status)
			}
		}
		for _, in := range []*instance{b, a} {
			status, retry := wrongLogin(t, in, "bob@example.com")
			secs, err := strconv.Atoi(retry)
			if status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 600 {
				t.Fatalf("after 5 failures, on %s: %d Retry-After %q, want 429 and 1..600 s", in.name, status, retry)
			}
		}
		// Another account from the same address is not blocked.
		if status, _ := wrongLogin(t, b, "ada@example.com"); status != http.StatusBadRequest {
			t.Fatalf("another account: %d, want 400", status)
		}
	})

	// SIGTERM to both: each drains and exits 0.
	a.stop(t)
	b.stop(t)
}
