package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/go-authkit/authkit/internal/testlog"
	"github.com/go-authkit/authkit/store/dbopen"
)

// client calls the service as one user, through one backend (or none).
type client struct {
	t    *testing.T
	base string
	hdr  http.Header // Authorization or Cookie; empty: anonymous
	id   uuid.UUID   // the user's id
}

// do sends a request and returns the status, headers and body.
func (c *client) do(method, path, body string, hdr ...string) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.hdr {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// expect sends a request, checks the status and, for a JSON answer, the
// Content-Type, and decodes the body into out (when not nil).
func (c *client) expect(want int, method, path, body string, out any) []byte {
	c.t.Helper()
	status, hdr, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, status, b, want)
	}
	if status == http.StatusNoContent {
		if len(b) != 0 {
			c.t.Fatalf("%s %s: 204 with a body %q", method, path, b)
		}
		return b
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		c.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

// expectDetail checks an error answer's status and exact body.
func (c *client) expectDetail(want int, method, path, body, detail string) {
	c.t.Helper()
	if got := string(c.expect(want, method, path, body, nil)); got != detail {
		c.t.Fatalf("%s %s %s: body %s, want %s", method, path, body, got, detail)
	}
}

// register makes an account and returns its id.
func register(t *testing.T, base, email, password string) uuid.UUID {
	t.Helper()
	var u struct{ ID uuid.UUID }
	(&client{t: t, base: base}).expect(http.StatusCreated, "POST", "/auth/register",
		`{"email":"`+email+`","password":"`+password+`"}`, &u)
	return u.ID
}

// login logs in through the backend ("jwt" or "cookie") and returns a
// client holding the token.
func login(t *testing.T, base, backend, email, password string) *client {
	t.Helper()
	form := url.Values{"username": {email}, "password": {password}}.Encode()
	res, err := http.Post(base+"/auth/"+backend+"/login", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	c := &client{t: t, base: base, hdr: http.Header{}}
	switch backend {
	case "jwt":
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 || tok.AccessToken == "" {
			t.Fatalf("jwt login %s: %d %v", email, res.StatusCode, err)
		}
		c.hdr.Set("Authorization", "Bearer "+tok.AccessToken)
	case "cookie":
		if res.StatusCode != 204 || len(res.Cookies()) != 1 {
			t.Fatalf("cookie login %s: %d %v", email, res.StatusCode, res.Cookies())
		}
		ck := res.Cookies()[0]
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %+v: want Secure, HttpOnly, SameSite=Lax", ck)
		}
		c.hdr.Set("Cookie", ck.Name+"="+ck.Value)
	}
	var me struct{ ID uuid.UUID }
	c.expect(http.StatusOK, "GET", "/users/me", "", &me)
	c.id = me.ID
	return c
}

// makeSuperuser promotes a user through the store, as an operator's tool would.
func makeSuperuser(t *testing.T, dsn, email string) {
	t.Helper()
	ctx := context.Background()
	st, err := dbopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.DB().Close()
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	u.IsSuperuser = true
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
}

const pw = "correct-horse-battery-staple"

// The notebooks API on both databases, through both backends.
func TestNotebooksAPI(t *testing.T) {
	for name, dsn := range databases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dsn := dsn(t)
			base := startService(t, "-db", dsn)
			for _, backend := range []string{"jwt", "cookie"} {
				t.Run(backend, func(t *testing.T) {
					ada, bob := backend+"-ada@example.com", backend+"-bob@example.com"
					register(t, base, ada, pw)
					register(t, base, bob, pw)
					a, b := login(t, base, backend, ada, pw), login(t, base, backend, bob, pw)
					testCRUD(t, a, b)
					testBadBodies(t, a)
					if backend == "cookie" {
						testCrossSite(t, a)
					}
				})
			}
			t.Run("anonymous", func(t *testing.T) { testAnonymous(t, base) })
			t.Run("superuser", func(t *testing.T) { testSuperuser(t, base, dsn) })
		})
	}
}

func checkNotebook(t *testing.T, n notebook, title, content string, owner uuid.UUID) {
	t.Helper()
	if n.Title != title || n.Content != content || n.OwnerID != owner || n.ID == uuid.Nil {
		t.Fatalf("notebook %+v, want title %q content %q owner %s", n, title, content, owner)
	}
	if n.CreatedAt.Location() != time.UTC || n.UpdatedAt.Before(n.CreatedAt) {
		t.Fatalf("notebook times %v, %v", n.CreatedAt, n.UpdatedAt)
	}
	if d := time.Since(n.CreatedAt); d < 0 || d > time.Minute {
		t.Fatalf("created_at %v is not now", n.CreatedAt)
	}
}

