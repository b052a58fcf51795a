package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// FastAPIUsersTable is the name FastAPI Users' SQLAlchemy models give the
// table of users (SQLAlchemyBaseUserTable.__tablename__).
const FastAPIUsersTable = "user"

// adoptedBase separates the two migration sets in authkit_migrations:
// versions up to it build authkit's own schema, versions above it adopt a
// FastAPI Users table. A database holds one set or the other, never both.
const adoptedBase = 1000

// The columns authkit adds to an adopted table. They are prefixed so that
// they cannot clash with the application's own columns (created_at is a
// common addition to a FastAPI Users model), and nullable so that rows
// written without them — existing ones, or ones FastAPI Users inserts —
// remain valid.
const (
	adoptedCanonical = "authkit_email_canonical"
	adoptedCreated   = "authkit_created_at"
	adoptedUpdated   = "authkit_updated_at"
	adoptedVersion   = "authkit_version"
)

// Schema says which tables hold the users. The zero value is authkit's
// own schema: the authkit_users table, created by the migrations.
type Schema struct {
	// FastAPIUsers, when true, keeps the users in an existing table of a
	// FastAPI Users application (fastapi-users-db-sqlalchemy's
	// SQLAlchemyBaseUserTableUUID: id, email, hashed_password, is_active,
	// is_superuser, is_verified) instead of authkit_users.
	FastAPIUsers bool
	// Table names that table; "" means FastAPIUsersTable. Only read when
	// FastAPIUsers is true.
	Table string
}

// userTable is how the queries name the table of users and the columns
// that differ between the two schemas.
type userTable struct {
	name               string // quoted identifier
	canonical          string
	created, updated   string
	fields             string // the application's own fields, a JSON object
	version            string // the security stamp
	nullableTimes      bool   // zero times are stored as NULL, NULL is read as zero
	listOrder          string // ORDER BY of ListUsers, oldest first
	migrationsAreAdopt bool
}

func (sc Schema) userTable() (userTable, error) {
	if !sc.FastAPIUsers {
		return userTable{
			name: "authkit_users", canonical: "email_canonical",
			created: "created_at", updated: "updated_at", fields: "fields", version: "version",
			listOrder: "u.created_at, u.id",
		}, nil
	}
	name := sc.Table
	if name == "" {
		name = FastAPIUsersTable
	}
	if strings.ContainsRune(name, 0) || strings.TrimSpace(name) == "" {
		return userTable{}, fmt.Errorf("invalid table name %q", name)
	}
	return userTable{
		name:      quoteIdent(name),
		canonical: adoptedCanonical, created: adoptedCreated, updated: adoptedUpdated,
		fields:        "authkit_fields",
		version:       adoptedVersion,
		nullableTimes: true,
		// Rows that predate the adoption have no creation time: they
		// are the oldest, first on both databases (PostgreSQL would
		// otherwise sort NULLs last).
		listOrder:          "u." + adoptedCreated + " NULLS FIRST, u.id",
		migrationsAreAdopt: true,
	}, nil
}

// quoteIdent quotes an SQL identifier for SQLite and PostgreSQL alike, as
// SQLAlchemy quotes "user" (a reserved word in PostgreSQL): quoted, the
// name is taken exactly, case included.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// expand puts the table of users and its columns into a query written
// with the placeholders {users}, {canonical}, {created}, {updated},
// {fields} and {list_order}.
func (ut userTable) expand(q string) string {
	return strings.NewReplacer(
		"{users}", ut.name,
		"{canonical}", ut.canonical,
		"{created}", ut.created,
		"{updated}", ut.updated,
		"{fields}", ut.fields,
		"{version}", ut.version,
		"{list_order}", ut.listOrder,
	).Replace(q)
}

// checkAdoptable runs inside the adopting migration, before its SQL: the
// table must exist with FastAPI Users' columns. It says so plainly rather
// than with the first failing ALTER TABLE.
func (s *Store) checkAdoptable(ctx context.Context, tx *sqlx.Tx) error {
	check := s.ut.expand(`SELECT id, email, hashed_password, is_active, is_superuser, is_verified FROM {users} WHERE 1 = 0`)
	if _, err := tx.ExecContext(ctx, check); err != nil {
		return fmt.Errorf("table %s must exist with FastAPI Users' columns (id, email, hashed_password, is_active, is_superuser, is_verified): %w", s.ut.name, err)
	}
	return nil
}

// adoptEmails runs inside the adopting migration, after its SQL added the
// columns: it fills the canonical email of every existing user, computed
// in Go by store.CanonicalEmail (SQL's lower() folds too little, and
// SQLite's only ASCII), then makes it unique. Two users whose emails have
// the same canonical form (FastAPI Users' unique index on email is case
// sensitive) make it fail with store.ErrEmailTaken before anything is
// written, naming both ids; the transaction then leaves the table as it was.
func (s *Store) adoptEmails(ctx context.Context, tx *sqlx.Tx) error {
	ut := s.ut
	type row struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	var rows []row
	if err := tx.SelectContext(ctx, &rows, ut.expand(`SELECT id, email FROM {users} ORDER BY id`)); err != nil {
		return err
	}
	owner := make(map[string]string, len(rows))
	var clashes []string
	for _, r := range rows {
		if _, err := uuid.Parse(r.ID); err != nil {
			return fmt.Errorf("user id %q is not a UUID: authkit adopts FastAPI Users tables with UUID ids (SQLAlchemyBaseUserTableUUID)", r.ID)
		}
		c := store.CanonicalEmail(r.Email)
		if first, ok := owner[c]; ok {
			clashes = append(clashes, first+" and "+r.ID)
			continue
		}
		owner[c] = r.ID
	}
	if len(clashes) > 0 {
		const shown = 10
		more := ""
		if len(clashes) > shown {
			more = fmt.Sprintf(" (and %d more pairs)", len(clashes)-shown)
			clashes = clashes[:shown]
		}
		// Ids, not emails: this error ends up in logs.
		return fmt.Errorf("%w: users %s have the same canonical email%s; merge, rename or delete one of each pair in %s, then migrate again",
			store.ErrEmailTaken, strings.Join(clashes, "; "), more, ut.name)
	}

	update, err := tx.PreparexContext(ctx, tx.Rebind(ut.expand(`UPDATE {users} SET {canonical} = ? WHERE id = ?`)))
	if err != nil {
		return err
	}
	defer update.Close()
	for _, r := range rows {
		// The id as read, so the row is found whatever case it was written in.
		if _, err := update.ExecContext(ctx, store.CanonicalEmail(r.Email), r.ID); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, ut.expand(`CREATE UNIQUE INDEX authkit_fastapi_users_email_canonical_idx ON {users} ({canonical})`))
	return err
}
