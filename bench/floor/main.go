// Command floor is the baseline bench/load compares examples/notebooks
// with: a hand-written server that answers GET /users/me with the least
// work for the same answer, on the same database.
//
//   - Authorization: Bearer <JWT>: parse it with golang-jwt (HS256, exp
//     required, audience authkit:auth), then select the user by id. No
//     revocation check: that is part of what authkit adds.
//   - Cookie authkit=<token>: hash the token (SHA-256), look the hash up,
//     then the user: two plain sqlx queries. With -redis, as the example
//     with -redis: HMGET the token's record from Redis (the layout
//     redistoken writes), then select the user.
//
// The answer is the user as JSON, as authkit serves it. AUTHKIT_SECRET
// must be the example's: the access key is derived from it the same way
// (HKDF-SHA256, info "authkit access").
//
//	AUTHKIT_SECRET=... go run ./bench/floor -db sqlite:notebooks.db -addr 127.0.0.1:8001
//
// The database pool keeps database/sql's defaults, as store/dbopen does,
// unless -max-conns is given.
package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" driver, as store/dbopen uses
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// tokenLifetime is the database strategy's default lifetime.
const tokenLifetime = time.Hour

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8001", "address to listen on")
	dbURL := fs.String("db", "sqlite:notebooks.db", "database: sqlite:PATH or a postgres:// URL")
	maxConns := fs.Int("max-conns", 0, "cap the pool at `N` open and idle connections (0: database/sql's defaults)")
	redisURL := fs.String("redis", "", "read cookie tokens from the Redis at `URL`, as the example with -redis does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	secret := getenv("AUTHKIT_SECRET")
	if len(secret) < 32 {
		return errors.New("AUTHKIT_SECRET (at least 32 bytes) is required: the example's")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "authkit access", 32)
	if err != nil {
		return err
	}
	db, err := open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if *maxConns > 0 {
		db.SetMaxOpenConns(*maxConns)
		db.SetMaxIdleConns(*maxConns)
	}
	var rdb *redis.Client
	if *redisURL != "" {
		opts, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
		rdb = redis.NewClient(opts)
		defer rdb.Close()
	}
	prefix := getenv("NOTEBOOKS_REDIS_PREFIX")
	if prefix == "" {
		prefix = "authkit:"
	}
	mux := http.NewServeMux()
	mux.Handle("GET /users/me", newHandler(db, key, rdb, prefix+"token:t:"))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "floor listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func open(ctx context.Context, dbURL string) (*sqlx.DB, error) {
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		return sqlite.Open(ctx, path)
	}
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return nil, errors.New("-db: want sqlite:PATH or a postgres:// URL")
	}
	db, err := sqlx.Open("postgres", dbURL)
	if err == nil {
		if err = db.PingContext(ctx); err != nil {
			db.Close()
		}
	}
	return db, err
}

// user is a row of authkit_users, and the JSON authkit serves.
type user struct {
	ID             uuid.UUID `db:"id" json:"id"`
	Email          string    `db:"email" json:"email"`
	HashedPassword string    `db:"hashed_password" json:"-"`
	IsActive       bool      `db:"is_active" json:"is_active"`
	IsSuperuser    bool      `db:"is_superuser" json:"is_superuser"`
	IsVerified     bool      `db:"is_verified" json:"is_verified"`
	CreatedAt      dbTime    `db:"created_at" json:"-"`
	UpdatedAt      dbTime    `db:"updated_at" json:"-"`
}

// dbTime scans SQLite's integer microseconds and PostgreSQL's timestamptz.
type dbTime struct{ time.Time }

func (t *dbTime) Scan(src any) error {
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

const userByID = `SELECT id, email, hashed_password, is_active, is_superuser, is_verified, created_at, updated_at
	FROM authkit_users WHERE id = ?`

// newHandler answers GET /users/me; rdb, when not nil, holds the cookie
// tokens under tokenPrefix + hex SHA-256.
func newHandler(db *sqlx.DB, key []byte, rdb *redis.Client, tokenPrefix string) http.Handler {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience("authkit:auth"),
		jwt.WithExpirationRequired(),
	)
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	byID := db.Rebind(userByID)
	byHash := db.Rebind(`SELECT user_id, created_at FROM authkit_access_tokens WHERE hash = ?`)
	unauthorized := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"detail":"Unauthorized"}`)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var id uuid.UUID
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			var c jwt.RegisteredClaims
			if _, err := parser.ParseWithClaims(tok, &c, keyFunc); err != nil {
				unauthorized(w)
				return
			}
			var err error
			if id, err = uuid.Parse(c.Subject); err != nil {
				unauthorized(w)
				return
			}
		} else if c, err := r.Cookie("authkit"); err == nil && rdb != nil {
			sum := sha256.Sum256([]byte(c.Value))
			rec, err := rdb.HMGet(ctx, tokenPrefix+hex.EncodeToString(sum[:]), "user_id", "created_at").Result()
			if err != nil || len(rec) != 2 {
				unauthorized(w)
				return
			}
			sid, _ := rec[0].(string)
			screated, _ := rec[1].(string)
			created, cerr := strconv.ParseInt(screated, 10, 64)
			if id, err = uuid.Parse(sid); err != nil || cerr != nil || time.Since(time.UnixMicro(created)) >= tokenLifetime {
				unauthorized(w)
				return
			}
		} else if err == nil {
			sum := sha256.Sum256([]byte(c.Value))
			var t struct {
				UserID    uuid.UUID `db:"user_id"`
				CreatedAt dbTime    `db:"created_at"`
			}
			if err := db.GetContext(ctx, &t, byHash, hex.EncodeToString(sum[:])); err != nil ||
				time.Since(t.CreatedAt.Time) >= tokenLifetime {
				unauthorized(w)
				return
			}
			id = t.UserID
		} else {
			unauthorized(w)
			return
		}
		var u user
		if err := db.GetContext(ctx, &u, byID, id); err != nil || !u.IsActive {
			unauthorized(w)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(&u)
	})
}
