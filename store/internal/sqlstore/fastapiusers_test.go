package sqlstore_test

// Stores that adopt a FastAPI Users table of users, on every backend.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/store/storetest"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// fastapiBackend opens an empty database of one backend and a store on it
// that adopts the table of users named table.
type fastapiBackend struct {
	name  string
	db    func(t *testing.T) *sqlx.DB
	store func(db *sqlx.DB, table string) (sqlStore, error)
}

var fastapiBackends = []fastapiBackend{
	{"sqlite", func(t *testing.T) *sqlx.DB { return testdb.SQLite(t) },
		func(db *sqlx.DB, table string) (sqlStore, error) {
			return sqlite.New(db, sqlite.AdoptFastAPIUsers(table))
		}},
	{"postgres", func(t *testing.T) *sqlx.DB { return testdb.Postgres(t, "postgres") },
		func(db *sqlx.DB, table string) (sqlStore, error) {
			return postgres.New(db, postgres.AdoptFastAPIUsers(table))
		}},
	{"pgx", func(t *testing.T) *sqlx.DB { return testdb.Postgres(t, "pgx") },
		func(db *sqlx.DB, table string) (sqlStore, error) {
			return postgres.New(db, postgres.AdoptFastAPIUsers(table))
		}},
}

func eachFastAPI(t *testing.T, fn func(t *testing.T, b fastapiBackend)) {
	for _, b := range fastapiBackends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// isSQLite tells the dialect of a test database.
func isSQLite(db *sqlx.DB) bool { return db.DriverName() == "sqlite3" }

// createFastAPIUsersSchema creates FastAPI Users' tables as SQLAlchemy
// does (the DDL shared with the HTTP tests, in the root testdata), under
// the name table.
func createFastAPIUsersSchema(t *testing.T, db *sqlx.DB, table string) {
	t.Helper()
	file := "schema.postgres.sql"
	if isSQLite(db) {
		file = "schema.sqlite.sql"
	}
	ddl, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "fastapiusers", file))
	if err != nil {
		t.Fatal(err)
	}
	s := string(ddl)
	if table != "user" {
		s = strings.NewReplacer(`"user"`, `"`+table+`"`, " user ", " "+table+" ").Replace(s)
	}
	if _, err := db.Exec(s); err != nil {
		t.Fatalf("FastAPI Users schema: %v", err)
	}
}

// fastapiRow is a row as FastAPI Users writes it.
type fastapiRow struct {
	id     string
	email  string
	active bool
}

func insertFastAPIUsers(t *testing.T, db *sqlx.DB, table string, rows ...fastapiRow) {
	t.Helper()
	for _, r := range rows {
		_, err := db.Exec(db.Rebind(`INSERT INTO "`+table+`" (id, email, hashed_password, is_active, is_superuser, is_verified)
			VALUES (?, ?, ?, ?, ?, ?)`), r.id, r.email, "$2b$12$"+strings.Repeat("x", 53), r.active, false, false)
		if err != nil {
			t.Fatalf("insert %s: %v", r.email, err)
		}
	}
}

func adopt(t *testing.T, b fastapiBackend, db *sqlx.DB, table string) sqlStore {
	t.Helper()
	st, err := b.store(db, table)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

// TestFastAPIUsersConformance runs the conformance suite on an adopted
// table: everything a store promises holds there too.
func TestFastAPIUsersConformance(t *testing.T) {
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		storetest.Run(t, func(t *testing.T) storetest.Store {
			db := b.db(t)
			createFastAPIUsersSchema(t, db, "user")
			return adopt(t, b, db, "")
		})
	})
}

