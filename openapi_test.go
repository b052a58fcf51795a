package authkit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

var testInfo = openapi.Info{Title: "test", Version: "1"}

// mounts are env's routers at env's prefixes (newEnv mounts them so).
func (e *env) mounts() []authkit.Mounted {
	ms := []authkit.Mounted{authkit.At("/auth", authkit.Merge(e.kit.RegisterRouter(), e.kit.ResetPasswordRouter(), e.kit.VerifyRouter(), e.kit.SessionsRouter()))}
	for _, name := range backendNames {
		ms = append(ms, authkit.At("/auth/"+name, authRouter(e.t, e.kit, name)))
	}
	return append(ms, authkit.At("/users", e.kit.UsersRouter()))
}

// oaDoc is a parsed OpenAPI document.
type oaDoc struct {
	t    *testing.T
	root map[string]any
}

func parseDoc(t *testing.T, raw []byte) *oaDoc {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return &oaDoc{t: t, root: root}
}

func (e *env) doc(t *testing.T) *oaDoc {
	t.Helper()
	raw, err := authkit.OpenAPI(testInfo, e.mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	return parseDoc(t, raw)
}

// at follows a JSON pointer ("#/components/schemas/User").
func (d *oaDoc) at(ref string) (any, bool) {
	var node any = d.root
	for _, key := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		if node, ok = m[strings.ReplaceAll(strings.ReplaceAll(key, "~1", "/"), "~0", "~")]; !ok {
			return nil, false
		}
	}
	return node, true
}

// deref follows $ref until a node that is not a reference.
func (d *oaDoc) deref(node map[string]any) map[string]any {
	d.t.Helper()
	for i := 0; ; i++ {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		target, ok := d.at(ref)
		if m, isMap := target.(map[string]any); !ok || !isMap || i > 10 {
			d.t.Fatalf("$ref %q does not resolve", ref)
		} else {
			node = m
		}
	}
}

func (d *oaDoc) op(method, path string) map[string]any {
	d.t.Helper()
	op, ok := d.at("#/paths/" + strings.ReplaceAll(path, "/", "~1") + "/" + strings.ToLower(method))
	if !ok {
		d.t.Fatalf("%s %s is not documented", method, path)
	}
	return op.(map[string]any)
}

