package authkit_test

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
)

// mountFunc mounts authkit and an application's routes on one kind of mux:
// /api/whoami needs an active user (middleware on a group), /api/admin a
// superuser (middleware on one route), /api/items/{id} echoes a path
// parameter through the mux's own parameter API.
type mountFunc func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler

// Each mux mounts authkit the way its own users mount a handler: no
// http.StripPrefix anywhere (the routers find their mount point).
var muxes = map[string]mountFunc{
	"net/http ServeMux, authkit.Mount": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		m := http.NewServeMux()
		// One router at a time on /auth: Mount merges them.
		for _, r := range []*authkit.Router{kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()} {
			must(authkit.Mount(m, "/auth", r))
		}
		must(authkit.Mount(m, "/auth/jwt", mustRouter(kit.AuthRouter("jwt"))))
		must(authkit.Mount(m, "/auth/cookie", mustRouter(kit.AuthRouter("cookie"))))
		must(authkit.Mount(m, "/users", kit.UsersRouter()))
		serveMuxAPI(m, kit, whoami, admin)
		return m
	},
	"net/http ServeMux, Handle": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		m := http.NewServeMux()
		m.Handle("/auth/", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		m.Handle("/auth/jwt/", mustRouter(kit.AuthRouter("jwt")))
		m.Handle("/auth/cookie/", mustRouter(kit.AuthRouter("cookie")))
		m.Handle("/users/", kit.UsersRouter())
		serveMuxAPI(m, kit, whoami, admin)
		return m
	},
	"chi Mount": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Mount("/auth/jwt", mustRouter(kit.AuthRouter("jwt")))
		r.Mount("/auth/cookie", mustRouter(kit.AuthRouter("cookie")))
		r.Mount("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		r.Mount("/users", kit.UsersRouter())
		chiAPI(r, kit, whoami, admin)
		return r
	},
	"chi Route": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Route("/auth", func(r chi.Router) {
			r.Mount("/jwt", mustRouter(kit.AuthRouter("jwt")))
			r.Mount("/cookie", mustRouter(kit.AuthRouter("cookie")))
			r.Mount("/", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		})
		r.Route("/users", func(r chi.Router) { r.Mount("/", kit.UsersRouter()) })
		chiAPI(r, kit, whoami, admin)
		return r
	},
	"gorilla/mux": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := mux.NewRouter()
		r.PathPrefix("/auth/jwt").Handler(mustRouter(kit.AuthRouter("jwt")))
		r.PathPrefix("/auth/cookie").Handler(mustRouter(kit.AuthRouter("cookie")))
		r.PathPrefix("/auth").Handler(authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		r.PathPrefix("/users").Handler(kit.UsersRouter())
		gorillaAPI(r, kit, whoami, admin)
		return r
	},
	"gorilla/mux subrouter on a ServeMux": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := mux.NewRouter()
		auth := r.PathPrefix("/auth").Subrouter()
		auth.PathPrefix("/jwt/").Handler(mustRouter(kit.AuthRouter("jwt")))
		auth.PathPrefix("/cookie/").Handler(mustRouter(kit.AuthRouter("cookie")))
		auth.PathPrefix("/").Handler(authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		r.PathPrefix("/users/").Handler(kit.UsersRouter())
		gorillaAPI(r, kit, whoami, admin)
		m := http.NewServeMux()
		m.Handle("/", r) // as gorilla/mux's README does
		return m
	},
	"http.StripPrefix": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Mount("/auth/jwt", http.StripPrefix("/auth/jwt", mustRouter(kit.AuthRouter("jwt"))))
		r.Mount("/auth/cookie", http.StripPrefix("/auth/cookie", mustRouter(kit.AuthRouter("cookie"))))
		r.Mount("/auth", http.StripPrefix("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter())))
		r.Mount("/users", http.StripPrefix("/users", kit.UsersRouter()))
		chiAPI(r, kit, whoami, admin)
		return r
	},
}

func serveMuxAPI(m *http.ServeMux, kit *authkit.AuthKit, whoami, admin http.Handler) {
	m.Handle("GET /api/whoami", kit.CurrentActiveUser(whoami))
	m.Handle("GET /api/admin", kit.CurrentUser(authkit.Require{Active: true, Superuser: true})(admin))
	m.Handle("GET /api/items/{id}", kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.PathValue("id"))
	})))
}

