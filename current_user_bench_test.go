package authkit_test

// Benchmarks of authkit's request paths, each beside a "floor": the least
// work a hand-written handler does for the same result, so that authkit's
// overhead reads as a ratio. Run them with
//
//	go test -run '^$' -bench . -benchmem .
//
// The PostgreSQL variants use internal/testdb and skip without a server.
// BENCHMARKS.md has the figures and the commands.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/go-authkit/authkit/transport"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

// benchPassword passes the default password policy.
const benchPassword = "lantern-ocelot-1947-quartz"

// benchSecret is the HS256 key of the benchmarks' JWT strategy.
var benchSecret = []byte("a benchmark secret, long enough for HS256")

type benchStore interface {
	store.UserStore
	store.AccessTokenStore
	store.RevocationStore
	store.Migrator
}

// benchStores are the stores the benchmarks run on: SQLite, and PostgreSQL
// through lib/pq (what examples/notebooks uses) and through pgx.
var benchStores = []struct {
	name string
	open func(b *testing.B) (benchStore, *sqlx.DB)
}{
	{"sqlite", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.SQLite(b)
		s, err := sqlite.New(db)
		return benchMigrated(b, s, err), db
	}},
	{"postgres", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.Postgres(b, "postgres")
		s, err := postgres.New(db)
		return benchMigrated(b, s, err), db
	}},
	{"pgx", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.Postgres(b, "pgx")
		s, err := postgres.New(db)
		return benchMigrated(b, s, err), db
	}},
}

