package redislimiter_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/limiter/limitertest"
	"github.com/go-authkit/authkit/limiter/redislimiter"
	"github.com/redis/go-redis/v9"
)

// envRedis names the environment variable holding the test server's URL.
const envRedis = "AUTHKIT_TEST_REDIS"

const defaultRedis = "redis://127.0.0.1:6379/0"

// testClient connects to the Redis server named by AUTHKIT_TEST_REDIS. When
// it cannot be reached the test is skipped, or fails when CI=true.
func testClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv(envRedis)
	if url == "" {
		url = defaultRedis
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s=%q: %v", envRedis, url, err)
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1 // skip at once when nothing listens
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		msg := "redislimiter: Redis unreachable at " + envRedis + "=" + opts.Addr + ": " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!!!! SKIPPED, NOT TESTED: " + msg)
	}
	return client
}

// testPrefix returns a prefix of the test's own, whose keys are deleted
// when the test ends.
func testPrefix(t *testing.T, client *redis.Client) string {
	t.Helper()
	prefix := "authkit:test:" + rand.Text() + ":"
	t.Cleanup(func() { deleteKeys(t, client, prefix) })
	return prefix
}

func deleteKeys(t *testing.T, client *redis.Client, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys := scan(t, client, prefix)
	if len(keys) > 0 {
		if err := client.Del(ctx, keys...).Err(); err != nil {
			t.Errorf("clean-up of %s*: %v", prefix, err)
		}
	}
}

// scan lists the keys under prefix, which must hold no glob characters.
func scan(t *testing.T, client *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := client.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN %s*: %v", prefix, err)
	}
	return keys
}

func newLimiter(t *testing.T, client redis.UniversalClient, rule limiter.Rule, prefix string) *redislimiter.Limiter {
	t.Helper()
	l, err := redislimiter.New(client, rule, prefix)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

func hashed(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:])
}

func TestConformance(t *testing.T) {
	client := testClient(t)
	limitertest.Run(t, func(t *testing.T, rule limiter.Rule) limiter.Limiter {
		return newLimiter(t, client, rule, testPrefix(t, client))
	}, time.Sleep)
}

// TestKeys: one Redis key per limiter key, named prefix + hex SHA-256, with
// the window as its TTL, and no trace of the raw key.
func TestKeys(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	prefix := testPrefix(t, client)
	rule := limiter.Rule{Limit: 3, Window: 10*time.Second + time.Nanosecond} // 10001 ms
	l := newLimiter(t, client, rule, prefix)

	email := "King.Arthur@camelot.bt\r\nFLUSHALL *"
	l.Take(ctx, email)
	l.Take(ctx, email)
	keys := scan(t, client, prefix)
	if want := hashed(prefix, email); len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys = %q, want [%q]", keys, want)
	}
	if strings.Contains(keys[0], "camelot") {
		t.Errorf("key %q holds the raw key", keys[0])
	}
	if n, err := client.Get(ctx, keys[0]).Int(); err != nil || n != 2 {
		t.Errorf("count = %d, %v; want 2", n, err)
	}
	ttl, err := client.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 9*time.Second || ttl > 10001*time.Millisecond {
		t.Errorf("PTTL = %v, %v; want the window, 10.001s, rounded up to ms", ttl, err)
	}

	// Refused takes do not push the TTL back.
	for range 5 {
		l.Take(ctx, email)
	}
	if ttl2 := client.PTTL(ctx, keys[0]).Val(); ttl2 > ttl {
		t.Errorf("PTTL grew from %v to %v: the window was extended", ttl, ttl2)
	}

	if err := l.Reset(ctx, email); err != nil {
		t.Fatal(err)
	}
	if keys := scan(t, client, prefix); len(keys) != 0 {
		t.Errorf("keys after Reset: %q", keys)
	}
}

func TestDefaultPrefix(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	l := newLimiter(t, client, limiter.Rule{Limit: 1, Window: time.Minute}, "")
	key := "redislimiter-test-" + rand.Text()
	t.Cleanup(func() { client.Del(context.Background(), hashed(redislimiter.DefaultPrefix, key)) })
	l.Take(ctx, key)
	if n, err := client.Exists(ctx, hashed("authkit:limit:", key)).Result(); err != nil || n != 1 {
		t.Errorf("EXISTS authkit:limit:<sha256> = %d, %v; want 1", n, err)
	}
}

