package store_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
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

// referenceUserJSON is the user's JSON as encoding/json writes it: the
// contract's fields of a struct, then the own fields of a map, sorted.
func referenceUserJSON(u store.User) ([]byte, error) {
	b, err := json.Marshal(struct {
		ID          uuid.UUID `json:"id"`
		Email       string    `json:"email"`
		IsActive    bool      `json:"is_active"`
		IsSuperuser bool      `json:"is_superuser"`
		IsVerified  bool      `json:"is_verified"`
	}{u.ID, u.Email, u.IsActive, u.IsSuperuser, u.IsVerified})
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	for k, v := range u.Fields {
		if !store.IsStandardField(k) {
			extra[k] = v
		}
	}
	if len(extra) == 0 {
		return b, nil
	}
	e, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], ','), e[1:]...), nil
}

// FuzzUserJSON: the hand-written encoder writes encoding/json's bytes for
// any email, id and own fields (names and values of every JSON type).
func FuzzUserJSON(f *testing.F) {
	f.Add("a@b.cd", []byte{1, 2, 3}, true, "display_name", "Ada", 1.5)
	f.Add("<script>&\u2028\u2029\x00\x1f\"\\@x", []byte{0xff}, false, "n<>&", "\xff\xfe", -0.0)
	f.Add("\b\f\n\r\t\x7f@é.fr", []byte{}, true, "email", "shadow", 1e21)
	f.Fuzz(func(t *testing.T, email string, id []byte, flag bool, name, value string, num float64) {
		u := store.User{Email: email, IsActive: flag, IsSuperuser: !flag, IsVerified: flag, HashedPassword: "x"}
		copy(u.ID[:], id)
		if name != "" {
			u.Fields = map[string]any{name: value, name + "_n": num, name + "_b": flag, name + "_l": []any{value, nil}, name + "_o": map[string]any{value: num}}
		}
		got, gerr := json.Marshal(u)
		want, werr := referenceUserJSON(u)
		if (gerr == nil) != (werr == nil) || string(got) != string(want) {
			t.Fatalf("got  %s (%v)\nwant %s (%v)", got, gerr, want, werr)
		}
		if app, err := u.AppendJSON([]byte("x")); gerr == nil && (err != nil || string(app) != "x"+string(got)) {
			t.Fatalf("AppendJSON: %s %v", app, err)
		}
	})
}

// The hand-written encoder knows the contract's fields by name: a field of
// User given a JSON name must be added to it (store/userjson.go) too.
func TestUserJSONKnowsEveryField(t *testing.T) {
	known := map[string]bool{"id": true, "email": true, "is_active": true, "is_superuser": true, "is_verified": true}
	typ := reflect.TypeFor[store.User]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "-" && !known[name] {
			t.Errorf("User.%s (json %q) is not written by AppendJSON", f.Name, name)
		}
	}
}