func chiAPI(r chi.Router, kit *authkit.AuthKit, whoami, admin http.Handler) {
	r.Route("/api", func(r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(kit.CurrentActiveUser)
			r.Get("/whoami", whoami.ServeHTTP)
			r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, chi.URLParam(r, "id")) })
		})
		r.With(kit.CurrentUser(authkit.Require{Active: true, Superuser: true})).Get("/admin", admin.ServeHTTP)
	})
}

func gorillaAPI(r *mux.Router, kit *authkit.AuthKit, whoami, admin http.Handler) {
	api := r.PathPrefix("/api").Subrouter()
	api.Handle("/admin", kit.CurrentUser(authkit.Require{Active: true, Superuser: true})(admin)).Methods(http.MethodGet)
	group := api.NewRoute().Subrouter()
	group.Use(kit.CurrentActiveUser)
	group.Handle("/whoami", whoami).Methods(http.MethodGet)
	group.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, mux.Vars(r)["id"]) }).Methods(http.MethodGet)
}

// must and mustRouter stop a mux's set-up at its first error.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

func mustRouter(r *authkit.Router, err error) *authkit.Router {
	must(err)
	return r
}

// authkit behaves the same on http.ServeMux, chi and gorilla/mux, with its
// middleware on single routes and on groups.
func TestRouterCompatibility(t *testing.T) {
	for name, mount := range muxes {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, stores[0].open)
			whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u, _ := authkit.UserFrom(r.Context())
				io.WriteString(w, u.Email)
			})
			admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin") })
			srv := httptest.NewServer(mount(e.kit, whoami, admin))
			defer srv.Close()
			e.srv = srv // the env's helpers now speak to this mux

			e.register("ywain@camelot.bt", goodPassword)
			e.register("root@camelot.bt", goodPassword)
			e.makeSuperuser("root@camelot.bt")
			for _, backend := range []string{"jwt", "cookie"} {
				c := e.login(backend, "ywain@camelot.bt", goodPassword)
				if r := e.get("/users/me", c); r.status != http.StatusOK {
					t.Fatalf("%s /users/me: %d %s", backend, r.status, r.body)
				}
				if r := e.get("/api/whoami", c); r.status != http.StatusOK || r.body != "ywain@camelot.bt" {
					t.Fatalf("%s whoami: %d %s", backend, r.status, r.body)
				}
				if r := e.get("/api/items/42", c); r.status != http.StatusOK || r.body != "42" {
					t.Fatalf("%s item: %d %s", backend, r.status, r.body)
				}
				expect(t, e.get("/api/admin", c), http.StatusForbidden, `{"detail":"Forbidden"}`)
				expect(t, e.do(http.MethodPost, "/auth/"+backend+"/logout", "", "", c), http.StatusNoContent, "")
				expect(t, e.get("/api/whoami", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			}
			root := e.login("jwt", "root@camelot.bt", goodPassword)
			if r := e.get("/api/admin", root); r.status != http.StatusOK || r.body != "admin" {
				t.Fatalf("admin: %d %s", r.status, r.body)
			}
			id := decode(t, e.get("/users/me", root).body)["id"].(string)
			if r := e.get("/users/"+id, root); r.status != http.StatusOK {
				t.Fatalf("/users/{id}: %d %s", r.status, r.body)
			}
			expect(t, e.get("/api/whoami"), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			expect(t, e.do(http.MethodPost, "/auth/forgot-password", "application/json", `{"email":"ywain@camelot.bt"}`), http.StatusAccepted, `null`)
			expect(t, e.get("/auth/register"), http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`)
			expect(t, e.get("/auth/nowhere"), http.StatusNotFound, `{"detail":"Not Found"}`)
			expect(t, e.get("/users/"+id+"/nowhere", root), http.StatusNotFound, `{"detail":"Not Found"}`)
			r := e.do(http.MethodPut, "/users/me", "application/json", `{}`, root)
			expect(t, r, http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`)
			if got := r.header.Get("Allow"); got != "GET, PATCH, DELETE" {
				t.Errorf("PUT /users/me: Allow %q, want each method once", got)
			}
		})
	}
}

