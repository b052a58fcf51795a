package strategy_test

// Benchmarks of token issue and verification, each beside a "floor": the
// least work golang-jwt or a hand-written insert does for the same token.
//
//	go test -run '^$' -bench . -benchmem ./strategy
//
// BENCHMARKS.md has the figures.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// benchKey is the HS256 key of the benchmarks.
var benchKey = []byte("a benchmark secret, long enough for HS256")

type benchStore interface {
	store.UserStore
	store.RevocationStore
	store.AccessTokenStore
	store.Migrator
}

var benchStores = []struct {
	name string
	open func(b *testing.B) (benchStore, *sqlx.DB)
}{
	{"sqlite", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.SQLite(b)
		st, err := sqlite.New(db)
		return benchMigrated(b, st, err), db
	}},
	{"postgres", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.Postgres(b, "postgres")
		st, err := postgres.New(db)
		return benchMigrated(b, st, err), db
	}},
	{"pgx", func(b *testing.B) (benchStore, *sqlx.DB) {
		db := testdb.Postgres(b, "pgx")
		st, err := postgres.New(db)
		return benchMigrated(b, st, err), db
	}},
}

func benchMigrated(b *testing.B, st benchStore, err error) benchStore {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st
}

func benchUser(b *testing.B, users store.UserStore) *store.User {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.New()
	u := &store.User{ID: id, Email: id.String() + "@example.com", HashedPassword: "x", IsActive: true, CreatedAt: now, UpdatedAt: now}
	if users != nil {
		if err := users.CreateUser(context.Background(), u); err != nil {
			b.Fatal(err)
		}
	}
	return u
}

// floorClaims are the claims an authkit access token carries, signed by
// golang-jwt alone.
func floorClaims(u *store.User) jwt.RegisteredClaims {
	now := time.Now()
	return jwt.RegisteredClaims{
		Subject:   u.ID.String(),
		Audience:  jwt.ClaimStrings{strategy.DefaultAudience},
		ExpiresAt: jwt.NewNumericDate(now.Add(strategy.DefaultLifetime)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        uuid.NewString(),
	}
}

// BenchmarkJWTWrite measures issuing an access token: JWT.Write against
// golang-jwt signing the same registered claims (floor).
func BenchmarkJWTWrite(b *testing.B) {
	st, _ := benchStores[0].open(b)
	u := benchUser(b, nil)
	b.Run("authkit", func(b *testing.B) {
		j, err := strategy.NewJWT(strategy.JWTConfig{Secret: benchKey, Store: st})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := j.Write(ctx, u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwt.NewWithClaims(jwt.SigningMethodHS256, floorClaims(u)).SignedString(benchKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJWTParse measures verifying an access token without the store:
// Signer.Parse against golang-jwt parsing the same claims with the same
// checks (algorithm, exp required, audience, iat) (floor).
func BenchmarkJWTParse(b *testing.B) {
	s, err := strategy.NewSigner(strategy.SignerConfig{Secret: benchKey, Audience: strategy.DefaultAudience})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.Sign(uuid.NewString(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("authkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Parse(tok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		p := jwt.NewParser(
			jwt.WithValidMethods([]string{"HS256"}),
			jwt.WithExpirationRequired(),
			jwt.WithAudience(strategy.DefaultAudience),
			jwt.WithIssuedAt(),
		)
		key := func(*jwt.Token) (any, error) { return benchKey, nil }
		b.ReportAllocs()
		for b.Loop() {
			var c jwt.RegisteredClaims
			if _, err := p.ParseWithClaims(tok, &c, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDatabaseWrite measures issuing an opaque token: Database.Write
// (which also purges expired tokens) against 256 random bits, their
// SHA-256 and one INSERT (floor).
func BenchmarkDatabaseWrite(b *testing.B) {
	for _, s := range benchStores {
		b.Run(s.name, func(b *testing.B) {
			st, db := s.open(b)
			u := benchUser(b, st)
			ctx := context.Background()
			b.Run("authkit", func(b *testing.B) {
				d, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := d.Write(ctx, u); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("floor", func(b *testing.B) {
				insert := db.Rebind(`INSERT INTO authkit_access_tokens (hash, user_id, created_at) VALUES (?, ?, ?)`)
				sqliteTimes := s.name == "sqlite" // INTEGER microseconds there
				b.ReportAllocs()
				for b.Loop() {
					var raw [32]byte
					rand.Read(raw[:])
					tok := base64.RawURLEncoding.EncodeToString(raw[:])
					sum := sha256.Sum256([]byte(tok))
					var created any = time.Now().UTC()
					if sqliteTimes {
						created = time.Now().UnixMicro()
					}
					if _, err := db.ExecContext(ctx, insert, hex.EncodeToString(sum[:]), u.ID, created); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