func ids(list []notebook) []uuid.UUID {
	var out []uuid.UUID
	for _, n := range list {
		out = append(out, n.ID)
	}
	return out
}

func testCRUD(t *testing.T, a, b *client) {
	const notFound = `{"detail":"Not Found"}`
	if got := string(a.expect(200, "GET", "/api/notebooks", "", nil)); got != "[]" {
		t.Fatalf("empty list: %s, want []", got)
	}

	// Create: the raw answer has the documented fields and RFC 3339 UTC times.
	raw := a.expect(201, "POST", "/api/notebooks", `{"title":"Difference engine","content":"Columns of wheels."}`, nil)
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range fields {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"content", "created_at", "id", "owner_id", "title", "updated_at"}; !slices.Equal(keys, want) {
		t.Fatalf("notebook fields %v, want %v", keys, want)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		s := fields[k].(string)
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Fatalf("%s %q: not RFC 3339 UTC (%v)", k, s, err)
		}
	}
	if _, err := uuid.Parse(fields["id"].(string)); err != nil {
		t.Fatalf("id %v: %v", fields["id"], err)
	}
	var n1 notebook
	if err := json.Unmarshal(raw, &n1); err != nil {
		t.Fatal(err)
	}
	checkNotebook(t, n1, "Difference engine", "Columns of wheels.", a.id)

	var n2 notebook // no content: empty; the title is trimmed
	a.expect(201, "POST", "/api/notebooks", `{"title":"  Analytical engine  ","ignored":{"x":[1,2]}}`, &n2)
	checkNotebook(t, n2, "Analytical engine", "", a.id)

	// List: the caller's only, newest first.
	var list []notebook
	a.expect(200, "GET", "/api/notebooks", "", &list)
	if got, want := ids(list), []uuid.UUID{n2.ID, n1.ID}; !slices.Equal(got, want) {
		t.Fatalf("list %v, want %v", got, want)
	}
	a.expect(200, "GET", "/api/notebooks/", "", &list) // with the slash too
	if len(list) != 2 {
		t.Fatalf("list with slash: %d notebooks", len(list))
	}
	if got := string(b.expect(200, "GET", "/api/notebooks", "", nil)); got != "[]" {
		t.Fatalf("other user's list: %s, want []", got)
	}
	a.expect(200, "GET", "/api/notebooks?all=false", "", &list)
	if len(list) != 2 {
		t.Fatalf("all=false: %d notebooks", len(list))
	}

	// Get.
	var got notebook
	a.expect(200, "GET", "/api/notebooks/"+n1.ID.String(), "", &got)
	if got != n1 {
		t.Fatalf("get %+v, want %+v", got, n1)
	}
	for _, path := range []string{"/api/notebooks/" + n1.ID.String(), "/api/notebooks/" + uuid.NewString(), "/api/notebooks/not-a-uuid"} {
		b.expectDetail(404, "GET", path, "", notFound)
		b.expectDetail(404, "PATCH", path, `{"title":"mine now"}`, notFound)
		b.expectDetail(404, "DELETE", path, "", notFound)
	}
	a.expectDetail(404, "GET", "/api/notebooks/not-a-uuid", "", notFound)
	a.expectDetail(404, "GET", "/api/notebooks/"+n1.ID.String()+"/more", "", notFound)

	// Patch: each field alone, both, neither.
	var p notebook
	a.expect(200, "PATCH", "/api/notebooks/"+n1.ID.String(), `{"title":"Difference engine No. 2"}`, &p)
	checkNotebook(t, p, "Difference engine No. 2", "Columns of wheels.", a.id)
	if p.ID != n1.ID || !p.CreatedAt.Equal(n1.CreatedAt) || !p.UpdatedAt.After(n1.UpdatedAt) {
		t.Fatalf("patched %+v from %+v", p, n1)
	}
	a.expect(200, "PATCH", "/api/notebooks/"+n1.ID.String(), `{"content":"Now with a printer."}`, &p)
	checkNotebook(t, p, "Difference engine No. 2", "Now with a printer.", a.id)
	a.expect(200, "PATCH", "/api/notebooks/"+n1.ID.String(), `{"title":"DE2","content":""}`, &p)
	checkNotebook(t, p, "DE2", "", a.id)
	before := p
	a.expect(200, "PATCH", "/api/notebooks/"+n1.ID.String(), `{}`, &p)
	if p != before {
		t.Fatalf("empty patch changed %+v into %+v", before, p)
	}
	a.expectDetail(422, "PATCH", "/api/notebooks/"+n1.ID.String(), `{"title":""}`,
		`{"detail":[{"type":"string_too_short","loc":["body","title"],"msg":"String should have at least 1 character"}]}`)
	a.expect(200, "GET", "/api/notebooks/"+n1.ID.String(), "", &got)
	if got != before {
		t.Fatalf("after another user's and a bad patch: %+v, want %+v", got, before)
	}

	// Delete.
	b.expectDetail(404, "DELETE", "/api/notebooks/"+n2.ID.String(), "", notFound)
	a.expect(204, "DELETE", "/api/notebooks/"+n2.ID.String(), "", nil)
	a.expectDetail(404, "GET", "/api/notebooks/"+n2.ID.String(), "", notFound)
	a.expectDetail(404, "DELETE", "/api/notebooks/"+n2.ID.String(), "", notFound)
	a.expect(200, "GET", "/api/notebooks", "", &list)
	if got, want := ids(list), []uuid.UUID{n1.ID}; !slices.Equal(got, want) {
		t.Fatalf("list after delete %v, want %v", got, want)
	}

	// all=true is for superusers; a bad flag is a 422.
	a.expectDetail(403, "GET", "/api/notebooks?all=true", "", `{"detail":"Forbidden"}`)
	a.expectDetail(422, "GET", "/api/notebooks?all=maybe", "",
		`{"detail":[{"type":"bool_parsing","loc":["query","all"],"msg":"Input should be a valid boolean, unable to interpret input"}]}`)

	// Unknown methods and paths answer in JSON too.
	status, hdr, body := a.do("PUT", "/api/notebooks", `{}`)
	if status != 405 || hdr.Get("Allow") != "GET, POST" || string(body) != `{"detail":"Method Not Allowed"}` {
		t.Fatalf("PUT: %d %q %s", status, hdr.Get("Allow"), body)
	}
	a.expectDetail(404, "GET", "/api/nothing", "", notFound)
}

