package authkit

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

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
// dispatches by itself (so that it behaves the same on http.ServeMux, chi
// and gorilla/mux) and answers unknown paths and methods with the contract's
// JSON 404 and 405. Mount it with http.StripPrefix, or with Mount.
type Router struct {
	routes []Route
}

// NewRouter returns a router for routes.
func NewRouter(routes ...Route) *Router {
	return &Router{routes: slices.Clone(routes)}
}

// Merge returns one router serving the routes of all of routers, for
// routers that share a prefix (register, reset password and verify all
// live under /auth).
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
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	var allow []string
	for i := range rt.routes {
		route := &rt.routes[i]
		params, ok := matchPath(route.Path, path)
		if !ok {
			continue
		}
		if route.Method != r.Method {
			allow = append(allow, route.Method)
			continue
		}
		for name, v := range params {
			r.SetPathValue(name, v)
		}
		route.Handler.ServeHTTP(w, r)
		return
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		httpjson.Error(w, http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed))
		return
	}
	httpjson.Error(w, http.StatusNotFound, http.StatusText(http.StatusNotFound))
}

// matchPath matches path against pattern segment by segment.
func matchPath(pattern, path string) (map[string]string, bool) {
	var params map[string]string
	for {
		pseg, prest, pmore := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		seg, rest, more := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if pmore != more {
			return nil, false
		}
		if name, ok := strings.CutPrefix(pseg, "{"); ok && strings.HasSuffix(name, "}") {
			if seg == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "}")] = seg
		} else if pseg != seg {
			return nil, false
		}
		if !more {
			return params, true
		}
		pattern, path = "/"+prest, "/"+rest
	}
}

// Mount serves h on mux under prefix (say "/auth"), stripping the prefix
// first, as authkit's routers expect.
func Mount(mux *http.ServeMux, prefix string, h http.Handler) {
	prefix = strings.TrimSuffix(prefix, "/")
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
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