// TestNoTTLHealed: a count without a TTL gets the window's, so that no key
// blocks forever.
func TestNoTTLHealed(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	prefix := testPrefix(t, client)
	rule := limiter.Rule{Limit: 5, Window: 30 * time.Second}
	l := newLimiter(t, client, rule, prefix)

	for _, method := range []string{"Allow", "Take"} {
		k := hashed(prefix, method)
		client.Set(ctx, k, 9, 0)
		var ok bool
		var retry time.Duration
		var err error
		if method == "Allow" {
			ok, retry, err = l.Allow(ctx, method)
		} else {
			ok, retry, err = l.Take(ctx, method)
		}
		if err != nil || ok || retry != 30*time.Second {
			t.Errorf("%s on a count of 9 without TTL = %v, %v, %v; want false, 30s, nil", method, ok, retry, err)
		}
		if ttl := client.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 30*time.Second {
			t.Errorf("%s: PTTL = %v afterwards, want the window", method, ttl)
		}
	}
}

// TestNotACounter: a foreign value under our key is an error, not a pass.
func TestNotACounter(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	prefix := testPrefix(t, client)
	l := newLimiter(t, client, limiter.Rule{Limit: 5, Window: time.Minute}, prefix)
	client.Set(ctx, hashed(prefix, "k"), "not a number", time.Minute)
	if ok, _, err := l.Allow(ctx, "k"); err == nil || ok {
		t.Errorf("Allow = %v, %v; want an error", ok, err)
	}
	if ok, _, err := l.Take(ctx, "k"); err == nil || ok {
		t.Errorf("Take = %v, %v; want an error", ok, err)
	}
}

// TestSharedAcrossInstances: limiters on two connections, as two instances
// of a service would have, count together, exactly, under concurrency.
func TestSharedAcrossInstances(t *testing.T) {
	a, b := testClient(t), testClient(t)
	prefix := testPrefix(t, a)
	rule := limiter.Rule{Limit: 42, Window: time.Minute}
	instances := []*redislimiter.Limiter{newLimiter(t, a, rule, prefix), newLimiter(t, b, rule, prefix)}

	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			ok, _, err := instances[i%2].Take(context.Background(), "guinevere@camelot.bt")
			if err != nil {
				t.Error(err)
			}
			if ok {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := passed.Load(); n != int64(rule.Limit) {
		t.Errorf("%d of 100 Takes over two instances passed, want %d", n, rule.Limit)
	}
	if n, _ := a.Get(context.Background(), hashed(prefix, "guinevere@camelot.bt")).Int(); n != 100 {
		t.Errorf("count = %d, want 100", n)
	}
}

// TestRedisDown: with no server, every method returns an error (and no
// verdict to act on); the caller decides.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	defer client.Close()
	l := newLimiter(t, client, limiter.Rule{Limit: 5, Window: time.Minute}, "")
	ctx := context.Background()
	if ok, retry, err := l.Allow(ctx, "k"); err == nil || ok || retry != 0 {
		t.Errorf("Allow = %v, %v, %v; want false, 0, an error", ok, retry, err)
	}
	if ok, retry, err := l.Take(ctx, "k"); err == nil || ok || retry != 0 {
		t.Errorf("Take = %v, %v, %v; want false, 0, an error", ok, retry, err)
	}
	if err := l.Reset(ctx, "k"); err == nil {
		t.Error("Reset: no error")
	}
}

func TestCanceledContext(t *testing.T) {
	client := testClient(t)
	l := newLimiter(t, client, limiter.Rule{Limit: 5, Window: time.Minute}, testPrefix(t, client))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.Take(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Take: err = %v, want context.Canceled", err)
	}
	if _, _, err := l.Allow(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Allow: err = %v, want context.Canceled", err)
	}
	if err := l.Reset(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Reset: err = %v, want context.Canceled", err)
	}
}

func TestNewInvalid(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	if l, err := redislimiter.New(nil, limiter.Rule{Limit: 1, Window: time.Minute}, ""); err == nil || l != nil {
		t.Errorf("New(nil client) = %v, %v; want an error", l, err)
	}
	for _, rule := range []limiter.Rule{{}, {Limit: 1}, {Window: time.Minute}, {Limit: 1, Window: time.Microsecond}} {
		if _, err := redislimiter.New(client, rule, ""); !errors.Is(err, limiter.ErrInvalidRule) {
			t.Errorf("New(%+v): err = %v, want ErrInvalidRule", rule, err)
		}
	}
}
