package authkit_test

import (
	"github.com/go-authkit/authkit"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

const goodPassword = "violet-tractor-harbour"

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestRegister(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()

		r := e.postJSON("/auth/register", `{"email":"King.Arthur@camelot.bt","password":"`+goodPassword+
			`","is_active":false,"is_superuser":true,"is_verified":true,"id":"00000000-0000-0000-0000-000000000000"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		u := decode(t, r.body)
		id, _ := u["id"].(string)
		if !uuidRE.MatchString(id) {
			t.Fatalf("id %q is not a lowercase hyphenated uuid", id)
		}
		want := `{"id":"` + id + `","email":"King.Arthur@camelot.bt","is_active":true,"is_superuser":false,"is_verified":false}`
		expect(t, r, http.StatusCreated, want)

		t.Run("same email in another case", func(t *testing.T) {
			expect(t, e.postJSON("/auth/register", `{"email":"  king.arthur@CAMELOT.bt ","password":"`+goodPassword+`"}`),
				http.StatusBadRequest, `{"detail":"REGISTER_USER_ALREADY_EXISTS"}`)
		})
		t.Run("policy before existence", func(t *testing.T) {
			expect(t, e.postJSON("/auth/register", `{"email":"king.arthur@camelot.bt","password":"short"}`),
				http.StatusBadRequest, `{"detail":{"code":"REGISTER_INVALID_PASSWORD","reason":"Password should be at least 8 characters."}}`)
		})
		for _, tc := range []struct{ name, email, password, reason string }{
			{"too short", "a@example.com", "1234567", "Password should be at least 8 characters."},
			{"short in code points", "a@example.com", "ééééééé", "Password should be at least 8 characters."},
			{"too long", "a@example.com", strings.Repeat("x", 257), "Password should be at most 256 characters."},
			{"common", "a@example.com", "password1", "Password is too common."},
			{"the email", "lancelot@camelot.bt", "Lancelot@camelot.bt", "Password should not contain e-mail."},
			{"the local part", "lancelot.du.lac@camelot.bt", "lancelot.du.lac", "Password should not contain e-mail."},
		} {
			t.Run("invalid password "+tc.name, func(t *testing.T) {
				expect(t, e.postJSON("/auth/register", `{"email":`+q(tc.email)+`,"password":`+q(tc.password)+`}`),
					http.StatusBadRequest, `{"detail":{"code":"REGISTER_INVALID_PASSWORD","reason":"`+tc.reason+`"}}`)
			})
		}
		t.Run("256 code points is allowed", func(t *testing.T) {
			e.register("long@example.com", strings.Repeat("é", 256))
		})
	})
}

func TestRegisterBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		missing := func(field string) string {
			return `{"type":"missing","loc":["body","` + field + `"],"msg":"Field required"}`
		}
		for _, tc := range []struct{ name, body, detail string }{
			{"empty object", `{}`, `[` + missing("email") + `,` + missing("password") + `]`},
			{"no password", `{"email":"a@example.com"}`, `[` + missing("password") + `]`},
			{"number email", `{"email":42,"password":"` + goodPassword + `"}`,
				`[{"type":"string_type","loc":["body","email"],"msg":"Input should be a valid string"}]`},
			{"null password", `{"email":"a@example.com","password":null}`,
				`[{"type":"string_type","loc":["body","password"],"msg":"Input should be a valid string"}]`},
			{"display name", `{"email":"Bob <bob@example.com>","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: the email address contains a space or a control character"}]`},
			{"no at", `{"email":"bob.example.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: an email address must have an @-sign"}]`},
			{"NUL byte", `{"email":"bob\u0000@example.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: the email address contains a space or a control character"}]`},
			{"too long", `{"email":"` + strings.Repeat("a", 60) + "@" + strings.Repeat("b", 190) + `.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: the email address is too long"}]`},
			{"lone surrogate", `{"email":"a@example.com","password":"abc\ud800defghij"}`,
				`[{"type":"string_unicode","loc":["body","password"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string"}]`},
			{"array body", `[]`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
			{"duplicate key", `{"email":"a@example.com","email":"b@example.com","password":"` + goodPassword + `"}`,
				`[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error: duplicate key \"email\""}]`},
			{"trailing data", `{"email":"a@example.com","password":"` + goodPassword + `"} {}`,
				`[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error: trailing data after the JSON value"}]`},
			{"empty body", ``, `[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error: unexpected end of input"}]`},
			{"invalid UTF-8", "{\"email\":\"a@example.com\",\"password\":\"abc\xffdefghij\"}",
				`[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error: invalid UTF-8"}]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expect(t, e.postJSON("/auth/register", tc.body), http.StatusUnprocessableEntity, `{"detail":`+tc.detail+`}`)
			})
		}
		t.Run("malformed JSON", func(t *testing.T) {
			r := e.postJSON("/auth/register", `{"email":`)
			if r.status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.body, `{"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error: `) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
		t.Run("over 64 KiB", func(t *testing.T) {
			body := `{"email":"a@example.com","password":"` + strings.Repeat("x", 64<<10) + `"}`
			expect(t, e.postJSON("/auth/register", body), http.StatusRequestEntityTooLarge, `{"detail":"Request Entity Too Large"}`)
		})
		t.Run("unknown fields ignored", func(t *testing.T) {
			e.register("extra@example.com", goodPassword)
			r := e.postJSON("/auth/register", `{"email":"extra2@example.com","password":"`+goodPassword+`","nickname":{"a":[1,2]}}`)
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
		t.Run("SQL injection strings are data", func(t *testing.T) {
			u := e.register("o'brien+x@example.com", "'); DROP TABLE authkit_users; --")
			if u["email"] != "o'brien+x@example.com" {
				t.Fatalf("%v", u)
			}
			e.login("jwt", "O'Brien+x@example.com", "'); DROP TABLE authkit_users; --")
		})
		t.Run("wrong method", func(t *testing.T) {
			r := e.get("/auth/register")
			expect(t, r, http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`)
			if r.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", r.header.Get("Allow"))
			}
		})
		t.Run("unknown path", func(t *testing.T) {
			expect(t, e.postJSON("/auth/nope", `{}`), http.StatusNotFound, `{"detail":"Not Found"}`)
		})
	})
}

// Many clients registering one email at once create exactly one user.
func TestRegisterConcurrentDuplicates(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		const n = 50
		var wg sync.WaitGroup
		statuses := make(chan int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := "race@example.com"
				if i%2 == 1 {
					email = "RACE@example.com"
				}
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/auth/register",
					strings.NewReader(`{"email":"`+email+`","password":"`+goodPassword+`"}`))
				req.Header.Set("Content-Type", "application/json")
				res, err := e.srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusBadRequest] != n-1 {
			t.Fatalf("statuses %v: want one 201 and %d 400", count, n-1)
		}
	})
}
