package sqlstore_test

// Properties of the SQL stores beyond the conformance suite, checked on
// every backend: SQLite, and PostgreSQL through lib/pq and pgx.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/store/storetest"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

type sqlStore interface {
	storetest.Store
	store.OAuthAccountStore
	store.Migrator
	DB() *sqlx.DB
}

type backend struct {
	name string
	open func(t *testing.T) sqlStore
}

func migrated[S sqlStore](t *testing.T, st S, err error) sqlStore {
	t.Helper()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

var backends = []backend{
	{"sqlite", func(t *testing.T) sqlStore {
		st, err := sqlite.New(testdb.SQLite(t))
		return migrated(t, st, err)
	}},
	{"postgres", func(t *testing.T) sqlStore {
		st, err := postgres.New(testdb.Postgres(t, "postgres"))
		return migrated(t, st, err)
	}},
	{"pgx", func(t *testing.T) sqlStore {
		st, err := postgres.New(testdb.Postgres(t, "pgx"))
		return migrated(t, st, err)
	}},
}

func each(t *testing.T, fn func(t *testing.T, st sqlStore)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

var now = time.Date(2025, 3, 4, 5, 6, 7, 891011000, time.UTC)

func mkUser(t *testing.T, st sqlStore, email string) *store.User {
	t.Helper()
	u := &store.User{ID: uuid.New(), Email: email, HashedPassword: "h", IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func count(t *testing.T, st sqlStore, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, st.DB().Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestCreateAccessTokenUnknownUser(t *testing.T) {
	each(t, func(t *testing.T, st sqlStore) {
		err := st.CreateAccessToken(context.Background(), store.AccessToken{Hash: "x", UserID: uuid.New(), CreatedAt: now})
		if !errors.Is(err, store.ErrUserNotFound) {
			t.Errorf("err = %v, want ErrUserNotFound", err)
		}
		if n := count(t, st, "SELECT count(*) FROM authkit_access_tokens"); n != 0 {
			t.Errorf("%d tokens stored", n)
		}
	})
}

func TestDeleteUserRemovesRows(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, st sqlStore) {
		gone, kept := mkUser(t, st, "gone@x.io"), mkUser(t, st, "kept@x.io")
		for _, u := range []*store.User{gone, kept} {
			must(t, st.CreateAccessToken(ctx, store.AccessToken{Hash: u.Email, UserID: u.ID, CreatedAt: now}))
			must(t, st.RevokeToken(ctx, "jti-"+u.Email, u.ID, now))
			must(t, st.RevokeUserTokens(ctx, u.ID, now, "keep"))
			must(t, st.CreateRefreshToken(ctx, store.RefreshToken{Hash: "r-" + u.Email, FamilyID: "f", UserID: u.ID,
				CreatedAt: now, FamilyCreatedAt: now}))
			must(t, st.UpsertOAuthAccount(ctx, store.OAuthAccount{ID: uuid.New(), UserID: u.ID, Provider: "oidc",
				AccountID: u.Email, CreatedAt: now}))
		}
		must(t, st.DeleteUser(ctx, gone.ID))
		for _, table := range []string{"authkit_access_tokens", "authkit_revoked_tokens", "authkit_token_cutoffs", "authkit_refresh_tokens", "authkit_oauth_accounts"} {
			if n := count(t, st, "SELECT count(*) FROM "+table+" WHERE user_id = ?", gone.ID); n != 0 {
				t.Errorf("%s: %d rows left for the deleted user", table, n)
			}
			if n := count(t, st, "SELECT count(*) FROM "+table+" WHERE user_id = ?", kept.ID); n != 1 {
				t.Errorf("%s: %d rows for the other user, want 1", table, n)
			}
		}
	})
}

func TestRevokeTwiceKeepsLaterExpiry(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, st sqlStore) {
		u := mkUser(t, st, "r@x.io")
		must(t, st.RevokeToken(ctx, "jti", u.ID, now.Add(time.Hour)))
		must(t, st.RevokeToken(ctx, "jti", u.ID, now.Add(-time.Hour)))
		must(t, st.DeleteExpiredRevocations(ctx, now))
		if _, err := st.UserForToken(ctx, u.ID, "jti", now); !errors.Is(err, store.ErrTokenNotFound) {
			t.Errorf("a second, shorter revocation shortened the first: err = %v", err)
		}
	})
}

func TestDuplicateIDIsAFault(t *testing.T) {
	each(t, func(t *testing.T, st sqlStore) {
		u := mkUser(t, st, "first@x.io")
		twin := *u
		twin.Email = "second@x.io"
		err := st.CreateUser(context.Background(), &twin)
		if err == nil || errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser with a used id: err = %v, want a fault", err)
		}
	})
}