// Mistakes of mounting are errors at start-up, not a panic or a silent 404.
func TestMountMistakes(t *testing.T) {
	e := newEnv(t, stores[0].open)
	if _, err := e.kit.AuthRouter("nope"); !errors.Is(err, authkit.ErrUnknownBackend) {
		t.Errorf("AuthRouter(nope): %v, want ErrUnknownBackend", err)
	}
	m := http.NewServeMux()
	if err := authkit.Mount(m, "/auth", e.kit.RegisterRouter()); err != nil {
		t.Fatal(err)
	}
	if err := authkit.Mount(m, "/auth/", e.kit.VerifyRouter()); err != nil {
		t.Errorf("a second router on /auth: %v", err)
	}
	if err := authkit.Mount(m, "/auth", e.kit.RegisterRouter()); !errors.Is(err, authkit.ErrMountConflict) {
		t.Errorf("POST /register mounted twice: %v, want ErrMountConflict", err)
	}
	m.Handle("/mine/", http.NotFoundHandler())
	if err := authkit.Mount(m, "/mine", e.kit.RegisterRouter()); !errors.Is(err, authkit.ErrMountConflict) {
		t.Errorf("on another handler: %v, want ErrMountConflict", err)
	}
	srv := httptest.NewServer(m)
	defer srv.Close()
	e.srv = srv
	expect(t, e.do(http.MethodPost, "/auth/request-verify-token", "application/json", `{"email":"nobody@camelot.bt"}`), http.StatusAccepted, `null`)
	if r := e.do(http.MethodPost, "/auth/register", "application/json", `{"email":"ywain@camelot.bt","password":"`+goodPassword+`"}`); r.status != http.StatusCreated {
		t.Errorf("register: %d %s", r.status, r.body)
	}
}

// echo answers its name and the request's {id}: which route served it.
func echo(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name+" "+r.PathValue("id"))
	})
}

// Mount puts each literal route on its own ServeMux pattern (the fast
// path); what the router answered before, it still answers: the first
// matching route wins, other methods get the JSON 405, and a pattern the
// app already serves is ErrMountConflict with nothing half-registered.
func TestMountExactRoutes(t *testing.T) {
	items := func() *authkit.Router {
		return authkit.NewRouter(
			authkit.Route{Method: http.MethodGet, Path: "/a", Handler: echo("a")},
			authkit.Route{Method: http.MethodPost, Path: "/a", Handler: echo("post a")},
			authkit.Route{Method: http.MethodGet, Path: "/{id}", Handler: echo("get")},
			authkit.Route{Method: http.MethodGet, Path: "/d/", Handler: echo("dir")},
		)
	}
	more := authkit.NewRouter(
		authkit.Route{Method: http.MethodGet, Path: "/{id}/c", Handler: echo("any c")},
		authkit.Route{Method: http.MethodGet, Path: "/b/c", Handler: echo("b c")}, // taken by the route before it
	)
	m := http.NewServeMux()
	must(authkit.Mount(m, "/x", items()))
	must(authkit.Mount(m, "/x", more))
	srv := httptest.NewServer(m)
	defer srv.Close()
	for _, tc := range []struct{ method, path, allow, want string }{
		{"GET", "/x/a", "", "200 a "},
		{"POST", "/x/a", "", "200 post a "},
		{"HEAD", "/x/a", "GET, POST", "405 "},
		{"DELETE", "/x/a", "GET, POST", `405 {"detail":"Method Not Allowed"}`},
		{"GET", "/x/z", "", "200 get z"},
		{"GET", "/x/d/", "", "200 dir "},
		{"GET", "/x/d/e", "", `404 {"detail":"Not Found"}`},
		{"GET", "/x/b/c", "", "200 any c b"},
	} {
		r, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := fmt.Sprintf("%d %s", res.StatusCode, b); got != tc.want || res.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %s (Allow %q), want %s (Allow %q)", tc.method, tc.path, got, res.Header.Get("Allow"), tc.want, tc.allow)
		}
	}
	// A route no ServeMux pattern can spell stays with the router.
	odd := http.NewServeMux()
	must(authkit.Mount(odd, "/x", authkit.NewRouter(authkit.Route{Method: "GET POST", Path: "/m", Handler: echo("m")})))
	if _, at := odd.Handler(httptest.NewRequest("GET", "/x/m", nil)); at != "/x/" {
		t.Errorf("a method with a space is served by pattern %q, want the prefix's", at)
	}
	if _, at := m.Handler(httptest.NewRequest("GET", "/x/a", nil)); at != "GET /x/a" {
		t.Errorf("GET /x/a is served by pattern %q, want its own", at)
	}

	pattern := func(m *http.ServeMux, method, path string) string {
		_, at := m.Handler(httptest.NewRequest(method, path, nil))
		return at
	}
	taken := http.NewServeMux()
	taken.Handle("POST /x/a", echo("mine"))
	if err := authkit.Mount(taken, "/x", items()); !errors.Is(err, authkit.ErrMountConflict) {
		t.Errorf("over the app's POST /x/a: %v, want ErrMountConflict", err)
	}
	if at := pattern(taken, "GET", "/x/a"); at != "" {
		t.Errorf("after the conflict GET /x/a is served by %q, want nothing", at)
	}
	taken = http.NewServeMux()
	taken.Handle("GET /x/b/c", echo("mine"))
	must(authkit.Mount(taken, "/x", items()))
	if err := authkit.Mount(taken, "/x", authkit.NewRouter(
		authkit.Route{Method: http.MethodGet, Path: "/e", Handler: echo("e")},
		authkit.Route{Method: http.MethodGet, Path: "/b/c", Handler: echo("b c")},
	)); !errors.Is(err, authkit.ErrMountConflict) {
		t.Errorf("merging over the app's GET /x/b/c: %v, want ErrMountConflict", err)
	}
	if at := pattern(taken, "GET", "/x/e"); at != "/x/" {
		t.Errorf("after the conflict GET /x/e is served by %q, want /x/ (its 404)", at)
	}
}

