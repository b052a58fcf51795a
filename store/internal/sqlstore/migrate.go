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
)

// migration is one versioned SQL file.
type migration struct {
	version int
	name    string
	sql     string
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
	now := s.t(time.Now())
	for _, m := range s.ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fault("migrate: "+m.name, err)
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