// TestAdoptExistingUsers: the users FastAPI Users wrote are found by any
// case of their email, as stored, with no creation time, listed first.
func TestAdoptExistingUsers(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		old := []fastapiRow{
			{"9b2f0c44-1d7e-4f3a-8a55-6e1d2c3b4a50", "King.Arthur@Camelot.bt", true},
			{"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "ÉLAINE@Astolat.bt", false},
		}
		insertFastAPIUsers(t, db, "user", old...)
		st := adopt(t, b, db, "user")

		var canon []string
		must(t, db.Select(&canon, `SELECT authkit_email_canonical FROM "user" ORDER BY authkit_email_canonical`))
		if strings.Join(canon, " ") != "king.arthur@camelot.bt élaine@astolat.bt" {
			t.Errorf("canonical emails = %q", canon)
		}
		for _, r := range old {
			u, err := st.UserByEmail(ctx, strings.ToLower(r.email))
			if err != nil {
				t.Fatalf("UserByEmail(%q): %v", strings.ToLower(r.email), err)
			}
			if u.ID.String() != r.id || u.Email != r.email || u.IsActive != r.active || !u.CreatedAt.IsZero() || !u.UpdatedAt.IsZero() {
				t.Errorf("user = %+v, want %+v with zero times", u, r)
			}
		}

		// A new user: times kept; listed after the users of before.
		fresh := mkUser(t, st, "galahad@corbenic.bt")
		list, err := st.ListUsers(ctx)
		must(t, err)
		if len(list) != 3 || list[2].ID != fresh.ID || !list[2].CreatedAt.Equal(now) {
			t.Errorf("ListUsers = %v, want the new user last, created %v", list, now)
		}

		// Updating an old user keeps its unknown creation time unknown.
		u, err := st.UserByID(ctx, uuid.MustParse(old[0].id))
		must(t, err)
		u.HashedPassword = "$argon2id$new"
		must(t, st.UpdateUser(ctx, u))
		var created, updated any
		must(t, db.QueryRow(db.Rebind(`SELECT authkit_created_at, authkit_updated_at FROM "user" WHERE id = ?`), u.ID).Scan(&created, &updated))
		if created != nil || updated != nil {
			t.Errorf("times of an old user after UpdateUser = %v, %v, want NULL", created, updated)
		}

		// A case variant of an old user's email is taken.
		twin := &store.User{ID: uuid.New(), Email: "élaine@ASTOLAT.bt", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, twin); !errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser(%q): err = %v, want ErrEmailTaken", twin.Email, err)
		}

		// Migrate again: nothing to do, nothing lost.
		must(t, st.Migrate(ctx))
		if n := count(t, st, `SELECT count(*) FROM "user"`); n != 3 {
			t.Errorf("%d users after a second Migrate, want 3", n)
		}
		// The raw-token table of FastAPI Users is left as it was.
		if n := count(t, st, `SELECT count(*) FROM accesstoken`); n != 0 {
			t.Errorf("accesstoken has %d rows", n)
		}
	})
}

// columns lists the columns of table, sorted.
func columns(t *testing.T, db *sqlx.DB, table string) string {
	t.Helper()
	var cols []string
	q := `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name`
	if isSQLite(db) {
		q = `SELECT name FROM pragma_table_info(?) ORDER BY name`
	}
	must(t, db.Select(&cols, q, table))
	return strings.Join(cols, ",")
}

// tables lists the tables of the test's database or schema, sorted.
func tables(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var names []string
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	if isSQLite(db) {
		q = `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`
	}
	must(t, db.Select(&names, q))
	return strings.Join(names, ",")
}

// TestAdoptCollision: two existing users whose emails only Go's canonical
// form folds together (SQLite's lower() leaves É alone) make Migrate fail
// with ErrEmailTaken, naming both ids, and leave the database as it was.
// Once one of them is renamed, Migrate succeeds.
func TestAdoptCollision(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		a := fastapiRow{"11111111-1111-4111-8111-111111111111", "ÉLAINE@astolat.bt", true}
		c := fastapiRow{"22222222-2222-4222-8222-222222222222", "élaine@Astolat.bt", true}
		insertFastAPIUsers(t, db, "user", a, c,
			fastapiRow{"33333333-3333-4333-8333-333333333333", "percival@corbenic.bt", true})
		colsBefore, tablesBefore := columns(t, db, "user"), tables(t, db)

		st, err := b.store(db, "user")
		must(t, err)
		err = st.Migrate(ctx)
		if !errors.Is(err, store.ErrEmailTaken) || !strings.Contains(err.Error(), a.id+" and "+c.id) {
			t.Fatalf("Migrate: err = %v, want ErrEmailTaken naming %s and %s", err, a.id, c.id)
		}
		if strings.Contains(err.Error(), "astolat") {
			t.Errorf("the error shows an email: %v", err)
		}
		if got := columns(t, db, "user"); got != colsBefore {
			t.Errorf("columns after a failed Migrate = %s, want %s", got, colsBefore)
		}
		// authkit_migrations is created before the transaction on SQLite
		// (empty), inside it on PostgreSQL.
		got := strings.Replace(tables(t, db), "authkit_migrations,", "", 1)
		if got != tablesBefore {
			t.Errorf("tables after a failed Migrate = %s, want %s", got, tablesBefore)
		}
		if isSQLite(db) {
			if n := count(t, st, `SELECT count(*) FROM authkit_migrations`); n != 0 {
				t.Errorf("%d migrations recorded", n)
			}
		}

		_, err = db.Exec(db.Rebind(`UPDATE "user" SET email = ? WHERE id = ?`), "elaine.2@astolat.bt", c.id)
		must(t, err)
		must(t, st.Migrate(ctx))
		u, err := st.UserByEmail(ctx, "élaine@astolat.bt")
		must(t, err)
		if u.ID.String() != a.id {
			t.Errorf("user %v, want %s", u.ID, a.id)
		}
	})
}

