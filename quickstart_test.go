package authkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// quickStart is the README's Quick start: the first go block after its
// heading, so that the test and the README cannot drift apart.
func quickStart(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n## Quick start\n")
	if !ok {
		t.Fatal("README.md has no Quick start")
	}
	_, code, ok := strings.Cut(rest, "```go\n")
	if !ok {
		t.Fatal("the Quick start has no go block")
	}
	code, _, ok = strings.Cut(code, "```")
	if !ok {
		t.Fatal("the Quick start's go block does not end")
	}
	return code
}

// TestQuickStart pastes the README's Quick start into a new module that
// uses this repository, builds it, runs it as the README says and talks
// to it over HTTP; without AUTHKIT_SECRET it must stop with a clear error.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module quickstart\n\ngo 1.26\n\nrequire github.com/go-authkit/authkit v0.0.0\n\nreplace github.com/go-authkit/authkit => " + repo + "\n"
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(quickStart(t))} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "quickstart")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	build.Dir = dir
	// -mod=mod fills in go.mod from the module cache (or the proxy).
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("without AUTHKIT_SECRET", func(t *testing.T) {
		run := exec.Command(bin)
		run.Dir = dir
		run.Env = append(environWithout("AUTHKIT_SECRET"), "ADDR="+freeAddr(t))
		var out bytes.Buffer
		run.Stdout, run.Stderr = &out, &out
		err := runFor(t, run, 30*time.Second)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("exit: %v, want status 1\n%s", err, out.String())
		}
		if got := out.String(); strings.Contains(got, "panic") || !strings.Contains(got, "strategy: secret has 0 bytes, at least 32 are required") {
			t.Fatalf("output %q: want the secret's error, no panic", got)
		}
	})

	t.Run("with AUTHKIT_SECRET", func(t *testing.T) {
		addr := freeAddr(t)
		run := exec.Command(bin)
		run.Dir = dir
		run.Env = append(environWithout("AUTHKIT_SECRET"), "AUTHKIT_SECRET=0123456789abcdef0123456789abcdef", "ADDR="+addr)
		var out bytes.Buffer
		run.Stdout, run.Stderr = &out, &out
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			run.Process.Kill()
			run.Wait()
		}()
		base := "http://" + addr
		if !listening(addr) {
			run.Process.Kill()
			run.Wait() // out is complete, and no longer written
			t.Fatalf("nothing listens on %s\n%s", addr, out.String())
		}

		post := func(path, ctype, body string) (int, string) {
			res, err := http.Post(base+path, ctype, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := post("/auth/register", "application/json", `{"email":"ada@example.com","password":"analytical-engine-1843"}`); code != http.StatusCreated {
			t.Fatalf("register: %d %s", code, body)
		}
		code, body := post("/auth/jwt/login", "application/x-www-form-urlencoded",
			url.Values{"username": {"ada@example.com"}, "password": {"analytical-engine-1843"}}.Encode())
		var token string
		if _, err := fmt.Sscanf(body, `{"access_token":%q`, &token); code != http.StatusOK || err != nil {
			t.Fatalf("login: %d %s", code, body)
		}
		hello := func(auth string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, base+"/hello", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := hello("Bearer " + token); code != http.StatusOK || body != "hello ada@example.com\n" {
			t.Fatalf("hello: %d %q", code, body)
		}
		if code, body := hello(""); code != http.StatusUnauthorized || body != `{"detail":"Unauthorized"}` {
			t.Fatalf("hello without a token: %d %q", code, body)
		}
	})
}

func environWithout(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// freeAddr is a loopback address nothing listens on (for now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// runFor runs cmd to its end, killing it after d.
func runFor(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running after %v", d)
		return nil
	}
}

// listening waits up to 30 s for addr to accept connections.
func listening(addr string) bool {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return true
		}
	}
	return false
}
