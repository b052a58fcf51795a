package authkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
)

// Route is one endpoint. Routers are tables of routes — data — so that the
// same table serves requests and documents the API.
type Route struct {
	Method string
	// Path is relative to where the router is mounted, e.g. "/register"
	// or "/{id}"; a {name} segment matches any one segment and is available
	// to the handler as r.PathValue(name), whatever mux the router is on.
	Path    string
	Summary string
	Handler http.Handler

	// The rest documents the route: OpenAPI makes the API's document of
	// these, so that it describes exactly the routes that are served.

	// OperationID names the operation, uniquely across the document;
	// generated clients name their functions after it.
	OperationID string
	Description string
	Tags        []string
	Params      []openapi.Param
	// Request is the body the route reads; nil for none.
	Request *openapi.Body
	// Responses are every answer the route gives.
	Responses []openapi.Response
	// Security lists the ways to authenticate, any one of which will do;
	// nil means a public route.
	Security []openapi.Security
}

// Router serves a table of routes below the point where it is mounted. It
// dispatches by itself and answers unknown paths and methods with the
// contract's JSON 404 and 405. It finds its mount point by itself, so it is
// mounted the way each mux's users mount a handler, with no
// http.StripPrefix: chi's r.Mount("/auth", router) or r.Route, gorilla/mux's
// r.PathPrefix("/auth").Handler(router), ServeMux's
// mux.Handle("/auth/", router) or authkit.Mount. A path already stripped
// (http.StripPrefix) works too.
//
// The mount point is the mux's matched pattern (r.Pattern, set by
// http.ServeMux and chi) when the request's path starts with it. Otherwise
// (gorilla/mux sets no pattern; a path stripped by http.StripPrefix no
// longer starts with it; a catch-all "/" may hide another mux) the router
// matches the end of the path, the shortest mount point first: then a
// deeper unknown path may reach a route, /users/x/{id} answering as
// /users/{id}.
type Router struct {
	routes []Route
}

// NewRouter returns a router for routes.
func NewRouter(routes ...Route) *Router {
	return &Router{routes: slices.Clone(routes)}
}

// Merge returns one router serving the routes of all of routers, for
// routers that share a prefix (register, reset password and verify all
// live under /auth). Mount merges by itself the routers mounted on one
// prefix.
func Merge(routers ...*Router) *Router {
	var routes []Route
	for _, r := range routers {
		routes = append(routes, r.routes...)
	}
	return &Router{routes: routes}
}

// Routes returns the router's table.
func (rt *Router) Routes() []Route { return slices.Clone(rt.routes) }

// ServeHTTP dispatches r by path, then method.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf [8]string
	segs := segments(buf[:0], r.URL.Path)
	from := 0
	if start, ok := mountedAt(r.Pattern, segs); ok {
		rel := segs[start:]
		if len(rel) == 0 {
			rel = []string{""} // the mount point itself: "/"
		}
		if rt.serve(w, r, rel) {
			return
		}
		switch start {
		case 0:
			// A catch-all "/": another mux may lie between (gorilla/mux's
			// README puts its router on http.Handle("/", r)).
			from = 1
		case len(segs):
			// An exact pattern, "POST /auth/register" say: the route is
			// at its end.
		default:
			httpjson.Error(w, http.StatusNotFound, http.StatusText(http.StatusNotFound))
			return
		}
	}
	for start := from; start < len(segs); start++ {
		if rt.serve(w, r, segs[start:]) {
			return
		}
	}
	httpjson.Error(w, http.StatusNotFound, http.StatusText(http.StatusNotFound))
}

// serve answers r when a route's path is rel: with the route of r's method,
// or 405 listing the methods of the routes there. It reports whether it
// answered.
func (rt *Router) serve(w http.ResponseWriter, r *http.Request, rel []string) bool {
	var allow []string
	for i := range rt.routes {
		route := &rt.routes[i]
		if !matchPath(route.Path, rel, nil) {
			continue
		}
		if route.Method != r.Method {
			if !slices.Contains(allow, route.Method) {
				allow = append(allow, route.Method)
			}
			continue
		}
		matchPath(route.Path, rel, r.SetPathValue)
		route.Handler.ServeHTTP(w, r)
		return true
	}
	if len(allow) == 0 {
		return false
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	httpjson.Error(w, http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed))
	return true
}

