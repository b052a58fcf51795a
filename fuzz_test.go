package authkit

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-authkit/authkit/store"
)

// FuzzParseJSONObject: the body decoder never panics, refuses what
// encoding/json refuses, and only lets valid UTF-8 through.
func FuzzParseJSONObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"email":"a@b.cd","password":"x"}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `[{"a":1}]`,
		`{"a":[1,{"x":1,"x":2}]}`, `{} {}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":`, `null`, `"str"`, `  {"k" : [ ] }  `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, err := parseJSONObject(body)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status != http.StatusUnprocessableEntity {
				t.Fatalf("error %v is not a 422", err)
			}
			// pydantic's shape: the offending character's offset in loc.
			for _, fe := range he.detail.([]FieldError) {
				if fe.Type != "json_invalid" {
					continue
				}
				if at, ok := fe.Loc[1].(int); !ok || at < 0 || at > utf8.RuneCount(body) || fe.Msg != "JSON decode error" || fe.Ctx["error"] == "" {
					t.Fatalf("%q: entry %+v", body, fe)
				}
			}
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || len(m) != len(obj) {
			t.Fatalf("accepted %q, which is not one object: %v", body, err)
		}
	})
}

// FuzzParseEmail: accepted addresses are trimmed, short, free of control
// characters and spaces, and have one canonical form that is stable.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"a@b.cd", " King.Arthur@Camelot.bt ", "Bob <bob@x.com>", "a\x00@b.cd", "@b.cd", "a@", "a@b", `"q"@b.cd`, "ÉLODIE@x.fr", "a@b..cd", "(c)a@b.cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		email, err := ParseEmail(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("error %v is not ErrInvalidEmail", err)
			}
			return
		}
		if email != strings.TrimSpace(email) || len(email) > maxEmailLength || !utf8.ValidString(email) ||
			strings.ContainsAny(email, " \t\r\n\x00<>") || strings.Count(email, "@") < 1 {
			t.Fatalf("accepted %q as %q", s, email)
		}
		c := store.CanonicalEmail(email)
		if store.CanonicalEmail(c) != c {
			t.Fatalf("canonical form of %q is not stable: %q", email, c)
		}
	})
}

// FuzzDecodeForm: the login form decoder answers every body with fields
// or a 4xx, never a panic.
func FuzzDecodeForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "username=a%40b.cd&password=x")
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\na@b.cd\r\n--X--\r\n")
	f.Add("application/x-www-form-urlencoded", "username=%zz")
	f.Add("text/plain", "hello")
	k := &AuthKit{maxBody: 1 << 10}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		fields, err := k.decodeForm(httptest.NewRecorder(), r)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status > 499 {
				t.Fatalf("error %v is not a 4xx", err)
			}
			return
		}
		if s, ok := fields.String("username", true); ok && !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 username %q", s)
		}
	})
}

// FuzzIsJSON: the Content-Type check never panics and says JSON only for
// application/json and application/...+json, whatever the case and the
// parameters.
func FuzzIsJSON(f *testing.F) {
	for _, s := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json",
		"text/plain", "", "application/jsonp", "application/json;;", "application/+json", "text/json", "application/json; a=\"", "json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if !IsJSON(ct) {
			return
		}
		mt, _, err := mime.ParseMediaType(ct)
		sub, ok := strings.CutPrefix(mt, "application/")
		if err != nil || !ok || sub != "json" && !strings.HasSuffix(sub, "+json") {
			t.Fatalf("IsJSON(%q) = true", ct)
		}
	})
}

// FuzzRouterPath: whatever path a client sends, under whatever pattern a
// mux matched, the router answers a route, 404 or 405, and a route's path
// values are single, non-empty segments.
func FuzzRouterPath(f *testing.F) {
	patterns := []string{"", "/", "/users/", "GET /users/", "/users/{rest...}", "/users/*", "/users", "example.com/users/", "/{tenant}/users/"}
	for i, p := range []string{"/users/me", "/users/", "/users", "/users/a/sessions", "/users/a/b", "//", "/users//x", "", "/a/users/me/sessions/x", "/users/%2F"} {
		f.Add(p, uint8(i))
	}
	f.Fuzz(func(t *testing.T, path string, which uint8) {
		var got map[string]string
		handler := func(names ...string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = map[string]string{}
				for _, n := range names {
					got[n] = r.PathValue(n)
				}
				w.WriteHeader(http.StatusOK)
			})
		}
		rt := NewRouter(
			Route{Method: http.MethodGet, Path: "/me", Handler: handler()},
			Route{Method: http.MethodGet, Path: "/me/sessions/{id}", Handler: handler("id")},
			Route{Method: http.MethodGet, Path: "/{id}", Handler: handler("id")},
			Route{Method: http.MethodDelete, Path: "/{id}/sessions", Handler: handler("id")},
			Route{Method: http.MethodGet, Path: "/", Handler: handler()},
		)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path = path
		r.Pattern = patterns[int(which)%len(patterns)]
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			for n, v := range got {
				if v == "" || strings.Contains(v, "/") {
					t.Fatalf("path %q under %q: %s = %q", path, r.Pattern, n, v)
				}
			}
		case http.StatusNotFound, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("path %q under %q: status %d", path, r.Pattern, w.Code)
		}
	})
}
