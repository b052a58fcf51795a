package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// migration is one versioned SQL file, with the steps SQL cannot do.
type migration struct {
	version int
	name    string
	sql     string
	// before and after, when set, run in the migration's transaction
	// before and after sql.
	before, after func(context.Context, *sqlx.Tx) error
}

// loadMigrations reads the dialect's migrations, sorted by version.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: path.Base(name), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

func (m migration) exec(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, m.sql)
	return err
}

// sameSchema refuses to migrate a database that holds the other schema: a
// store opened without the FastAPI Users option on a database that adopted
// a table would otherwise try to create authkit_users beside it, and the
// reverse.
func (s *Store) sameSchema(applied []int) error {
	for _, v := range applied {
		switch adopted := v > adoptedBase; {
		case adopted && !s.ut.migrationsAreAdopt:
			return fmt.Errorf("authkit/store: migrate: this database adopted a FastAPI Users table of users (migration %d); open the store with the FastAPI Users option", v)
		case !adopted && s.ut.migrationsAreAdopt:
			return fmt.Errorf("authkit/store: migrate: this database holds authkit's own authkit_users (migration %d); it cannot also adopt the FastAPI Users table %s", v, s.ut.name)
		}
	}
	return nil
}

// Migrate implements store.Migrator. It applies, in one transaction, every
// migration whose version is not in authkit_migrations. Versions recorded
// there that this code does not know (a newer release migrated the
// database) are left alone, so that an older release can still run
// during a rolling deploy.
func (s *Store) Migrate(ctx context.Context) (err error) {
	for _, q := range s.d.MigrationsSetup {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fault("migrate", err)
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fault("migrate", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, q := range s.d.MigrationsLock {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fault("migrate: lock", err)
		}
	}
	var applied []int
	if err := tx.SelectContext(ctx, &applied, s.q.selectMigrations); err != nil {
		return fault("migrate", err)
	}
	if err := s.sameSchema(applied); err != nil {
		return err
	}
	now := s.t(time.Now())
	for _, m := range s.ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		for _, step := range []func(context.Context, *sqlx.Tx) error{m.before, m.exec, m.after} {
			if step == nil {
				continue
			}
			if err := step(ctx, tx); err != nil {
				return fault("migrate: "+m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q.insertMigration, m.version, now); err != nil {
			return fault("migrate: "+m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fault("migrate", err)
	}
	return nil
}
