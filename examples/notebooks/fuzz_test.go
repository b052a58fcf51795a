package main

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// decodeNotebook never panics, and what it accepts fits the limits.
func FuzzDecodeNotebook(f *testing.F) {
	for _, seed := range []string{
		`{"title":"t","content":"c"}`, `{"title":"  t  "}`, `{}`, `{"content":"x"}`, `{"title":null}`,
		`{"title":"a","title":"b"}`, `{"title":"a"} x`, `[]`, `"x"`, ``, `{`, `{"title":"\u0000"}`,
		`{"title":"a\nb"}`, `{"x":{"y":[1,{"z":null}]},"title":"t"}`, "{\"title\":\"\xff\"}", `{"title":"` + strings.Repeat("é", 201) + `"}`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, create bool) {
		in, errs := decodeNotebook("application/json", body, create)
		if errs != nil {
			if in.Title != nil || in.Content != nil {
				t.Fatalf("errors %v with a value %+v", errs, in)
			}
			for _, e := range errs {
				if e.Type == "" || e.Msg == "" || len(e.Loc) == 0 || e.Loc[0] != "body" {
					t.Fatalf("malformed field error %+v", e)
				}
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 %q", body)
		}
		if create && in.Title == nil {
			t.Fatalf("created without a title: %q", body)
		}
		if in.Title != nil {
			n := utf8.RuneCountInString(*in.Title)
			if n < 1 || n > maxTitleChars || strings.ContainsFunc(*in.Title, unicode.IsControl) || strings.TrimSpace(*in.Title) != *in.Title {
				t.Fatalf("accepted title %q", *in.Title)
			}
		}
		if in.Content != nil && (len(*in.Content) > maxContentBytes || strings.ContainsRune(*in.Content, 0)) {
			t.Fatalf("accepted content of %d bytes with NUL=%v", len(*in.Content), strings.ContainsRune(*in.Content, 0))
		}
	})
}