// Where a router finds its routes, mux by mux: the path below the mount
// point. ServeMux and chi tell it (r.Pattern); under gorilla/mux it
// matches the end of the path, the shortest mount point first, so there a
// deeper path can reach a route (README: Mounting).
func TestRouterMountPoints(t *testing.T) {
	newRouter := func() *authkit.Router {
		return authkit.NewRouter(
			authkit.Route{Method: http.MethodGet, Path: "/", Handler: echo("list")},
			authkit.Route{Method: http.MethodGet, Path: "/{id}", Handler: echo("get")},
			authkit.Route{Method: http.MethodDelete, Path: "/{id}", Handler: echo("delete")},
			authkit.Route{Method: http.MethodGet, Path: "/{id}/sessions", Handler: echo("sessions")},
		)
	}
	serveMux := http.NewServeMux()
	must(authkit.Mount(serveMux, "/api/items", newRouter()))
	serveMux.Handle("/api/items", newRouter()) // the prefix itself, exactly
	chiMux := chi.NewRouter()
	chiMux.Mount("/api/items", newRouter())
	gorilla := mux.NewRouter()
	gorilla.PathPrefix("/api/items/").Handler(newRouter())

	type answer struct {
		status int
		body   string
	}
	notFound := answer{404, `{"detail":"Not Found"}`}
	for _, tc := range []struct {
		name string
		h    http.Handler
		want map[string]answer // "METHOD path" → answer
	}{
		{"ServeMux", serveMux, map[string]answer{"GET /api/items/sessions": {200, "get sessions"},
			"GET /api/items/7/nowhere": notFound, "GET /api/items/7/8": notFound, "GET /api/items": {200, "list "}}},
		{"chi", chiMux, map[string]answer{"GET /api/items/sessions": {200, "get sessions"},
			"GET /api/items/7/nowhere": notFound, "GET /api/items/7/8": notFound, "GET /api/items": {200, "list "}}},
		{"gorilla/mux", gorilla, map[string]answer{"GET /api/items/sessions": {200, "sessions items"},
			"GET /api/items/7/nowhere": {200, "get nowhere"}, "GET /api/items/x/7/sessions": {200, "sessions 7"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			want := map[string]answer{
				"GET /api/items/":           {200, "list "},
				"GET /api/items/7":          {200, "get 7"},
				"DELETE /api/items/7":       {200, "delete 7"},
				"GET /api/items/7/sessions": {200, "sessions 7"},
				"PUT /api/items/7":          {405, `{"detail":"Method Not Allowed"}`},
			}
			maps.Copy(want, tc.want)
			for req, w := range want {
				method, path, _ := strings.Cut(req, " ")
				r, _ := http.NewRequest(method, srv.URL+path, nil)
				res, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != w.status || string(b) != w.body {
					t.Errorf("%s: %d %q, want %d %q", req, res.StatusCode, b, w.status, w.body)
				}
				if w.status == 405 && res.Header.Get("Allow") != "GET, DELETE" {
					t.Errorf("%s: Allow %q, want GET, DELETE", req, res.Header.Get("Allow"))
				}
			}
		})
	}
}
