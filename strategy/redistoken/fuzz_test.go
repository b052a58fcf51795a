package redistoken_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
)

// FuzzRead feeds arbitrary strings to Read over a real Redis and SQLite.
// Whatever the input, Read must not panic, must fail only with
// ErrInvalidToken (both servers are healthy), and may accept only a token
// it issued: one spelling per token, no forgery. (Each fuzzing worker runs
// this set-up, with its own prefix, users and tokens.)
func FuzzRead(f *testing.F) {
	e := newEnv(f)
	s := e.strategy(f, redistoken.Config{})
	u := newUser(f, e.users)
	issued := map[string]bool{}
	for range 3 {
		tok := mustWrite(f, s, u)
		issued[tok] = true
		f.Add(tok)
		f.Add(tok[:42])
		f.Add(tok + "=")
		f.Add(strings.ToUpper(tok))
		f.Add(hash(tok))
	}
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 43))
	f.Add("*")
	f.Add("\x00")

	f.Fuzz(func(t *testing.T, tok string) {
		got, err := s.Read(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidToken) {
				t.Fatalf("Read(%q) = %v, want ErrInvalidToken", tok, err)
			}
			if got != nil {
				t.Fatalf("Read(%q) returned a user with an error", tok)
			}
			return
		}
		if !issued[tok] || got.ID != u.ID {
			t.Fatalf("Read accepted %q, which it never issued", tok)
		}
	})
}
