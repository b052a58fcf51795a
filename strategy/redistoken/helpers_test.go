package redistoken_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 500_000_000, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's real parts: a Redis client and key prefix of the
// test's own, and a migrated SQLite store for the users.
type env struct {
	client *redis.Client
	prefix string
	users  *sqlite.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	client, prefix := testdb.Redis(t)
	st, err := sqlite.New(testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return &env{client: client, prefix: prefix, users: st}
}

// strategy returns a Strategy on e's Redis and users; cfg's Client, Users
// and Prefix are filled in when empty.
func (e *env) strategy(t testing.TB, cfg redistoken.Config) *redistoken.Strategy {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = e.client
	}
	if cfg.Users == nil {
		cfg.Users = e.users
	}
	if cfg.Prefix == "" {
		cfg.Prefix = e.prefix
	}
	s, err := redistoken.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// otherClient is a second connection pool to e's Redis, as another
// instance of the service would have.
func (e *env) otherClient(t testing.TB) *redis.Client {
	c := redis.NewClient(e.client.Options())
	t.Cleanup(func() { c.Close() })
	return c
}

func (e *env) tokenKey(tok string) string { return e.prefix + "t:" + hash(tok) }

func (e *env) userKey(id uuid.UUID) string { return e.prefix + "u:" + id.String() }

// indexSize is the number of members of the user's index.
func (e *env) indexSize(t testing.TB, id uuid.UUID) int64 {
	t.Helper()
	n, err := e.client.ZCard(context.Background(), e.userKey(id)).Result()
	if err != nil {
		t.Fatalf("ZCARD: %v", err)
	}
	return n
}

// keys lists every key under e's prefix.
func (e *env) keys(t testing.TB) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := e.client.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return keys
}

func hash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func newUser(t testing.TB, users store.UserStore) *store.User {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.New()
	u := &store.User{
		ID: id, Email: id.String() + "@example.com", HashedPassword: "x",
		IsActive: true, CreatedAt: now, UpdatedAt: now,
	}
	if err := users.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func mustWrite(t testing.TB, s strategy.Strategy, u *store.User) string {
	t.Helper()
	return mustWriteCtx(t, context.Background(), s, u)
}

func mustWriteCtx(t testing.TB, ctx context.Context, s strategy.Strategy, u *store.User) string {
	t.Helper()
	tok, err := s.Write(ctx, u)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return tok
}

func expectUser(t testing.TB, s strategy.Strategy, tok string, u *store.User) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got.ID != u.ID {
		t.Fatalf("Read = user %v, want %v", got.ID, u.ID)
	}
}

func expectInvalid(t testing.TB, s strategy.Strategy, tok string) {
	t.Helper()
	got, err := s.Read(context.Background(), tok)
	if !errors.Is(err, strategy.ErrInvalidToken) || got != nil {
		t.Fatalf("Read(%.20q) = %v, %v; want ErrInvalidToken", tok, got, err)
	}
}

func mustSessions(t testing.TB, s *redistoken.Strategy, id uuid.UUID) []strategy.Session {
	t.Helper()
	got, err := s.Sessions(context.Background(), id)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	return got
}

func mustSessionOf(t testing.TB, s *redistoken.Strategy, tok string) string {
	t.Helper()
	sid, err := s.SessionOf(context.Background(), tok)
	if err != nil {
		t.Fatalf("SessionOf: %v", err)
	}
	return sid
}