func (d *oaDoc) statuses(method, path string) []int {
	var out []int
	for k := range d.op(method, path)["responses"].(map[string]any) {
		s, err := strconv.Atoi(k)
		if err != nil {
			d.t.Fatalf("%s %s: response key %q", method, path, k)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (d *oaDoc) response(method, path string, status int) (map[string]any, bool) {
	r, ok := d.op(method, path)["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return nil, false
	}
	return d.deref(r), true
}

// details are the error details a response lists as examples: the codes,
// and the code of each {code, reason}.
func (d *oaDoc) details(method, path string, status int) []string {
	d.t.Helper()
	r, ok := d.response(method, path, status)
	if !ok {
		d.t.Fatalf("%s %s: no %d", method, path, status)
	}
	var out []string
	media, _ := r["content"].(map[string]any)["application/json"].(map[string]any)
	examples, _ := media["examples"].(map[string]any)
	for _, ex := range examples {
		switch detail := ex.(map[string]any)["value"].(map[string]any)["detail"].(type) {
		case string:
			out = append(out, detail)
		case map[string]any:
			out = append(out, detail["code"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// conforms checks v against schema, for the parts of JSON Schema the
// document uses.
func (d *oaDoc) conforms(schema map[string]any, v any) error {
	schema = d.deref(schema)
	if anyOf, ok := schema["anyOf"].([]any); ok {
		for _, s := range anyOf {
			if d.conforms(s.(map[string]any), v) == nil {
				return nil
			}
		}
		return fmt.Errorf("%v matches none of %v", v, anyOf)
	}
	if c, ok := schema["const"]; ok && c != v {
		return fmt.Errorf("%v is not %v", v, c)
	}
	var ok bool
	switch schema["type"] {
	case "null":
		ok = v == nil
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		f, isNum := v.(float64)
		ok = isNum && f == math.Trunc(f)
	case "string":
		var s string
		s, ok = v.(string)
		switch schema["format"] {
		case "uuid":
			ok = ok && uuidRE.MatchString(s)
		case "email":
			ok = ok && strings.Contains(s, "@")
		}
	case "array":
		var items []any
		if items, ok = v.([]any); ok {
			for _, it := range items {
				if err := d.conforms(schema["items"].(map[string]any), it); err != nil {
					return err
				}
			}
		}
	case "object":
		var obj map[string]any
		if obj, ok = v.(map[string]any); ok {
			for _, name := range schema["required"].([]any) {
				if _, has := obj[name.(string)]; !has {
					return fmt.Errorf("%v lacks %q", v, name)
				}
			}
			props, _ := schema["properties"].(map[string]any)
			for name, p := range props {
				if pv, has := obj[name]; has {
					if err := d.conforms(p.(map[string]any), pv); err != nil {
						return fmt.Errorf("%s: %w", name, err)
					}
				}
			}
		}
	default:
		return fmt.Errorf("schema %v has no type", schema)
	}
	if !ok {
		return fmt.Errorf("%#v is not a %v (%v)", v, schema["type"], schema["format"])
	}
	return nil
}

// check fails the test unless the document describes r, the server's answer
// to method on the path template: a listed status, the body its schema
// says, a detail among the listed ones, the listed headers.
func (d *oaDoc) check(method, path string, r reply) {
	d.t.Helper()
	resp, ok := d.response(method, path, r.status)
	if !ok {
		d.t.Fatalf("%s %s answered %d %s; the document lists %v", method, path, r.status, r.body, d.statuses(method, path))
	}
	headers, _ := resp["headers"].(map[string]any)
	for name := range headers {
		if r.header.Get(name) == "" {
			d.t.Errorf("%s %s %d: no %s header", method, path, r.status, name)
		}
	}
	content, hasBody := resp["content"].(map[string]any)
	if !hasBody {
		if r.body != "" {
			d.t.Errorf("%s %s %d: body %q where the document says none", method, path, r.status, r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); ct != httpjson.ContentType {
		d.t.Errorf("%s %s %d: Content-Type %q", method, path, r.status, ct)
	}
	var body any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		d.t.Fatalf("%s %s %d: %v", method, path, r.status, err)
	}
	media := content["application/json"].(map[string]any)
	if err := d.conforms(media["schema"].(map[string]any), body); err != nil {
		d.t.Errorf("%s %s %d: body %s does not conform: %v", method, path, r.status, r.body, err)
	}
	if _, listed := media["examples"]; !listed {
		return
	}
	detail := body.(map[string]any)["detail"]
	if m, ok := detail.(map[string]any); ok {
		detail = m["code"]
	}
	if s, _ := detail.(string); !slices.Contains(d.details(method, path, r.status), s) {
		d.t.Errorf("%s %s %d: detail %v is not among %v", method, path, r.status, detail, d.details(method, path, r.status))
	}
}

// The document has every route of the routers, with the answers of
// docs/contract.md, and nothing else.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, stores[0].open)
	d := e.doc(t)
	if d.root["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", d.root["openapi"])
	}
	n := 0
	for _, m := range e.mounts() {
		for _, rt := range m.Router.Routes() {
			n++
			op := d.op(rt.Method, m.Prefix+rt.Path)
			if op["operationId"] != rt.OperationID || op["summary"] != rt.Summary || rt.OperationID == "" {
				t.Errorf("%s %s%s: operationId %v summary %v", rt.Method, m.Prefix, rt.Path, op["operationId"], op["summary"])
			}
		}
	}
	ops := 0
	for _, item := range d.root["paths"].(map[string]any) {
		ops += len(item.(map[string]any))
	}
	if ops != n || n != 15+5*2+1 { // the "refresh" backend adds /refresh
		t.Errorf("%d operations documented, %d routes mounted", ops, n)
	}

	const (
		post, get, patch, del = http.MethodPost, http.MethodGet, http.MethodPatch, http.MethodDelete
	)
	bodyErrs := []int{413, 422, 503}
	for _, tc := range []struct {
		method, path string
		statuses     []int
		codes        []string // of the 400
	}{
		{post, "/auth/register", []int{201, 400, 429}, []string{"REGISTER_INVALID_PASSWORD", "REGISTER_USER_ALREADY_EXISTS"}},
		{post, "/auth/forgot-password", []int{202, 429}, nil},
		{post, "/auth/reset-password", []int{200, 400}, []string{"RESET_PASSWORD_BAD_TOKEN", "RESET_PASSWORD_INVALID_PASSWORD"}},
		{post, "/auth/request-verify-token", []int{202, 429}, nil},
		{post, "/auth/verify", []int{200, 400}, []string{"VERIFY_USER_ALREADY_VERIFIED", "VERIFY_USER_BAD_TOKEN"}},
		{post, "/auth/jwt/login", []int{200, 400, 429}, []string{"LOGIN_BAD_CREDENTIALS"}},
		{post, "/auth/db/login", []int{200, 400, 429}, []string{"LOGIN_BAD_CREDENTIALS"}},
		{post, "/auth/cookie/login", []int{204, 400, 403, 429}, []string{"LOGIN_BAD_CREDENTIALS"}},
		{post, "/auth/cookiejwt/login", []int{204, 400, 403, 429}, []string{"LOGIN_BAD_CREDENTIALS"}},
		{post, "/auth/jwt/logout", []int{204, 401, 503}, nil},
		{post, "/auth/cookie/logout", []int{204, 401, 403, 503}, nil},
		{get, "/users/me", []int{200, 401, 503}, nil},
		{patch, "/users/me", []int{200, 400, 401, 403, 409}, []string{"UPDATE_USER_BAD_CURRENT_PASSWORD", "UPDATE_USER_EMAIL_ALREADY_EXISTS", "UPDATE_USER_INVALID_PASSWORD"}},
		{get, "/users/{id}", []int{200, 401, 403, 404, 503}, nil},
		{patch, "/users/{id}", []int{200, 400, 401, 403, 404, 409}, []string{"UPDATE_USER_EMAIL_ALREADY_EXISTS", "UPDATE_USER_INVALID_PASSWORD"}},
		{del, "/users/{id}", []int{204, 401, 403, 404, 503}, nil},
	} {
		want := tc.statuses
		if d.op(tc.method, tc.path)["requestBody"] != nil {
			want = append(want, bodyErrs...)
		}
		slices.Sort(want)
		if got := d.statuses(tc.method, tc.path); !slices.Equal(got, want) {
			t.Errorf("%s %s: statuses %v, want %v", tc.method, tc.path, got, want)
		}
		if tc.codes != nil {
			if got := d.details(tc.method, tc.path, 400); !slices.Equal(got, tc.codes) {
				t.Errorf("%s %s: 400 codes %v, want %v", tc.method, tc.path, got, tc.codes)
			}
		}
		if slices.Contains(want, 429) && !slices.Equal(d.details(tc.method, tc.path, 429), []string{"TOO_MANY_REQUESTS"}) {
			t.Errorf("%s %s: 429 without TOO_MANY_REQUESTS", tc.method, tc.path)
		}
	}

	// Login takes the form, the other bodies JSON.
	form := d.op(post, "/auth/jwt/login")["requestBody"].(map[string]any)["content"].(map[string]any)
	if _, ok := form["application/x-www-form-urlencoded"]; !ok {
		t.Errorf("login content %v", form)
	}
	if _, ok := form["multipart/form-data"]; !ok {
		t.Errorf("login content %v", form)
	}
	if _, ok := d.op(post, "/auth/register")["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"]; !ok {
		t.Error("register takes no JSON")
	}

	// Each backend is a security scheme; logout takes its own, the users
	// routes any, the rest none.
	schemes := d.root["components"].(map[string]any)["securitySchemes"].(map[string]any)
	for name, want := range map[string]map[string]any{
		"jwt":       {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
		"db":        {"type": "http", "scheme": "bearer"},
		"cookie":    {"type": "apiKey", "in": "cookie", "name": "authkit"},
		"cookiejwt": {"type": "apiKey", "in": "cookie", "name": "authkit"},
		"refresh":   {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
	} {
		got, _ := schemes[name].(map[string]any)
		delete(got, "description")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("security scheme %s = %v, want %v", name, got, want)
		}
	}
	security := func(method, path string) string { return fmt.Sprint(d.op(method, path)["security"]) }
	if got := security(post, "/auth/cookie/logout"); got != "[map[cookie:[]]]" {
		t.Errorf("cookie logout security %s", got)
	}
	if got := security(del, "/users/{id}"); got != "[map[jwt:[]] map[cookie:[]] map[db:[]] map[cookiejwt:[]] map[refresh:[]]]" {
		t.Errorf("users security %s", got)
	}
	if got := security(post, "/auth/jwt/login"); got != "[]" {
		t.Errorf("login security %s, want [] (public)", got)
	}

	// The login answer is the transport's.
	if r, _ := d.response(post, "/auth/jwt/login", 200); !strings.Contains(fmt.Sprint(r), "#/components/schemas/BearerResponse") {
		t.Errorf("bearer login 200: %v", r)
	}
	if r, _ := d.response(post, "/auth/cookie/login", 204); r["headers"].(map[string]any)["Set-Cookie"] == nil {
		t.Errorf("cookie login 204: %v", r)
	}

	// Every $ref resolves.
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				if _, ok := d.at(ref); !ok {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, v := range n {
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	walk(d.root)
}

// The document follows the configuration: verification adds its code and
// its 403, NoCurrentPassword drops UPDATE_USER_BAD_CURRENT_PASSWORD.
func TestOpenAPIFollowsConfig(t *testing.T) {
	e := newEnv(t, stores[0].open, func(c *authkit.Config) {
		c.RequireVerification = true
		c.NoCurrentPassword = true
	})
	d := e.doc(t)
	if got := d.details(http.MethodPost, "/auth/jwt/login", 400); !slices.Equal(got, []string{"LOGIN_BAD_CREDENTIALS", "LOGIN_USER_NOT_VERIFIED"}) {
		t.Errorf("login codes %v", got)
	}
	if got := d.statuses(http.MethodGet, "/users/me"); !slices.Contains(got, 403) {
		t.Errorf("GET /users/me statuses %v, want a 403", got)
	}
	if got := d.details(http.MethodPatch, "/users/me", 400); slices.Contains(got, "UPDATE_USER_BAD_CURRENT_PASSWORD") {
		t.Errorf("PATCH /users/me codes %v", got)
	}
}

// Every answer the server gives, in a run through every route, is one the
// document describes, body and headers included.
func TestOpenAPIMatchesServer(t *testing.T) {
	e := newEnv(t, stores[0].open)
	d := e.doc(t)
	const alice, bob = "alice@example.com", "bob@example.com"
	form := func(user, pw string) string {
		return "username=" + strings.ReplaceAll(user, "@", "%40") + "&password=" + pw
	}
	crossSite := func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }
	exercised := map[string]bool{}
	check := func(method, path string, r reply) {
		t.Helper()
		d.check(method, path, r)
		exercised[method+" "+path] = true
	}

	r := e.postJSON("/auth/register", `{"email":"`+alice+`","password":"`+goodPassword+`"}`)
	check("POST", "/auth/register", r)
	aliceID := decode(t, r.body)["id"].(string)
	check("POST", "/auth/register", e.postJSON("/auth/register", `{"email":"`+alice+`","password":"`+goodPassword+`"}`))
	check("POST", "/auth/register", e.postJSON("/auth/register", `{"email":"bob@example.com","password":"short"}`))
	check("POST", "/auth/register", e.postJSON("/auth/register", `{"email":"nope"}`))
	check("POST", "/auth/register", e.postJSON("/auth/register", `{"email":"`+strings.Repeat("a", authkit.DefaultMaxBodyBytes)+`"}`))

	for _, b := range backendNames {
		login, logout := "/auth/"+b+"/login", "/auth/"+b+"/logout"
		check("POST", login, e.do("POST", login, "application/x-www-form-urlencoded", form(alice, goodPassword)))
		check("POST", login, e.do("POST", login, "application/x-www-form-urlencoded", form(alice, "wrong-password")))
		check("POST", login, e.do("POST", login, "application/x-www-form-urlencoded", "username=x"))
		check("POST", login, e.do("POST", login, "application/x-www-form-urlencoded", form(alice, goodPassword), crossSite))
		c := e.login(b, alice, goodPassword)
		check("POST", logout, e.do("POST", logout, "", "", c, crossSite))
		check("POST", logout, e.do("POST", logout, "", "", c))
		check("POST", logout, e.do("POST", logout, "", "", c))
	}

	c := e.login("jwt", alice, goodPassword)
	cookie := e.login("cookie", alice, goodPassword)
	check("GET", "/users/me", e.get("/users/me", c))
	check("GET", "/users/me", e.get("/users/me"))
	check("PATCH", "/users/me", e.patchJSON("/users/me", `{"email":"alice2@example.com"}`, c))
	check("PATCH", "/users/me", e.patchJSON("/users/me", `{"password":"short","current_password":"`+goodPassword+`"}`, c))
	check("PATCH", "/users/me", e.patchJSON("/users/me", `{"email":42}`, c))
	check("PATCH", "/users/me", e.patchJSON("/users/me", `{}`, cookie, crossSite))
	check("PATCH", "/users/me", e.patchJSON("/users/me", `{"is_superuser":true}`, c))

	check("GET", "/users/{id}", e.get("/users/"+aliceID, c))
	e.register(bob, goodPassword)
	e.makeSuperuser(bob)
	admin := e.login("jwt", bob, goodPassword)
	check("GET", "/users/{id}", e.get("/users/"+aliceID, admin))
	check("GET", "/users/{id}", e.get("/users/00000000-0000-0000-0000-000000000000", admin))
	check("GET", "/users/{id}", e.get("/users/not-a-uuid", admin))
	check("PATCH", "/users/{id}", e.patchJSON("/users/"+aliceID, `{"email":"`+bob+`"}`, admin))
	check("PATCH", "/users/{id}", e.patchJSON("/users/"+aliceID, `{"is_verified":"yes"}`, admin))
	check("PATCH", "/users/{id}", e.patchJSON("/users/"+aliceID, `{"is_verified":true}`, admin))

	check("POST", "/auth/forgot-password", e.postJSON("/auth/forgot-password", `{"email":"`+alice+`"}`))
	check("POST", "/auth/forgot-password", e.postJSON("/auth/forgot-password", `{}`))
	check("POST", "/auth/reset-password", e.postJSON("/auth/reset-password", `{"token":"x","password":"`+goodPassword+`"}`))
	check("POST", "/auth/reset-password", e.postJSON("/auth/reset-password", `{"token":"x"}`))
	check("POST", "/auth/request-verify-token", e.postJSON("/auth/request-verify-token", `{"email":"`+alice+`"}`))
	check("POST", "/auth/verify", e.postJSON("/auth/verify", `{"token":"x"}`))
	check("POST", "/auth/verify", e.postJSON("/auth/verify", `[]`))

	lr := e.do("POST", "/auth/refresh/login", "application/x-www-form-urlencoded", form(alice, goodPassword))
	rt, _ := decode(t, lr.body)["refresh_token"].(string)
	check("POST", "/auth/refresh/refresh", e.postJSON("/auth/refresh/refresh", `{"refresh_token":`+q(rt)+`}`))
	check("POST", "/auth/refresh/refresh", e.postJSON("/auth/refresh/refresh", `{"refresh_token":`+q(rt)+`}`))
	check("POST", "/auth/refresh/refresh", e.postJSON("/auth/refresh/refresh", `{}`))
	check("GET", "/users/me/sessions", e.get("/users/me/sessions", c))
	check("GET", "/users/me/sessions", e.get("/users/me/sessions"))
	check("DELETE", "/users/me/sessions/{session_id}", e.do("DELETE", "/users/me/sessions/nope", "", "", c))
	check("GET", "/users/{id}/sessions", e.get("/users/"+aliceID+"/sessions", admin))
	check("GET", "/users/{id}/sessions", e.get("/users/"+aliceID+"/sessions", c))
	check("DELETE", "/users/{id}/sessions", e.do("DELETE", "/users/"+aliceID+"/sessions", "", "", admin))
	check("DELETE", "/users/{id}/sessions", e.do("DELETE", "/users/00000000-0000-0000-0000-000000000000/sessions", "", "", admin))
	check("POST", "/auth/logout-all", e.do("POST", "/auth/logout-all", "", "", e.login("jwt", bob, goodPassword)))
	check("POST", "/auth/logout-all", e.do("POST", "/auth/logout-all", "", ""))
	admin = e.login("jwt", bob, goodPassword)

	check("DELETE", "/users/{id}", e.do("DELETE", "/users/"+aliceID, "", "", admin))
	check("DELETE", "/users/{id}", e.do("DELETE", "/users/"+aliceID, "", "", admin))

	// With the database gone: 503.
	e.db.Close()
	check("GET", "/users/me", e.get("/users/me", admin))
	check("POST", "/auth/register", e.postJSON("/auth/register", `{"email":"carol@example.com","password":"`+goodPassword+`"}`))

	// Throttled: 429.
	th := newEnv(t, stores[0].open, func(c *authkit.Config) {
		c.Throttle = authkit.Throttle{RequestsPerAddress: limiter.Rule{Limit: 1, Window: time.Minute}}
	})
	for range 2 {
		check("POST", "/auth/forgot-password", th.postJSON("/auth/forgot-password", `{"email":"`+alice+`"}`))
	}
	if r := th.postJSON("/auth/forgot-password", `{"email":"`+alice+`"}`); r.status != http.StatusTooManyRequests {
		t.Errorf("throttled forgot-password: %d", r.status)
	}

	for _, m := range e.mounts() {
		for _, rt := range m.Router.Routes() {
			if !exercised[rt.Method+" "+m.Prefix+rt.Path] {
				t.Errorf("%s %s%s was not exercised", rt.Method, m.Prefix, rt.Path)
			}
		}
	}
}

// headerTransport carries the token in X-Token: an application's own
// transport.
type headerTransport struct{}

func (headerTransport) Token(r *http.Request) string { return r.Header.Get("X-Token") }

func (headerTransport) WriteLogin(w http.ResponseWriter, l transport.Login) error {
	w.Header().Set("X-Token", l.AccessToken)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (headerTransport) WriteLogout(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// documentedTransport is a headerTransport that describes itself.
type documentedTransport struct{ headerTransport }

func (documentedTransport) OpenAPI() openapi.TransportDoc {
	return openapi.TransportDoc{
		Login: openapi.Response{Status: http.StatusNoContent, Description: "Logged in.",
			Headers: []openapi.Header{{Name: "X-Token", Description: "The token."}}},
		Logout: openapi.Response{Status: http.StatusNoContent, Description: "Logged out."},
		Scheme: openapi.SecurityScheme{Type: "apiKey", In: "header", Name: "X-Token"},
	}
}

// An application's own transport describes itself through
// DocumentedTransport; one that does not is still documented.
func TestOpenAPIOwnTransports(t *testing.T) {
	e := newEnv(t, stores[0].open)
	jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a test secret that is long enough for HS256"), Store: e.store})
	if err != nil {
		t.Fatal(err)
	}
	kit, err := authkit.New(authkit.Config{Users: e.store, Backends: []authkit.AuthenticationBackend{
		{Name: "own", Transport: documentedTransport{}, Strategy: jwt},
		{Name: "plain", Transport: headerTransport{}, Strategy: jwt},
	}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := authkit.OpenAPI(testInfo, authkit.At("/auth/own", authRouter(t, kit, "own")), authkit.At("/auth/plain", authRouter(t, kit, "plain")))
	if err != nil {
		t.Fatal(err)
	}
	d := parseDoc(t, raw)
	if r, _ := d.response("POST", "/auth/own/login", 204); r["headers"].(map[string]any)["X-Token"] == nil {
		t.Errorf("own login: %v", r)
	}
	if got := fmt.Sprint(d.root["components"].(map[string]any)["securitySchemes"].(map[string]any)["own"]); got != "map[in:header name:X-Token type:apiKey]" {
		t.Errorf("own scheme %s", got)
	}
	if got := d.statuses("POST", "/auth/plain/login"); !slices.Contains(got, 200) {
		t.Errorf("plain login statuses %v", got)
	}
	if _, ok := d.root["components"].(map[string]any)["securitySchemes"].(map[string]any)["plain"]; !ok {
		t.Error("plain has no security scheme")
	}
}

func TestOpenAPIIsStable(t *testing.T) {
	e := newEnv(t, stores[0].open)
	a, err := authkit.OpenAPI(testInfo, e.mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := authkit.OpenAPI(testInfo, e.mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || !strings.HasSuffix(string(a), "}\n") {
		t.Error("two documents of the same routes differ, or do not end with a newline")
	}
}

// Mounts that cannot be documented are an error, not a wrong document
// (openapi's tests cover the operations themselves).
func TestOpenAPIRefusesUndocumentable(t *testing.T) {
	ok := func(id string) authkit.Route {
		return authkit.Route{Method: "GET", Path: "/x", Summary: "X", OperationID: id,
			Responses: []openapi.Response{{Status: 200, Description: "OK"}}}
	}
	relative := ok("a")
	relative.Path = "x"
	for _, tc := range []struct {
		name   string
		info   openapi.Info
		mounts []authkit.Mounted
	}{
		{"no title", openapi.Info{Version: "1"}, nil},
		{"no operation ID", testInfo, []authkit.Mounted{authkit.At("/a", authkit.NewRouter(ok("")))}},
		{"duplicate operation ID", testInfo, []authkit.Mounted{authkit.At("/a", authkit.NewRouter(ok("a"))), authkit.At("/b", authkit.NewRouter(ok("a")))}},
		{"mounted twice", testInfo, []authkit.Mounted{authkit.At("/a", authkit.NewRouter(ok("a"), ok("b")))}},
		{"prefix without slash", testInfo, []authkit.Mounted{authkit.At("a", authkit.NewRouter(ok("a")))}},
		{"route path without slash", testInfo, []authkit.Mounted{authkit.At("/a", authkit.NewRouter(relative))}},
		{"nil router", testInfo, []authkit.Mounted{authkit.At("/a", nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if doc, err := authkit.OpenAPI(tc.info, tc.mounts...); err == nil {
				t.Errorf("no error; document:\n%s", doc)
			}
		})
	}
}

// The handler serves the document over a real server, to GET and HEAD.
func TestOpenAPIHandler(t *testing.T) {
	e := newEnv(t, stores[0].open)
	want, err := authkit.OpenAPI(testInfo, e.mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := authkit.OpenAPIHandler(testInfo, e.mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/openapi.json", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != httpjson.ContentType || string(body) != string(want) {
		t.Errorf("GET: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	res, err = http.Head(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.ContentLength != int64(len(want)) {
		t.Errorf("HEAD: %d, length %d", res.StatusCode, res.ContentLength)
	}
	res, err = http.Post(srv.URL+"/openapi.json", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" || string(body) != `{"detail":"Method Not Allowed"}` {
		t.Errorf("POST: %d %q %s", res.StatusCode, res.Header.Get("Allow"), body)
	}

	if _, err := authkit.OpenAPIHandler(openapi.Info{}); err == nil {
		t.Error("OpenAPIHandler without a title: no error")
	}
}

// The API publishes its OpenAPI document, built from the routers it
// mounts, at /openapi.json.
func ExampleOpenAPIHandler() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "authkit-example")
	defer os.RemoveAll(dir)
	db, _ := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	defer db.Close()
	users, _ := sqlite.New(db)
	_ = users.Migrate(ctx)
	jwt, _ := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("an example secret of at least 32 bytes"), Store: users})
	kit, err := authkit.New(authkit.Config{
		Users:    users,
		Backends: []authkit.AuthenticationBackend{{Name: "jwt", Transport: transport.Bearer{}, Strategy: jwt}},
	})
	if err != nil {
		panic(err)
	}

	login, err := kit.AuthRouter("jwt")
	if err != nil {
		panic(err)
	}
	auth, me := kit.RegisterRouter(), kit.UsersRouter()
	mux := http.NewServeMux()
	authkit.Mount(mux, "/auth", auth)
	authkit.Mount(mux, "/auth/jwt", login)
	authkit.Mount(mux, "/users", me)
	doc, err := authkit.OpenAPIHandler(openapi.Info{Title: "My API", Version: "1.0.0"},
		authkit.At("/auth", auth), authkit.At("/auth/jwt", login), authkit.At("/users", me))
	if err != nil {
		panic(err)
	}
	mux.Handle("GET /openapi.json", doc)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var d struct {
		OpenAPI string
		Paths   map[string]map[string]struct{ OperationID string }
	}
	_ = json.NewDecoder(res.Body).Decode(&d)
	fmt.Println(d.OpenAPI, d.Paths["/auth/jwt/login"]["post"].OperationID, d.Paths["/users/{id}"]["delete"].OperationID)
	// Output:
	// 3.1.0 auth:jwt.login users:delete_user
}