func testBadBodies(t *testing.T, a *client) {
	big := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct{ name, body, want string }{
		{"missing title", `{}`, `{"detail":[{"type":"missing","loc":["body","title"],"msg":"Field required"}]}`},
		{"missing title, content given", `{"content":"x"}`, `{"detail":[{"type":"missing","loc":["body","title"],"msg":"Field required"}]}`},
		{"empty title", `{"title":""}`, `{"detail":[{"type":"string_too_short","loc":["body","title"],"msg":"String should have at least 1 character"}]}`},
		{"blank title", `{"title":" \t "}`, `{"detail":[{"type":"string_too_short","loc":["body","title"],"msg":"String should have at least 1 character"}]}`},
		{"long title", `{"title":"` + big(201) + `"}`, `{"detail":[{"type":"string_too_long","loc":["body","title"],"msg":"String should have at most 200 characters"}]}`},
		{"title with a line break", `{"title":"a\nb"}`, `{"detail":[{"type":"value_error","loc":["body","title"],"msg":"Value error, the title must be one line, without control characters"}]}`},
		{"number title", `{"title":5}`, `{"detail":[{"type":"string_type","loc":["body","title"],"msg":"Input should be a valid string"}]}`},
		{"null title", `{"title":null}`, `{"detail":[{"type":"string_type","loc":["body","title"],"msg":"Input should be a valid string"}]}`},
		{"two bad fields", `{"title":[],"content":false}`, `{"detail":[{"type":"string_type","loc":["body","title"],"msg":"Input should be a valid string"},{"type":"string_type","loc":["body","content"],"msg":"Input should be a valid string"}]}`},
		{"long content", `{"title":"t","content":"` + big(maxContentBytes+1) + `"}`, `{"detail":[{"type":"string_too_long","loc":["body","content"],"msg":"String should have at most 102400 bytes"}]}`},
		{"NUL in content", `{"title":"t","content":"a\u0000b"}`, `{"detail":[{"type":"value_error","loc":["body","content"],"msg":"Value error, the content must not contain NUL characters"}]}`},
		{"not JSON", `title=x`, `{"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error","ctx":{"error":"invalid character 'i' in literal true (expecting 'r')"}}]}`},
		{"truncated", `{"title":"x"`, `{"detail":[{"type":"json_invalid","loc":["body",12],"msg":"JSON decode error","ctx":{"error":"unexpected end of input"}}]}`},
		{"array", `["title"]`, `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]}`},
		{"duplicate key", `{"title":"a","title":"b"}`, `{"detail":[{"type":"json_invalid","loc":["body",13],"msg":"JSON decode error","ctx":{"error":"duplicate key \"title\""}}]}`},
		{"trailing data", `{"title":"a"} {}`, `{"detail":[{"type":"json_invalid","loc":["body",14],"msg":"JSON decode error","ctx":{"error":"trailing data after the JSON value"}}]}`},
		{"invalid UTF-8", "{\"title\":\"\xff\"}", `{"detail":[{"type":"json_invalid","loc":["body",10],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]}`},
	} {
		status, _, body := a.do("POST", "/api/notebooks", tc.body)
		if status != 422 || string(body) != tc.want {
			t.Errorf("%s: %d %s, want 422 %s", tc.name, status, body, tc.want)
		}
	}
	// JSON only when the Content-Type says so, as FastAPI reads bodies.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		status, _, body := a.do("POST", "/api/notebooks", `{"title":"t"}`, "Content-Type", ct)
		if want := `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]}`; status != 422 || string(body) != want {
			t.Errorf("as %s: %d %s, want 422 %s", ct, status, body, want)
		}
	}
	// A body over the cap is refused before it is read whole.
	a.expectDetail(413, "POST", "/api/notebooks", `{"title":"t","content":"`+big(maxBodyBytes)+`"}`, `{"detail":"Request Entity Too Large"}`)
	// The largest content fits, even escaped.
	var n notebook
	huge := strings.Repeat(`\n`, maxContentBytes)
	a.expect(201, "POST", "/api/notebooks", `{"title":"Blank lines","content":"`+huge+`"}`, &n)
	if len(n.Content) != maxContentBytes {
		t.Fatalf("content of %d bytes, want %d", len(n.Content), maxContentBytes)
	}
	a.expect(204, "DELETE", "/api/notebooks/"+n.ID.String(), "", nil)
}