func TestFaultsWrapTheirCause(t *testing.T) {
	each(t, func(t *testing.T, st sqlStore) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		u := &store.User{ID: uuid.New(), Email: "c@x.io"}
		for name, err := range map[string]error{
			"CreateUser":  st.CreateUser(ctx, u),
			"UpdateUser":  st.UpdateUser(ctx, u),
			"DeleteUser":  st.DeleteUser(ctx, u.ID),
			"Migrate":     st.Migrate(ctx),
			"RevokeToken": st.RevokeToken(ctx, "x", u.ID, now),
			"RotateRefreshToken": func() error {
				_, err := st.RotateRefreshToken(ctx, "x", store.RefreshToken{Hash: "y", CreatedAt: now})
				return err
			}(),
			"DeleteRefreshFamily": func() error { _, err := st.DeleteRefreshFamily(ctx, u.ID, "f"); return err }(),
		} {
			if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "authkit/store: ") {
				t.Errorf("%s: err = %v, want authkit/store: ...: context canceled", name, err)
			}
		}
	})
}

// TestStoredForm checks the documented column forms: times as Unix
// microseconds in SQLite and TIMESTAMPTZ in PostgreSQL, the canonical
// email beside the email, NULL for no kept token.
func TestStoredForm(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, st sqlStore) {
		u := mkUser(t, st, " Zoë@X.io")
		must(t, st.RevokeUserTokens(ctx, u.ID, now, ""))
		must(t, st.CreateRefreshToken(ctx, store.RefreshToken{Hash: "r", FamilyID: "f", UserID: u.ID,
			CreatedAt: now, FamilyCreatedAt: now}))
		db := st.DB()

		var canon string
		must(t, db.Get(&canon, db.Rebind("SELECT email_canonical FROM authkit_users WHERE id = ?"), u.ID))
		if canon != "zoë@x.io" {
			t.Errorf("email_canonical = %q", canon)
		}
		if n := count(t, st, "SELECT count(*) FROM authkit_token_cutoffs WHERE keep_token_id IS NULL"); n != 1 {
			t.Errorf("no kept token is not stored as NULL")
		}
		if n := count(t, st, "SELECT count(*) FROM authkit_refresh_tokens WHERE used_at IS NULL"); n != 1 {
			t.Errorf("an unused refresh token is not stored with used_at NULL")
		}
		if db.DriverName() == "sqlite3" {
			var micros int64
			var typ string
			must(t, db.QueryRow("SELECT created_at, typeof(created_at) FROM authkit_users").Scan(&micros, &typ))
			if typ != "integer" || micros != now.UnixMicro() {
				t.Errorf("created_at = %d (%s), want %d (integer)", micros, typ, now.UnixMicro())
			}
			must(t, db.QueryRow("SELECT family_created_at, typeof(family_created_at) FROM authkit_refresh_tokens").Scan(&micros, &typ))
			if typ != "integer" || micros != now.UnixMicro() {
				t.Errorf("family_created_at = %d (%s), want %d (integer)", micros, typ, now.UnixMicro())
			}
			return
		}
		var ok bool
		must(t, db.Get(&ok, db.Rebind("SELECT created_at = ?::timestamptz FROM authkit_users"), now.Format(time.RFC3339Nano)))
		if !ok {
			t.Errorf("created_at is not %v", now)
		}
		var types []string
		must(t, db.Select(&types, `SELECT DISTINCT data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name IN ('created_at', 'updated_at', 'expires_at', 'not_before', 'applied_at', 'last_used_at',
			                  'family_created_at', 'used_at')`))
		if len(types) != 1 || types[0] != "timestamp with time zone" {
			t.Errorf("time columns are %v", types)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOneRoundTrip counts the statements the per-request lookups send.
func TestOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	var n atomic.Int64
	dsn := filepath.Join(t.TempDir(), "count.db") + "?_journal_mode=WAL&_busy_timeout=5000"
	db := sqlx.NewDb(sql.OpenDB(countingConnector{dsn: dsn, n: &n}), "sqlite3")
	defer db.Close()
	st, err := sqlite.New(db)
	s := migrated(t, st, err)
	u := mkUser(t, s, "count@x.io")
	must(t, s.CreateAccessToken(ctx, store.AccessToken{Hash: "h", UserID: u.ID, CreatedAt: now}))
	must(t, s.RevokeUserTokens(ctx, u.ID, now, "kept"))
	must(t, s.RevokeToken(ctx, "revoked", u.ID, now))

	for name, fn := range map[string]func() error{
		"UserForToken": func() error { _, err := s.UserForToken(ctx, u.ID, "kept", now.Add(-time.Hour)); return err },
		"UserForToken(revoked)": func() error {
			_, err := s.UserForToken(ctx, u.ID, "revoked", now)
			if errors.Is(err, store.ErrTokenNotFound) {
				return nil
			}
			return err
		},
		"UserByAccessToken":  func() error { _, _, err := s.UserByAccessToken(ctx, "h"); return err },
		"TouchAccessToken":   func() error { return s.TouchAccessToken(ctx, "h", now.Add(time.Hour)) },
		"AccessTokensOfUser": func() error { _, err := s.AccessTokensOfUser(ctx, u.ID); return err },
	} {
		n.Store(0)
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("%s sent %d statements, want 1", name, got)
		}
	}
	// The counter sees every statement.
	n.Store(0)
	must(t, s.DeleteUser(ctx, u.ID))
	if got := n.Load(); got != 10 {
		t.Errorf("DeleteUser sent %d statements, want 10", got)
	}
}

