// Package redistoken is a [strategy.Strategy] whose opaque tokens live in
// Redis, so that every instance of a service sees each login and each
// logout at once, and nothing needs sweeping: Redis forgets a token when
// its lifetime ends.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	s, err := redistoken.New(redistoken.Config{Client: client, Users: st})
//
// A token is 256 random bits in unpadded base64url, as with
// [strategy.Database]. Only its hex SHA-256 reaches Redis:
//
//   - prefix + "t:" + hash is a hash holding user_id, session_id,
//     created_at, last_used_at (Unix microseconds), user_agent and ip,
//     with the lifetime as its TTL;
//   - prefix + "u:" + user id is a sorted set of the hashes of the user's
//     tokens, scored by expiry, which lets EndSessions find them all. It
//     expires with the user's newest token, and its members whose token is
//     gone are pruned by every login, listing and ending;
//   - prefix + "v:" + user id is the security version (store.User.Version)
//     at which the user's sessions were last ended: a login that
//     authenticated against an older version stores no token. It lives as
//     long as a token.
//
// Every change is one Lua script, atomic on the server. Read is one script
// (which also records the use, at most once a minute per token) followed by
// one call to the UserStore, since Redis holds the user id, not the user.
//
// Each token is its own session: [Strategy.Sessions] lists them, under a
// random session id that is neither the token nor its hash.
//
// It lives in its own package so that importing package strategy never
// brings in go-redis. It works with a single server or Sentinel; on Redis
// Cluster or a Ring, the scripts touch a token and its user's set together,
// so Prefix must hold a hash tag ("{authkit}:token:") that puts every key
// in one slot.
package redistoken

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix begins every Redis key when Config.Prefix is empty.
const DefaultPrefix = "authkit:token:"

// touchInterval is how stale last_used_at may get: a busy token costs one
// write a minute, not one per request.
const touchInterval = time.Minute

// Config configures a Strategy.
type Config struct {
	// Client reaches the Redis that holds the tokens. Required.
	Client redis.UniversalClient
	// Users loads the user a token belongs to. Required.
	Users store.UserStore
	// Lifetime of a token; strategy.DefaultLifetime when zero.
	Lifetime time.Duration
	// Prefix begins every Redis key; DefaultPrefix when empty. Every
	// instance of a service must use the same Prefix and Lifetime.
	Prefix string
	// Now is the clock; time.Now when nil. For tests.
	Now func() time.Time
}

// Strategy issues opaque tokens kept in Redis. It is safe for concurrent
// use, and Strategies in any number of processes sharing a Redis and a
// Prefix share their tokens.
type Strategy struct {
	client   redis.UniversalClient
	users    store.UserStore
	lifetime time.Duration
	ttlMS    int64
	prefix   string
	now      func() time.Time
}

var (
	_ strategy.Strategy       = (*Strategy)(nil)
	_ strategy.SessionEnder   = (*Strategy)(nil)
	_ strategy.SessionManager = (*Strategy)(nil)
)

// New returns a Strategy, or an error for a missing client or user store,
// a negative lifetime, or a Cluster or Ring client with a Prefix that has
// no hash tag. New does not contact Redis.
func New(cfg Config) (*Strategy, error) {
	if cfg.Client == nil {
		return nil, errors.New("redistoken: a Redis client is required")
	}
	if cfg.Users == nil {
		return nil, errors.New("redistoken: a UserStore is required")
	}
	if cfg.Lifetime < 0 {
		return nil, errors.New("redistoken: lifetime must not be negative")
	}
	s := &Strategy{client: cfg.Client, users: cfg.Users, lifetime: cfg.Lifetime, prefix: cfg.Prefix, now: cfg.Now}
	if s.lifetime == 0 {
		s.lifetime = strategy.DefaultLifetime
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch cfg.Client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		if !hasHashTag(s.prefix) {
			return nil, fmt.Errorf("redistoken: with a %T, Prefix %q needs a hash tag, like \"{authkit}:token:\", to keep a user's keys in one slot", cfg.Client, s.prefix)
		}
	}
	// Rounded up: a lifetime under a millisecond must not become a TTL of
	// zero, which would delete the token as it is written.
	s.ttlMS = int64((s.lifetime + time.Millisecond - 1) / time.Millisecond)
	return s, nil
}