// A cookie-authenticated write from another site is refused by authkit's
// middleware; a read is not.
func testCrossSite(t *testing.T, a *client) {
	status, _, body := a.do("POST", "/api/notebooks", `{"title":"planted"}`, "Sec-Fetch-Site", "cross-site")
	if status != 403 || string(body) != `{"detail":"Forbidden"}` {
		t.Fatalf("cross-site POST with the cookie: %d %s, want 403", status, body)
	}
	status, _, _ = a.do("POST", "/api/notebooks", `{"title":"planted"}`, "Origin", "https://evil.example")
	if status != 403 {
		t.Fatalf("POST with the cookie from another origin: %d, want 403", status)
	}
	if status, _, body := a.do("GET", "/api/notebooks", "", "Sec-Fetch-Site", "cross-site"); status != 200 || strings.Contains(string(body), "planted") {
		t.Fatalf("cross-site GET: %d %s", status, body)
	}
}

func testAnonymous(t *testing.T, base string) {
	id := "/api/notebooks/" + uuid.NewString()
	for _, c := range []*client{
		{t: t, base: base},
		{t: t, base: base, hdr: http.Header{"Authorization": {"Bearer not-a-token"}}},
		{t: t, base: base, hdr: http.Header{"Cookie": {"authkit=not-a-token"}}},
	} {
		for _, r := range [][3]string{{"GET", "/api/notebooks", ""}, {"POST", "/api/notebooks", `{"title":"x"}`},
			{"GET", id, ""}, {"PATCH", id, `{"title":"x"}`}, {"DELETE", id, ""}, {"PUT", "/api/notebooks/x/y", ""}} {
			status, hdr, body := c.do(r[0], r[1], r[2])
			if status != 401 || string(body) != `{"detail":"Unauthorized"}` || hdr.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("%v %s %s: %d %s %v, want 401", c.hdr, r[0], r[1], status, body, hdr)
			}
		}
	}
}

