// Package peers runs the real peers of authkit's JWKS tests: better-auth
// (an issuer authkit verifies), jose and PyJWT (verifiers of authkit's
// tokens). The npm packages are pinned in testdata/peers (package.json and
// package-lock.json; `npm ci` there installs them, as .ci/run does), PyJWT
// is Debian's python3-jwt for /usr/bin/python3. Without them a test skips
// loudly; with CI=true it fails.
package peers

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Python is the interpreter Debian's python3-jwt is installed for (not a
// pyenv shim that may come first on PATH).
const Python = "/usr/bin/python3"

// missing skips the test, or fails it under CI.
func missing(t testing.TB, what string) {
	t.Helper()
	msg := "peers: " + what
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("!!!!! SKIPPED, NOT TESTED: " + msg)
}

// Dir is testdata/peers, with its npm packages installed.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "peers")
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "better-auth", "package.json")); err != nil {
		missing(t, "npm packages not installed: run `npm ci` in "+dir)
	}
	return dir
}

// CheckPyJWT skips (or fails) the test unless /usr/bin/python3 has PyJWT
// with its crypto (apt-get install python3-jwt python3-cryptography).
func CheckPyJWT(t testing.TB) {
	t.Helper()
	out, err := exec.Command(Python, "-c", "import jwt, cryptography; jwt.PyJWKClient").CombinedOutput()
	if err != nil {
		missing(t, fmt.Sprintf("PyJWT for %s: %v %s (apt-get install -y python3-jwt)", Python, err, strings.TrimSpace(string(out))))
	}
}

// StartBetterAuth starts better-auth.mjs with one issuer per PostgreSQL
// URL and returns their base URLs; env adds to the environment
// (ROTATE_SECONDS). The process ends with the test.
func StartBetterAuth(t testing.TB, env []string, dsns ...string) []string {
	t.Helper()
	dir := Dir(t)
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "better-auth.mjs")}, dsns...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close() // the script ends when its stdin does
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	var bases []string
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				t.Fatalf("better-auth ended before it was ready: %s", stderr.String())
			case line == "ready":
				return bases
			case strings.HasPrefix(line, "issuer "):
				bases = append(bases, strings.TrimPrefix(line, "issuer "))
			}
		case <-timeout:
			t.Fatalf("better-auth not ready after a minute: %s", stderr.String())
		}
	}
}

// Verdict is a verifier's answer for one token: OK with the token's sub
// and kid, or the reason of the refusal.
type Verdict struct {
	OK       bool
	Sub, Kid string
	Reason   string
}

// Verify runs a verifier — "jose" (verify-jose.mjs) or "pyjwt"
// (verify_pyjwt.py) — on tokens, against the key set at jwksURL, pinning
// issuer and audience, and returns its verdicts in order.
func Verify(t testing.TB, verifier, jwksURL, issuer, audience string, tokens ...string) []Verdict {
	t.Helper()
	dir := Dir(t)
	var cmd *exec.Cmd
	switch verifier {
	case "jose":
		cmd = exec.Command("node", filepath.Join(dir, "verify-jose.mjs"), jwksURL, issuer, audience)
	case "pyjwt":
		CheckPyJWT(t)
		cmd = exec.Command(Python, filepath.Join(dir, "verify_pyjwt.py"), jwksURL, issuer, audience)
	default:
		t.Fatalf("no verifier %q", verifier)
	}
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(strings.Join(tokens, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", verifier, err, stderr)
	}
	var vs []Verdict
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "ok":
			vs = append(vs, Verdict{OK: true, Sub: f[1], Kid: f[2]})
		case len(f) >= 1 && f[0] == "refused":
			vs = append(vs, Verdict{Reason: strings.Join(f[1:], " ")})
		default:
			t.Fatalf("%s: unexpected line %q", verifier, line)
		}
	}
	if len(vs) != len(tokens) {
		t.Fatalf("%s: %d verdicts for %d tokens: %s", verifier, len(vs), len(tokens), out)
	}
	return vs
}
