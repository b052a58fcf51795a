package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkOrigins refuses anything but exact origins, scheme://host[:port]:
// no wildcard, no "null", no path, so that a list cannot admit more than
// it names.
func checkOrigins(flag string, origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(o, "*") {
			return fmt.Errorf("%s: %q is not an origin (scheme://host[:port], no wildcard, no path)", flag, o)
		}
	}
	return nil
}

// corsHeaders are the request headers a cross-origin front end may send:
// the bearer token and the JSON or form content type.
const corsHeaders = "Authorization, Content-Type"

// cors lets the front ends at origins (exact origins, checked) call the API
// from their own origin, credentials included (the cookie backend's
// fetch(..., {credentials: "include"})): it answers their preflights and
// marks their responses readable. Other origins get no CORS header, so
// their browsers keep the responses from them. Allowing credentials for an
// origin lets its pages act as the user: list only one's own front ends.
// The cookie backend's CSRF check is separate: a state-changing cookie
// request from another origin also needs that origin in -trusted-origins.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(origins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate")
		next.ServeHTTP(w, r)
	})
}