// A superuser lists everyone's notebooks; deleting a user deletes theirs
// (ON DELETE CASCADE).
func testSuperuser(t *testing.T, base, dsn string) {
	register(t, base, "root@example.com", pw)
	register(t, base, "cat@example.com", pw)
	register(t, base, "dan@example.com", pw)
	makeSuperuser(t, dsn, "root@example.com")
	root := login(t, base, "jwt", "root@example.com", pw)
	cat, dan := login(t, base, "jwt", "cat@example.com", pw), login(t, base, "cookie", "dan@example.com", pw)

	var nc, nd, nr notebook
	cat.expect(201, "POST", "/api/notebooks", `{"title":"Cat's"}`, &nc)
	dan.expect(201, "POST", "/api/notebooks", `{"title":"Dan's"}`, &nd)
	root.expect(201, "POST", "/api/notebooks", `{"title":"Root's"}`, &nr)

	var all, own []notebook
	root.expect(200, "GET", "/api/notebooks?all=true", "", &all)
	if got := ids(all); len(got) < 3 || !slices.Equal(got[:3], []uuid.UUID{nr.ID, nd.ID, nc.ID}) {
		t.Fatalf("all=true: %v, want %v first", got, []uuid.UUID{nr.ID, nd.ID, nc.ID})
	}
	root.expect(200, "GET", "/api/notebooks?all=1", "", &all)
	root.expect(200, "GET", "/api/notebooks", "", &own)
	if got := ids(own); !slices.Equal(got, []uuid.UUID{nr.ID}) {
		t.Fatalf("superuser's own list %v", got)
	}
	// all=true is a view: a single notebook stays its owner's.
	root.expectDetail(404, "GET", "/api/notebooks/"+nc.ID.String(), "", `{"detail":"Not Found"}`)
	cat.expectDetail(403, "GET", "/api/notebooks?all=true", "", `{"detail":"Forbidden"}`)

	root.expect(204, "DELETE", "/users/"+cat.id.String(), "", nil)
	root.expect(200, "GET", "/api/notebooks?all=true", "", &all)
	for _, n := range all {
		if n.OwnerID == cat.id {
			t.Fatalf("the deleted user's notebook %+v is still there", n)
		}
	}
	if !slices.Contains(ids(all), nd.ID) {
		t.Fatalf("all=true lost another user's notebook")
	}
}

// The page and its files, with their security headers.
func TestPage(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t))
	get := func(path string) (*http.Response, string) {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, path := range []string{"/", "/reset-password?token=abc", "/verify?token=abc"} {
		res, body := get(path)
		h := res.Header
		if res.StatusCode != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, `id="login-form"`) {
			t.Fatalf("%s: %d %s", path, res.StatusCode, h.Get("Content-Type"))
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: headers %v", path, h)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Fatalf("%s: the page has inline script or loads something from elsewhere", path)
		}
	}
	for path, ctype := range map[string]string{"/static/app.js": "text/javascript; charset=utf-8", "/static/style.css": "text/css; charset=utf-8"} {
		res, body := get(path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ctype || len(body) < 100 || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/static/", "/static/nope.js", "/nope", "/api/"} {
		if res, body := get(path); res.StatusCode != 404 || body != `{"detail":"Not Found"}` {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
	}
}

// A database fault is a 503 with no SQL in the body, logged on the server.
func TestNotebooksDatabaseFault(t *testing.T) {
	var stderr testlog.Buffer
	dsn := sqliteDSN(t)
	base := startServiceLogging(t, &stderr, "-db", dsn)
	register(t, base, "ada@example.com", pw)
	a := login(t, base, "jwt", "ada@example.com", pw)

	st, err := dbopen.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.DB().Close()
	if _, err := st.DB().Exec(`DROP TABLE notebooks`); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{{"GET", "/api/notebooks"}, {"POST", "/api/notebooks"}, {"GET", "/api/notebooks/" + uuid.NewString()}} {
		status, hdr, body := a.do(r[0], r[1], `{"title":"t"}`)
		if status != 503 || string(body) != `{"detail":"Service Unavailable"}` || hdr.Get("Retry-After") == "" {
			t.Fatalf("%s %s with the table gone: %d %s", r[0], r[1], status, body)
		}
	}
	if !strings.Contains(stderr.String(), "notebooks: request failed") {
		t.Fatalf("the fault was not logged:\n%s", stderr.String())
	}
}
