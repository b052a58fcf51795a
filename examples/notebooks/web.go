package main

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// The web page: plain HTML, JavaScript and CSS, no build step, nothing
// loaded from elsewhere.
//
//go:embed web
var webFS embed.FS

// pageHeaders lock the page down: only its own script and style run (no
// inline code, so an injected tag does nothing), it talks only to its own
// origin, it cannot be framed, and the token in a reset or verify link
// never leaves in a Referer header.
func pageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
}

// servePage serves the one page, for /, /reset-password?token= and
// /verify?token= alike: its script reads the path.
func servePage(w http.ResponseWriter, r *http.Request) {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil { // cannot happen: the file is embedded
		writeError(w, http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		return
	}
	pageHeaders(w.Header())
	// The reset and verify URLs hold a token: keep them out of caches.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// staticHandler serves /static/: the page's script and style sheet.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(webFS, "web/static") // fails only for an invalid path name
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(sub, name); err != nil || fi.IsDir() { // no directory listings
			writeError(w, http.StatusNotFound, http.StatusText(http.StatusNotFound))
			return
		}
		pageHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
