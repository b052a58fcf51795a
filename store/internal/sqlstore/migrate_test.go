package sqlstore

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(fstest.MapFS{
		"0010_later.sql":  {Data: []byte("B")},
		"0002_second.sql": {Data: []byte("A")},
		"README.md":       {Data: []byte("ignored")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].version != 2 || ms[1].version != 10 || ms[0].sql != "A" || ms[1].name != "0010_later.sql" {
		t.Errorf("loadMigrations = %+v", ms)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"no version":   {"init.sql": {}},
		"zero":         {"0000_init.sql": {}},
		"not a number": {"v1_init.sql": {}},
		"duplicate":    {"0001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
