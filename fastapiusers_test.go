package authkit_test

// Moving off a FastAPI Users backend: its SQLAlchemy tables, holding users
// whose password hashes an independent implementation made in FastAPI
// Users' formats (testdata/fastapiusers), are adopted by the store and
// served by authkit over HTTP, on SQLite and PostgreSQL.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/jmoiron/sqlx"
)

// fastapiUser is one account of testdata/fastapiusers/users.json.
type fastapiUser struct {
	ID             string `json:"id"`
	Email          string `json:"email"`
	Password       string `json:"password"`
	Kind           string `json:"kind"` // "argon2" or "bcrypt"
	IsActive       bool   `json:"is_active"`
	IsSuperuser    bool   `json:"is_superuser"`
	IsVerified     bool   `json:"is_verified"`
	HashedPassword string `json:"hashed_password"`
}

// fastapiUsers reads the fixture accounts, keyed by the local part of
// their email, lower-cased.
func fastapiUsers(t *testing.T) map[string]fastapiUser {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fastapiusers", "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Users []fastapiUser }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	users := map[string]fastapiUser{}
	for _, u := range f.Users {
		local, _, _ := strings.Cut(strings.ToLower(u.Email), "@")
		users[local] = u
	}
	for _, name := range []string{"king.arthur", "lancelot", "mordred", "élaine", "percival"} {
		if _, ok := users[name]; !ok {
			t.Fatalf("users.json has no %s", name)
		}
	}
	return users
}

// fastapiDialects are the databases FastAPI Users' schema is built in.
var fastapiDialects = []struct {
	name, schema string
	db           func(t *testing.T) *sqlx.DB
	store        func(db *sqlx.DB) (testStore, error)
}{
	{"sqlite", "schema.sqlite.sql", func(t *testing.T) *sqlx.DB { return testdb.SQLite(t) },
		func(db *sqlx.DB) (testStore, error) { return sqlite.New(db, sqlite.AdoptFastAPIUsers("user")) }},
	{"postgres", "schema.postgres.sql", func(t *testing.T) *sqlx.DB { return testdb.Postgres(t, "postgres") },
		func(db *sqlx.DB) (testStore, error) { return postgres.New(db, postgres.AdoptFastAPIUsers("user")) }},
	// pgx's driver, the users read through its own connection (their
	// NULL times of before authkit included), as store/dbopen reads them.
	{"postgres-native", "schema.postgres.sql", func(t *testing.T) *sqlx.DB { return testdb.Postgres(t, "pgx") },
		func(db *sqlx.DB) (testStore, error) {
			return postgres.New(db, postgres.AdoptFastAPIUsers("user"), postgres.NativeReads(dbopen.PgxReader(db.DB)))
		}},
}

