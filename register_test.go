package authkit_test

import (
	"github.com/go-authkit/authkit"
	"net/http"
	"regexp"
	"strconv"
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
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The email address contains invalid characters: a space or a control character."}]`},
			{"no at", `{"email":"bob.example.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign."}]`},
			{"NUL byte", `{"email":"bob\u0000@example.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The email address contains invalid characters: a space or a control character."}]`},
			{"too long", `{"email":"` + strings.Repeat("a", 60) + "@" + strings.Repeat("b", 190) + `.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The email address is too long (1 character too many)."}]`},
			{"long local part", `{"email":"` + strings.Repeat("a", 66) + `@example.com","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The email address is too long before the @-sign (2 characters too many)."}]`},
			{"no period", `{"email":"a@example","password":"` + goodPassword + `"}`,
				`[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The part after the @-sign is not valid. It should have a period."}]`},
			{"lone surrogate", `{"email":"a@example.com","password":"abc\ud800defghij"}`,
				`[{"type":"string_unicode","loc":["body","password"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string"}]`},
			{"array body", `[]`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
			{"duplicate key", `{"email":"a@example.com","email":"b@example.com","password":"` + goodPassword + `"}`,
				`[{"type":"json_invalid","loc":["body",25],"msg":"JSON decode error","ctx":{"error":"duplicate key \"email\""}}]`},
			{"trailing data", `{"email":"a@example.com","password":"` + goodPassword + `"} {}`,
				`[{"type":"json_invalid","loc":["body",62],"msg":"JSON decode error","ctx":{"error":"trailing data after the JSON value"}}]`},
			{"empty body", ``, `[{"type":"missing","loc":["body"],"msg":"Field required"}]`},
			{"malformed", `{"email":`, `[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","ctx":{"error":"unexpected end of input"}}]`},
			{"bad character", `{"email": x}`, `[{"type":"json_invalid","loc":["body",10],"msg":"JSON decode error","ctx":{"error":"invalid character 'x' looking for beginning of value"}}]`},
			{"offset in characters", `{"émail": x}`, `[{"type":"json_invalid","loc":["body",10],"msg":"JSON decode error","ctx":{"error":"invalid character 'x' looking for beginning of value"}}]`},
			{"invalid UTF-8", "{\"email\":\"a@example.com\",\"password\":\"abc\xffdefghij\"}",
				`[{"type":"json_invalid","loc":["body",40],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expect(t, e.postJSON("/auth/register", tc.body), http.StatusUnprocessableEntity, `{"detail":`+tc.detail+`}`)
			})
		}
		t.Run("malformed JSON", func(t *testing.T) {
			r := e.postJSON("/auth/register", `{"email":`)
			if r.status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.body, `{"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","ctx":{"error":`) {
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

// Every JSON route reads its body as JSON only when the Content-Type says
// so (application/json or an application/...+json type), as FastAPI does:
// a text/plain body (a cross-site form's or fetch's simple request) is
// not a dictionary, whatever it holds.
func TestJSONRoutesNeedJSONContentType(t *testing.T) {
	e := newEnv(t, stores[0].open)
	e.register("kay@camelot.bt", goodPassword)
	u := e.register("root@camelot.bt", goodPassword)
	e.makeSuperuser("root@camelot.bt")
	root := e.login("jwt", "root@camelot.bt", goodPassword)
	notObject := `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]}`
	routes := []struct {
		method, path, body string
		creds              []cred
	}{
		{http.MethodPost, "/auth/register", `{"email":"plain@camelot.bt","password":"` + goodPassword + `"}`, nil},
		{http.MethodPost, "/auth/forgot-password", `{"email":"kay@camelot.bt"}`, nil},
		{http.MethodPost, "/auth/reset-password", `{"token":"x","password":"` + goodPassword + `"}`, nil},
		{http.MethodPost, "/auth/request-verify-token", `{"email":"kay@camelot.bt"}`, nil},
		{http.MethodPost, "/auth/verify", `{"token":"x"}`, nil},
		{http.MethodPost, "/auth/refresh/refresh", `{"refresh_token":"x"}`, nil},
		{http.MethodPatch, "/users/me", `{"display_name":"x"}`, []cred{root}},
		{http.MethodPatch, "/users/" + u["id"].(string), `{"is_verified":true}`, []cred{root}},
	}
	for _, rt := range routes {
		for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonp", "json", "application/json;;"} {
			t.Run(rt.method+" "+rt.path+" as "+ct, func(t *testing.T) {
				expect(t, e.do(rt.method, rt.path, ct, rt.body, rt.creds...), http.StatusUnprocessableEntity, notObject)
			})
		}
	}
	// JSON by any of its names is read.
	for i, ct := range []string{"application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"} {
		r := e.do(http.MethodPost, "/auth/register", ct, `{"email":"json`+strconv.Itoa(i)+`@camelot.bt","password":"`+goodPassword+`"}`)
		if r.status != http.StatusCreated {
			t.Errorf("register as %s: %d %s", ct, r.status, r.body)
		}
	}
}
