package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// The floor answers the database strategy's tokens on authkit's schema
// with the bytes authkit serves, on both databases; and refuses what
// authkit refuses.
func TestFloorAnswersAuthkitTokens(t *testing.T) {
	for name, dbURL := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "floor.db") },
		"postgres": func(t *testing.T) string { return testdb.PostgresURL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			url := dbURL(t)
			st, err := dbopen.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer st.DB().Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			newUser := func(email string, active bool) *store.User {
				u := &store.User{ID: uuid.New(), Email: email, HashedPassword: "x", IsActive: active, IsVerified: true, CreatedAt: now, UpdatedAt: now}
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				return u
			}
			u, idle := newUser("floor@example.com", true), newUser("idle@example.com", false)
			s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.Write(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			idleTok, err := s.Write(ctx, idle)
			if err != nil {
				t.Fatal(err)
			}
			old, oldHash, err := strategy.NewOpaqueToken()
			if err != nil {
				t.Fatal(err)
			}
			created := now.Add(-strategy.DefaultLifetime - time.Second)
			if err := st.CreateAccessToken(ctx, store.AccessToken{Hash: oldHash, UserID: u.ID, CreatedAt: created, LastUsedAt: created}); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(u)

			base, debug := startFloor(t, "-db", url, "-debug-addr", "127.0.0.1:0")
			for _, c := range []struct {
				name, header, value string
				want                int
			}{
				{"cookie", "Cookie", "authkit=" + tok, http.StatusOK},
				{"bearer", "Authorization", "Bearer " + tok, http.StatusOK},
				{"no token", "", "", http.StatusUnauthorized},
				{"unknown", "Cookie", "authkit=" + strings.Repeat("A", len(tok)), http.StatusUnauthorized},
				{"expired", "Cookie", "authkit=" + old, http.StatusUnauthorized},
				{"inactive", "Cookie", "authkit=" + idleTok, http.StatusUnauthorized},
			} {
				status, body := get(t, base+"/users/me", c.header, c.value)
				if status != c.want {
					t.Errorf("%s: %d %s, want %d", c.name, status, body, c.want)
				} else if c.want == http.StatusOK && body != string(want) {
					t.Errorf("%s: body %s, want authkit's %s", c.name, body, want)
				}
			}
			// The allocation count bench/load reads.
			status, body := get(t, debug+"/debug/vars", "", "")
			var vars struct{ Memstats struct{ Mallocs uint64 } }
			if err := json.Unmarshal([]byte(body), &vars); status != http.StatusOK || err != nil || vars.Memstats.Mallocs == 0 {
				t.Errorf("/debug/vars: %d %.200s %v", status, body, err)
			}
		})
	}
}

func get(t *testing.T, url, header, value string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if header != "" {
		req.Header.Set(header, value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestFloorRefusesBadConfig(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{
		{"-db", "mysql://x"},
		{"extra", "-db"},
		{"-db", db, "-max-conns", "0"},
		{"-db", db, "-debug-addr", "0.0.0.0:0"},
		{"-db", db, "-debug-addr", "example.com:80"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q): no error", args)
		}
	}
}

// startFloor runs the floor until the test ends and returns its base URL
// and, with -debug-addr, its debug URL.
func startFloor(t *testing.T, args ...string) (base, debug string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("floor: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "debug listening on "); ok {
			debug = d
		} else if b, ok := strings.CutPrefix(sc.Text(), "floor listening on "); ok {
			base = b
		} else {
			t.Fatalf("floor said %q", sc.Text())
		}
	}
	if base == "" {
		t.Fatal("floor printed no address")
	}
	go io.Copy(io.Discard, pr)
	return base, debug
}
