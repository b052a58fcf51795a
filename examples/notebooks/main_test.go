package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
)

// startService runs the example as main would, on a free port, and returns
// its base URL; it is stopped (as by SIGINT) when the test ends.
func startService(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"AUTHKIT_SECRET": "an example secret that is long enough, surely"}
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no address line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, outR)
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "notebooks listening on ")
	if !ok {
		t.Fatalf("address line %q", line)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no clean shutdown")
		}
	})
	return base
}

// The whole journey of a fresh client, on both backends: register, log in,
// /users/me, log out, and the same token refused.
func TestJourney(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "notebooks.db") },
		"postgres": func(t *testing.T) string {
			return testdb.PostgresURL(t)
		},
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			base := startService(t, "-db", dsn(t))
			c := &http.Client{}
			post := func(path, ctype, body string, hdr map[string]string) *http.Response {
				req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", ctype)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { res.Body.Close() })
				return res
			}
			me := func(hdr map[string]string) int {
				req, _ := http.NewRequest(http.MethodGet, base+"/users/me", nil)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if res := post("/auth/register", "application/json", `{"email":"ada@example.com","password":"analytical-engine-1843"}`, nil); res.StatusCode != 201 {
				t.Fatalf("register: %d", res.StatusCode)
			}
			form := url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}}.Encode()

			res := post("/auth/jwt/login", "application/x-www-form-urlencoded", form, nil)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 {
				t.Fatalf("jwt login: %d %v", res.StatusCode, err)
			}
			auth := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
			if s := me(auth); s != 200 {
				t.Fatalf("me (jwt): %d", s)
			}
			if res := post("/auth/jwt/logout", "", "", auth); res.StatusCode != 204 {
				t.Fatalf("jwt logout: %d", res.StatusCode)
			}
			if s := me(auth); s != 401 {
				t.Fatalf("me after jwt logout: %d", s)
			}

			res = post("/auth/cookie/login", "application/x-www-form-urlencoded", form, nil)
			if res.StatusCode != 204 || len(res.Cookies()) != 1 {
				t.Fatalf("cookie login: %d %v", res.StatusCode, res.Cookies())
			}
			cookie := map[string]string{"Cookie": "authkit=" + res.Cookies()[0].Value}
			if s := me(cookie); s != 200 {
				t.Fatalf("me (cookie): %d", s)
			}
			if res := post("/auth/cookie/logout", "", "", cookie); res.StatusCode != 204 {
				t.Fatalf("cookie logout: %d", res.StatusCode)
			}
			if s := me(cookie); s != 401 {
				t.Fatalf("me after cookie logout: %d", s)
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-db", "mysql://x"}, {"-nope"}, {"extra"}} {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("run(%v) = nil", args)
		}
	}
}

func TestMain(m *testing.M) {
	// The example's default database is a file in the working directory;
	// tests always pass -db, so none is left behind.
	os.Exit(m.Run())
}
