package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// FuzzUserRoundTrip stores arbitrary emails and password hashes (the
// input a client controls) and checks they come back byte for byte, are
// are found again by the same email, and never break the store.
func FuzzUserRoundTrip(f *testing.F) {
	for _, seed := range [][2]string{
		{"king.arthur@camelot.bt", "$argon2id$v=19$m=19456,t=2,p=1$x$y"},
		{"robert'); DROP TABLE authkit_users;--@x.com", "' OR '1'='1"},
		{"ÉLODIE@x.fr", "pässwörd"},
		{"a%b_c@x.com", `\"; --`},
		{"nul\x00byte@x.com", "\x00"},
		{"bad\xffutf8@x.com", "\xc3\x28"},
		{"  ", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	ctx := context.Background()
	st := newStore(f, testdb.SQLite(f))
	f.Fuzz(func(t *testing.T, email, password string) {
		existing, err := st.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, store.ErrUserNotFound) {
			t.Fatalf("UserByEmail(%q): %v", email, err)
		}
		u := &store.User{ID: uuid.New(), Email: email, HashedPassword: password, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		err = st.CreateUser(ctx, u)
		if existing != nil {
			if !errors.Is(err, store.ErrEmailTaken) {
				t.Fatalf("CreateUser(%q) over %q: err = %v, want ErrEmailTaken", email, existing.Email, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("CreateUser(%q): %v", email, err)
		}
		for _, get := range []func() (*store.User, error){
			func() (*store.User, error) { return st.UserByID(ctx, u.ID) },
			func() (*store.User, error) { return st.UserByEmail(ctx, email) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("lookup of %q: %v", email, err)
			}
			if got.ID != u.ID || got.Email != email || got.HashedPassword != password {
				t.Fatalf("got %q/%q, want %q/%q", got.Email, got.HashedPassword, email, password)
			}
		}
	})
}