// segments appends the segments of path to dst: "/a/b" is [a b], "/" and
// "" are [""], and "/a/" is [a ""].
func segments(dst []string, path string) []string {
	path = strings.TrimPrefix(path, "/")
	for {
		seg, rest, more := strings.Cut(path, "/")
		dst = append(dst, seg)
		if !more {
			return dst
		}
		path = rest
	}
}

// mountedAt reads a mux's matched pattern — ServeMux's "GET /auth/" or
// "/auth/{rest...}", chi's "/auth/*" — and returns how many of segs it
// covers, when segs start with it: the router is mounted there. An exact
// pattern covers all of segs (chi's Mount matches "/api" itself that way).
func mountedAt(pattern string, segs []string) (int, bool) {
	if pattern == "" {
		return 0, false
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p // the method
	}
	i := strings.IndexByte(pattern, '/')
	if i < 0 {
		return 0, false
	}
	var buf [8]string
	pat := segments(buf[:0], pattern[i:]) // without the host
	if last := pat[len(pat)-1]; last == "" || last == "*" || last == "{$}" || strings.HasSuffix(last, "...}") {
		pat = pat[:len(pat)-1]
	}
	if len(pat) > len(segs) {
		return 0, false
	}
	for j, p := range pat {
		if p != segs[j] && !(strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && segs[j] != "") {
			return 0, false
		}
	}
	return len(pat), true
}

// matchPath matches the segments of a path against pattern segment by
// segment, passing each {name} segment's value to set when it is not nil.
func matchPath(pattern string, segs []string, set func(name, value string)) bool {
	pattern = strings.TrimPrefix(pattern, "/")
	for i, seg := range segs {
		pseg, rest, more := strings.Cut(pattern, "/")
		if more != (i < len(segs)-1) {
			return false
		}
		if name, ok := strings.CutPrefix(pseg, "{"); ok && strings.HasSuffix(name, "}") {
			if seg == "" {
				return false
			}
			if set != nil {
				set(strings.TrimSuffix(name, "}"), seg)
			}
		} else if pseg != seg {
			return false
		}
		pattern = rest
	}
	return true
}

// ErrUnknownBackend is AuthRouter's answer for a backend name New was not
// given.
var ErrUnknownBackend = errors.New("authkit: no such backend")

// ErrMountConflict is Mount's answer when a prefix already serves a handler
// that is not one of authkit's routers.
var ErrMountConflict = errors.New("authkit: the prefix already has a handler")

// Mount serves h on mux under prefix (say "/auth"). Routers mounted on one
// prefix are merged, so register, reset password and verify can each be
// mounted at /auth; a route mounted twice, or a prefix already serving
// another handler, is an error (ErrMountConflict).
//
// Each route of a literal path (no {name}) gets its own pattern on mux too,
// "GET /auth/users/me" say: ServeMux then finds it in one exact match,
// where a path below the prefix pattern costs it a second match (for a
// trailing-slash redirect) and three allocations (BENCHMARKS.md, fix 14).
// The prefix pattern still answers everything else: the routes with a
// {name}, and the JSON 404 and 405.
func Mount(mux *http.ServeMux, prefix string, h http.Handler) error {
	prefix = strings.TrimSuffix(prefix, "/")
	pattern := prefix + "/"
	probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: pattern}}
	existing, at := mux.Handler(probe)
	if at != pattern {
		rt, ok := h.(*Router)
		if !ok {
			mux.Handle(pattern, h)
			return nil
		}
		m := &mounted{rt: Merge(rt)}
		if err := m.handleExact(mux, prefix, nil, rt.routes); err != nil {
			return err
		}
		mux.Handle(pattern, m)
		return nil
	}
	m, ok := existing.(*mounted)
	rt, isRouter := h.(*Router)
	if !ok || !isRouter {
		return fmt.Errorf("%w: %s", ErrMountConflict, pattern)
	}
	return m.add(mux, prefix, rt)
}

// mounted is what Mount puts on a ServeMux: the merged routers of one prefix.
type mounted struct {
	mu sync.RWMutex
	rt *Router
}

func (m *mounted) add(mux *http.ServeMux, prefix string, rt *Router) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range rt.routes {
		for _, b := range m.rt.routes {
			if a.Method == b.Method && a.Path == b.Path {
				return fmt.Errorf("%w: %s %s mounted twice", ErrMountConflict, a.Method, a.Path)
			}
		}
	}
	if err := m.handleExact(mux, prefix, m.rt.routes, rt.routes); err != nil {
		return err
	}
	m.rt = Merge(m.rt, rt)
	return nil
}