// fastapiDatabase builds FastAPI Users' tables with the DDL SQLAlchemy
// emits and inserts users as FastAPI Users writes them (SQLite booleans as
// 0/1, ids as lowercase hyphenated text), plus one of its raw database
// tokens for the first user.
func fastapiDatabase(t *testing.T, db *sqlx.DB, schemaFile string, users ...fastapiUser) {
	t.Helper()
	ddl, err := os.ReadFile(filepath.Join("testdata", "fastapiusers", schemaFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(ddl)); err != nil {
		t.Fatalf("FastAPI Users schema: %v", err)
	}
	for _, u := range users {
		if _, err := db.Exec(db.Rebind(`INSERT INTO "user" (id, email, hashed_password, is_active, is_superuser, is_verified)
			VALUES (?, ?, ?, ?, ?, ?)`), u.ID, u.Email, u.HashedPassword, u.IsActive, u.IsSuperuser, u.IsVerified); err != nil {
			t.Fatalf("insert %s: %v", u.Email, err)
		}
	}
	if len(users) > 0 {
		created := time.Now().UTC().Format("2006-01-02 15:04:05.000000") // SQLAlchemy's SQLite form
		if _, err := db.Exec(db.Rebind(`INSERT INTO accesstoken (token, created_at, user_id) VALUES (?, ?, ?)`),
			fastapiRawToken, created, users[0].ID); err != nil {
			t.Fatalf("insert access token: %v", err)
		}
	}
}

// fastapiRawToken is a database-strategy token as FastAPI Users stores it:
// secrets.token_urlsafe(32), in clear.
const fastapiRawToken = "q8Yb1N3cZ0hVfW2kLx7pRt5sUa9dEg4jMn6oPi0rT1u"

// The cheap test hasher's PHC prefix: what a rehashed password starts with.
const cheapArgon2Prefix = "$argon2id$v=19$m=64,t=1,p=1$"

func TestFastAPIUsersAdoption(t *testing.T) {
	users := fastapiUsers(t)
	var all []fastapiUser
	for _, name := range []string{"king.arthur", "lancelot", "mordred", "élaine", "percival"} {
		all = append(all, users[name])
	}
	for _, d := range fastapiDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(t *testing.T) (testStore, *sqlx.DB) {
				db := d.db(t)
				fastapiDatabase(t, db, d.schema, all...)
				st, err := d.store(db)
				if err != nil {
					t.Fatal(err)
				}
				migrate(t, st.(store.Migrator))
				return st, db
			})
			storedHash := func(u fastapiUser) string {
				t.Helper()
				var h string
				if err := e.db.Get(&h, e.db.Rebind(`SELECT hashed_password FROM "user" WHERE id = ?`), u.ID); err != nil {
					t.Fatal(err)
				}
				return h
			}
			const bad = `{"detail":"LOGIN_BAD_CREDENTIALS"}`

			for _, name := range []string{"king.arthur", "lancelot", "élaine"} {
				u := users[name]
				t.Run(name, func(t *testing.T) {
					// A wrong password changes nothing. (Not tried on bcrypt:
					// cost 12 takes seconds under the race detector, and the
					// hasher's own tests cover mismatches.)
					if u.Kind == "argon2" {
						expect(t, e.loginForm("jwt", u.Email, u.Password+"!"), http.StatusBadRequest, bad)
						if h := storedHash(u); h != u.HashedPassword {
							t.Fatalf("hash changed by a failed login: %s", h)
						}
					}
					// The FastAPI Users hash logs in, by any case of the email,
					// and is replaced by the configured hasher's.
					me := e.get("/users/me", e.login("jwt", strings.ToUpper(u.Email), u.Password))
					want, _ := json.Marshal(map[string]any{
						"id": u.ID, "email": u.Email,
						"is_active": u.IsActive, "is_superuser": u.IsSuperuser, "is_verified": u.IsVerified,
					})
					var got map[string]any
					if me.status != http.StatusOK || json.Unmarshal([]byte(me.body), &got) != nil || len(got) != 5 {
						t.Fatalf("/users/me: %d %s, want %s", me.status, me.body, want)
					}
					if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(want) {
						t.Fatalf("/users/me: %s, want %s", me.body, want)
					}
					rehashed := storedHash(u)
					if !strings.HasPrefix(rehashed, cheapArgon2Prefix) {
						t.Fatalf("stored hash after login = %s, want %s...", rehashed, cheapArgon2Prefix)
					}
					// The new hash logs in too, on every backend, and stays;
					// a wrong password still fails.
					for _, backend := range []string{"db", "cookie"} {
						e.login(backend, u.Email, u.Password)
					}
					if h := storedHash(u); h != rehashed {
						t.Errorf("hash changed again: %s", h)
					}
					expect(t, e.loginForm("jwt", u.Email, u.Password+"!"), http.StatusBadRequest, bad)
				})
			}

			t.Run("inactive", func(t *testing.T) {
				u := users["mordred"]
				expect(t, e.loginForm("jwt", u.Email, u.Password), http.StatusBadRequest, bad)
				if h := storedHash(u); h != u.HashedPassword {
					t.Errorf("an inactive user's hash was replaced: %s", h)
				}
			})

			t.Run("superuser", func(t *testing.T) {
				admin := e.login("jwt", users["lancelot"].Email, users["lancelot"].Password)
				r := e.get("/users/"+users["mordred"].ID, admin)
				if r.status != http.StatusOK || decode(t, r.body)["email"] != users["mordred"].Email {
					t.Fatalf("GET /users/{id} as superuser: %d %s", r.status, r.body)
				}
				r = e.get("/users/"+users["lancelot"].ID, e.login("jwt", users["king.arthur"].Email, users["king.arthur"].Password))
				expect(t, r, http.StatusForbidden, `{"detail":"Forbidden"}`)
			})

			t.Run("FastAPI Users token", func(t *testing.T) {
				// Its raw database tokens are not authkit's: they log in nobody.
				for _, backend := range []string{"db", "jwt"} {
					r := e.do(http.MethodPost, "/auth/"+backend+"/logout", "", "", bearer(fastapiRawToken))
					expect(t, r, http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
				}
				expect(t, e.get("/users/me", bearer(fastapiRawToken)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			})

			t.Run("register", func(t *testing.T) {
				created := e.register("Galahad@Corbenic.bt", goodPassword)
				var row struct {
					Email    string `db:"email"`
					Hash     string `db:"hashed_password"`
					Active   bool   `db:"is_active"`
					Super    bool   `db:"is_superuser"`
					Verified bool   `db:"is_verified"`
				}
				if err := e.db.Get(&row, e.db.Rebind(`SELECT email, hashed_password, is_active, is_superuser, is_verified
					FROM "user" WHERE id = ?`), created["id"]); err != nil {
					t.Fatalf("the new user is not in FastAPI Users' table: %v", err)
				}
				if row.Email != "Galahad@Corbenic.bt" || !strings.HasPrefix(row.Hash, cheapArgon2Prefix) ||
					!row.Active || row.Super || row.Verified {
					t.Errorf("row = %+v", row)
				}
				e.login("jwt", "galahad@corbenic.bt", goodPassword)

				// Emails of the users of before are taken, whatever their case;
				// É/é is a fold SQLite's lower() does not know.
				for _, email := range []string{"king.arthur@camelot.bt", "élaine@astolat.bt", "GALAHAD@corbenic.bt"} {
					r := e.postJSON("/auth/register", `{"email":`+q(email)+`,"password":`+q(goodPassword)+`}`)
					expect(t, r, http.StatusBadRequest, `{"detail":"REGISTER_USER_ALREADY_EXISTS"}`)
				}
			})

			t.Run("NFKC password", func(t *testing.T) {
				// FastAPI Users hashes a password as typed; authkit hashes its
				// NFKC form. A password that NFKC changes (here fullwidth
				// letters) verifies because the manager also tries the password
				// as typed, and is then rehashed in its NFKC form.
				u := users["percival"]
				r := e.loginForm("jwt", u.Email, u.Password)
				if r.status != http.StatusOK {
					t.Fatalf("a FastAPI Users password that NFKC changes does not log in: %d %s", r.status, r.body)
				}
				if h := storedHash(u); !strings.HasPrefix(h, cheapArgon2Prefix) {
					t.Errorf("stored hash after login = %s, want %s...", h, cheapArgon2Prefix)
				}
				// Rehashed in the normal form: the same password still logs in.
				if r := e.loginForm("jwt", u.Email, u.Password); r.status != http.StatusOK {
					t.Fatalf("second login: %d %s", r.status, r.body)
				}
			})
		})
	}
}