// countingConnector opens go-sqlite3 connections that count statements.
type countingConnector struct {
	dsn string
	n   *atomic.Int64
}

func (c countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return countingConn{conn.(*sqlite3.SQLiteConn), c.n}, nil
}

func (c countingConnector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }

type countingConn struct {
	*sqlite3.SQLiteConn
	n *atomic.Int64
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.SQLiteConn.QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.SQLiteConn.ExecContext(ctx, q, args)
}

// Preparing sends nothing the test counts: executions are the round
// trips, whether of a prepared statement or not.
func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return countingStmt{st, c.n}, nil
}

func (c countingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

// countingStmt counts the executions of a prepared statement.
type countingStmt struct {
	driver.Stmt
	n *atomic.Int64
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.n.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.n.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// tokenColumns0003 are the columns 0003_access_token_sessions (1003 for
// an adopted table) adds.
var tokenColumns0003 = []string{"session_id", "user_agent", "ip", "last_used_at"}

// downgradeTokens takes a migrated database back to before the session
// fields, as a release before them left it.
func downgradeTokens(t *testing.T, st sqlStore, version int) {
	t.Helper()
	db := st.DB()
	for _, c := range tokenColumns0003 {
		must(t, exec(db, "ALTER TABLE authkit_access_tokens DROP COLUMN "+c))
	}
	must(t, exec(db, db.Rebind("DELETE FROM authkit_migrations WHERE version = ?"), version))
}

func exec(db *sqlx.DB, q string, args ...any) error {
	_, err := db.Exec(q, args...)
	return err
}

// checkUpgradedTokens: tokens written before the session fields, by this
// release or by an older one during a rolling deploy, stay valid with no
// session id and their creation as last use, and are listed.
func checkUpgradedTokens(t *testing.T, st sqlStore, version int) {
	t.Helper()
	ctx := context.Background()
	u := mkUser(t, st, "old@x.io")
	downgradeTokens(t, st, version)
	insertOld := st.DB().Rebind(`INSERT INTO authkit_access_tokens (hash, user_id, created_at) VALUES (?, ?, ?)`)
	created := now
	if isSQLite(st.DB()) {
		must(t, exec(st.DB(), insertOld, "before", u.ID, created.UnixMicro()))
	} else {
		must(t, exec(st.DB(), insertOld, "before", u.ID, created))
	}
	must(t, st.Migrate(ctx))
	// What an older release still running writes after the migration.
	if isSQLite(st.DB()) {
		must(t, exec(st.DB(), insertOld, "during", u.ID, created.Add(time.Second).UnixMicro()))
	} else {
		must(t, exec(st.DB(), insertOld, "during", u.ID, created.Add(time.Second)))
	}
	for _, h := range []string{"before", "during"} {
		_, tok, err := st.UserByAccessToken(ctx, h)
		if err != nil {
			t.Fatalf("UserByAccessToken(%s): %v", h, err)
		}
		if tok.SessionID != "" || tok.UserAgent != "" || tok.IP != "" || !tok.LastUsedAt.Equal(tok.CreatedAt) {
			t.Errorf("token %s after the upgrade = %+v", h, tok)
		}
	}
	list, err := st.AccessTokensOfUser(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].Hash != "during" {
		t.Errorf("AccessTokensOfUser = %+v, %v; want during, before", list, err)
	}
}

func TestUpgradeKeepsTokens(t *testing.T) {
	each(t, func(t *testing.T, st sqlStore) { checkUpgradedTokens(t, st, 3) })
}

func TestAdoptedUpgradeKeepsTokens(t *testing.T) {
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		checkUpgradedTokens(t, adopt(t, b, db, "user"), 1003)
	})
}

// TestRotateRaceDeferredSQLite races rotations on a SQLite database not
// opened by sqlite.Open: its transactions are deferred, not immediate, and
// still exactly one rotation wins, the others told of a reuse rather than
// failing with "database is locked".
func TestRotateRaceDeferredSQLite(t *testing.T) {
	ctx := context.Background()
	dsn := "file:" + filepath.Join(t.TempDir(), "deferred.db") + "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on"
	db, err := sqlx.Open("sqlite3", dsn)
	must(t, err)
	defer db.Close()
	st, err := sqlite.New(db)
	s := migrated(t, st, err)
	u := mkUser(t, s, "deferred@x.io")
	first := store.RefreshToken{Hash: "first", FamilyID: "f", UserID: u.ID, CreatedAt: now, FamilyCreatedAt: now}
	must(t, s.CreateRefreshToken(ctx, first))

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			next := first
			next.Hash = fmt.Sprintf("next-%d", i)
			_, errs[i] = s.RotateRefreshToken(ctx, first.Hash, next)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrTokenReused):
			t.Errorf("rotation #%d: %v, want nil or ErrTokenReused", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d rotations won, want 1", wins)
	}
	if c := count(t, s, "SELECT count(*) FROM authkit_refresh_tokens"); c != 2 {
		t.Errorf("%d refresh tokens stored, want 2", c)
	}
}