// hasHashTag reports whether prefix holds a complete, non-empty {tag}, the
// part of a key that Redis Cluster hashes instead of the whole key.
func hasHashTag(prefix string) bool {
	i := strings.IndexByte(prefix, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(prefix[i+1:], '}')
	return j > 0
}

// Lifetime returns how long a token lives.
func (s *Strategy) Lifetime() time.Duration { return s.lifetime }

func (s *Strategy) tokenKey(hash string) string     { return s.prefix + "t:" + hash }
func (s *Strategy) userKey(userID uuid.UUID) string { return s.prefix + "u:" + userID.String() }
func (s *Strategy) versionKey(userID uuid.UUID) string {
	return s.prefix + "v:" + userID.String()
}

// The scripts. Times are Unix microseconds from the strategy's clock, so a
// test clock works; Redis's own clock only runs the TTLs. KEYS name what a
// script touches, except the keys derived from a user's set or a token's
// record, which the hash tag rule puts in the same slot.
var (
	// writeScript stores a token and adds it to its user's set, pruning
	// the members that have expired, and lets the set live as long as its
	// newest token (never shortening it).
	// Nothing is written, and 0 returned, when the user's sessions were
	// ended at a later security version than the login's.
	// KEYS: token, user set, version. ARGV: user id, session id, now, user
	// agent, ip, ttl ms, hash, expiry, the login's version.
	writeScript = redis.NewScript(`
local ended = tonumber(redis.call('GET', KEYS[3]) or '')
if ended and ended > tonumber(ARGV[9]) then
	return 0
end
redis.call('HSET', KEYS[1], 'user_id', ARGV[1], 'session_id', ARGV[2],
	'created_at', ARGV[3], 'last_used_at', ARGV[3], 'user_agent', ARGV[4], 'ip', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[7])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[6]) then
	redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return 1
`)

	// readScript returns {user id, created_at} of a token, or nil, and
	// records the use when the last one is older than the interval and the
	// token has not expired.
	// KEYS: token. ARGV: now, interval, expiry cut-off (tokens created at
	// or before it are expired).
	readScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'user_id', 'created_at', 'last_used_at')
if not r[1] then
	return false
end
local now = tonumber(ARGV[1])
local created = tonumber(r[2]) or 0
local used = tonumber(r[3]) or 0
if created > tonumber(ARGV[3]) and now - used >= tonumber(ARGV[2]) then
	redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1])
end
return {r[1], r[2] or ''}
`)

	// destroyScript deletes a token and its member of its user's set.
	// KEYS: token. ARGV: user set prefix, hash.
	destroyScript = redis.NewScript(`
local uid = redis.call('HGET', KEYS[1], 'user_id')
if uid then
	redis.call('ZREM', ARGV[1] .. uid, ARGV[2])
end
return redis.call('DEL', KEYS[1])
`)

	// endScript deletes every token of a user's set but the one to keep,
	// or, with a session id, only the token of that session; members
	// whose token is gone, or is not the user's, are dropped either way.
	// With a version, it is recorded first (never lowered) as the one
	// at which the sessions ended.
	// KEYS: user set, version. ARGV: token prefix, hash to keep ("" none),
	// session id to end ("" every session), user id, version ("" none),
	// ttl ms.
	endScript = redis.NewScript(`
if ARGV[5] ~= '' then
	local cur = tonumber(redis.call('GET', KEYS[2]) or '')
	if not cur or cur < tonumber(ARGV[5]) then
		redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
	else
		redis.call('PEXPIRE', KEYS[2], ARGV[6])
	end
end
local n = 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	local k = ARGV[1] .. h
	local r = redis.call('HMGET', k, 'session_id', 'user_id')
	local sid = r[1]
	if not sid or r[2] ~= ARGV[4] then
		redis.call('ZREM', KEYS[1], h)
	elseif (ARGV[3] == '' and h ~= ARGV[2]) or (ARGV[3] ~= '' and sid == ARGV[3]) then
		redis.call('DEL', k)
		redis.call('ZREM', KEYS[1], h)
		n = n + 1
	end
