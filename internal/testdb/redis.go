package testdb

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvRedis names the environment variable holding the Redis URL.
const EnvRedis = "AUTHKIT_TEST_REDIS"

// DefaultRedis is the URL used when EnvRedis is unset.
const DefaultRedis = "redis://127.0.0.1:6379/0"

// Redis returns a client of the Redis server named by AUTHKIT_TEST_REDIS,
// and a key prefix of the test's own whose keys are deleted when the test
// ends. When the server cannot be reached the test is skipped, or fails
// when the environment has CI=true.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv(EnvRedis)
	if url == "" {
		url = DefaultRedis
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("testdb: %s=%q: %v", EnvRedis, url, err)
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1 // skip at once when nothing listens
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		msg := "testdb: Redis unreachable at " + EnvRedis + "=" + opts.Addr + ": " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!!!! SKIPPED, NOT TESTED: " + msg)
	}
	prefix := "authkit_test:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return client, prefix
}
