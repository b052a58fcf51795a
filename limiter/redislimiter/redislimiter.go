// Package redislimiter is a [limiter.Limiter] whose counters live in Redis,
// so that every instance of a service behind a load balancer counts
// together:
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	perAccount, err := redislimiter.New(client, limiter.Rule{Limit: 5, Window: 15 * time.Minute}, "authkit:limit:login-account:")
//
// Each key is one Redis string holding the count, created with a TTL of
// the window, so Redis forgets it when the window ends and nothing needs
// sweeping. Counting and setting the TTL happen in one Lua script, atomic
// on the server. The Redis key is the prefix followed by the SHA-256 of
// the limiter's key in hex: client-controlled strings (emails) never become
// raw Redis key names, and every key has the same length. A hash of an email
// is not a secret, though: anyone who can list the keys can test guesses.
//
// It lives in its own package so that importing authkit never brings in
// go-redis. It works with any [redis.UniversalClient]: a single server,
// Sentinel, Cluster (every script touches one key) or Ring.
//
// Redis errors are returned as they are, wrapped, with ok false; the
// package neither fails open nor closed on its own, the caller decides.
package redislimiter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-authkit/authkit/limiter"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix begins every Redis key when New is given no prefix.
const DefaultPrefix = "authkit:limit:"

// The scripts return {count, milliseconds left}. A count with no TTL (left
// by hand, or by a crash of something else) gets the window's TTL, so no
// key can block forever.
var (
	take = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
	ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)
	peek = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	return {0, 0}
end
local n = tonumber(v)
if not n then
	return redis.error_reply('authkit limiter: the counter is not a number')
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
	ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)
)

// Limiter is a [limiter.Limiter] backed by Redis. It is safe for
// concurrent use, and any number of Limiters in any number of processes
// with the same client target, rule and prefix share their counts.
type Limiter struct {
	client   redis.UniversalClient
	limit    int64
	windowMS int64
	prefix   string
}

var _ limiter.Limiter = (*Limiter)(nil)

// New returns a limiter enforcing rule with counters in client's Redis,
// under keys starting with prefix ([DefaultPrefix] when empty). Give each
// rule its own prefix (say "authkit:limit:login-address:"): limiters with
// the same prefix share counts. New does not contact Redis.
func New(client redis.UniversalClient, rule limiter.Rule, prefix string) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("redislimiter: nil client")
	}
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Limiter{
		client:   client,
		limit:    int64(rule.Limit),
		windowMS: int64((rule.Window + time.Millisecond - 1) / time.Millisecond),
		prefix:   prefix,
	}, nil
}

// Allow implements [limiter.Limiter].
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	n, left, err := l.run(ctx, peek, key)
	if err != nil {
		return false, 0, fmt.Errorf("redislimiter: allow: %w", err)
	}
	return l.verdict(n < l.limit, left)
}

// Take implements [limiter.Limiter].
func (l *Limiter) Take(ctx context.Context, key string) (bool, time.Duration, error) {
	n, left, err := l.run(ctx, take, key)
	if err != nil {
		return false, 0, fmt.Errorf("redislimiter: take: %w", err)
	}
	return l.verdict(n <= l.limit, left)
}

// Reset implements [limiter.Limiter].
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.client.Del(ctx, l.redisKey(key)).Err(); err != nil {
		return fmt.Errorf("redislimiter: reset: %w", err)
	}
	return nil
}

// redisKey returns the name of the Redis key that holds key's count: the
// prefix and the hex SHA-256 of key.
func (l *Limiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + hex.EncodeToString(sum[:])
}

func (l *Limiter) run(ctx context.Context, s *redis.Script, key string) (count, leftMS int64, err error) {
	res, err := s.Run(ctx, l.client, []string{l.redisKey(key)}, l.windowMS).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("script returned %d values, want 2", len(res))
	}
	return res[0], res[1], nil
}

// verdict turns the time left in the window into a retry-after: whole
// seconds, rounded up, at least one.
func (l *Limiter) verdict(ok bool, leftMS int64) (bool, time.Duration, error) {
	if ok {
		return true, 0, nil
	}
	left := time.Duration(leftMS) * time.Millisecond
	if left <= time.Second {
		return false, time.Second, nil
	}
	return false, (left + time.Second - 1).Truncate(time.Second), nil
}