// TestAdoptNamedTable adopts a table renamed by the application
// (__tablename__ = "users"), and refuses a missing one clearly.
func TestAdoptNamedTable(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		st, err := b.store(db, "Users")
		must(t, err)
		err = st.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), `table "Users" must exist with FastAPI Users' columns`) {
			t.Fatalf("Migrate without the table: err = %v", err)
		}

		createFastAPIUsersSchema(t, db, "Users")
		insertFastAPIUsers(t, db, "Users", fastapiRow{"44444444-4444-4444-8444-444444444444", "Bors@Gaunes.bt", true})
		st = adopt(t, b, db, "Users")
		if _, err := st.UserByEmail(ctx, "bors@gaunes.bt"); err != nil {
			t.Errorf("UserByEmail: %v", err)
		}
		u := mkUser(t, st, "lionel@gaunes.bt")
		must(t, st.CreateAccessToken(ctx, store.AccessToken{Hash: "h", UserID: u.ID, CreatedAt: now}))
		must(t, st.DeleteUser(ctx, u.ID))
	})
}

// TestAdoptRefusesMixing: a database holds authkit's own schema or an
// adopted table, and Migrate says so when opened the other way.
func TestAdoptRefusesMixing(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		adopt(t, b, db, "user")
		var own sqlStore
		var err error
		if isSQLite(db) {
			own, err = sqlite.New(db)
		} else {
			own, err = postgres.New(db)
		}
		must(t, err)
		if err := own.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "adopted a FastAPI Users table") {
			t.Errorf("Migrate without the option on an adopted database: err = %v", err)
		}

		db2 := b.db(t)
		createFastAPIUsersSchema(t, db2, "user")
		if isSQLite(db2) {
			own, err = sqlite.New(db2)
		} else {
			own, err = postgres.New(db2)
		}
		must(t, err)
		must(t, own.Migrate(ctx))
		st, err := b.store(db2, "user")
		must(t, err)
		if err := st.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "holds authkit's own authkit_users") {
			t.Errorf("adopting on a database with authkit's schema: err = %v", err)
		}
	})
}

// TestAdoptConcurrentMigrate adopts one table from several handles at
// once, as processes starting together would: one adopts, the others
// find it done.
func TestAdoptConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		insertFastAPIUsers(t, db, "user", fastapiRow{"55555555-5555-4555-8555-555555555555", "Tristan@Lyonesse.bt", true})
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			st, err := b.store(db, "user")
			must(t, err)
			wg.Go(func() { errs[i] = st.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate #%d: %v", i, err)
			}
		}
		if n := count(t, adopt(t, b, db, "user"), `SELECT count(*) FROM authkit_migrations`); n != 10 {
			t.Errorf("%d migrations recorded, want 10 (1001 to 1009, 1011)", n)
		}
	})
}

func TestAdoptBadTableName(t *testing.T) {
	db := testdb.SQLite(t)
	for _, name := range []string{" ", "a\x00b"} {
		if _, err := sqlite.New(db, sqlite.AdoptFastAPIUsers(name)); err == nil {
			t.Errorf("AdoptFastAPIUsers(%q): no error", name)
		}
	}
	// A quote in the name is escaped, not a way out of the identifier.
	st, err := sqlite.New(db, sqlite.AdoptFastAPIUsers(`we"ird`))
	must(t, err)
	if _, err := db.Exec(`CREATE TABLE "we""ird" (id CHAR(36) NOT NULL PRIMARY KEY, email VARCHAR(320) NOT NULL,
		hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	must(t, st.Migrate(context.Background()))
	mkUser(t, st, "dagonet@camelot.bt")
}

// TestAdoptTwinOfUnadoptedRow: a row FastAPI Users wrote after the
// adoption has no canonical email, so ON CONFLICT does not see it, but its
// email is FastAPI Users' unique index: CreateUser answers ErrEmailTaken,
// not a fault. A clash on the id stays a fault.
func TestAdoptTwinOfUnadoptedRow(t *testing.T) {
	ctx := context.Background()
	eachFastAPI(t, func(t *testing.T, b fastapiBackend) {
		db := b.db(t)
		createFastAPIUsersSchema(t, db, "user")
		st := adopt(t, b, db, "user")
		late := fastapiRow{"66666666-6666-4666-8666-666666666666", "Gareth@Orkney.bt", true}
		insertFastAPIUsers(t, db, "user", late)
		err := st.CreateUser(ctx, &store.User{ID: uuid.New(), Email: late.email, CreatedAt: now, UpdatedAt: now})
		if !errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser(%q): err = %v, want ErrEmailTaken", late.email, err)
		}
		err = st.CreateUser(ctx, &store.User{ID: uuid.MustParse(late.id), Email: "gaheris@orkney.bt", CreatedAt: now, UpdatedAt: now})
		if err == nil || errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser with a used id: err = %v, want a fault", err)
		}
	})
}
