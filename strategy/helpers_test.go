package strategy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/google/uuid"
)

// secret is a test key of exactly MinSecretLen bytes.
var secret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable clock for Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	// Half past a second, so that "the same second" has room either way.
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

// testStore is what the strategies need of a store, plus users.
type testStore interface {
	store.UserStore
	store.RevocationStore
	store.AccessTokenStore
}

// backends are the real stores every store-backed test runs on.
var backends = []struct {
	name string
	open func(t *testing.T) testStore
}{
	{"sqlite", func(t *testing.T) testStore {
		st, err := sqlite.New(testdb.SQLite(t))
		if err != nil {
			t.Fatal(err)
		}
		migrate(t, st)
		return st
	}},
	{"postgres", func(t *testing.T) testStore {
		st, err := postgres.New(testdb.Postgres(t, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		migrate(t, st)
		return st
	}},
}

func migrate(t *testing.T, m store.Migrator) {
	t.Helper()
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// eachBackend runs fn as a subtest on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, st testStore)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

// openSQLite is the cheapest real store, for tests about tokens that fail
// before the store is asked.
func openSQLite(t testing.TB) testStore {
	st, err := sqlite.New(testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
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
