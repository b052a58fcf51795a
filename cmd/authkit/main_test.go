package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/strategy"
)

// A password the policy accepts.
const goodPassword = "correct horse battery staple"

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line args with env as the environment and a
// standard input that is not a terminal.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// want fails the test unless r exited with code.
func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// forEachDB runs test on a fresh SQLite file and on a fresh PostgreSQL
// schema, each named by a -db URL.
func forEachDB(t *testing.T, test func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, "sqlite:"+filepath.Join(t.TempDir(), "authkit.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, testdb.PostgresURL(t))
	})
}

// openKit opens db as the CLI does, for the test to look at what it did.
func openKit(t *testing.T, db string) (dbopen.Store, *authkit.Manager) {
	t.Helper()
	st, err := openStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DB().Close() })
	kit, err := newKit(st, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	return st, kit.Manager()
}

func createSuperuser(t *testing.T, db, email string) {
	t.Helper()
	r := runCLI(t, map[string]string{envPassword: goodPassword}, "createsuperuser", "-db", db, "-email", email).want(t, 0)
	if !strings.Contains(r.stdout, "created superuser "+email) {
		t.Fatalf("stdout = %q", r.stdout)
	}
}

func TestMigrate(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		r := runCLI(t, nil, "migrate", "-db", db).want(t, 0)
		if r.stdout != "applied migration 1\napplied migration 2\napplied migration 3\napplied migration 4\napplied migration 5\napplied migration 6\napplied migration 7\napplied migration 8\napplied migration 9\napplied migration 11\nschema at version 11\n" || r.stderr != "" {
			t.Errorf("first migrate: stdout %q, stderr %q", r.stdout, r.stderr)
		}
		r = runCLI(t, nil, "migrate", "-db", db).want(t, 0)
		if r.stdout != "nothing to do: schema at version 11\n" || r.stderr != "" {
			t.Errorf("second migrate: stdout %q, stderr %q", r.stdout, r.stderr)
		}
	})
}

func TestCreateSuperuser(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		// No migrate first: a fresh database works.
		createSuperuser(t, db, "Admin@Example.com")

		st, m := openKit(t, db)
		u, err := st.UserByEmail(t.Context(), "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "Admin@Example.com" || !u.IsActive || !u.IsSuperuser || !u.IsVerified {
			t.Errorf("user = %+v, want an active, verified superuser", u)
		}
		// The production hasher, not a cheap one.
		if !strings.HasPrefix(u.HashedPassword, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("hash %q: want argon2id with the default parameters", u.HashedPassword)
		}
		if _, err := m.Authenticate(t.Context(), "admin@example.com", goodPassword); err != nil {
			t.Errorf("log in with the password: %v", err)
		}
		if _, err := m.Authenticate(t.Context(), "admin@example.com", goodPassword+"!"); !errors.Is(err, authkit.ErrBadCredentials) {
			t.Errorf("log in with another password: %v, want ErrBadCredentials", err)
		}

		// The same email in another case is the same user.
		r := runCLI(t, map[string]string{envPassword: goodPassword}, "createsuperuser", "-db", db, "-email", "admin@EXAMPLE.com").want(t, 1)
		if !strings.HasPrefix(r.stderr, "authkit: a user with email admin@EXAMPLE.com already exists") {
			t.Errorf("duplicate: stderr %q", r.stderr)
		}
	})
}

func TestCreateSuperuserWeakPassword(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		for _, pw := range []string{"password", "short", "boss@example.com"} {
			r := runCLI(t, map[string]string{envPassword: pw}, "createsuperuser", "-db", db, "-email", "boss@example.com").want(t, 1)
			// One line, with the policy's reason and the prefix once.
			if !strings.HasPrefix(r.stderr, "authkit: password refused: ") || strings.Count(r.stderr, "\n") != 1 ||
				strings.Count(r.stderr, "authkit:") != 1 || r.stdout != "" {
				t.Errorf("password %q: stdout %q, stderr %q", pw, r.stdout, r.stderr)
			}
		}
		r := runCLI(t, map[string]string{envPassword: "password"}, "createsuperuser", "-db", db, "-email", "boss@example.com").want(t, 1)
		if !strings.Contains(strings.ToLower(r.stderr), "common") {
			t.Errorf("a common password: stderr %q does not say why", r.stderr)
		}
		st, _ := openKit(t, db)
		if users, err := st.ListUsers(t.Context()); err != nil || len(users) != 0 {
			t.Errorf("users after refusals: %v, %v", users, err)
		}
	})
}

func TestCreateSuperuserNoPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authkit.db")
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	// A reader, and a file that is no terminal.
	for _, stdin := range []io.Reader{strings.NewReader(goodPassword + "\n"), devNull} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), []string{"createsuperuser", "-db", "sqlite:" + path, "-email", "a@example.com"},
			func(string) string { return "" }, stdin, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "AUTHKIT_PASSWORD") ||
			!strings.Contains(stderr.String(), "not a terminal") {
			t.Errorf("stdin %T: exit %d, stderr %q", stdin, code, stderr.String())
		}
	}
	// Refused before the database was touched.
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("database file: %v, want none", err)
	}
}

func TestCreateSuperuserBadEmail(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "authkit.db")
	env := map[string]string{envPassword: goodPassword}
	r := runCLI(t, env, "createsuperuser", "-db", db).want(t, 2)
	if !strings.Contains(r.stderr, "-email is required") {
		t.Errorf("no -email: stderr %q", r.stderr)
	}
	for _, email := range []string{"nobody", "Bob <bob@example.com>"} {
		r = runCLI(t, env, "createsuperuser", "-db", db, "-email", email).want(t, 1)
		if !strings.Contains(r.stderr, "not a valid email address") {
			t.Errorf("-email %q: stderr %q", email, r.stderr)
		}
	}
}

// users list and users set refuse a mistyped SQLite path instead of
// creating an empty database there.
func TestMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "typo.db")
	for _, args := range [][]string{{"users", "list"}, {"users", "list", "-json"}, {"users", "set", "-email", "a@example.com", "-active=false"}} {
		r := runCLI(t, nil, append(args, "-db", db)...).want(t, 1)
		if want := "authkit: " + db + ": no such database (authkit migrate -db " + db + " creates it)\n"; r.stderr != want || r.stdout != "" {
			t.Errorf("%v: stdout %q, stderr %q, want %q", args, r.stdout, r.stderr, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "typo.db")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created the file: %v", args, err)
		}
	}
	runCLI(t, nil, "migrate", "-db", db).want(t, 0)
	runCLI(t, nil, "users", "list", "-db", db).want(t, 0)
}

func TestUsersList(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		runCLI(t, nil, "migrate", "-db", db).want(t, 0)
		r := runCLI(t, nil, "users", "list", "-json", "-db", db).want(t, 0)
		if r.stdout != "[]\n" {
			t.Errorf("empty database, -json: %q, want []", r.stdout)
		}
		createSuperuser(t, db, "root@example.com")
		_, m := openKit(t, db)
		// The application's own fields: users list -json shows them as the
		// HTTP API does, beside the standard ones.
		if _, err := m.Create(t.Context(), authkit.UserCreate{Email: "alice@example.com", Password: goodPassword, IsActive: true,
			Fields: map[string]any{"display_name": "Alice", "plan": "pro"}}, nil); err != nil {
			t.Fatal(err)
		}

		r = runCLI(t, nil, "users", "list", "-db", db).want(t, 0)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID EMAIL ACTIVE SUPERUSER VERIFIED CREATED" {
			t.Fatalf("table:\n%s", r.stdout)
		}
		// Oldest first.
		if f := strings.Fields(lines[1]); len(f) != 6 || f[1] != "root@example.com" || f[2] != "true" || f[3] != "true" || f[4] != "true" {
			t.Errorf("superuser row: %q", lines[1])
		}
		if f := strings.Fields(lines[2]); len(f) != 6 || f[1] != "alice@example.com" || f[2] != "true" || f[3] != "false" || f[4] != "false" {
			t.Errorf("registered user row: %q", lines[2])
		}
		if strings.Contains(r.stdout, "$argon2id$") {
			t.Errorf("table shows a hash:\n%s", r.stdout)
		}

		r = runCLI(t, nil, "users", "list", "-json", "-db", db).want(t, 0)
		if strings.Contains(r.stdout, "$argon2id$") || strings.Contains(r.stdout, "hashed_password") {
			t.Errorf("JSON shows a hash:\n%s", r.stdout)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0]["email"] != "root@example.com" || got[0]["is_superuser"] != true ||
			got[1]["email"] != "alice@example.com" || got[1]["is_verified"] != false {
			t.Fatalf("JSON: %v", got)
		}
		for _, k := range []string{"id", "is_active", "created_at", "updated_at"} {
			if _, ok := got[0][k]; !ok {
				t.Errorf("JSON: no %q in %v", k, got[0])
			}
		}
		if got[1]["display_name"] != "Alice" || got[1]["plan"] != "pro" || len(got[1]) != 9 || len(got[0]) != 7 {
			t.Errorf("JSON without the application's fields: %v", got)
		}
	})
}

