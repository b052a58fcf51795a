package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-authkit/authkit/store"
)

func TestCanonicalEmail(t *testing.T) {
	for in, want := range map[string]string{
		" King.Arthur@Camelot.bt ": "king.arthur@camelot.bt",
		"ÉLODIE@x.fr":              "élodie@x.fr",
		"E\u0301lodie@x.fr":        "élodie@x.fr", // decomposed É
		"ＫＩＮＧ@x.bt":                "king@x.bt",   // fullwidth
		"straße@x.de":              "strasse@x.de",
		"ꮬ@x.us":                   "Ꮬ@x.us", // Cherokee folds to upper case
		"Ꮬ@x.us":                   "Ꮬ@x.us",
	} {
		if got := store.CanonicalEmail(in); got != want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCanonicalEmail: the canonical form is a fixed point, so that two
// emails with one canonical form can never be told apart by a store.
func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{"King.Arthur@camelot.bt", "ꮬ@x", "Ꮬ@x", "ß@x", "ﬃ@x", "ΣΑΣ@x", "ǅ@x", "İ@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		c := store.CanonicalEmail(s)
		if again := store.CanonicalEmail(c); again != c {
			t.Fatalf("CanonicalEmail(%q) = %q, but CanonicalEmail(%q) = %q", s, c, c, again)
		}
	})
}

// A user's JSON is the contract's fields, then the application's own in
// name order; an own field never shadows a standard one, and the hash
// never appears.
func TestUserJSON(t *testing.T) {
	u := store.User{Email: "a@b.cd", HashedPassword: "$argon2id$secret", IsActive: true,
		Fields: map[string]any{"zeta": 1, "alpha": "x", "email": "shadow@evil.cd", "hashed_password": "leak"}}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"00000000-0000-0000-0000-000000000000","email":"a@b.cd","is_active":true,"is_superuser":false,"is_verified":false,"alpha":"x","zeta":1}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	u.Fields = nil
	if b, _ := json.Marshal(&u); !strings.HasSuffix(string(b), `"is_verified":false}`) {
		t.Fatalf("no fields: %s", b)
	}
}
