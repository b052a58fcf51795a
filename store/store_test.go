package store_test

import (
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
