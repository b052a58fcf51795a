package authkit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
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

var muxes = map[string]mountFunc{
	"net/http ServeMux": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		m := http.NewServeMux()
		authkit.Mount(m, "/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter()))
		authkit.Mount(m, "/auth/jwt", kit.AuthRouter("jwt"))
		authkit.Mount(m, "/auth/cookie", kit.AuthRouter("cookie"))
		authkit.Mount(m, "/users", kit.UsersRouter())
		m.Handle("GET /api/whoami", kit.CurrentActiveUser(whoami))
		m.Handle("GET /api/admin", kit.CurrentUser(authkit.Require{Active: true, Superuser: true})(admin))
		m.Handle("GET /api/items/{id}", kit.CurrentActiveUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.PathValue("id"))
		})))
		return m
	},
	"chi": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Mount("/auth/jwt", http.StripPrefix("/auth/jwt", kit.AuthRouter("jwt")))
		r.Mount("/auth/cookie", http.StripPrefix("/auth/cookie", kit.AuthRouter("cookie")))
		r.Mount("/auth", http.StripPrefix("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter())))
		r.Mount("/users", http.StripPrefix("/users", kit.UsersRouter()))
		r.Route("/api", func(r chi.Router) {
			r.Group(func(r chi.Router) {
				r.Use(kit.CurrentActiveUser)
				r.Get("/whoami", whoami.ServeHTTP)
				r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, chi.URLParam(r, "id")) })
			})
			r.With(kit.CurrentUser(authkit.Require{Active: true, Superuser: true})).Get("/admin", admin.ServeHTTP)
		})
		return r
	},
	"gorilla/mux": func(kit *authkit.AuthKit, whoami, admin http.Handler) http.Handler {
		r := mux.NewRouter()
		r.PathPrefix("/auth/jwt/").Handler(http.StripPrefix("/auth/jwt", kit.AuthRouter("jwt")))
		r.PathPrefix("/auth/cookie/").Handler(http.StripPrefix("/auth/cookie", kit.AuthRouter("cookie")))
		r.PathPrefix("/auth/").Handler(http.StripPrefix("/auth", authkit.Merge(kit.RegisterRouter(), kit.ResetPasswordRouter(), kit.VerifyRouter())))
		r.PathPrefix("/users/").Handler(http.StripPrefix("/users", kit.UsersRouter()))
		api := r.PathPrefix("/api").Subrouter()
		api.Handle("/admin", kit.CurrentUser(authkit.Require{Active: true, Superuser: true})(admin)).Methods(http.MethodGet)
		group := api.NewRoute().Subrouter()
		group.Use(kit.CurrentActiveUser)
		group.Handle("/whoami", whoami).Methods(http.MethodGet)
		group.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, mux.Vars(r)["id"]) }).Methods(http.MethodGet)
		return r
	},
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
		})
	}
}