// handleExact gives each route of a literal path its own pattern on mux,
// below prefix, unless a route before it (in before, or earlier in routes)
// of its method takes its path: the router's first match wins, and still
// does. A pattern mux already serves is ErrMountConflict, found before any
// is added (ServeMux would panic).
func (m *mounted) handleExact(mux *http.ServeMux, prefix string, before, routes []Route) error {
	type direct struct {
		pattern string
		h       http.Handler
	}
	var add []direct
	for i, route := range routes {
		if !exactable(route) {
			continue // served by the prefix's router
		}
		segs := segments(nil, route.Path)
		takes := func(e Route) bool { return e.Method == route.Method && matchPath(e.Path, segs, nil) }
		if slices.ContainsFunc(before, takes) || slices.ContainsFunc(routes[:i], takes) {
			continue
		}
		path := prefix + route.Path
		pattern := route.Method + " " + path
		if strings.HasSuffix(path, "/") {
			pattern += "{$}" // the path itself, not the tree below it
		}
		probe := &http.Request{Method: route.Method, URL: &url.URL{Path: path}}
		if _, at := mux.Handler(probe); at == pattern {
			return fmt.Errorf("%w: %s already served", ErrMountConflict, pattern)
		}
		add = append(add, direct{pattern, &exactRoute{method: route.Method, h: route.Handler, rt: m}})
	}
	for _, d := range add {
		mux.Handle(d.pattern, d.h)
	}
	return nil
}

// exactable reports whether route can have a ServeMux pattern of its
// own: a method of letters, a clean literal path. Any other (a {name}, an
// extension method, a path ServeMux would clean or read otherwise) stays
// with the router alone, which serves it as before.
func exactable(route Route) bool {
	if route.Method == "" || strings.TrimFunc(route.Method, func(r rune) bool {
		return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z'
	}) != "" {
		return false
	}
	p := route.Path
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "{}% \t") {
		return false
	}
	clean := path.Clean(p)
	return clean == p || clean+"/" == p
}

func (m *mounted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	rt := m.rt
	m.mu.RUnlock()
	rt.ServeHTTP(w, r)
}

// exactRoute serves a route on its own ServeMux pattern. A method the
// pattern takes but the route does not (HEAD, on a GET pattern) goes to
// the prefix's router, which answers it as before: 405.
type exactRoute struct {
	method string
	h      http.Handler
	rt     http.Handler
}

func (e *exactRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != e.method {
		e.rt.ServeHTTP(w, r)
		return
	}
	e.h.ServeHTTP(w, r)
}

// httpError is an error with its HTTP answer: status and detail.
type httpError struct {
	status int
	detail any
}

func (e *httpError) Error() string { return http.StatusText(e.status) }

func errDetail(status int, detail any) error { return &httpError{status: status, detail: detail} }

var (
	errUnauthorized = errDetail(http.StatusUnauthorized, http.StatusText(http.StatusUnauthorized))
	errForbidden    = errDetail(http.StatusForbidden, http.StatusText(http.StatusForbidden))
	errNotFound     = errDetail(http.StatusNotFound, http.StatusText(http.StatusNotFound))
)

// codeReason is the detail of a password-policy failure.
type codeReason struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// handle adapts a handler that returns an error: an *httpError is the
// client's answer; anything else is a fault — logged, and answered 503
// with no detail a client could learn from.
func (k *AuthKit) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			k.writeError(w, r, err)
		}
	})
}

func (k *AuthKit) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		httpjson.Error(w, he.status, he.detail)
		return
	}
	var mr *mfaRequired
	if errors.As(err, &mr) {
		httpjson.Write(w, http.StatusBadRequest, mr)
		return
	}
	var tm *tooManyRequests
	if errors.As(err, &tm) {
		k.audit(r, "throttled", nil, "path", r.URL.Path)
		tm.write(w)
		return
	}
	if errors.Is(err, ErrBusy) {
		k.log.WarnContext(r.Context(), "authkit: hashing slots exhausted", "method", r.Method, "path", r.URL.Path)
	} else if !errors.Is(err, context.Canceled) {
		k.log.ErrorContext(r.Context(), "authkit: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Retry-After", "1")
	httpjson.Error(w, http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable))
}