// TestFastAPIUsersAdoptionCollision: two FastAPI Users accounts whose
// emails are one canonical email (FastAPI Users' unique index on email is
// case-sensitive) stop the adoption, which changes nothing.
func TestFastAPIUsersAdoptionCollision(t *testing.T) {
	users := fastapiUsers(t)
	for _, d := range fastapiDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db := d.db(t)
			twin := users["élaine"]
			twin.ID = "8d9e0f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a"
			twin.Email = "élaine@ASTOLAT.bt"
			fastapiDatabase(t, db, d.schema, users["king.arthur"], users["élaine"], twin)
			snapshot := func() string {
				var rows []string
				if err := db.Select(&rows, `SELECT id || ' ' || email || ' ' || hashed_password FROM "user" ORDER BY id`); err != nil {
					t.Fatal(err)
				}
				var cols []string
				q := `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'user' ORDER BY column_name`
				if d.name == "sqlite" {
					q = `SELECT name FROM pragma_table_info('user') ORDER BY name`
				}
				if err := db.Select(&cols, q); err != nil {
					t.Fatal(err)
				}
				return strings.Join(rows, "\n") + "\n" + strings.Join(cols, ",")
			}
			before := snapshot()

			st, err := d.store(db)
			if err != nil {
				t.Fatal(err)
			}
			err = st.(store.Migrator).Migrate(context.Background())
			if !errors.Is(err, store.ErrEmailTaken) || !strings.Contains(err.Error(), users["élaine"].ID) || !strings.Contains(err.Error(), twin.ID) {
				t.Fatalf("Migrate: err = %v, want ErrEmailTaken naming both ids", err)
			}
			if after := snapshot(); after != before {
				t.Errorf("the table changed:\n%s\nwas\n%s", after, before)
			}
			var n int
			if err := db.Get(&n, `SELECT count(*) FROM accesstoken`); err != nil || n != 1 {
				t.Errorf("accesstoken: %d rows, %v", n, err)
			}
		})
	}
}

// TestFastAPIUsersFixturesDefaultHasher: the production hasher, with its
// default caps, verifies FastAPI Users' argon2 hashes as they are —
// argon2-cffi's m=65536 sits exactly at the 64 MiB cap — and asks for a
// rehash. (Its bcrypt fallback is what the test above logs in through.)
func TestFastAPIUsersFixturesDefaultHasher(t *testing.T) {
	h := hasher.Default()
	wrongTried := false
	for name, u := range fastapiUsers(t) {
		prefix := map[string]string{"argon2": "$argon2id$v=19$m=65536,t=3,p=4$", "bcrypt": "$2b$12$"}[u.Kind]
		if prefix == "" || !strings.HasPrefix(u.HashedPassword, prefix) {
			t.Errorf("%s: fixture %s is not in FastAPI Users' %s form", name, u.HashedPassword, u.Kind)
		}
		if u.Kind != "argon2" {
			continue
		}
		match, rehash, err := h.Verify(u.Password, u.HashedPassword)
		if err != nil || !match || !rehash {
			t.Errorf("%s: Verify = %v, %v, %v; want a match to rehash", name, match, rehash, err)
		}
		if !wrongTried {
			wrongTried = true
			if match, _, err := h.Verify(u.Password+"x", u.HashedPassword); err != nil || match {
				t.Errorf("%s: wrong password: match %v, err %v", name, match, err)
			}
		}
	}
}
