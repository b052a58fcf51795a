package authkit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/openapi"
)

// An application's own fields travel through register, /users/me and
// /users/{id}, and the stores keep them.
func TestUserFields(t *testing.T) {
	withFields := func(c *authkit.Config) {
		c.UserFields = []authkit.UserField{
			{Name: "display_name", Type: authkit.FieldString, Required: true, MaxLength: 20},
			{Name: "newsletter", Type: authkit.FieldBool},
			{Name: "tier", Type: authkit.FieldInt, Privileged: true},
		}
	}
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(withFields)
		expect(t, e.postJSON("/auth/register", `{"email":"ada@camelot.bt","password":"`+goodPassword+`"}`), http.StatusUnprocessableEntity,
			`{"detail":[{"type":"missing","loc":["body","display_name"],"msg":"Field required"}]}`)
		expect(t, e.postJSON("/auth/register", `{"email":"ada@camelot.bt","password":"`+goodPassword+`","display_name":7,"newsletter":"yes","tier":1}`),
			http.StatusUnprocessableEntity, `{"detail":[`+
				`{"type":"string_type","loc":["body","display_name"],"msg":"Input should be a valid string"},`+
				`{"type":"bool_type","loc":["body","newsletter"],"msg":"Input should be a valid boolean"}]}`)
		expect(t, e.postJSON("/auth/register", `{"email":"ada@camelot.bt","password":"`+goodPassword+`","display_name":"`+strings.Repeat("é", 21)+`"}`),
			http.StatusUnprocessableEntity, `{"detail":[{"type":"string_too_long","loc":["body","display_name"],"msg":"String should have at most 20 characters"}]}`)

		r := e.postJSON("/auth/register", `{"email":"ada@camelot.bt","password":"`+goodPassword+`","display_name":"Ada","newsletter":true,"tier":9}`)
		id, _ := decode(t, r.body)["id"].(string)
		user := func(extra string) string {
			return `{"id":"` + id + `","email":"ada@camelot.bt","is_active":true,"is_superuser":false,"is_verified":false` + extra + `}`
		}
		expect(t, r, http.StatusCreated, user(`,"display_name":"Ada","newsletter":true`)) // tier is privileged: ignored
		c := e.login("jwt", "ada@camelot.bt", goodPassword)
		expect(t, e.get("/users/me", c), http.StatusOK, user(`,"display_name":"Ada","newsletter":true`))
		expect(t, e.patchJSON("/users/me", `{"display_name":"Countess","tier":3}`, c), http.StatusOK, user(`,"display_name":"Countess","newsletter":true`))
		expect(t, e.patchJSON("/users/me", `{"newsletter":null}`, c), http.StatusOK, user(`,"display_name":"Countess"`))
		expect(t, e.patchJSON("/users/me", `{"display_name":["x"]}`, c), http.StatusUnprocessableEntity,
			`{"detail":[{"type":"string_type","loc":["body","display_name"],"msg":"Input should be a valid string"}]}`)

		// A superuser sets privileged fields.
		if _, err := e.kit.Manager().Create(t.Context(), authkit.UserCreate{
			Email: "root@camelot.bt", Password: goodPassword, IsActive: true, IsSuperuser: true,
			Fields: map[string]any{"display_name": "Root"},
		}, nil); err != nil {
			t.Fatal(err)
		}
		admin := e.login("jwt", "root@camelot.bt", goodPassword)
		expect(t, e.patchJSON("/users/"+id, `{"tier":"3"}`, admin), http.StatusUnprocessableEntity,
			`{"detail":[{"type":"int_type","loc":["body","tier"],"msg":"Input should be a valid integer"}]}`)
		expect(t, e.patchJSON("/users/"+id, `{"tier":2.5}`, admin), http.StatusUnprocessableEntity,
			`{"detail":[{"type":"int_from_float","loc":["body","tier"],"msg":"Input should be a valid integer, got a number with a fractional part"}]}`)
		expect(t, e.patchJSON("/users/"+id, `{"tier":3}`, admin), http.StatusOK, user(`,"display_name":"Countess","tier":3`))
		expect(t, e.get("/users/"+id, admin), http.StatusOK, user(`,"display_name":"Countess","tier":3`))
		expect(t, e.get("/users/me", c), http.StatusOK, user(`,"display_name":"Countess","tier":3`))
	})
}

func TestUserFieldsBadConfig(t *testing.T) {
	st, _ := stores[0].open(t)
	for _, fs := range [][]authkit.UserField{
		{{Name: "email"}},
		{{Name: "is_superuser", Type: authkit.FieldBool}},
		{{Name: "Display Name"}},
		{{Name: "a"}, {Name: "a"}},
		{{Name: "a", Type: authkit.FieldType(9)}},
	} {
		_, err := authkit.New(authkit.Config{Users: st, UserFields: fs, Backends: []authkit.AuthenticationBackend{
			{Name: "jwt", Transport: nil, Strategy: nil},
		}})
		if err == nil || !strings.Contains(err.Error(), "UserFields") {
			t.Errorf("UserFields %+v: %v", fs, err)
		}
	}
}

// The OpenAPI document shows the application's own fields.
func TestUserFieldsInOpenAPI(t *testing.T) {
	e := newEnv(t, stores[0].open, func(c *authkit.Config) {
		c.UserFields = []authkit.UserField{{Name: "display_name", Required: true}, {Name: "tier", Type: authkit.FieldInt, Privileged: true}}
	})
	doc, err := authkit.OpenAPI(openapi.Info{Title: "t", Version: "1"},
		authkit.At("/auth", e.kit.RegisterRouter()), authkit.At("/users", e.kit.UsersRouter()))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type      any // "string", or ["string", "null"] where a body may send null
					MaxLength int
				}
				Required []string
			}
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	s := d.Components.Schemas
	if dn := s["UserCreate"].Properties["display_name"]; fmt.Sprint(dn.Type) != "[string null]" || dn.MaxLength != 256 || !slices.Contains(s["UserCreate"].Required, "display_name") {
		t.Errorf("UserCreate: %+v", s["UserCreate"])
	}
	if _, ok := s["UserCreate"].Properties["tier"]; ok {
		t.Error("UserCreate offers a privileged field")
	}
	if s["User"].Properties["tier"].Type != "integer" || fmt.Sprint(s["UserAdminUpdate"].Properties["tier"].Type) != "[integer null]" {
		t.Errorf("User/UserAdminUpdate lack tier: %+v %+v", s["User"], s["UserAdminUpdate"])
	}
}