func TestUsersSet(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		createSuperuser(t, db, "carol@example.com")
		st, _ := openKit(t, db)
		flags := func() [3]bool {
			t.Helper()
			u, err := st.UserByEmail(t.Context(), "carol@example.com")
			if err != nil {
				t.Fatal(err)
			}
			return [3]bool{u.IsActive, u.IsSuperuser, u.IsVerified}
		}

		r := runCLI(t, nil, "users", "set", "-db", db, "-email", "CAROL@example.com", "-superuser=false").want(t, 0)
		if !strings.Contains(r.stdout, "carol@example.com") {
			t.Errorf("set prints %q", r.stdout)
		}
		if got := flags(); got != [3]bool{true, false, true} {
			t.Errorf("after -superuser=false: active, superuser, verified = %v", got)
		}
		runCLI(t, nil, "users", "set", "-db", db, "-email", "carol@example.com", "-verified=false", "-superuser").want(t, 0)
		if got := flags(); got != [3]bool{true, true, false} {
			t.Errorf("after -verified=false -superuser: %v", got)
		}

		// "-active false" would mean -active=true and an argument: refused.
		r = runCLI(t, nil, "users", "set", "-db", db, "-email", "carol@example.com", "-active", "false").want(t, 2)
		if !strings.Contains(r.stderr, `unexpected argument "false"`) {
			t.Errorf("-active false: stderr %q", r.stderr)
		}
		r = runCLI(t, nil, "users", "set", "-db", db, "-email", "carol@example.com").want(t, 2)
		if !strings.Contains(r.stderr, "nothing to change") {
			t.Errorf("no flag: stderr %q", r.stderr)
		}
		runCLI(t, nil, "users", "set", "-db", db, "-active=false").want(t, 2)
		runCLI(t, nil, "users", "set", "-db", db, "-email", "carol@example.com", "-active=maybe").want(t, 2)
		if got := flags(); got != [3]bool{true, true, false} {
			t.Errorf("after refused commands: %v", got)
		}

		r = runCLI(t, nil, "users", "set", "-db", db, "-email", "dave@example.com", "-active=false").want(t, 1)
		if r.stderr != "authkit: no user with email dave@example.com\n" {
			t.Errorf("unknown email: stderr %q", r.stderr)
		}
	})
}

// TestUsersSetEndsSessions: deactivating a user ends their sessions in
// both strategies the service may use, for good: they stay ended once the
// user is active again.
func TestUsersSetEndsSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		createSuperuser(t, db, "erin@example.com")
		st, _ := openKit(t, db)
		u, err := st.UserByEmail(t.Context(), "erin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		// The service's strategies, with its own secret.
		jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a service secret of 32 bytes or more"), Store: st})
		if err != nil {
			t.Fatal(err)
		}
		dbs, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		strategies := map[string]strategy.Strategy{"jwt": jwt, "database": dbs}
		tokens := map[string]string{}
		for name, s := range strategies {
			if tokens[name], err = s.Write(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Read(t.Context(), tokens[name]); err != nil {
				t.Fatalf("%s: fresh token: %v", name, err)
			}
		}
		runCLI(t, nil, "users", "set", "-db", db, "-email", "erin@example.com", "-active=false").want(t, 0)
		runCLI(t, nil, "users", "set", "-db", db, "-email", "erin@example.com", "-active=true").want(t, 0)
		for name, s := range strategies {
			if _, err := s.Read(t.Context(), tokens[name]); !errors.Is(err, strategy.ErrInvalidToken) {
				t.Errorf("%s: token from before the deactivation: %v, want ErrInvalidToken", name, err)
			}
		}
	})
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string // substrings; "" means empty
	}{
		{nil, 2, "", "usage: authkit <command>"},
		{[]string{"frobnicate"}, 2, "", `authkit: unknown command "frobnicate"`},
		{[]string{"help"}, 0, "createsuperuser", ""},
		{[]string{"-h"}, 0, "users set", ""},
		{[]string{"help", "users", "set"}, 0, "-superuser", ""},
		{[]string{"help", "createsuperuser"}, 0, "AUTHKIT_PASSWORD", ""},
		{[]string{"users"}, 2, "", "usage: authkit users"},
		{[]string{"users", "frob"}, 2, "", `unknown command "users frob"`},
		{[]string{"migrate", "-nope"}, 2, "", "flag provided but not defined: -nope"},
		{[]string{"migrate", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"version", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"migrate", "-db", "mysql://x"}, 1, "", "authkit: dbopen: want sqlite:PATH or a postgres:// URL"},
	} {
		r := runCLI(t, nil, tc.args...)
		ok := r.code == tc.code &&
			(tc.stdout == "" && r.stdout == "" || tc.stdout != "" && strings.Contains(r.stdout, tc.stdout)) &&
			(tc.stderr == "" && r.stderr == "" || tc.stderr != "" && strings.Contains(r.stderr, tc.stderr))
		if !ok {
			t.Errorf("authkit %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, nil, "version").want(t, 0)
	// A test binary has no module version: "(devel)".
	want := "authkit (devel) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if r.stdout != want {
		t.Errorf("version = %q, want %q", r.stdout, want)
	}
}

// TestBinary builds the command and runs it as a shell would, for the real
// exit statuses and the real standard input.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "authkit")
	if out, err := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		output string
	}{
		{[]string{"version"}, 0, "authkit "},
		{[]string{"frobnicate"}, 2, "unknown command"},
		// Standard input is /dev/null: no terminal to ask at.
		{[]string{"createsuperuser", "-email", "a@example.com", "-db", "sqlite:" + filepath.Join(t.TempDir(), "a.db")}, 1, "not a terminal"},
	} {
		cmd := exec.CommandContext(t.Context(), bin, tc.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.output) {
			t.Errorf("authkit %q: exit %d, output %q; want %d and %q", tc.args, code, out, tc.code, tc.output)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com":         "bob@example.com",
		"jürgen@exämple.de":       "jürgen@exämple.de",
		"evil\u202e@example.com":  `"evil\u202e@example.com"`,
		"esc\x1b[2J@example.com":  `"esc\x1b[2J@example.com"`,
		"bad\xff@example.com":     `"bad\xff@example.com"`,
		"zero\u200bwidth@x.y":     `"zero\u200bwidth@x.y"`,
		"new\nline@example.com":   `"new\nline@example.com"`,
		"tab\tin@example.com":     `"tab\tin@example.com"`,
		"nbsp\u00a0in@example.co": `"nbsp` + "\u00a0" + `in@example.co"`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPrintable: whatever a registered email holds, what reaches the
// terminal is printable.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"bob@example.com", "evil\u202e@example.com", "\x1b]0;title\x07", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := printable(s)
		if !utf8.ValidString(got) {
			t.Fatalf("printable(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if !unicode.IsGraphic(r) {
				t.Fatalf("printable(%q) = %q: holds %U", s, got, r)
			}
		}
		if got != s && got[0] != '"' {
			t.Fatalf("printable(%q) = %q: changed but not quoted", s, got)
		}
	})
}

