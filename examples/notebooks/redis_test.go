package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/redis/go-redis/v9"
)

// closedAddr is a loopback address where nothing listens (any more).
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testRedisURL is the URL of the Redis that testdb.Redis reaches.
func testRedisURL() string {
	if u := os.Getenv(testdb.EnvRedis); u != "" {
		return u
	}
	return testdb.DefaultRedis
}

// redisKeys lists the keys matching pattern.
func redisKeys(t *testing.T, rdb *redis.Client, pattern string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, pattern, 100).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// accessTokenRows counts the database strategy's tokens in the SQL table.
func accessTokenRows(t *testing.T, dsn string) int {
	t.Helper()
	st, err := dbopen.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.DB().Close()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM authkit_access_tokens`); err != nil {
		t.Fatal(err)
	}
	return n
}

// With -redis, the cookie backend's tokens and the throttle's counts are
// in Redis, under the prefix, and no token is a row of the database;
// without it, the same steps leave a row and no key (so that the checks
// can fail).
func TestRedisFlag(t *testing.T) {
	rdb, prefix := testdb.Redis(t)
	for dbName, newDSN := range databases {
		for _, withRedis := range []bool{false, true} {
			name := dbName + "/local"
			if withRedis {
				name = dbName + "/redis"
			}
			t.Run(name, func(t *testing.T) {
				dsn := newDSN(t)
				prefix := prefix + strings.ReplaceAll(name, "/", "-") + ":"
				args := []string{"-db", dsn}
				if withRedis {
					args = append(args, "-redis", testRedisURL())
				}
				base := startServiceEnv(t, map[string]string{"NOTEBOOKS_REDIS_PREFIX": prefix}, io.Discard, args...)
				register(t, base, "ada@example.com", pw)

				// A wrong password is counted by each login rule.
				form := url.Values{"username": {"ada@example.com"}, "password": {"not-the-password"}}.Encode()
				res, err := http.Post(base+"/auth/cookie/login", "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest {
					t.Fatalf("wrong password: %d", res.StatusCode)
				}
				counts := redisKeys(t, rdb, prefix+"limit:login-client-account:*")
				if want := b2i(withRedis); len(counts) != want {
					t.Errorf("login-client-account counts in Redis: %q, want %d", counts, want)
				}

				c := login(t, base, "cookie", "ada@example.com", pw)
				tokens := redisKeys(t, rdb, prefix+"token:t:*")
				rows := accessTokenRows(t, dsn)
				if withRedis && (len(tokens) != 1 || rows != 0) {
					t.Fatalf("-redis: %d token keys %q and %d rows, want 1 key and no row", len(tokens), tokens, rows)
				}
				if !withRedis && (len(tokens) != 0 || rows != 1) {
					t.Fatalf("without -redis: %d token keys %q and %d rows, want no key and 1 row", len(tokens), tokens, rows)
				}

				c.expect(http.StatusNoContent, "POST", "/auth/cookie/logout", "", nil)
				c.expectDetail(http.StatusUnauthorized, "GET", "/users/me", "", `{"detail":"Unauthorized"}`)
				if tokens := redisKeys(t, rdb, prefix+"token:t:*"); len(tokens) != 0 {
					t.Errorf("after logout: token keys %q", tokens)
				}
			})
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