func benchMigrated(b *testing.B, s benchStore, err error) benchStore {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchCheapHasher keeps set-up fast where the hash is not what is measured.
func benchCheapHasher(b *testing.B) hasher.Hasher {
	h, err := hasher.NewArgon2id(hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// benchKit is one AuthKit on one store with one backend.
type benchKit struct {
	kit     *authkit.AuthKit
	db      *sqlx.DB
	backend authkit.AuthenticationBackend
	user    *authkit.User
	token   string // a token of user, issued by the backend's strategy
	redis   *redis.Client
	prefix  string // of the Redis keys
}

// newBenchKit builds an AuthKit whose only backend is named kind: "jwt"
// (bearer + JWT), "db" (bearer + database tokens), "redis" (bearer +
// redistoken, users in st) or "cookie" (cookie + database tokens). It
// registers one user and logs it in.
func newBenchKit(b *testing.B, kind string, st benchStore, db *sqlx.DB, h hasher.Hasher) *benchKit {
	b.Helper()
	var (
		tr  transport.Transport = transport.Bearer{}
		s   strategy.Strategy
		err error
		k   = &benchKit{db: db}
	)
	switch kind {
	case "jwt":
		s, err = strategy.NewJWT(strategy.JWTConfig{Secret: benchSecret, Store: st})
	case "db", "cookie":
		s, err = strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
		if kind == "cookie" && err == nil {
			tr, err = transport.NewCookie(transport.CookieConfig{})
		}
	case "redis":
		k.redis, k.prefix = testdb.Redis(b)
		s, err = redistoken.New(redistoken.Config{Client: k.redis, Users: st, Prefix: k.prefix})
	default:
		b.Fatalf("unknown backend kind %q", kind)
	}
	if err != nil {
		b.Fatal(err)
	}
	backend := authkit.AuthenticationBackend{Name: kind, Transport: tr, Strategy: s}
	kit, err := authkit.New(authkit.Config{
		Users:    st,
		Hasher:   h,
		Backends: []authkit.AuthenticationBackend{backend},
		// The same client logs in again and again: throttling would
		// refuse it, and is not what is measured.
		Throttle: authkit.Throttle{Off: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { kit.Close(context.Background()) })
	ctx := context.Background()
	u, err := kit.Manager().Create(ctx, authkit.UserCreate{Email: "bench-" + kind + "@example.com", Password: benchPassword, IsActive: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.Write(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	k.kit, k.backend, k.user, k.token = kit, backend, u, tok
	return k
}

// benchRequest is GET /me carrying tok the way the backend kind expects.
func benchRequest(kind, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	if kind == "cookie" {
		r.AddCookie(&http.Cookie{Name: "authkit", Value: tok})
	} else {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// writeEmail is the trivial handler behind the middleware, and the last
// step of every floor: it answers the user's email.
func writeEmail(w http.ResponseWriter, u string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, u)
}

// serveLoop serves r to h b.N times, each into a fresh recorder, and
// checks that the user's email came back.
func serveLoop(b *testing.B, h http.Handler, r *http.Request, want string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			b.Fatalf("got %d %q, want 200 %q", rec.Code, rec.Body.String(), want)
		}
	}
}

// BenchmarkCurrentActiveUser measures an authenticated request in process:
// CurrentActiveUser around a trivial handler (authkit), against a
// hand-written handler doing the least work for the same answer (floor).
//
//   - jwt floor: parse the JWT with golang-jwt (HS256, exp and aud
//     checked), then select the user by id with sqlx. No revocation check:
//     that is part of what authkit adds.
//   - db floor: hash the token (SHA-256), look the hash up, then the user,
//     with two plain sqlx queries.
//   - redis floor: hash the token, HMGET its record, then select the user
//     with sqlx.
func BenchmarkCurrentActiveUser(b *testing.B) {
	for _, kind := range []string{"jwt", "db", "redis"} {
		for _, s := range benchStores {
			if kind == "redis" && s.name == "pgx" {
				continue // the store's driver is not what redis+ measures
			}
			b.Run(kind+"+"+s.name, func(b *testing.B) {
				st, db := s.open(b)
				k := newBenchKit(b, kind, st, db, benchCheapHasher(b))
				r := benchRequest(kind, k.token)
				b.Run("authkit", func(b *testing.B) {
					h := k.kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						u, ok := authkit.UserFrom(r.Context())
						if !ok {
							http.Error(w, "no user", http.StatusInternalServerError)
							return
						}
						writeEmail(w, u.Email)
					}))
					serveLoop(b, h, r, k.user.Email)
				})
				b.Run("floor", func(b *testing.B) {
					var h http.Handler
					switch kind {
					case "jwt":
						h = jwtFloor(db)
					case "db":
						h = databaseFloor(db, k.backend.Strategy.Lifetime())
					case "redis":
						h = redisFloor(db, k.redis, k.prefix, k.backend.Strategy.Lifetime())
					}
					serveLoop(b, h, r, k.user.Email)
				})
			})
		}
	}
}

// floorUser is a row of authkit_users as a hand-written handler scans it.
type floorUser struct {
	ID             uuid.UUID `db:"id"`
	Email          string    `db:"email"`
	HashedPassword string    `db:"hashed_password"`
	IsActive       bool      `db:"is_active"`
	IsSuperuser    bool      `db:"is_superuser"`
	IsVerified     bool      `db:"is_verified"`
	CreatedAt      floorTime `db:"created_at"`
	UpdatedAt      floorTime `db:"updated_at"`
}

// floorTime scans SQLite's integer microseconds and PostgreSQL's timestamptz.
type floorTime struct{ time.Time }

func (t *floorTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v
	case int64:
		t.Time = time.UnixMicro(v)
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

const floorUserByID = `SELECT id, email, hashed_password, is_active, is_superuser, is_verified, created_at, updated_at
	FROM authkit_users WHERE id = ?`

// jwtFloor parses the bearer JWT with golang-jwt and selects its user.
func jwtFloor(db *sqlx.DB) http.Handler {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience(strategy.DefaultAudience),
		jwt.WithExpirationRequired(),
	)
	keyFunc := func(*jwt.Token) (any, error) { return benchSecret, nil }
	userByID := db.Rebind(floorUserByID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var c jwt.RegisteredClaims
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if _, err := parser.ParseWithClaims(tok, &c, keyFunc); err != nil {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		id, err := uuid.Parse(c.Subject)
		if err != nil {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		var u floorUser
		if err := db.GetContext(r.Context(), &u, userByID, id); err != nil || !u.IsActive {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		writeEmail(w, u.Email)
	})
}

// databaseFloor hashes the bearer token, looks the hash up, then the user:
// two plain sqlx queries.
func databaseFloor(db *sqlx.DB, lifetime time.Duration) http.Handler {
	tokenByHash := db.Rebind(`SELECT user_id, created_at FROM authkit_access_tokens WHERE hash = ?`)
	userByID := db.Rebind(floorUserByID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256([]byte(tok))
		var t struct {
			UserID    uuid.UUID `db:"user_id"`
			CreatedAt floorTime `db:"created_at"`
		}
		if err := db.GetContext(r.Context(), &t, tokenByHash, hex.EncodeToString(sum[:])); err != nil ||
			time.Since(t.CreatedAt.Time) >= lifetime {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		var u floorUser
		if err := db.GetContext(r.Context(), &u, userByID, t.UserID); err != nil || !u.IsActive {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		writeEmail(w, u.Email)
	})
}

// redisFloor hashes the bearer token, reads its record from Redis (the
// layout redistoken writes: a hash at <prefix>t:<hex SHA-256> with user_id
// and created_at in Unix microseconds), then selects the user.
func redisFloor(db *sqlx.DB, rc *redis.Client, prefix string, lifetime time.Duration) http.Handler {
	userByID := db.Rebind(floorUserByID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256([]byte(tok))
		rec, err := rc.HMGet(r.Context(), prefix+"t:"+hex.EncodeToString(sum[:]), "user_id", "created_at").Result()
		if err != nil || len(rec) != 2 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		sid, _ := rec[0].(string)
		screated, _ := rec[1].(string)
		id, err := uuid.Parse(sid)
		created, cerr := strconv.ParseInt(screated, 10, 64)
		if err != nil || cerr != nil || time.Since(time.UnixMicro(created)) >= lifetime {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		var u floorUser
		if err := db.GetContext(r.Context(), &u, userByID, id); err != nil || !u.IsActive {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		writeEmail(w, u.Email)
	})
}

// cheapArgon2Params make a hash cost microseconds: with them, login and
// register measure everything but the hash.
var cheapArgon2Params = hasher.Argon2Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newArgon2(b *testing.B, p hasher.Argon2Params) *hasher.Argon2id {
	h, err := hasher.NewArgon2id(p)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkLogin measures POST /login with the production hasher
// (hasher.Default(): argon2id m=19 MiB, t=2, p=1), against its floor, one
// argon2id verify at the same parameters. jwt signs a token; cookie writes
// a database token.
func BenchmarkLogin(b *testing.B) {
	benchLogin(b, hasher.DefaultArgon2Params, hasher.Default())
}

// BenchmarkLoginOverhead is BenchmarkLogin with a hash of microseconds:
// the difference from its floor is what login costs besides the hash,
// which BenchmarkLogin's noise hides.
func BenchmarkLoginOverhead(b *testing.B) {
	benchLogin(b, cheapArgon2Params, newArgon2(b, cheapArgon2Params))
}

func benchLogin(b *testing.B, p hasher.Argon2Params, kitHasher hasher.Hasher) {
	b.Run("floor", func(b *testing.B) {
		h := newArgon2(b, p)
		enc, err := h.Hash(benchPassword)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if ok, _, err := h.Verify(benchPassword, enc); !ok || err != nil {
				b.Fatalf("Verify = %v, %v", ok, err)
			}
		}
	})
	for _, kind := range []string{"jwt", "cookie"} {
		for _, s := range benchStores {
			b.Run(kind+"+"+s.name, func(b *testing.B) {
				st, db := s.open(b)
				k := newBenchKit(b, kind, st, db, kitHasher)
				h := authRouter(b, k.kit, kind)
				body := url.Values{"username": {k.user.Email}, "password": {benchPassword}}.Encode()
				want := http.StatusOK
				if kind == "cookie" {
					want = http.StatusNoContent
				}
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, r)
					if rec.Code != want {
						b.Fatalf("login: %d %s", rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

// BenchmarkRegister measures POST /register (a new email each time) with
// the production hasher, against its floor, one argon2id hash at the same
// parameters.
func BenchmarkRegister(b *testing.B) {
	benchRegister(b, hasher.DefaultArgon2Params, hasher.Default())
}

// BenchmarkRegisterOverhead is BenchmarkRegister with a hash of
// microseconds, as BenchmarkLoginOverhead.
func BenchmarkRegisterOverhead(b *testing.B) {
	benchRegister(b, cheapArgon2Params, newArgon2(b, cheapArgon2Params))
}

func benchRegister(b *testing.B, p hasher.Argon2Params, kitHasher hasher.Hasher) {
	b.Run("floor", func(b *testing.B) {
		h := newArgon2(b, p)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Hash(benchPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, s := range benchStores {
		b.Run(s.name, func(b *testing.B) {
			st, db := s.open(b)
			k := newBenchKit(b, "jwt", st, db, kitHasher)
			h := k.kit.RegisterRouter()
			var n atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				body := fmt.Sprintf(`{"email":"user%d@example.com","password":%q}`, n.Add(1), benchPassword)
				r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusCreated {
					b.Fatalf("register: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