end
return n
`)

	// sessionsScript returns the records of a user's tokens, six fields
	// each, dropping the members whose token is gone.
	// KEYS: user set. ARGV: token prefix.
	sessionsScript = redis.NewScript(`
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	local r = redis.call('HMGET', ARGV[1] .. h,
		'user_id', 'session_id', 'created_at', 'last_used_at', 'user_agent', 'ip')
	if not r[2] then
		redis.call('ZREM', KEYS[1], h)
	else
		for i = 1, 6 do
			out[#out + 1] = r[i] or ''
		end
	end
end
return out
`)
)

// Write issues a new token for u, recording the user agent and address of
// strategy.ClientFrom(ctx).
func (s *Strategy) Write(ctx context.Context, u *store.User) (string, error) {
	if u == nil {
		return "", errors.New("redistoken: write: no user")
	}
	tok, h, err := strategy.NewOpaqueToken()
	if err != nil {
		return "", fmt.Errorf("redistoken: %w", err)
	}
	c := strategy.ClientFrom(ctx).Clean()
	now := s.now().UnixMicro()
	expiry := now + s.lifetime.Microseconds()
	n, err := writeScript.Run(ctx, s.client, []string{s.tokenKey(h), s.userKey(u.ID), s.versionKey(u.ID)},
		u.ID.String(), rand.Text(), now, c.UserAgent, c.IP,
		s.ttlMS, h, expiry, u.Version).Int()
	if err != nil {
		return "", fmt.Errorf("redistoken: write: %w", err)
	}
	if n == 0 {
		return "", strategy.ErrStaleUser
	}
	return tok, nil
}

// Read returns the user of token: ErrInvalidToken when the token is
// malformed, unknown, expired or its user is gone; any other error is a
// fault of Redis or of the user store. A malformed token never reaches
// Redis. It costs one Redis round trip and one UserByID.
func (s *Strategy) Read(ctx context.Context, token string) (*store.User, error) {
	h, ok := strategy.OpaqueTokenHash(token)
	if !ok {
		return nil, fmt.Errorf("%w: malformed", strategy.ErrInvalidToken)
	}
	now := s.now()
	res, err := readScript.Run(ctx, s.client, []string{s.tokenKey(h)},
		now.UnixMicro(), touchInterval.Microseconds(), now.Add(-s.lifetime).UnixMicro()).StringSlice()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("%w: unknown", strategy.ErrInvalidToken)
	case err != nil:
		return nil, fmt.Errorf("redistoken: read: %w", err)
	case len(res) != 2:
		return nil, fmt.Errorf("redistoken: read: script returned %d values, want 2", len(res))
	}
	userID, err := uuid.Parse(res[0])
	if err != nil {
		return nil, fmt.Errorf("redistoken: read: corrupt user id: %w", err)
	}
	created, err := parseMicro(res[1])
	if err != nil {
		return nil, fmt.Errorf("redistoken: read: corrupt created_at: %w", err)
	}
	if s.expired(created, now) {
		return nil, fmt.Errorf("%w: expired", strategy.ErrInvalidToken)
	}
	u, err := s.users.UserByID(ctx, userID)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		return nil, fmt.Errorf("%w: %w", strategy.ErrInvalidToken, err)
	case err != nil:
		return nil, fmt.Errorf("redistoken: read: %w", err)
	}
	return u, nil
}

// Destroy deletes token. Deleting a token that is already gone is not an
// error; a malformed one is ErrInvalidToken.
func (s *Strategy) Destroy(ctx context.Context, token string, _ *store.User) error {
	h, ok := strategy.OpaqueTokenHash(token)
	if !ok {
		return fmt.Errorf("%w: malformed", strategy.ErrInvalidToken)
	}
	if err := destroyScript.Run(ctx, s.client, []string{s.tokenKey(h)}, s.prefix+"u:", h).Err(); err != nil {
		return fmt.Errorf("redistoken: destroy: %w", err)
	}
	return nil
}

// EndSessions deletes every token of the user except keepToken ("", a
// malformed token or another user's token keeps none), and records the
// user's security version as it is now, so that a login that
// authenticated against an older one stores no token after this.
func (s *Strategy) EndSessions(ctx context.Context, userID uuid.UUID, keepToken string) error {
	keep, _ := strategy.OpaqueTokenHash(keepToken) // "" when malformed: keeps none
	version := ""
	switch u, err := s.users.UserByID(ctx, userID); {
	case err == nil:
		version = strconv.FormatInt(u.Version, 10)
	case !errors.Is(err, store.ErrUserNotFound):
		return fmt.Errorf("redistoken: end sessions: %w", err)
	}
	if err := endScript.Run(ctx, s.client, []string{s.userKey(userID), s.versionKey(userID)},
		s.prefix+"t:", keep, "", userID.String(), version, s.ttlMS).Err(); err != nil {
		return fmt.Errorf("redistoken: end sessions: %w", err)
	}
	return nil
}

// Sessions returns the user's live sessions, newest first.
func (s *Strategy) Sessions(ctx context.Context, userID uuid.UUID) ([]strategy.Session, error) {
	res, err := sessionsScript.Run(ctx, s.client, []string{s.userKey(userID)}, s.prefix+"t:").StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redistoken: sessions: %w", err)
	}
	if len(res)%6 != 0 {
		return nil, fmt.Errorf("redistoken: sessions: script returned %d values, not records of 6", len(res))
	}
	now := s.now()
	want := userID.String()
	out := []strategy.Session{}
	for r := range slices.Chunk(res, 6) {
		if r[0] != want {
			continue // not this user's: never listed, whatever put it there
		}
		created, err := parseMicro(r[2])
		if err != nil {
			return nil, fmt.Errorf("redistoken: sessions: corrupt created_at: %w", err)
		}
		if s.expired(created, now) {
			continue
		}
		used, err := parseMicro(r[3])
		if err != nil {
			used = created
		}
		out = append(out, strategy.Session{ID: r[1], CreatedAt: created, LastUsedAt: used, UserAgent: r[4], IP: r[5]})
	}
	slices.SortFunc(out, func(a, b strategy.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SessionOf returns the id of the session token belongs to, or
// ErrInvalidToken when it is malformed, unknown or expired.
func (s *Strategy) SessionOf(ctx context.Context, token string) (string, error) {
	h, ok := strategy.OpaqueTokenHash(token)
	if !ok {
		return "", fmt.Errorf("%w: malformed", strategy.ErrInvalidToken)
	}
	res, err := s.client.HMGet(ctx, s.tokenKey(h), "session_id", "created_at").Result()
	if err != nil {
		return "", fmt.Errorf("redistoken: session of: %w", err)
	}
	sid, ok1 := res[0].(string)
	c, ok2 := res[1].(string)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("%w: unknown", strategy.ErrInvalidToken)
	}
	created, err := parseMicro(c)
	if err != nil {
		return "", fmt.Errorf("redistoken: session of: corrupt created_at: %w", err)
	}
	if s.expired(created, s.now()) {
		return "", fmt.Errorf("%w: expired", strategy.ErrInvalidToken)
	}
	return sid, nil
}

// EndSession deletes the user's token whose session is sessionID. An
// unknown session, or another user's, is not an error and ends nothing.
func (s *Strategy) EndSession(ctx context.Context, userID uuid.UUID, sessionID string) error {
	if sessionID == "" {
		return nil // "" would mean every session to the script
	}
	if err := endScript.Run(ctx, s.client, []string{s.userKey(userID), s.versionKey(userID)},
		s.prefix+"t:", "", sessionID, userID.String(), "", s.ttlMS).Err(); err != nil {
		return fmt.Errorf("redistoken: end session: %w", err)
	}
	return nil
}

// expired reports whether a token created at created is past its lifetime
// at now. The TTL deletes it too, but Redis's clock and ours may differ,
// and a TTL can be changed by hand; this check is the one that counts.
func (s *Strategy) expired(created, now time.Time) bool {
	return !now.Before(created.Add(s.lifetime))
}

func parseMicro(v string) (time.Time, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(n).UTC(), nil
}
