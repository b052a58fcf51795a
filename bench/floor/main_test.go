package main

import (
	"bufio"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/google/uuid"
)

const secret = "a floor test secret, long enough for HKDF"

// The floor answers tokens that authkit's strategies wrote, on authkit's
// schema, the way the example does; and refuses anything else.
func TestFloorAnswersAuthkitTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "floor.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlite.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &store.User{ID: uuid.New(), Email: "floor@example.com", HashedPassword: "x", IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "authkit access", 32)
	if err != nil {
		t.Fatal(err)
	}
	jwtStrategy, err := strategy.NewJWT(strategy.JWTConfig{Secret: key, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	dbStrategy, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	jwtToken, err := jwtStrategy.Write(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	dbToken, err := dbStrategy.Write(ctx, u)
	if err != nil {
		t.Fatal(err)
	}

	base := startFloor(t, nil, "-db", "sqlite:"+path)
	check(t, base, u, jwtToken, dbToken)

	// With -redis, cookie tokens are redistoken's.
	rc, prefix := testdb.Redis(t)
	redisStrategy, err := redistoken.New(redistoken.Config{Client: rc, Users: st, Prefix: prefix + "token:"})
	if err != nil {
		t.Fatal(err)
	}
	redisToken, err := redisStrategy.Write(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	redisURL := os.Getenv(testdb.EnvRedis)
	if redisURL == "" {
		redisURL = testdb.DefaultRedis
	}
	base = startFloor(t, map[string]string{"NOTEBOOKS_REDIS_PREFIX": prefix}, "-db", "sqlite:"+path, "-redis", redisURL)
	check(t, base, u, jwtToken, redisToken)
}

// check asks the floor for the user with each kind of credential.
func check(t *testing.T, base string, u *store.User, jwtToken, cookieToken string) {
	t.Helper()
	for _, c := range []struct {
		name, header, value string
		want                int
	}{
		{"jwt", "Authorization", "Bearer " + jwtToken, http.StatusOK},
		{"cookie", "Cookie", "authkit=" + cookieToken, http.StatusOK},
		{"no token", "", "", http.StatusUnauthorized},
		{"forged jwt", "Authorization", "Bearer " + jwtToken[:len(jwtToken)-2] + "xx", http.StatusUnauthorized},
		{"unknown cookie", "Cookie", "authkit=" + strings.Repeat("A", len(cookieToken)), http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, base+"/users/me", nil)
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, body, c.want)
			continue
		}
		if c.want == http.StatusOK {
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil || got["id"] != u.ID.String() || got["email"] != u.Email {
				t.Errorf("%s: body %s", c.name, body)
			}
		}
	}
}

func TestFloorRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		args   []string
		secret string
	}{
		{[]string{"-db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, ""},
		{[]string{"-db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, "short"},
		{[]string{"-db", "mysql://x"}, secret},
		{[]string{"extra", "-db"}, secret},
	} {
		getenv := func(string) string { return c.secret }
		if err := run(context.Background(), c.args, getenv, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) with secret %q: no error", c.args, c.secret)
		}
	}
}

// startFloor runs the floor, with AUTHKIT_SECRET and the variables of env,
// until the test ends and returns its base URL.
func startFloor(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		getenv := func(name string) string {
			if name == "AUTHKIT_SECRET" {
				return secret
			}
			return env[name]
		}
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), getenv, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("floor: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("floor printed nothing")
	}
	go io.Copy(io.Discard, pr)
	base, ok := strings.CutPrefix(sc.Text(), "floor listening on ")
	if !ok {
		t.Fatalf("floor said %q", sc.Text())
	}
	return base
}