// Run is driven with a context; one that has ended stops the command.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr bytes.Buffer
	db := "sqlite:" + filepath.Join(t.TempDir(), "authkit.db")
	code := run(ctx, []string{"users", "list", "-db", db}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	if code != exitInterrupted || stderr.String() != "authkit: interrupted\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestKeys: keys generate writes the key pair the service signs with;
// keys rotate writes the next one, which signs, while the previous one
// still verifies; both refuse the wrong directory.
func TestKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	runCLI(t, nil, "keys", "rotate", "-dir", dir).want(t, 1)
	r := runCLI(t, nil, "keys", "generate", "-dir", dir).want(t, 0)
	first, _, _ := strings.Cut(strings.TrimPrefix(r.stdout, "wrote key "), " ")
	ks, err := strategy.LoadKeyDir(dir, defaultMaxTokenAge, time.Now())
	if err != nil || ks.SigningKeyID != first {
		t.Fatalf("after generate: %v, signing %q, want %q", err, ks.SigningKeyID, first)
	}
	if _, ok := ks.SigningKey.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("default key %T, want ES256", ks.SigningKey)
	}
	runCLI(t, nil, "keys", "generate", "-dir", dir).want(t, 1) // has keys already
	r = runCLI(t, nil, "keys", "rotate", "-dir", dir, "-alg", "EdDSA").want(t, 0)
	second, _, _ := strings.Cut(strings.TrimPrefix(r.stdout, "wrote key "), " ")
	ks, err = strategy.LoadKeyDir(dir, defaultMaxTokenAge, time.Now())
	if err != nil || ks.SigningKeyID != second || ks.VerificationKeys[first] == nil {
		t.Fatalf("after rotate: %v, signing %q (want %q), verifying %v", err, ks.SigningKeyID, second, ks.VerificationKeys)
	}
	if _, ok := ks.SigningKey.(ed25519.PrivateKey); !ok {
		t.Fatalf("rotated key %T, want EdDSA", ks.SigningKey)
	}
	// With a token age already over, the next rotation deletes the first key.
	r = runCLI(t, nil, "keys", "rotate", "-dir", dir, "-max-token-age", "1ns").want(t, 0)
	if !strings.Contains(r.stdout, "deleted key "+first) {
		t.Fatalf("rotate with expired keys: %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, first+".pem")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the expired key is still there: %v", err)
	}
	runCLI(t, nil, "keys", "rotate", "-dir", dir, "-alg", "HS256").want(t, 1)
	runCLI(t, nil, "keys", "rotate").want(t, 2)
	runCLI(t, nil, "keys").want(t, 2)
	runCLI(t, nil, "keys", "frob").want(t, 2)
}
